//! Fixture helpers shared by the ferrax-nn integration tests (each test binary uses a
//! subset, hence `dead_code`). Fixtures live in the repository's `tests/golden/` and are
//! written by the scripts in `scripts/` from the real JAX/Flax.
#![allow(dead_code)]

use ferrax::prelude::*;
use serde_json::Value;

/// Parses `tests/golden/<name>`.
pub fn golden(name: &str) -> Value {
    let path = format!("{}/../../tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run the generator named in its header)"));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A numpy dtype name as a [`DType`].
pub fn dtype_of(name: &str) -> DType {
    match name {
        "bool" => DType::Bool,
        "int32" => DType::I32,
        "int64" => DType::I64,
        "uint8" => DType::U8,
        "uint32" => DType::U32,
        "float16" => DType::F16,
        "bfloat16" => DType::BF16,
        "float32" => DType::F32,
        "float64" => DType::F64,
        other => panic!("dtype {other}"),
    }
}

/// A JSON array of non-negative integers.
pub fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

/// `{"shape", "bits"}` of a fixture array (u32 words: f32 bit patterns or u32 values).
pub fn shaped_bits(v: &Value) -> (Vec<usize>, Vec<u32>) {
    let bits = v["bits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect();
    (usizes(&v["shape"]), bits)
}

/// An f32 fixture array as an [`Array`].
pub fn f32_array(v: &Value) -> Array {
    let (shape, bits) = shaped_bits(v);
    Array::from_vec(
        bits.into_iter().map(f32::from_bits).collect::<Vec<_>>(),
        shape,
    )
    .unwrap()
}

/// The u32 words of an f32 or u32 array.
pub fn bits_of(a: &Array) -> Vec<u32> {
    match a.dtype() {
        DType::F32 => a
            .to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f32::to_bits)
            .collect(),
        _ => a.to_vec::<u32>().unwrap(),
    }
}

/// Asserts `a` has the fixture array's shape and bits.
pub fn check_bits(a: &Array, want: &Value, what: &str) {
    let (shape, bits) = shaped_bits(want);
    assert_eq!(a.shape(), shape.as_slice(), "{what}: shape");
    assert_eq!(bits_of(a), bits, "{what}: bits");
}

/// SHA-256 of `bytes`, lower-case hex (how the fixtures record whole outputs).
pub fn sha(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first `n` little-endian values of `width` bytes in `bytes`, as `0x`-prefixed hex of
/// the value's full width (how the fixtures record leading values).
pub fn hexes(bytes: &[u8], width: usize, n: usize) -> Vec<String> {
    bytes
        .chunks(width)
        .take(n)
        .map(|c| {
            let v = c
                .iter()
                .enumerate()
                .fold(0u64, |acc, (i, b)| acc | (*b as u64) << (8 * i));
            format!("0x{v:0w$x}", w = 2 * width)
        })
        .collect()
}
