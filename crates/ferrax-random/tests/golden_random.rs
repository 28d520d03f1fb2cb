//! Bit-exactness against the real JAX 0.10.2: the cases of `tests/golden/random/*.jsonl`
//! (regenerate with `python3 scripts/golden_random.py`), in both counter layouts and in
//! 64-bit mode, compared by SHA-256 of the bytes and the leading bit patterns.
//!
//! By default every sixth case of each family runs (XLA compiles each in 50-100 ms);
//! `FERRAX_GOLDEN_FULL=1 cargo test -p ferrax-random --test golden_random` runs them all.

mod golden;

use ferrax::prelude::*;
use ferrax_random::{self as random, Param};
use golden::{check, Args, Case};

type R = ferrax::Result<Tensor>;

fn shape(a: &Args) -> Vec<usize> {
    a.shape("shape").unwrap_or_default()
}

fn sample_opts(a: &Args) -> random::SampleOpts {
    random::SampleOpts {
        shape: a.shape("shape"),
        dtype: a.dtype("dtype"),
    }
}

#[test]
fn keys() {
    check("keys", |c: &Case, _k, a: &Args| -> R {
        match c.fn_name.as_str() {
            "key" => Ok(random::key_data(&random::key(c.seed))),
            _ => Ok(random::key_data(&random::key_from_tensor(
                &a.tensor("seed").unwrap(),
            )?)),
        }
    });
}

#[test]
fn fold_in() {
    check("fold_in", |c: &Case, k, a: &Args| -> R {
        let out = match c.fn_name.as_str() {
            "fold_in" => random::fold_in(k, a.int("data", 0))?,
            _ => {
                let mut k = k.clone();
                for d in a.v["data"].as_array().unwrap() {
                    k = random::fold_in(&k, d.as_i64().unwrap())?;
                }
                k
            }
        };
        Ok(random::key_data(&out))
    });
}

#[test]
fn split() {
    check("split", |c: &Case, k, a: &Args| -> R {
        let out = match c.fn_name.as_str() {
            "split" if a.v["num"].is_array() => random::split_shape(k, &a.shape("num").unwrap())?,
            "split" => random::split(k, a.int("num", 2) as usize)?,
            _ => {
                let ks = random::split(k, 4)?;
                random::split(
                    &ks.get(a.int("index", 0) as usize)?,
                    a.int("num", 2) as usize,
                )?
            }
        };
        Ok(random::key_data(&out))
    });
}

