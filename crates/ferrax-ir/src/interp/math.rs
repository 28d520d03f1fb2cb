//! Special functions not in Rust's std.

use std::f64::consts::{FRAC_2_SQRT_PI, PI};

/// `exp(-a*a)` with the rounding error of `a*a` compensated.
fn exp_neg_sq(a: f64) -> f64 {
    let hi = a * a;
    let lo = a.mul_add(a, -hi);
    (-hi).exp() * (1.0 - lo)
}

/// The error function in f64 (a few ulp of accuracy).
///
/// * `|x| < 3`: `erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (2n+1)!!`, a series
///   of positive terms (no cancellation).
/// * `3 <= |x| < 6`: `1 - erfc(x)` with `erfc` from its continued fraction.
/// * `|x| >= 6`: `+-1` (`erfc(6) < 2^-54`).
pub(crate) fn erf(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 {
        return x;
    }
    let a = x.abs();
    let r = if a < 3.0 {
        let a2 = 2.0 * a * a;
        let mut term = a;
        let mut sum = a;
        let mut n = 0u32;
        while n < 200 {
            n += 1;
            term *= a2 / f64::from(2 * n + 1);
            sum += term;
            if term <= sum * 1e-18 {
                break;
            }
        }
        FRAC_2_SQRT_PI * exp_neg_sq(a) * sum
    } else if a < 6.0 {
        // erfc(a) = exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + (2/2)/(a + (3/2)/(a + ...))))
        let mut f = a;
        for k in (1..=80u32).rev() {
            f = a + (f64::from(k) / 2.0) / f;
        }
        let erfc = exp_neg_sq(a) / (PI.sqrt() * f);
        1.0 - erfc
    } else {
        1.0
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}
