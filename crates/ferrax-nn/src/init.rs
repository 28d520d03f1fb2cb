//! Initialisers (`flax.nnx.initializers`, i.e. `jax.nn.initializers`): functions
//! `(key, shape, dtype) -> Tensor`, emitting the same ops in the same order as JAX, so the
//! XLA plugin produces the same bits.
//!
//! Exactness (tests/init.rs, against JAX 0.10.2 in both counter layouts, f32/f64/bf16/f16):
//! the constant and uniform-based initialisers are bit-exact; those drawn through
//! `erf_inv` (normal, truncated normal, the `*_normal` variance-scaling family) are
//! bit-exact except for a few elements of some results (at most 2%, up to 3 ulp), where
//! `ferrax_random::normal` itself differs or where XLA fuses sampler and scaling (JAX runs
//! them as two programs); `orthogonal`/`delta_orthogonal` use a Householder QR instead of
//! LAPACK and agree to rounding (2e-6 in f32).

use ferrax_ir::{DType, Error, Result, Tensor};
use ferrax_random::{self as random, Key, SampleOpts, UniformOpts};
use std::sync::Arc;

/// An initialiser: `init(key, shape, dtype)`.
pub type Initializer = Arc<dyn Fn(&Key, &[usize], DType) -> Result<Tensor> + Send + Sync>;

/// `sample * factor` as JAX computes it. JAX multiplies the sampler's result by the factor
/// in a separate (eager) computation, so XLA sees neither the factor as a constant nor the
/// product as part of the sampler. Here the initialiser is one program, and XLA's algebraic
/// simplifier would re-associate the product with the sampler's own constant factors
/// (`(sqrt(2) * erf_inv(u)) * c` becomes `(erf_inv(u) * c) * sqrt(2)`), changing the last
/// bit. So both operands pass through `min(x, |s| + inf)`, with `s` the sample's first
/// element: the identity for every `x` (NaN and infinities included), which neither
/// XLA nor ferrax's constant folding can see through (the sample comes out of the
/// threefry loop, so it is never a constant, even for a constant key).
fn scaled(sample: Tensor, factor: Tensor) -> Result<Tensor> {
    let n: usize = sample.shape().iter().product();
    if n == 0 {
        return sample.mul(&factor);
    }
    let d = factor.dtype();
    let first = sample
        .reshape([n])?
        .slice(&[0], &[1], &[1])?
        .reshape(Vec::<usize>::new())?;
    let big = first
        .convert(d)?
        .abs()?
        .add(&Tensor::scalar_like(d, f64::INFINITY))?;
    let kept = sample.minimum(&big.broadcast_to(sample.shape().to_vec())?)?;
    kept.mul(&factor.minimum(&big)?)
}

/// Zeros (`nnx.initializers.zeros`); the key is ignored. Any dtype.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init;
/// let z = init::zeros()(&ferrax::random::key(42), &[2, 3], DType::I32)?;
/// assert_eq!(z.eval()?.to_vec::<i32>()?, vec![0; 6]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn zeros() -> Initializer {
    Arc::new(|_, shape, d| Ok(Tensor::zeros(d, shape.to_vec())))
}

/// `zeros_init()`: the same as [`zeros`].
pub fn zeros_init() -> Initializer {
    zeros()
}

/// Ones (`nnx.initializers.ones`); the key is ignored. Any dtype.
pub fn ones() -> Initializer {
    Arc::new(|_, shape, d| Ok(Tensor::ones(d, shape.to_vec())))
}

/// `ones_init()`: the same as [`ones`].
pub fn ones_init() -> Initializer {
    ones()
}

/// A constant (`constant(value)`): `jnp.full(shape, value, dtype)`; the value is converted
/// to the dtype as NumPy converts a Python number (floats to integers truncate).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init;
/// let c = init::constant(-7.0)(&ferrax::random::key(42), &[2, 3], DType::F32)?;
/// assert_eq!(c.eval()?.to_vec::<f32>()?, vec![-7.0; 6]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn constant(value: f64) -> Initializer {
    Arc::new(move |_, shape, d| Ok(Tensor::full(d, shape.to_vec(), value)))
}

