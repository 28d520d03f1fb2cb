//! The traced op API on [`Tensor`]: constructors, elementwise math with numpy broadcasting,
//! shape ops, indexing, reductions, linear algebra, sorting and control flow, plus operator
//! overloading. Every method checks its operands through the op's rule in [`crate::rules`].

use crate::trace::{apply, apply1, build_region};
use crate::{
    BinaryOp, CompareDir, ConvAttrs, DType, DotDims, Element, Error, GatherDims, Literal, Op,
    Result, ScatterDims, Shape, Tensor, TensorType, UnaryOp, WindowAttrs,
};
use std::sync::Arc;

/// A traced branch of [`Tensor::case`]: takes the operands, returns the results.
pub type Branch<'a> = Box<dyn FnOnce(&[Tensor]) -> Result<Vec<Tensor>> + 'a>;

/// Reduction kinds with a built-in body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceKind {
    /// Sum (init 0).
    Sum,
    /// Product (init 1).
    Prod,
    /// Maximum (init -inf or the type's minimum).
    Max,
    /// Minimum (init +inf or the type's maximum).
    Min,
    /// Logical and (bool; init true).
    All,
    /// Logical or (bool; init false).
    Any,
}

impl ReduceKind {
    fn binary(self) -> BinaryOp {
        match self {
            ReduceKind::Sum => BinaryOp::Add,
            ReduceKind::Prod => BinaryOp::Mul,
            ReduceKind::Max => BinaryOp::Max,
            ReduceKind::Min => BinaryOp::Min,
            ReduceKind::All => BinaryOp::And,
            ReduceKind::Any => BinaryOp::Or,
        }
    }

    /// The identity element of the reduction for `dtype`.
    pub fn init(self, dtype: DType) -> Literal {
        match self {
            ReduceKind::Sum | ReduceKind::Any => Literal::zeros(TensorType::scalar(dtype)),
            ReduceKind::Prod | ReduceKind::All => Literal::scalar_f64(dtype, 1.0),
            ReduceKind::Max => lowest(dtype),
            ReduceKind::Min => highest(dtype),
        }
    }
}

fn lowest(d: DType) -> Literal {
    match d {
        DType::Bool => Literal::scalar(false),
        DType::I8 => Literal::scalar(i8::MIN),
        DType::I16 => Literal::scalar(i16::MIN),
        DType::I32 => Literal::scalar(i32::MIN),
        DType::I64 => Literal::scalar(i64::MIN),
        DType::U8 | DType::U16 | DType::U32 | DType::U64 => Literal::zeros(TensorType::scalar(d)),
        _ => Literal::scalar_f64(d, f64::NEG_INFINITY),
    }
}

fn highest(d: DType) -> Literal {
    match d {
        DType::Bool => Literal::scalar(true),
        DType::I8 => Literal::scalar(i8::MAX),
        DType::I16 => Literal::scalar(i16::MAX),
        DType::I32 => Literal::scalar(i32::MAX),
        DType::I64 => Literal::scalar(i64::MAX),
        DType::U8 => Literal::scalar(u8::MAX),
        DType::U16 => Literal::scalar(u16::MAX),
        DType::U32 => Literal::scalar(u32::MAX),
        DType::U64 => Literal::scalar(u64::MAX),
        _ => Literal::scalar_f64(d, f64::INFINITY),
    }
}

impl Tensor {
    // ---------------------------------------------------------------- constructors

