//! `ferrax::Error`: every failure is a value.

/// Any ferrax error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A shape, dtype or trace error from the IR (names the module path and op).
    #[error("{0}")]
    Ir(#[from] ferrax_ir::Error),
    /// Lowering to StableHLO failed.
    #[error("lowering: {0}")]
    Lower(#[from] ferrax_stablehlo::LowerError),
    /// The PJRT plugin (or loading it) failed; carries the plugin's message.
    #[error("{0}")]
    Pjrt(#[from] ferrax_pjrt::PjrtError),
    /// A runtime-level misuse (wrong argument count, reading an array as the wrong type).
    #[error("{op}: {message}")]
    Runtime {
        /// The API function.
        op: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// A runtime error.
    pub fn runtime(op: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Runtime {
            op: op.into(),
            message: message.into(),
        }
    }
}

/// `Result<T, ferrax::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