/// `normal(stddev)`: `normal(key, shape, dtype) * stddev` (Flax's default stddev is 0.01).
/// Float dtypes only (the error is `jax.random.normal`'s).
pub fn normal(stddev: f64) -> Initializer {
    Arc::new(move |k, shape, d| {
        scaled(
            random::normal(k, shape, Some(d))?,
            Tensor::scalar_like(d, stddev),
        )
    })
}

/// `uniform(scale)`: `uniform(key, shape, dtype) * scale` (values in `[0, scale)`; Flax's
/// default scale is 0.01).
pub fn uniform(scale: f64) -> Initializer {
    Arc::new(move |k, shape, d| {
        let sample = random::uniform(k, shape, UniformOpts::default().dtype(d))?;
        scaled(sample, Tensor::scalar_like(d, scale))
    })
}

/// `truncated_normal(stddev, lower, upper)`: `truncated_normal(key, lower, upper) * stddev`
/// (Flax's defaults: 0.01, -2, 2). No variance correction is applied.
pub fn truncated_normal(stddev: f64, lower: f64, upper: f64) -> Initializer {
    Arc::new(move |k, shape, d| {
        let opts = SampleOpts::default().shape(shape).dtype(d);
        let sample = random::truncated_normal(k, lower, upper, opts)?;
        scaled(sample, Tensor::scalar_like(d, stddev))
    })
}

/// How `variance_scaling` counts fans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// Number of inputs.
    FanIn,
    /// Number of outputs.
    FanOut,
    /// Their mean.
    FanAvg,
    /// Their geometric mean.
    FanGeoAvg,
}

/// What `variance_scaling` samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    /// Normal truncated to two standard deviations, rescaled.
    TruncatedNormal,
    /// Normal.
    Normal,
    /// Uniform on `[-limit, limit)`.
    Uniform,
}

/// Axes for fan computation (JAX defaults: `in_axis=-2`, `out_axis=-1`, no batch axes).
/// Axes not named here form the receptive field (a convolution kernel's spatial axes).
///
/// ```
/// use ferrax::nn::init::{compute_fans, FanAxes};
/// // A [in=4, out=(5, 6)] kernel: fan_in 4, fan_out 30.
/// let axes = FanAxes::default().in_axis([0]).out_axis([1, 2]);
/// assert_eq!(compute_fans(&[4, 5, 6], &axes)?, (4.0, 30.0));
/// // A conv kernel [3, 3, in=4, out=5]: the 3x3 receptive field multiplies both fans.
/// assert_eq!(compute_fans(&[3, 3, 4, 5], &FanAxes::default())?, (36.0, 45.0));
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FanAxes {
    /// Input axes (negative counts from the end).
    pub in_axis: Vec<isize>,
    /// Output axes.
    pub out_axis: Vec<isize>,
    /// Batch axes (excluded from the receptive field).
    pub batch_axis: Vec<isize>,
}

impl Default for FanAxes {
    fn default() -> Self {
        FanAxes {
            in_axis: vec![-2],
            out_axis: vec![-1],
            batch_axis: vec![],
        }
    }
}

impl FanAxes {
    /// Sets the input axes (`in_axis=`).
    pub fn in_axis(mut self, axes: impl Into<Vec<isize>>) -> Self {
        self.in_axis = axes.into();
        self
    }
    /// Sets the output axes (`out_axis=`).
    pub fn out_axis(mut self, axes: impl Into<Vec<isize>>) -> Self {
        self.out_axis = axes.into();
        self
    }
    /// Sets the batch axes (`batch_axis=`).
    pub fn batch_axis(mut self, axes: impl Into<Vec<isize>>) -> Self {
        self.batch_axis = axes.into();
        self
    }
}

fn norm_axis(op: &str, a: isize, rank: usize) -> Result<usize> {
    let r = rank as isize;
    let b = if a < 0 { a + r } else { a };
    if b < 0 || b >= r {
        Err(Error::invalid(
            op,
            format!("axis {a} is out of range for a rank-{rank} shape"),
        ))
    } else {
        Ok(b as usize)
    }
}

