//! `Array`: a concrete value, on the host, on a device, or both.

use crate::runtime::{element_type, Runtime};
use crate::{pjrt_error, Error, Result};
use ferrax_ir::{Binding, DType, Element, Literal, Shape, Tensor, TensorType};
use ferrax_pjrt::Buffer;
use std::any::{Any, TypeId};
use std::fmt;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

struct Inner {
    host: OnceLock<Literal>,
    device: OnceLock<Buffer>,
}

/// A concrete array. Cheap to clone (shared). Host data is copied to the device when a
/// program first needs it and the device copy is kept; results of programs stay on the
/// device until read.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2]).unwrap();
/// assert_eq!(a.shape(), &[2, 2]);
/// assert_eq!(a.dtype(), DType::F32);
/// assert_eq!(a.to_string(), "[[1. 2.]\n [3. 4.]]");
/// ```
#[derive(Clone)]
pub struct Array {
    ty: TensorType,
    inner: Arc<Inner>,
}

impl Array {
    /// An array from host data; the length must match the shape.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl Into<Shape>) -> Result<Array> {
        Ok(Array::from_literal(Literal::from_vec(data, shape)?))
    }

    /// A scalar array.
    pub fn scalar<T: Element>(x: T) -> Array {
        Array::from_literal(Literal::scalar(x))
    }

    /// An array holding a host literal.
    pub fn from_literal(lit: Literal) -> Array {
        let ty = lit.ty().clone();
        let host = OnceLock::new();
        let _ = host.set(lit);
        Array {
            ty,
            inner: Arc::new(Inner {
                host,
                device: OnceLock::new(),
            }),
        }
    }

    /// An array wrapping a device buffer of type `ty`.
    pub fn from_buffer(buf: Buffer, ty: TensorType) -> Array {
        let device = OnceLock::new();
        let _ = device.set(buf);
        Array {
            ty,
            inner: Arc::new(Inner {
                host: OnceLock::new(),
                device,
            }),
        }
    }

    /// `shape` filled with `v` (cast to `dtype`).
    pub fn full(dtype: DType, shape: impl Into<Shape>, v: f64) -> Array {
        let ty = TensorType::new(dtype, shape);
        let one = Literal::scalar_f64(dtype, v);
        let mut bytes = Vec::with_capacity(ty.byte_size());
        for _ in 0..ty.shape.numel() {
            bytes.extend_from_slice(one.bytes());
        }
        // The byte count matches the type by construction.
        Array::from_literal(
            Literal::from_bytes(ty.clone(), bytes).unwrap_or_else(|_| Literal::zeros(ty)),
        )
    }

    /// Zeros.
    pub fn zeros(shape: impl Into<Shape>, dtype: DType) -> Array {
        Array::full(dtype, shape, 0.0)
    }

    /// Ones (argument order as `jnp.ones(shape, dtype)`).
    pub fn ones(shape: impl Into<Shape>, dtype: DType) -> Array {
        Array::full(dtype, shape, 1.0)
    }

    /// The type.
    pub fn ty(&self) -> &TensorType {
        &self.ty
    }
    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.ty.shape.0
    }
    /// The dtype.
    pub fn dtype(&self) -> DType {
        self.ty.dtype
    }
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.ty.shape.numel()
    }

    /// True once a device copy exists.
    pub fn is_on_device(&self) -> bool {
        self.inner.device.get().is_some()
    }

    /// Waits until the device copy, if any, has been computed (`jax.block_until_ready`).
    ///
    /// Program results stay on the device and may still be computing when
    /// [`jit`](crate::jit::jit) or `eval` returns; this waits for them without copying
    /// anything to the host. Returns `self` for chaining; a host-only array is ready.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// let y = (&x + 1.0).eval()?;
    /// assert!(y.block_until_ready()?.is_on_device());
    /// assert_eq!(y.to_vec::<f32>()?, vec![2.0, 3.0]);
    /// # Ok::<(), ferrax::Error>(())
    /// ```
    pub fn block_until_ready(&self) -> Result<&Array> {
        if let Some(b) = self.inner.device.get() {
            b.await_ready().map_err(pjrt_error("block_until_ready"))?;
        }
        Ok(self)
    }

    /// The host literal (reads the device copy if needed; the result is not kept).
    pub fn to_literal(&self) -> Result<Literal> {
        if let Some(l) = self.inner.host.get() {
            return Ok(l.clone());
        }
        let buf = self
            .inner
            .device
            .get()
            .ok_or_else(|| Error::runtime("to_literal", "array holds no data"))?;
        let bytes = buf
            .read_in_place(|b| b.to_vec())
            .map_err(pjrt_error("to_literal"))?;
        Literal::from_bytes(self.ty.clone(), bytes)
    }

    /// The elements as `T` (which must be the array's dtype), row-major.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.ty.dtype {
            return Err(Error::runtime(
                "to_vec",
                format!("array has dtype {}, asked for {}", self.ty.dtype, T::DTYPE),
            ));
        }
        if let Some(l) = self.inner.host.get() {
            return l.to_vec();
        }
        let buf = self
            .inner
            .device
            .get()
            .ok_or_else(|| Error::runtime("to_vec", "array holds no data"))?;
        buf.read_in_place(decode::<T>).map_err(pjrt_error("to_vec"))
    }

    /// The raw little-endian bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(self.to_literal()?.into_bytes())
    }

    /// The device buffer on `rt`, copying from the host the first time.
    pub fn buffer(&self, rt: &Runtime) -> Result<&Buffer> {
        if let Some(b) = self.inner.device.get() {
            return Ok(b);
        }
        let lit = self
            .inner
            .host
            .get()
            .ok_or_else(|| Error::runtime("buffer", "array holds no data"))?;
        let dims: Vec<i64> = self.ty.shape.0.iter().map(|&d| d as i64).collect();
        let buf = rt
            .client()
            .buffer_from_host(lit.bytes(), element_type(self.ty.dtype), &dims, None)
            .map_err(pjrt_error("buffer_from_host"))?;
        let _ = self.inner.device.set(buf);
        self.inner
            .device
            .get()
            .ok_or_else(|| Error::runtime("buffer", "device copy vanished"))
    }

    /// This array as a tensor of the current trace: a program input, not a baked constant,
    /// so one compiled program serves any values of the same type.
    pub fn to_tensor(&self) -> Tensor {
        Tensor::parameter(self.ty.clone(), Binding::Concrete(Rc::new(self.clone())))
    }
}

