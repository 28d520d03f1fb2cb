//! The samplers of `jax.random`, each emitting the op graph JAX 0.10.2 emits for it.
//!
//! Shapes are `&[usize]`; dtypes default like JAX's (`f32`/`i32`, or `f64`/`i64` with
//! [`config::enable_x64`]); parameters are [`Param`]s (numbers or tensors that broadcast
//! against the sample shape). All of them take a single key and return errors, never
//! panic, for a key array, a shape that does not fit the parameters, or a dtype the
//! distribution does not allow.

use ferrax_ir::{DType, Error, Result, Tensor};

use crate::config;
use crate::key::{random_bits, split2, Key};
use crate::numerics::fma;
use crate::param::Param;
use crate::samplers::{
    broadcast_shapes as bshape, check_safe_cast, check_shape, promote_float, resolve_shape,
};
use crate::special::{
    argmax, cumsum, div_bcast, erf_inv, erf_inv_in, log1p, nextafter, opaque, rounded,
    searchsorted, to_f32_exact, top_k, Log1pForm,
};
use crate::ynn;

// ------------------------------------------------------------------------------ helpers

/// Facts about a float dtype (numpy's `finfo`).
#[derive(Clone, Copy)]
pub(crate) struct FInfo {
    pub bits: usize,
    pub nmant: usize,
    /// Smallest positive normal number.
    pub tiny: f64,
    /// 2^-nmant.
    pub eps: f64,
    /// 2^-(nmant+1).
    pub epsneg: f64,
}

pub(crate) fn finfo(d: DType) -> FInfo {
    let (bits, nmant, minexp) = match d {
        DType::F16 => (16, 10, -14),
        DType::BF16 => (16, 7, -126),
        DType::F32 => (32, 23, -126),
        _ => (64, 52, -1022),
    };
    FInfo {
        bits,
        nmant,
        tiny: 2f64.powi(minexp),
        eps: 2f64.powi(-(nmant as i32)),
        epsneg: 2f64.powi(-(nmant as i32) - 1),
    }
}

fn k(d: DType, v: f64) -> Tensor {
    Tensor::scalar_like(d, v)
}

/// The float dtype of a sampler: `dtype` or the default, checked.
fn float_dtype(op: &str, dtype: Option<DType>) -> Result<DType> {
    let d = dtype.unwrap_or_else(config::default_float_dtype);
    if !d.is_float() {
        return Err(Error::dtype(
            op,
            format!("dtype argument to `{op}` must be a float dtype, got {d}"),
        ));
    }
    Ok(d)
}

fn int_dtype(op: &str, dtype: Option<DType>) -> Result<DType> {
    let d = dtype.unwrap_or_else(config::default_int_dtype);
    if !d.is_int() {
        return Err(Error::dtype(
            op,
            format!("dtype argument to `{op}` must be an int dtype, got {d}"),
        ));
    }
    Ok(d)
}

/// A number as JAX's weakly typed scalar converted to `dtype` (through the default float
/// dtype, as a Python float crossing a jit boundary does); a tensor converted to `dtype`.
pub(crate) fn param_to(p: &Param, dtype: DType) -> Result<Tensor> {
    match p {
        Param::Float(v) => {
            let weak = if config::enable_x64() || dtype == DType::F64 {
                DType::F64
            } else {
                DType::F32
            };
            Tensor::scalar_like(weak, *v).convert(dtype)
        }
        _ => p.to(dtype),
    }
}

/// A parameter as JAX's jitted sampler sees it: a number is a run-time scalar argument
/// there (weakly typed: rounded to the default float dtype, then converted to `dtype` at
/// run time), so it is made [`opaque`] to XLA's constant folding here; a tensor is
/// converted to `dtype`.
pub(crate) fn param_rt(p: &Param, dtype: DType, key: &Key, op: &str) -> Result<Tensor> {
    let (k0, _) = key.words(op)?;
    match p {
        Param::Float(v) if dtype.is_float() => {
            let weak = if config::enable_x64() || dtype == DType::F64 {
                DType::F64
            } else {
                DType::F32
            };
            opaque(&Tensor::scalar_like(weak, *v), &k0)?.convert(dtype)
        }
        Param::Int(_) if dtype.is_float() => opaque(&p.to(dtype)?, &k0),
        _ => param_to(p, dtype),
    }
}

/// The core of `jax.random.uniform`: `minval`/`maxval` already of `dtype`.
fn uniform_t(
    key: &Key,
    shape: &[usize],
    dtype: DType,
    minval: &Tensor,
    maxval: &Tensor,
    op: &str,
) -> Result<Tensor> {
    let fi = finfo(dtype);
    let rng_bits = if fi.nmant < 8 { 8 } else { fi.bits };
    let ut = dtype
        .unsigned_of_same_width()
        .ok_or_else(|| Error::dtype(op, "no unsigned type of this width"))?;
    let mut bits = random_bits(key, rng_bits, shape, op)?;
    if rng_bits != fi.bits {
        bits = bits.convert(ut)?;
    }
    let one_bits = k(dtype, 1.0).bitcast(ut)?;
    let float_bits = bits
        .shift_right_logical(&k(ut, (rng_bits - fi.nmant) as f64))?
        .bitor(&one_bits)?;
    let floats = float_bits.bitcast(dtype)?.sub(&k(dtype, 1.0))?;
    let scaled = floats.mul(&maxval.sub(minval)?)?.add(minval)?;
    let out = minval.maximum(&scaled)?;
    if out.shape() != shape {
        return Err(Error::shape(
            op,
            format!(
                "parameter shapes do not broadcast to the sample shape {shape:?} (got {:?})",
                out.shape()
            ),
        ));
    }
    Ok(out)
}

fn uniform_f(
    key: &Key,
    shape: &[usize],
    dtype: DType,
    lo: f64,
    hi: f64,
    op: &str,
) -> Result<Tensor> {
    uniform_t(key, shape, dtype, &k(dtype, lo), &k(dtype, hi), op)
}

// ------------------------------------------------------------------------------ options

/// Gumbel sampling precision (`mode=` of `gumbel`, `categorical`, `choice`, `bernoulli`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// One uniform draw per sample (JAX's default).
    #[default]
    Low,
    /// Two draws per sample, for better resolution of small probabilities.
    High,
    /// (gumbel) 64 random bits per sample in f32 (`High` for the other dtypes).
    Highest,
}

/// Options of [`uniform`]: `dtype` (default f32, or f64 with x64), `minval` (default 0),
/// `maxval` (default 1).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, UniformOpts};
/// let k = random::key(0);
/// let u = random::uniform(&k, &[3], UniformOpts::default().minval(-2.0).maxval(2.0))?;
/// let v = random::uniform(&k, &[3], UniformOpts::default().dtype(DType::BF16))?;
/// assert_eq!(v.dtype(), DType::BF16);
/// # let _ = u;
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct UniformOpts {
    /// The float dtype of the samples (`None`: the default float dtype).
    pub dtype: Option<DType>,
    /// Inclusive lower bound, broadcast-compatible with the shape.
    pub minval: Param,
    /// Exclusive upper bound, broadcast-compatible with the shape.
    pub maxval: Param,
}

impl Default for UniformOpts {
    fn default() -> Self {
        UniformOpts {
            dtype: None,
            minval: Param::Float(0.0),
            maxval: Param::Float(1.0),
        }
    }
}

