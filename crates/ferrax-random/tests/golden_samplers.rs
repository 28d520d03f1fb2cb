//! The loop- and factorisation-based samplers against the real JAX 0.10.2: every case of
//! `tests/golden/random-samplers/*.jsonl` (regenerate with
//! `python3 scripts/golden_random_samplers.py`), in both counter layouts, f32 and f64.
//!
//! Most families are compared bit for bit (SHA-256 of the bytes and the leading bit
//! patterns). `orthogonal` and `multivariate_normal` go through LAPACK in JAX (QR,
//! Cholesky, eigh, SVD) and through `ferrax_ir::linalg` here, so they are
//! compared within a tolerance (see [`TOL_F32`] and [`TOL_F64`]), relative to the largest
//! magnitude of the expected output, the `eigh` and `svd` methods of `multivariate_normal`
//! included (`ferrax_ir::linalg` follows LAPACK's algorithms, so vector signs agree).

use ferrax::prelude::*;
use ferrax_random::{self as random, Param, SampleOpts};
mod golden;
use golden::{check_samplers as check, check_samplers_close as check_close, Args, Case, Judge};

type R = ferrax::Result<Tensor>;

/// Tolerance of the LAPACK-backed families in f32, relative to max |expected|.
const TOL_F32: f64 = 1e-5;
/// Tolerance of the LAPACK-backed families in f64, relative to max |expected|.
const TOL_F64: f64 = 1e-12;

fn opts(a: &Args) -> SampleOpts {
    SampleOpts {
        shape: a.shape("shape"),
        dtype: a.dtype("dtype"),
    }
}

#[test]
fn gamma() {
    check("gamma", |c: &Case, k, a: &Args| -> R {
        let p = a.param("a").unwrap();
        match c.fn_name.as_str() {
            "gamma" => random::gamma(k, p, opts(a)),
            _ => random::loggamma(k, p, opts(a)),
        }
    });
}

/// bf16 and f16 draws of the gamma family (`low_precision`): `jnp.sum` in f32, bf16
/// operands of powers rounded as jaxlib rounds them, f16 `f` with XLA's folded constants.
#[test]
fn low_precision() {
    check("low_precision", |c: &Case, k, a: &Args| -> R {
        let p = |n: &str| a.param(n).unwrap();
        match c.fn_name.as_str() {
            "gamma" => random::gamma(k, p("a"), opts(a)),
            "loggamma" => random::loggamma(k, p("a"), opts(a)),
            "generalized_normal" => random::generalized_normal(
                k,
                p("p"),
                &a.shape("shape").unwrap_or_default(),
                a.dtype("dtype"),
            ),
            "beta" => random::beta(k, p("a"), p("b"), opts(a)),
            "chisquare" => random::chisquare(k, p("df"), opts(a)),
            "f" => random::f(k, p("dfnum"), p("dfden"), opts(a)),
            "t" => random::t(k, p("df"), opts(a)),
            other => Err(ferrax::Error::invalid(
                "fixture",
                format!("unexpected {other}"),
            )),
        }
    });
}

#[test]
fn beta() {
    check("beta", |_c, k, a: &Args| -> R {
        random::beta(k, a.param("a").unwrap(), a.param("b").unwrap(), opts(a))
    });
}

/// `dirichlet` bit for bit, on the general cases, on 18 keys in both layouts
/// (`dirichlet_keys`) and on sizes from 3 to 1,200 elements (`dirichlet_sizes`): jaxlib
/// computes the log-gamma draws' `log(V)` in a kernel of its own, which for some sizes
/// calls the C library's `logf` (ferrax spells out both); with XLA's fused `log`
/// throughout, 9 of the 36 `dirichlet_keys` cases were 1-2 ulp off (35 with alpha a
/// constant, before ferrax kept XLA from folding `log(d)`). `dirichlet_large` crosses
/// 4,096 draws, where jaxlib moves the logs, the max, the exp and the sum into YNNPACK
/// (ferrax-random's `ynn` module): last axes of 2 to 40, f32, bf16 and f16; before ferrax
/// spelled that out, 1,731-1,853 of 4,400 f32 elements differed (up to 23 ulp).
#[test]
fn dirichlet() {
    for family in [
        "dirichlet",
        "dirichlet_keys",
        "dirichlet_sizes",
        "dirichlet_large",
    ] {
        check(family, |_c, k, a: &Args| -> R {
            random::dirichlet(k, &a.tensor("alpha").unwrap(), opts(a))
        });
    }
    // jitted JAX gives the same bits with alpha a constant of the program; XLA must not
    // fold `log(alpha - 1/3)` here (jaxlib does not either).
    for family in ["dirichlet_keys", "dirichlet_large"] {
        check(family, |_c, k, a: &Args| -> R {
            random::dirichlet(k, &a.constant("alpha").unwrap(), opts(a))
        });
    }
}

#[test]
fn chisquare() {
    check("chisquare", |_c, k, a: &Args| -> R {
        random::chisquare(k, a.param("df").unwrap(), opts(a))
    });
}

#[test]
fn f() {
    check("f", |_c, k, a: &Args| -> R {
        random::f(
            k,
            a.param("dfnum").unwrap(),
            a.param("dfden").unwrap(),
            opts(a),
        )
    });
}

#[test]
fn t() {
    check("t", |_c, k, a: &Args| -> R {
        random::t(k, a.param("df").unwrap(), opts(a))
    });
}

