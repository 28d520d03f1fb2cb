//! `special::log1p`, `special::erf_inv`, `special::pow` and `special::log_libm` in f32
//! against the real JAX
//! 0.10.2, bit for bit, on the input sweeps of `scripts/golden_special.py`
//! (`tests/golden/special.json`): the whole f32 bit space on a prime stride, and dense
//! sweeps of the ranges where the functions switch branches (for `pow`, pairs of sweeps). NaN payloads are not compared (both sides write NaN as
//! 0x7fc00000 before hashing).

use ferrax::prelude::*;
use ferrax_random::special;
use sha2::{Digest, Sha256};

const CANONICAL_NAN: u32 = 0x7fc0_0000;

fn field<'a>(case: &'a serde_json::Value, k: &str) -> &'a serde_json::Value {
    case.get(k)
        .unwrap_or_else(|| panic!("special.json: case without {k}: {case}"))
}

fn int(case: &serde_json::Value, k: &str) -> u64 {
    field(case, k)
        .as_u64()
        .unwrap_or_else(|| panic!("special.json: {k} is not an integer"))
}

fn text<'a>(case: &'a serde_json::Value, k: &str) -> &'a str {
    field(case, k)
        .as_str()
        .unwrap_or_else(|| panic!("special.json: {k} is not a string"))
}

/// The f32 inputs of a sweep: bit patterns `(start + i * stride) mod 2^32`.
fn sweep(start: u64, stride: u64, count: u64) -> Vec<f32> {
    (0..count)
        .map(|i| f32::from_bits(((start + i * stride) % (1u64 << 32)) as u32))
        .collect()
}

#[test]
fn special_functions_match_jax_bits() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/special.json"
    );
    let text_json = std::fs::read_to_string(path).expect("read tests/golden/special.json");
    let doc: serde_json::Value = serde_json::from_str(&text_json).expect("parse special.json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 12, "special.json has {} cases", cases.len());

    let mut log1p = ferrax::jit(|x: &Tensor| special::log1p(x));
    let mut erf_inv = ferrax::jit(|x: &Tensor| special::erf_inv(x));
    let mut pow = ferrax::jit(|x: &Tensor, y: &Tensor| special::pow(x, y));
    let mut log_libm = ferrax::jit(|x: &Tensor| special::log_libm(x));
    let mut failures = Vec::new();
    for case in cases {
        let (fname, name) = (text(case, "fn"), text(case, "sweep"));
        let xs = sweep(int(case, "start"), int(case, "stride"), int(case, "count"));
        let n = xs.len();
        let x = Array::from_vec(xs, vec![n]).expect("input array");
        let y = match fname {
            "log1p" => log1p.call(&[&x]),
            "erf_inv" => erf_inv.call(&[&x]),
            "log_libm" => log_libm.call(&[&x]),
            "pow" => {
                let ys = sweep(int(case, "ystart"), int(case, "ystride"), n as u64);
                let y = Array::from_vec(ys, vec![n]).expect("exponent array");
                pow.call(&[&x, &y])
            }
            other => panic!("special.json: unknown fn {other}"),
        }
        .and_then(|y| y.to_vec::<f32>())
        .unwrap_or_else(|e| panic!("{fname} {name}: {e}"));
        let bits: Vec<u32> = y
            .iter()
            .map(|v| {
                if v.is_nan() {
                    CANONICAL_NAN
                } else {
                    v.to_bits()
                }
            })
            .collect();
        let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
        let sha: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let head: Vec<String> = bits.iter().take(8).map(|b| format!("{b:#010x}")).collect();
        let want_head: Vec<&str> = field(case, "head")
            .as_array()
            .expect("head")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        if sha != text(case, "sha256") || head != want_head {
            failures.push(format!(
                "{fname} {name} ({n} inputs): bits differ\n  got  {head:?}\n  want {want_head:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