impl UniformOpts {
    /// Sets the dtype.
    pub fn dtype(mut self, d: DType) -> Self {
        self.dtype = Some(d);
        self
    }
    /// Sets the lower bound.
    pub fn minval(mut self, v: impl Into<Param>) -> Self {
        self.minval = v.into();
        self
    }
    /// Sets the upper bound.
    pub fn maxval(mut self, v: impl Into<Param>) -> Self {
        self.maxval = v.into();
        self
    }
}

/// Options shared by the samplers whose `shape` defaults to the parameters' broadcast
/// shape (`truncated_normal`, `pareto`, `rayleigh`, `wald`, `geometric`, `triangular`,
/// `lognormal`): `shape` (default `None`) and `dtype` (default `None`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::truncated_normal(&random::key(0), -1.0, 1.0,
///     SampleOpts::default().shape(&[2, 2]).dtype(DType::F32))?;
/// assert_eq!(x.shape(), &[2, 2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct SampleOpts {
    /// The sample shape (`None`: the parameters' broadcast shape).
    pub shape: Option<Vec<usize>>,
    /// The dtype (`None`: the sampler's default).
    pub dtype: Option<DType>,
}

impl SampleOpts {
    /// Sets the shape.
    pub fn shape(mut self, s: &[usize]) -> Self {
        self.shape = Some(s.to_vec());
        self
    }
    /// Sets the dtype.
    pub fn dtype(mut self, d: DType) -> Self {
        self.dtype = Some(d);
        self
    }
}

/// Options of [`bernoulli`]: `shape` (default: `p`'s shape) and `mode` (default `Low`).
#[derive(Clone, Debug, Default)]
pub struct BernoulliOpts {
    /// The sample shape (`None`: the shape of `p`).
    pub shape: Option<Vec<usize>>,
    /// `Low` (one uniform per sample) or `High` (two, for tiny `p`).
    pub mode: Mode,
}

impl BernoulliOpts {
    /// Sets the shape.
    pub fn shape(mut self, s: &[usize]) -> Self {
        self.shape = Some(s.to_vec());
        self
    }
    /// Sets the mode.
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }
}

/// Options of [`gumbel`]: `dtype` and `mode` (default `Low`).
#[derive(Clone, Debug, Default)]
pub struct GumbelOpts {
    /// The float dtype (`None`: the default float dtype).
    pub dtype: Option<DType>,
    /// `Low` or `High` (`None`: `Low`, JAX's `use_high_dynamic_range_gumbel=False`).
    pub mode: Option<Mode>,
}

impl GumbelOpts {
    /// Sets the dtype.
    pub fn dtype(mut self, d: DType) -> Self {
        self.dtype = Some(d);
        self
    }
    /// Sets the mode.
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = Some(m);
        self
    }
}

/// Options of [`permutation`]: `axis` (default 0, negative counts from the end) and
/// `independent` (default false: shuffle whole slices).
#[derive(Clone, Debug, Default)]
pub struct PermutationOpts {
    /// The axis to shuffle along.
    pub axis: isize,
    /// Shuffle each 1-D slice along `axis` independently.
    pub independent: bool,
}

impl PermutationOpts {
    /// Sets the axis.
    pub fn axis(mut self, a: isize) -> Self {
        self.axis = a;
        self
    }
    /// Sets `independent`.
    pub fn independent(mut self, v: bool) -> Self {
        self.independent = v;
        self
    }
}

/// Options of [`choice`]: `replace` (default true), `p` (default uniform), `axis`
/// (default 0) and `mode` (the gumbel mode used without replacement and with `p`).
#[derive(Clone, Debug)]
pub struct ChoiceOpts {
    /// Sample with replacement.
    pub replace: bool,
    /// 1-D probabilities of the entries of `a` along `axis`.
    pub p: Option<Tensor>,
    /// The axis of `a` to choose along.
    pub axis: isize,
    /// Gumbel mode (`None`: `Low`).
    pub mode: Option<Mode>,
}

impl Default for ChoiceOpts {
    fn default() -> Self {
        ChoiceOpts {
            replace: true,
            p: None,
            axis: 0,
            mode: None,
        }
    }
}

impl ChoiceOpts {
    /// Sets `replace`.
    pub fn replace(mut self, r: bool) -> Self {
        self.replace = r;
        self
    }
    /// Sets the probabilities.
    pub fn p(mut self, p: &Tensor) -> Self {
        self.p = Some(p.clone());
        self
    }
    /// Sets the axis.
    pub fn axis(mut self, a: isize) -> Self {
        self.axis = a;
        self
    }
    /// Sets the gumbel mode.
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = Some(m);
        self
    }
}

/// Options of [`categorical`]: `axis` (default -1), `shape` (default: the logits' shape
/// without `axis`), `replace` (default true) and `mode`.
#[derive(Clone, Debug)]
pub struct CategoricalOpts {
    /// The axis of the categories.
    pub axis: isize,
    /// The sample shape.
    pub shape: Option<Vec<usize>>,
    /// Sample with replacement.
    pub replace: bool,
    /// Gumbel mode (`None`: `Low`).
    pub mode: Option<Mode>,
}

impl Default for CategoricalOpts {
    fn default() -> Self {
        CategoricalOpts {
            axis: -1,
            shape: None,
            replace: true,
            mode: None,
        }
    }
}

impl CategoricalOpts {
    /// Sets the axis.
    pub fn axis(mut self, a: isize) -> Self {
        self.axis = a;
        self
    }
    /// Sets the shape.
    pub fn shape(mut self, s: &[usize]) -> Self {
        self.shape = Some(s.to_vec());
        self
    }
    /// Sets `replace`.
    pub fn replace(mut self, r: bool) -> Self {
        self.replace = r;
        self
    }
    /// Sets the gumbel mode.
    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = Some(m);
        self
    }
}

// ------------------------------------------------------------------------------ samplers

/// `jax.random.uniform(key, shape, dtype, minval, maxval)`: floats in `[minval, maxval)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, UniformOpts};
/// let u = random::uniform(&random::key(0), &[1000], UniformOpts::default())?;
/// let v = u.eval()?.to_vec::<f32>()?;
/// assert!(v.iter().all(|x| (0.0..1.0).contains(x)));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn uniform(key: &Key, shape: &[usize], opts: UniformOpts) -> Result<Tensor> {
    let dtype = float_dtype("uniform", opts.dtype)?;
    for p in [&opts.minval, &opts.maxval] {
        let ps = p.shape();
        if ps.len() > shape.len() {
            return Err(Error::shape(
                "uniform",
                format!("minval/maxval of shape {ps:?} do not fit the shape {shape:?}"),
            ));
        }
    }
    let lo = param_rt(&opts.minval, dtype, key, "uniform")?;
    let hi = param_rt(&opts.maxval, dtype, key, "uniform")?;
    uniform_t(key, shape, dtype, &lo, &hi, "uniform")
}

/// `jax.random.normal(key, shape, dtype)`: standard normal floats,
/// `sqrt(2) * erf_inv(uniform(nextafter(-1, 0), 1))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let x = random::normal(&random::key(0), &[3], Some(DType::F32))?;
/// assert_eq!(x.dtype(), DType::F32);
/// assert!(random::normal(&random::key(0), &[3], Some(DType::I32)).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn normal(key: &Key, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
    let dtype = float_dtype("normal", dtype)?;
    normal_t(key, shape, dtype, "normal")
}