/// `(fan_in, fan_out)` of a shape, as JAX's `_compute_fans`: the products of the input and
/// output axes, each times the receptive field (`prod(shape) / in / out / batch`, divided
/// in that order in f64). Errors where JAX raises: a rank below 2 with the default
/// `in_axis`, an axis out of range, and a zero-sized in/out/batch extent (JAX's
/// `ZeroDivisionError`).
pub fn compute_fans(shape: &[usize], axes: &FanAxes) -> Result<(f64, f64)> {
    let op = "variance_scaling";
    if axes.in_axis == [-2] && shape.len() <= 1 {
        return Err(Error::shape(
            op,
            format!(
                "Can't compute input and output sizes of a {}-dimensional weights tensor with \
                 default in_axis. Must be at least 2D or specify in_axis explicitly.",
                shape.len()
            ),
        ));
    }
    let size = |ax: &[isize]| -> Result<u128> {
        ax.iter().try_fold(1u128, |acc, &a| {
            Ok(acc * shape[norm_axis(op, a, shape.len())?] as u128)
        })
    };
    let (in_size, out_size, batch_size) = (
        size(&axes.in_axis)?,
        size(&axes.out_axis)?,
        size(&axes.batch_axis)?,
    );
    if in_size == 0 || out_size == 0 || batch_size == 0 {
        return Err(Error::shape(
            op,
            format!("division by zero: shape {shape:?} has a zero-sized in, out or batch axis"),
        ));
    }
    let total: u128 = shape.iter().map(|&d| d as u128).product();
    let receptive = total as f64 / in_size as f64 / out_size as f64 / batch_size as f64;
    Ok((in_size as f64 * receptive, out_size as f64 * receptive))
}

/// `variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis)`: samples with
/// variance `scale / n`, `n` the fan chosen by `mode`, emitting JAX's ops in JAX's order
/// (`variance = scale / n` rounded to the dtype; truncated normal on (-2, 2) times
/// `sqrt(variance) / 0.87962566103423978`; normal times `sqrt(variance)`; uniform on
/// [-1, 1) times `sqrt(3 * variance)`), so the bits are JAX's.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init::{self, Distribution, FanAxes, FanMode};
/// use ferrax::random;
/// let init = init::variance_scaling(1.0, FanMode::FanIn, Distribution::TruncatedNormal, FanAxes::default());
/// let w = init(&random::key(0), &[3, 2], DType::F32)?;
/// assert_eq!(w.shape(), &[3, 2]);
/// // A zero-sized weight has no fans: an error, as in JAX.
/// assert!(init(&random::key(0), &[0, 2], DType::F32).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn variance_scaling(
    scale: f64,
    mode: FanMode,
    dist: Distribution,
    axes: FanAxes,
) -> Initializer {
    Arc::new(move |k, shape, d| {
        let (fan_in, fan_out) = compute_fans(shape, &axes)?;
        let denominator = match mode {
            FanMode::FanIn => fan_in,
            FanMode::FanOut => fan_out,
            FanMode::FanAvg => (fan_in + fan_out) / 2.0,
            FanMode::FanGeoAvg => (fan_in * fan_out).sqrt(),
        };
        // JAX: variance = jnp.array(scale / denominator, dtype), then sqrt/div in that dtype.
        let variance = Tensor::scalar_like(d, scale / denominator);
        match dist {
            Distribution::TruncatedNormal => {
                let sample = random::truncated_normal(
                    k,
                    -2.0,
                    2.0,
                    SampleOpts::default().shape(shape).dtype(d),
                )?;
                let stddev = variance
                    .sqrt()?
                    .div(&Tensor::scalar_like(d, 0.879_625_661_034_239_8))?;
                scaled(sample, stddev)
            }
            Distribution::Normal => scaled(random::normal(k, shape, Some(d))?, variance.sqrt()?),
            Distribution::Uniform => {
                let sample =
                    random::uniform(k, shape, UniformOpts::default().dtype(d).minval(-1.0))?;
                let limit = variance.mul(&Tensor::scalar_like(d, 3.0))?.sqrt()?;
                scaled(sample, limit)
            }
        }
    })
}

