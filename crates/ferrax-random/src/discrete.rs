//! The counting samplers of `jax.random`: `poisson` (Knuth's method below 10, Hormann's
//! transformed rejection above), `binomial` (geometric inversion for small means, BTRS
//! above) and `multinomial` (a scan of conditional binomials), each emitting the `while`
//! loops JAX emits, whole-array: every iteration draws for all elements from one key and
//! keeps the elements that are not done yet. Checked bit for bit against JAX 0.10.2 by
//! `tests/golden_samplers.rs` (both counter layouts, f32 and f64, i16 to i64 counts).

use ferrax_ir::{DType, Error, GatherDims, ReduceKind, Result, Tensor, WindowAttrs};

use crate::config;
use crate::key::{split2, Key};
use crate::lanes::{self, c};
use crate::numerics::lgamma;
use crate::param::Param;
use crate::samplers::{broadcast_shapes, check_shape, param_to, weak_float};
use crate::{SampleOpts, UniformOpts};

fn key_of(data: &Tensor) -> Result<Key> {
    crate::wrap_key_data(data)
}

/// `any` over every element (a bool scalar).
fn any_all(mask: &Tensor) -> Result<Tensor> {
    let r = mask.rank();
    mask.reduce(ReduceKind::Any, &(0..r).collect::<Vec<_>>())
}

fn uniform01(key: &Key, shape: &[usize], dt: DType) -> Result<Tensor> {
    crate::uniform(key, shape, UniformOpts::default().dtype(dt))
}

/// The largest value of an integer dtype as an i64 (`iinfo(dtype).max`).
fn int_max(d: DType) -> i64 {
    match d {
        DType::I8 => i8::MAX as i64,
        DType::I16 => i16::MAX as i64,
        DType::I32 => i32::MAX as i64,
        DType::U8 => u8::MAX as i64,
        DType::U16 => u16::MAX as i64,
        _ => i64::MAX,
    }
}

/// The loop counter and its bound: i32, as JAX's `0` carry, bounded by `max_iters`.
fn below(i: &Tensor, max_iters: i64) -> Result<Tensor> {
    i.lt(&Tensor::scalar(max_iters.min(i32::MAX as i64) as i32))
}

// ------------------------------------------------------------------------------ poisson

/// JAX's `_poisson_knuth`: multiply uniforms until the product drops below `exp(-lam)`.
fn poisson_knuth(key: &Key, lam: &Tensor, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let max_iters = int_max(dtype);
    let init = [
        Tensor::scalar(0i32),
        Tensor::zeros(dtype, shape.to_vec()),
        key.data().clone(),
        Tensor::zeros(DType::F32, shape.to_vec()),
    ];
    let out = Tensor::while_loop(
        &init,
        |s| any_all(&s[3].gt(&lam.neg()?)?)?.bitand(&below(&s[0], max_iters)?),
        |s| {
            let (rng, sub) = split2(&key_of(&s[2])?)?;
            let live = s[3].gt(&lam.neg()?)?;
            let k = Tensor::select(&live, &s[1].add(&c(dtype, 1.0))?, &s[1])?;
            let u = uniform01(&sub, shape, DType::F32)?;
            Ok(vec![
                s[0].add(&Tensor::scalar(1i32))?,
                k,
                rng.data().clone(),
                s[3].add(&u.log()?)?,
            ])
        },
    )?;
    out[1].sub(&c(dtype, 1.0))
}

