//! The golden-vector harness of ferrax-random's tests: reads the fixtures that
//! `scripts/golden_random.py` (`tests/golden/random/*.jsonl`) and
//! `scripts/golden_random_samplers.py` (`tests/golden/random-samplers/*.jsonl`) make from
//! the real JAX, runs ferrax-random on the same keys and arguments, and judges each case:
//! bit for bit (SHA-256 of the bytes and the leading bit patterns), within a few ulp, or
//! within a relative tolerance (the LAPACK-backed samplers; needs the fixture's full `hex`).

// Shared by several test binaries, each of which uses a part of it.
#![allow(dead_code)]

use ferrax::prelude::*;
use ferrax::{Error, Literal};
use ferrax_random as random;
use ferrax_random::{config, Key, Param};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

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
    pub hex: Option<String>,
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

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn load_from(dir: &str, script: &str, family: &str) -> Vec<Case> {
    let path = format!(
        "{}/../../tests/golden/{dir}/{family}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run scripts/{script})"));
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
                out_shape: usizes(&out["shape"]),
                out_dtype: dtype_of(out["dtype"].as_str().unwrap()).unwrap(),
                sha256: out["sha256"].as_str().unwrap().to_string(),
                head: out["head"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap().to_string())
                    .collect(),
                hex: out.get("hex").and_then(|h| h.as_str()).map(str::to_string),
                line: i + 1,
            }
        })
        .collect()
}

/// The cases of `tests/golden/random/<family>.jsonl` (`scripts/golden_random.py`).
pub fn load(family: &str) -> Vec<Case> {
    load_from("random", "golden_random.py", family)
}

/// The cases of `tests/golden/random-samplers/<family>.jsonl`
/// (`scripts/golden_random_samplers.py`).
pub fn load_samplers(family: &str) -> Vec<Case> {
    load_from("random-samplers", "golden_random_samplers.py", family)
}

/// A case's arguments, resolved against the traced inputs.
pub struct Args<'a> {
    pub v: &'a Value,
    pub inputs: &'a [Tensor],
    pub slots: &'a HashMap<String, usize>,
}

