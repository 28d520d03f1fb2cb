//! Shared helpers of the differential tests: a deterministic PRNG, input generators that mix
//! special values with random ones, a small graph builder, running one graph both on the
//! PJRT plugin and on the host reference evaluator (`ferrax_ir::interp`), and bitwise / ulp
//! comparison of the results.
//!
//! Graphs are compiled as built ([`ferrax::Runtime::compile`] without `passes::optimize`)
//! and every input is a parameter, so the plugin computes every op itself; nothing is
//! constant-folded on the host.

#![allow(dead_code)]

use ferrax::exec::execute;
use ferrax::ir::{interp, rules, Graph, Literal, Op, Region, Value};
use ferrax::{Array, BinaryOp, DType, Runtime, Shape, TensorType};
use std::fmt::Write as _;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------

/// SplitMix64: small, fast and good enough for test inputs.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from a name (FNV-1a), so every case has its own stream.
    pub fn named(name: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// One element of `xs`.
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------
// Element bits
// ---------------------------------------------------------------------------------------

/// Every float dtype.
pub const FLOATS: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];
/// Every signed and unsigned integer dtype.
pub const INTS: [DType; 8] = [
    DType::I8,
    DType::I16,
    DType::I32,
    DType::I64,
    DType::U8,
    DType::U16,
    DType::U32,
    DType::U64,
];
/// The dtypes data-movement ops are checked on.
pub const MOVE_DTYPES: [DType; 6] = [
    DType::F32,
    DType::F64,
    DType::I32,
    DType::U32,
    DType::Bool,
    DType::BF16,
];

/// `(exponent bits, mantissa bits)` of a float dtype.
pub fn float_format(d: DType) -> (u32, u32) {
    match d {
        DType::F16 => (5, 10),
        DType::BF16 => (8, 7),
        DType::F32 => (8, 23),
        DType::F64 => (11, 52),
        _ => panic!("{d} is not a float"),
    }
}

/// Mask of the low `bits` bits.
pub fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The width of `d` in bits (bool: 8, its storage).
pub fn width(d: DType) -> u32 {
    d.byte_size() as u32 * 8
}

/// True if `bits` is a NaN of float dtype `d`.
pub fn is_nan_bits(d: DType, bits: u64) -> bool {
    let (e, m) = float_format(d);
    (bits >> m) & mask(e) == mask(e) && bits & mask(m) != 0
}

/// The bits of `v` rounded to float dtype `d` (or cast to an integer dtype as Rust `as`).
pub fn bits_of_f64(d: DType, v: f64) -> u64 {
    let l = Literal::scalar_f64(d, v);
    bits_at(&l, 0)
}

/// The bits of integer `v` wrapped to the width of `d`.
pub fn bits_of_int(d: DType, v: i128) -> u64 {
    if d == DType::Bool {
        return u64::from(v != 0);
    }
    (v as u64) & mask(width(d))
}

/// Element `i` of a literal as raw bits (zero-extended).
pub fn bits_at(l: &Literal, i: usize) -> u64 {
    let w = l.dtype().byte_size();
    let mut a = [0u8; 8];
    a[..w].copy_from_slice(&l.bytes()[i * w..(i + 1) * w]);
    u64::from_le_bytes(a)
}

/// A literal of type `d[shape]` holding raw element bits.
pub fn lit_bits(d: DType, shape: &[usize], bits: &[u64]) -> Literal {
    let ty = TensorType::new(d, shape.to_vec());
    assert_eq!(ty.shape.numel(), bits.len(), "{ty}");
    let w = d.byte_size();
    let mut bytes = Vec::with_capacity(bits.len() * w);
    for &b in bits {
        let b = if d == DType::Bool { b & 1 } else { b };
        bytes.extend_from_slice(&b.to_le_bytes()[..w]);
    }
    Literal::from_bytes(ty, bytes).expect("byte count matches")
}

