//! What jaxlib's XLA computes where it hands work to YNNPACK.
//!
//! jaxlib 0.10.2's CPU compiler moves every `reduce` (sum, max, min) with at least
//! [`MIN_ELEMENTS`] elements in its operand or result, and every matrix product, into a
//! YNNPACK fusion (`kind=kCustom`, `__ynn_fusion` in its optimised HLO). The fusion grows
//! over neighbouring elementwise ops of at least that many elements in f32, f64 and bf16
//! (not f16). Inside it the arithmetic is YNNPACK's, not XLA's:
//!
//! - no multiply is contracted into a fused multiply-add;
//! - a sum over a short contiguous axis runs in YNNPACK's order (three terms: `(a0 + a2) +
//!   a1`);
//! - bf16 ops run in f32 without rounding to bf16 in between ("excess precision"): only
//!   the fusion's bf16 result is rounded;
//! - `exp`, `log` and `log1p` are YNNPACK's own polynomials ([`exp`], [`log`],
//!   [`log1p`]) in f32 and f64, not XLA's; `pow` is the C library's;
//! - a sum over a contiguous last axis runs YNNPACK's `sum_float_k1` ([`sum_last`]): 16
//!   lanes in f32, 8 in f64, blocks of four vectors, a clocked tree of accumulators whose
//!   top level is Kahan-compensated, then the lanes added pairwise by halves (for `k` = 3
//!   that is `(x0 + x2) + x1`).
//!
//! The `exp`, `log` and `log1p` here are those of the XNNPACK revision jaxlib 0.10.2
//! bundles (`ynnpack/base/simd/generic.inc`: `exp_impl`, `log_impl`, polynomials evaluated
//! in `eval_polynomial`'s even/odd split with fused multiply-adds; the f64 kernels of its
//! x86 AVX-512 and AVX2+FMA builds use them as well). They are checked against jaxlib by
//! the golden test `tests/golden/ynn_unary.json` (`scripts/golden_ynn_unary.py`: f32 and
//! f64, 6,000 arguments each, every one equal). The sum
//! follows `ynnpack/kernels/reduce/sum.h` of that revision and is checked against
//! jaxlib's `jnp.sum` by the golden test `tests/golden/ynn_sum.json`
//! (`scripts/golden_ynn_sum.py`: f32 and f64, last axes of 1 to 5,000 terms).
//!
//! The pinned plugin has no YNNPACK, so a sampler whose JAX program has such a fusion
//! spells that arithmetic out with the helpers here, and keeps its plain form below the
//! threshold (where jaxlib's own XLA emits the code, and the plugin's matches it).

use ferrax_ir::{DType, Result, Tensor};

use crate::numerics::fma;
use crate::special::rounded;

/// The fewest elements (of an op's result or of one operand) for which jaxlib's XLA
/// prefers YNNPACK (`kMinElements` of XLA's `IsInstructionPreferredByYnn`).
pub(crate) const MIN_ELEMENTS: usize = 4096;

/// Whether an op over a shape of `elements` elements lands in a YNNPACK fusion.
pub(crate) fn prefers(elements: usize) -> bool {
    elements >= MIN_ELEMENTS
}

/// A scalar of `x`'s dtype.
fn k(x: &Tensor, v: f64) -> Tensor {
    Tensor::scalar_like(x.dtype(), v)
}

/// A polynomial with coefficients `p` (highest power first) at `r`, as YNNPACK's
/// `eval_polynomial(p, r, r2)` evaluates it: the even and odd terms in `r2` apart, then
/// joined by one multiply-add.
fn polynomial(p: &[f64], r: &Tensor, r2: &Tensor) -> Result<Tensor> {
    let mut y0 = k(r, p[0]).broadcast_to(r.shape().to_vec())?;
    let mut y1 = k(r, p[1]).broadcast_to(r.shape().to_vec())?;
    let mut i = 2;
    while i < p.len() {
        y0 = fma(r2, &y0, &k(r, p[i]))?;
        if i + 1 < p.len() {
            y1 = fma(r2, &y1, &k(r, p[i + 1]))?;
        }
        i += 2;
    }
    if p.len() % 2 == 1 {
        fma(r, &y1, &y0)
    } else {
        fma(r, &y0, &y1)
    }
}

