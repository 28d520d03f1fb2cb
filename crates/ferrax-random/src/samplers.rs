//! The gamma family of `jax.random` and the samplers built on it: `gamma`, `loggamma`,
//! `beta`, `dirichlet`, `chisquare`, `f`, `t`, `generalized_normal` and `ball`.
//!
//! JAX draws gamma variates with Marsaglia and Tsang's rejection method, one element at a
//! time from its own key (`split(key, size)`), vectorised by `vmap`: a `while` loop over
//! the whole array that runs until every element has accepted, with an inner loop for the
//! normal draw. The functions here emit that batched computation op for op, so the plugin
//! computes the same bits.
//!
//! Checked bit for bit against JAX 0.10.2 by `tests/golden_samplers.rs`, for calls under
//! `jax.jit` (key data and array arguments as inputs, Python numbers as constants, as in
//! a user's jitted program): in both counter layouts, f32 and f64 (and f16 for `gamma`).
//! An eager JAX call passes Python numbers to the jitted sampler as run-time values, which
//! XLA cannot fold; that can change the last bits of the gamma family (seen for one
//! scalar-shaped case), and a 0-d array parameter gives that variant here.

use ferrax_ir::{DType, Error, Result, Tensor};

use crate::config;
use crate::key::{split2, Key};
use crate::lanes::{self, c};
use crate::param::Param;
use crate::special::{lone_log, opaque, pow_const, to_f32_exact};
use crate::ynn;
use crate::SampleOpts;

// ------------------------------------------------------------------------------ helpers

/// The float dtype of a sampler: `dtype` or the default, checked.
pub(crate) fn float_dtype(op: &str, dtype: Option<DType>) -> Result<DType> {
    let d = dtype.unwrap_or_else(config::default_float_dtype);
    if !d.is_float() {
        return Err(Error::dtype(
            op,
            format!("dtype argument to `{op}` must be a float dtype, got {d}"),
        ));
    }
    Ok(d)
}

/// Numpy broadcasting of two shapes, with JAX's message on failure.
pub(crate) fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let r = ferrax_ir::rules::broadcast_shapes(op, &a.into(), &b.into()).map_err(|_| {
        Error::shape(
            op,
            format!("Incompatible shapes for broadcasting: shapes={a:?}, {b:?}"),
        )
    })?;
    Ok(r.0)
}

/// `_check_shape`: the parameter shapes must broadcast with `shape` to exactly `shape`.
pub(crate) fn check_shape(op: &str, shape: &[usize], params: &[Vec<usize>]) -> Result<()> {
    let mut s = shape.to_vec();
    for p in params {
        s = broadcast_shapes(op, &s, p)?;
    }
    if s != shape {
        return Err(Error::shape(
            op,
            format!(
                "{op} parameter shapes must be broadcast-compatible with shape argument, and \
                 the result of broadcasting the shapes must equal the shape argument, but got \
                 result {s:?} for shape argument {shape:?}."
            ),
        ));
    }
    Ok(())
}

/// `_check_broadcast_shapes`: `shape` (checked) if given, else the parameters' broadcast.
pub(crate) fn resolve_shape(
    op: &str,
    shape: Option<&[usize]>,
    params: &[Vec<usize>],
) -> Result<Vec<usize>> {
    match shape {
        Some(s) => {
            check_shape(op, s, params)?;
            Ok(s.to_vec())
        }
        None => {
            let mut s = Vec::new();
            for p in params {
                s = broadcast_shapes(op, &s, p)?;
            }
            Ok(s)
        }
    }
}

pub(crate) fn promote_float(a: DType, b: DType) -> DType {
    if a == b || !b.is_float() {
        a
    } else if !a.is_float() {
        b
    } else if matches!(
        (a, b),
        (DType::F16, DType::BF16) | (DType::BF16, DType::F16)
    ) {
        DType::F32
    } else if a.bit_width() >= b.bit_width() {
        a
    } else {
        b
    }
}