/// Element `i` decoded as a float (any dtype).
pub fn f64_at(l: &Literal, i: usize) -> f64 {
    l.get_f64(i)
}

/// Element `i` decoded as an exact integer (integer and bool dtypes).
pub fn int_at(l: &Literal, i: usize) -> i128 {
    let b = bits_at(l, i);
    let d = l.dtype();
    if d.is_signed_int() {
        let s = 64 - width(d);
        i128::from(((b << s) as i64) >> s)
    } else {
        i128::from(b)
    }
}

/// A readable element: `1.5 (0x3fc00000)` for floats, the value for integers.
pub fn show(l: &Literal, i: usize) -> String {
    let d = l.dtype();
    if d.is_float() {
        let hex = 2 * d.byte_size();
        format!("{:e} (0x{:0hex$x})", f64_at(l, i), bits_at(l, i))
    } else if d == DType::Bool {
        format!("{}", bits_at(l, i) != 0)
    } else {
        format!("{}", int_at(l, i))
    }
}

// ---------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------

/// Special values of float dtype `d` as bits: signed zeros, infinities, NaNs (quiet,
/// negative, with a payload), subnormals, the normal range's ends, values at rounding
/// boundaries (x.5, the float just below 0.5, odd integers at 2^mantissa) and a few
/// ordinary and large magnitudes.
pub fn float_specials(d: DType) -> Vec<u64> {
    let (e, m) = float_format(d);
    let sign = 1u64 << (e + m);
    let inf = mask(e) << m;
    let qnan = inf | (1u64 << (m - 1));
    let half = bits_of_f64(d, 0.5);
    let two_m = 2f64.powi(m as i32);
    let mut v = vec![
        0,
        sign,
        inf,
        inf | sign,
        qnan,
        qnan | sign,
        qnan | 1,
        1,                              // smallest subnormal
        mask(m),                        // largest subnormal
        sign | 3,                       // negative subnormal
        1u64 << m,                      // smallest normal
        ((mask(e) - 1) << m) | mask(m), // largest finite
        sign | ((mask(e) - 1) << m) | mask(m),
        half - 1, // just below 0.5
        half + 1,
        sign | (half - 1),
    ];
    for x in [
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        -1.5,
        2.5,
        -2.5,
        3.5,
        -0.25,
        two_m - 0.5,
        -(two_m - 0.5),
        two_m + 1.0,
        2.0 * two_m + 2.0,
        std::f64::consts::PI,
        -std::f64::consts::FRAC_PI_2,
        std::f64::consts::E,
        0.1,
        -7.0,
        10.0,
        100.0,
        1e-3,
        -30.0,
        1e4,
        65504.0,
        1e10,
        -1e30,
        1e38,
        1e300,
        88.8,
        -104.0,
        710.0,
        -746.0,
    ] {
        v.push(bits_of_f64(d, x));
    }
    v
}

/// A random float of dtype `d`: a third random bit patterns, a third log-uniform
/// magnitudes in [2^-20, 2^20), a third uniform in [-8, 8) (half of those snapped to
/// multiples of 0.5).
pub fn random_float(rng: &mut Rng, d: DType) -> u64 {
    match rng.below(3) {
        0 => rng.next_u64() & mask(width(d)),
        1 => {
            let s = if rng.below(2) == 0 { 1.0 } else { -1.0 };
            bits_of_f64(d, s * 2f64.powf(rng.range(-20.0, 20.0)))
        }
        _ => {
            let x = rng.range(-8.0, 8.0);
            let x = if rng.below(2) == 0 {
                (x * 2.0).round() / 2.0
            } else {
                x
            };
            bits_of_f64(d, x)
        }
    }
}

