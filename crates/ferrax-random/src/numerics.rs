//! Special functions the samplers need that are not primitive ops of `ferrax-ir`, written
//! as the composition XLA computes for JAX: [`lgamma`] (what the StableHLO CHLO
//! legalisation makes of `chlo.lgamma`), and an exact fused multiply-add (`fma`) for the
//! places where jaxlib's compiled code has one. Matrix factorisations live in
//! `ferrax_ir::linalg`.

use ferrax_ir::{DType, Error, Result, Tensor};

use crate::special::rounded;

fn c(x: &Tensor, v: f64) -> Tensor {
    Tensor::scalar_like(x.dtype(), v)
}

/// `a * b + c` rounded once (a fused multiply-add) in the operands' dtype, f32 or f64:
/// the graph has no FMA op, and where jaxlib's code has one (LLVM's contraction, or
/// YNNPACK's kernels) ferrax spells it out with this.
pub(crate) fn fma(a: &Tensor, b: &Tensor, c: &Tensor) -> Result<Tensor> {
    if a.dtype() == DType::F64 {
        fma_f64(a, b, c)
    } else {
        fma_f32(a, b, c)
    }
}

/// f32 `a * b + c` through f64: the product of two f32 values is exact in f64, and so is
/// the sum whenever the terms' exponents are within 29 of each other (always in the uses
/// here but for rare double roundings).
fn fma_f32(a: &Tensor, b: &Tensor, c: &Tensor) -> Result<Tensor> {
    let w = |t: &Tensor| t.convert(DType::F64);
    w(a)?.mul(&w(b)?)?.add(&w(c)?)?.convert(DType::F32)
}

/// `x` as `hi + lo`, each of at most 26 significant bits (`hi` is `x` rounded to 26 bits
/// by its bit pattern, `lo = x - hi` exactly), so that products of the parts are exact.
fn split_f64(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let hi = x
        .bitcast(DType::U64)?
        .add(&Tensor::scalar(1u64 << 26))?
        .bitand(&Tensor::scalar(!((1u64 << 27) - 1)))?
        .bitcast(DType::F64)?;
    let lo = x.sub(&hi)?;
    Ok((hi, lo))
}

/// f64 `a * b + c` rounded once, without an FMA op: the product as `p + e` exactly
/// (Dekker's product of the 26-bit halves), `p + c` as `s + t` exactly (Knuth's two-sum),
/// then `s + (t + e)`. That last step rounds twice, which differs from one rounding only
/// when `t + e` rounds onto a tie of `s`: never in the sweeps of the tests here.
///
/// The rounded product `p` is the only inexact product; it goes through `rounded` so the
/// plugin's compiler cannot contract it into the sums that take it apart (the exact
/// products of halves may be contracted: that changes nothing). `t + e` goes through it
/// too: with constant operands XLA's simplifier otherwise regroups the last sum (seen in
/// the unit test). Valid away from overflow and from the subnormal range, where the
/// plugin flushes the parts' products to zero (`ynn::exp` keeps its last step out of here).
fn fma_f64(a: &Tensor, b: &Tensor, c: &Tensor) -> Result<Tensor> {
    let (ah, al) = split_f64(a)?;
    let (bh, bl) = split_f64(b)?;
    let p = rounded(&a.mul(b)?)?;
    let e = ah
        .mul(&bh)?
        .sub(&p)?
        .add(&ah.mul(&bl)?)?
        .add(&al.mul(&bh)?)?
        .add(&al.mul(&bl)?)?;
    let s = p.add(c)?;
    let bb = s.sub(&p)?;
    let t = p.sub(&s.sub(&bb)?)?.add(&c.sub(&bb)?)?;
    s.add(&rounded(&t.add(&e)?)?)
}

/// Lanczos coefficients (g = 7, n = 9) of the CHLO `lgamma` decomposition, in the order it
/// sums them.
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];
const LANCZOS_G: f64 = 7.0;
/// log(g + 1/2).
const LOG_LANCZOS_G_PLUS_HALF: f64 = 2.014_903_020_542_264_7;
/// log(sqrt(2 pi)).
const LOG_SQRT_TWO_PI: f64 = 0.918_938_533_204_672_7;
/// log(pi).
const LOG_PI: f64 = 1.144_729_885_849_400_2;

/// Elementwise `log|Gamma(x)|` (`jax.lax.lgamma`), computed with the ops XLA computes for
/// `chlo.lgamma`: Lanczos' approximation (g = 7, 9 terms) for `x >= 1/2`, the reflection
/// formula below, `+inf` at the poles and for infinite `x`. f16 and bf16 are computed in
/// f32 and rounded, as the legalisation does.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::numerics::lgamma;
/// let x = Tensor::from_vec(vec![1.0f32, 0.5, 10.0, -1.5], [4])?;
/// let y = lgamma(&x)?.eval()?.to_vec::<f32>()?;
/// assert!(y[0].abs() < 1e-6);
/// assert!((y[1] - 0.572_364_9).abs() < 1e-6);
/// assert!((y[2] - 12.801_827).abs() < 1e-5);
/// assert!((y[3] - 0.860_047).abs() < 1e-5);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn lgamma(x: &Tensor) -> Result<Tensor> {
    x.check()?;
    match x.dtype() {
        DType::F32 | DType::F64 => lgamma_impl(x),
        DType::F16 | DType::BF16 => lgamma_impl(&x.convert(DType::F32)?)?.convert(x.dtype()),
        d => Err(Error::dtype(
            "lgamma",
            format!("lgamma needs a float operand, got {d}"),
        )),
    }
}

