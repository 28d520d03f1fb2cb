//! [`Param`]: a distribution parameter given as a Rust number or as a tensor, the way
//! `jax.random` takes Python scalars or arrays (`ArrayLike`).

use ferrax_ir::{DType, Error, Result, Tensor};

use crate::config;

/// A distribution parameter (`minval`, `p`, `lower`, `scale`, a `fold_in` message, ...):
/// a Rust number, like a Python scalar in JAX, or a [`Tensor`] of any shape that
/// broadcasts against the sample shape.
///
/// Numbers behave like JAX's weakly typed Python scalars: a float is first rounded to the
/// default float dtype (`f32`, or `f64` with [`config::enable_x64`]) and then converted to
/// the dtype of the samples; an integer to `i32` (`i64` with x64).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::Param;
/// let a: Param = 0.5.into();
/// let b: Param = 3.into();
/// let c: Param = Tensor::from_vec(vec![0.1f32, 0.9], [2])?.into();
/// assert_eq!(c.shape(), vec![2]);
/// assert!(a.shape().is_empty() && b.shape().is_empty());
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum Param {
    /// A float scalar (a Python `float`).
    Float(f64),
    /// An integer scalar (a Python `int`).
    Int(i64),
    /// A traced array.
    Tensor(Tensor),
}

impl From<f64> for Param {
    fn from(v: f64) -> Param {
        Param::Float(v)
    }
}
impl From<f32> for Param {
    fn from(v: f32) -> Param {
        Param::Float(v as f64)
    }
}
impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}
impl From<i32> for Param {
    fn from(v: i32) -> Param {
        Param::Int(v as i64)
    }
}
impl From<u32> for Param {
    fn from(v: u32) -> Param {
        Param::Int(v as i64)
    }
}
impl From<usize> for Param {
    fn from(v: usize) -> Param {
        Param::Int(v as i64)
    }
}
impl From<Tensor> for Param {
    fn from(t: Tensor) -> Param {
        Param::Tensor(t)
    }
}
impl From<&Tensor> for Param {
    fn from(t: &Tensor) -> Param {
        Param::Tensor(t.clone())
    }
}

impl Param {
    /// The parameter's shape (`[]` for numbers).
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Param::Tensor(t) => t.shape().to_vec(),
            _ => Vec::new(),
        }
    }

    /// The dtype JAX would give the parameter on its own: the tensor's dtype, or the
    /// default float/int dtype for numbers.
    pub fn dtype(&self) -> DType {
        match self {
            Param::Float(_) => config::default_float_dtype(),
            Param::Int(_) => config::default_int_dtype(),
            Param::Tensor(t) => t.dtype(),
        }
    }

    /// The parameter as a tensor of its own dtype (see [`Param::dtype`]).
    pub fn tensor(&self) -> Result<Tensor> {
        match self {
            Param::Float(v) => Ok(Tensor::scalar_like(config::default_float_dtype(), *v)),
            Param::Int(v) => {
                let d = config::default_int_dtype();
                if d == DType::I32 && (*v < i32::MIN as i64 || *v > i32::MAX as i64) {
                    return Err(Error::invalid(
                        "param",
                        format!("Python int {v} too large to convert to int32"),
                    ));
                }
                Ok(if d == DType::I64 {
                    Tensor::scalar(*v)
                } else {
                    Tensor::scalar(*v as i32)
                })
            }
            Param::Tensor(t) => {
                t.check()?;
                Ok(t.clone())
            }
        }
    }

    /// The parameter converted to `dtype` (`lax.convert_element_type(p, dtype)`).
    pub fn to(&self, dtype: DType) -> Result<Tensor> {
        self.tensor()?.convert(dtype)
    }

    /// The number, if this is a Rust number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Param::Float(v) => Some(*v),
            Param::Int(v) => Some(*v as f64),
            Param::Tensor(_) => None,
        }
    }
}