/// Special values of integer dtype `d`: 0, +-1, +-2, MIN, MAX, their neighbours, the bit
/// width and its neighbours (shift amounts), and a few patterns.
pub fn int_specials(d: DType) -> Vec<u64> {
    let w = width(d);
    let (min, max): (i128, i128) = if d.is_signed_int() {
        (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1)
    } else {
        (0, (1i128 << w) - 1)
    };
    let w = i128::from(w);
    let mut v: Vec<i128> = vec![
        0,
        1,
        -1,
        2,
        -2,
        3,
        -7,
        min,
        max,
        min + 1,
        max - 1,
        w - 1,
        w,
        w + 1,
        2 * w,
        5,
        100,
        -100,
    ];
    v.push(0x5555_5555_5555_5555);
    v.push(0x0f0f_0f0f_0f0f_0f0f);
    v.into_iter().map(|x| bits_of_int(d, x)).collect()
}

/// A random integer of dtype `d`: half random bit patterns, half small values in [-16, 16].
pub fn random_int(rng: &mut Rng, d: DType) -> u64 {
    if rng.below(2) == 0 {
        rng.next_u64() & mask(width(d))
    } else {
        bits_of_int(d, i128::from(rng.below(33) as i64 - 16))
    }
}

/// Special values of any dtype.
pub fn specials(d: DType) -> Vec<u64> {
    if d == DType::Bool {
        vec![0, 1]
    } else if d.is_float() {
        float_specials(d)
    } else {
        int_specials(d)
    }
}

/// A random value of any dtype.
pub fn random_bits(rng: &mut Rng, d: DType) -> u64 {
    if d == DType::Bool {
        rng.below(2)
    } else if d.is_float() {
        random_float(rng, d)
    } else {
        random_int(rng, d)
    }
}

/// `n` random values of `d` with the specials first (as many as fit).
pub fn values(rng: &mut Rng, d: DType, n: usize) -> Vec<u64> {
    let mut v = specials(d);
    v.truncate(n);
    while v.len() < n {
        v.push(random_bits(rng, d));
    }
    v
}

/// A random literal of `d[shape]` (specials first).
pub fn random_lit(rng: &mut Rng, d: DType, shape: &[usize]) -> Literal {
    let n = shape.iter().product();
    lit_bits(d, shape, &values(rng, d, n))
}

/// A literal of `d[shape]` with values from `f(rng)` (floats in f64, rounded to `d`).
pub fn lit_with(
    rng: &mut Rng,
    d: DType,
    shape: &[usize],
    mut f: impl FnMut(&mut Rng) -> f64,
) -> Literal {
    let n: usize = shape.iter().product();
    let bits: Vec<u64> = (0..n).map(|_| bits_of_f64(d, f(rng))).collect();
    lit_bits(d, shape, &bits)
}

/// Two equal-length operand lists: every pair of specials, then `extra` random pairs, padded
/// with random pairs to a multiple of 4.
pub fn pairs(rng: &mut Rng, da: DType, db: DType, extra: usize) -> (Vec<u64>, Vec<u64>) {
    let (sa, sb) = (specials(da), specials(db));
    let mut a = Vec::new();
    let mut b = Vec::new();
    for &x in &sa {
        for &y in &sb {
            a.push(x);
            b.push(y);
        }
    }
    while a.len() < sa.len() * sb.len() + extra || !a.len().is_multiple_of(4) {
        a.push(random_bits(rng, da));
        b.push(random_bits(rng, db));
    }
    (a, b)
}

// ---------------------------------------------------------------------------------------
// Graphs
// ---------------------------------------------------------------------------------------