fn normal_t(key: &Key, shape: &[usize], dtype: DType, op: &str) -> Result<Tensor> {
    normal_in(key, shape, dtype, op, Log1pForm::Expanded)
}

/// `normal_t` with the `log1p` inside `erf_inv` emitted in `form`: `maxwell` and
/// `lognormal` need the plugin's own op to match JAX (see [`Log1pForm`]).
fn normal_in(
    key: &Key,
    shape: &[usize],
    dtype: DType,
    op: &str,
    form: Log1pForm,
) -> Result<Tensor> {
    let u = normal_uniform(key, shape, dtype, op)?;
    k(dtype, std::f64::consts::SQRT_2).mul(&erf_inv_in(&u, form)?)
}

/// The uniform draws `normal` maps through `erf_inv`: in `(-1, 1)`.
fn normal_uniform(key: &Key, shape: &[usize], dtype: DType, op: &str) -> Result<Tensor> {
    let fi = finfo(dtype);
    uniform_f(key, shape, dtype, -1.0 + fi.epsneg, 1.0, op)
}

/// `jax.random.truncated_normal(key, lower, upper, shape, dtype)`: normal floats in the
/// open interval `(lower, upper)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::truncated_normal(&random::key(0), -2.0, 2.0,
///     SampleOpts::default().shape(&[100]))?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| v.abs() < 2.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn truncated_normal(
    key: &Key,
    lower: impl Into<Param>,
    upper: impl Into<Param>,
    opts: SampleOpts,
) -> Result<Tensor> {
    let op = "truncated_normal";
    let (lower, upper) = (lower.into(), upper.into());
    let dtype = float_dtype(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[lower.shape(), upper.shape()])?;
    let sqrt2 = k(dtype, std::f64::consts::SQRT_2);
    let lo = param_rt(&lower, dtype, key, op)?;
    let hi = param_rt(&upper, dtype, key, op)?;
    let a = div_bcast(&lo, &sqrt2)?.erf()?;
    let b = div_bcast(&hi, &sqrt2)?.erf()?;
    let u = uniform_t(key, &shape, dtype, &a, &b, op)?;
    let out = sqrt2.mul(&erf_inv(&u)?)?;
    let lo_in = nextafter(&lo, &k(dtype, f64::INFINITY))?;
    let hi_in = nextafter(&hi, &k(dtype, f64::NEG_INFINITY))?;
    hi_in.minimum(&lo_in.maximum(&out)?)
}

/// `jax.random.bernoulli(key, p, shape, mode)`: booleans that are true with probability
/// `p` (a float or float tensor; its dtype is the dtype of the uniform draws).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, BernoulliOpts};
/// let m = random::bernoulli(&random::key(0), 0.5, BernoulliOpts::default().shape(&[8]))?;
/// assert_eq!(m.dtype(), DType::Bool);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn bernoulli(key: &Key, p: impl Into<Param>, opts: BernoulliOpts) -> Result<Tensor> {
    let op = "bernoulli";
    let p = p.into();
    let dtype = p.dtype();
    if !dtype.is_float() {
        return Err(Error::dtype(
            op,
            format!("bernoulli probability `p` must have a floating dtype, got {dtype}."),
        ));
    }
    let shape = resolve_shape(op, opts.shape.as_deref(), &[p.shape()])?;
    let pt = param_rt(&p, dtype, key, op)?;
    match opts.mode {
        Mode::Low => uniform_f(key, &shape, dtype, 0.0, 1.0, op)?.lt(&pt),
        Mode::High => {
            let mut s2 = vec![2];
            s2.extend_from_slice(&shape);
            let u = uniform_f(key, &s2, dtype, 0.0, 1.0, op)?;
            let (u1, u2) = unstack2(&u)?;
            let u2 = u2.mul(&param_to(&Param::Float(finfo(dtype).eps), dtype)?)?;
            u2.lt(&pt.sub(&u1)?)
        }
        Mode::Highest => Err(Error::invalid(
            op,
            "got mode='highest', expected 'high' or 'low'",
        )),
    }
}

/// Splits the leading axis of size 2 into two tensors.
fn unstack2(u: &Tensor) -> Result<(Tensor, Tensor)> {
    let s = u.shape().to_vec();
    let r = s.len();
    let rest = s[1..].to_vec();
    let mut lim = s.clone();
    lim[0] = 1;
    let mut start = vec![0; r];
    let a = u.slice(&start, &lim, &vec![1; r])?.reshape(rest.clone())?;
    start[0] = 1;
    lim[0] = 2;
    let b = u.slice(&start, &lim, &vec![1; r])?.reshape(rest)?;
    Ok((a, b))
}

fn int_range(d: DType) -> (i128, i128) {
    match d {
        DType::I8 => (i8::MIN as i128, i8::MAX as i128),
        DType::I16 => (i16::MIN as i128, i16::MAX as i128),
        DType::I32 => (i32::MIN as i128, i32::MAX as i128),
        DType::I64 => (i64::MIN as i128, i64::MAX as i128),
        DType::U8 => (0, u8::MAX as i128),
        DType::U16 => (0, u16::MAX as i128),
        DType::U32 => (0, u32::MAX as i128),
        DType::U64 => (0, u64::MAX as i128),
        DType::Bool => (0, 1),
        _ => (i64::MIN as i128, i64::MAX as i128),
    }
}

/// An integer scalar of `d` holding `v` (exact for all integer values).
fn int_const(d: DType, v: i128) -> Tensor {
    match d {
        DType::I8 => Tensor::scalar(v as i8),
        DType::I16 => Tensor::scalar(v as i16),
        DType::I32 => Tensor::scalar(v as i32),
        DType::I64 => Tensor::scalar(v as i64),
        DType::U8 => Tensor::scalar(v as u8),
        DType::U16 => Tensor::scalar(v as u16),
        DType::U32 => Tensor::scalar(v as u32),
        DType::U64 => Tensor::scalar(v as u64),
        _ => Tensor::scalar_like(d, v as f64),
    }
}

/// JAX's `_convert_and_clip_integer`: clip to the range both dtypes share, then convert.
fn convert_and_clip(val: &Tensor, dtype: DType) -> Result<Tensor> {
    let (a0, a1) = int_range(val.dtype());
    let (b0, b1) = int_range(dtype);
    let lo = int_const(val.dtype(), a0.max(b0));
    let hi = int_const(val.dtype(), a1.min(b1));
    hi.minimum(&lo.maximum(val)?)?.convert(dtype)
}

