//! `Rngs` / `RngStream` against the real Flax (scripts/golden_nnx_rngs.py) and the spec's
//! call sequences and error text.

use ferrax::nn::{self, Rngs};
use ferrax::prelude::*;
use ferrax::random;

fn kd(k: &random::Key) -> Vec<u64> {
    random::key_data(k)
        .eval()
        .unwrap()
        .to_vec::<u32>()
        .unwrap()
        .into_iter()
        .map(u64::from)
        .collect()
}

fn golden() -> serde_json::Value {
    common::golden("nnx_rngs.json")
}

fn u64s(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn build(streams: &serde_json::Value) -> Rngs {
    let mut r = Rngs::new();
    for s in streams.as_array().unwrap() {
        r = r.with(s[0].as_str().unwrap(), s[1].as_i64().unwrap());
    }
    r
}

#[test]
fn call_sequences_match_flax() {
    let g = golden();
    for case in g["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("calls").is_some())
    {
        let mut rngs = build(&case["streams"]);
        for call in case["calls"].as_array().unwrap() {
            let name = call[0].as_str().unwrap();
            let key = match name {
                "__call__" => rngs.next_key().unwrap(),
                "params" => rngs.params().unwrap(),
                "dropout" => rngs.dropout().unwrap(),
                other => rngs.stream(other).unwrap().next_key().unwrap(),
            };
            assert_eq!(kd(&key), u64s(&call[1]), "stream {name}");
        }
    }
}

#[test]
fn fork_and_split_match_flax() {
    let g = golden();
    let cases = g["cases"].as_array().unwrap();
    let fork = cases.iter().find(|c| c.get("fork_then").is_some()).unwrap();
    let mut rngs = build(&fork["streams"]);
    let mut forked = rngs.stream("params").unwrap().fork().unwrap();
    assert_eq!(kd(&forked.next_key().unwrap()), u64s(&fork["fork_then"]));
    assert_eq!(kd(&rngs.params().unwrap()), u64s(&fork["after_fork"]));

    let split = cases
        .iter()
        .find(|c| c.get("split4_key_data").is_some())
        .unwrap();
    let mut rngs = build(&split["streams"]);
    let s = rngs.stream("params").unwrap().split(4).unwrap();
    assert_eq!(s.key().unwrap().shape(), &[4]);
    assert_eq!(kd(&s.key().unwrap()), u64s(&split["split4_key_data"]));
}

#[test]
fn params_zero_first_key_is_the_documented_value() {
    let mut rngs = Rngs::new().with("params", 0);
    assert_eq!(kd(&rngs.params().unwrap()), vec![1797259609, 2579123966]);
}

#[test]
fn unknown_stream_without_default_is_the_flax_error() {
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let e = rngs.stream("unkown_stream").unwrap_err();
    assert_eq!(
        e.message,
        "No RngStream named 'unkown_stream' found in Rngs."
    );
    assert!(rngs.next_key().is_err());
}

#[test]
fn rngs_state_is_keys_and_counts_that_advance() {
    let mut rngs = Rngs::seed(0).with("params", 1);
    let names: Vec<String> = nn::variables(&rngs).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        names,
        ["default.key", "default.count", "params.key", "params.count"]
    );
    rngs.params().unwrap();
    rngs.params().unwrap();
    let s = nn::State::of(&rngs).unwrap();
    assert_eq!(
        s.get("params.count").unwrap().to_vec::<u32>().unwrap(),
        vec![2]
    );
    assert_eq!(
        s.get("default.count").unwrap().to_vec::<u32>().unwrap(),
        vec![0]
    );
}

#[test]
fn drawing_from_a_split_stream_is_an_error() {
    let mut rngs = Rngs::new().with("params", 0);
    let mut s = rngs.stream("params").unwrap().split(3).unwrap();
    assert!(s.next_key().unwrap_err().to_string().contains("vmap"));
}

// ---------------------------------------------------------------------------------------
// Sampling methods, split/fork/broadcast: against `tests/golden/nnx_init.json`
// (scripts/golden_nnx_init.py, the real Flax 0.12.8).
// ---------------------------------------------------------------------------------------

use ferrax::{Literal, TensorType};
use ferrax_random::{
    config, BernoulliOpts, CategoricalOpts, ChoiceOpts, GumbelOpts, MultivariateNormalOpts, Param,
    PermutationOpts, SampleOpts, UniformOpts,
};
use serde_json::Value;

mod common;
use common::{dtype_of, hexes, sha, usizes};

fn init_golden() -> Value {
    common::golden("nnx_init.json")
}

/// The arguments of one fixture call, decoded as `jax.random` receives them.
struct A<'a>(&'a Value);