/// A graph under construction; result types come from `rules::infer`.
#[derive(Default)]
pub struct Builder {
    /// The graph.
    pub g: Graph,
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Builder {
        Builder::default()
    }
    /// Adds a parameter.
    pub fn param(&mut self, t: TensorType) -> Value {
        self.g.add_parameter(t)
    }
    /// Adds a parameter of `d[shape]`.
    pub fn param_of(&mut self, d: DType, shape: &[usize]) -> Value {
        self.g.add_parameter(TensorType::new(d, shape.to_vec()))
    }
    /// The type of a value.
    pub fn ty(&self, v: Value) -> TensorType {
        self.g.value_type(v).clone()
    }
    /// Adds an op (result types from its rule; `declared` where the rule needs it).
    pub fn node(&mut self, op: Op, xs: &[Value], declared: &[TensorType]) -> Vec<Value> {
        let types: Vec<TensorType> = xs.iter().map(|v| self.ty(*v)).collect();
        let outs = rules::infer(&op, &types, declared)
            .unwrap_or_else(|e| panic!("building {}: {e}", op.name()));
        let n = outs.len();
        let id = self.g.add_node(op, xs, outs, None);
        (0..n)
            .map(|i| Value {
                node: id,
                output: i as u32,
            })
            .collect()
    }
    /// Adds a single-result op.
    pub fn one(&mut self, op: Op, xs: &[Value], declared: &[TensorType]) -> Value {
        self.node(op, xs, declared)[0]
    }
    /// A constant (only used inside regions: top-level data are parameters).
    pub fn constant(&mut self, l: Literal) -> Value {
        let t = l.ty().clone();
        Value::first(self.g.add_node(Op::Constant(l), &[], vec![t], None))
    }
    /// Finishes with `outs` as results.
    pub fn finish(mut self, outs: Vec<Value>) -> Graph {
        self.g.set_outputs(outs);
        self.g
    }
}

/// A region of scalar parameters of `dtypes` whose outputs are `f(builder, params)`.
pub fn region(dtypes: &[DType], f: impl FnOnce(&mut Builder, &[Value]) -> Vec<Value>) -> Region {
    let mut b = Builder::new();
    let ps: Vec<Value> = dtypes
        .iter()
        .map(|&d| b.param(TensorType::scalar(d)))
        .collect();
    let outs = f(&mut b, &ps);
    Arc::new(b.finish(outs))
}

/// The region `(a, b) -> op(a, b)` on scalars of `d`.
pub fn binary_region(d: DType, op: BinaryOp) -> Region {
    region(&[d, d], |b, p| {
        vec![b.one(Op::Binary(op), &[p[0], p[1]], &[])]
    })
}

/// A graph of one op applied to fresh parameters of `in_types` (result types from the rule,
/// `declared` where it needs them); its results are the op's results.
pub fn single(op: Op, in_types: &[TensorType], declared: &[TensorType]) -> Graph {
    let mut b = Builder::new();
    let ps: Vec<Value> = in_types.iter().map(|t| b.param(t.clone())).collect();
    let outs = b.node(op, &ps, declared);
    b.finish(outs)
}

// ---------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------

/// The default (CPU) runtime.
pub fn runtime() -> Arc<Runtime> {
    Runtime::default_runtime().expect("the PJRT plugin loads")
}

/// Compiles `g` as is (no host-side optimisation) and runs it on the plugin.
pub fn run_plugin(g: &Graph, args: &[Literal]) -> Result<Vec<Literal>, String> {
    let rt = runtime();
    let c = rt.compile(g).map_err(|e| format!("plugin compile: {e}"))?;
    let arrays: Vec<Array> = args.iter().cloned().map(Array::from_literal).collect();
    let outs = execute(&rt, &c, &arrays).map_err(|e| format!("plugin execute: {e}"))?;
    outs.iter()
        .map(|a| a.to_literal().map_err(|e| format!("plugin read: {e}")))
        .collect()
}

/// Runs `g` on the host reference evaluator.
pub fn run_interp(g: &Graph, args: &[Literal]) -> Result<Vec<Literal>, String> {
    interp::eval(g, args).map_err(|e| format!("interp: {e}"))
}

/// The StableHLO text of `g` (for failure messages).
pub fn hlo(g: &Graph) -> String {
    ferrax::stablehlo::lower(g, "diff").unwrap_or_else(|e| format!("<lowering failed: {e}>"))
}

// ---------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------

