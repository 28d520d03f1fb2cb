//! Special functions the samplers need that are not primitive ops of `ferrax-ir`, written
//! as the composition XLA computes for JAX: [`lgamma`] (what the StableHLO CHLO
//! legalisation makes of `chlo.lgamma`). Matrix factorisations live in `ferrax_ir::linalg`.

use ferrax_ir::{DType, Error, Result, Tensor};

fn c(x: &Tensor, v: f64) -> Tensor {
    Tensor::scalar_like(x.dtype(), v)
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
