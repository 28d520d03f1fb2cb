//! Element types of device buffers.

use std::fmt;

use crate::error::{PjrtError, Result};

/// The element type of a PJRT buffer (the subset of `PJRT_Buffer_Type` ferrax uses).
///
/// Host data is always dense, row-major (major-to-minor), little-endian, with
/// [`ElementType::byte_size`] bytes per element; `Pred` is one byte, 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementType {
    /// Boolean (`i1` in StableHLO), one byte per element.
    Pred,
    /// Signed 8-bit integer.
    S8,
    /// Signed 16-bit integer.
    S16,
    /// Signed 32-bit integer.
    S32,
    /// Signed 64-bit integer.
    S64,
    /// Unsigned 8-bit integer.
    U8,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// IEEE half precision.
    F16,
    /// IEEE single precision.
    F32,
    /// IEEE double precision.
    F64,
    /// bfloat16.
    BF16,
}

impl ElementType {
    /// Every element type, in `PJRT_Buffer_Type` order.
    pub const ALL: [ElementType; 13] = [
        ElementType::Pred,
        ElementType::S8,
        ElementType::S16,
        ElementType::S32,
        ElementType::S64,
        ElementType::U8,
        ElementType::U16,
        ElementType::U32,
        ElementType::U64,
        ElementType::F16,
        ElementType::F32,
        ElementType::F64,
        ElementType::BF16,
    ];

    /// Bytes per element on the host.
    pub fn byte_size(self) -> usize {
        use ElementType::*;
        match self {
            Pred | S8 | U8 => 1,
            S16 | U16 | F16 | BF16 => 2,
            S32 | U32 | F32 => 4,
            S64 | U64 | F64 => 8,
        }
    }

    /// The `PJRT_Buffer_Type` enum value.
    pub fn to_pjrt(self) -> i32 {
        use ElementType::*;
        match self {
            Pred => 1,
            S8 => 2,
            S16 => 3,
            S32 => 4,
            S64 => 5,
            U8 => 6,
            U16 => 7,
            U32 => 8,
            U64 => 9,
            F16 => 10,
            F32 => 11,
            F64 => 12,
            BF16 => 13,
        }
    }

    /// Maps a `PJRT_Buffer_Type` value back; `None` for types ferrax does not
    /// handle (complex, fp8, sub-byte integers, token, invalid).
    pub fn from_pjrt(raw: i32) -> Option<ElementType> {
        use ElementType::*;
        Some(match raw {
            1 => Pred,
            2 => S8,
            3 => S16,
            4 => S32,
            5 => S64,
            6 => U8,
            7 => U16,
            8 => U32,
            9 => U64,
            10 => F16,
            11 => F32,
            12 => F64,
            13 => BF16,
            _ => return None,
        })
    }

    /// The StableHLO / MLIR spelling (`i1`, `i8`, `ui32`, `f32`, `bf16`...).
    pub fn mlir_name(self) -> &'static str {
        use ElementType::*;
        match self {
            Pred => "i1",
            S8 => "i8",
            S16 => "i16",
            S32 => "i32",
            S64 => "i64",
            U8 => "ui8",
            U16 => "ui16",
            U32 => "ui32",
            U64 => "ui64",
            F16 => "f16",
            F32 => "f32",
            F64 => "f64",
            BF16 => "bf16",
        }
    }

    /// The XLA spelling (`pred`, `s32`, `u8`, `f32`, `bf16`...), used in messages.
    pub fn name(self) -> &'static str {
        use ElementType::*;
        match self {
            Pred => "pred",
            S8 => "s8",
            S16 => "s16",
            S32 => "s32",
            S64 => "s64",
            U8 => "u8",
            U16 => "u16",
            U32 => "u32",
            U64 => "u64",
            F16 => "f16",
            F32 => "f32",
            F64 => "f64",
            BF16 => "bf16",
        }
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Formats a type like XLA does: `f32[2,3]`, `s32[]`.
pub(crate) fn type_string(ty: ElementType, dims: &[i64]) -> String {
    let d: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("{}[{}]", ty.name(), d.join(","))
}

/// Number of bytes of a dense array of `ty` with `dims`, checking for negative
/// dimensions and overflow.
pub fn checked_byte_len(ty: ElementType, dims: &[i64]) -> Result<usize> {
    let mut n: usize = ty.byte_size();
    for &d in dims {
        let d = usize::try_from(d).map_err(|_| {
            PjrtError::InvalidArgument(format!(
                "negative dimension {d} in shape {}",
                type_string(ty, dims)
            ))
        })?;
        n = n.checked_mul(d).ok_or_else(|| {
            PjrtError::InvalidArgument(format!(
                "shape {} is too large: its byte size overflows usize",
                type_string(ty, dims)
            ))
        })?;
    }
    // Also keep the element count within i64 / isize for the plugin and slices.
    if n > isize::MAX as usize {
        return Err(PjrtError::InvalidArgument(format!(
            "shape {} is too large ({n} bytes)",
            type_string(ty, dims)
        )));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_mapping() {
        for t in ElementType::ALL {
            assert_eq!(ElementType::from_pjrt(t.to_pjrt()), Some(t));
        }
        assert_eq!(ElementType::from_pjrt(0), None);
        assert_eq!(ElementType::from_pjrt(14), None);
    }

    #[test]
    fn byte_len_checks() {
        assert_eq!(checked_byte_len(ElementType::F32, &[2, 3]).ok(), Some(24));
        assert_eq!(checked_byte_len(ElementType::F64, &[]).ok(), Some(8));
        assert_eq!(checked_byte_len(ElementType::F64, &[0, 5]).ok(), Some(0));
        assert!(checked_byte_len(ElementType::F32, &[-1]).is_err());
        assert!(checked_byte_len(ElementType::F32, &[i64::MAX, i64::MAX]).is_err());
        assert!(checked_byte_len(ElementType::F16, &[i64::MAX]).is_err());
    }
}
