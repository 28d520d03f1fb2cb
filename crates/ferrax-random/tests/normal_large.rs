//! The samplers whose f32 path goes through `log1p` (and `erf_inv`, which uses it), on
//! 100,000 elements against the real JAX 0.10.2 (`tests/golden/random/large_*.jsonl`, made
//! by `python3 scripts/golden_random.py`), bit for bit by SHA-256. At this size the
//! 1-2 ulp disagreements of an XLA whose `log1p` rounds differently from jaxlib's show up
//! (3-4% of elements of exponential, laplace and logistic, 0.4% of normal and
//! truncated_normal, before ferrax spelled out jaxlib's `log1p`).
//!
//! Also `maxwell` and `double_sided_maxwell` on both sides of 4,096 normal draws, where
//! jaxlib's XLA switches how it sums the three squares (`large_*maxwell.jsonl`), in every
//! float dtype and mode.

mod golden;

use ferrax::prelude::*;
use ferrax_random::{self as random, SampleOpts};
use golden::{check, Args, Case};

type R = ferrax::Result<Tensor>;

fn shape(a: &Args) -> Vec<usize> {
    a.shape("shape").unwrap_or_default()
}

#[test]
fn normal_large() {
    check("large_normal", |_c: &Case, k, a: &Args| -> R {
        random::normal(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn truncated_normal_large() {
    check("large_truncated_normal", |_c: &Case, k, a: &Args| -> R {
        let opts = SampleOpts {
            shape: a.shape("shape"),
            dtype: a.dtype("dtype"),
        };
        let (lo, hi) = (a.param("lower"), a.param("upper"));
        match (lo, hi) {
            (Some(lo), Some(hi)) => random::truncated_normal(k, lo, hi, opts),
            _ => Err(ferrax::Error::invalid(
                "fixture",
                "lower and upper expected",
            )),
        }
    });
}

#[test]
fn exponential_large() {
    check("large_exponential", |_c: &Case, k, a: &Args| -> R {
        random::exponential(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn laplace_large() {
    check("large_laplace", |_c: &Case, k, a: &Args| -> R {
        random::laplace(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn logistic_large() {
    check("large_logistic", |_c: &Case, k, a: &Args| -> R {
        random::logistic(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn maxwell_sizes() {
    check("large_maxwell", |_c: &Case, k, a: &Args| -> R {
        random::maxwell(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn double_sided_maxwell_sizes() {
    check(
        "large_double_sided_maxwell",
        |_c: &Case, k, a: &Args| -> R {
            match (a.param("loc"), a.param("scale")) {
                (Some(loc), Some(scale)) => {
                    random::double_sided_maxwell(k, loc, scale, &shape(a), a.dtype("dtype"))
                }
                _ => Err(ferrax::Error::invalid("fixture", "loc and scale expected")),
            }
        },
    );
}
