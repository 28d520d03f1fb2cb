//! Eager use: `random::key(seed)` and `.eval()`, no jit. The key is then a constant of the
//! program, so ferrax's constant folder and XLA's may compute the integer parts on the
//! host; the results must still be JAX's. Compared with a few golden vectors of
//! `tests/golden/random/`.

mod golden;

use ferrax::prelude::*;
use ferrax_random::{self as random, config, SampleOpts, UniformOpts};
use golden::{dtype_of, load};
use sha2::{Digest, Sha256};

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first fixture of `family` whose line satisfies `pick`.
fn fixture(family: &str, pick: impl Fn(&golden::Case) -> bool) -> golden::Case {
    load(family)
        .into_iter()
        .find(|c| pick(c))
        .unwrap_or_else(|| panic!("no such {family} fixture"))
}

fn check(c: &golden::Case, t: ferrax::Result<Tensor>) {
    let a = t.unwrap().eval().unwrap();
    assert_eq!(a.shape(), c.out_shape.as_slice(), "line {}", c.line);
    assert_eq!(a.dtype(), c.out_dtype, "line {}", c.line);
    assert_eq!(
        sha(&a.to_bytes().unwrap()),
        c.sha256,
        "{}:{} {} seed={} args={}",
        c.fn_name,
        c.line,
        c.fn_name,
        c.seed,
        c.args
    );
}

fn shape(c: &golden::Case) -> Vec<usize> {
    c.args["shape"]
        .as_array()
        .map(|a| a.iter().map(|d| d.as_u64().unwrap() as usize).collect())
        .unwrap_or_default()
}

fn dtype(c: &golden::Case) -> Option<DType> {
    c.args["dtype"].as_str().and_then(dtype_of)
}

fn with_mode<R>(c: &golden::Case, f: impl FnOnce() -> R) -> R {
    let _x = config::enable_x64_scope(c.x64);
    let _p = config::threefry_partitionable_scope(c.partitionable);
    f()
}

#[test]
fn eager_bits_split_fold_in() {
    for part in [true, false] {
        let c = fixture("bits", |c| {
            c.partitionable == part && c.out_shape == [7, 3] && c.out_dtype == DType::U8
        });
        with_mode(&c, || {
            check(&c, random::bits(&random::key(c.seed), &[7, 3], dtype(&c)))
        });
        let c = fixture("split", |c| c.partitionable == part && c.args["num"] == 5);
        with_mode(&c, || {
            check(
                &c,
                random::split(&random::key(c.seed), 5).map(|k| random::key_data(&k)),
            )
        });
    }
    let c = fixture("fold_in", |c| c.args["data"] == 7);
    with_mode(&c, || {
        check(
            &c,
            random::fold_in(&random::key(c.seed), 7).map(|k| random::key_data(&k)),
        )
    });
}

#[test]
fn eager_float_samplers() {
    for part in [true, false] {
        let c = fixture("normal", |c| {
            c.partitionable == part && !c.x64 && c.out_shape == [7, 3] && dtype(c).is_none()
        });
        with_mode(&c, || {
            check(&c, random::normal(&random::key(c.seed), &shape(&c), None))
        });
        let c = fixture("uniform", |c| {
            c.partitionable == part && !c.x64 && c.args["minval"] == -3.0 && c.out_shape == [7, 3]
        });
        with_mode(&c, || {
            check(
                &c,
                random::uniform(
                    &random::key(c.seed),
                    &shape(&c),
                    UniformOpts::default().minval(-3.0).maxval(7.5),
                ),
            )
        });
        let c = fixture("truncated_normal", |c| {
            c.partitionable == part && !c.x64 && c.args["lower"] == -2.0 && c.out_shape == [7, 3]
        });
        with_mode(&c, || {
            check(
                &c,
                random::truncated_normal(
                    &random::key(c.seed),
                    -2.0,
                    2.0,
                    SampleOpts::default().shape(&shape(&c)),
                ),
            )
        });
        let c = fixture("gumbel", |c| {
            c.partitionable == part && !c.x64 && c.out_shape == [7, 3] && dtype(c).is_none()
        });
        with_mode(&c, || {
            check(
                &c,
                random::gumbel(&random::key(c.seed), &shape(&c), Default::default()),
            )
        });
    }
}

#[test]
fn eager_integer_samplers() {
    let c = fixture("randint", |c| {
        c.args["minval"] == -5 && c.out_shape == [7, 3]
    });
    with_mode(&c, || {
        check(
            &c,
            random::randint(&random::key(c.seed), &[7, 3], -5, 5, None),
        )
    });
    let c = fixture("permutation", |c| c.args["x"] == 100);
    with_mode(&c, || {
        check(
            &c,
            random::permutation(&random::key(c.seed), 100, Default::default()),
        )
    });
}
