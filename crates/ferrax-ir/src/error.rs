//! Error values of the IR: every shape or dtype rule returns one instead of panicking.

use std::fmt;

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
}

/// An IR error: the op, the module path that emitted it (if any) and a message.
///
/// Displays as `Mlp.layer2: dot_general: contracting dimensions differ: lhs 7, rhs 10`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    /// Error class.
    pub kind: ErrorKind,
    /// The op (or API function) that rejected its input.
    pub op: String,
    /// The module path active when the op was traced (`Mlp.layer2`), if any.
    pub path: Option<String>,
    /// Human-readable detail.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}: {}", self.op, self.message)
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
        }
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