    /// A tensor from host data and a shape.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: impl Into<Shape>) -> Result<Tensor> {
        Ok(Tensor::constant(Literal::from_vec(data, shape)?))
    }

    /// A scalar constant.
    pub fn scalar<T: Element>(x: T) -> Tensor {
        Tensor::constant(Literal::scalar(x))
    }

    /// A scalar of `dtype` holding `v` (numeric cast).
    pub fn scalar_like(dtype: DType, v: f64) -> Tensor {
        Tensor::constant(Literal::scalar_f64(dtype, v))
    }

    /// `shape` filled with `v` (cast to `dtype`).
    pub fn full(dtype: DType, shape: impl Into<Shape>, v: f64) -> Tensor {
        let shape = shape.into();
        Tensor::scalar_like(dtype, v)
            .broadcast_in_dim(shape, &[])
            .unwrap_or_else(Tensor::from_error)
    }

    /// Zeros.
    pub fn zeros(dtype: DType, shape: impl Into<Shape>) -> Tensor {
        Tensor::full(dtype, shape, 0.0)
    }

    /// Ones.
    pub fn ones(dtype: DType, shape: impl Into<Shape>) -> Tensor {
        Tensor::full(dtype, shape, 1.0)
    }

    /// Counts 0, 1, 2, ... along `dim` of a new tensor of `shape`.
    pub fn iota(dtype: DType, shape: impl Into<Shape>, dim: usize) -> Result<Tensor> {
        apply1(Op::Iota { dim }, &[], &[TensorType::new(dtype, shape)])
    }

    /// `0..n` as a rank-1 tensor (like `jnp.arange(n)`).
    pub fn arange(dtype: DType, n: usize) -> Result<Tensor> {
        Tensor::iota(dtype, [n], 0)
    }

    // ---------------------------------------------------------------- elementwise

    /// An elementwise unary op.
    pub fn unary(&self, u: UnaryOp) -> Result<Tensor> {
        apply1(Op::Unary(u), &[self], &[])
    }

    /// An elementwise binary op; shapes broadcast by numpy rules, dtypes must match.
    pub fn binary(&self, b: BinaryOp, other: &Tensor) -> Result<Tensor> {
        let (x, y) = broadcast_pair(b.name(), self, other)?;
        apply1(Op::Binary(b), &[&x, &y], &[])
    }

    /// Elementwise comparison with broadcasting; bool result.
    pub fn compare(&self, dir: CompareDir, other: &Tensor) -> Result<Tensor> {
        let (x, y) = broadcast_pair("compare", self, other)?;
        apply1(Op::Compare(dir), &[&x, &y], &[])
    }

    /// `self + other`.
    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Add, o)
    }
    /// `self - other`.
    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Sub, o)
    }
    /// `self * other`.
    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Mul, o)
    }
    /// `self / other`.
    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Div, o)
    }
    /// Remainder (sign of the dividend).
    pub fn rem(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Rem, o)
    }
    /// `self ^ other`.
    pub fn pow(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Pow, o)
    }
    /// Elementwise maximum.
    pub fn maximum(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Max, o)
    }
    /// Elementwise minimum.
    pub fn minimum(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Min, o)
    }
    /// atan2(self, other).
    pub fn atan2(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Atan2, o)
    }
    /// Bitwise/logical and.
    pub fn bitand(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::And, o)
    }
    /// Bitwise/logical or.
    pub fn bitor(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Or, o)
    }
    /// Bitwise/logical xor.
    pub fn bitxor(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Xor, o)
    }
    /// Shift left.
    pub fn shift_left(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::ShiftLeft, o)
    }
    /// Logical shift right.
    pub fn shift_right_logical(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::ShiftRightLogical, o)
    }
    /// Arithmetic shift right.
    pub fn shift_right_arithmetic(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::ShiftRightArithmetic, o)
    }
    /// `==`.
    pub fn eq(&self, o: &Tensor) -> Result<Tensor> {
        self.compare(CompareDir::Eq, o)
    }
    /// `!=`.
    pub fn ne(&self, o: &Tensor) -> Result<Tensor> {
        self.compare(CompareDir::Ne, o)
    }
    /// `<`.
    pub fn lt(&self, o: &Tensor) -> Result<Tensor> {
        self.compare(CompareDir::Lt, o)
    }
    /// `<=`.
    pub fn le(&self, o: &Tensor) -> Result<Tensor> {
        self.compare(CompareDir::Le, o)
    }
    /// `>`.
    pub fn gt(&self, o: &Tensor) -> Result<Tensor> {
        self.compare(CompareDir::Gt, o)
    }
    /// `>=`.
    pub fn ge(&self, o: &Tensor) -> Result<Tensor> {
        self.compare(CompareDir::Ge, o)
    }

    /// A scalar of this tensor's dtype (for mixing with Rust numbers).
    pub fn scalar_of(&self, v: f64) -> Result<Tensor> {
        self.check()?;
        Ok(Tensor::scalar_like(self.dtype(), v))
    }

    /// `where(pred, on_true, on_false)` with broadcasting of all three.
    pub fn select(pred: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        let s = crate::rules::broadcast_shapes("select", &shape_of(pred)?, &shape_of(on_true)?)?;
        let s = crate::rules::broadcast_shapes("select", &s, &shape_of(on_false)?)?;
        let p = pred.broadcast_to(s.clone())?;
        let t = on_true.broadcast_to(s.clone())?;
        let f = on_false.broadcast_to(s)?;
        apply1(Op::Select, &[&p, &t, &f], &[])
    }

    /// Clamps into `[lo, hi]` (scalars or of this shape).
    pub fn clamp(&self, lo: &Tensor, hi: &Tensor) -> Result<Tensor> {
        apply1(Op::Clamp, &[lo, self, hi], &[])
    }

    /// Numeric conversion (`astype`).
    pub fn convert(&self, dtype: DType) -> Result<Tensor> {
        let t = self.ty()?;
        if t.dtype == dtype {
            return Ok(self.clone());
        }
        apply1(
            Op::Convert,
            &[self],
            &[TensorType::new(dtype, t.shape.clone())],
        )
    }

    /// Reinterprets the bits as `dtype` (`jax.lax.bitcast_convert_type`). With the same
    /// width the shape is kept. To a narrower type a trailing axis holds each element's
    /// parts, least significant first; to a wider type the trailing axis must hold exactly
    /// the parts of one element and is consumed ([`crate::rules::bitcast_shape`]).
    ///
    /// ```
    /// use ferrax_ir::{DType, Tensor};
    /// let x = Tensor::from_vec(vec![0x0000_0002_0000_0001u64], [1])?;
    /// let parts = x.bitcast(DType::U32)?;
    /// assert_eq!(parts.shape(), &[1, 2]);
    /// assert_eq!(parts.bitcast(DType::U64)?.shape(), &[1]);
    /// # Ok::<(), ferrax_ir::Error>(())
    /// ```
    pub fn bitcast(&self, dtype: DType) -> Result<Tensor> {
        let t = self.ty()?;
        let shape = crate::rules::bitcast_shape(t.dtype, &t.shape, dtype)?;
        apply1(
            Op::BitcastConvert,
            &[self],
            &[TensorType::new(dtype, shape)],
        )
    }

    // ---------------------------------------------------------------- shape ops

    /// Broadcasts: operand dim `i` goes to output dim `dims[i]`.
    pub fn broadcast_in_dim(&self, shape: impl Into<Shape>, dims: &[usize]) -> Result<Tensor> {
        let t = self.ty()?;
        let shape = shape.into();
        if t.shape == shape && dims.iter().enumerate().all(|(i, d)| i == *d) {
            return Ok(self.clone());
        }
        apply1(
            Op::BroadcastInDim {
                dims: dims.to_vec(),
            },
            &[self],
            &[TensorType::new(t.dtype, shape)],
        )
    }

    /// Numpy-style broadcast to `shape` (trailing dims aligned).
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let shape = shape.into();
        let r = self.ty()?.shape.rank();
        if r > shape.rank() {
            return Err(Error::shape(
                "broadcast_to",
                format!("cannot broadcast {} to {}", self.ty()?.shape, shape),
            ));
        }
        let dims: Vec<usize> = (shape.rank() - r..shape.rank()).collect();
        self.broadcast_in_dim(shape, &dims)
    }

    /// Reshape (row-major).
    pub fn reshape(&self, shape: impl Into<Shape>) -> Result<Tensor> {
        let t = self.ty()?;
        let shape = shape.into();
        if t.shape == shape {
            return Ok(self.clone());
        }
        apply1(Op::Reshape, &[self], &[TensorType::new(t.dtype, shape)])
    }

    /// Permutes dimensions: output dim `i` is input dim `perm[i]`.
    pub fn transpose(&self, perm: &[usize]) -> Result<Tensor> {
        apply1(
            Op::Transpose {
                perm: perm.to_vec(),
            },
            &[self],
            &[],
        )
    }

    /// Swaps the last two dims (matrix transpose).
    pub fn t(&self) -> Result<Tensor> {
        let r = self.ty()?.shape.rank();
        if r < 2 {
            return Ok(self.clone());
        }
        let mut p: Vec<usize> = (0..r).collect();
        p.swap(r - 2, r - 1);
        self.transpose(&p)
    }

    /// Static strided slice.
    pub fn slice(&self, start: &[usize], limit: &[usize], strides: &[usize]) -> Result<Tensor> {
        apply1(
            Op::Slice {
                start: start.to_vec(),
                limit: limit.to_vec(),
                strides: strides.to_vec(),
            },
            &[self],
            &[],
        )
    }

    /// `self[start:limit]` along one axis.
    pub fn slice_axis(&self, axis: usize, start: usize, limit: usize) -> Result<Tensor> {
        let s = &self.ty()?.shape;
        if axis >= s.rank() {
            return Err(Error::invalid(
                "slice",
                format!("axis {axis} out of range for rank {}", s.rank()),
            ));
        }
        let mut st = vec![0; s.rank()];
        let mut li = s.0.clone();
        st[axis] = start;
        li[axis] = limit;
        self.slice(&st, &li, &vec![1; s.rank()])
    }

    /// Slice of `sizes` at traced integer scalar starts (clamped into range).
    pub fn dynamic_slice(&self, starts: &[Tensor], sizes: &[usize]) -> Result<Tensor> {
        let mut ops: Vec<&Tensor> = vec![self];
        ops.extend(starts.iter());
        apply1(
            Op::DynamicSlice {
                sizes: sizes.to_vec(),
            },
            &ops,
            &[],
        )
    }

    /// Writes `update` at traced integer scalar starts (clamped into range).
    pub fn dynamic_update_slice(&self, update: &Tensor, starts: &[Tensor]) -> Result<Tensor> {
        let mut ops: Vec<&Tensor> = vec![self, update];
        ops.extend(starts.iter());
        apply1(Op::DynamicUpdateSlice, &ops, &[])
    }

    /// Concatenates along `dim`.
    pub fn concatenate(xs: &[Tensor], dim: usize) -> Result<Tensor> {
        let refs: Vec<&Tensor> = xs.iter().collect();
        apply1(Op::Concatenate { dim }, &refs, &[])
    }

    /// Pads with `value` (a scalar of the same dtype).
    pub fn pad(
        &self,
        value: &Tensor,
        low: &[i64],
        high: &[i64],
        interior: &[usize],
    ) -> Result<Tensor> {
        apply1(
            Op::Pad {
                low: low.to_vec(),
                high: high.to_vec(),
                interior: interior.to_vec(),
            },
            &[self, value],
            &[],
        )
    }

    /// StableHLO gather.
    pub fn gather(&self, indices: &Tensor, dims: GatherDims) -> Result<Tensor> {
        apply1(Op::Gather(dims), &[self, indices], &[])
    }

    /// `self[indices]` along `axis` (like `jnp.take(x, indices, axis)`, indices clamped).
    pub fn take(&self, indices: &Tensor, axis: usize) -> Result<Tensor> {
        let s = self.ty()?.shape.clone();
        let it = indices.ty()?.clone();
        if axis >= s.rank() {
            return Err(Error::invalid(
                "take",
                format!("axis {axis} out of range for rank {}", s.rank()),
            ));
        }
        let mut slice_sizes = s.0.clone();
        slice_sizes[axis] = 1;
        let ir = it.shape.rank();
        let offset_dims: Vec<usize> = (0..s.rank() - 1)
            .map(|d| if d < axis { d } else { d + ir })
            .collect();
        self.gather(
            indices,
            GatherDims {
                offset_dims,
                collapsed_slice_dims: vec![axis],
                start_index_map: vec![axis],
                index_vector_dim: ir,
                slice_sizes,
                ..Default::default()
            },
        )
    }

    /// StableHLO scatter; `combine(current, update)` builds the update region on scalars.
    pub fn scatter(
        &self,
        indices: &Tensor,
        updates: &Tensor,
        dims: ScatterDims,
        combine: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>,
    ) -> Result<Tensor> {
        let s = TensorType::scalar(self.ty()?.dtype);
        let (g, caps) = build_region(&[s.clone(), s], |p| Ok(vec![combine(&p[0], &p[1])?]))?;
        if !caps.is_empty() {
            return Err(Error::unsupported(
                "scatter",
                "the combiner may not use outer tensors",
            ));
        }
        apply1(
            Op::Scatter {
                dims,
                update: Arc::new(g),
            },
            &[self, indices, updates],
            &[],
        )
    }

    /// Generalised matrix product (result dtype = operand dtype).
    pub fn dot_general(&self, rhs: &Tensor, dims: DotDims) -> Result<Tensor> {
        apply1(Op::DotGeneral(dims), &[self, rhs], &[])
    }

    /// Generalised matrix product with an explicit (wider) result dtype.
    pub fn dot_general_to(&self, rhs: &Tensor, dims: DotDims, out: DType) -> Result<Tensor> {
        let t = crate::rules::dot_general(&dims, self.ty()?, rhs.ty()?)?;
        apply1(
            Op::DotGeneral(dims),
            &[self, rhs],
            &[TensorType::new(out, t.shape)],
        )
    }

    /// `jnp.matmul`: 1-D and 2-D operands as in numpy; higher ranks batch over the leading
    /// dims (which must match).
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        let (l, r) = (self.ty()?.shape.rank(), rhs.ty()?.shape.rank());
        match (l, r) {
            (0, _) | (_, 0) => Err(Error::shape("matmul", "operands must have rank >= 1")),
            (1, 1) => self.dot_general(
                rhs,
                DotDims {
                    lhs_contract: vec![0],
                    rhs_contract: vec![0],
                    ..Default::default()
                },
            ),
            (_, 1) => self.dot_general(
                rhs,
                DotDims {
                    lhs_contract: vec![l - 1],
                    rhs_contract: vec![0],
                    ..Default::default()
                },
            ),
            (1, _) => self.dot_general(
                rhs,
                DotDims {
                    lhs_contract: vec![0],
                    rhs_contract: vec![r - 2],
                    ..Default::default()
                },
            ),
            (2, 2) => self.dot_general(
                rhs,
                DotDims {
                    lhs_contract: vec![1],
                    rhs_contract: vec![0],
                    ..Default::default()
                },
            ),
            _ if l == r => {
                let b: Vec<usize> = (0..l - 2).collect();
                self.dot_general(
                    rhs,
                    DotDims {
                        lhs_batch: b.clone(),
                        rhs_batch: b,
                        lhs_contract: vec![l - 1],
                        rhs_contract: vec![r - 2],
                    },
                )
            }
            (_, 2) => self.dot_general(
                rhs,
                DotDims {
                    lhs_contract: vec![l - 1],
                    rhs_contract: vec![0],
                    ..Default::default()
                },
            ),
            _ => Err(Error::shape(
                "matmul",
                format!("ranks {l} and {r} are not supported (batch dims must match)"),
            )),
        }
    }

    /// General reduction of several operands with a traced body (see [`Op::Reduce`]).
    pub fn reduce_multi(
        xs: &[Tensor],
        inits: &[Tensor],
        dims: &[usize],
        body: impl FnOnce(&[Tensor], &[Tensor]) -> Result<Vec<Tensor>>,
    ) -> Result<Vec<Tensor>> {
        let n = xs.len();
        let scalars: Vec<TensorType> = xs
            .iter()
            .map(|x| Ok(TensorType::scalar(x.ty()?.dtype)))
            .collect::<Result<_>>()?;
        let params: Vec<TensorType> = scalars.iter().chain(scalars.iter()).cloned().collect();
        let (g, caps) = build_region(&params, |p| body(&p[..n], &p[n..]))?;
        if !caps.is_empty() {
            return Err(Error::unsupported(
                "reduce",
                "the body may not use outer tensors",
            ));
        }
        let ops: Vec<&Tensor> = xs.iter().chain(inits.iter()).collect();
        apply(
            Op::Reduce {
                dims: dims.to_vec(),
                body: Arc::new(g),
            },
            &ops,
            &[],
        )
    }

    /// Reduces `dims` with a built-in kind.
    pub fn reduce(&self, kind: ReduceKind, dims: &[usize]) -> Result<Tensor> {
        let d = self.ty()?.dtype;
        if matches!(kind, ReduceKind::All | ReduceKind::Any) && d != DType::Bool {
            return Err(Error::dtype(
                "reduce",
                format!("all/any need bool, got {d}"),
            ));
        }
        let init = Tensor::constant(kind.init(d));
        Tensor::reduce_multi(std::slice::from_ref(self), &[init], dims, |a, b| {
            Ok(vec![a[0].binary(kind.binary(), &b[0])?])
        })
        .map(crate::trace::first)
    }

    /// Sum over `dims`.
    pub fn sum(&self, dims: &[usize]) -> Result<Tensor> {
        self.reduce(ReduceKind::Sum, dims)
    }
    /// Max over `dims`.
    pub fn max(&self, dims: &[usize]) -> Result<Tensor> {
        self.reduce(ReduceKind::Max, dims)
    }
    /// Min over `dims`.
    pub fn min(&self, dims: &[usize]) -> Result<Tensor> {
        self.reduce(ReduceKind::Min, dims)
    }
    /// Sum over all dims.
    pub fn sum_all(&self) -> Result<Tensor> {
        let r = self.ty()?.shape.rank();
        self.sum(&(0..r).collect::<Vec<_>>())
    }
    /// Mean over `dims` (floats).
    pub fn mean(&self, dims: &[usize]) -> Result<Tensor> {
        let t = self.ty()?;
        let n: usize = dims
            .iter()
            .map(|&d| t.shape.0.get(d).copied().unwrap_or(1))
            .product();
        let s = self.sum(dims)?;
        s.div(&s.scalar_of(n as f64)?)
    }

    /// Windowed reduction with a built-in kind.
    pub fn reduce_window(&self, kind: ReduceKind, window: WindowAttrs) -> Result<Tensor> {
        let d = self.ty()?.dtype;
        let init = Tensor::constant(kind.init(d));
        let s = TensorType::scalar(d);
        let (g, _) = build_region(&[s.clone(), s], |p| {
            Ok(vec![p[0].binary(kind.binary(), &p[1])?])
        })?;
        apply1(
            Op::ReduceWindow {
                window,
                body: Arc::new(g),
            },
            &[self, &init],
            &[],
        )
    }

    /// Convolution.
    pub fn conv(&self, kernel: &Tensor, attrs: ConvAttrs) -> Result<Tensor> {
        apply1(Op::Convolution(attrs), &[self, kernel], &[])
    }

    /// Sorts several operands along `dim` by `comparator(a, b)` over pairs `(a_i, b_i)`.
    pub fn sort_multi(
        xs: &[Tensor],
        dim: usize,
        stable: bool,
        comparator: impl FnOnce(&[Tensor], &[Tensor]) -> Result<Tensor>,
    ) -> Result<Vec<Tensor>> {
        let mut params = Vec::new();
        for x in xs {
            let s = TensorType::scalar(x.ty()?.dtype);
            params.push(s.clone());
            params.push(s);
        }
        let (g, caps) = build_region(&params, |p| {
            let a: Vec<Tensor> = p.iter().step_by(2).cloned().collect();
            let b: Vec<Tensor> = p.iter().skip(1).step_by(2).cloned().collect();
            Ok(vec![comparator(&a, &b)?])
        })?;
        if !caps.is_empty() {
            return Err(Error::unsupported(
                "sort",
                "the comparator may not use outer tensors",
            ));
        }
        let refs: Vec<&Tensor> = xs.iter().collect();
        apply(
            Op::Sort {
                dim,
                stable,
                comparator: Arc::new(g),
            },
            &refs,
            &[],
        )
    }

    /// Ascending stable sort along `axis` (NaNs are not ordered specially).
    pub fn sort(&self, axis: usize) -> Result<Tensor> {
        Tensor::sort_multi(std::slice::from_ref(self), axis, true, |a, b| {
            a[0].lt(&b[0])
        })
        .map(crate::trace::first)
    }

    /// `while cond(v) { v = body(v) }` over carried values `init`.
    pub fn while_loop(
        init: &[Tensor],
        cond: impl FnOnce(&[Tensor]) -> Result<Tensor>,
        body: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>,
    ) -> Result<Vec<Tensor>> {
        let types: Vec<TensorType> = init
            .iter()
            .map(|t| t.ty().cloned())
            .collect::<Result<_>>()?;
        let n = types.len();
        // Trace both regions; outer tensors they use become extra carried values that the
        // body passes through unchanged.
        let (cg, ccaps) = build_region(&types, |p| Ok(vec![cond(p)?]))?;
        let (bg, bcaps) = build_region(&types, body)?;
        let mut caps: Vec<Tensor> = ccaps.clone();
        for c in &bcaps {
            caps.push(c.clone());
        }
        let cap_types: Vec<TensorType> = caps
            .iter()
            .map(|t| t.ty().cloned())
            .collect::<Result<_>>()?;
        let all_types: Vec<TensorType> = types.iter().chain(&cap_types).cloned().collect();
        // Rebuild regions over the full carried tuple by inlining the traced graphs.
        let (cg2, _) = build_region(&all_types, |p| {
            let mut args: Vec<Tensor> = p[..n].to_vec();
            args.extend_from_slice(&p[n..n + ccaps.len()]);
            inline(&cg, &args)
        })?;
        let (bg2, _) = build_region(&all_types, |p| {
            let mut args: Vec<Tensor> = p[..n].to_vec();
            args.extend_from_slice(&p[n + ccaps.len()..]);
            let mut outs = inline(&bg, &args)?;
            outs.extend_from_slice(&p[n..]);
            Ok(outs)
        })?;
        let ops: Vec<&Tensor> = init.iter().chain(caps.iter()).collect();
        let mut res = apply(
            Op::While {
                cond: Arc::new(cg2),
                body: Arc::new(bg2),
            },
            &ops,
            &[],
        )?;
        res.truncate(n);
        Ok(res)
    }

    /// `branches[index](operands)`; index is an i32 scalar (out of range runs the last).
    pub fn case(
        index: &Tensor,
        operands: &[Tensor],
        branches: Vec<Branch<'_>>,
    ) -> Result<Vec<Tensor>> {
        let types: Vec<TensorType> = operands
            .iter()
            .map(|t| t.ty().cloned())
            .collect::<Result<_>>()?;
        let mut regions = Vec::new();
        let mut caps: Vec<Vec<Tensor>> = Vec::new();
        for b in branches {
            let (g, c) = build_region(&types, b)?;
            regions.push(g);
            caps.push(c);
        }
        let all_caps: Vec<Tensor> = caps.iter().flatten().cloned().collect();
        let cap_types: Vec<TensorType> = all_caps
            .iter()
            .map(|t| t.ty().cloned())
            .collect::<Result<_>>()?;
        let all_types: Vec<TensorType> = types.iter().chain(&cap_types).cloned().collect();
        let n = types.len();
        let mut full = Vec::new();
        let mut off = n;
        for (g, c) in regions.iter().zip(&caps) {
            let (g2, _) = build_region(&all_types, |p| {
                let mut args: Vec<Tensor> = p[..n].to_vec();
                args.extend_from_slice(&p[off..off + c.len()]);
                inline(g, &args)
            })?;
            off += c.len();
            full.push(Arc::new(g2));
        }
        let mut ops: Vec<&Tensor> = vec![index];
        ops.extend(operands.iter());
        ops.extend(all_caps.iter());
        apply(Op::Case { branches: full }, &ops, &[])
    }

    /// `true_fn(operands)` if `pred` (a bool scalar) else `false_fn(operands)`.
    pub fn cond(
        pred: &Tensor,
        operands: &[Tensor],
        true_fn: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>,
        false_fn: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>,
    ) -> Result<Vec<Tensor>> {
        let idx = pred.convert(DType::I32)?;
        Tensor::case(&idx, operands, vec![Box::new(false_fn), Box::new(true_fn)])
    }
}

