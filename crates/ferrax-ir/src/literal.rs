//! Host-side dense values: constants in graphs and the host reference evaluator's data.

use crate::{DType, Element, Error, Result, Shape, TensorType};

/// A dense row-major array on the host: a type plus little-endian bytes.
///
/// ```
/// use ferrax_ir::{Literal, DType};
/// let l = Literal::from_vec(vec![1.0f32, 2.0, 3.0], [3]).unwrap();
/// assert_eq!(l.ty().dtype, DType::F32);
/// assert_eq!(l.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 3.0]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Literal {
    ty: TensorType,
    bytes: Vec<u8>,
}

impl Literal {
    /// A literal from raw little-endian bytes; the length must match the type.
    pub fn from_bytes(ty: TensorType, bytes: Vec<u8>) -> Result<Literal> {
        if bytes.len() != ty.byte_size() {
            return Err(Error::invalid(
                "literal",
                format!("{} needs {} bytes, got {}", ty, ty.byte_size(), bytes.len()),
            ));
        }
        Ok(Literal { ty, bytes })
    }

    /// A literal from a vector of scalars and a shape; the element count must match.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl Into<Shape>) -> Result<Literal> {
        let shape = shape.into();
        if data.len() != shape.numel() {
            return Err(Error::invalid(
                "literal",
                format!(
                    "shape {} holds {} elements, got {}",
                    shape,
                    shape.numel(),
                    data.len()
                ),
            ));
        }
        let mut bytes = Vec::with_capacity(data.len() * T::DTYPE.byte_size());
        for x in data {
            x.write_le(&mut bytes);
        }
        Ok(Literal {
            ty: TensorType::new(T::DTYPE, shape),
            bytes,
        })
    }

    /// A scalar literal.
    pub fn scalar<T: Element>(x: T) -> Literal {
        let mut bytes = Vec::new();
        x.write_le(&mut bytes);
        Literal {
            ty: TensorType::scalar(T::DTYPE),
            bytes,
        }
    }

    /// All-zero bytes of a type (0, +0.0, false).
    pub fn zeros(ty: TensorType) -> Literal {
        let n = ty.byte_size();
        Literal {
            ty,
            bytes: vec![0; n],
        }
    }

    /// A scalar of `dtype` holding `v` converted as by a numeric cast (bool: v != 0).
    pub fn scalar_f64(dtype: DType, v: f64) -> Literal {
        let mut bytes = Vec::new();
        match dtype {
            DType::Bool => bytes.push((v != 0.0) as u8),
            DType::I8 => (v as i8).write_le(&mut bytes),
            DType::I16 => (v as i16).write_le(&mut bytes),
            DType::I32 => (v as i32).write_le(&mut bytes),
            DType::I64 => (v as i64).write_le(&mut bytes),
            DType::U8 => (v as u8).write_le(&mut bytes),
            DType::U16 => (v as u16).write_le(&mut bytes),
            DType::U32 => (v as u32).write_le(&mut bytes),
            DType::U64 => (v as u64).write_le(&mut bytes),
            DType::F16 => half::f16::from_f64(v).write_le(&mut bytes),
            DType::BF16 => half::bf16::from_f64(v).write_le(&mut bytes),
            DType::F32 => (v as f32).write_le(&mut bytes),
            DType::F64 => v.write_le(&mut bytes),
        }
        Literal {
            ty: TensorType::scalar(dtype),
            bytes,
        }
    }

    /// The literal's type.
    pub fn ty(&self) -> &TensorType {
        &self.ty
    }
    /// The element type.
    pub fn dtype(&self) -> DType {
        self.ty.dtype
    }
    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.ty.shape
    }
    /// Raw little-endian bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// Consumes the literal, returning its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The elements as `T`; errors if `T` is not the literal's dtype.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.ty.dtype {
            return Err(Error::invalid(
                "to_vec",
                format!(
                    "literal has dtype {}, asked for {}",
                    self.ty.dtype,
                    T::DTYPE
                ),
            ));
        }
        let w = T::DTYPE.byte_size();
        Ok(self.bytes.chunks_exact(w).map(T::read_le).collect())
    }

    /// Element `i` (row-major) widened to f64 (integers exactly up to 2^53; bool as 0/1).
    pub fn get_f64(&self, i: usize) -> f64 {
        let w = self.ty.dtype.byte_size();
        let b = &self.bytes[i * w..(i + 1) * w];
        match self.ty.dtype {
            DType::Bool => b[0] as f64,
            DType::I8 => i8::read_le(b) as f64,
            DType::I16 => i16::read_le(b) as f64,
            DType::I32 => i32::read_le(b) as f64,
            DType::I64 => i64::read_le(b) as f64,
            DType::U8 => b[0] as f64,
            DType::U16 => u16::read_le(b) as f64,
            DType::U32 => u32::read_le(b) as f64,
            DType::U64 => u64::read_le(b) as f64,
            DType::F16 => half::f16::read_le(b).to_f64(),
            DType::BF16 => half::bf16::read_le(b).to_f64(),
            DType::F32 => f32::read_le(b) as f64,
            DType::F64 => f64::read_le(b),
        }
    }

    /// Element `i` (row-major) as i64 for integer/bool dtypes (u64 wraps); floats truncate.
    pub fn get_i64(&self, i: usize) -> i64 {
        let w = self.ty.dtype.byte_size();
        let b = &self.bytes[i * w..(i + 1) * w];
        match self.ty.dtype {
            DType::U64 => u64::read_le(b) as i64,
            DType::I64 => i64::read_le(b),
            _ => self.get_f64(i) as i64,
        }
    }
}
