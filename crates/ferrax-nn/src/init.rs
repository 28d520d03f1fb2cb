//! Initialisers (`flax.nnx.initializers`, i.e. `jax.nn.initializers`): functions
//! `(key, shape, dtype) -> Tensor`, emitting the same ops in the same order as JAX, so the
//! XLA plugin produces the same bits.

use ferrax_ir::{DType, Error, Result, Tensor};
use ferrax_random::{self as random, Key, SampleOpts, UniformOpts};
use std::sync::Arc;

/// An initialiser: `init(key, shape, dtype)`.
pub type Initializer = Arc<dyn Fn(&Key, &[usize], DType) -> Result<Tensor> + Send + Sync>;

fn float(op: &str, d: DType) -> Result<()> {
    if d.is_float() {
        Ok(())
    } else {
        Err(Error::dtype(op, format!("needs a float dtype, got {d}")))
    }
}

/// Zeros (`nnx.initializers.zeros` / `zeros_init()`); the key is ignored.
pub fn zeros() -> Initializer {
    Arc::new(|_, shape, d| Ok(Tensor::zeros(d, shape.to_vec())))
}

/// Ones (`ones` / `ones_init()`).
pub fn ones() -> Initializer {
    Arc::new(|_, shape, d| Ok(Tensor::ones(d, shape.to_vec())))
}

/// A constant (`constant(value)`).
pub fn constant(value: f64) -> Initializer {
    Arc::new(move |_, shape, d| Ok(Tensor::full(d, shape.to_vec(), value)))
}

/// `normal(stddev)`: `normal(key, shape, dtype) * stddev`.
pub fn normal(stddev: f64) -> Initializer {
    Arc::new(move |k, shape, d| {
        float("normal", d)?;
        random::normal(k, shape, Some(d))?.mul(&Tensor::scalar_like(d, stddev))
    })
}

/// `uniform(scale)`: `uniform(key, shape, dtype) * scale` (values in `[0, scale)`).
pub fn uniform(scale: f64) -> Initializer {
    Arc::new(move |k, shape, d| {
        float("uniform", d)?;
        random::uniform(k, shape, UniformOpts::default().dtype(d))?
            .mul(&Tensor::scalar_like(d, scale))
    })
}

/// `truncated_normal(stddev, lower, upper)`: `truncated_normal(key, lower, upper) * stddev`.
pub fn truncated_normal(stddev: f64, lower: f64, upper: f64) -> Initializer {
    Arc::new(move |k, shape, d| {
        float("truncated_normal", d)?;
        random::truncated_normal(k, lower, upper, SampleOpts::default().shape(shape).dtype(d))?
            .mul(&Tensor::scalar_like(d, stddev))
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

fn norm_axes(op: &str, axes: &[isize], rank: usize) -> Result<Vec<usize>> {
    axes.iter()
        .map(|&a| {
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
        })
        .collect()
}

/// `(fan_in, fan_out)` of a shape, as JAX's `_compute_fans`.
pub fn compute_fans(shape: &[usize], axes: &FanAxes) -> Result<(f64, f64)> {
    let op = "variance_scaling";
    if shape.is_empty() {
        return Err(Error::shape(op, "cannot compute fans of a scalar shape"));
    }
    let ins = norm_axes(op, &axes.in_axis, shape.len())?;
    let outs = norm_axes(op, &axes.out_axis, shape.len())?;
    let batch = norm_axes(op, &axes.batch_axis, shape.len())?;
    let prod = |ax: &[usize]| ax.iter().map(|&a| shape[a] as f64).product::<f64>();
    let total: f64 = shape.iter().map(|&d| d as f64).product();
    let receptive = total / (prod(&ins) * prod(&outs) * prod(&batch));
    Ok((prod(&ins) * receptive, prod(&outs) * receptive))
}

/// `variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init::{self, Distribution, FanAxes, FanMode};
/// use ferrax::random;
/// let init = init::variance_scaling(1.0, FanMode::FanIn, Distribution::TruncatedNormal, FanAxes::default());
/// let w = init(&random::key(0), &[3, 2], DType::F32)?;
/// assert_eq!(w.shape(), &[3, 2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn variance_scaling(
    scale: f64,
    mode: FanMode,
    dist: Distribution,
    axes: FanAxes,
) -> Initializer {
    Arc::new(move |k, shape, d| {
        let op = "variance_scaling";
        float(op, d)?;
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
                let stddev = variance
                    .sqrt()?
                    .div(&Tensor::scalar_like(d, 0.879_625_661_034_239_8))?;
                random::truncated_normal(k, -2.0, 2.0, SampleOpts::default().shape(shape).dtype(d))?
                    .mul(&stddev)
            }
            Distribution::Normal => random::normal(k, shape, Some(d))?.mul(&variance.sqrt()?),
            Distribution::Uniform => {
                let limit = variance.mul(&Tensor::scalar_like(d, 3.0))?.sqrt()?;
                random::uniform(k, shape, UniformOpts::default().dtype(d).minval(-1.0))?.mul(&limit)
            }
        }
    })
}

macro_rules! vs_family {
    ($($(#[$doc:meta])* $name:ident => ($scale:expr, $mode:expr, $dist:expr);)*) => {$(
        $(#[$doc])*
        pub fn $name() -> Initializer {
            variance_scaling($scale, $mode, $dist, FanAxes::default())
        }
    )*};
}

vs_family! {
    /// `lecun_normal()`: variance scaling 1, fan_in, truncated normal (Linear's default).
    lecun_normal => (1.0, FanMode::FanIn, Distribution::TruncatedNormal);
    /// `lecun_uniform()`.
    lecun_uniform => (1.0, FanMode::FanIn, Distribution::Uniform);
    /// `glorot_normal()` / `xavier_normal()`.
    glorot_normal => (1.0, FanMode::FanAvg, Distribution::TruncatedNormal);
    /// `glorot_uniform()` / `xavier_uniform()`.
    glorot_uniform => (1.0, FanMode::FanAvg, Distribution::Uniform);
    /// `he_normal()` / `kaiming_normal()`.
    he_normal => (2.0, FanMode::FanIn, Distribution::TruncatedNormal);
    /// `he_uniform()` / `kaiming_uniform()`.
    he_uniform => (2.0, FanMode::FanIn, Distribution::Uniform);
}

/// Alias of [`glorot_normal`].
pub fn xavier_normal() -> Initializer {
    glorot_normal()
}
/// Alias of [`glorot_uniform`].
pub fn xavier_uniform() -> Initializer {
    glorot_uniform()
}
/// Alias of [`he_normal`].
pub fn kaiming_normal() -> Initializer {
    he_normal()
}
/// Alias of [`he_uniform`].
pub fn kaiming_uniform() -> Initializer {
    he_uniform()
}