/// How closely a plugin result must match the reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tol {
    /// The same bytes; two NaNs are equal whatever their payloads and signs.
    Exact,
    /// Floats within `ulps` units in the last place (NaN only with NaN); non-floats exact.
    Ulp(u64),
    /// Floats within `ulps` ulp, or within `abs` absolutely (for results near zero whose
    /// relative error is meaningless, e.g. `sin(pi)`).
    UlpOrAbs(u64, f64),
    /// Floats with `|got - want| <= atol + rtol * |want|` (float accumulations); infinities
    /// and NaNs must match exactly.
    Rel(f64, f64),
}

/// Distance in ulps between two non-NaN floats of dtype `d` given as bits (0 for +-0).
pub fn ulp_distance(d: DType, a: u64, b: u64) -> u64 {
    let sign = 1u64 << (width(d) - 1);
    let key = |x: u64| -> i128 {
        if x & sign != 0 {
            -i128::from(x & !sign)
        } else {
            i128::from(x)
        }
    };
    (key(a) - key(b)).unsigned_abs() as u64
}

/// The worst error seen by a check: ulps (or, for `Rel`, the relative error) and where.
#[derive(Clone, Debug, Default)]
pub struct Worst {
    /// Largest ulp distance seen among accepted elements.
    pub ulps: u64,
    /// Largest `|got - want| / max(|want|, tiny)` seen among accepted elements.
    pub rel: f64,
    /// Largest absolute difference seen among accepted elements.
    pub abs: f64,
}

/// True for the dtypes whose subnormals XLA:CPU flushes (see [`Opts::flush`]).
pub fn flushes(d: DType) -> bool {
    matches!(d, DType::BF16 | DType::F32 | DType::F64)
}

/// True if element `i` of `l` is a subnormal of a float dtype.
pub fn is_subnormal_at(l: &Literal, i: usize) -> bool {
    let d = l.dtype();
    if !d.is_float() {
        return false;
    }
    let (e, m) = float_format(d);
    let b = bits_at(l, i);
    (b >> m) & mask(e) == 0 && b & mask(m) != 0
}

/// `l` with every bf16/f32/f64 subnormal replaced by a zero of the same sign.
pub fn flush(l: &Literal) -> Literal {
    let d = l.dtype();
    if !flushes(d) {
        return l.clone();
    }
    let sign = 1u64 << (width(d) - 1);
    let n = l.shape().numel();
    let bits: Vec<u64> = (0..n)
        .map(|i| {
            let b = bits_at(l, i);
            if is_subnormal_at(l, i) {
                b & sign
            } else {
                b
            }
        })
        .collect();
    lit_bits(d, l.shape().dims(), &bits)
}

/// Options of one differential run.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    /// Also accept, element by element, the result of the flush-to-zero model of XLA:CPU:
    /// the reference evaluated on arguments whose bf16/f32/f64 subnormals are replaced by
    /// zeros of the same sign (DAZ), with subnormal results replaced the same way (FTZ).
    ///
    /// XLA:CPU runs with the x86 DAZ and FTZ modes on: arithmetic, comparisons, conversions
    /// and math functions read bf16/f32/f64 subnormal operands as signed zeros and flush
    /// subnormal results to signed zeros (observed: `1e-45f32 + 0 = 0`,
    /// `1e-45f32 == 0` is true, `sqrt(1e-45f32) = 0`, `exp(-89f32) = 0`). Sign-bit ops
    /// (`neg`, `abs`), data movement and bitcasts keep subnormals. f16 is computed in f32,
    /// where its subnormals are normal numbers, so f16 keeps them. The reference
    /// evaluator follows IEEE (the StableHLO spec, and XLA on GPU), so both results are
    /// accepted here.
    pub flush: bool,
    /// Do not compare elements where a shown input is a subnormal (for functions whose
    /// XLA:CPU result there is neither the IEEE nor the flushed one; each use says why).
    pub skip_subnormal_inputs: bool,
}