/// JAX's `_poisson_rejection`: Hormann's transformed rejection with squeeze (PTRS).
fn poisson_rejection(key: &Key, lam: &Tensor, shape: &[usize], dtype: DType) -> Result<Tensor> {
    let max_iters = int_max(dtype);
    let f = |v: f64| c(DType::F32, v);
    let log_lam = lam.log()?;
    let b = f(0.931).add(&f(2.53).mul(&lam.sqrt()?)?)?;
    let a = f(-0.059).add(&f(0.02483).mul(&b)?)?;
    let inv_alpha = f(1.1239).add(&f(1.1328).div(&b.sub(&f(3.4))?)?)?;
    let v_r = f(0.9277).sub(&f(3.6224).div(&b.sub(&f(2.0))?)?)?;
    let init = [
        Tensor::scalar(0i32),
        Tensor::full(DType::F32, shape.to_vec(), -1.0),
        Tensor::full(DType::Bool, shape.to_vec(), 0.0),
        key.data().clone(),
    ];
    let out = Tensor::while_loop(
        &init,
        |s| any_all(&s[2].not()?)?.bitand(&below(&s[0], max_iters)?),
        |s| {
            let ks = crate::split(&key_of(&s[3])?, 3)?;
            let (next, k0, k1) = (ks.get(0)?, ks.get(1)?, ks.get(2)?);
            let u = uniform01(&k0, shape, DType::F32)?.sub(&f(0.5))?;
            let v = uniform01(&k1, shape, DType::F32)?;
            let us = f(0.5).sub(&u.abs()?)?;
            let k = f(2.0)
                .mul(&a)?
                .div(&us)?
                .add(&b)?
                .mul(&u)?
                .add(lam)?
                .add(&f(0.43))?
                .floor()?;
            let s_ = v
                .mul(&inv_alpha)?
                .div(&a.div(&us.mul(&us)?)?.add(&b)?)?
                .log()?;
            let t = lam
                .neg()?
                .add(&k.mul(&log_lam)?)?
                .sub(&lgamma(&k.add(&f(1.0))?)?)?;
            let accept1 = us.ge(&f(0.07))?.bitand(&v.le(&v_r)?)?;
            let reject = k
                .lt(&f(0.0))?
                .bitor(&us.lt(&f(0.013))?.bitand(&v.gt(&us)?)?)?;
            let accept2 = s_.le(&t)?;
            let accept = accept1.bitor(&reject.not()?.bitand(&accept2)?)?;
            Ok(vec![
                s[0].add(&Tensor::scalar(1i32))?,
                Tensor::select(&accept, &k, &s[1])?,
                s[2].bitor(&accept)?,
                next.data().clone(),
            ])
        },
    )?;
    out[1].convert(dtype)
}

/// `jax.random.poisson(key, lam, shape, dtype)`: Poisson variates with rate `lam`
/// (non-negative; a number or a tensor broadcastable to `shape`, which defaults to `lam`'s
/// shape) as an integer dtype (default i32, or i64 with x64). `lam` is used in f32, as in
/// JAX. Rates below 10 use Knuth's method, larger ones Hormann's transformed rejection;
/// both run for every element and the result selects, as in JAX.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::poisson(&random::key(0), 3.0, SampleOpts::default().shape(&[6]))?;
/// assert!(x.eval()?.to_vec::<i32>()?.iter().all(|v| *v >= 0));
/// assert!(random::poisson(&random::key(0), 3.0,
///     SampleOpts::default().dtype(DType::F32)).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn poisson(key: &Key, lam: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    let op = "poisson";
    let lam = lam.into();
    key.words(op)?;
    let dtype = opts.dtype.unwrap_or_else(config::default_int_dtype);
    if !dtype.is_int() {
        return Err(Error::dtype(
            op,
            format!("dtype argument to `poisson` must be an int dtype, got {dtype}"),
        ));
    }
    let shape = opts.shape.clone().unwrap_or_else(|| lam.shape());
    let lam_t = match &lam {
        Param::Tensor(t) => t.clone(),
        _ => param_to(&lam, weak_float(DType::F32))?,
    };
    let lam_t = lam_t.broadcast_to(shape.clone())?.convert(DType::F32)?;
    if shape.iter().product::<usize>() == 0 {
        return Ok(Tensor::zeros(dtype, shape));
    }
    // JAX's `_poisson` is a function of its own (see `lanes::barrier`).
    let lam = lanes::barrier(&lam_t)?;
    let use_knuth = lam.ne(&lam)?.bitor(&lam.lt(&c(DType::F32, 10.0))?)?;
    let lam_knuth = Tensor::select(&use_knuth, &lam, &c(DType::F32, 0.0))?;
    let lam_rej = Tensor::select(&use_knuth, &c(DType::F32, 1e5), &lam)?;
    let kn = poisson_knuth(key, &lam_knuth, &shape, dtype)?;
    let rj = poisson_rejection(key, &lam_rej, &shape, dtype)?;
    let result = Tensor::select(&use_knuth, &kn, &rj)?;
    Tensor::select(&lam.eq(&c(DType::F32, 0.0))?, &c(dtype, 0.0), &result)
}

