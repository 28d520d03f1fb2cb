//! `ferrax::Error`: every failure is a value, of one type across the whole API.
//!
//! It is `ferrax_ir::Error`: shape, dtype and trace errors name the op and module path;
//! lowering errors convert into it; plugin failures carry the plugin's text in the message
//! and the structured [`ferrax_pjrt::PjrtError`] as `source` (see [`pjrt_error`]).

pub use ferrax_ir::{Error, ErrorKind, Result};

/// Wraps a PJRT error (keeping it as the source) for the API function `op`.
pub fn pjrt_error(op: &'static str) -> impl Fn(ferrax_pjrt::PjrtError) -> Error {
    move |e| Error::plugin(op, e)
}