impl Args<'_> {
    pub fn shape(&self, name: &str) -> Option<Vec<usize>> {
        let s = self.v.get(name)?;
        if s.is_null() {
            return None;
        }
        Some(usizes(s))
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
    pub fn opt_int(&self, name: &str) -> Option<i64> {
        self.v.get(name).and_then(|b| b.as_i64())
    }
    pub fn tensor(&self, name: &str) -> Option<Tensor> {
        self.slots.get(name).map(|&i| self.inputs[i].clone())
    }
    /// An array argument as a constant of the program (not an input).
    #[allow(dead_code)]
    pub fn constant(&self, name: &str) -> Option<Tensor> {
        let v = self.v.get(name)?;
        let dtype = dtype_of(v["dtype"].as_str()?)?;
        let lit = Literal::from_bytes(
            TensorType::new(dtype, usizes(&v["shape"])),
            hex_bytes(v["hex"].as_str()?),
        )
        .ok()?;
        Some(Tensor::constant(lit))
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
        let s = x.to_string();
        if let Some(i) = x.as_i64() {
            if !s.contains('.') && !s.contains('e') {
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

fn floats(bytes: &[u8], dtype: DType) -> Vec<f64> {
    match dtype {
        DType::F64 => bytes
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        _ => bytes
            .chunks(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
            .collect(),
    }
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
    a.chunks(w)
        .zip(b.chunks(w))
        .map(|(x, y)| (ord(x) - ord(y)).unsigned_abs() as u64)
        .max()
}

/// How a case's output is judged.
#[derive(Clone, Copy, PartialEq)]
pub enum Judge {
    /// Bit for bit.
    Exact,
    /// Within `tol` of max |expected| (needs the fixture's full "hex").
    Close { tol32: f64, tol64: f64 },
}

pub struct Outcome {
    pub checked: usize,
    pub failures: Vec<String>,
    /// (case description, max |got - want| / max |want|) for the tolerance judges.
    pub deviations: Vec<(String, f64)>,
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

/// Cases per program for `tests/golden/random`: XLA's compile time grows with the program,
/// about 25 ms per case on this machine whether cases share a program or not, but the fixed
/// cost of a program (~50 ms) is paid once per chunk, and chunks bound the compiler's memory.
const CHUNK: usize = 32;

/// Runs `cases` with `build` and judges each with `judge`. Cases are traced, up to `chunk`
/// at a time and each under its own x64 and layout settings, into one jitted program whose
/// inputs are the key data of every case and the array arguments (as JAX passes them at
/// run time). With `by_mode`, each program holds cases of one (x64, layout) mode only, and
/// that mode is also in force while the program is called.
fn run_cases(
    family: &str,
    cases: &[Case],
    build: Builder,
    judge: &dyn Fn(&Case) -> Judge,
    chunk: usize,
    by_mode: bool,
) -> Outcome {
    let mut out = Outcome {
        checked: cases.len(),
        failures: Vec::new(),
        deviations: Vec::new(),
    };
    let mut groups: Vec<Vec<&Case>> = Vec::new();
    if by_mode {
        let mut modes: Vec<(bool, bool)> = cases.iter().map(|c| (c.x64, c.partitionable)).collect();
        modes.sort();
        modes.dedup();
        for (x64, part) in modes {
            let of_mode: Vec<&Case> = cases
                .iter()
                .filter(|c| c.x64 == x64 && c.partitionable == part)
                .collect();
            groups.extend(of_mode.chunks(chunk.max(1)).map(<[_]>::to_vec));
        }
    } else {
        let all: Vec<&Case> = cases.iter().collect();
        groups.extend(all.chunks(chunk.max(1)).map(<[_]>::to_vec));
    }
    for group in groups {
        let _mode = by_mode.then(|| {
            (
                config::enable_x64_scope(group[0].x64),
                config::threefry_partitionable_scope(group[0].partitionable),
            )
        });
        let mut kd = Vec::with_capacity(group.len() * 2);
        for c in &group {
            let _x64 = config::enable_x64_scope(c.x64);
            kd.extend_from_slice(&random::key_data_of_seed(c.seed));
        }
        let keys = Array::from_vec(kd, [group.len(), 2]).unwrap();
        let mut arrays: Vec<Array> = Vec::new();
        let mut slots: Vec<HashMap<String, usize>> = Vec::new();
        for c in &group {
            let mut m = HashMap::new();
            if let Some(obj) = c.args.as_object() {
                for (k, v) in obj {
                    if v.is_object() {
                        let dtype = dtype_of(v["dtype"].as_str().unwrap()).unwrap();
                        let lit = Literal::from_bytes(
                            TensorType::new(dtype, usizes(&v["shape"])),
                            hex_bytes(v["hex"].as_str().unwrap()),
                        )
                        .unwrap();
                        arrays.push(Array::from_literal(lit));
                        m.insert(k.clone(), arrays.len()); // input 0 is the key data
                    }
                }
            }
            slots.push(m);
        }
        let mut outputs_of: Vec<Option<usize>> = vec![None; group.len()];
        let build_errors = std::cell::RefCell::new(Vec::<(usize, Error)>::new());
        let mut traced: Vec<Option<(Vec<usize>, DType)>> = vec![None; group.len()];
        let mut f = ferrax::jit(|ins: &[Tensor]| -> ferrax::Result<Vec<Tensor>> {
            let mut outs = Vec::new();
            for (i, c) in group.iter().enumerate() {
                // The settings are read while tracing: scope them to this case.
                let _x64 = config::enable_x64_scope(c.x64);
                let _part = config::threefry_partitionable_scope(c.partitionable);
                let kdata = ins[0].slice(&[i, 0], &[i + 1, 2], &[1, 1])?.reshape([2])?;
                let key = random::wrap_key_data(&kdata)?;
                let args = Args {
                    v: &c.args,
                    inputs: ins,
                    slots: &slots[i],
                };
                match build(c, &key, &args) {
                    Ok(t) => {
                        traced[i] = Some((t.shape().to_vec(), t.dtype()));
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
        args.extend(arrays.iter());
        let results = match f.call(&args[..]) {
            Ok(r) => r,
            Err(e) => {
                out.failures.push(format!(
                    "{family} (lines {}..): program failed: {e}",
                    group[0].line
                ));
                continue;
            }
        };
        drop(f);
        for (i, e) in build_errors.into_inner() {
            let c = group[i];
            out.failures.push(format!(
                "{family}:{} {} seed={} x64={} part={} args={}: error: {e}",
                c.line, c.fn_name, c.seed, c.x64, c.partitionable, c.args
            ));
        }
        for (i, c) in group.iter().enumerate() {
            let Some((shape, dtype)) = &traced[i] else {
                continue;
            };
            let ctx = format!(
                "{family}:{} {} seed={} x64={} part={} args={}",
                c.line,
                c.fn_name,
                c.seed,
                c.x64,
                c.partitionable,
                short(&c.args)
            );
            if shape != &c.out_shape || *dtype != c.out_dtype {
                out.failures.push(format!(
                    "{ctx}: got {dtype}{shape:?}, expected {}{:?}",
                    c.out_dtype, c.out_shape
                ));
                continue;
            }
            let bytes = match outputs_of[i] {
                Some(j) => results[j].to_bytes().unwrap(),
                None => Vec::new(),
            };
            match judge(c) {
                Judge::Exact => {
                    let sha: String = Sha256::digest(&bytes)
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect();
                    let head = hex_of(&bytes, dtype.byte_size(), c.head.len());
                    if sha != c.sha256 || head != c.head {
                        let ulp = expected_ulp(c, &bytes);
                        out.failures.push(format!(
                            "{ctx}: bits differ{ulp}\n    got  {head:?}\n    want {:?}",
                            c.head
                        ));
                    }
                }
                j => {
                    let want = floats(&hex_bytes(c.hex.as_deref().unwrap()), *dtype);
                    let got = floats(&bytes, *dtype);
                    let scale = want.iter().fold(0f64, |m, v| m.max(v.abs())).max(1e-30);
                    let dev =
                        got.iter()
                            .zip(&want)
                            .map(|(g, w)| (g - w).abs())
                            .fold(
                                0f64,
                                |m, v| if v.is_nan() { f64::INFINITY } else { m.max(v) },
                            )
                            / scale;
                    out.deviations.push((ctx.clone(), dev));
                    if let Judge::Close { tol32, tol64 } = j {
                        let tol = if *dtype == DType::F64 { tol64 } else { tol32 };
                        if dev.is_nan() || dev > tol {
                            out.failures
                                .push(format!("{ctx}: relative deviation {dev:.3e} > {tol:.0e}"));
                        }
                    }
                }
            }
        }
    }
    out
}

fn short(v: &Value) -> String {
    let mut v = v.clone();
    if let Some(obj) = v.as_object_mut() {
        for (_, x) in obj.iter_mut() {
            if x.is_object() {
                let d = x["dtype"].clone();
                let s = x["shape"].clone();
                *x = serde_json::json!({"dtype": d, "shape": s});
            }
        }
    }
    v.to_string()
}

/// The max ulp distance over the leading values the fixture records.
fn head_ulp(c: &Case, got: &[u8]) -> Option<u64> {
    let w = c.out_dtype.byte_size();
    let mut want = Vec::new();
    for h in &c.head {
        let v = u64::from_str_radix(h.trim_start_matches("0x"), 16).unwrap();
        want.extend_from_slice(&v.to_le_bytes()[..w]);
    }
    let n = want.len().min(got.len());
    max_ulp(&got[..n], &want[..n], c.out_dtype)
}

fn expected_ulp(c: &Case, got: &[u8]) -> String {
    match head_ulp(c, got) {
        Some(u) => format!(" (max {u} ulp over the leading values)"),
        None => String::new(),
    }
}

fn report(family: &str, o: &Outcome, t: std::time::Instant, note: &str) {
    let exact = o.checked - o.failures.len() - o.deviations.len();
    eprintln!(
        "{family}: {} of {} cases pass, {exact} bit-exact ({:.1}s{note})",
        o.checked - o.failures.len(),
        o.checked,
        t.elapsed().as_secs_f64()
    );
    if let Some((ctx, d)) = o
        .deviations
        .iter()
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Greater))
    {
        eprintln!("  max relative deviation {d:.3e} at {ctx}");
    }
    if !o.failures.is_empty() {
        for f in o.failures.iter().take(25) {
            eprintln!("  {f}");
        }
        panic!("{family}: {} of {} cases fail", o.failures.len(), o.checked);
    }
}

/// Every (sixth, see [`stride`]) case of `tests/golden/random/<family>.jsonl` bit-exact,
/// in programs of up to [`CHUNK`] cases.
pub fn check(family: &str, build: Builder) {
    let t = std::time::Instant::now();
    let stride = stride();
    let cases: Vec<Case> = load(family).into_iter().step_by(stride).collect();
    let o = run_cases(family, &cases, build, &|_| Judge::Exact, CHUNK, false);
    let note = if stride > 1 {
        "; every sixth case, FERRAX_GOLDEN_FULL=1 runs all"
    } else {
        ""
    };
    report(family, &o, t, note);
}

/// All cases of `tests/golden/random-samplers/<family>.jsonl`, one program per mode,
/// judged by `judge`; `show_deviations` prints every case's deviation before the verdict.
fn run_samplers(
    family: &str,
    build: Builder,
    judge: &dyn Fn(&Case) -> Judge,
    show_deviations: bool,
) -> Outcome {
    let t = std::time::Instant::now();
    let o = run_cases(
        family,
        &load_samplers(family),
        build,
        judge,
        usize::MAX,
        true,
    );
    if show_deviations {
        for (ctx, d) in &o.deviations {
            eprintln!("  {d:.3e}  {ctx}");
        }
    }
    report(family, &o, t, "");
    o
}

/// Every sampler case bit-exact.
pub fn check_samplers(family: &str, build: Builder) {
    run_samplers(family, build, &|_| Judge::Exact, false);
}

/// Sampler cases judged by `judge` (tolerance for the LAPACK-backed ones); every case's
/// deviation is printed.
pub fn check_samplers_close(family: &str, build: Builder, judge: fn(&Case) -> Judge) -> Outcome {
    run_samplers(family, build, &judge, true)
}