// ------------------------------------------------------------------------------ binomial

/// JAX's `_stirling_approx_tail(k)`: the tail of Stirling's series, tabulated for
/// `k <= 9`.
fn stirling_tail(k: &Tensor) -> Result<Tensor> {
    const TAIL: [f64; 10] = [
        0.081_061_466_795_327_2,
        0.041_340_695_955_409_2,
        0.027_677_925_684_998_3,
        0.020_790_672_103_765_09,
        0.016_644_691_189_821_1,
        0.013_876_128_823_070_7,
        0.011_896_709_945_891_7,
        0.010_411_265_261_972_0,
        0.009_255_462_182_712_73,
        0.008_330_563_433_362_87,
    ];
    let dt = k.dtype();
    let table = match dt {
        DType::F64 => Tensor::from_vec(TAIL.to_vec(), [10])?,
        _ => Tensor::from_vec(TAIL.iter().map(|&v| v as f32).collect::<Vec<_>>(), [10])?
            .convert(dt)?,
    };
    let use_tail = k.le(&c(dt, 9.0))?;
    let kc = k.clamp(&c(dt, 0.0), &c(dt, 9.0))?;
    let kp1sq = kc.add(&c(dt, 1.0))?.mul(&kc.add(&c(dt, 1.0))?)?;
    let approx = c(dt, 1.0 / 12.0)
        .sub(
            &c(dt, 1.0 / 360.0)
                .sub(&c(dt, 1.0 / 1260.0).div(&kp1sq)?)?
                .div(&kp1sq)?,
        )?
        .div(&kc.add(&c(dt, 1.0))?)?;
    let idx = kc.floor()?.convert(DType::I32)?;
    // jnp indexing normalises negative indices, then gathers.
    let idx = Tensor::select(
        &idx.lt(&Tensor::scalar(0i32))?,
        &idx.add(&Tensor::scalar(10i32))?,
        &idx,
    )?;
    let r = idx.rank();
    let mut ishape = idx.shape().to_vec();
    ishape.push(1);
    let vals = table.gather(
        &idx.reshape(ishape)?,
        GatherDims {
            offset_dims: vec![],
            collapsed_slice_dims: vec![0],
            start_index_map: vec![0],
            index_vector_dim: r,
            slice_sizes: vec![1],
            ..Default::default()
        },
    )?;
    Tensor::select(&use_tail, &vals, &approx)
}

/// JAX's `_binomial_inversion`: count geometric waiting times until they pass `count`.
fn binomial_inversion(
    key: &Key,
    count: &Tensor,
    prob: &Tensor,
    shape: &[usize],
    dtype: DType,
) -> Result<Tensor> {
    let pd = prob.dtype();
    let log1mp = crate::special::log1p(&prob.neg()?)?;
    let init = [
        Tensor::scalar(0i32),
        Tensor::zeros(pd, shape.to_vec()),
        Tensor::zeros(pd, shape.to_vec()),
        key.data().clone(),
    ];
    let fmax = float_max(dtype);
    let out = Tensor::while_loop(
        &init,
        |s| {
            let live = any_all(&s[2].le(count)?)?;
            live.bitand(&s[0].convert(dtype)?.lt(&c(dtype, fmax))?)
        },
        |s| {
            // `subkey, key = split(key)`: the first half draws.
            let (sub, next) = split2(&key_of(&s[3])?)?;
            let live = s[2].le(count)?;
            let num = Tensor::select(&live, &s[1].add(&c(pd, 1.0))?, &s[1])?;
            let u = uniform01(&sub, shape, pd)?;
            let geom = u.log()?.div(&log1mp)?.ceil()?;
            Ok(vec![
                s[0].add(&Tensor::scalar(1i32))?,
                num,
                s[2].add(&geom)?,
                next.data().clone(),
            ])
        },
    )?;
    out[1].sub(&c(pd, 1.0))?.convert(dtype)
}

fn float_max(d: DType) -> f64 {
    match d {
        DType::F16 => 65504.0,
        DType::BF16 => 3.389_531_389_251_535_5e38,
        DType::F32 => f32::MAX as f64,
        _ => f64::MAX,
    }
}

