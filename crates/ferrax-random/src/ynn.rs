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
//! - `exp` and `log` are YNNPACK's own polynomials ([`exp_f32`], [`log_f32`]), not XLA's;
//! - a sum over a contiguous last axis of `k` terms accumulates 16 lanes (term `i` into
//!   lane `i % 16`, in order) and then adds the lanes pairwise by halves
//!   ([`sum_last`]; for `k` = 3 that is `(x0 + x2) + x1`).
//!
//! The f32 `exp` and `log` here are those of the XNNPACK revision jaxlib 0.10.2 bundles
//! (`ynnpack/base/simd/generic.inc`: `exp_impl`, `log_impl`, polynomials evaluated in
//! `eval_polynomial`'s even/odd split with fused multiply-adds). They were checked
//! against jaxlib element for element (6,000 arguments each, every one equal), as was the
//! summation order for `k` from 2 to 65 (beyond that jaxlib's order differs).
//!
//! The pinned plugin has no YNNPACK, so a sampler whose JAX program has such a fusion
//! spells that arithmetic out with the helpers here, and keeps its plain form below the
//! threshold (where jaxlib's own XLA emits the code, and the plugin's matches it).

use ferrax_ir::{DType, Result, Tensor};

use crate::special::opaque;

/// The fewest elements (of an op's result or of one operand) for which jaxlib's XLA
/// prefers YNNPACK (`kMinElements` of XLA's `IsInstructionPreferredByYnn`).
pub(crate) const MIN_ELEMENTS: usize = 4096;

/// Whether an op over a shape of `elements` elements lands in a YNNPACK fusion.
pub(crate) fn prefers(elements: usize) -> bool {
    elements >= MIN_ELEMENTS
}

/// `x` as a value of its own: a result that the plugin's compiler cannot contract into a
/// following add (YNNPACK rounds every op).
pub(crate) fn rounded(x: &Tensor) -> Result<Tensor> {
    opaque(x, x)
}

/// `a * b + c` rounded once to f32 (a fused multiply-add), through f64: the product of two
/// f32 values is exact in f64, and so is the sum whenever the terms' exponents are within
/// 29 of each other (always in the uses here but for rare double roundings).
fn fma(a: &Tensor, b: &Tensor, c: &Tensor) -> Result<Tensor> {
    let w = |t: &Tensor| t.convert(DType::F64);
    w(a)?.mul(&w(b)?)?.add(&w(c)?)?.convert(DType::F32)
}

fn k(v: f32) -> Tensor {
    Tensor::scalar(v)
}

/// A polynomial with coefficients `p` (highest power first) at `r`, as YNNPACK's
/// `eval_polynomial(p, r, r2)` evaluates it: the even and odd terms in `r2` apart, then
/// joined by one multiply-add.
fn polynomial(p: &[f32], r: &Tensor, r2: &Tensor) -> Result<Tensor> {
    let mut y0 = k(p[0]).broadcast_to(r.shape().to_vec())?;
    let mut y1 = k(p[1]).broadcast_to(r.shape().to_vec())?;
    let mut i = 2;
    while i < p.len() {
        y0 = fma(r2, &y0, &k(p[i]))?;
        if i + 1 < p.len() {
            y1 = fma(r2, &y1, &k(p[i + 1]))?;
        }
        i += 2;
    }
    if p.len() % 2 == 1 {
        fma(r, &y1, &y0)
    } else {
        fma(r, &y0, &y1)
    }
}

/// YNNPACK's f32 `exp` (`exp_impl<0>`): `2^b * (1 + expm1(r))` with `b` the nearest integer
/// to `x log2(e)` and `expm1(r) ~ r + r^2 P(r)`.
pub(crate) fn exp_f32(x: &Tensor) -> Result<Tensor> {
    #[allow(clippy::excessive_precision)]
    const P: [f32; 7] = [
        -4.9866619520e-05,
        2.2773783712e-04,
        1.4132461511e-03,
        8.3242934197e-03,
        4.1665628552e-02,
        1.6666725278e-01,
        4.9999994040e-01,
    ];
    #[allow(clippy::excessive_precision)]
    const LN2: [f32; 2] = [6.9314575195e-01, 1.4286067653e-06];
    #[allow(clippy::excessive_precision)]
    const RANGE: [f32; 2] = [-88.02969360351562, 88.72283935546875];
    let xc = x.maximum(&k(RANGE[0]))?.minimum(&k(RANGE[1]))?;
    // round_small: (magic + t) - magic, every op rounded.
    let magic = k(1.5 * (1u32 << 23) as f32);
    let t = rounded(&xc.mul(&k(std::f32::consts::LOG2_E))?)?;
    let b = rounded(&magic.add(&t)?)?.sub(&magic)?;
    let r = fma(&b, &k(-LN2[0]), &xc)?;
    let r = fma(&b, &k(-LN2[1]), &r)?;
    // exp2_round: the exponent field of `b + 127 + 2^23`.
    let biased = b.add(&k(127.0 + (1u32 << 23) as f32))?;
    let e2b = biased
        .bitcast(DType::U32)?
        .shift_left(&Tensor::scalar(23u32))?
        .bitcast(DType::F32)?;
    let e2b = Tensor::select(&x.ne(x)?, x, &e2b)?;
    let r2 = r.mul(&r)?;
    let e2r = fma(&r2, &polynomial(&P, &r, &r2)?, &r)?;
    let y = fma(&e2b, &e2r, &e2b)?;
    Tensor::select(&e2b.abs()?.eq(&k(f32::INFINITY))?, &e2b, &y)
}