/// `_check_all_safe_to_cast`: float tensor parameters must convert to `dtype` losslessly.
pub(crate) fn check_safe_cast(op: &str, dtype: DType, params: &[&Param]) -> Result<()> {
    for p in params {
        if let Param::Tensor(t) = p {
            t.check()?;
            let from = t.dtype();
            if from.is_float() && promote_float(from, dtype) != dtype {
                return Err(Error::dtype(
                    op,
                    format!(
                        "In arguments to {op}, cannot safely cast argument of type {from} to \
                         {dtype}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The dtype a number takes on its own in JAX (a weakly typed Python scalar): the default
/// float dtype, or f64 when the samples are f64.
pub(crate) fn weak_float(dtype: DType) -> DType {
    if config::enable_x64() || dtype == DType::F64 {
        DType::F64
    } else {
        DType::F32
    }
}

/// `lax.convert_element_type(p, dtype)`: a number goes through its weak dtype first.
pub(crate) fn param_to(p: &Param, dtype: DType) -> Result<Tensor> {
    match p {
        Param::Float(v) => Tensor::scalar_like(weak_float(dtype), *v).convert(dtype),
        _ => p.to(dtype),
    }
}

fn zeros_or(shape: &[usize], dtype: DType) -> Option<Tensor> {
    if shape.iter().product::<usize>() == 0 {
        Some(Tensor::zeros(dtype, shape.to_vec()))
    } else {
        None
    }
}

// ------------------------------------------------------------------------------ gamma

/// Marsaglia-Tsang's acceptance test, negated: true while a lane must draw again.
fn keep_drawing(x2: &Tensor, v: &Tensor, u: &Tensor, d: &Tensor) -> Result<Tensor> {
    let dt = d.dtype();
    let one = c(dt, 1.0);
    let squeeze = one.sub(&c(dt, 0.0331).mul(&x2.mul(x2)?)?)?;
    let first = u.ge(&squeeze)?;
    let rhs = x2
        .mul(&c(dt, 0.5))?
        .add(&d.mul(&one.sub(v)?.add(&v.log()?)?)?)?;
    let second = u.log()?.ge(&rhs)?;
    first.bitand(&second)
}

/// `select` of lane keys `[n, 2]` by a lane mask `[n]`.
fn select_keys(mask: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let n = mask.shape()[0];
    let m = mask.broadcast_in_dim([n, 2], &[0])?;
    Tensor::select(&m, a, b)
}

/// What the gamma sampler returns, and how jaxlib computes its last `log`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GammaOut {
    /// Gamma variates.
    Linear,
    /// bf16 gamma variates whose last products and boost power jaxlib's YNNPACK fusion
    /// computes in f32 without rounding to bf16 (`ball` from 4,096 results on): returned
    /// in f32, unrounded.
    LinearF32,
    /// Log-gamma variates, `log(V)` fused with the rest (XLA's own polynomial).
    Log,
    /// Log-gamma variates whose `log(V)` jaxlib's XLA leaves in a kernel of its own
    /// (`dirichlet`, where two fusions consume the draws), which computes some lanes with
    /// the C library's `logf` ([`lone_log`]).
    LogLone,
}

/// JAX's `vmap(_gamma_one)(keys, alpha)`: one gamma (or log-gamma) variate per lane, from
/// lane keys `[n, 2]` and shapes `alpha: [n]` (a float dtype). `alpha_value`: alpha's
/// value where it is a constant of JAX's program (a number), for the boost's power.
/// `array_alpha`: alpha came from more than one value (see the end of the body).
fn gamma_lanes(
    keys: &Tensor,
    alpha: &Tensor,
    out: GammaOut,
    alpha_value: Option<f64>,
    array_alpha: bool,
) -> Result<Tensor> {
    let dt = alpha.dtype();
    let n = alpha.shape()[0];
    let zero = || lanes::full(dt, &[n], 0.0);
    let full = |v: f64| lanes::full(dt, &[n], v);
    let one = c(dt, 1.0);
    let third = c(dt, 1.0 / 3.0);

    // alpha < 1 is boosted to alpha + 1 and corrected by U^(1/alpha) at the end.
    let boost_mask = alpha.ge(&one)?;
    let boosted = Tensor::select(&boost_mask, alpha, &alpha.add(&one)?)?;
    let d = boosted.sub(&third)?;
    let cc = third.div(&d.sqrt()?)?;

    let ks = lanes::split(keys, 2)?;
    let key = lanes::take(&ks, 0)?;
    let subkey = lanes::take(&ks, 1)?;

    // (key, X, V, U) start so that every lane draws.
    let init = [key, zero()?, full(1.0)?, full(2.0)?];
    let drawn = Tensor::while_loop(
        &init,
        |s| lanes::any(&keep_drawing(&s[1], &s[2], &s[3], &d)?),
        |s| {
            let ks3 = lanes::split(&s[0], 3)?;
            let next_key = lanes::take(&ks3, 0)?;
            let x_key = lanes::take(&ks3, 1)?;
            let u_key = lanes::take(&ks3, 2)?;
            // Draw x ~ N(0, 1) until v = 1 + x c > 0.
            let inner = Tensor::while_loop(
                &[x_key, zero()?, full(-1.0)?],
                |t| lanes::any(&t[2].le(&c(dt, 0.0))?),
                |t| {
                    let sp = lanes::split(&t[0], 2)?;
                    let k2 = lanes::take(&sp, 0)?;
                    let sub = lanes::take(&sp, 1)?;
                    let x = lanes::normal(&sub, dt)?;
                    let v = c(dt, 1.0).add(&x.mul(&cc)?)?;
                    let m = t[2].le(&c(dt, 0.0))?;
                    Ok(vec![
                        select_keys(&m, &k2, &t[0])?,
                        Tensor::select(&m, &x, &t[1])?,
                        Tensor::select(&m, &v, &t[2])?,
                    ])
                },
            )?;
            let (x, v) = (&inner[1], &inner[2]);
            let x2 = x.mul(x)?;
            let v3 = v.mul(v)?.mul(v)?;
            let u = lanes::uniform(&u_key, dt, 0.0, 1.0)?;
            let m = keep_drawing(&s[1], &s[2], &s[3], &d)?;
            Ok(vec![
                select_keys(&m, &next_key, &s[0])?,
                Tensor::select(&m, &x2, &s[1])?,
                Tensor::select(&m, &v3, &s[2])?,
                Tensor::select(&m, &u, &s[3])?,
            ])
        },
    )?;
    let v = &drawn[2];
    let inv_alpha = c(dt, 1.0).div(alpha)?;
    if !matches!(out, GammaOut::Linear | GammaOut::LinearF32) {
        let log_samples = lanes::exponential(&subkey, dt)?.neg()?;
        let skip = boost_mask.bitor(&log_samples.eq(&c(dt, 0.0))?)?;
        let log_boost = Tensor::select(&skip, &c(dt, 0.0), &log_samples.mul(&inv_alpha)?)?;
        // `dirichlet`'s logs: from 4,096 draws on (f32 and f64), jaxlib's softmax
        // reduction takes them into its YNNPACK fusion, which has its own `log`.
        let ynn_logs =
            out == GammaOut::LogLone && matches!(dt, DType::F32 | DType::F64) && ynn::prefers(n);
        let log_v = if ynn_logs {
            ynn::log(v)?
        } else if out == GammaOut::LogLone {
            lone_log(v)?
        } else {
            v.log()?
        };
        // XLA folds `log(d)` for a constant alpha of one value (a broadcast scalar), in
        // jaxlib and in the plugin alike; for a constant array jaxlib computes it at run
        // time (its polynomial, or YNNPACK's), where the plugin would fold it with a
        // correctly rounded `log`, so it is hidden from the plugin's folding then.
        let log_d = if array_alpha {
            let d = opaque(&d, &keys.slice_axis(1, 0, 1)?.reshape([n])?)?;
            if ynn_logs {
                ynn::log(&d)?
            } else {
                d.log()?
            }
        } else {
            d.log()?
        };
        log_d.add(&log_v)?.add(&log_boost)
    } else {
        // `LinearF32`: the same ops on the operands widened to f32, nothing rounded back.
        let widen = out == GammaOut::LinearF32;
        let f = if widen { DType::F32 } else { dt };
        let wide = |t: &Tensor| {
            if widen {
                to_f32_exact(t)
            } else {
                Ok(t.clone())
            }
        };
        let samples = c(f, 1.0).sub(&wide(&lanes::uniform(&subkey, dt, 0.0, 1.0)?)?)?;
        // XLA folds a constant alpha into the exponent and then rewrites small integer
        // powers (alpha = 1/2 gives `samples * samples`).
        let exponent = wide(&inv_alpha)?;
        let powered = pow_const(&samples, &exponent, alpha_value.map(|a| 1.0 / a as f32))?;
        let boost = Tensor::select(&boost_mask, &c(f, 1.0), &powered)?;
        wide(&d)?.mul(&wide(v)?)?.mul(&boost)
    }
}

/// `random_gamma_p` for one key: `a` already of the sample dtype and shape.
fn gamma_array(
    key: &Key,
    a: &Tensor,
    out: GammaOut,
    alpha_value: Option<f64>,
    array_alpha: bool,
) -> Result<Tensor> {
    let shape = a.shape().to_vec();
    if let Some(z) = zeros_or(&shape, a.dtype()) {
        return Ok(z);
    }
    let n: usize = shape.iter().product();
    let keys = crate::key_data(&crate::key::split(key, n)?);
    let alpha = a.reshape([n])?;
    gamma_lanes(&keys, &alpha, out, alpha_value, array_alpha)?.reshape(shape)
}

/// JAX's `_gamma(key, a, shape, dtype, log_space)` with `a` of the sample dtype;
/// `a_value` is `a`'s value where it is a constant of JAX's program (see [`gamma_lanes`]).
fn gamma_t(
    key: &Key,
    a: &Tensor,
    a_value: Option<f64>,
    shape: Option<&[usize]>,
    out: GammaOut,
    op: &str,
) -> Result<Tensor> {
    let shape = match shape {
        None => a.shape().to_vec(),
        Some(s) => {
            check_shape(op, s, &[a.shape().to_vec()])?;
            s.to_vec()
        }
    };
    // JAX's `_gamma` is a function of its own: its argument is no constant to XLA's MLIR
    // import (see `lanes::barrier`).
    let array_alpha = a.shape().iter().product::<usize>() > 1;
    let a = lanes::barrier(&a.broadcast_to(shape)?)?;
    gamma_array(key, &a, out, a_value, array_alpha)
}

fn gamma_entry(key: &Key, a: Param, opts: SampleOpts, out: GammaOut, op: &str) -> Result<Tensor> {
    key.words(op)?;
    let dt = float_dtype(op, opts.dtype)?;
    let value = a.as_f64();
    let a = param_to(&a, dt)?;
    gamma_t(key, &a, value, opts.shape.as_deref(), out, op)
}

/// `jax.random.gamma(key, a, shape, dtype)`: standard gamma variates (unit scale) of shape
/// `a` (a number or a tensor broadcast-compatible with `shape`; `shape` defaults to `a`'s
/// shape). Bit-exact with JAX: each element is drawn from its own key of
/// `split(key, size)` by Marsaglia and Tsang's method, as JAX's batched loop does.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let g = random::gamma(&random::key(0), 2.0, SampleOpts::default().shape(&[4]))?;
/// assert!(g.eval()?.to_vec::<f32>()?.iter().all(|v| *v > 0.0));
/// let a = Tensor::from_vec(vec![0.5f32, 1.0, 5.0], [3])?;
/// assert_eq!(random::gamma(&random::key(1), &a, SampleOpts::default())?.shape(), &[3]);
/// assert!(random::gamma(&random::key(1), &a, SampleOpts::default().shape(&[2])).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn gamma(key: &Key, a: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    gamma_entry(key, a.into(), opts, GammaOut::Linear, "gamma")
}

/// `jax.random.loggamma(key, a, shape, dtype)`: the log of gamma variates, computed in log
/// space (accurate for small `a`, where the samples underflow). `exp(loggamma(..))`
/// matches [`gamma`] to rounding for the same key.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let lg = random::loggamma(&random::key(0), 0.01, SampleOpts::default().shape(&[3]))?;
/// assert!(lg.eval()?.to_vec::<f32>()?.iter().all(|v| v.is_finite()));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn loggamma(key: &Key, a: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    gamma_entry(key, a.into(), opts, GammaOut::Log, "loggamma")
}

/// `jax.random.beta(key, a, b, shape, dtype)`: Beta(`a`, `b`) variates, from two log-gamma
/// draws (`key` split in two) combined without overflow.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::beta(&random::key(0), 2.0, 3.0, SampleOpts::default().shape(&[4]))?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| (0.0..=1.0).contains(v)));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn beta(
    key: &Key,
    a: impl Into<Param>,
    b: impl Into<Param>,
    opts: SampleOpts,
) -> Result<Tensor> {
    let op = "beta";
    let (a, b) = (a.into(), b.into());
    key.words(op)?;
    let dt = float_dtype(op, opts.dtype)?;
    check_safe_cast(op, dt, &[&a, &b])?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[a.shape(), b.shape()])?;
    let a = param_to(&a, dt)?;
    let b = param_to(&b, dt)?;
    let (key_a, key_b) = split2(key)?;
    // (JAX broadcasts `a` and `b` to `shape` first; `gamma_t` does, and it must see how
    // many values each holds.)
    let lga = gamma_t(&key_a, &a, None, Some(&shape), GammaOut::Log, op)?;
    let lgb = gamma_t(&key_b, &b, None, Some(&shape), GammaOut::Log, op)?;
    let log_max = lga.maximum(&lgb)?;
    let ga = lga.sub(&log_max)?.exp()?;
    let gb = lgb.sub(&log_max)?.exp()?;
    ga.div(&ga.add(&gb)?)
}

/// `jax.nn.softmax(x, -1)` as JAX lowers it (max with an initial -inf, exp, sum, divide).
fn softmax_last(x: &Tensor) -> Result<Tensor> {
    let r = x.rank();
    let s = x.shape().to_vec();
    let mut kept = s.clone();
    kept[r - 1] = 1;
    let dims: Vec<usize> = (0..r - 1).collect();
    let m = x
        .max(&[r - 1])?
        .broadcast_to(s[..r - 1].to_vec())?
        .maximum(&c(x.dtype(), f64::NEG_INFINITY))?;
    let dt = x.dtype();
    let bcast = |t: &Tensor| {
        t.broadcast_in_dim(kept.clone(), &dims)?
            .broadcast_to(s.clone())
    };
    let mb = bcast(&m)?;
    // JAX divides by the broadcast sum; jaxlib's XLA turns that division into a product
    // with the reciprocal of the sum computed in the reduction's fusion, while the XLA of
    // the CPU plugin keeps the division: spelled as the product, both compute JAX's bits.
    let normalise = |e: &Tensor, sum: &Tensor| e.mul(&bcast(&c(dt, 1.0).div(sum)?)?);
    let d = x.sub(&mb)?;
    // From 4,096 elements on, jaxlib runs the reductions in YNNPACK (module `ynn`): in
    // f32 and f64 the exp as well, whose result the max's fusion gives; in f16 and bf16
    // the sum only. `jnp.sum` adds f16 and bf16 in f32.
    let sum_f32 = ynn::sum_last_at_size;
    match dt {
        DType::F32 | DType::F64 if ynn::prefers(s.iter().product()) => {
            let e = ynn::exp(&d)?;
            normalise(&e, &sum_f32(&e)?)
        }
        DType::F16 => {
            let e = d.exp()?;
            normalise(&e, &sum_f32(&e.convert(DType::F32)?)?.convert(dt)?)
        }
        DType::BF16 => {
            // jaxlib keeps the exp in f32 up to the sum and rounds it to bf16 for the
            // product only, whose reciprocal factor stays f32. (The plugin's XLA drops a
            // bf16 round trip `f32(bf16(v))`; `to_f32_exact` keeps the rounding.)
            let e = to_f32_exact(&d)?.exp()?;
            let sum = to_f32_exact(&sum_f32(&e)?.convert(dt)?)?;
            let inv = bcast(&Tensor::scalar(1.0f32).div(&sum)?)?;
            to_f32_exact(&e.convert(dt)?)?.mul(&inv)?.convert(dt)
        }
        // f32 and f64 below 4,096 elements: XLA's exp and sum.
        _ => {
            let e = d.exp()?;
            normalise(&e, &e.sum(&[r - 1])?)
        }
    }
}

/// `jax.random.dirichlet(key, alpha, shape, dtype)`: Dirichlet variates over the last axis
/// of `alpha` (rank >= 1); the result has shape `shape + [k]` (`shape` defaults to
/// `alpha.shape[:-1]`). Log-gamma draws normalised by a softmax, as in JAX. Bit-exact
/// with jitted JAX: below 4,096 elements the draws' `log(V)` is computed as jaxlib's lone
/// `log` kernel computes it (see the crate docs); from 4,096 elements on, jaxlib runs the
/// logs, the max, the exp and the sum in YNNPACK, whose arithmetic is spelled out in every
/// float dtype (module `ynn`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let alpha = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3])?;
/// let x = random::dirichlet(&random::key(0), &alpha, SampleOpts::default().shape(&[2]))?;
/// let v = x.eval()?.to_vec::<f32>()?;
/// assert!((v[0] + v[1] + v[2] - 1.0).abs() < 1e-5);
/// assert!(random::dirichlet(&random::key(0), &Tensor::scalar(1.0f32),
///     SampleOpts::default()).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn dirichlet(key: &Key, alpha: &Tensor, opts: SampleOpts) -> Result<Tensor> {
    let op = "dirichlet";
    key.words(op)?;
    let dt = float_dtype(op, opts.dtype)?;
    alpha.check()?;
    if alpha.rank() < 1 {
        return Err(Error::shape(
            op,
            format!(
                "dirichlet requires alpha.ndim >= 1, got alpha.ndim == {}",
                alpha.rank()
            ),
        ));
    }
    let r = alpha.rank();
    let batch = alpha.shape()[..r - 1].to_vec();
    let k = alpha.shape()[r - 1];
    let shape = match opts.shape.as_deref() {
        None => batch,
        Some(s) => {
            check_shape(op, s, &[batch])?;
            s.to_vec()
        }
    };
    let alpha = alpha.convert(dt)?;
    let mut full = shape.clone();
    full.push(k);
    let lg = gamma_t(key, &alpha, None, Some(&full), GammaOut::LogLone, op)?;
    if full.iter().product::<usize>() == 0 {
        return Ok(lg);
    }
    softmax_last(&lg)
}

/// JAX's `_chisquare` with `df` already of the sample dtype.
fn chisquare_t(key: &Key, df: &Tensor, shape: &[usize], op: &str) -> Result<Tensor> {
    let dt = df.dtype();
    let half = df.div(&c(dt, 2.0))?;
    let lg = gamma_t(key, &half, None, Some(shape), GammaOut::Log, op)?;
    lg.exp()?.mul(&c(dt, 2.0))
}

/// `jax.random.chisquare(key, df, shape, dtype)`: chi-square variates with `df` degrees of
/// freedom, `2 exp(loggamma(df / 2))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::chisquare(&random::key(0), 3.0, SampleOpts::default().shape(&[4]))?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| *v > 0.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn chisquare(key: &Key, df: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    let op = "chisquare";
    let df = df.into();
    key.words(op)?;
    let dt = float_dtype(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[df.shape()])?;
    check_safe_cast(op, dt, &[&df])?;
    chisquare_t(key, &param_to(&df, dt)?, &shape, op)
}

