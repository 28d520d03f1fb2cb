//! Special functions not in Rust's std.

use std::f64::consts::FRAC_2_SQRT_PI;

/// The low part of `2/sqrt(pi)`: `FRAC_2_SQRT_PI + FRAC_2_SQRT_PI_LO` is 2/sqrt(pi) to about
/// 106 bits.
const FRAC_2_SQRT_PI_LO: f64 = 1.533_545_961_316_588e-17;
/// `1/sqrt(pi)`.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// `exp(-a*a)` with the rounding error of `a*a` compensated.
fn exp_neg_sq(a: f64) -> f64 {
    let hi = a * a;
    let lo = a.mul_add(a, -hi);
    (-hi).exp() * (1.0 - lo)
}

/// The error function in f64, within about 2 ulp (checked against 200-bit references).
///
/// * `|x| < 1`: the Taylor series `2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))`, with
///   the leading term `2/sqrt(pi) * x` evaluated in double-double.
/// * `1 <= |x| < 6`: `1 - erfc(x)`, `erfc` from its continued fraction
///   `exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))`, with enough terms for
///   the argument range.
/// * `|x| >= 6`: `+-1` (`erfc(6) < 2^-54`).
pub(crate) fn erf(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 {
        return x;
    }
    let a = x.abs();
    let r = if a < 1.0 {
        let x2 = a * a;
        let mut term = a;
        let mut rest = 0.0;
        for n in 1..200u32 {
            term *= -x2 / f64::from(n);
            let t = term / f64::from(2 * n + 1);
            rest += t;
            if t.abs() <= a * 1e-18 {
                break;
            }
        }
        let hi = FRAC_2_SQRT_PI * a;
        let lo = FRAC_2_SQRT_PI.mul_add(a, -hi);
        hi + (lo + FRAC_2_SQRT_PI_LO * a + FRAC_2_SQRT_PI * rest)
    } else if a < 6.0 {
        let terms = if a < 1.5 {
            220
        } else if a < 2.0 {
            110
        } else if a < 3.0 {
            60
        } else {
            30
        };
        let mut f = a;
        for k in (1..=terms).rev() {
            f = a + (f64::from(k) / 2.0) / f;
        }
        1.0 - exp_neg_sq(a) * FRAC_1_SQRT_PI / f
    } else {
        1.0
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}