/// Little-endian bytes to elements. The std number types decode through their own
/// (inlined, vectorised) `from_le_bytes`, about as fast as a memcpy: `Element::read_le`
/// is an out-of-line call per element from here, ~1 ns each (1.7 ms for 10^6 u32).
fn decode<T: Element>(b: &[u8]) -> Vec<T> {
    fn as_t<T: 'static, U: 'static>(v: Vec<U>) -> Option<Vec<T>> {
        (Box::new(v) as Box<dyn Any>)
            .downcast::<Vec<T>>()
            .ok()
            .map(|v| *v)
    }
    macro_rules! fast {
        ($($u:ty),*) => {$(
            if TypeId::of::<T>() == TypeId::of::<$u>() {
                const W: usize = std::mem::size_of::<$u>();
                let v: Vec<$u> = b
                    .chunks_exact(W)
                    .map(|c| {
                        let mut a = [0u8; W];
                        a.copy_from_slice(c);
                        <$u>::from_le_bytes(a)
                    })
                    .collect();
                if let Some(v) = as_t::<T, $u>(v) {
                    return v;
                }
            }
        )*};
    }
    fast!(f32, u32, i32, f64, u64, i64, u16, i16, u8, i8);
    b.chunks_exact(T::DTYPE.byte_size())
        .map(T::read_le)
        .collect()
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Array({}, ", self.ty)?;
        fmt::Display::fmt(self, f)?;
        write!(f, ")")
    }
}

fn fmt_float(v: f64, is_f32: bool) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    let s = if a != 0.0 && !(1e-4..1e16).contains(&a) {
        if is_f32 {
            format!("{:e}", v as f32)
        } else {
            format!("{v:e}")
        }
    } else if is_f32 {
        format!("{}", v as f32)
    } else {
        format!("{v}")
    };
    if s.contains('.') || s.contains('e') {
        s
    } else {
        s + "."
    }
}

/// numpy-like printing: `[[1. 2.]\n [3. 4.]]`, elements separated by one space.
impl fmt::Display for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lit = match self.to_literal() {
            Ok(l) => l,
            Err(e) => return write!(f, "<unreadable array: {e}>"),
        };
        let d = lit.dtype();
        let elems: Vec<String> = (0..lit.shape().numel())
            .map(|i| match d {
                DType::Bool => if lit.get_f64(i) != 0.0 {
                    "True"
                } else {
                    "False"
                }
                .to_string(),
                DType::F32 | DType::F16 | DType::BF16 => fmt_float(lit.get_f64(i), true),
                DType::F64 => fmt_float(lit.get_f64(i), false),
                DType::U64 => (lit.get_i64(i) as u64).to_string(),
                _ => lit.get_i64(i).to_string(),
            })
            .collect();
        let dims = lit.shape().0.clone();
        if dims.is_empty() {
            return f.write_str(&elems[0]);
        }
        fn rec(
            f: &mut fmt::Formatter<'_>,
            dims: &[usize],
            elems: &[String],
            depth: usize,
        ) -> fmt::Result {
            f.write_str("[")?;
            if dims.len() == 1 {
                f.write_str(&elems.join(" "))?;
            } else {
                let step: usize = dims[1..].iter().product();
                for i in 0..dims[0] {
                    if i > 0 {
                        f.write_str("\n")?;
                        for _ in 0..dims.len() - 2 {
                            f.write_str("\n")?;
                        }
                        for _ in 0..=depth {
                            f.write_str(" ")?;
                        }
                    }
                    rec(f, &dims[1..], &elems[i * step..(i + 1) * step], depth + 1)?;
                }
            }
            f.write_str("]")
        }
        rec(f, &dims, &elems, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decode_matches_read_le_for_every_element_type() {
        let bytes: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
        fn check<T: ferrax_ir::Element + PartialEq>(b: &[u8]) {
            let want: Vec<T> = b
                .chunks_exact(T::DTYPE.byte_size())
                .map(T::read_le)
                .collect();
            let got = decode::<T>(b);
            assert_eq!(got.len(), want.len());
            // Compare bits, not values (NaN != NaN).
            let bits = |v: &[T]| {
                let mut out = Vec::new();
                for x in v {
                    x.write_le(&mut out);
                }
                out
            };
            assert_eq!(bits(&got), bits(&want), "{}", T::DTYPE);
        }
        check::<f32>(&bytes);
        check::<f64>(&bytes);
        check::<u32>(&bytes);
        check::<i32>(&bytes);
        check::<u64>(&bytes);
        check::<i64>(&bytes);
        check::<u16>(&bytes);
        check::<i16>(&bytes);
        check::<u8>(&bytes);
        check::<i8>(&bytes);
        let flags = [0u8, 1, 1, 0];
        assert_eq!(decode::<bool>(&flags), vec![false, true, true, false]);
    }
}
