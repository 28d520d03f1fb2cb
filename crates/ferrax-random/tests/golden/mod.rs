//! Reads the golden vectors of `tests/golden/random/*.jsonl` (made by
//! `scripts/golden_random.py` from the real JAX) and checks ferrax-random against them.
//!
//! The cases of a family are traced, up to [`CHUNK`] at a time and each under its own x64
//! and layout settings, into one jitted program whose inputs are the key data of every
//! case and the array arguments, as JAX passes them at run time; each case's output is
//! compared by SHA-256 of its bytes and its leading bit patterns.

// Shared by several test binaries, each of which uses a part of it.
#![allow(dead_code)]

use ferrax::prelude::*;
use ferrax::{Error, Literal};
use ferrax_random as random;
use ferrax_random::{config, Key, Param};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub struct Case {
    pub fn_name: String,
    pub seed: i64,
    pub x64: bool,
    pub partitionable: bool,
    pub args: Value,
    pub out_shape: Vec<usize>,
    pub out_dtype: DType,
    pub sha256: String,
    pub head: Vec<String>,
    pub line: usize,
}

pub fn dtype_of(name: &str) -> Option<DType> {
    Some(match name {
        "bool" => DType::Bool,
        "int8" => DType::I8,
        "int16" => DType::I16,
        "int32" => DType::I32,
        "int64" => DType::I64,
        "uint8" => DType::U8,
        "uint16" => DType::U16,
        "uint32" => DType::U32,
        "uint64" => DType::U64,
        "float16" => DType::F16,
        "bfloat16" => DType::BF16,
        "float32" => DType::F32,
        "float64" => DType::F64,
        _ => return None,
    })
}

pub fn load(family: &str) -> Vec<Case> {
    let path = format!(
        "{}/../../tests/golden/random/{family}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run scripts/golden_random.py)"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l).expect("fixture line is JSON");
            let out = &v["out"];
            Case {
                fn_name: v["fn"].as_str().unwrap().to_string(),
                seed: v["seed"].as_i64().unwrap(),
                x64: v["x64"].as_bool().unwrap(),
                partitionable: v["partitionable"].as_bool().unwrap(),
                args: v["args"].clone(),
                out_shape: out["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap() as usize)
                    .collect(),
                out_dtype: dtype_of(out["dtype"].as_str().unwrap()).unwrap(),
                sha256: out["sha256"].as_str().unwrap().to_string(),
                head: out["head"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap().to_string())
                    .collect(),
                line: i + 1,
            }
        })
        .collect()
}

/// Program inputs beyond the key data: array arguments, decoded from the fixtures.
#[derive(Default)]
pub struct Inputs {
    pub arrays: Vec<Array>,
}

impl Inputs {
    fn add(&mut self, v: &Value) -> usize {
        let dtype = dtype_of(v["dtype"].as_str().unwrap()).unwrap();
        let shape: Vec<usize> = v["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        let hex = v["hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let lit = Literal::from_bytes(TensorType::new(dtype, shape), bytes).unwrap();
        self.arrays.push(Array::from_literal(lit));
        self.arrays.len() // input 0 is the key data
    }
}

/// A case's arguments, resolved against the traced inputs.
pub struct Args<'a> {
    pub v: &'a Value,
    pub inputs: &'a [Tensor],
    pub slots: &'a std::collections::HashMap<String, usize>,
}

impl Args<'_> {
    pub fn shape(&self, name: &str) -> Option<Vec<usize>> {
        let s = self.v.get(name)?;
        if s.is_null() {
            return None;
        }
        Some(
            s.as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect(),
        )
    }
    pub fn dtype(&self, name: &str) -> Option<DType> {
        self.v.get(name)?.as_str().and_then(dtype_of)
    }
    pub fn str(&self, name: &str) -> Option<&str> {
        self.v.get(name)?.as_str()
    }
    pub fn bool(&self, name: &str, default: bool) -> bool {
        self.v
            .get(name)
            .and_then(|b| b.as_bool())
            .unwrap_or(default)
    }
    pub fn int(&self, name: &str, default: i64) -> i64 {
        self.v.get(name).and_then(|b| b.as_i64()).unwrap_or(default)
    }
    pub fn tensor(&self, name: &str) -> Option<Tensor> {
        self.slots.get(name).map(|&i| self.inputs[i].clone())
    }
    /// A number (int or float, as in the fixture) or an array input.
    pub fn param(&self, name: &str) -> Option<Param> {
        let x = self.v.get(name)?;
        if x.is_null() {
            return None;
        }
        if x.is_object() {
            return self.tensor(name).map(Param::Tensor);
        }
        if let Some(i) = x.as_i64() {
            if !x.to_string().contains('.') && !x.to_string().contains('e') {
                return Some(Param::Int(i));
            }
        }
        if x.is_u64() {
            return Some(Param::Int(x.as_u64().unwrap() as i64));
        }
        x.as_f64().map(Param::Float)
    }
    pub fn mode(&self) -> Option<random::Mode> {
        self.str("mode").map(|m| match m {
            "high" => random::Mode::High,
            "highest" => random::Mode::Highest,
            _ => random::Mode::Low,
        })
    }
}

