//! # ferrax-runtime
//!
//! Running traced programs: [`Array`] (a concrete value on the host and/or a device),
//! [`Eval::eval`] for tensors, [`jit()`] over functions of tensors, and the [`Runtime`]
//! (one PJRT plugin + client + compile cache per platform). Users reach all of this through
//! the `ferrax` facade; `ferrax-nn` builds on it for modules.

#![warn(missing_docs)]

mod array;
mod error;
pub mod exec;
pub mod jit;
pub mod runtime;

pub use array::Array;
pub use error::{pjrt_error, Error, ErrorKind, Result};
pub use exec::{eval_many, Eval};
pub use jit::{jit, trace_graph, Args, Jit};
pub use runtime::{set_default_platform, Runtime};