/// `jax.random.randint(key, shape, minval, maxval, dtype)`: integers in
/// `[minval, maxval)` (JAX's modulus-based sampler from two draws of the dtype's width;
/// 8- and 16-bit dtypes are sampled in 32 bits).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let x = random::randint(&random::key(0), &[100], 0, 10, None)?;
/// assert!(x.eval()?.to_vec::<i32>()?.iter().all(|v| (0..10).contains(v)));
/// let b = random::randint(&random::key(0), &[4], 0, 256, Some(DType::U8))?;
/// assert_eq!(b.dtype(), DType::U8);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn randint(
    key: &Key,
    shape: &[usize],
    minval: impl Into<Param>,
    maxval: impl Into<Param>,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let op = "randint";
    let dtype = dtype.unwrap_or_else(config::default_int_dtype);
    if !dtype.is_int() {
        return Err(Error::dtype(
            op,
            format!("randint only accepts integer dtypes, got {dtype}"),
        ));
    }
    let (minval, maxval) = (minval.into(), maxval.into());
    check_shape(op, shape, &[minval.shape(), maxval.shape()])?;
    let as_int = |p: &Param| -> Result<Tensor> {
        let t = p.tensor()?;
        if t.dtype().is_int() {
            Ok(t)
        } else {
            t.convert(config::default_int_dtype())
        }
    };
    let mut lo = as_int(&minval)?;
    let mut hi = as_int(&maxval)?;
    let mut sdtype = dtype;
    if dtype.bit_width() < 32 {
        sdtype = DType::I32;
        let (mn, mx) = int_range(dtype);
        lo = lo.convert(DType::I32)?;
        hi = hi.convert(DType::I32)?;
        lo = int_const(DType::I32, mx).minimum(&int_const(DType::I32, mn).maximum(&lo)?)?;
        hi = int_const(DType::I32, mx + 1).minimum(&int_const(DType::I32, mn).maximum(&hi)?)?;
    }
    let out = randint_t(key, shape, &lo, &hi, sdtype)?;
    out.convert(dtype)
}

fn randint_t(key: &Key, shape: &[usize], lo: &Tensor, hi: &Tensor, dtype: DType) -> Result<Tensor> {
    let op = "randint";
    let dmax = convert_and_clip(&int_const(dtype, int_range(dtype).1), hi.dtype())?;
    let hi_out_of_range = hi.gt(&dmax)?;
    let lo = convert_and_clip(lo, dtype)?;
    let hi = convert_and_clip(hi, dtype)?;
    let nbits = dtype.bit_width();
    let (k1, k2) = split2(key)?;
    let higher = random_bits(&k1, nbits, shape, op)?;
    let lower = random_bits(&k2, nbits, shape, op)?;
    let ut = dtype
        .unsigned_of_same_width()
        .ok_or_else(|| Error::dtype(op, "no unsigned type"))?;
    let span = hi.sub(&lo)?.convert(ut)?;
    let one = int_const(ut, 1);
    let span = Tensor::select(&hi.le(&lo)?, &one, &span)?;
    let span = Tensor::select(
        &hi_out_of_range.bitand(&hi.gt(&lo)?)?,
        &span.add(&one)?,
        &span,
    )?;
    let m = int_const(ut, 1i128 << (nbits / 2)).rem(&span)?;
    let m = m.mul(&m)?.rem(&span)?;
    let off = higher.rem(&span)?.mul(&m)?.add(&lower.rem(&span)?)?;
    let off = off.rem(&span)?;
    let out = lo.add(&off.convert(dtype)?)?;
    out.broadcast_to(shape.to_vec())
}

fn canon_axis(op: &str, axis: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    if axis < -r || axis >= r {
        return Err(Error::invalid(
            op,
            format!("axis {axis} is out of bounds for array of dimension {rank}"),
        ));
    }
    Ok(if axis < 0 { axis + r } else { axis } as usize)
}

/// JAX's `_shuffle`: sorts `x` along `axis` by fresh random 32-bit keys, for
/// `ceil(3 ln(n) / ln(2^32 - 1))` rounds.
fn shuffle(key: &Key, x: &Tensor, axis: usize) -> Result<Tensor> {
    let n: usize = x.shape().iter().product();
    let rounds = (3.0 * (n.max(1) as f64).ln() / (u32::MAX as f64).ln()).ceil() as usize;
    let mut key = key.clone();
    let mut x = x.clone();
    for _ in 0..rounds {
        let (k, sub) = split2(&key)?;
        key = k;
        let sort_keys = random_bits(&sub, 32, x.shape(), "permutation")?;
        let s = Tensor::sort_multi(&[sort_keys, x], axis, true, |a, b| a[0].lt(&b[0]))?;
        x = s
            .into_iter()
            .nth(1)
            .ok_or_else(|| Error::invalid("permutation", "sort returned no values"))?;
    }
    Ok(x)
}

/// `jax.random.permutation(key, x, axis, independent)`: a shuffled `arange(x)` for an
/// integer `x`, or `x` shuffled along `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, PermutationOpts};
/// let p = random::permutation(&random::key(0), 5, PermutationOpts::default())?;
/// let mut v = p.eval()?.to_vec::<i32>()?;
/// v.sort();
/// assert_eq!(v, vec![0, 1, 2, 3, 4]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn permutation(key: &Key, x: impl Into<Param>, opts: PermutationOpts) -> Result<Tensor> {
    let op = "permutation";
    key.words(op)?;
    match x.into() {
        Param::Int(n) => {
            if n < 0 {
                return Err(Error::invalid(
                    op,
                    format!("x must be non-negative, got {n}"),
                ));
            }
            canon_axis(op, opts.axis, 1)?;
            let r = Tensor::iota(config::default_int_dtype(), [n as usize], 0)?;
            shuffle(key, &r, 0)
        }
        Param::Float(_) => Err(Error::dtype(
            op,
            "x must be an integer or at least 1-dimensional",
        )),
        Param::Tensor(t) => {
            t.check()?;
            if t.rank() == 0 {
                return Err(Error::dtype(
                    op,
                    "x must be an integer or at least 1-dimensional (got a traced scalar)",
                ));
            }
            let axis = canon_axis(op, opts.axis, t.rank())?;
            if opts.independent || t.rank() == 1 {
                return shuffle(key, &t, axis);
            }
            let n = t.shape()[axis];
            let ind = shuffle(key, &Tensor::iota(config::default_int_dtype(), [n], 0)?, 0)?;
            t.take(&ind, axis)
        }
    }
}