impl A<'_> {
    fn shape(&self) -> Vec<usize> {
        self.0.get("shape").map(usizes).unwrap_or_default()
    }
    fn dtype(&self) -> Option<DType> {
        self.0.get("dtype").and_then(Value::as_str).map(dtype_of)
    }
    fn p(&self, name: &str) -> Param {
        let v = &self.0[name];
        if v.is_i64() {
            Param::Int(v.as_i64().unwrap())
        } else {
            Param::Float(v.as_f64().unwrap_or_else(|| panic!("argument {name}")))
        }
    }
    fn array(&self, name: &str) -> Tensor {
        let v = &self.0[name];
        let hex = v["hex"].as_str().unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let ty = TensorType::new(dtype_of(v["dtype"].as_str().unwrap()), usizes(&v["shape"]));
        Tensor::constant(Literal::from_bytes(ty, bytes).unwrap())
    }
    fn opts(&self) -> SampleOpts {
        SampleOpts::default().shape(&self.shape())
    }
}

/// `target.<method>(args)` for an `RngStream` or `Rngs` (the same inherent methods).
macro_rules! call_method {
    ($t:expr, $m:expr, $a:expr) => {{
        let a = &$a;
        let s = a.shape();
        match $m {
            "bits" => $t.bits(&s, a.dtype()),
            "uniform" => {
                let mut o = UniformOpts::default();
                o.dtype = a.dtype();
                if a.0.get("minval").is_some() {
                    o = o.minval(a.p("minval")).maxval(a.p("maxval"));
                }
                $t.uniform(&s, o)
            }
            "randint" => $t.randint(&s, a.p("minval"), a.p("maxval"), a.dtype()),
            "permutation" => $t.permutation(a.p("x"), PermutationOpts::default()),
            "choice" => $t.choice(
                a.p("a"),
                &s,
                ChoiceOpts::default().replace(a.0["replace"].as_bool().unwrap_or(true)),
            ),
            "normal" => $t.normal(&s, a.dtype()),
            "truncated_normal" => $t.truncated_normal(a.p("lower"), a.p("upper"), a.opts()),
            "bernoulli" => $t.bernoulli(a.p("p"), BernoulliOpts::default().shape(&s)),
            "beta" => $t.beta(a.p("a"), a.p("b"), a.opts()),
            "cauchy" => $t.cauchy(&s, a.dtype()),
            "dirichlet" => $t.dirichlet(&a.array("alpha"), a.opts()),
            "exponential" => $t.exponential(&s, a.dtype()),
            "gamma" => $t.gamma(a.p("a"), a.opts()),
            "loggamma" => $t.loggamma(a.p("a"), a.opts()),
            "poisson" => $t.poisson(a.p("lam"), a.opts()),
            "gumbel" => $t.gumbel(&s, GumbelOpts::default()),
            "categorical" => {
                $t.categorical(&a.array("logits"), CategoricalOpts::default().shape(&s))
            }
            "laplace" => $t.laplace(&s, a.dtype()),
            "logistic" => $t.logistic(&s, a.dtype()),
            "pareto" => $t.pareto(a.p("b"), a.opts()),
            "t" => $t.t(a.p("df"), a.opts()),
            "chisquare" => $t.chisquare(a.p("df"), a.opts()),
            "f" => $t.f(a.p("dfnum"), a.p("dfden"), a.opts()),
            "rademacher" => $t.rademacher(&s, a.dtype()),
            "maxwell" => $t.maxwell(&s, a.dtype()),
            "double_sided_maxwell" => {
                $t.double_sided_maxwell(a.p("loc"), a.p("scale"), &s, a.dtype())
            }
            "weibull_min" => $t.weibull_min(a.p("scale"), a.p("concentration"), &s, a.dtype()),
            "orthogonal" => $t.orthogonal(a.0["n"].as_u64().unwrap() as usize, &s, a.dtype(), None),
            "generalized_normal" => $t.generalized_normal(a.p("p"), &s, a.dtype()),
            "ball" => $t.ball(a.0["d"].as_u64().unwrap() as usize, a.p("p"), &s, a.dtype()),
            "rayleigh" => $t.rayleigh(a.p("scale"), a.opts()),
            "wald" => $t.wald(a.p("mean"), a.opts()),
            "geometric" => $t.geometric(a.p("p"), a.opts()),
            "triangular" => $t.triangular(a.p("left"), a.p("mode"), a.p("right"), a.opts()),
            "lognormal" => $t.lognormal(a.p("sigma"), a.opts()),
            "binomial" => $t.binomial(a.p("n"), a.p("p"), a.opts()),
            "multinomial" => $t.multinomial(a.p("n"), &a.array("p"), a.opts()),
            "multivariate_normal" => $t.multivariate_normal(
                &a.array("mean"),
                &a.array("cov"),
                MultivariateNormalOpts::default().shape(&s),
            ),
            other => panic!("method {other}"),
        }
    }};
}