/// `jax.random.f(key, dfnum, dfden, shape, dtype)`: F-distribution variates, the ratio of
/// two scaled chi-square draws (`key` split in two; the second half draws the numerator).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::f(&random::key(0), 3.0, 4.0, SampleOpts::default().shape(&[4]))?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| *v > 0.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn f(
    key: &Key,
    dfnum: impl Into<Param>,
    dfden: impl Into<Param>,
    opts: SampleOpts,
) -> Result<Tensor> {
    let op = "f";
    let (dfnum, dfden) = (dfnum.into(), dfden.into());
    key.words(op)?;
    let dt = float_dtype(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[dfnum.shape(), dfden.shape()])?;
    check_safe_cast(op, dt, &[&dfnum, &dfden])?;
    // In f16 with both degrees of freedom numbers, jaxlib's XLA rewrites
    // `(2 e_n / dfnum) / (2 e_d / dfden)` (e = exp(lg)) as `(e_n (2 dfden)) / (e_d (2 dfnum))`
    // with the constants folded; the plugin's XLA does not.
    let fold = dt == DType::F16 && dfnum.as_f64().is_some() && dfden.as_f64().is_some();
    let dfden = param_to(&dfden, dt)?;
    let dfnum = param_to(&dfnum, dt)?;
    let (key_dfd, key_dfn) = split2(key)?;
    if fold {
        let e = |k: &Key, df: &Tensor| -> Result<Tensor> {
            gamma_t(
                k,
                &df.div(&c(dt, 2.0))?,
                None,
                Some(&shape),
                GammaOut::Log,
                op,
            )?
            .exp()
        };
        let num = e(&key_dfn, &dfnum)?.mul(&c(dt, 2.0).mul(&dfden)?)?;
        return num.div(&e(&key_dfd, &dfden)?.mul(&c(dt, 2.0).mul(&dfnum)?)?);
    }
    let chi_n = chisquare_t(&key_dfn, &dfnum, &shape, op)?;
    let chi_d = chisquare_t(&key_dfd, &dfden, &shape, op)?;
    chi_n.div(&dfnum)?.div(&chi_d.div(&dfden)?)
}