pub type Builder = fn(&Case, &Key, &Args) -> ferrax::Result<Tensor>;

/// One mismatch, for the report.
pub struct Failure {
    pub what: String,
}

fn hex_of(bytes: &[u8], width: usize, n: usize) -> Vec<String> {
    bytes
        .chunks(width)
        .take(n)
        .map(|c| {
            let mut v: u64 = 0;
            for (i, b) in c.iter().enumerate() {
                v |= (*b as u64) << (8 * i);
            }
            format!("0x{:0w$x}", v, w = 2 * width)
        })
        .collect()
}

/// The largest distance in units in the last place between two float byte strings.
fn max_ulp(a: &[u8], b: &[u8], dtype: DType) -> Option<u64> {
    if !dtype.is_float() || a.len() != b.len() {
        return None;
    }
    let w = dtype.byte_size();
    let ord = |c: &[u8]| -> i128 {
        let mut v: u64 = 0;
        for (i, x) in c.iter().enumerate() {
            v |= (*x as u64) << (8 * i);
        }
        let sign = 1u64 << (8 * w - 1);
        if v & sign != 0 {
            -((v & !sign) as i128)
        } else {
            v as i128
        }
    };
    Some(
        a.chunks(w)
            .zip(b.chunks(w))
            .map(|(x, y)| (ord(x) - ord(y)).unsigned_abs() as u64)
            .max()
            .unwrap_or(0),
    )
}

/// Which cases run: every case with `FERRAX_GOLDEN_FULL=1`, else every sixth one (XLA
/// compiles each case in 50-100 ms here; the full set covers every mode and argument kind
/// of a family, the default subset most of them).
fn stride() -> usize {
    match std::env::var("FERRAX_GOLDEN_FULL") {
        Ok(v) if !v.is_empty() && v != "0" => 1,
        _ => 6,
    }
}

/// Cases per program: XLA's compile time grows with the program, about 25 ms per case on
/// this machine whether cases share a program or not, but the fixed cost of a program
/// (~50 ms) is paid once per chunk, and chunks bound the compiler's memory.
const CHUNK: usize = 32;