/// `jax.random.choice(key, a, shape, replace, p, axis)`: samples from `arange(a)` (an
/// integer `a`) or from the entries of the tensor `a` along `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, ChoiceOpts};
/// let k = random::key(0);
/// let x = random::choice(&k, 5, &[3], ChoiceOpts::default().replace(false))?;
/// assert_eq!(x.shape(), &[3]);
/// assert!(random::choice(&k, 3, &[5], ChoiceOpts::default().replace(false)).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn choice(key: &Key, a: impl Into<Param>, shape: &[usize], opts: ChoiceOpts) -> Result<Tensor> {
    let op = "choice";
    key.words(op)?;
    let a = a.into();
    let (arr, n_inputs, axis) = match &a {
        Param::Int(n) => (None, *n, 0usize),
        Param::Float(_) => {
            return Err(Error::dtype(op, "a must be an integer or an array"));
        }
        Param::Tensor(t) => {
            t.check()?;
            if t.rank() == 0 {
                return Err(Error::dtype(
                    op,
                    "a must be an integer or at least 1-dimensional (got a traced scalar)",
                ));
            }
            let axis = canon_axis(op, opts.axis, t.rank())?;
            (Some(t.clone()), t.shape()[axis] as i64, axis)
        }
    };
    let n_draws: usize = shape.iter().product();
    if n_draws == 0 {
        let d = arr
            .as_ref()
            .map(|t| t.dtype())
            .unwrap_or_else(config::default_int_dtype);
        return Ok(Tensor::zeros(d, shape.to_vec()));
    }
    if n_inputs <= 0 {
        return Err(Error::invalid(
            op,
            "a must be greater than 0 unless no samples are taken",
        ));
    }
    if !opts.replace && n_draws as i64 > n_inputs {
        return Err(Error::invalid(
            op,
            format!(
                "Cannot take a larger sample (size {n_draws}) than population (size \
                 {n_inputs}) when 'replace=False'"
            ),
        ));
    }
    let n = n_inputs as usize;
    let int = config::default_int_dtype();
    let result = match &opts.p {
        None => {
            if opts.replace {
                let ind = randint(key, shape, 0, n_inputs, None)?;
                match &arr {
                    None => ind,
                    Some(t) => t.take(&ind, axis)?,
                }
            } else {
                let popts = PermutationOpts {
                    axis: axis as isize,
                    independent: false,
                };
                let perm = match &arr {
                    None => permutation(key, n_inputs, popts)?,
                    Some(t) => permutation(key, t, popts)?,
                };
                perm.slice_axis(axis, 0, n_draws)?
            }
        }
        Some(p) => {
            p.check()?;
            let p = if p.dtype().is_float() {
                p.clone()
            } else {
                p.convert(config::default_float_dtype())?
            };
            if p.shape() != [n] {
                return Err(Error::shape(
                    op,
                    format!(
                        "p must be None or a 1D vector with the same size as a.shape[axis]. \
                         p has shape {:?} and a.shape[axis] is {n}.",
                        p.shape()
                    ),
                ));
            }
            let ind = if opts.replace {
                let d = p.dtype();
                let cum = cumsum(&p, 0)?;
                let last = cum
                    .slice(&[n - 1], &[n], &[1])?
                    .reshape(Vec::<usize>::new())?;
                let u = uniform_f(key, shape, d, 0.0, 1.0, op)?;
                let r = last.mul(&k(d, 1.0).sub(&u)?)?;
                searchsorted(&cum, &r, DType::I32)?.convert(int)?
            } else {
                let g = gumbel_t(key, &[n], p.dtype(), opts.mode.unwrap_or_default(), op)?
                    .add(&p.log()?)?;
                top_k(&g, n_draws)?.1.convert(int)?
            };
            match &arr {
                None => ind,
                Some(t) => t.take(&ind, axis)?,
            }
        }
    };
    let out_shape = match &arr {
        None => shape.to_vec(),
        Some(t) => {
            let mut s = t.shape()[..axis].to_vec();
            s.extend_from_slice(shape);
            s.extend_from_slice(&t.shape()[axis + 1..]);
            s
        }
    };
    result.reshape(out_shape)
}

fn gumbel_t(key: &Key, shape: &[usize], dtype: DType, mode: Mode, op: &str) -> Result<Tensor> {
    let fi = finfo(dtype);
    match mode {
        Mode::Highest if dtype == DType::F32 => gumbel_highest_f32(key, shape, op),
        Mode::Low => uniform_f(key, shape, dtype, fi.tiny, 1.0, op)?
            .log()?
            .neg()?
            .log()?
            .neg(),
        Mode::High | Mode::Highest => {
            let mut s2 = vec![2];
            s2.extend_from_slice(shape);
            let u = uniform_f(key, &s2, dtype, 0.0, 1.0, op)?;
            let (high, low) = unstack2(&u)?;
            let x = high
                .add(&param_to(&Param::Float(fi.eps), dtype)?.mul(&low)?)?
                .add(&k(dtype, fi.tiny))?;
            let x = Tensor::select(&high.ge(&k(dtype, 0.5))?, &high, &x)?;
            log1p(&x.neg()?)?.neg()?.log()?.neg()
        }
    }
}

/// JAX's `_safe_int_to_float`: a pair of u32 words `(hi, lo)` read as a 64-bit fixed-point
/// fraction in (0, 1), rounded down to f32 through a leading-zero count.
fn safe_int_to_float(hi: &Tensor, lo: &Tensor) -> Result<Tensor> {
    let u = |v: u32| Tensor::scalar(v);
    let hiclz = hi.clz()?;
    let loclz = lo.clz()?;
    let hi_is_zero = hiclz.eq(&u(32))?;
    let mantissa = hi.shift_left(&hiclz)?.bitor(&Tensor::select(
        &hi_is_zero,
        &lo.shift_left(&loclz)?,
        &lo.shift_right_logical(&u(32).sub(&hiclz)?)?,
    )?)?;
    let mantissa = mantissa
        .shift_right_logical(&u(32 - 23 - 1))?
        .bitand(&u((1 << 23) - 1))?;
    let lead = Tensor::select(&hi_is_zero, &u(32).add(&loclz)?, &hiclz)?;
    let exp = u(126)
        .sub(&lead)?
        .shift_left(&u(23))?
        .bitand(&u((1 << 30) - (1 << 22)))?;
    exp.bitor(&mantissa)?.bitcast(DType::F32)
}

/// Gumbel `mode="highest"` for f32: 64 random bits per sample as a fixed-point fraction,
/// `log1p` below one half and `log` above.
fn gumbel_highest_f32(key: &Key, shape: &[usize], op: &str) -> Result<Tensor> {
    let mut s2 = vec![2];
    s2.extend_from_slice(shape);
    let bits = random_bits(key, 32, &s2, op)?;
    let (b_hi, b_lo) = unstack2(&bits)?;
    let (n_hi, n_lo) = unstack2(&bits.not()?)?;
    // 1 - bits in 64-bit fixed point: the low word gains one, carrying into the high one.
    let carry = n_lo.eq(&Tensor::scalar(u32::MAX))?.convert(DType::U32)?;
    let n_hi = n_hi.add(&carry)?;
    let n_lo = n_lo.add(&Tensor::scalar(1u32))?;
    let flip = b_hi.lt(&Tensor::scalar(1u32 << 31))?;
    let x = safe_int_to_float(
        &Tensor::select(&flip, &b_hi, &n_hi)?,
        &Tensor::select(&flip, &b_lo, &n_lo)?,
    )?;
    let small = log1p(&x.neg()?)?.neg()?.log()?.neg()?;
    let large = x.log()?.neg()?.log()?.neg()?;
    Tensor::select(&flip, &small, &large)
}

/// `jax.random.gumbel(key, shape, dtype, mode)`: standard Gumbel floats,
/// `-log(-log(u))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, GumbelOpts, Mode};
/// let g = random::gumbel(&random::key(0), &[3], GumbelOpts::default().mode(Mode::High))?;
/// assert_eq!(g.shape(), &[3]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn gumbel(key: &Key, shape: &[usize], opts: GumbelOpts) -> Result<Tensor> {
    let dtype = float_dtype("gumbel", opts.dtype)?;
    gumbel_t(key, shape, dtype, opts.mode.unwrap_or_default(), "gumbel")
}

