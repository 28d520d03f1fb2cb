//! Layers: `Linear`, `Dropout`, and the activations.

use crate::init::{self, Initializer};
use crate::{AnyVariable, Module, Param, PathPart, RngStream, Rngs, VarPath};
use ferrax_ir::{DType, DotDims, Error, Result, Tensor};
use ferrax_random::{self as random, BernoulliOpts};
use std::borrow::Cow;

/// Options of [`Linear`] (`nnx.Linear`'s keyword arguments).
#[derive(Clone)]
pub struct LinearOpts {
    /// Add a bias (default true).
    pub use_bias: bool,
    /// Kernel initialiser (default `lecun_normal()`).
    pub kernel_init: Initializer,
    /// Bias initialiser (default zeros).
    pub bias_init: Initializer,
    /// Computation dtype (default: the inputs').
    pub dtype: Option<DType>,
    /// Parameter dtype (default f32).
    pub param_dtype: DType,
}

impl Default for LinearOpts {
    fn default() -> Self {
        LinearOpts {
            use_bias: true,
            kernel_init: init::lecun_normal(),
            bias_init: init::zeros(),
            dtype: None,
            param_dtype: DType::F32,
        }
    }
}

/// `nnx.Linear`: `y = x @ kernel + bias` over the last axis. Construction draws two `params`
/// keys, kernel then bias, even when the bias initialiser ignores its key.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Rngs};
/// let mut rngs = Rngs::new().with("params", 0);
/// let layer = nn::Linear::new(3, 2, &mut rngs)?;
/// let y = layer.forward(&Tensor::ones(DType::F32, [1, 3]))?;
/// assert_eq!(y.shape(), &[1, 2]);
/// assert!(layer.forward(&Tensor::ones(DType::F32, [1, 4])).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Linear {
    /// `[in_features, out_features]`.
    pub kernel: Param,
    /// `[out_features]`, if `use_bias`.
    pub bias: Option<Param>,
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// Computation dtype.
    pub dtype: Option<DType>,
}

impl Linear {
    /// A layer with the default options.
    pub fn new(in_features: usize, out_features: usize, rngs: &mut Rngs) -> Result<Linear> {
        Linear::with_opts(in_features, out_features, LinearOpts::default(), rngs)
    }

    /// A layer with options.
    pub fn with_opts(
        in_features: usize,
        out_features: usize,
        opts: LinearOpts,
        rngs: &mut Rngs,
    ) -> Result<Linear> {
        let kernel_key = rngs.params()?;
        let kernel =
            (opts.kernel_init)(&kernel_key, &[in_features, out_features], opts.param_dtype)?;
        let bias = if opts.use_bias {
            let bias_key = rngs.params()?;
            Some(Param::from_tensor((opts.bias_init)(
                &bias_key,
                &[out_features],
                opts.param_dtype,
            )?))
        } else {
            None
        };
        Ok(Linear {
            kernel: Param::from_tensor(kernel),
            bias,
            in_features,
            out_features,
            dtype: opts.dtype,
        })
    }

    /// Applies the layer to `x` (`[..., in_features]`).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let label = format!("Linear {}->{}", self.in_features, self.out_features);
        let xs = x.ty()?.shape.0.clone();
        if xs.last().copied() != Some(self.in_features) {
            return Err(Error::shape(
                label,
                format!(
                    "input has {} features, expected {}",
                    xs.last()
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "no".into()),
                    self.in_features
                ),
            ));
        }
        let mut kernel = self.kernel.value();
        let mut x = x.clone();
        let mut bias = self.bias.as_ref().map(|b| b.value());
        // promote_dtype: everything to `dtype`, or to the common (widest) dtype.
        let target = match self.dtype {
            Some(d) => d,
            None => {
                let (xd, kd) = (x.dtype(), kernel.dtype());
                if xd == kd || (xd.is_float() && xd.byte_size() >= kd.byte_size()) {
                    xd
                } else {
                    kd
                }
            }
        };
        x = x.convert(target)?;
        kernel = kernel.convert(target)?;
        if let Some(b) = bias.take() {
            bias = Some(b.convert(target)?);
        }
        let r = xs.len();
        let y = x.dot_general(
            &kernel,
            DotDims {
                lhs_contract: vec![r - 1],
                rhs_contract: vec![0],
                ..Default::default()
            },
        )?;
        match bias {
            Some(b) => {
                let mut bs = vec![1; y.rank() - 1];
                bs.push(self.out_features);
                y.add(&b.reshape(bs)?)
            }
            None => Ok(y),
        }
    }
}

impl Module for Linear {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        path.push(PathPart::Field(Cow::Borrowed("kernel")));
        self.kernel.visit(path, f);
        path.pop();
        path.push(PathPart::Field(Cow::Borrowed("bias")));
        self.bias.visit(path, f);
        path.pop();
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        path.push(PathPart::Field(Cow::Borrowed("kernel")));
        self.kernel.visit_mut(path, f);
        path.pop();
        path.push(PathPart::Field(Cow::Borrowed("bias")));
        self.bias.visit_mut(path, f);
        path.pop();
    }
}