/// The bit layout of a float dtype: stored mantissa bits, exponent bias, the unsigned
/// type of its width.
fn layout(dt: DType) -> (u32, f64, DType) {
    if dt == DType::F64 {
        (52, 1023.0, DType::U64)
    } else {
        (23, 127.0, DType::U32)
    }
}

/// A scalar of the bit-pattern type `u` (u32 or u64).
fn uint(u: DType, v: u64) -> Tensor {
    if u == DType::U64 {
        Tensor::scalar(v)
    } else {
        Tensor::scalar(v as u32)
    }
}

/// YNNPACK's `exp_impl` polynomial `P` and constants (`log2(e)`, `ln 2` as hi and lo,
/// the clamp range) for f32 and for f64.
struct ExpConsts {
    p: &'static [f64],
    log2e: f64,
    ln2: [f64; 2],
    range: [f64; 2],
}

#[allow(clippy::excessive_precision)]
const EXP_F32: ExpConsts = ExpConsts {
    p: &[
        -4.9866619520e-05f32 as f64,
        2.2773783712e-04f32 as f64,
        1.4132461511e-03f32 as f64,
        8.3242934197e-03f32 as f64,
        4.1665628552e-02f32 as f64,
        1.6666725278e-01f32 as f64,
        4.9999994040e-01f32 as f64,
    ],
    log2e: std::f32::consts::LOG2_E as f64,
    ln2: [6.9314575195e-01f32 as f64, 1.4286067653e-06f32 as f64],
    range: [-88.02969360351562f32 as f64, 88.72283935546875f32 as f64],
};

#[allow(clippy::excessive_precision)]
const EXP_F64: ExpConsts = ExpConsts {
    p: &[
        2.119890244143296032e-09,
        2.521079371356939368e-08,
        2.755585399809175769e-07,
        2.755675838881680360e-06,
        2.480158976814372031e-05,
        1.984127071808468106e-04,
        1.388888888680978647e-03,
        8.333333332743943569e-03,
        4.166666666668113195e-02,
        1.666666666666796748e-01,
        4.999999999999995559e-01,
    ],
    log2e: std::f64::consts::LOG2_E,
    ln2: [6.93147180369123816490e-01, 1.90821492927058770002e-10],
    range: [-709.0895657128241, 709.782712893384],
};

/// YNNPACK's `exp` (`exp_impl<0>`) in f32 or f64: `2^b * (1 + expm1(r))` with `b` the
/// nearest integer to `x log2(e)` and `expm1(r) ~ r + r^2 P(r)`.
pub(crate) fn exp(x: &Tensor) -> Result<Tensor> {
    let dt = x.dtype();
    let c = if dt == DType::F64 { &EXP_F64 } else { &EXP_F32 };
    let (mant, bias, u) = layout(dt);
    let xc = x.maximum(&k(x, c.range[0]))?.minimum(&k(x, c.range[1]))?;
    // round_small: (magic + t) - magic, every op rounded.
    let magic = k(x, 1.5 * 2f64.powi(mant as i32));
    let t = rounded(&xc.mul(&k(x, c.log2e))?)?;
    let b = rounded(&magic.add(&t)?)?.sub(&magic)?;
    let r = fma(&b, &k(x, -c.ln2[0]), &xc)?;
    let r = fma(&b, &k(x, -c.ln2[1]), &r)?;
    // exp2_round: the exponent field of `b + bias + 2^mant`.
    let biased = b.add(&k(x, bias + 2f64.powi(mant as i32)))?;
    let e2b = biased
        .bitcast(u)?
        .shift_left(&uint(u, mant as u64))?
        .bitcast(dt)?;
    let e2b = Tensor::select(&x.ne(x)?, x, &e2b)?;
    let r2 = r.mul(&r)?;
    let e2r = fma(&r2, &polynomial(c.p, &r, &r2)?, &r)?;
    // `fma(2^b, e2r, 2^b)`: for f64 as `2^b * (1 + e2r)`, the same number (the power of
    // two scales exactly) without the tiny product that the emulated multiply-add would
    // flush to zero near the bottom of the range.
    let y = if dt == DType::F64 {
        e2b.mul(&e2r.add(&k(x, 1.0))?)?
    } else {
        fma(&e2b, &e2r, &e2b)?
    };
    Tensor::select(&e2b.abs()?.eq(&k(x, f64::INFINITY))?, &e2b, &y)
}

