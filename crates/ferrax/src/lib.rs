//! # ferrax
//!
//! Flax NNX and JAX, done in Rust and compiled ahead of time to XLA. You write computations
//! on [`Tensor`]s; ferrax traces them into an op graph, lowers it to StableHLO and runs it
//! through a PJRT plugin (the XLA CPU plugin by default, fetched and cached on first use).
//!
//! ## Tutorial
//!
//! Tensors are traced values. Operators and methods build the graph; every op checks
//! shapes and dtypes and reports errors as values:
//!
//! ```
//! use ferrax::prelude::*;
//!
//! let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
//! let w = Tensor::ones(DType::F32, [3, 2]);
//! let y = x.matmul(&w)?.tanh()?;          // traced, nothing has run yet
//! let out: Array = y.eval()?;             // compile (cached) and run on the CPU plugin
//! assert_eq!(out.shape(), &[2, 2]);
//! println!("{out}");                      // numpy-like printing
//!
//! // Shape errors are values that name the op:
//! let bad = x.matmul(&Tensor::ones(DType::F32, [2, 2]));
//! assert!(bad.unwrap_err().to_string().contains("dot_general"));
//! # Ok::<(), ferrax::Error>(())
//! ```
//!
//! `jit` traces a function once per input signature and calls the compiled program after:
//!
//! ```
//! use ferrax::prelude::*;
//! let mut f = ferrax::jit(|x: &Tensor| (x * x).sum(&[0]));
//! let s: Array = f.call(&[&Array::from_vec(vec![3.0f32, 4.0], [2])?])?;
//! assert_eq!(s.to_vec::<f32>()?, vec![25.0]);
//! # Ok::<(), ferrax::Error>(())
//! ```
//!
//! Control flow is traced too (`while_loop`, `cond`, `case`), with regions as nested graphs:
//!
//! ```
//! use ferrax::prelude::*;
//! let i0 = Tensor::scalar(0i32);
//! let out = Tensor::while_loop(
//!     &[i0],
//!     |v| v[0].lt(&Tensor::scalar(10i32)),
//!     |v| Ok(vec![&v[0] + &Tensor::scalar(1i32)]),
//! )?;
//! assert_eq!(out[0].eval()?.to_vec::<i32>()?, vec![10]);
//! # Ok::<(), ferrax::Error>(())
//! ```
//!
//! Crates: `ferrax-ir` (dtypes, shapes, ops, graph, tracing, passes), `ferrax-stablehlo`
//! (lowering), `ferrax-pjrt` (PJRT bindings and plugin provisioning). This crate re-exports
//! what users need: [`Array`], [`Eval`], [`jit()`] and the [`Runtime`] come from `ferrax-runtime`.

#![warn(missing_docs)]

pub use ferrax_ir as ir;
pub use ferrax_ir::{
    scope, BinaryOp, CompareDir, ConvAttrs, ConvDims, DType, DotDims, GatherDims, Graph, Literal,
    Op, ReduceKind, ScatterDims, Shape, Tensor, TensorType, UnaryOp, WindowAttrs,
};
pub use ferrax_macros::Module;
pub use ferrax_nn::Module;
pub use ferrax_pjrt as pjrt;
pub use ferrax_pjrt::Platform;
pub use ferrax_runtime::{eval_many, pjrt_error, Array, Error, ErrorKind, Eval, Result};
pub use ferrax_runtime::{exec, jit, runtime};
pub use ferrax_runtime::{set_default_platform, Jit, Runtime};
pub use ferrax_stablehlo as stablehlo;

/// NNX: variables, the `Module` trait, state (re-exports `ferrax-nn`).
pub mod nn {
    pub use ferrax_nn::*;
}

/// The usual imports: `use ferrax::prelude::*;`.
pub mod prelude {
    pub use crate::{jit, Array, DType, Eval, Module, Shape, Tensor, TensorType};
}