macro_rules! vs_family {
    ($($(#[$doc:meta])* $name:ident, $with:ident => ($scale:expr, $mode:expr, $dist:expr);)*) => {$(
        $(#[$doc])*
        pub fn $name() -> Initializer {
            variance_scaling($scale, $mode, $dist, FanAxes::default())
        }
        #[doc = concat!("[`", stringify!($name), "`] with explicit `in_axis`/`out_axis`/`batch_axis`.")]
        pub fn $with(axes: FanAxes) -> Initializer {
            variance_scaling($scale, $mode, $dist, axes)
        }
    )*};
}

vs_family! {
    /// `lecun_normal()`: variance scaling 1, fan_in, truncated normal (Linear's default).
    lecun_normal, lecun_normal_with => (1.0, FanMode::FanIn, Distribution::TruncatedNormal);
    /// `lecun_uniform()`: variance scaling 1, fan_in, uniform.
    lecun_uniform, lecun_uniform_with => (1.0, FanMode::FanIn, Distribution::Uniform);
    /// `glorot_normal()`: variance scaling 1, fan_avg, truncated normal.
    glorot_normal, glorot_normal_with => (1.0, FanMode::FanAvg, Distribution::TruncatedNormal);
    /// `glorot_uniform()`: variance scaling 1, fan_avg, uniform.
    glorot_uniform, glorot_uniform_with => (1.0, FanMode::FanAvg, Distribution::Uniform);
    /// `he_normal()`: variance scaling 2, fan_in, truncated normal.
    he_normal, he_normal_with => (2.0, FanMode::FanIn, Distribution::TruncatedNormal);
    /// `he_uniform()`: variance scaling 2, fan_in, uniform.
    he_uniform, he_uniform_with => (2.0, FanMode::FanIn, Distribution::Uniform);
    /// `xavier_normal()`: the same as [`glorot_normal`].
    xavier_normal, xavier_normal_with => (1.0, FanMode::FanAvg, Distribution::TruncatedNormal);
    /// `xavier_uniform()`: the same as [`glorot_uniform`].
    xavier_uniform, xavier_uniform_with => (1.0, FanMode::FanAvg, Distribution::Uniform);
    /// `kaiming_normal()`: the same as [`he_normal`].
    kaiming_normal, kaiming_normal_with => (2.0, FanMode::FanIn, Distribution::TruncatedNormal);
    /// `kaiming_uniform()`: the same as [`he_uniform`].
    kaiming_uniform, kaiming_uniform_with => (2.0, FanMode::FanIn, Distribution::Uniform);
}

/// `orthogonal(scale, column_axis)`: a weight whose slices along `column_axis` are
/// orthonormal: `n_cols = shape[column_axis]`, `n_rows` the product of the other axes, the
/// `[n_rows, n_cols]` matrix of `jax.random.orthogonal(key, n_rows, (), dtype, n_cols)`
/// reshaped and moved back into place, times `scale`. Shapes need rank 2 or more; a shape
/// with a zero-sized axis gives zeros. Float dtypes only (f32, f64, as JAX's LAPACK QR; the
/// QR here is `ferrax_ir::linalg::qr` for any float).
///
/// The normal draws are JAX's bit for bit; the QR is a Householder composition instead of
/// LAPACK, so results agree with JAX to rounding: within 2e-6 (f32) and 1e-14 (f64)
/// of JAX's entries on the golden cases (tests/init.rs).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init;
/// let w = init::orthogonal(1.0, -1)(&ferrax::random::key(0), &[4, 3], DType::F32)?;
/// let v = w.eval()?.to_vec::<f32>()?;
/// // Orthonormal columns: w^T w = I.
/// for i in 0..3 {
///     for j in 0..3 {
///         let d: f32 = (0..4).map(|r| v[r * 3 + i] * v[r * 3 + j]).sum();
///         assert!((d - if i == j { 1.0 } else { 0.0 }).abs() < 1e-5);
///     }
/// }
/// assert!(init::orthogonal(1.0, -1)(&ferrax::random::key(0), &[3], DType::F32).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn orthogonal(scale: f64, column_axis: isize) -> Initializer {
    Arc::new(move |k, shape, d| orthogonal_init(k, shape, d, scale, column_axis))
}

fn orthogonal_init(
    key: &Key,
    shape: &[usize],
    d: DType,
    scale: f64,
    column_axis: isize,
) -> Result<Tensor> {
    let op = "orthogonal";
    if shape.len() < 2 {
        return Err(Error::shape(
            op,
            "orthogonal initializer requires at least a 2D shape",
        ));
    }
    if shape.contains(&0) {
        return Ok(Tensor::zeros(d, shape.to_vec()));
    }
    let col = norm_axis(op, column_axis, shape.len())?;
    let n_cols = shape[col];
    let n_rows = shape.iter().product::<usize>() / n_cols;
    let q = random::orthogonal(key, n_rows, &[], Some(d), Some(n_cols))?;
    // Reshape to delete(shape, col) + [n_cols], then move the last axis to `col`.
    let mut rest: Vec<usize> = shape
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != col)
        .map(|(_, &s)| s)
        .collect();
    rest.push(n_cols);
    let r = rest.len();
    let q = q.reshape(rest)?;
    let mut perm: Vec<usize> = (0..r - 1).collect();
    perm.insert(col, r - 1);
    let q = if perm.iter().enumerate().all(|(i, &p)| i == p) {
        q
    } else {
        q.transpose(&perm)?
    };
    scaled(q, Tensor::scalar_like(d, scale))
}