/// YNNPACK's `log_impl` rational function `P / Q` for f32 and for f64.
#[allow(clippy::excessive_precision)]
const LOG_F32: [&[f64]; 2] = [
    &[
        -5.2293352783e-03f32 as f64,
        -3.3127889037e-01f32 as f64,
        -4.9999964237e-01f32 as f64,
    ],
    &[3.9658042789e-01f32 as f64, 1.3292170763e+00f32 as f64, 1.0],
];

#[allow(clippy::excessive_precision)]
const LOG_F64: [&[f64]; 2] = [
    &[
        -2.956046447212538203e-03,
        -6.691314126082094360e-02,
        -4.289980732181625789e-01,
        -1.110965361416291097e+00,
        -1.242991301338429500e+00,
        -4.999999999999990008e-01,
    ],
    &[
        3.009181610003072455e-03,
        7.942469932969810353e-02,
        6.369060590899747742e-01,
        2.230802780023532605e+00,
        3.823696902394678077e+00,
        3.152649269343555716e+00,
        1.0,
    ],
];

/// YNNPACK's `log` (`log_impl<0>`) in f32 or f64: `e ln(2) + log(1 + r)` with `2^e (1 + r)`
/// the argument, `1 + r` in `[sqrt(2) / 2, sqrt(2)]`, and `log(1 + r) ~ r + r^2 P(r) /
/// Q(r)`. Zero (and, with the plugin's denormals-are-zero, a subnormal) gives `-inf`, a
/// negative argument NaN, `+inf` itself.
pub(crate) fn log(x: &Tensor) -> Result<Tensor> {
    log_impl(x, false)
}

/// YNNPACK's `log1p` (`log_impl<1>`) in f32 or f64: [`log`] of `1 + x`, except that `x`
/// itself is the reduced argument where `1 + x` has exponent 0.
pub(crate) fn log1p(x: &Tensor) -> Result<Tensor> {
    log_impl(x, true)
}

fn log_impl(x: &Tensor, plus_one: bool) -> Result<Tensor> {
    let dt = x.dtype();
    let [p, q] = if dt == DType::F64 { LOG_F64 } else { LOG_F32 };
    let (mant, bias, u) = layout(dt);
    let y = if plus_one {
        x.add(&k(x, 1.0))?
    } else {
        x.clone()
    };
    let bits = y.bitcast(u)?;
    let int = |v: u64| uint(u, v);
    // The exponent field masks as `2 bias + 1`; 1.0 holds `bias` there.
    let bias_bits = bias as u64;
    let e = bits
        .shift_right_logical(&int(mant as u64))?
        .bitand(&int(2 * bias_bits + 1))?
        .convert(dt)?
        .sub(&k(x, bias))?;
    let mantissa = (1u64 << mant) - 1;
    let one = bias_bits << mant;
    let norm = bits.bitand(&int(mantissa))?.bitor(&int(one))?.bitcast(dt)?;
    let large = norm.gt(&k(x, std::f64::consts::SQRT_2))?;
    let e = Tensor::select(&large, &e.add(&k(x, 1.0))?, &e)?;
    let norm = Tensor::select(&large, &norm.mul(&k(x, 0.5))?, &norm)?;
    let mut r = norm.sub(&k(x, 1.0))?;
    if plus_one {
        r = Tensor::select(&e.eq(&k(x, 0.0))?, x, &r)?;
    }
    let r2 = r.mul(&r)?;
    let ratio = polynomial(p, &r, &r2)?.div(&polynomial(q, &r, &r2)?)?;
    let ln2 = k(x, std::f64::consts::LN_2);
    let out = fma(&e, &ln2, &fma(&r2, &ratio, &r)?)?;
    let out = Tensor::select(&y.eq(&k(x, 0.0))?, &k(x, f64::NEG_INFINITY), &out)?;
    let out = Tensor::select(&y.eq(&k(x, f64::INFINITY))?, &y, &out)?;
    let nan = y.lt(&k(x, 0.0))?.bitor(&y.ne(&y)?)?;
    Tensor::select(&nan, &k(x, f64::NAN), &out)
}