/// `jax.random.t(key, df, shape, dtype)`: Student's t variates, `n * sqrt(df / 2 / g)` with
/// `n` normal and `g` gamma of shape `df / 2` (`key` split in two).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::t(&random::key(0), 5.0, SampleOpts::default().shape(&[4]))?;
/// assert_eq!(x.shape(), &[4]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn t(key: &Key, df: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    let op = "t";
    let df = df.into();
    key.words(op)?;
    let dt = float_dtype(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[df.shape()])?;
    check_safe_cast(op, dt, &[&df])?;
    let half_value = df.as_f64().map(|v| (v as f32 / 2.0) as f64);
    let df = param_to(&df, dt)?;
    let (key_n, key_g) = split2(key)?;
    let n = crate::normal(&key_n, &shape, Some(dt))?;
    let half = df.div(&c(dt, 2.0))?;
    let g = gamma_t(
        &key_g,
        &half,
        half_value,
        Some(&shape),
        GammaOut::Linear,
        op,
    )?;
    n.mul(&half.div(&g)?.sqrt()?)
}

/// `1 / p` in `p`'s own dtype (a number: its weak dtype), then as `dtype`.
fn recip_param(p: &Param, dtype: DType) -> Result<(Tensor, Tensor)> {
    let pt = match p {
        Param::Tensor(t) => {
            t.check()?;
            if t.dtype().is_float() {
                t.clone()
            } else {
                t.convert(config::default_float_dtype())?
            }
        }
        _ => param_to(p, weak_float(dtype))?,
    };
    let inv = c(pt.dtype(), 1.0).div(&pt)?;
    Ok((pt, inv.convert(dtype)?))
}