/// Re-emits the ops of `g` into the current trace with `args` as its parameters.
pub fn inline(g: &crate::Graph, args: &[Tensor]) -> Result<Vec<Tensor>> {
    use std::collections::HashMap;
    if args.len() != g.params().len() {
        return Err(Error::invalid(
            "inline",
            format!(
                "graph takes {} parameters, got {}",
                g.params().len(),
                args.len()
            ),
        ));
    }
    let mut env: HashMap<crate::Value, Tensor> = HashMap::new();
    for (i, p) in g.params().iter().enumerate() {
        env.insert(crate::Value::first(*p), args[i].clone());
    }
    for id in g.topo_order() {
        let node = g.node(id);
        if matches!(node.op, Op::Parameter { .. }) {
            continue;
        }
        let ops: Vec<Tensor> = g
            .operands(id)
            .iter()
            .map(|v| {
                env.get(v)
                    .cloned()
                    .ok_or_else(|| Error::invalid("inline", "dangling operand"))
            })
            .collect::<Result<_>>()?;
        let refs: Vec<&Tensor> = ops.iter().collect();
        let outs = apply(node.op.clone(), &refs, &node.outputs)?;
        for (i, t) in outs.into_iter().enumerate() {
            env.insert(
                crate::Value {
                    node: id,
                    output: i as u32,
                },
                t,
            );
        }
    }
    g.outputs()
        .iter()
        .map(|v| {
            env.get(v)
                .cloned()
                .ok_or_else(|| Error::invalid("inline", "dangling output"))
        })
        .collect()
}