/// JAX's `_btrs`: Hormann's transformed rejection for binomials (BTRS).
fn binomial_btrs(
    key: &Key,
    count: &Tensor,
    prob: &Tensor,
    shape: &[usize],
    dtype: DType,
) -> Result<Tensor> {
    let pd = prob.dtype();
    let f = |v: f64| c(pd, v);
    let one = f(1.0);
    let stddev = count.mul(prob)?.mul(&one.sub(prob)?)?.sqrt()?;
    let b = f(1.15).add(&f(2.53).mul(&stddev)?)?;
    let a = f(-0.0873)
        .add(&f(0.0248).mul(&b)?)?
        .add(&f(0.01).mul(prob)?)?;
    let cc = count.mul(prob)?.add(&f(0.5))?;
    let v_r = f(0.92).sub(&f(4.2).div(&b)?)?;
    let r = prob.div(&one.sub(prob)?)?;
    let alpha = f(2.83).add(&f(5.1).div(&b)?)?.mul(&stddev)?;
    let m = count.add(&one)?.mul(prob)?.floor()?;
    let init = [
        Tensor::scalar(0i32),
        Tensor::full(pd, shape.to_vec(), -1.0),
        Tensor::full(DType::Bool, shape.to_vec(), 0.0),
        key.data().clone(),
    ];
    let fmax = float_max(dtype);
    let out = Tensor::while_loop(
        &init,
        |s| any_all(&s[2].not()?)?.bitand(&s[0].convert(dtype)?.lt(&c(dtype, fmax))?),
        |s| {
            let ks = crate::split(&key_of(&s[3])?, 3)?;
            let (next, k0, k1) = (ks.get(0)?, ks.get(1)?, ks.get(2)?);
            let u = uniform01(&k0, shape, pd)?;
            let v = uniform01(&k1, shape, pd)?;
            let u = u.sub(&f(0.5))?;
            let us = f(0.5).sub(&u.abs()?)?;
            let accept1 = us.ge(&f(0.07))?.bitand(&v.le(&v_r)?)?;
            let k = f(2.0)
                .mul(&a)?
                .div(&us)?
                .add(&b)?
                .mul(&u)?
                .add(&cc)?
                .floor()?;
            let reject = k.lt(&f(0.0))?.bitor(&k.gt(count)?)?;
            let v = v.mul(&alpha)?.div(&a.div(&us.mul(&us)?)?.add(&b)?)?.log()?;
            let t1 = m.add(&f(0.5))?.mul(
                &m.add(&one)?
                    .div(&r.mul(&count.sub(&m)?.add(&one)?)?)?
                    .log()?,
            )?;
            let t2 = count.add(&one)?.mul(
                &count
                    .sub(&m)?
                    .add(&one)?
                    .div(&count.sub(&k)?.add(&one)?)?
                    .log()?,
            )?;
            let t3 = k.add(&f(0.5))?.mul(
                &r.mul(&count.sub(&k)?.add(&one)?)?
                    .div(&k.add(&one)?)?
                    .log()?,
            )?;
            let ub = t1
                .add(&t2)?
                .add(&t3)?
                .add(&stirling_tail(&m)?)?
                .add(&stirling_tail(&count.sub(&m)?)?)?
                .sub(&stirling_tail(&k)?)?
                .sub(&stirling_tail(&count.sub(&k)?)?)?;
            let accept2 = v.le(&ub)?;
            let accept = accept1.bitor(&reject.not()?.bitand(&accept2)?)?;
            Ok(vec![
                s[0].add(&Tensor::scalar(1i32))?,
                Tensor::select(&accept, &k, &s[1])?,
                s[2].bitor(&accept)?,
                next.data().clone(),
            ])
        },
    )?;
    out[1].convert(dtype)
}

/// The float dtype `promote_dtypes_inexact` gives a parameter on its own.
fn inexact(p: &Param) -> DType {
    match p {
        Param::Tensor(t) if t.dtype().is_float() => t.dtype(),
        _ => config::default_float_dtype(),
    }
}

