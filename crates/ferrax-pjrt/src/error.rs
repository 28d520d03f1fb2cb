//! The error type of this crate.

use std::fmt;
use std::path::PathBuf;

/// Result alias used throughout `ferrax-pjrt`.
pub type Result<T, E = PjrtError> = std::result::Result<T, E>;

/// A PJRT status code (`PJRT_Error_Code`, the absl status codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `OK` (0); plugins never return it in an error, kept for completeness.
    Ok,
    /// `CANCELLED` (1).
    Cancelled,
    /// `UNKNOWN` (2).
    Unknown,
    /// `INVALID_ARGUMENT` (3).
    InvalidArgument,
    /// `DEADLINE_EXCEEDED` (4).
    DeadlineExceeded,
    /// `NOT_FOUND` (5).
    NotFound,
    /// `ALREADY_EXISTS` (6).
    AlreadyExists,
    /// `PERMISSION_DENIED` (7).
    PermissionDenied,
    /// `RESOURCE_EXHAUSTED` (8).
    ResourceExhausted,
    /// `FAILED_PRECONDITION` (9).
    FailedPrecondition,
    /// `ABORTED` (10).
    Aborted,
    /// `OUT_OF_RANGE` (11).
    OutOfRange,
    /// `UNIMPLEMENTED` (12).
    Unimplemented,
    /// `INTERNAL` (13).
    Internal,
    /// `UNAVAILABLE` (14).
    Unavailable,
    /// `DATA_LOSS` (15).
    DataLoss,
    /// `UNAUTHENTICATED` (16).
    Unauthenticated,
    /// A code this crate does not know (newer plugin).
    Other(i32),
}

impl ErrorCode {
    /// Maps the raw C enum value.
    pub fn from_raw(code: i32) -> ErrorCode {
        use ErrorCode::*;
        match code {
            0 => Ok,
            1 => Cancelled,
            2 => Unknown,
            3 => InvalidArgument,
            4 => DeadlineExceeded,
            5 => NotFound,
            6 => AlreadyExists,
            7 => PermissionDenied,
            8 => ResourceExhausted,
            9 => FailedPrecondition,
            10 => Aborted,
            11 => OutOfRange,
            12 => Unimplemented,
            13 => Internal,
            14 => Unavailable,
            15 => DataLoss,
            16 => Unauthenticated,
            other => Other(other),
        }
    }

    /// The canonical upper-case name, e.g. `"INVALID_ARGUMENT"`.
    pub fn name(&self) -> &'static str {
        use ErrorCode::*;
        match self {
            Ok => "OK",
            Cancelled => "CANCELLED",
            Unknown => "UNKNOWN",
            InvalidArgument => "INVALID_ARGUMENT",
            DeadlineExceeded => "DEADLINE_EXCEEDED",
            NotFound => "NOT_FOUND",
            AlreadyExists => "ALREADY_EXISTS",
            PermissionDenied => "PERMISSION_DENIED",
            ResourceExhausted => "RESOURCE_EXHAUSTED",
            FailedPrecondition => "FAILED_PRECONDITION",
            Aborted => "ABORTED",
            OutOfRange => "OUT_OF_RANGE",
            Unimplemented => "UNIMPLEMENTED",
            Internal => "INTERNAL",
            Unavailable => "UNAVAILABLE",
            DataLoss => "DATA_LOSS",
            Unauthenticated => "UNAUTHENTICATED",
            Other(_) => "UNKNOWN_CODE",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::Other(c) => write!(f, "UNKNOWN_CODE({c})"),
            other => f.write_str(other.name()),
        }
    }
}

/// Everything that can go wrong in `ferrax-pjrt`.
#[derive(Debug, thiserror::Error)]
pub enum PjrtError {
    /// The plugin returned an error from a C API call. Displays as
    /// `PJRT_Client_Compile: INVALID_ARGUMENT: <the plugin's text>`.
    #[error("{call}: {code}: {message}")]
    Plugin {
        /// The C API entry point, e.g. `"PJRT_Client_Compile"`.
        call: &'static str,
        /// The status code the plugin reported.
        code: ErrorCode,
        /// The plugin's message, verbatim.
        message: String,
    },