fn shape_of(t: &Tensor) -> Result<Shape> {
    Ok(t.ty()?.shape.clone())
}

fn broadcast_pair(op: &str, a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    let (sa, sb) = (shape_of(a)?, shape_of(b)?);
    if sa == sb {
        return Ok((a.clone(), b.clone()));
    }
    let s = crate::rules::broadcast_shapes(op, &sa, &sb)?;
    Ok((a.broadcast_to(s.clone())?, b.broadcast_to(s)?))
}

macro_rules! unary_methods {
    ($($name:ident => $op:ident),* $(,)?) => {
        impl Tensor {
            $(
                #[doc = concat!("Elementwise `", stringify!($name), "`.")]
                pub fn $name(&self) -> Result<Tensor> {
                    self.unary(UnaryOp::$op)
                }
            )*
        }
    };
}
unary_methods!(
    neg => Neg, abs => Abs, sign => Sign, not => Not, exp => Exp, expm1 => Expm1, log => Log,
    log1p => Log1p, sqrt => Sqrt, rsqrt => Rsqrt, cbrt => Cbrt, tanh => Tanh,
    logistic => Logistic, sin => Sin, cos => Cos, tan => Tan, erf => Erf, floor => Floor,
    ceil => Ceil, round => Round, round_even => RoundEven, is_finite => IsFinite,
    popcnt => PopCnt, clz => Clz,
);