/// `nnx.Dropout`: zeroes elements with probability `rate` and scales the rest by
/// `1 / (1 - rate)`. It forks its stream (default `dropout`) at construction, as Flax does.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Rngs};
/// let mut rngs = Rngs::new().with("dropout", 0);
/// let mut d = nn::Dropout::new(0.5, &mut rngs)?;
/// let y = d.forward(&Tensor::ones(DType::F32, [4, 4]))?;
/// assert_eq!(y.shape(), &[4, 4]);
/// assert!(nn::Dropout::new(1.5, &mut rngs).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dropout {
    /// Drop probability in `[0, 1]`.
    pub rate: f64,
    /// Dims that share one mask value.
    pub broadcast_dims: Vec<usize>,
    /// When true, `forward` is the identity.
    pub deterministic: bool,
    /// The forked stream (None when built without `rngs`).
    pub rngs: Option<RngStream>,
}

impl Dropout {
    /// Dropout at `rate`, forking the `dropout` stream of `rngs`.
    pub fn new(rate: f64, rngs: &mut Rngs) -> Result<Dropout> {
        Dropout::with_stream(rate, "dropout", rngs)
    }

    /// Dropout forking stream `name`.
    pub fn with_stream(rate: f64, name: &str, rngs: &mut Rngs) -> Result<Dropout> {
        if !(0.0..=1.0).contains(&rate) || rate.is_nan() {
            return Err(Error::invalid(
                "Dropout",
                format!("rate must be in [0, 1], got {rate}"),
            ));
        }
        Ok(Dropout {
            rate,
            broadcast_dims: Vec::new(),
            deterministic: false,
            rngs: Some(rngs.stream(name)?.fork()?),
        })
    }

    /// Applies dropout (advances the stream unless deterministic or rate 0 or 1).
    pub fn forward(&mut self, x: &Tensor) -> Result<Tensor> {
        if self.deterministic || self.rate == 0.0 {
            return Ok(x.clone());
        }
        let t = x.ty()?.clone();
        if self.rate == 1.0 {
            return Ok(Tensor::zeros(t.dtype, t.shape));
        }
        let stream = self.rngs.as_mut().ok_or_else(|| {
            Error::invalid(
                "Dropout",
                "`deterministic` is false, but no rngs were given at construction",
            )
        })?;
        let key = stream.next_key()?;
        let keep = 1.0 - self.rate;
        let mut shape = t.shape.0.clone();
        for &d in &self.broadcast_dims {
            if d >= shape.len() {
                return Err(Error::invalid(
                    "Dropout",
                    format!("broadcast dim {d} out of range"),
                ));
            }
            shape[d] = 1;
        }
        let mask = random::bernoulli(&key, keep, BernoulliOpts::default().shape(&shape))?
            .broadcast_to(t.shape.0.clone())?;
        let scaled = x.div(&Tensor::scalar_like(t.dtype, keep))?;
        Tensor::select(&mask, &scaled, &Tensor::zeros(t.dtype, t.shape.0))
    }
}

impl Module for Dropout {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        path.push(PathPart::Field(Cow::Borrowed("rngs")));
        self.rngs.visit(path, f);
        path.pop();
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        path.push(PathPart::Field(Cow::Borrowed("rngs")));
        self.rngs.visit_mut(path, f);
        path.pop();
    }
}

/// `max(x, 0)`.
pub fn relu(x: &Tensor) -> Result<Tensor> {
    x.maximum(&x.scalar_of(0.0)?)
}

/// `1 / (1 + exp(-x))`.
pub fn sigmoid(x: &Tensor) -> Result<Tensor> {
    x.logistic()
}

/// `x * sigmoid(x)`.
pub fn silu(x: &Tensor) -> Result<Tensor> {
    x.mul(&x.logistic()?)
}

/// `tanh(x)`.
pub fn tanh(x: &Tensor) -> Result<Tensor> {
    x.tanh()
}

/// Softmax over `axis` (max-subtracted, as `jax.nn.softmax`).
pub fn softmax(x: &Tensor, axis: usize) -> Result<Tensor> {
    let m = x.max(&[axis])?;
    let mut ks = x.shape().to_vec();
    ks[axis] = 1;
    let e = x.sub(&m.reshape(ks.clone())?)?.exp()?;
    e.div(&e.sum(&[axis])?.reshape(ks)?)
}

/// Log-softmax over `axis`.
pub fn log_softmax(x: &Tensor, axis: usize) -> Result<Tensor> {
    let m = x.max(&[axis])?;
    let mut ks = x.shape().to_vec();
    ks[axis] = 1;
    let s = x.sub(&m.reshape(ks.clone())?)?;
    s.sub(&s.exp()?.sum(&[axis])?.log()?.reshape(ks)?)
}

/// GELU, tanh approximation (`jax.nn.gelu(x, approximate=True)`).
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    let d = x.dtype();
    let c = Tensor::scalar_like(d, (2.0 / std::f64::consts::PI).sqrt());
    let inner = x
        .add(&x.mul(x)?.mul(x)?.mul(&Tensor::scalar_like(d, 0.044715))?)?
        .mul(&c)?;
    x.mul(&inner.tanh()?.add(&Tensor::scalar_like(d, 1.0))?)?
        .mul(&Tensor::scalar_like(d, 0.5))
}
