//! Error values of the IR: every shape or dtype rule returns one instead of panicking.

use std::fmt;
use std::sync::Arc;

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Operand shapes do not fit the op's rule.
    Shape,
    /// Operand dtypes do not fit the op's rule.
    DType,
    /// Some other invalid argument (an axis out of range, a bad attribute).
    Invalid,
    /// Tensors from unrelated traces were combined, or a trace was used after it closed.
    Trace,
    /// Not supported yet.
    Unsupported,
    /// Lowering to StableHLO failed.
    Lowering,
    /// The PJRT plugin (or loading, fetching or calling it) failed; the message carries the
    /// plugin's own text and `source` the structured error.
    Plugin,
    /// Misuse of the runtime API (wrong argument count, reading an array as the wrong type).
    Runtime,
}

/// The one error type of ferrax (re-exported as `ferrax::Error`): the op, the module path
/// that emitted it (if any), a message, and for plugin failures the underlying error.
///
/// Displays as `Mlp.layer2 (dot_general): contracting dimensions differ: ...` (module path,
/// then the op), or `dot_general: ...` outside any module scope.
#[derive(Clone, Debug)]
pub struct Error {
    /// Error class.
    pub kind: ErrorKind,
    /// The op (or API function) that rejected its input.
    pub op: String,
    /// The module path active when the op was traced (`Mlp.layer2`), if any.
    pub path: Option<String>,
    /// Human-readable detail.
    pub message: String,
    /// The underlying error (a `PjrtError` for plugin failures), for downcasting.
    pub source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl PartialEq for Error {
    fn eq(&self, o: &Error) -> bool {
        self.kind == o.kind && self.op == o.op && self.path == o.path && self.message == o.message
    }
}
impl Eq for Error {}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{p} ({}): {}", self.op, self.message),
            None => write!(f, "{}: {}", self.op, self.message),
        }
    }
}

impl Error {
    /// A new error of `kind`; the path is filled from the current scope.
    pub fn new(kind: ErrorKind, op: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            kind,
            op: op.into(),
            path: crate::scope::current_path(),
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Arc::new(source));
        self
    }

    /// A runtime-misuse error.
    pub fn runtime(op: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Runtime, op, message)
    }

    /// A plugin error wrapping `e` (its text becomes the message).
    pub fn plugin(
        op: impl Into<String>,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::new(ErrorKind::Plugin, op, e.to_string()).with_source(e)
    }
    /// A shape error.
    pub fn shape(op: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Shape, op, message)
    }
    /// A dtype error.
    pub fn dtype(op: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::DType, op, message)
    }
    /// An invalid-argument error.
    pub fn invalid(op: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid, op, message)
    }
    /// A trace error.
    pub fn trace(op: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Trace, op, message)
    }
    /// An unsupported-feature error.
    pub fn unsupported(op: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported, op, message)
    }
}

/// Result alias of the IR.
pub type Result<T, E = Error> = std::result::Result<T, E>;