/// JAX's `_binomial` (inlined into the caller, so no function boundary).
fn binomial_t(
    key: &Key,
    n: &Param,
    p: &Param,
    shape: Option<&[usize]>,
    dtype: DType,
    op: &str,
) -> Result<Tensor> {
    let shape = match shape {
        None => broadcast_shapes(op, &n.shape(), &p.shape())?,
        Some(s) => {
            check_shape(op, s, &[n.shape(), p.shape()])?;
            s.to_vec()
        }
    };
    let pd = inexact(p);
    let prob = param_to(p, pd)?.broadcast_to(shape.clone())?;
    let count = param_to(n, pd)?.broadcast_to(shape.clone())?;
    if shape.iter().product::<usize>() == 0 {
        return Ok(Tensor::zeros(dtype, shape));
    }
    let f = |v: f64| c(pd, v);
    let p_lt_half = prob.lt(&f(0.5))?;
    let q = Tensor::select(&p_lt_half, &prob, &f(1.0).sub(&prob)?)?;
    let count_nan_or_neg = count.ne(&count)?.bitor(&count.lt(&f(0.0))?)?;
    let count_inf = count.abs()?.eq(&f(f64::INFINITY))?;
    let q_is_nan = q.ne(&q)?;
    let q_l_0 = q.lt(&f(0.0))?;
    let q = Tensor::select(&q_is_nan.bitor(&q_l_0)?, &f(0.01), &q)?;
    let use_inversion = count_nan_or_neg.bitor(&count.mul(&q)?.le(&f(10.0))?)?;
    let count = count.floor()?;
    let count_inv = Tensor::select(&use_inversion, &count, &f(0.0))?;
    let count_btrs = Tensor::select(&use_inversion, &f(1e4), &count)?;
    let q_btrs = Tensor::select(&use_inversion, &f(0.5), &q)?;
    let inv = binomial_inversion(key, &count_inv, &q, &shape, dtype)?;
    let btrs = binomial_btrs(key, &count_btrs, &q_btrs, &shape, dtype)?;
    let samples = Tensor::select(&use_inversion, &inv, &btrs)?;
    let invalid = q_l_0.bitor(&q_is_nan)?.bitor(&count_nan_or_neg)?;
    let samples = Tensor::select(&invalid, &c(dtype, f64::NAN), &samples)?;
    let samples = Tensor::select(
        &count_inf.bitand(&invalid.not()?)?,
        &c(dtype, f64::INFINITY),
        &samples,
    )?;
    let keep = p_lt_half
        .bitor(&count_nan_or_neg)?
        .bitor(&q_is_nan)?
        .bitor(&count_inf)?;
    Tensor::select(&keep, &samples, &count.convert(dtype)?.sub(&samples)?)
}

/// `jax.random.binomial(key, n, p, shape, dtype)`: Binomial(`n`, `p`) variates as floats
/// (default f32, or f64 with x64). `n` and `p` are numbers or tensors; `shape` defaults
/// to their broadcast shape. Means `n min(p, 1-p)` up to 10 use geometric inversion,
/// larger ones BTRS; invalid parameters give NaN and an infinite `n` gives infinity, as in
/// JAX.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::binomial(&random::key(0), 20.0, 0.3, SampleOpts::default().shape(&[5]))?;
/// let v = x.eval()?.to_vec::<f32>()?;
/// assert!(v.iter().all(|k| (0.0..=20.0).contains(k) && k.fract() == 0.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn binomial(
    key: &Key,
    n: impl Into<Param>,
    p: impl Into<Param>,
    opts: SampleOpts,
) -> Result<Tensor> {
    let op = "binomial";
    key.words(op)?;
    let dtype = opts.dtype.unwrap_or_else(config::default_float_dtype);
    if !dtype.is_float() {
        return Err(Error::dtype(
            op,
            format!("dtype argument to `binomial` must be a float dtype, got {dtype}"),
        ));
    }
    binomial_t(key, &n.into(), &p.into(), opts.shape.as_deref(), dtype, op)
}

// ------------------------------------------------------------------------------ multinomial

/// `lax.cumsum(x, 0, reverse=True)` as JAX lowers it on CPU: a windowed sum over the
/// axis's full length with the padding after the data.
fn reverse_cumsum0(x: &Tensor) -> Result<Tensor> {
    let r = x.rank();
    let n = x.shape()[0];
    let mut window = vec![1; r];
    window[0] = n;
    let mut padding = vec![(0i64, 0i64); r];
    padding[0] = (0, n as i64 - 1);
    x.reduce_window(
        ReduceKind::Sum,
        WindowAttrs {
            window_dimensions: window,
            window_strides: vec![1; r],
            base_dilations: vec![1; r],
            window_dilations: vec![1; r],
            padding,
        },
    )
}