/// Samplers whose fixture value is not the bits `ferrax_random` promises. The fixtures come
/// from eager Flax calls, where JAX passes the numeric parameters to the sampler's inner
/// `jit` as run-time values; `ferrax_random` follows JAX's jitted-program convention (a
/// number is a constant of the program that XLA folds), checked bit for bit by
/// `tests/golden/random-samplers`. JAX's own eager and jitted results differ for `beta`,
/// `f` and `generalized_normal` (1-3 ulp; ferrax equals the jitted ones, see the crate
/// docs). The method is a plain forward, so for these the result is accepted within 4 ulp
/// over outputs the fixture's leading values cover whole.
const KNOWN_ULP: [&str; 3] = ["beta", "f", "generalized_normal"];

fn max_ulp(a: &[String], b: &[String]) -> u64 {
    let ord = |h: &str| -> i64 {
        let v = u32::from_str_radix(&h[2..], 16).unwrap();
        if v & 0x8000_0000 != 0 {
            -((v & 0x7fff_ffff) as i64)
        } else {
            v as i64
        }
    };
    a.iter()
        .zip(b)
        .map(|(x, y)| (ord(x) - ord(y)).unsigned_abs())
        .max()
        .unwrap_or(0)
}

#[test]
fn every_sampling_method_draws_the_next_key_like_flax() {
    let g = init_golden();
    let cases = g["stream_methods"].as_array().unwrap();
    let mut failures = Vec::new();
    let (mut exact, mut near) = (0, Vec::new());
    for c in cases {
        let _p = config::threefry_partitionable_scope(c["partitionable"].as_bool().unwrap());
        let method = c["method"].as_str().unwrap();
        // As in Flax, the sampler gets its key at run time (there, `rngs.params()` runs
        // eagerly and the jitted `jax.random` function receives the key as an argument):
        // the streams' starting keys are program inputs.
        let seeds = [
            c["default_seed"].as_i64().unwrap(),
            c["seed"].as_i64().unwrap(),
        ];
        let keys: Vec<Array> = seeds
            .iter()
            .map(|&s| Array::from_vec(random::key_data_of_seed(s).to_vec(), [2]).unwrap())
            .collect();
        let draws = c["draws"].as_u64().unwrap();
        let args = A(&c["args"]);
        let mut jf = ferrax::jit(|kd: &[Tensor]| -> ferrax::Result<Vec<Tensor>> {
            let mut rngs = Rngs::new()
                .with_key("default", &random::wrap_key_data(&kd[0])?)?
                .with_key("params", &random::wrap_key_data(&kd[1])?)?;
            for _ in 0..draws {
                rngs.params()?;
            }
            let out = if c["via"] == "stream" {
                let s = rngs.stream("params")?;
                call_method!(s, method, args)?
            } else {
                call_method!(rngs, method, args)?
            };
            let params_count = rngs.stream("params")?.count.value();
            let default_count = rngs.stream("default")?.count.value();
            Ok(vec![out, params_count, default_count])
        });
        let res: Vec<Array> = jf
            .call(&[&keys[0], &keys[1]][..])
            .unwrap_or_else(|e| panic!("{c}: {e}"));
        drop(jf);
        let got = &res[0];
        let out = &c["out"];
        assert_eq!(got.shape(), usizes(&out["shape"]).as_slice(), "{method}");
        assert_eq!(
            got.dtype(),
            dtype_of(out["dtype"].as_str().unwrap()),
            "{method}"
        );
        let bytes = got.to_bytes().unwrap();
        let w = got.dtype().byte_size();
        if let Some(values) = out.get("values") {
            // orthogonal (QR) and multivariate_normal (Cholesky): LAPACK in JAX, compositions
            // here; the draws are exact, the factorisations agree to rounding.
            for (h, v) in hexes(&bytes, w, usize::MAX)
                .iter()
                .zip(values.as_array().unwrap())
            {
                let (a, b) = (
                    u32::from_str_radix(&h[2..], 16).unwrap(),
                    u32::from_str_radix(&v.as_str().unwrap()[2..], 16).unwrap(),
                );
                let (a, b) = (f32::from_bits(a), f32::from_bits(b));
                assert!(
                    (a - b).abs() <= 2e-6 * b.abs().max(1.0),
                    "{method}: {a} vs {b}"
                );
            }
        } else {
            let got_sha = sha(&bytes);
            let want: Vec<String> = out["head"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_string())
                .collect();
            let have = hexes(&bytes, w, usize::MAX);
            if got_sha == out["sha256"].as_str().unwrap() {
                exact += 1;
            } else if KNOWN_ULP.contains(&method)
                && have.len() <= want.len()
                && max_ulp(&have, &want) <= 4
            {
                near.push(method);
            } else {
                failures.push(format!(
                    "{method} via {} part={}: got {:?}, want {}",
                    c["via"],
                    c["partitionable"],
                    hexes(&bytes, w, 8),
                    out["head"]
                ));
            }
        }
        // One key per call, from the right stream.
        let count = |a: &Array| a.to_vec::<u32>().unwrap();
        assert_eq!(
            count(&res[1]),
            vec![c["params_count_after"].as_u64().unwrap() as u32]
        );
        assert_eq!(
            count(&res[2]),
            vec![c["default_count_after"].as_u64().unwrap() as u32]
        );
    }
    eprintln!(
        "{exact} of {} cases bit-exact, {} within 4 ulp ({near:?})",
        cases.len(),
        near.len()
    );
    assert!(near.len() <= 5, "more near misses than known: {near:?}");
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn stream_matches(s: &nn::RngStream, want: &Value) {
    let tag = want["tag"].as_str().unwrap();
    assert_eq!(s.tag(), tag);
    let key = s.key().unwrap();
    assert_eq!(key.shape(), usizes(&want["key_shape"]).as_slice(), "{tag}");
    assert_eq!(kd(&key), u64s(&want["key_data"]), "{tag}");
    let count = nn::State::of(s)
        .unwrap()
        .get("count")
        .unwrap()
        .to_vec::<u32>()
        .unwrap();
    assert_eq!(
        count.into_iter().map(u64::from).collect::<Vec<_>>(),
        u64s(&want["count"]),
        "{tag} count"
    );
}

fn rules(arg: &Value) -> Vec<(nn::Filter, Option<Vec<usize>>)> {
    arg.as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            let name = pair[0].as_str().unwrap();
            let f = if name == "..." {
                nn::Filter::All
            } else {
                nn::Filter::Tag(name.into())
            };
            let size = match &pair[1] {
                Value::Null => None,
                Value::Array(_) => Some(usizes(&pair[1])),
                n => Some(vec![n.as_u64().unwrap() as usize]),
            };
            (f, size)
        })
        .collect()
}

