//! # ferrax-ir
//!
//! The intermediate representation of ferrax: [`DType`], [`Shape`], the primitive op set
//! ([`Op`]), the op graph ([`Graph`], a petgraph `StableGraph`), tracing through [`Tensor`],
//! the shape/dtype rules ([`rules`]), the host reference evaluator ([`interp`]) and the
//! graph passes ([`passes`]: constant folding, dead-code and common-subexpression
//! elimination).
//!
//! This crate knows nothing of StableHLO text or PJRT.

#![warn(missing_docs)]

mod batch_trace;
pub mod batching;
pub mod dot;
mod dtype;
mod error;
mod graph;
pub mod interp;
pub mod linalg;
mod literal;
mod op;
pub mod passes;
pub mod rules;
mod scan;
pub mod scope;
mod shape;
mod tensor_ops;
pub mod trace;
mod vmap;

pub use batch_trace::vmap_with;
pub use dtype::{DType, Element};
pub use error::{Error, ErrorKind, Result};
pub use graph::{Graph, Node, NodeId, Operand, Value};
pub use literal::Literal;
pub use op::{
    BinaryOp, CompareDir, ConvAttrs, ConvDims, DotDims, GatherDims, Op, Region, ScatterDims,
    UnaryOp, WindowAttrs,
};
pub use scan::ScanOpts;
pub use shape::{Shape, TensorType};
pub use tensor_ops::{inline, Branch, ReduceKind};
pub use trace::{Binding, Tensor, Trace};
pub use vmap::{vmap, Vmap};