    /// The shared library could not be opened at all (missing file, not an ELF
    /// file, missing dependencies, wrong architecture).
    #[error(
        "cannot load PJRT plugin {path}: {reason}\n\
         hint: set FERRAX_PJRT_PLUGIN to the path of a PJRT plugin shared library \
         (for example xla_cpu_pjrt.so), or unset it to let ferrax fetch the CPU plugin"
    )]
    Load {
        /// The path that was given.
        path: PathBuf,
        /// What the dynamic loader (or the file system) said.
        reason: String,
    },

    /// The library loaded but exports no `GetPjrtApi`, so it is not a PJRT plugin.
    #[error(
        "{path} is not a PJRT plugin: it exports no `GetPjrtApi` symbol.\n\
         hint: point FERRAX_PJRT_PLUGIN at a PJRT plugin such as xla_cpu_pjrt.so \
         (pip package xla-cpu-pjrt), xla_cuda_plugin.so (jax-cuda12-pjrt) or libtpu.so \
         (libtpu); note that jaxlib's own libraries are not PJRT plugins"
    )]
    NotAPlugin {
        /// The library that was loaded.
        path: PathBuf,
    },

    /// The plugin speaks a PJRT C API major version this crate does not.
    #[error(
        "PJRT plugin {path} has C API version {major}.{minor}; ferrax supports major version 0"
    )]
    UnsupportedApiVersion {
        /// The plugin's path.
        path: PathBuf,
        /// Its major version.
        major: i32,
        /// Its minor version.
        minor: i32,
    },

    /// The plugin's function table is too old to contain an entry point we need,
    /// or the plugin left it null.
    #[error("PJRT plugin (C API {major}.{minor}) does not implement {call}")]
    Unsupported {
        /// The missing entry point.
        call: &'static str,
        /// Plugin API major version.
        major: i32,
        /// Plugin API minor version.
        minor: i32,
    },

    /// `execute` got the wrong number of arguments (checked before calling the plugin).
    #[error("execute: the program takes {expected} argument(s), got {got}")]
    ArgumentCount {
        /// Number of parameters the program was compiled with.
        expected: usize,
        /// Number of buffers passed.
        got: usize,
    },

    /// An `execute` argument has the wrong element type or shape (checked before
    /// calling the plugin).
    #[error("execute: argument {index} should be {expected}, got {got}")]
    ArgumentMismatch {
        /// Zero-based argument position.
        index: usize,
        /// Expected type, e.g. `f32[2,3]`.
        expected: String,
        /// Actual type of the buffer.
        got: String,
    },

    /// A host byte slice does not match the element type and dimensions.
    #[error("{context}: {shape} needs {expected} bytes, got {got}")]
    DataLength {
        /// The operation, e.g. `"buffer_from_host"`.
        context: &'static str,
        /// The array type, e.g. `f32[2,3]`.
        shape: String,
        /// Bytes required.
        expected: usize,
        /// Bytes given.
        got: usize,
    },

    /// Any other argument that was rejected on our side before reaching the plugin.
    #[error("{0}")]
    InvalidArgument(String),

    /// The plugin returned something this crate cannot represent (e.g. an element
    /// type outside [`crate::ElementType`]).
    #[error("{0}")]
    Unexpected(String),

    /// A file did not have the pinned SHA-256.
    #[error(
        "SHA-256 mismatch for {path}: expected {expected}, got {actual}\n\
         hint: the file is corrupt or not the pinned version; delete it and retry, \
         or set FERRAX_PJRT_PLUGIN to a plugin you trust"
    )]
    HashMismatch {
        /// The file that was hashed.
        path: PathBuf,
        /// The pinned hash (lower-case hex).
        expected: String,
        /// The file's hash (lower-case hex).
        actual: String,
    },

    /// Fetching or locating a plugin failed; the message says what to do.
    #[error("{0}")]
    Provision(String),

    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl PjrtError {
    /// The status code if this is a plugin error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            PjrtError::Plugin { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> PjrtError {
        PjrtError::Io {
            context: context.into(),
            source,
        }
    }
}