/// `x ** y` where `y` is `p`-derived: a number `p` is a constant in JAX's jitted program,
/// and `value` is then the exponent's value (computed in `y`'s dtype), which selects
/// XLA's constant-exponent rewrites ([`pow_const`]).
fn pow_p(x: &Tensor, y: &Tensor, p: &Param, value: impl Fn(f32) -> f32) -> Result<Tensor> {
    pow_const(x, y, p.as_f64().map(|v| value(v as f32)))
}

/// `in_ynn`: the final power lands in a YNNPACK fusion (`ball` from 4,096 results on),
/// where `x ** 0.5` stays a `powf` call (the square root is LLVM's rewrite of XLA's code)
/// and bf16 is computed in f32 without intermediate rounding: a bf16 `in_ynn` result is
/// an unrounded f32 tensor.
fn generalized_normal_t(
    key: &Key,
    p: &Param,
    shape: &[usize],
    dt: DType,
    op: &str,
    in_ynn: bool,
) -> Result<Tensor> {
    let (k0, k1) = split2(key)?;
    let (_, inv) = recip_param(p, dt)?;
    let inv_value = p.as_f64().map(|v| (1.0 / v as f32) as f64);
    let wide = in_ynn && dt == DType::BF16;
    let out = if wide {
        GammaOut::LinearF32
    } else {
        GammaOut::Linear
    };
    let g = gamma_t(&k0, &inv, inv_value, Some(shape), out, op)?;
    let r = crate::rademacher(&k1, shape, Some(dt))?;
    let (r, inv) = if wide {
        (to_f32_exact(&r)?, to_f32_exact(&inv)?)
    } else {
        (r, inv)
    };
    let root = if in_ynn && p.as_f64() == Some(2.0) {
        if dt == DType::F64 {
            // YNNPACK calls the C library's `pow`, which is the plugin's f64 `pow` once
            // the exponent is a run-time value (a constant 0.5 becomes a square root).
            let run_time = g.bitcast(DType::U64)?.convert(DType::U32)?;
            g.pow(&opaque(&inv, &run_time)?)?
        } else {
            crate::special::pow(&g, &inv)?
        }
    } else {
        pow_p(&g, &inv, p, |v| 1.0 / v)?
    };
    r.mul(&root)
}