/// `delta_orthogonal(scale, column_axis)`: a 3D, 4D or 5D convolution kernel that is zero
/// except at the spatial centre (`(k - 1) / 2` on each spatial axis), where it holds an
/// [`orthogonal`] `[in, out]` matrix (`column_axis` counts in that matrix). Needs
/// `in <= out`; the same errors as JAX otherwise. Agrees with JAX to rounding, as
/// [`orthogonal`].
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init;
/// let w = init::delta_orthogonal(1.0, -1)(&ferrax::random::key(42), &[3, 3, 3], DType::F32)?;
/// let v = w.eval()?.to_vec::<f32>()?;
/// assert!(v[..9].iter().chain(&v[18..]).all(|x| *x == 0.0)); // only the centre is set
/// let e = init::delta_orthogonal(1.0, -1)(&ferrax::random::key(0), &[3, 5, 4], DType::F32);
/// assert_eq!(e.unwrap_err().message, "`fan_in` must be less or equal than `fan_out`. ");
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn delta_orthogonal(scale: f64, column_axis: isize) -> Initializer {
    Arc::new(move |k, shape, d| {
        let op = "delta_orthogonal";
        let rank = shape.len();
        if !(3..=5).contains(&rank) {
            return Err(Error::shape(
                op,
                "Delta orthogonal initializer requires a 3D, 4D or 5D shape.",
            ));
        }
        let (fan_in, fan_out) = (shape[rank - 2], shape[rank - 1]);
        if fan_out < fan_in {
            return Err(Error::shape(
                op,
                "`fan_in` must be less or equal than `fan_out`. ",
            ));
        }
        let m = orthogonal_init(k, &shape[rank - 2..], d, scale, column_axis)?;
        if shape.contains(&0) {
            return Ok(Tensor::zeros(d, shape.to_vec()));
        }
        // Put the matrix at the centre of the spatial axes, zeros elsewhere.
        let mut one = vec![1usize; rank - 2];
        one.extend([fan_in, fan_out]);
        let low: Vec<i64> = shape
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                if i < rank - 2 {
                    ((s - 1) / 2) as i64
                } else {
                    0
                }
            })
            .collect();
        let high: Vec<i64> = shape
            .iter()
            .zip(&low)
            .enumerate()
            .map(|(i, (&s, &l))| if i < rank - 2 { s as i64 - 1 - l } else { 0 })
            .collect();
        m.reshape(one)?
            .pad(&Tensor::scalar_like(d, 0.0), &low, &high, &vec![0; rank])
    })
}