impl Default for Opts {
    fn default() -> Opts {
        Opts {
            flush: true,
            skip_subnormal_inputs: false,
        }
    }
}

/// Collects mismatches and error maxima for one test; `finish` panics if anything failed.
pub struct Report {
    name: String,
    failures: Vec<String>,
    maxima: Vec<(String, Worst)>,
    cases: usize,
    flushed: usize,
}

/// At most this many mismatching elements are listed per check.
const SHOW: usize = 8;

impl Report {
    /// A report for test `name`.
    pub fn new(name: &str) -> Report {
        Report {
            name: name.to_owned(),
            failures: Vec::new(),
            maxima: Vec::new(),
            cases: 0,
            flushed: 0,
        }
    }

    /// Records a failure.
    pub fn fail(&mut self, msg: String) {
        self.failures.push(msg);
    }

    /// [`Report::run_opts`] with the default options.
    pub fn run(
        &mut self,
        ctx: &str,
        g: &Graph,
        args: &[Literal],
        tols: &[Tol],
        shown: &[Vec<usize>],
    ) -> Option<Vec<Literal>> {
        self.run_opts(ctx, g, args, tols, shown, Opts::default())
    }

    /// Runs `g` on both sides and compares output `i` with `tols[i]` (the last entry
    /// repeats); `shown[i]` lists the args printed next to a mismatching element of output
    /// `i` (elementwise ops). Returns the plugin's outputs (if it ran).
    pub fn run_opts(
        &mut self,
        ctx: &str,
        g: &Graph,
        args: &[Literal],
        tols: &[Tol],
        shown: &[Vec<usize>],
        opts: Opts,
    ) -> Option<Vec<Literal>> {
        self.cases += 1;
        let want = match run_interp(g, args) {
            Ok(w) => w,
            Err(e) => {
                self.fail(format!("{ctx}: {e}"));
                return None;
            }
        };
        let got = match run_plugin(g, args) {
            Ok(w) => w,
            Err(e) => {
                self.fail(format!("{ctx}: {e}\n{}", hlo(g)));
                return None;
            }
        };
        if got.len() != want.len() {
            self.fail(format!(
                "{ctx}: plugin gave {} results, interp {}",
                got.len(),
                want.len()
            ));
            return None;
        }
        let involves_flush = args
            .iter()
            .map(|a| a.dtype())
            .chain(want.iter().map(|w| w.dtype()))
            .any(flushes);
        let alt: Option<Vec<Literal>> = if opts.flush && involves_flush {
            let fargs: Vec<Literal> = args.iter().map(flush).collect();
            run_interp(g, &fargs)
                .ok()
                .map(|w| w.iter().map(flush).collect())
        } else {
            None
        };
        for (i, (gl, wl)) in got.iter().zip(&want).enumerate() {
            let tol = tols[i.min(tols.len() - 1)];
            let ins: Vec<&Literal> = shown
                .get(i)
                .map(|v| v.iter().map(|&k| &args[k]).collect())
                .unwrap_or_default();
            let alt_i = alt.as_ref().and_then(|a| a.get(i));
            self.compare(
                &format!("{ctx} out{i}"),
                gl,
                wl,
                alt_i,
                tol,
                &ins,
                opts.skip_subnormal_inputs,
            );
        }
        Some(got)
    }

    /// Compares `got` (plugin) with `want` (interp) without alternatives.
    pub fn check(&mut self, ctx: &str, got: &Literal, want: &Literal, tol: Tol) -> Worst {
        self.compare(ctx, got, want, None, tol, &[], false)
    }