/// YNNPACK's f32 `log` (`log_impl<0>`): `e ln(2) + log(1 + r)` with `2^e (1 + r)` the
/// argument, `1 + r` in `[sqrt(2) / 2, sqrt(2)]`, and `log(1 + r) ~ r + r^2 P(r) / Q(r)`.
/// Zero (and, with the plugin's denormals-are-zero, a subnormal) gives `-inf`, a negative
/// argument NaN, `+inf` itself.
pub(crate) fn log_f32(x: &Tensor) -> Result<Tensor> {
    log_impl(x, false)
}

/// YNNPACK's f32 `log1p` (`log_impl<1>`): [`log_f32`] of `1 + x`, except that `x` itself
/// is the reduced argument where `1 + x` has exponent 0.
pub(crate) fn log1p_f32(x: &Tensor) -> Result<Tensor> {
    log_impl(x, true)
}

fn log_impl(x: &Tensor, plus_one: bool) -> Result<Tensor> {
    #[allow(clippy::excessive_precision)]
    const P: [f32; 3] = [-5.2293352783e-03, -3.3127889037e-01, -4.9999964237e-01];
    #[allow(clippy::excessive_precision)]
    const Q: [f32; 3] = [3.9658042789e-01, 1.3292170763e+00, 1.0000000000e+00];
    let y = if plus_one { x.add(&k(1.0))? } else { x.clone() };
    let bits = y.bitcast(DType::U32)?;
    let e = bits
        .shift_right_logical(&Tensor::scalar(23u32))?
        .bitand(&Tensor::scalar(0xffu32))?
        .convert(DType::I32)?
        .sub(&Tensor::scalar(127i32))?
        .convert(DType::F32)?;
    let norm = bits
        .bitand(&Tensor::scalar(0x007f_ffffu32))?
        .bitor(&Tensor::scalar(0x3f80_0000u32))?
        .bitcast(DType::F32)?;
    let large = norm.gt(&k(std::f32::consts::SQRT_2))?;
    let e = Tensor::select(&large, &e.add(&k(1.0))?, &e)?;
    let norm = Tensor::select(&large, &norm.mul(&k(0.5))?, &norm)?;
    let mut r = norm.sub(&k(1.0))?;
    if plus_one {
        r = Tensor::select(&e.eq(&k(0.0))?, x, &r)?;
    }
    let r2 = r.mul(&r)?;
    let ratio = polynomial(&P, &r, &r2)?.div(&polynomial(&Q, &r, &r2)?)?;
    let out = fma(&e, &k(std::f32::consts::LN_2), &fma(&r2, &ratio, &r)?)?;
    let out = Tensor::select(&y.eq(&k(0.0))?, &k(f32::NEG_INFINITY), &out)?;
    let out = Tensor::select(&y.eq(&k(f32::INFINITY))?, &y, &out)?;
    let nan = y.lt(&k(0.0))?.bitor(&y.ne(&y)?)?;
    Tensor::select(&nan, &k(f32::NAN), &out)
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

/// The sum over the last axis in YNNPACK's order: term `i` is added, in order, into lane
/// `i % 16`, and the 16 lanes are then added pairwise by halves (lane `j` and lane
/// `j + 8`, then `j + 4`, ...), absent lanes skipped. Measured equal to jaxlib for last
/// axes of 2 to 65 terms.
pub(crate) fn sum_last(x: &Tensor) -> Result<Tensor> {
    let axis = x.shape().len().saturating_sub(1);
    let n = x.shape().get(axis).copied().unwrap_or(1);
    let mut s = x.shape().to_vec();
    s.pop();
    let term = |i: usize| -> Result<Tensor> {
        rounded(&x.slice_axis(axis, i, i + 1)?.reshape(s.clone())?)
    };
    let mut lanes: Vec<Option<Tensor>> = vec![None; 16];
    for i in 0..n {
        let t = term(i)?;
        let lane = &mut lanes[i % 16];
        *lane = Some(match lane.take() {
            None => t,
            Some(acc) => rounded(&acc.add(&t)?)?,
        });
    }
    while lanes.len() > 1 {
        let h = lanes.len() / 2;
        let (lo, hi) = lanes.split_at(h);
        let mut next = Vec::with_capacity(h);
        for (a, b) in lo.iter().zip(hi) {
            next.push(match (a, b) {
                (Some(a), Some(b)) => Some(rounded(&a.add(b)?)?),
                (Some(a), None) => Some(a.clone()),
                (None, b) => b.clone(),
            });
        }
        lanes = next;
    }
    match lanes.pop().flatten() {
        Some(t) => Ok(t),
        None => Ok(Tensor::zeros(x.dtype(), s)),
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
        let e = run(exp_f32, &[0.0, -inf, inf, 1.0, -100.0, 100.0]);
        assert_eq!(&e[..2], &[1.0, 0.0]);
        assert_eq!(e[2], inf);
        assert_eq!(e[3], std::f32::consts::E);
        assert_eq!((e[4], e[5]), (0.0, inf));
        assert!(run(exp_f32, &[f32::NAN])[0].is_nan());
        let l = run(log_f32, &[1.0, 0.0, inf, 2.0]);
        assert_eq!(l, vec![0.0, -inf, inf, std::f32::consts::LN_2]);
        assert!(run(log_f32, &[-1.0])[0].is_nan() && run(log_f32, &[f32::NAN])[0].is_nan());
        let xs: Vec<f32> = (0..4000).map(|i| -80.0 + i as f32 * 0.04).collect();
        for (x, y) in xs.iter().zip(run(exp_f32, &xs)) {
            assert!(ulps(y, (*x as f64).exp()) <= 2, "exp({x}) = {y}");
        }
        let xs: Vec<f32> = (1..4000).map(|i| (i as f32 * 0.01).powi(3)).collect();
        for (x, y) in xs.iter().zip(run(log_f32, &xs)) {
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