#[test]
fn bits() {
    check("bits", |_c, k, a: &Args| -> R {
        random::bits(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn uniform() {
    check("uniform", |_c, k, a: &Args| -> R {
        let mut o = random::UniformOpts {
            dtype: a.dtype("dtype"),
            ..Default::default()
        };
        if let Some(p) = a.param("minval") {
            o.minval = p;
        }
        if let Some(p) = a.param("maxval") {
            o.maxval = p;
        }
        random::uniform(k, &shape(a), o)
    });
}

#[test]
fn normal() {
    check("normal", |_c, k, a: &Args| -> R {
        random::normal(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn truncated_normal() {
    check("truncated_normal", |_c, k, a: &Args| -> R {
        random::truncated_normal(
            k,
            a.param("lower").unwrap(),
            a.param("upper").unwrap(),
            sample_opts(a),
        )
    });
}

#[test]
fn bernoulli() {
    check("bernoulli", |_c, k, a: &Args| -> R {
        let o = random::BernoulliOpts {
            shape: a.shape("shape"),
            mode: a.mode().unwrap_or_default(),
        };
        random::bernoulli(k, a.param("p").unwrap_or(Param::Float(0.5)), o)
    });
}

#[test]
fn randint() {
    check("randint", |_c, k, a: &Args| -> R {
        random::randint(
            k,
            &shape(a),
            a.param("minval").unwrap(),
            a.param("maxval").unwrap(),
            a.dtype("dtype"),
        )
    });
}

#[test]
fn permutation() {
    check("permutation", |_c, k, a: &Args| -> R {
        let o = random::PermutationOpts {
            axis: a.int("axis", 0) as isize,
            independent: a.bool("independent", false),
        };
        random::permutation(k, a.param("x").unwrap(), o)
    });
}

#[test]
fn choice() {
    check("choice", |_c, k, a: &Args| -> R {
        let o = random::ChoiceOpts {
            replace: a.bool("replace", true),
            p: a.tensor("p"),
            axis: a.int("axis", 0) as isize,
            mode: a.mode(),
        };
        random::choice(k, a.param("a").unwrap(), &shape(a), o)
    });
}

#[test]
fn categorical() {
    check("categorical", |_c, k, a: &Args| -> R {
        let o = random::CategoricalOpts {
            axis: a.int("axis", -1) as isize,
            shape: a.shape("shape"),
            replace: a.bool("replace", true),
            mode: a.mode(),
        };
        random::categorical(k, &a.tensor("logits").unwrap(), o)
    });
}

#[test]
fn gumbel() {
    check("gumbel", |_c, k, a: &Args| -> R {
        let o = random::GumbelOpts {
            dtype: a.dtype("dtype"),
            mode: a.mode(),
        };
        random::gumbel(k, &shape(a), o)
    });
}

#[test]
fn exponential() {
    check("exponential", |_c, k, a: &Args| -> R {
        random::exponential(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn laplace() {
    check("laplace", |_c, k, a: &Args| -> R {
        random::laplace(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn logistic() {
    check("logistic", |_c, k, a: &Args| -> R {
        random::logistic(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn cauchy() {
    check("cauchy", |_c, k, a: &Args| -> R {
        random::cauchy(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn maxwell() {
    check("maxwell", |_c, k, a: &Args| -> R {
        random::maxwell(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn rademacher() {
    check("rademacher", |_c, k, a: &Args| -> R {
        random::rademacher(k, &shape(a), a.dtype("dtype"))
    });
}

#[test]
fn double_sided_maxwell() {
    check("double_sided_maxwell", |_c, k, a: &Args| -> R {
        random::double_sided_maxwell(
            k,
            a.param("loc").unwrap(),
            a.param("scale").unwrap(),
            &shape(a),
            a.dtype("dtype"),
        )
    });
}

#[test]
fn weibull_min() {
    check("weibull_min", |_c, k, a: &Args| -> R {
        random::weibull_min(
            k,
            a.param("scale").unwrap(),
            a.param("concentration").unwrap(),
            &shape(a),
            a.dtype("dtype"),
        )
    });
}

#[test]
fn pareto() {
    check("pareto", |_c, k, a: &Args| -> R {
        random::pareto(k, a.param("b").unwrap(), sample_opts(a))
    });
}

#[test]
fn rayleigh() {
    check("rayleigh", |_c, k, a: &Args| -> R {
        random::rayleigh(k, a.param("scale").unwrap(), sample_opts(a))
    });
}

#[test]
fn wald() {
    check("wald", |_c, k, a: &Args| -> R {
        random::wald(k, a.param("mean").unwrap(), sample_opts(a))
    });
}

#[test]
fn geometric() {
    check("geometric", |_c, k, a: &Args| -> R {
        random::geometric(k, a.param("p").unwrap(), sample_opts(a))
    });
}

#[test]
fn triangular() {
    check("triangular", |_c, k, a: &Args| -> R {
        random::triangular(
            k,
            a.param("left").unwrap(),
            a.param("mode").unwrap(),
            a.param("right").unwrap(),
            sample_opts(a),
        )
    });
}

#[test]
fn lognormal() {
    check("lognormal", |_c, k, a: &Args| -> R {
        // JAX's default sigma is np.float32(1): a strongly typed f32 scalar.
        let sigma = a
            .param("sigma")
            .unwrap_or_else(|| Param::Tensor(Tensor::scalar(1.0f32)));
        random::lognormal(k, sigma, sample_opts(a))
    });
}