#[test]
fn split_fork_and_broadcast_match_flax() {
    let g = init_golden();
    let cases = g["rng_ops"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let _p = config::threefry_partitionable_scope(c["partitionable"].as_bool().unwrap());
        let mut rngs = build(&c["streams"]);
        let (op, arg) = (c["op"].as_str().unwrap(), &c["arg"]);
        if c["on"] == "stream" {
            rngs.params().unwrap();
            let s = rngs.stream("params").unwrap();
            let new = match (op, arg) {
                ("split", Value::Array(_)) => s.split_shape(&usizes(arg)),
                ("split", n) => s.split(n.as_u64().unwrap() as usize),
                ("fork", _) => s.fork(),
                ("broadcast", Value::Array(_)) => s.broadcast(&usizes(arg)),
                ("broadcast", n) => s.broadcast(&[n.as_u64().unwrap() as usize]),
                _ => panic!("{op}"),
            }
            .unwrap();
            stream_matches(&new, &c["new"][0]);
            assert_eq!(
                kd(&s.next_key().unwrap()),
                u64s(&c["next_of_original"]),
                "{c}"
            );
        } else {
            rngs.dropout().unwrap();
            rngs.dropout().unwrap();
            let new = match (op, arg) {
                ("split", Value::Array(a)) if a[0].is_array() => rngs.split_by(&rules(arg)),
                ("split", Value::Array(_)) => rngs.split_shape(&usizes(arg)),
                ("split", n) => rngs.split(n.as_u64().unwrap() as usize),
                ("fork", _) => rngs.fork(),
                ("broadcast", Value::Array(a)) if a[0].is_array() => rngs.broadcast_by(&rules(arg)),
                ("broadcast", Value::Array(_)) => rngs.broadcast(&usizes(arg)),
                ("broadcast", n) => rngs.broadcast(&[n.as_u64().unwrap() as usize]),
                _ => panic!("{op}"),
            }
            .unwrap();
            let want = c["new"].as_array().unwrap();
            assert_eq!(new.streams().len(), want.len());
            for (s, w) in new.streams().iter().zip(want) {
                stream_matches(s, w);
            }
            for (s, w) in rngs
                .streams()
                .iter()
                .zip(c["original_after"].as_array().unwrap())
            {
                stream_matches(s, w);
            }
        }
    }
}

#[test]
fn sampling_from_rngs_without_default_is_the_flax_error() {
    let mut rngs = Rngs::new().with("params", 0);
    let e = rngs.normal(&[2], None).unwrap_err();
    assert_eq!(e.message, "No RngStream named 'default' found in Rngs.");
    // The initialiser method draws one key, as `rngs.params.lecun_normal()((2, 3))`.
    let s = rngs.stream("params").unwrap();
    let w = s
        .init(&ferrax::nn::init::lecun_normal(), &[2, 3], DType::F32)
        .unwrap();
    assert_eq!(w.shape(), &[2, 3]);
    let want = ferrax::nn::init::lecun_normal()(
        &random::fold_in(&random::key(0), 0u32).unwrap(),
        &[2, 3],
        DType::F32,
    )
    .unwrap();
    assert_eq!(
        w.eval().unwrap().to_vec::<f32>().unwrap(),
        want.eval().unwrap().to_vec::<f32>().unwrap()
    );
}
