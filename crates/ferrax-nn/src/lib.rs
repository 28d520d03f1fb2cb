//! # ferrax-nn
//!
//! NNX for ferrax: [`Variable`]s (`Param`, `BatchStat`, RNG key and count, user kinds), the
//! [`Module`] trait that `#[derive(Module)]` implements (named, ordered traversal of state),
//! [`State`] with filters, `split` and `apply_to`, and [`materialize`], which runs all
//! pending initialisations of a new model in one compiled program.
//!
//! Rngs/RngStream, initialisers, layers and module-aware transforms build on this.

#![warn(missing_docs)]

pub mod init;
mod layers;
mod module;
mod path;
mod rngs;
mod state;
mod transforms;
mod variable;

pub use layers::{
    gelu, log_softmax, relu, sigmoid, silu, softmax, tanh, Dropout, Linear, LinearOpts,
};
pub use module::{materialize, variables, Module};
pub use path::{PathPart, VarPath};
pub use rngs::{reseed, ReseedPolicy, RngStream, Rngs};
pub use state::{Filter, State, StateEntry};
pub use transforms::{jit, Many, ModuleFn, ModuleJit, One, Two};
pub use variable::{
    kind, AnyVariable, BatchStat, Param, RngCount, RngKey, VarValue, Variable, VariableKind,
};