#[test]
fn generalized_normal() {
    // `_sizes`: where jaxlib's compiler makes `x ** 0.5` a square root.
    for family in ["generalized_normal", "generalized_normal_sizes"] {
        check(family, |_c, k, a: &Args| -> R {
            random::generalized_normal(
                k,
                a.param("p").unwrap(),
                &a.shape("shape").unwrap_or_default(),
                a.dtype("dtype"),
            )
        });
    }
}

#[test]
fn ball() {
    // `_sizes`: up to 6,000 elements, past the size where jaxlib's sum becomes YNNPACK's,
    // any `d` and `p`, and bf16 and f16.
    for family in ["ball", "ball_sizes"] {
        check(family, |_c, k, a: &Args| -> R {
            random::ball(
                k,
                a.int("d", 2) as usize,
                a.param("p").unwrap_or(Param::Float(2.0)),
                &a.shape("shape").unwrap_or_default(),
                a.dtype("dtype"),
            )
        });
    }
}

#[test]
fn poisson() {
    check("poisson", |_c, k, a: &Args| -> R {
        random::poisson(k, a.param("lam").unwrap(), opts(a))
    });
}

#[test]
fn binomial() {
    check("binomial", |_c, k, a: &Args| -> R {
        random::binomial(k, a.param("n").unwrap(), a.param("p").unwrap(), opts(a))
    });
}

#[test]
fn multinomial() {
    check("multinomial", |_c, k, a: &Args| -> R {
        random::multinomial(k, a.param("n").unwrap(), &a.tensor("p").unwrap(), opts(a))
    });
}

#[test]
fn orthogonal() {
    let o = check_close(
        "orthogonal",
        |_c, k, a: &Args| -> R {
            random::orthogonal(
                k,
                a.int("n", 1) as usize,
                &a.shape("shape").unwrap_or_default(),
                a.dtype("dtype"),
                a.opt_int("m").map(|m| m as usize),
            )
        },
        |_| Judge::Close {
            tol32: TOL_F32,
            tol64: TOL_F64,
        },
    );
    assert!(!o.deviations.is_empty());
}

#[test]
fn multivariate_normal() {
    let o = check_close(
        "multivariate_normal",
        |_c, k, a: &Args| -> R {
            let method = match a.str("method").unwrap_or("cholesky") {
                "eigh" => random::CovMethod::Eigh,
                "svd" => random::CovMethod::Svd,
                _ => random::CovMethod::Cholesky,
            };
            let o = random::MultivariateNormalOpts {
                shape: a.shape("shape"),
                dtype: a.dtype("dtype"),
                method,
            };
            random::multivariate_normal(k, &a.tensor("mean").unwrap(), &a.tensor("cov").unwrap(), o)
        },
        // Every method within the LAPACK tolerance: eigh / svd follow LAPACK's algorithms,
        // eigenvector signs included.
        |_c| Judge::Close {
            tol32: TOL_F32,
            tol64: TOL_F64,
        },
    );
    assert!(!o.deviations.is_empty());
}

/// Invalid arguments are errors (at trace time), never panics.
#[test]
fn errors() -> ferrax::Result<()> {
    let k = random::key(0);
    let so = SampleOpts::default;
    let v3 = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
    let v3_64 = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], [3])?;
    assert!(random::gamma(&k, 1.0, so().dtype(DType::I32)).is_err());
    assert!(random::gamma(&k, &v3, so().shape(&[2])).is_err());
    assert!(random::loggamma(&random::split(&k, 2)?, 1.0, so()).is_err());
    assert!(random::beta(&k, &v3, 1.0, so().shape(&[4])).is_err());
    assert!(random::t(&k, &v3_64, so().dtype(DType::F32)).is_err());
    assert!(random::chisquare(&k, 1.0, so().dtype(DType::U8)).is_err());
    assert!(random::f(&k, &v3, &Tensor::from_vec(vec![1.0f32; 2], [2])?, so()).is_err());
    assert!(random::dirichlet(&k, &Tensor::scalar(1.0f32), so()).is_err());
    assert!(random::dirichlet(&k, &v3, so().shape(&[2]).dtype(DType::I32)).is_err());
    assert!(random::generalized_normal(&k, &v3, &[2], None).is_err());
    assert!(random::ball(&k, 3, &v3, &[], None).is_err());
    assert!(random::poisson(&k, 3.0, so().dtype(DType::F32)).is_err());
    assert!(random::poisson(&k, &v3, so().shape(&[2])).is_err());
    assert!(random::binomial(&k, 5.0, 0.5, so().dtype(DType::I32)).is_err());
    assert!(random::binomial(&k, &v3, 0.5, so().shape(&[2, 2])).is_err());
    assert!(random::multinomial(&k, 5.0, &Tensor::scalar(1.0f32), so()).is_err());
    assert!(random::orthogonal(&k, 3, &[], Some(DType::I32), None).is_err());
    let mo = random::MultivariateNormalOpts::default;
    let cov = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], [2, 2])?;
    assert!(random::multivariate_normal(&k, &v3, &cov, mo()).is_err());
    assert!(random::multivariate_normal(&k, &Tensor::scalar(0.0f32), &cov, mo()).is_err());
    assert!(random::multivariate_normal(&k, &v3, &v3, mo()).is_err());
    let m2 = Tensor::from_vec(vec![0.0f32; 6], [3, 2])?;
    assert!(random::multivariate_normal(&k, &m2, &cov, mo().shape(&[2])).is_err());
    assert!(random::multivariate_normal(&k, &m2, &cov, mo().dtype(DType::I32)).is_err());
    Ok(())
}