/// `jax.random.categorical(key, logits, axis, shape, replace, mode)`: indices drawn from
/// `softmax(logits, axis)` by the Gumbel-max trick (top-k without replacement).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, CategoricalOpts};
/// let logits = Tensor::from_vec(vec![0.0f32, 0.0, 5.0, 0.0, 0.0, 0.0], [2, 3])?;
/// let i = random::categorical(&random::key(0), &logits, CategoricalOpts::default())?;
/// assert_eq!(i.shape(), &[2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn categorical(key: &Key, logits: &Tensor, opts: CategoricalOpts) -> Result<Tensor> {
    let op = "categorical";
    key.words(op)?;
    logits.check()?;
    if !logits.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!("logits must be floats, got {}", logits.dtype()),
        ));
    }
    let nd = logits.rank();
    let axis = canon_axis(op, opts.axis, nd)?;
    let mut batch_shape = logits.shape().to_vec();
    let ncat = batch_shape.remove(axis);
    let shape = match &opts.shape {
        None => batch_shape.clone(),
        Some(s) => {
            check_shape(op, s, &[batch_shape.clone()])?;
            s.clone()
        }
    };
    let np = shape.len() - batch_shape.len();
    let prefix = shape[..np].to_vec();
    let mode = opts.mode.unwrap_or_default();
    let int = config::default_int_dtype();
    if opts.replace {
        let mut lshape = shape[np..].to_vec();
        lshape.insert(axis, ncat);
        let mut gshape = prefix.clone();
        gshape.extend_from_slice(&lshape);
        let g = gumbel_t(key, &gshape, logits.dtype(), mode, op)?;
        let ex_dims: Vec<usize> = (np..np + nd).collect();
        let mut lb_shape = vec![1; np];
        lb_shape.extend_from_slice(logits.shape());
        let lb = logits.broadcast_in_dim(lb_shape, &ex_dims)?;
        argmax(&g.add(&lb)?, np + axis, int)
    } else {
        let g = gumbel_t(key, logits.shape(), logits.dtype(), mode, op)?;
        let l = logits.add(&g)?;
        let kk: usize = prefix.iter().product();
        if kk > ncat {
            return Err(Error::invalid(
                op,
                format!(
                    "Number of samples without replacement ({kk}) cannot exceed number of \
                     categories ({ncat})."
                ),
            ));
        }
        // moveaxis(l, axis, -1)
        let mut perm: Vec<usize> = (0..nd).filter(|&d| d != axis).collect();
        perm.push(axis);
        let moved = l.transpose(&perm)?;
        let (_, idx) = top_k(&moved, kk)?;
        // indices: batch_shape + (k,) -> (k,) + batch_shape -> shape
        let r = idx.rank();
        let mut tperm = vec![r - 1];
        tperm.extend(0..r - 1);
        idx.transpose(&tperm)?.reshape(shape)
    }
}

fn simple_float(op: &str, dtype: Option<DType>) -> Result<DType> {
    float_dtype(op, dtype)
}

/// `jax.random.exponential(key, shape, dtype)`: `-log1p(-u)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let x = random::exponential(&random::key(0), &[4], None)?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| *v >= 0.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn exponential(key: &Key, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
    let op = "exponential";
    let d = simple_float(op, dtype)?;
    exponential_t(key, shape, d, op)
}

fn exponential_t(key: &Key, shape: &[usize], d: DType, op: &str) -> Result<Tensor> {
    log1p(&uniform_f(key, shape, d, 0.0, 1.0, op)?.neg()?)?.neg()
}

/// `exponential` of dtype `d` (f32, f64 or bf16) as computed inside a YNNPACK fusion
/// (`ball` from 4,096 results on): YNNPACK's `log1p`, and for bf16 its f32 result left
/// unrounded (YNNPACK's excess precision; see `ynn`).
pub(crate) fn exponential_ynn(key: &Key, shape: &[usize], d: DType) -> Result<Tensor> {
    let u = uniform_f(key, shape, d, 0.0, 1.0, "exponential")?;
    let u = if d == DType::BF16 {
        to_f32_exact(&u)?
    } else {
        u
    };
    ynn::log1p(&u.neg()?)?.neg()
}

/// `jax.random.laplace(key, shape, dtype)`: `sign(u) * log1p(-|u|)` with `u` uniform in
/// `(-1, 1)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// assert_eq!(random::laplace(&random::key(0), &[2], None)?.shape(), &[2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn laplace(key: &Key, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
    let op = "laplace";
    let d = simple_float(op, dtype)?;
    let u = uniform_f(key, shape, d, -1.0 + finfo(d).epsneg, 1.0, op)?;
    u.sign()?.mul(&log1p(&u.abs()?.neg()?)?)
}

/// `jax.random.logistic(key, shape, dtype)`: `log(u) - log1p(-u)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// assert_eq!(random::logistic(&random::key(0), &[2], None)?.shape(), &[2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn logistic(key: &Key, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
    let op = "logistic";
    let d = simple_float(op, dtype)?;
    let x = uniform_f(key, shape, d, finfo(d).tiny, 1.0, op)?;
    x.log()?.sub(&log1p(&x.neg()?)?)
}

/// `jax.random.cauchy(key, shape, dtype)`: `tan(pi * (u - 0.5))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// assert_eq!(random::cauchy(&random::key(0), &[2], None)?.shape(), &[2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn cauchy(key: &Key, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
    let op = "cauchy";
    let d = simple_float(op, dtype)?;
    let u = uniform_f(key, shape, d, finfo(d).eps, 1.0, op)?;
    k(d, std::f64::consts::PI).mul(&u.sub(&k(d, 0.5))?)?.tan()
}

/// `jax.random.rademacher(key, shape, dtype)`: -1 or 1 with equal probability, as `dtype`
/// (default i32, or i64 with x64; floats allowed).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let r = random::rademacher(&random::key(0), &[6], None)?;
/// assert!(r.eval()?.to_vec::<i32>()?.iter().all(|v| *v == 1 || *v == -1));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn rademacher(key: &Key, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
    let d = dtype.unwrap_or_else(config::default_int_dtype);
    if d.is_bool() {
        return Err(Error::dtype(
            "rademacher",
            "dtype must be numeric, got bool",
        ));
    }
    let b = bernoulli(key, 0.5, BernoulliOpts::default().shape(shape))?.convert(d)?;
    b.mul(&k(d, 2.0))?.sub(&k(d, 1.0))
}

/// `jax.random.maxwell(key, shape, dtype)`: the norm of three standard normals.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// assert_eq!(random::maxwell(&random::key(0), &[2], None)?.shape(), &[2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn maxwell(key: &Key, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
    let op = "maxwell";
    let d = simple_float(op, dtype)?;
    maxwell_t(key, shape, d, op)
}

fn maxwell_t(key: &Key, shape: &[usize], d: DType, op: &str) -> Result<Tensor> {
    let m = maxwell_core(key, shape, d, op)?;
    m.convert(d)
}

