//! # ferrax-nn
//!
//! NNX for ferrax: [`Variable`]s (`Param`, `BatchStat`, RNG key and count, user kinds), the
//! [`Module`] trait that `#[derive(Module)]` implements (named, ordered traversal of state),
//! [`State`] with filters, `split` and `apply_to`, and [`materialize`], which runs all
//! pending initialisations of a new model in one compiled program.
//!
//! Rngs/RngStream, initialisers, layers and module-aware transforms build on this.

#![warn(missing_docs)]

mod display;
pub mod init;
mod layers;
mod module;
mod path;
mod rng_transforms;
mod rngs;
mod scan;
mod state;
mod transforms;
mod variable;
mod vmap;

pub use display::{display, display_named, param_counts, SizeBytes};
pub use layers::{
    gelu, log_softmax, relu, sigmoid, silu, softmax, tanh, Dropout, Linear, LinearOpts,
};
pub use module::{materialize, variables, Module};
pub use path::{PathPart, VarPath};
pub use rng_transforms::{
    fork_rngs, restore_rngs, split_rngs, ForkRngs, IntoSplits, RngGuard, SplitBackups, SplitRngs,
};
pub use rngs::{reseed, ReseedPolicy, RngStream, Rngs};
pub use scan::{scan, ModuleScan, ScanAxes, ScanAxis};
pub use state::{Filter, State, StateEntry};
pub use transforms::{
    jit, jit_ref, Many, ModuleFn, ModuleJit, ModuleRefFn, ModuleRefJit, One, Two,
};
pub use variable::{
    kind, AnyVariable, BatchStat, Param, RngCount, RngKey, VarValue, Variable, VariableKind,
};
pub use vmap::{vmap, ModuleVmap, StateAxes};