/// `jax.random.generalized_normal(key, p, shape, dtype)`: variates with density
/// proportional to `exp(-|x|^p)`, a random sign times `gamma(1/p)^(1/p)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let x = random::generalized_normal(&random::key(0), 1.5, &[4], None)?;
/// assert_eq!(x.shape(), &[4]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn generalized_normal(
    key: &Key,
    p: impl Into<Param>,
    shape: &[usize],
    dtype: Option<DType>,
) -> Result<Tensor> {
    let op = "generalized_normal";
    key.words(op)?;
    let dt = float_dtype(op, dtype)?;
    let p = p.into();
    check_shape(op, shape, &[p.shape()])?;
    generalized_normal_t(key, &p, shape, dt, op, false)
}

/// `jax.random.ball(key, d, p, shape, dtype)`: points uniform in the unit Lp ball of
/// dimension `d` (JAX's default `p` is 2), shape `shape + [d]`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let x = random::ball(&random::key(0), 3, 2.0, &[5], None)?;
/// let v = x.eval()?.to_vec::<f32>()?;
/// assert!(v.chunks(3).all(|p| p.iter().map(|x| x * x).sum::<f32>() <= 1.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn ball(
    key: &Key,
    d: usize,
    p: impl Into<Param>,
    shape: &[usize],
    dtype: Option<DType>,
) -> Result<Tensor> {
    let op = "ball";
    key.words(op)?;
    let dt = float_dtype(op, dtype)?;
    let p = p.into();
    if !p.shape().is_empty() {
        return Err(Error::shape(op, "p must be a scalar"));
    }
    let (k1, k2) = split2(key)?;
    let mut gshape = shape.to_vec();
    gshape.push(d);
    let n: usize = shape.iter().product();
    // From 4,096 results on (f32, f64 and bf16, and with more than one coordinate, so
    // that a sum is left), jaxlib's YNNPACK fusion also takes the exponential draw's
    // `log1p` and the generalized normal's powers; there bf16 is computed in f32 and
    // rounded once.
    let whole_ynn = dt != DType::F16 && d > 1 && ynn::prefers(n);
    let g = generalized_normal_t(&k1, &p, &gshape, dt, op, whole_ynn)?;
    let e = if whole_ynn && dt == DType::BF16 && !config::threefry_partitionable() {
        // In the legacy layout bf16 bits are cut from 32-bit words with a transpose,
        // which keeps the exponential draw out of the fusion: XLA's bf16 result.
        to_f32_exact(&crate::exponential(&k2, shape, Some(dt))?)?
    } else if whole_ynn {
        crate::dist::exponential_ynn(&k2, shape, dt)?
    } else {
        crate::exponential(&k2, shape, Some(dt))?
    };
    let (pt, inv) = recip_param(&p, dt)?;
    let r = shape.len();
    let mut kept = shape.to_vec();
    kept.push(1);
    let dims: Vec<usize> = (0..r).collect();
    let spread = |t: &Tensor| {
        t.broadcast_in_dim(kept.clone(), &dims)?
            .broadcast_to(gshape.clone())
    };
    if whole_ynn && dt == DType::BF16 {
        // `g`, `e` and everything below in f32, unrounded: the powers (XLA's rewrites of
        // `x ** p` first, then `powf`), YNNPACK's sum, the norm's power, its reciprocal
        // and the product; only the result is rounded to bf16.
        let (pt, inv) = (to_f32_exact(&pt.convert(dt)?)?, to_f32_exact(&inv)?);
        let powers = pow_p(&g.abs()?, &pt, &p, |v| v)?;
        let total = ynn::sum_last_at_size(&powers)?.add(&e)?;
        let norm = pow_p(&total, &inv, &p, |v| 1.0 / v)?;
        let recip = c(DType::F32, 1.0).div(&norm)?;
        return g.mul(&spread(&recip)?)?.convert(dt);
    }
    let powers = pow_p(&g.abs()?, &pt.convert(dt)?, &p, |v| v)?;
    // From 4,096 draws on, jaxlib's sum is YNNPACK's (see `ynn`), over the same powers:
    // XLA's rewrites of `x ** p` for p = 1, 2, 3 come first, and YNNPACK's `pow` calls the
    // C library's `powf`, as `special::pow` spells out. `jnp.sum` adds f16 and bf16 in
    // f32; f16 powers are f16, bf16 powers are taken in f32 without rounding to bf16.
    let sums = match dt {
        DType::F16 => ynn::sum_last_at_size(&powers.convert(DType::F32)?)?.convert(dt)?,
        DType::BF16 => {
            let g32 = to_f32_exact(&g.abs()?)?;
            let powers = pow_p(&g32, &pt.convert(DType::F32)?, &p, |v| v)?;
            ynn::sum_last_at_size(&powers)?.convert(dt)?
        }
        _ => ynn::sum_last_at_size(&powers)?,
    };
    let total = sums.add(&e)?;
    if dt == DType::BF16 {
        // jaxlib keeps the division: `g * (1 / norm)` with the bf16 norm's reciprocal and
        // the product in f32, rounded once.
        let norm = pow_p(&total, &inv, &p, |v| 1.0 / v)?;
        let recip = Tensor::scalar(1.0f32).div(&to_f32_exact(&norm)?)?;
        return to_f32_exact(&g)?.mul(&spread(&recip)?)?.convert(dt);
    }
    // With one coordinate `[..., None]` is a reshape, not a broadcast. In the default
    // layout the draws already have the trailing axis, the reshape sits between the power
    // and the division, and XLA keeps the division. In the legacy layout the draws are
    // made flat and reshaped at the end, so XLA sees `g / total ** (1 / p)` and rewrites
    // it as below, unless it has already rewritten the power itself (`x ** 1` is `x`,
    // `x ** 2` is `x * x`, ...).
    let power_folded = p
        .as_f64()
        .is_some_and(|v| [0.0, 1.0, 2.0, 3.0, -1.0].contains(&(1.0 / v as f32)));
    if d == 1 && (config::threefry_partitionable() || power_folded) {
        let norm = pow_p(&total, &inv, &p, |v| 1.0 / v)?;
        return g.div(&spread(&norm)?);
    }
    // `g / (total ** (1 / p))[..., None]`: jaxlib's XLA makes the division by a broadcast
    // power a product with the opposite power, `g * (total ** -(1 / p))[..., None]`.
    let inv_norm = pow_p(&total, &inv.neg()?, &p, |v| -1.0 / v)?;
    g.mul(&spread(&inv_norm)?)
}