/// `jnp.linalg.norm(normal(key, shape + (3,)), axis=-1)`, in the dtype its consumers see:
/// `d`, or f32 for a bf16 result that jaxlib computes inside a YNNPACK fusion
/// ([`ynn`]), where it is rounded to bf16 only at the fusion's end.
fn maxwell_core(key: &Key, shape: &[usize], d: DType, op: &str) -> Result<Tensor> {
    let mut s3 = shape.to_vec();
    s3.push(3);
    let n: usize = shape.iter().product();
    if !ynn::prefers(3 * n) {
        // jaxlib's XLA emits the reduction (two fused multiply-adds); the plugin's
        // matches it. jnp.sum accumulates f16/bf16 in f32.
        let x = normal_in(key, &s3, d, op, Log1pForm::Op)?;
        let sq = x.mul(&x)?;
        return if matches!(d, DType::F16 | DType::BF16) {
            sq.convert(DType::F32)?
                .sum(&[shape.len()])?
                .convert(d)?
                .sqrt()
        } else {
            sq.sum(&[shape.len()])?.sqrt()
        };
    }
    // From 4,096 draws on, jaxlib's reduce is YNNPACK's, and with it the squares and (f32,
    // f64, bf16) the normal's last multiply; with as many results, the sqrt too.
    let sq = match d {
        DType::F16 => {
            let x = normal_in(key, &s3, d, op, Log1pForm::Op)?;
            x.mul(&x)?.convert(DType::F32)?
        }
        DType::BF16 => {
            let u = normal_uniform(key, &s3, d, op)?;
            let z = erf_inv_in(&u.convert(DType::F32)?, Log1pForm::Op)?;
            let sqrt2 = k(d, std::f64::consts::SQRT_2).convert(DType::F32)?;
            let x = rounded(&z.mul(&sqrt2)?)?;
            x.mul(&x)?
        }
        _ => {
            let x = rounded(&normal_in(key, &s3, d, op, Log1pForm::Op)?)?;
            x.mul(&x)?
        }
    };
    let sum = ynn::sum_last(&sq)?;
    match d {
        DType::F16 => sum.convert(d)?.sqrt(),
        DType::BF16 if ynn::prefers(n) => sum.sqrt(),
        DType::BF16 => sum.convert(d)?.convert(DType::F32)?.sqrt(),
        _ => sum.sqrt(),
    }
}

/// Elementwise `a op b` with JAX's promotion of a weakly typed number: the number takes
/// the tensor's dtype, two tensors promote.
fn weak_operand(p: &Param, other: DType, key: &Key, op: &str) -> Result<(Tensor, DType)> {
    match p {
        Param::Tensor(t) => {
            t.check()?;
            let d = promote_float(other, t.dtype());
            Ok((t.convert(d)?, d))
        }
        _ => Ok((param_rt(p, other, key, op)?, other)),
    }
}

/// `jax.random.double_sided_maxwell(key, loc, scale, shape, dtype)`: a Maxwell variate
/// with a random sign, scaled and shifted. The result has shape `shape + broadcast(loc,
/// scale)` (and `broadcast(loc, scale)` for an empty `shape`), as in JAX.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let x = random::double_sided_maxwell(&random::key(0), 0.0, 1.0, &[3], None)?;
/// assert_eq!(x.shape(), &[3]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn double_sided_maxwell(
    key: &Key,
    loc: impl Into<Param>,
    scale: impl Into<Param>,
    shape: &[usize],
    dtype: Option<DType>,
) -> Result<Tensor> {
    let op = "double_sided_maxwell";
    let d = simple_float(op, dtype)?;
    let (loc, scale) = (loc.into(), scale.into());
    let ps = bshape(op, &loc.shape(), &scale.shape())?;
    let mut s = if shape.is_empty() {
        ps.clone()
    } else {
        shape.to_vec()
    };
    s.extend_from_slice(&ps);
    let (mk, rk) = split2(key)?;
    let m = maxwell_core(&mk, &s, d, op)?;
    let sign = rademacher(&rk, &s, Some(d))?;
    let (sc, d2) = weak_operand(&scale, d, key, op)?;
    let (lc, d3) = weak_operand(&loc, d2, key, op)?;
    let n: usize = s.iter().product();
    if ynn::prefers(n) && d != DType::F16 && d2 == d && d3 == d {
        // jaxlib's YNNPACK fusion of maxwell's sum also takes these ops: each rounded on
        // its own (no multiply-add), and bf16 computed in f32 and rounded once at the end.
        let c = m.dtype();
        let x = rounded(&sign.convert(c)?.mul(&m)?)?;
        let x = rounded(&x.mul(&sc.convert(c)?)?)?;
        return x.add(&lc.convert(c)?)?.convert(d);
    }
    let x = sign.mul(&m.convert(d)?)?;
    let x = x.convert(d2)?.mul(&sc)?;
    x.convert(d3)?.add(&lc)
}

/// `jax.random.weibull_min(key, scale, concentration, shape, dtype)`:
/// `(-log1p(-u)) ^ (1 / concentration) * scale`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let x = random::weibull_min(&random::key(0), 1.0, 2.0, &[3], None)?;
/// assert_eq!(x.shape(), &[3]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn weibull_min(
    key: &Key,
    scale: impl Into<Param>,
    concentration: impl Into<Param>,
    shape: &[usize],
    dtype: Option<DType>,
) -> Result<Tensor> {
    let op = "weibull_min";
    let d = simple_float(op, dtype)?;
    let (scale, conc) = (scale.into(), concentration.into());
    let lo = param_rt(&Param::Int(0), d, key, op)?;
    let hi = param_rt(&Param::Int(1), d, key, op)?;
    let u = uniform_t(key, shape, d, &lo, &hi, op)?;
    let base = log1p(&u.neg()?)?.neg()?;
    // 1.0 / concentration, computed in the parameter's own dtype: a number is JAX's weakly
    // typed scalar (it takes the samples' dtype afterwards), a tensor promotes.
    let (inv, weak) = match &conc {
        Param::Tensor(t) => {
            t.check()?;
            let td = if t.dtype().is_float() {
                t.dtype()
            } else {
                config::default_float_dtype()
            };
            (k(td, 1.0).div(&t.convert(td)?)?, false)
        }
        Param::Float(_) | Param::Int(_) => {
            let w = if config::enable_x64() || d == DType::F64 {
                DType::F64
            } else {
                DType::F32
            };
            let v = Tensor::scalar_like(w, conc.as_f64().unwrap_or(1.0));
            // f64 samples keep a run-time exponent: the C library's `pow`, which is
            // jaxlib's in both layouts (a constant 0.5 would be the plugin's square root
            // in some programs and not in jaxlib's; measured on the golden cases).
            let v = if d == DType::F64 {
                opaque(&v, &key.words(op)?.0)?
            } else {
                v
            };
            (k(w, 1.0).div(&v)?, true)
        }
    };
    // A number `concentration` is otherwise a constant of the jitted program (JAX's inner
    // `jit` is inlined): XLA rewrites `x ** 2`, `x ** 3`, ..., and LLVM makes a vectorised
    // `x ** 0.5` a square root (`pow_const`).
    let value = match &conc {
        Param::Float(_) | Param::Int(_) => conc.as_f64().map(|v| 1.0 / v as f32),
        Param::Tensor(_) => None,
    };
    let d2 = if weak {
        d
    } else {
        promote_float(d, inv.dtype())
    };
    let e = inv.convert(d2)?;
    let x = crate::special::pow_const(&base.convert(d2)?, &e, value)?;
    let (sc, d3) = weak_operand(&scale, d2, key, op)?;
    x.convert(d3)?.mul(&sc)
}

/// `jax.random.pareto(key, b, shape, dtype)`: `exp(e / b)` with `e` exponential.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::pareto(&random::key(0), 2.0, SampleOpts::default().shape(&[3]))?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| *v >= 1.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn pareto(key: &Key, b: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    let op = "pareto";
    let b = b.into();
    let d = simple_float(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[b.shape()])?;
    check_safe_cast(op, d, &[&b])?;
    let bt = param_rt(&b, d, key, op)?;
    let e = exponential_t(key, &shape, d, op)?;
    div_bcast(&e, &bt)?.exp()
}