/// The sum over the last axis as jaxlib computes it for an operand of `x`'s size:
/// [`sum_last`] from [`MIN_ELEMENTS`] elements on, XLA's own reduction below.
pub(crate) fn sum_last_at_size(x: &Tensor) -> Result<Tensor> {
    if prefers(x.shape().iter().product()) {
        sum_last(x)
    } else {
        x.sum(&[x.rank().saturating_sub(1)])
    }
}

/// The sum over the last axis as YNNPACK's `sum_float_k1` computes it (f32 or f64;
/// `ynnpack/kernels/reduce/sum.h` at the revision jaxlib 0.10.2 bundles).
///
/// With `L` lanes (16 for f32, 8 for f64: one 64-byte vector), the axis is cut into blocks
/// of `4L` terms (the last one padded with zeros). A block's local sum adds its four
/// vectors in order, lane by lane. Block sums then go through a tree of three vector
/// accumulators driven by a clock that advances by `L` per block (by `4L` for each run
/// of four blocks the kernel takes at once, while at least four remain): the block
/// joins level 0; level 0 is added into level 1 whenever the clock is a multiple of 16,
/// and level 1 into level 2 with Kahan's compensated sum whenever it is a multiple of
/// 256. The partial block and a final flush of both levels close the sum, and the `L`
/// lanes are added pairwise by halves (lane `j` and lane `j + L/2`, then `j + L/4`, ...).
/// Below 1,024 terms (f32) that is term `i` added into lane `i % 16` block by block.
/// Checked against jaxlib's `jnp.sum` for last axes of 1 to 20,000 terms, f32 and f64,
/// every result bit-exact.
pub(crate) fn sum_last(x: &Tensor) -> Result<Tensor> {
    let dt = x.dtype();
    if x.rank() == 0 {
        return Ok(x.clone());
    }
    let axis = x.rank() - 1;
    let k = x.shape()[axis];
    let mut batch = x.shape().to_vec();
    batch.pop();
    if k == 0 {
        return Ok(Tensor::zeros(dt, batch));
    }
    let lanes = 64 / dt.byte_size();
    let block = 4 * lanes;
    let nblocks = k.div_ceil(block);
    // Rounded once: YNNPACK contracts no product of the terms' producers into its adds.
    let mut terms = rounded(x)?;
    if nblocks * block > k {
        let zero = Tensor::zeros(dt, Vec::<usize>::new());
        let mut high = vec![0i64; x.rank()];
        high[axis] = (nblocks * block - k) as i64;
        let low = vec![0i64; x.rank()];
        terms = terms.pad(&zero, &low, &high, &vec![0; x.rank()])?;
    }
    let mut grid = batch.clone();
    grid.extend([nblocks, 4, lanes]);
    let v = terms.reshape(grid)?;
    let quarter = |j: usize| drop_axis(&v.slice_axis(axis + 1, j, j + 1)?, axis + 1);
    let mut locals = quarter(0)?;
    for j in 1..4 {
        locals = locals.add(&quarter(j)?)?;
    }
    let block_sum = |i: usize| drop_axis(&locals.slice_axis(axis, i, i + 1)?, axis);

    let mut tree = Tree::default();
    let (mut left, mut next, mut clock) = (k, 0usize, 0usize);
    while left >= 4 * block {
        for _ in 0..4 {
            tree.add_block(block_sum(next)?)?;
            next += 1;
        }
        left -= 4 * block;
        clock += 4 * lanes;
        tree.accumulate(clock)?;
    }
    while left >= block {
        tree.add_block(block_sum(next)?)?;
        next += 1;
        left -= block;
        clock += lanes;
        tree.accumulate(clock)?;
    }
    if left > 0 {
        tree.add_block(block_sum(next)?)?;
    }
    tree.accumulate(0)?;
    let mut acc = match tree.acc2 {
        Some(a) => a,
        None => {
            let mut shape = batch.clone();
            shape.push(lanes);
            Tensor::zeros(dt, shape)
        }
    };
    let mut width = lanes;
    while width > 1 {
        width /= 2;
        let lo = acc.slice_axis(axis, 0, width)?;
        let hi = acc.slice_axis(axis, width, 2 * width)?;
        acc = lo.add(&hi)?;
    }
    drop_axis(&acc, axis)
}