    /// Compares `got` (plugin) with `want` (interp), also accepting `alt` element by element
    /// (the flush-to-zero model).
    #[allow(clippy::too_many_arguments)]
    fn compare(
        &mut self,
        ctx: &str,
        got: &Literal,
        want: &Literal,
        alt: Option<&Literal>,
        tol: Tol,
        inputs: &[&Literal],
        skip_subnormal_inputs: bool,
    ) -> Worst {
        let mut worst = Worst::default();
        if got.ty() != want.ty() {
            self.fail(format!(
                "{ctx}: plugin type {} vs interp type {}",
                got.ty(),
                want.ty()
            ));
            return worst;
        }
        let alt = alt.filter(|a| a.ty() == want.ty());
        let d = got.dtype();
        let n = got.shape().numel();
        let mut bad = Vec::new();
        let mut nbad = 0usize;
        for i in 0..n {
            if skip_subnormal_inputs
                && inputs
                    .iter()
                    .any(|x| x.shape().numel() == n && is_subnormal_at(x, i))
            {
                continue;
            }
            let ieee = element_error(got, want, i, tol);
            let flushed = alt.and_then(|a| element_error(got, a, i, tol));
            let ok = match (ieee, flushed) {
                (Some(e), Some(f)) => {
                    worst.merge(if f.ulps < e.ulps { &f } else { &e });
                    true
                }
                (Some(e), None) => {
                    worst.merge(&e);
                    true
                }
                (None, Some(f)) => {
                    worst.merge(&f);
                    self.flushed += 1;
                    true
                }
                (None, None) => false,
            };
            if !ok {
                nbad += 1;
                if bad.len() < SHOW {
                    let (a, b) = (bits_at(got, i), bits_at(want, i));
                    let mut s = format!("  [{i}] plugin {} interp {}", show(got, i), show(want, i));
                    if d.is_float() && !is_nan_bits(d, a) && !is_nan_bits(d, b) {
                        let _ = write!(s, " ({} ulp)", ulp_distance(d, a, b));
                    }
                    for (k, x) in inputs.iter().enumerate() {
                        if x.shape().numel() == n {
                            let _ = write!(s, " in{k}={}", show(x, i));
                        } else if x.shape().numel() == 1 {
                            let _ = write!(s, " in{k}={}", show(x, 0));
                        }
                    }
                    bad.push(s);
                }
            }
        }
        if nbad > 0 {
            self.fail(format!(
                "{ctx} ({}, {:?}): {nbad} of {n} elements differ\n{}",
                got.ty(),
                tol,
                bad.join("\n")
            ));
        }
        if tol != Tol::Exact && d.is_float() {
            self.maxima.push((ctx.to_owned(), worst.clone()));
        }
        worst
    }

    /// Prints the error maxima of the tolerance checks and panics if anything failed.
    pub fn finish(self) {
        for (ctx, w) in &self.maxima {
            println!(
                "MAXERR {} | {ctx}: {} ulp, rel {:.3e}, abs {:.3e}",
                self.name, w.ulps, w.rel, w.abs
            );
        }
        println!(
            "CASES {}: {} runs, {} elements matched only the flush-to-zero model",
            self.name, self.cases, self.flushed
        );
        if !self.failures.is_empty() {
            panic!(
                "{}: {} disagreement(s) between plugin and interp:\n{}",
                self.name,
                self.failures.len(),
                self.failures.join("\n")
            );
        }
    }
}

impl Worst {
    fn merge(&mut self, o: &Worst) {
        self.ulps = self.ulps.max(o.ulps);
        self.rel = self.rel.max(o.rel);
        self.abs = self.abs.max(o.abs);
    }
}