/// Runs the cases of `family` with `build`, in programs of up to `chunk` cases (each case
/// traced under its own x64 and layout settings), and returns (cases checked, failures).
pub fn run_family(family: &str, build: Builder, chunk: usize) -> (usize, Vec<Failure>) {
    let stride = stride();
    let cases: Vec<Case> = load(family)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % stride == 0)
        .map(|(_, c)| c)
        .collect();
    let mut failures = Vec::new();
    let all: Vec<&Case> = cases.iter().collect();
    for group in all.chunks(chunk.max(1)) {
        // Inputs: key data [n, 2], then the array arguments.
        let mut kd = Vec::with_capacity(group.len() * 2);
        for c in group {
            let _x64 = config::enable_x64_scope(c.x64);
            kd.extend_from_slice(&random::key_data_of_seed(c.seed));
        }
        let keys = Array::from_vec(kd, [group.len(), 2]).unwrap();
        let mut inputs = Inputs::default();
        let mut slots: Vec<std::collections::HashMap<String, usize>> = Vec::new();
        for c in group {
            let mut m = std::collections::HashMap::new();
            if let Some(obj) = c.args.as_object() {
                for (k, v) in obj {
                    if v.is_object() {
                        m.insert(k.clone(), inputs.add(v));
                    }
                }
            }
            slots.push(m);
        }
        // Cases whose output is empty, or which fail to build, produce no program output.
        let mut outputs_of: Vec<Option<usize>> = vec![None; group.len()];
        let build_errors = std::cell::RefCell::new(Vec::<(usize, Error)>::new());
        let mut traced_types: Vec<Option<(Vec<usize>, DType)>> = vec![None; group.len()];
        let mut f = ferrax::jit(|ins: &[Tensor]| -> ferrax::Result<Vec<Tensor>> {
            let mut outs = Vec::new();
            for (i, c) in group.iter().enumerate() {
                let kdata = ins[0].slice(&[i, 0], &[i + 1, 2], &[1, 1])?.reshape([2])?;
                let key = random::wrap_key_data(&kdata)?;
                let args = Args {
                    v: &c.args,
                    inputs: ins,
                    slots: &slots[i],
                };
                // The settings are read while tracing: scope them to this case.
                let _x64 = config::enable_x64_scope(c.x64);
                let _part = config::threefry_partitionable_scope(c.partitionable);
                match build(c, &key, &args) {
                    Ok(t) => {
                        traced_types[i] = Some((t.shape().to_vec(), t.dtype()));
                        if t.shape().iter().product::<usize>() > 0 {
                            outputs_of[i] = Some(outs.len());
                            outs.push(t);
                        }
                    }
                    Err(e) => build_errors.borrow_mut().push((i, e)),
                }
            }
            Ok(outs)
        });
        let mut args: Vec<&Array> = vec![&keys];
        args.extend(inputs.arrays.iter());
        let results = match f.call(&args[..]) {
            Ok(r) => r,
            Err(e) => {
                failures.push(Failure {
                    what: format!("{family} (lines {}..): program failed: {e}", group[0].line),
                });
                continue;
            }
        };
        drop(f);
        for (i, e) in build_errors.into_inner() {
            let c = group[i];
            failures.push(Failure {
                what: format!(
                    "{family}:{} {} seed={} x64={} part={} args={}: error: {e}",
                    c.line, c.fn_name, c.seed, c.x64, c.partitionable, c.args
                ),
            });
        }
        for (i, c) in group.iter().enumerate() {
            let Some((shape, dtype)) = &traced_types[i] else {
                continue;
            };
            let ctx = format!(
                "{family}:{} {} seed={} x64={} part={} args={}",
                c.line, c.fn_name, c.seed, c.x64, c.partitionable, c.args
            );
            if shape != &c.out_shape || *dtype != c.out_dtype {
                failures.push(Failure {
                    what: format!(
                        "{ctx}: got {dtype}{shape:?}, expected {}{:?}",
                        c.out_dtype, c.out_shape
                    ),
                });
                continue;
            }
            let bytes = match outputs_of[i] {
                Some(j) => results[j].to_bytes().unwrap(),
                None => Vec::new(),
            };
            let sha: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let head = hex_of(&bytes, dtype.byte_size(), c.head.len());
            if sha != c.sha256 || head != c.head {
                let ulp = expected_ulp(c, &bytes);
                failures.push(Failure {
                    what: format!(
                        "{ctx}: bits differ{ulp}\n    got  {head:?}\n    want {:?}",
                        c.head
                    ),
                });
            }
        }
    }
    (cases.len(), failures)
}

/// For float mismatches, the max ulp distance over the leading values we know.
fn expected_ulp(c: &Case, got: &[u8]) -> String {
    let w = c.out_dtype.byte_size();
    let mut want = Vec::new();
    for h in &c.head {
        let v = u64::from_str_radix(h.trim_start_matches("0x"), 16).unwrap();
        want.extend_from_slice(&v.to_le_bytes()[..w]);
    }
    let n = want.len().min(got.len());
    match max_ulp(&got[..n], &want[..n], c.out_dtype) {
        Some(u) => format!(" (max {u} ulp over the leading values)"),
        None => String::new(),
    }
}

/// Checks `family` with programs of up to [`CHUNK`] cases.
pub fn check(family: &str, build: Builder) {
    check_chunked(family, build, CHUNK)
}

/// Checks `family` with programs of up to `chunk` cases. Use 1 for samplers whose bits
/// depend on XLA's fusion decisions (reductions whose adds XLA may contract into FMAs
/// differently when other cases share the program), so each case runs as JAX runs it.
pub fn check_chunked(family: &str, build: Builder, chunk: usize) {
    let t = std::time::Instant::now();
    let (n, failures) = run_family(family, build, chunk);
    eprintln!(
        "{family}: {} of {n} cases bit-exact ({:.1}s{})",
        n - failures.len(),
        t.elapsed().as_secs_f64(),
        if stride() > 1 {
            "; every sixth case, FERRAX_GOLDEN_FULL=1 runs all"
        } else {
            ""
        }
    );
    if !failures.is_empty() {
        for f in failures.iter().take(25) {
            eprintln!("  {}", f.what);
        }
        panic!("{family}: {} of {n} cases differ from JAX", failures.len());
    }
}