/// `t` without its axis `axis` (of one entry).
fn drop_axis(t: &Tensor, axis: usize) -> Result<Tensor> {
    let mut s = t.shape().to_vec();
    s.remove(axis);
    t.reshape(s)
}

/// `a + b` where `None` stands for a vector of zeros (whose sum with `b` is `b`).
fn plus(a: Option<Tensor>, b: Tensor) -> Result<Tensor> {
    match a {
        None => Ok(b),
        Some(a) => a.add(&b),
    }
}

/// YNNPACK's three levels of accumulators and the Kahan error of the last; `None` is a
/// vector of zeros not yet materialised.
#[derive(Default)]
struct Tree {
    acc0: Option<Tensor>,
    acc1: Option<Tensor>,
    acc2: Option<Tensor>,
    error: Option<Tensor>,
}

impl Tree {
    /// A block's local sum joins level 0.
    fn add_block(&mut self, b: Tensor) -> Result<()> {
        self.acc0 = Some(plus(self.acc0.take(), b)?);
        Ok(())
    }

    /// `accumulate(clock)` of `sum_float_k1`: level 0 into level 1 at multiples of 16,
    /// level 1 into level 2 (compensated) at multiples of 256; `clock = 0` flushes both.
    fn accumulate(&mut self, clock: usize) -> Result<()> {
        if clock & 15 != 0 {
            return Ok(());
        }
        if let Some(a0) = self.acc0.take() {
            self.acc1 = Some(plus(self.acc1.take(), a0)?);
        }
        if clock & 255 != 0 {
            return Ok(());
        }
        let a1 = self.acc1.take();
        // y = a - error; t = acc + y; error = (t - acc) - y (zeroed unless finite).
        let y = match (a1, self.error.take()) {
            (None, None) => return Ok(()),
            (Some(a), None) => a,
            (None, Some(e)) => e.neg()?,
            (Some(a), Some(e)) => a.sub(&e)?,
        };
        let Some(acc) = self.acc2.take() else {
            // 0 + y is y and its error (y - 0) - y is 0.
            self.acc2 = Some(y);
            return Ok(());
        };
        let t = acc.add(&y)?;
        let e = t.sub(&acc)?.sub(&y)?;
        let zero = Tensor::zeros(e.dtype(), e.shape().to_vec());
        self.error = Some(Tensor::select(&e.is_finite()?, &e, &zero)?);
        self.acc2 = Some(t);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrax::prelude::*;

    fn run(f: fn(&Tensor) -> Result<Tensor>, xs: &[f32]) -> Vec<f32> {
        let x = Tensor::from_vec(xs.to_vec(), [xs.len()]).expect("x");
        f(&x)
            .and_then(|t| t.eval())
            .and_then(|a| a.to_vec::<f32>())
            .expect("run")
    }

    fn ulps(a: f32, b: f64) -> i64 {
        (a.to_bits() as i64 - (b as f32).to_bits() as i64).abs()
    }

    /// Special values as YNNPACK's kernels give them, and every result of a sweep within
    /// 2 ulp of the correctly rounded value (jaxlib's exact bits are the golden tests').
    #[test]
    fn exp_and_log_edges_and_accuracy() {
        let inf = f32::INFINITY;
        let e = run(exp, &[0.0, -inf, inf, 1.0, -100.0, 100.0]);
        assert_eq!(&e[..2], &[1.0, 0.0]);
        assert_eq!(e[2], inf);
        assert_eq!(e[3], std::f32::consts::E);
        assert_eq!((e[4], e[5]), (0.0, inf));
        assert!(run(exp, &[f32::NAN])[0].is_nan());
        let l = run(log, &[1.0, 0.0, inf, 2.0]);
        assert_eq!(l, vec![0.0, -inf, inf, std::f32::consts::LN_2]);
        assert!(run(log, &[-1.0])[0].is_nan() && run(log, &[f32::NAN])[0].is_nan());
        let xs: Vec<f32> = (0..4000).map(|i| -80.0 + i as f32 * 0.04).collect();
        for (x, y) in xs.iter().zip(run(exp, &xs)) {
            assert!(ulps(y, (*x as f64).exp()) <= 2, "exp({x}) = {y}");
        }
        let xs: Vec<f32> = (1..4000).map(|i| (i as f32 * 0.01).powi(3)).collect();
        for (x, y) in xs.iter().zip(run(log, &xs)) {
            assert!(ulps(y, (*x as f64).ln()) <= 2, "log({x}) = {y}");
        }
    }

    /// The lane order on values where it shows: 2^24 + 1 + 1 depends on what is added
    /// first. Three terms sum as `(x0 + x2) + x1`, 17 terms put term 16 into lane 0.
    #[test]
    fn sum_order() {
        let big = 16_777_216.0f32;
        let s = |xs: Vec<f32>| -> f32 {
            let x = Tensor::from_vec(xs.clone(), [1, xs.len()]).expect("x");
            sum_last(&x)
                .and_then(|t| t.eval())
                .and_then(|a| a.to_vec::<f32>())
                .expect("sum")[0]
        };
        // (big + 1) + 1 rounds to big twice; (1 + 1) + big is exact.
        assert_eq!(s(vec![big, 1.0, 1.0]), big);
        assert_eq!(s(vec![1.0, big, 1.0]), big + 2.0);
        let mut v = vec![0.0f32; 17];
        v[0] = 1.0;
        v[8] = big;
        v[16] = 1.0;
        // lane 0: 1 + 1 = 2; lane 8: big; halves: 2 + big = big + 2.
        assert_eq!(s(v), big + 2.0);
    }
}

#[cfg(test)]
mod golden {
    use super::*;
    use ferrax::prelude::*;
    use sha2::{Digest, Sha256};