// ---------------------------------------------------------------- operators

macro_rules! bitop {
    ($trait:ident, $method:ident, $op:ident) => {
        impl std::ops::$trait<&Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::from_result(self.binary(BinaryOp::$op, rhs))
            }
        }
        impl std::ops::$trait<Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::from_result(self.binary(BinaryOp::$op, &rhs))
            }
        }
    };
}
macro_rules! binop {
    ($trait:ident, $method:ident, $op:ident) => {
        bitop!($trait, $method, $op);
        impl std::ops::$trait<&Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::from_result(self.binary(BinaryOp::$op, rhs))
            }
        }
        impl std::ops::$trait<Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::from_result(self.binary(BinaryOp::$op, &rhs))
            }
        }
        impl std::ops::$trait<f64> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f64) -> Tensor {
                Tensor::from_result(
                    self.scalar_of(rhs)
                        .and_then(|s| self.binary(BinaryOp::$op, &s)),
                )
            }
        }
        impl std::ops::$trait<f64> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f64) -> Tensor {
                std::ops::$trait::$method(&self, rhs)
            }
        }
        impl std::ops::$trait<&Tensor> for f64 {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::from_result(
                    rhs.scalar_of(self)
                        .and_then(|s| s.binary(BinaryOp::$op, rhs)),
                )
            }
        }
        impl std::ops::$trait<Tensor> for f64 {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                std::ops::$trait::$method(self, &rhs)
            }
        }
    };
}
binop!(Add, add, Add);
binop!(Sub, sub, Sub);
binop!(Mul, mul, Mul);
binop!(Div, div, Div);
binop!(Rem, rem, Rem);

bitop!(BitAnd, bitand, And);
bitop!(BitOr, bitor, Or);
bitop!(BitXor, bitxor, Xor);
bitop!(Shl, shl, ShiftLeft);
bitop!(Shr, shr, ShiftRightLogical);

impl std::ops::Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::from_result(self.unary(UnaryOp::Neg))
    }
}
impl std::ops::Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        -&self
    }
}
impl std::ops::Not for &Tensor {
    type Output = Tensor;
    fn not(self) -> Tensor {
        Tensor::from_result(self.unary(UnaryOp::Not))
    }
}
