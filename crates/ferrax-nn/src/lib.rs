//! # ferrax-nn
//!
//! NNX for ferrax: [`Variable`]s (`Param`, `BatchStat`, RNG key and count, user kinds), the
//! [`Module`] trait that `#[derive(Module)]` implements (named, ordered traversal of state),
//! [`State`] with filters, `split` and `apply_to`, and [`materialize`], which runs all
//! pending initialisations of a new model in one compiled program.
//!
//! Rngs/RngStream, initialisers, layers and module-aware transforms build on this.

#![warn(missing_docs)]

mod module;
mod path;
mod state;
mod variable;

pub use module::{materialize, variables, Module};
pub use path::{PathPart, VarPath};
pub use state::{Filter, State, StateEntry};
pub use variable::{
    kind, AnyVariable, BatchStat, Param, RngCount, RngKey, VarValue, Variable, VariableKind,
};