fn lgamma_impl(x: &Tensor) -> Result<Tensor> {
    let half = c(x, 0.5);
    let one = c(x, 1.0);
    let need_reflect = x.lt(&half)?;
    let z = Tensor::select(&need_reflect, &x.neg()?, &x.sub(&one)?)?;
    // The Lanczos sum, term by term.
    let mut a = c(x, LANCZOS[0]);
    for (i, &k) in LANCZOS.iter().enumerate().skip(1) {
        a = a.add(&c(x, k).div(&z.add(&c(x, i as f64))?)?)?;
    }
    let gph = c(x, LANCZOS_G + 0.5);
    let t = gph.add(&z)?;
    let log_t = c(x, LOG_LANCZOS_G_PLUS_HALF).add(&crate::special::log1p(&z.div(&gph)?)?)?;
    let log_y = c(x, LOG_SQRT_TWO_PI)
        .add(&z.add(&half)?.sub(&t.div(&log_t)?)?.mul(&log_t)?)?
        .add(&a.log()?)?;
    // Reflection: log(pi) - log|sin(pi x)| - log_y, with sin evaluated on the fractional
    // part folded into [0, 1/2].
    let abs_x = x.abs()?;
    let frac = abs_x.sub(&abs_x.floor()?)?;
    let reduced = Tensor::select(&half.lt(&frac)?, &one.sub(&frac)?, &frac)?;
    let denom = c(x, std::f64::consts::PI).mul(&reduced)?.sin()?.log()?;
    let reflection = Tensor::select(
        &denom.is_finite()?,
        &c(x, LOG_PI).sub(&denom)?.sub(&log_y)?,
        &denom.neg()?,
    )?;
    let r = Tensor::select(&need_reflect, &reflection, &log_y)?;
    let inf = c(x, f64::INFINITY);
    Tensor::select(&x.abs()?.eq(&inf)?, &inf, &r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrax::prelude::*;

    /// `fma_f64` is `f64::mul_add` (one rounding) on 30,000 pseudo-random triples:
    /// operands of either sign with exponents -40 to 40 apart, addends near `-a * b`
    /// (cancellation), far below it and far above it.
    #[test]
    fn fma_f64_rounds_once() {
        let n = 30_000u64;
        let word = |i: u64, s: u64| {
            let mut h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ s;
            h ^= h >> 31;
            h.wrapping_mul(0xBF58_476D_1CE4_E5B9)
        };
        let float = |h: u64| {
            let e = 1023 - 40 + (h >> 56) % 81;
            f64::from_bits((h & 0x800F_FFFF_FFFF_FFFF) | (e << 52))
        };
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut c = Vec::new();
        for i in 0..n {
            let (x, y) = (float(word(i, 1)), float(word(i, 2)));
            let z = match i % 3 {
                0 => -(x * y) * (1.0 + float(word(i, 3)) * 1e-30),
                1 => float(word(i, 3)) * 1e-20,
                _ => float(word(i, 3)) * 1e20,
            };
            a.push(x);
            b.push(y);
            c.push(z);
        }
        // Run-time arguments (a jitted function) and constants of the program both.
        let arr = |v: &Vec<f64>| Array::from_vec(v.clone(), vec![v.len()]).expect("array");
        let mut jitted = ferrax::jit(|a: &Tensor, b: &Tensor, c: &Tensor| fma_f64(a, b, c));
        let got = jitted
            .call(&[&arr(&a), &arr(&b), &arr(&c)])
            .and_then(|r| r.to_vec::<f64>())
            .expect("fma");
        let t = |v: &Vec<f64>| Tensor::from_vec(v.clone(), [v.len()]).expect("tensor");
        let folded = fma_f64(&t(&a), &t(&b), &t(&c))
            .and_then(|r| r.eval())
            .and_then(|r| r.to_vec::<f64>())
            .expect("fma");
        let unequal = got
            .iter()
            .zip(&folded)
            .filter(|(g, f)| g.to_bits() != f.to_bits());
        assert_eq!(unequal.count(), 0, "run-time and folded results differ");
        let bad: Vec<usize> = (0..n as usize)
            .filter(|&i| got[i].to_bits() != a[i].mul_add(b[i], c[i]).to_bits())
            .collect();
        assert!(
            bad.is_empty(),
            "{} differ, first at {:?}",
            bad.len(),
            bad.first()
        );
    }
}