/// The error of element `i` of `got` against `want` if it is within `tol`, else `None`.
fn element_error(got: &Literal, want: &Literal, i: usize, tol: Tol) -> Option<Worst> {
    let d = got.dtype();
    let (a, b) = (bits_at(got, i), bits_at(want, i));
    if !d.is_float() {
        return (a == b).then(Worst::default);
    }
    if is_nan_bits(d, a) || is_nan_bits(d, b) {
        return (is_nan_bits(d, a) && is_nan_bits(d, b)).then(Worst::default);
    }
    let (x, y) = (f64_at(got, i), f64_at(want, i));
    let ulps = ulp_distance(d, a, b);
    let diff = if x == y { 0.0 } else { (x - y).abs() };
    let ok = match tol {
        Tol::Exact => a == b,
        Tol::Ulp(u) => ulps <= u,
        Tol::UlpOrAbs(u, abs) => ulps <= u || diff <= abs,
        Tol::Rel(rtol, atol) => {
            if x.is_finite() && y.is_finite() {
                diff <= atol + rtol * y.abs()
            } else {
                a == b
            }
        }
    };
    if !ok {
        return None;
    }
    if !(x.is_finite() && y.is_finite()) {
        return Some(Worst::default());
    }
    Some(Worst {
        ulps,
        rel: if diff == 0.0 {
            0.0
        } else {
            diff / y.abs().max(f64::MIN_POSITIVE)
        },
        abs: diff,
    })
}

/// `d[shape]` as a type.
pub fn tt(d: DType, shape: &[usize]) -> TensorType {
    TensorType::new(d, Shape::new(shape.to_vec()))
}

/// One program holding several independent cases: each input is a parameter with its
/// argument, each case adds outputs. Compiling once for many cases keeps the suite fast.
#[derive(Default)]
pub struct Multi {
    /// The graph being built.
    pub b: Builder,
    /// One argument per parameter.
    pub args: Vec<Literal>,
    outs: Vec<Value>,
    labels: Vec<String>,
    shown: Vec<Vec<usize>>,
}

impl Multi {
    /// An empty program.
    pub fn new() -> Multi {
        Multi::default()
    }
    /// A parameter fed with `l`.
    pub fn input(&mut self, l: Literal) -> Value {
        let v = self.b.param(l.ty().clone());
        self.args.push(l);
        v
    }
    /// Adds an op (see [`Builder::node`]).
    pub fn op(&mut self, op: Op, xs: &[Value], declared: &[TensorType]) -> Vec<Value> {
        self.b.node(op, xs, declared)
    }
    /// Adds a single-result op.
    pub fn one(&mut self, op: Op, xs: &[Value], declared: &[TensorType]) -> Value {
        self.b.one(op, xs, declared)
    }
    /// Marks `v` as an output, labelled for failure messages.
    pub fn out(&mut self, label: impl Into<String>, v: Value) {
        self.out_shown(label, v, Vec::new());
    }
    /// Marks `v` as an output whose failure messages show the inputs `args[k]` for `k` in
    /// `inputs` next to each mismatching element (elementwise ops).
    pub fn out_shown(&mut self, label: impl Into<String>, v: Value, inputs: Vec<usize>) {
        self.outs.push(v);
        self.labels.push(label.into());
        self.shown.push(inputs);
    }
    /// Index in `args` of the last input added.
    pub fn last_arg(&self) -> usize {
        self.args.len() - 1
    }
    /// Number of outputs so far.
    pub fn len(&self) -> usize {
        self.outs.len()
    }
    /// True if there are no outputs yet.
    pub fn is_empty(&self) -> bool {
        self.outs.is_empty()
    }
    /// Runs the program on both sides, comparing output `i` with `tols[i]` (the last entry
    /// repeats).
    pub fn run(self, rep: &mut Report, ctx: &str, tols: &[Tol]) -> Option<Vec<Literal>> {
        let labels = self.labels.clone();
        let g = self.b.finish(self.outs);
        let before = rep.failures.len();
        let res = rep.run(ctx, &g, &self.args, tols, &self.shown);
        for f in &mut rep.failures[before..] {
            // "ctx outN ..." -> "ctx outN (label) ..."
            for (i, l) in labels.iter().enumerate().rev() {
                let key = format!("{ctx} out{i} ");
                if f.starts_with(&key) {
                    *f = format!("{ctx} out{i} [{l}] {}", &f[key.len()..]);
                    break;
                }
            }
        }
        res
    }
}