/// `jax.random.multinomial(key, n, p, shape, dtype)`: counts of `n` trials over the
/// outcomes of the last axis of `p`, shape `p.shape` (or `shape`, whose last entry is the
/// number of outcomes). A scan over the outcomes draws each count as a binomial of the
/// trials left, with the outcome's probability renormalised; the output dtype defaults
/// to the default float dtype.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let p = Tensor::from_vec(vec![0.2f32, 0.3, 0.5], [3])?;
/// let x = random::multinomial(&random::key(0), 10.0, &p, SampleOpts::default())?;
/// assert_eq!(x.eval()?.to_vec::<f32>()?.iter().sum::<f32>(), 10.0);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn multinomial(key: &Key, n: impl Into<Param>, p: &Tensor, opts: SampleOpts) -> Result<Tensor> {
    let op = "multinomial";
    key.words(op)?;
    p.check()?;
    let n = n.into();
    let dtype = opts.dtype.unwrap_or_else(config::default_float_dtype);
    if p.rank() < 1 {
        return Err(Error::shape(
            op,
            "p must have at least one axis (the outcomes)",
        ));
    }
    // promote_dtypes_inexact(n, p)
    let pd = if p.dtype().is_float() {
        match &n {
            Param::Tensor(t) if t.dtype().is_float() && t.dtype() != p.dtype() => {
                if t.dtype().bit_width() > p.dtype().bit_width() {
                    t.dtype()
                } else {
                    p.dtype()
                }
            }
            _ => p.dtype(),
        }
    } else {
        inexact(&n)
    };
    let shape = opts.shape.clone().unwrap_or_else(|| p.shape().to_vec());
    if shape.is_empty() {
        return Err(Error::shape(
            op,
            "shape must have at least one axis (the outcomes)",
        ));
    }
    let batch = shape[..shape.len() - 1].to_vec();
    let k = shape[shape.len() - 1];
    let nt = param_to(&n, pd)?.broadcast_to(batch.clone())?;
    let pt = p.convert(pd)?.broadcast_to(shape.clone())?;
    if shape.iter().product::<usize>() == 0 {
        return Ok(Tensor::zeros(dtype, shape));
    }
    let r = shape.len();
    // moveaxis(p, -1, 0)
    let mut perm = vec![r - 1];
    perm.extend(0..r - 1);
    let pm = pt.transpose(&perm)?;
    let remaining = reverse_cumsum0(&pm)?;
    let denom = Tensor::select(&remaining.eq(&c(pd, 0.0))?, &c(pd, 1.0), &remaining)?;
    let ratios = pm.div(&denom)?;
    let keys = crate::key_data(&crate::split(key, k)?);
    let mut cshape = vec![k];
    cshape.extend_from_slice(&batch);
    let init = [Tensor::scalar(0i32), nt, Tensor::zeros(pd, cshape.clone())];
    let zero = || Tensor::scalar(0i32);
    let out = Tensor::while_loop(
        &init,
        |s| s[0].lt(&Tensor::scalar(k as i32)),
        |s| {
            let i = &s[0];
            let mut starts = vec![i.clone()];
            starts.extend((0..batch.len()).map(|_| zero()));
            let mut sizes = vec![1];
            sizes.extend_from_slice(&batch);
            let ratio = ratios
                .dynamic_slice(&starts, &sizes)?
                .reshape(batch.clone())?;
            let kd = keys
                .dynamic_slice(&[i.clone(), zero()], &[1, 2])?
                .reshape([2])?;
            let ratio = ratio.maximum(&c(pd, 0.0))?.minimum(&c(pd, 1.0))?;
            let count = binomial_t(
                &key_of(&kd)?,
                &Param::Tensor(s[1].clone()),
                &Param::Tensor(ratio),
                None,
                pd,
                op,
            )?;
            let counts = s[2].dynamic_update_slice(&count.reshape(sizes.clone())?, &starts)?;
            Ok(vec![
                i.add(&Tensor::scalar(1i32))?,
                s[1].sub(&count)?,
                counts,
            ])
        },
    )?;
    // moveaxis(counts, 0, -1)
    let mut back: Vec<usize> = (1..r).collect();
    back.push(0);
    out[2].transpose(&back)?.convert(dtype)
}