    /// The inputs of `scripts/golden_ynn_sum.py`, rebuilt from their formula.
    fn inputs(dtype: &str, rows: usize, k: usize, seed: u64) -> Result<Tensor> {
        let n = rows * k;
        let f32s: Vec<f32> = (0..n as u64)
            .map(|i| {
                let h = (i.wrapping_mul(0x9E37_79B1).wrapping_add(seed) % (1 << 32)) as u32;
                f32::from_bits((h & 0x807f_ffff) | ((120 + ((h >> 23) & 15)) << 23))
            })
            .collect();
        match dtype {
            "float32" => Tensor::from_vec(f32s, [rows, k]),
            _ => {
                let f64s: Vec<f64> = f32s
                    .iter()
                    .zip(0u64..)
                    .map(|(&v, i)| {
                        let low = i.wrapping_mul(0x2545_F491) % (1 << 28);
                        f64::from_bits(f64::from(v).to_bits() ^ low)
                    })
                    .collect();
                Tensor::from_vec(f64s, [rows, k])
            }
        }
    }

    /// The inputs of `scripts/golden_ynn_unary.py`, rebuilt from their formula.
    fn unary_inputs(f: &str, dtype: &str, n: usize, seed: u64) -> Result<Array> {
        let f64s = dtype == "float64";
        let x: Vec<f64> = (0..n as u64)
            .map(|i| {
                let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(seed);
                let u = (h >> 11) as f64 * 2f64.powi(-53);
                let e = h >> 57;
                match f {
                    "exp" => {
                        let m = if f64s { 708.0 } else { 87.0 };
                        u * 2.0 * m - m
                    }
                    "log" if f64s => f64::from_bits((h >> 12) | ((1023 - 60 + e) << 52)),
                    "log" => f64::from(f32::from_bits(((h >> 41) | ((127 - 60 + e) << 23)) as u32)),
                    _ if i % 2 == 0 => u * 3.0 - 1.0,
                    _ => (u - 0.5) * 2f64.powi(-((h >> 58) as i32)),
                }
            })
            .collect();
        if f64s {
            Array::from_vec(x, vec![n])
        } else {
            Array::from_vec(x.iter().map(|v| *v as f32).collect::<Vec<f32>>(), vec![n])
        }
    }

