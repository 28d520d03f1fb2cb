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
//! `vmap` maps a function over a batch dimension of its arguments (`None`: shared by all
//! examples); it works eagerly, inside `jit` and nested. Mapping over a key array gives the
//! function single keys, with JAX's random numbers:
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::random;
//! let keys = random::split(&random::key(0), 4)?;
//! let mut f = ferrax::vmap(
//!     |k: &[Tensor]| Ok(vec![random::normal(&random::wrap_key_data(&k[0])?, &[3], None)?]),
//!     &[Some(0)],
//!     &[Some(0)],
//! );
//! let x = f.call(&[random::key_data(&keys)])?;
//! assert_eq!(x[0].eval()?.shape(), &[4, 3]); // jax.vmap(lambda k: normal(k, (3,)))(keys)
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
    Op, ReduceKind, ScanOpts, ScatterDims, Shape, Tensor, TensorType, UnaryOp, WindowAttrs,
};
pub use ferrax_ir::{vmap, Vmap};
pub use ferrax_macros::Module;
pub use ferrax_nn::Module;
pub use ferrax_pjrt as pjrt;
pub use ferrax_pjrt::Platform;
pub use ferrax_random as random;
pub use ferrax_runtime::jit::{self};
pub use ferrax_runtime::{eval_many, pjrt_error, Array, Error, ErrorKind, Eval, Result};
pub use ferrax_runtime::{exec, runtime};
pub use ferrax_runtime::{set_default_platform, Jit, Runtime};
pub use ferrax_stablehlo as stablehlo;

/// NNX: variables, the `Module` trait, state (re-exports `ferrax-nn`).
pub mod nn {
    pub use ferrax_nn::*;
}

/// Something [`jit()`] accepts: a function of tensors (`|x: &Tensor, y: &Tensor| ...`, or
/// `|xs: &[Tensor]| ...`), a function of a module and tensors that may update its state
/// (`|m: &mut Mlp, x: &Tensor| ...`), or one that only reads it (`|m: &Mlp, x: &Tensor| ...`,
/// for `Mlp: Clone`). `K` is an inference marker.
pub trait IntoJit<K> {
    /// The jitted function.
    type Jitted;
    /// Wraps the function.
    fn into_jit(self) -> Self::Jitted;
}

/// Marker of tensor functions for [`IntoJit`].
pub struct TensorFn<K>(std::marker::PhantomData<K>);
/// Marker of module functions for [`IntoJit`].
pub struct ModuleFn<M, K>(std::marker::PhantomData<(M, K)>);
/// Marker of functions of a shared module for [`IntoJit`].
pub struct ModuleRefFn<M, K>(std::marker::PhantomData<(M, K)>);

impl<F, K> IntoJit<TensorFn<K>> for F
where
    F: ferrax_runtime::jit::TracedFn<K>,
{
    type Jitted = Jit<F, K>;
    fn into_jit(self) -> Jit<F, K> {
        ferrax_runtime::jit(self)
    }
}

impl<F, M, K> IntoJit<ModuleFn<M, K>> for F
where
    M: ferrax_nn::Module,
    F: ferrax_nn::ModuleFn<M, K>,
{
    type Jitted = ferrax_nn::ModuleJit<M, F, K>;
    fn into_jit(self) -> Self::Jitted {
        ferrax_nn::jit(self)
    }
}

impl<F, M, K> IntoJit<ModuleRefFn<M, K>> for F
where
    M: ferrax_nn::Module + Clone,
    F: ferrax_nn::ModuleRefFn<M, K>,
{
    type Jitted = ferrax_nn::ModuleRefJit<M, F, K>;
    fn into_jit(self) -> Self::Jitted {
        ferrax_nn::jit_ref(self)
    }
}

/// Compiles a function once per input signature and runs the compiled program afterwards.
///
/// Over tensors, `call` takes the argument arrays:
///
/// ```
/// use ferrax::prelude::*;
/// let mut f = ferrax::jit(|x: &Tensor, y: &Tensor| x.add(y));
/// let z: Array = f.call(&[&Array::ones([2], DType::F32), &Array::ones([2], DType::F32)])?;
/// assert_eq!(z.to_vec::<f32>()?, vec![2.0, 2.0]);
/// # Ok::<(), ferrax::Error>(())
/// ```
///
/// Over a module, its variables become program inputs and the ones the function changed
/// (RNG counts, batch statistics) are written back, so streams advance as in NNX:
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Linear, Rngs};
/// #[derive(Module)]
/// struct Mlp { layer1: Linear, layer2: Linear }
/// let mut rngs = Rngs::new().with("params", 0);
/// let mut model = Mlp { layer1: Linear::new(2, 10, &mut rngs)?, layer2: Linear::new(10, 5, &mut rngs)? };
/// let mut step = ferrax::jit(|m: &mut Mlp, x: &Tensor| m.layer2.forward(&nn::relu(&m.layer1.forward(x)?)?));
/// let y: Array = step.call(&mut model, &Array::ones([1, 2], DType::F32))?;
/// assert_eq!(y.to_string(), "[[-0.15895452 -1.1049775 1.2165147 0.62828314 0.571608]]");
/// # Ok::<(), ferrax::Error>(())
/// ```
///
/// A function of `&M` only reads the module: nothing is written back, and the call takes
/// `&model` (the module type must be `Clone`; tracing runs on a clone):
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Linear, Rngs};
/// #[derive(Module, Clone)]
/// struct Mlp { layer1: Linear, layer2: Linear }
/// let mut rngs = Rngs::new().with("params", 0);
/// let mut model = Mlp { layer1: Linear::new(2, 10, &mut rngs)?, layer2: Linear::new(10, 5, &mut rngs)? };
/// nn::materialize(&mut model)?;
/// let mut eval = ferrax::jit(|m: &Mlp, x: &Tensor| m.layer2.forward(&nn::relu(&m.layer1.forward(x)?)?));
/// let y: Array = eval.call(&model, &Array::ones([1, 2], DType::F32))?;
/// assert_eq!(y.to_string(), "[[-0.15895452 -1.1049775 1.2165147 0.62828314 0.571608]]");
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn jit<F, K>(f: F) -> F::Jitted
where
    F: IntoJit<K>,
{
    f.into_jit()
}

/// The usual imports: `use ferrax::prelude::*;`.
pub mod prelude {
    pub use crate::{jit, Array, DType, Eval, Module, ScanOpts, Shape, Tensor, TensorType};
}