/// `jax.random.rayleigh(key, scale, shape, dtype)`: `scale * sqrt(-2 log(u))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::rayleigh(&random::key(0), 1.0, SampleOpts::default().shape(&[3]))?;
/// assert_eq!(x.shape(), &[3]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn rayleigh(key: &Key, scale: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    let op = "rayleigh";
    let scale = scale.into();
    let d = simple_float(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[scale.shape()])?;
    check_safe_cast(op, d, &[&scale])?;
    let u = uniform_f(key, &shape, d, 0.0, 1.0, op)?;
    let s = param_rt(&scale, d, key, op)?.broadcast_to(shape.clone())?;
    let t = u.log()?.mul(&k(d, -2.0))?.sqrt()?;
    s.mul(&t)
}

/// `jax.random.wald(key, mean, shape, dtype)`: inverse Gaussian variates (Michael,
/// Schucany and Haas), from one normal and one uniform draw.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::wald(&random::key(0), 1.0, SampleOpts::default().shape(&[3]))?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| *v > 0.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn wald(key: &Key, mean: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    let op = "wald";
    let mean = mean.into();
    let d = simple_float(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[mean.shape()])?;
    check_safe_cast(op, d, &[&mean])?;
    let (k1, k2) = split2(key)?;
    let m = param_rt(&mean, d, key, op)?.broadcast_to(shape.clone())?;
    let v = normal_t(&k1, &shape, d, op)?;
    let z = uniform_f(&k2, &shape, d, 0.0, 1.0, op)?;
    let y = v.mul(&v)?;
    let y_sq = y.mul(&y)?;
    let m_sq = m.mul(&m)?;
    let x = if matches!(d, DType::F32 | DType::F64) && shape.iter().product::<usize>() >= 2 {
        // In a loop over two or more elements jaxlib's LLVM contracts `4 m y + m² y²` as
        // `fma(y, 4 m, m² y²)` and `m + m² y / 2 - m / 2 * sqrt_term` as
        // `fma(-m / 2, sqrt_term, fma(1 / 2, m² y, m))`, for a number `mean` (whose
        // products XLA folds) and an array alike; the plugin's contracts other products,
        // so the multiply-adds are spelled out. A single element is straight-line code,
        // which both compilers contract alike (checked: 200 keys, and 40 keys for each
        // size from 2 to 9, every value equal; the other form differs in 10-15%).
        let m_sq = rounded(&m_sq)?;
        let four_m = rounded(&m.mul(&k(d, 4.0))?)?;
        let sqrt_term = fma(&y, &four_m, &rounded(&m_sq.mul(&y_sq)?)?)?.sqrt()?;
        let half = k(d, 0.5).broadcast_to(shape.clone())?;
        let b = fma(&half, &rounded(&m_sq.mul(&y)?)?, &m)?;
        fma(&m.mul(&k(d, -0.5))?, &sqrt_term, &b)?
    } else {
        let sqrt_term = k(d, 4.0).mul(&m)?.mul(&y)?.add(&m_sq.mul(&y_sq)?)?.sqrt()?;
        m.add(&m_sq.mul(&y)?.div(&k(d, 2.0))?)?
            .sub(&m.div(&k(d, 2.0))?.mul(&sqrt_term)?)?
    };
    let pick = z.le(&m.div(&m.add(&x)?)?)?;
    Tensor::select(&pick, &x, &m_sq.div(&x)?)
}

/// `jax.random.geometric(key, p, shape, dtype)`: the number of Bernoulli(`p`) trials up to
/// the first success, as an integer dtype (default i32, or i64 with x64).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::geometric(&random::key(0), 0.5, SampleOpts::default().shape(&[4]))?;
/// assert!(x.eval()?.to_vec::<i32>()?.iter().all(|v| *v >= 1));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn geometric(key: &Key, p: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    let op = "geometric";
    let p = p.into();
    let d = int_dtype(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[p.shape()])?;
    let pd = if p.dtype().is_float() {
        p.dtype()
    } else {
        config::default_float_dtype()
    };
    let pt = param_rt(&p, pd, key, op)?;
    let u = uniform_f(key, &shape, pd, 0.0, 1.0, op)?;
    let u = Tensor::select(&u.eq(&k(pd, 0.0))?, &k(pd, 1.0), &u)?;
    let log_u = u.log()?;
    let l1p = log1p(&pt.neg()?)?;
    let g = div_bcast(&log_u, &l1p)?.floor()?.add(&k(pd, 1.0))?;
    g.convert(d)
}

/// `jax.random.triangular(key, left, mode, right, shape, dtype)`: triangular variates by
/// inverting the CDF.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::triangular(&random::key(0), 0.0, 0.3, 1.0,
///     SampleOpts::default().shape(&[3]))?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| (0.0..=1.0).contains(v)));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn triangular(
    key: &Key,
    left: impl Into<Param>,
    mode: impl Into<Param>,
    right: impl Into<Param>,
    opts: SampleOpts,
) -> Result<Tensor> {
    let op = "triangular";
    let (left, mode, right) = (left.into(), mode.into(), right.into());
    let d = simple_float(op, opts.dtype)?;
    let shape = resolve_shape(
        op,
        opts.shape.as_deref(),
        &[left.shape(), mode.shape(), right.shape()],
    )?;
    check_safe_cast(op, d, &[&left, &mode, &right])?;
    let l = param_rt(&left, d, key, op)?.broadcast_to(shape.clone())?;
    let r = param_rt(&right, d, key, op)?.broadcast_to(shape.clone())?;
    let m = param_rt(&mode, d, key, op)?.broadcast_to(shape.clone())?;
    let fc = m.sub(&l)?.div(&r.sub(&l)?)?;
    let u = uniform_f(key, &shape, d, 0.0, 1.0, op)?;
    let out1 = l.add(&u.mul(&r.sub(&l)?)?.mul(&m.sub(&l)?)?.sqrt()?)?;
    let out2 = r.sub(
        &k(d, 1.0)
            .sub(&u)?
            .mul(&r.sub(&l)?)?
            .mul(&r.sub(&m)?)?
            .sqrt()?,
    )?;
    Tensor::select(&u.lt(&fc)?, &out1, &out2)
}

/// `jax.random.lognormal(key, sigma, shape, dtype)`: `exp(sigma * normal)`. JAX's default
/// `sigma` is 1.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::{self as random, SampleOpts};
/// let x = random::lognormal(&random::key(0), 1.0, SampleOpts::default().shape(&[3]))?;
/// assert!(x.eval()?.to_vec::<f32>()?.iter().all(|v| *v > 0.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn lognormal(key: &Key, sigma: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
    let op = "lognormal";
    let sigma = sigma.into();
    let d = simple_float(op, opts.dtype)?;
    let shape = resolve_shape(op, opts.shape.as_deref(), &[sigma.shape()])?;
    check_safe_cast(op, d, &[&sigma])?;
    let s = param_rt(&sigma, d, key, op)?;
    normal_in(key, &shape, d, op, Log1pForm::Op)?.mul(&s)?.exp()
}