    /// The cases of `tests/golden/<file>`.
    fn golden_cases(file: &str) -> Vec<serde_json::Value> {
        let path = format!("{}/../../tests/golden/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let doc: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        doc["cases"].as_array().expect("cases").clone()
    }

    fn sha_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// [`exp`], [`log`] and [`log1p`] give jaxlib's YNNPACK results bit for bit
    /// (`tests/golden/ynn_unary.json`: f32 and f64, 6,000 arguments each, computed inside
    /// a YNNPACK fusion; in f64 every fused multiply-add goes through `numerics::fma`).
    #[test]
    fn unary_matches_jaxlib() {
        let cases = golden_cases("ynn_unary.json");
        assert_eq!(cases.len(), 6);
        let mut failures = Vec::new();
        for case in &cases {
            let (name, dtype) = (case["fn"].as_str(), case["dtype"].as_str());
            let (name, dtype) = (name.expect("fn"), dtype.expect("dtype"));
            let int = |k: &str| case[k].as_u64().expect(k);
            let f: fn(&Tensor) -> Result<Tensor> = match name {
                "exp" => exp,
                "log" => log,
                _ => log1p,
            };
            // Run-time arguments, as in a sampler.
            let mut jitted = ferrax::jit(f);
            let bytes = unary_inputs(name, dtype, int("n") as usize, int("seed"))
                .and_then(|x| jitted.call(&[&x]))
                .and_then(|y| y.to_bytes())
                .expect("unary");
            if sha_hex(&bytes) != case["out"]["sha256"].as_str().expect("sha256") {
                failures.push(format!("{name} {dtype}"));
            }
        }
        assert!(failures.is_empty(), "differ from jaxlib: {failures:?}");
    }

    /// [`sum_last`] gives jaxlib's `jnp.sum(x, -1)` bit for bit (`tests/golden/ynn_sum.json`:
    /// f32 and f64, last axes of 1 to 5,000 terms, every one with at least 4,096 elements).
    #[test]
    fn sum_last_matches_jaxlib() {
        let cases = golden_cases("ynn_sum.json");
        assert_eq!(cases.len(), 42);
        let mut failures = Vec::new();
        for case in &cases {
            let dtype = case["dtype"].as_str().expect("dtype");
            let int = |k: &str| case[k].as_u64().expect(k);
            let (rows, k) = (int("rows") as usize, int("k") as usize);
            assert!(rows * k >= MIN_ELEMENTS);
            let bytes = inputs(dtype, rows, k, int("seed"))
                .and_then(|x| sum_last(&x))
                .and_then(|y| y.eval())
                .and_then(|y| y.to_bytes())
                .expect("sum");
            if sha_hex(&bytes) != case["out"]["sha256"].as_str().expect("sha256") {
                failures.push(format!("{dtype} [{rows}, {k}]"));
            }
        }
        assert!(failures.is_empty(), "differ from jaxlib: {failures:?}");
    }
}
