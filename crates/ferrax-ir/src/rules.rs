//! Shape and dtype rules: one per op. [`infer`] returns the result types of an op applied to
//! operands of the given types, or an error naming the op and what is wrong. Ops whose result
//! type is not determined by operands and attributes (reshape, convert, iota, ...) take the
//! declared result type in `declared` and check it.

use crate::{
    BinaryOp, DType, DotDims, Error, GatherDims, Graph, Op, Result, ScatterDims, Shape, TensorType,
    UnaryOp,
};

fn want_declared<'a>(op: &Op, declared: &'a [TensorType]) -> Result<&'a TensorType> {
    declared
        .first()
        .ok_or_else(|| Error::invalid(op.name(), "the result type must be declared"))
}

fn arity(op: &Op, operands: &[TensorType], n: usize) -> Result<()> {
    if operands.len() != n {
        return Err(Error::invalid(
            op.name(),
            format!("expects {n} operands, got {}", operands.len()),
        ));
    }
    Ok(())
}

fn check_axes(op: &str, what: &str, axes: &[usize], rank: usize) -> Result<()> {
    let mut seen = vec![false; rank];
    for &a in axes {
        if a >= rank {
            return Err(Error::invalid(
                op,
                format!("{what} axis {a} is out of range for rank {rank}"),
            ));
        }
        if seen[a] {
            return Err(Error::invalid(op, format!("{what} axis {a} repeats")));
        }
        seen[a] = true;
    }
    Ok(())
}

/// The shape `bitcast_convert` gives when it reinterprets an array of `from` with `shape` as
/// `to`, with `jax.lax.bitcast_convert_type`'s rule: the same shape when the widths match;
/// to a narrower type, one trailing axis of `width(from) / width(to)` is added (the parts
/// of each element, least significant first, as on a little-endian machine); to a wider
/// type, the trailing axis must have `width(to) / width(from)` entries and is removed.
/// `bool` takes no part.
///
/// ```
/// use ferrax_ir::{rules::bitcast_shape, DType, Shape};
/// let s = Shape(vec![5]);
/// assert_eq!(bitcast_shape(DType::U64, &s, DType::U32)?, Shape(vec![5, 2]));
/// assert_eq!(bitcast_shape(DType::U16, &Shape(vec![5, 2]), DType::F32)?, Shape(vec![5]));
/// assert!(bitcast_shape(DType::U16, &s, DType::F32).is_err());
/// # Ok::<(), ferrax_ir::Error>(())
/// ```
pub fn bitcast_shape(from: DType, shape: &Shape, to: DType) -> Result<Shape> {
    const NAME: &str = "bitcast_convert";
    if from.is_bool() || to.is_bool() {
        return Err(Error::dtype(
            NAME,
            format!("cannot reinterpret {from} as {to} (bool takes no part)"),
        ));
    }
    let (wf, wt) = (from.byte_size(), to.byte_size());
    let mut dims = shape.0.clone();
    if wf > wt {
        dims.push(wf / wt);
    } else if wf < wt {
        let ratio = wt / wf;
        if dims.last() != Some(&ratio) {
            return Err(Error::shape(
                NAME,
                format!(
                    "reinterpreting {from}{shape} as the wider {to} needs a last axis of \
                     {ratio} entries"
                ),
            ));
        }
        dims.pop();
    }
    Ok(Shape(dims))
}

/// The result types of `op` on operands of types `operands`; `declared` gives the result
/// types the caller asks for (required for reshape, broadcast_in_dim, convert,
/// bitcast_convert, iota, constant and parameter; optional for dot_general's result dtype).
///
/// ```
/// use ferrax_ir::{rules, Op, BinaryOp, TensorType, DType};
/// let a = TensorType::new(DType::F32, [2, 3]);
/// let b = TensorType::new(DType::F32, [3, 2]);
/// let err = rules::infer(&Op::Binary(BinaryOp::Add), &[a.clone(), b], &[]).unwrap_err();
/// assert!(err.to_string().contains("add"));
/// assert_eq!(rules::infer(&Op::Binary(BinaryOp::Add), &[a.clone(), a.clone()], &[]).unwrap(), vec![a]);
/// ```
pub fn infer(op: &Op, operands: &[TensorType], declared: &[TensorType]) -> Result<Vec<TensorType>> {
    let name = op.name();
    match op {
        Op::Parameter { .. } => Ok(vec![want_declared(op, declared)?.clone()]),
        Op::Constant(lit) => Ok(vec![lit.ty().clone()]),
        Op::Iota { dim } => {
            let t = want_declared(op, declared)?;
            if *dim >= t.shape.rank() {
                return Err(Error::invalid(
                    name,
                    format!("dimension {dim} out of range for {t}"),
                ));
            }
            if t.dtype.is_bool() {
                return Err(Error::dtype(name, "iota of bool is not supported"));
            }
            Ok(vec![t.clone()])
        }
        Op::Unary(u) => {
            arity(op, operands, 1)?;
            unary(*u, &operands[0]).map(|t| vec![t])
        }
        Op::Binary(b) => {
            arity(op, operands, 2)?;
            binary(*b, &operands[0], &operands[1]).map(|t| vec![t])
        }
        Op::Compare(_) => {
            arity(op, operands, 2)?;
            same_type(name, &operands[0], &operands[1])?;
            Ok(vec![TensorType::new(
                DType::Bool,
                operands[0].shape.clone(),
            )])
        }
        Op::Select => {
            arity(op, operands, 3)?;
            let (p, t, f) = (&operands[0], &operands[1], &operands[2]);
            if p.dtype != DType::Bool {
                return Err(Error::dtype(
                    name,
                    format!("predicate must be bool, got {}", p.dtype),
                ));
            }
            same_type(name, t, f)?;
            if p.shape.rank() != 0 && p.shape != t.shape {
                return Err(Error::shape(
                    name,
                    format!("predicate shape {} must be scalar or {}", p.shape, t.shape),
                ));
            }
            Ok(vec![t.clone()])
        }
        Op::Clamp => {
            arity(op, operands, 3)?;
            let (lo, x, hi) = (&operands[0], &operands[1], &operands[2]);
            for (w, b) in [("min", lo), ("max", hi)] {
                if b.dtype != x.dtype {
                    return Err(Error::dtype(
                        name,
                        format!("{w} has dtype {}, operand {}", b.dtype, x.dtype),
                    ));
                }
                if b.shape.rank() != 0 && b.shape != x.shape {
                    return Err(Error::shape(
                        name,
                        format!("{w} shape {} must be scalar or {}", b.shape, x.shape),
                    ));
                }
            }
            Ok(vec![x.clone()])
        }
        Op::Convert => {
            arity(op, operands, 1)?;
            let t = want_declared(op, declared)?;
            if t.shape != operands[0].shape {
                return Err(Error::shape(name, "convert keeps the shape"));
            }
            Ok(vec![t.clone()])
        }
        Op::BitcastConvert => {
            arity(op, operands, 1)?;
            let t = want_declared(op, declared)?;
            let x = &operands[0];
            let shape = bitcast_shape(x.dtype, &x.shape, t.dtype)?;
            if t.shape != shape {
                return Err(Error::shape(
                    name,
                    format!(
                        "reinterpreting {x} as {} gives shape {shape}, not {}",
                        t.dtype, t.shape
                    ),
                ));
            }
            Ok(vec![t.clone()])
        }
        Op::BroadcastInDim { dims } => {
            arity(op, operands, 1)?;
            let t = want_declared(op, declared)?;
            let x = &operands[0];
            if t.dtype != x.dtype {
                return Err(Error::dtype(name, "broadcast keeps the dtype"));
            }
            if dims.len() != x.shape.rank() {
                return Err(Error::shape(
                    name,
                    format!(
                        "needs one target dim per operand dim: {} vs rank {}",
                        dims.len(),
                        x.shape.rank()
                    ),
                ));
            }
            check_axes(name, "target", dims, t.shape.rank())?;
            for (i, &d) in dims.iter().enumerate() {
                let (s, o) = (x.shape.0[i], t.shape.0[d]);
                if s != 1 && s != o {
                    return Err(Error::shape(
                        name,
                        format!(
                            "cannot broadcast {} to {}: dim {i} has size {s}, target {o}",
                            x.shape, t.shape
                        ),
                    ));
                }
            }
            Ok(vec![t.clone()])
        }
        Op::Reshape => {
            arity(op, operands, 1)?;
            let t = want_declared(op, declared)?;
            let x = &operands[0];
            if t.dtype != x.dtype {
                return Err(Error::dtype(name, "reshape keeps the dtype"));
            }
            if t.shape.numel() != x.shape.numel() {
                return Err(Error::shape(
                    name,
                    format!(
                        "cannot reshape {} ({} elements) into {} ({} elements)",
                        x.shape,
                        x.shape.numel(),
                        t.shape,
                        t.shape.numel()
                    ),
                ));
            }
            Ok(vec![t.clone()])
        }
        Op::Transpose { perm } => {
            arity(op, operands, 1)?;
            let x = &operands[0];
            if perm.len() != x.shape.rank() {
                return Err(Error::shape(
                    name,
                    format!(
                        "permutation {perm:?} has wrong length for rank {}",
                        x.shape.rank()
                    ),
                ));
            }
            check_axes(name, "permutation", perm, x.shape.rank())?;
            Ok(vec![TensorType::new(
                x.dtype,
                perm.iter().map(|&p| x.shape.0[p]).collect::<Vec<_>>(),
            )])
        }
        Op::Slice {
            start,
            limit,
            strides,
        } => {
            arity(op, operands, 1)?;
            let x = &operands[0];
            let r = x.shape.rank();
            if start.len() != r || limit.len() != r || strides.len() != r {
                return Err(Error::shape(
                    name,
                    format!("start/limit/strides need {r} entries"),
                ));
            }
            let mut dims = Vec::with_capacity(r);
            for i in 0..r {
                if strides[i] == 0 || start[i] > limit[i] || limit[i] > x.shape.0[i] {
                    return Err(Error::shape(
                        name,
                        format!(
                            "dim {i}: [{}:{}:{}] is invalid for size {}",
                            start[i], limit[i], strides[i], x.shape.0[i]
                        ),
                    ));
                }
                dims.push((limit[i] - start[i]).div_ceil(strides[i]));
            }
            Ok(vec![TensorType::new(x.dtype, dims)])
        }
        Op::DynamicSlice { sizes } => {
            let x = operands
                .first()
                .ok_or_else(|| Error::invalid(name, "missing operand"))?;
            let r = x.shape.rank();
            arity(op, operands, 1 + r)?;
            starts_ok(name, &operands[1..])?;
            if sizes.len() != r {
                return Err(Error::shape(name, format!("needs {r} slice sizes")));
            }
            for (i, (&s, &d)) in sizes.iter().zip(&x.shape.0).enumerate() {
                if s > d {
                    return Err(Error::shape(
                        name,
                        format!("slice size {s} exceeds dim {i} of size {d}"),
                    ));
                }
            }
            Ok(vec![TensorType::new(x.dtype, sizes.clone())])
        }
        Op::DynamicUpdateSlice => {
            let x = operands
                .first()
                .ok_or_else(|| Error::invalid(name, "missing operand"))?;
            let r = x.shape.rank();
            arity(op, operands, 2 + r)?;
            let u = &operands[1];
            if u.dtype != x.dtype || u.shape.rank() != r {
                return Err(Error::shape(
                    name,
                    format!("update {u} does not fit operand {x}"),
                ));
            }
            for i in 0..r {
                if u.shape.0[i] > x.shape.0[i] {
                    return Err(Error::shape(
                        name,
                        format!("update {u} is larger than operand {x}"),
                    ));
                }
            }
            starts_ok(name, &operands[2..])?;
            Ok(vec![x.clone()])
        }
        Op::Concatenate { dim } => {
            let first = operands
                .first()
                .ok_or_else(|| Error::invalid(name, "needs at least one operand"))?;
            let r = first.shape.rank();
            if *dim >= r {
                return Err(Error::invalid(
                    name,
                    format!("dimension {dim} out of range for rank {r}"),
                ));
            }
            let mut out = first.shape.0.clone();
            out[*dim] = 0;
            for t in operands {
                if t.dtype != first.dtype || t.shape.rank() != r {
                    return Err(Error::shape(
                        name,
                        format!("operand {t} does not match {first}"),
                    ));
                }
                for i in 0..r {
                    if i != *dim && t.shape.0[i] != first.shape.0[i] {
                        return Err(Error::shape(
                            name,
                            format!("operand {t} differs from {first} outside dim {dim}"),
                        ));
                    }
                }
                out[*dim] += t.shape.0[*dim];
            }
            Ok(vec![TensorType::new(first.dtype, out)])
        }
        Op::Pad {
            low,
            high,
            interior,
        } => {
            arity(op, operands, 2)?;
            let (x, v) = (&operands[0], &operands[1]);
            let r = x.shape.rank();
            if v.dtype != x.dtype || v.shape.rank() != 0 {
                return Err(Error::shape(
                    name,
                    format!("pad value must be a {} scalar, got {v}", x.dtype),
                ));
            }
            if low.len() != r || high.len() != r || interior.len() != r {
                return Err(Error::shape(
                    name,
                    format!("low/high/interior need {r} entries"),
                ));
            }
            let mut dims = Vec::with_capacity(r);
            for i in 0..r {
                let n = x.shape.0[i] as i64;
                let inner = if n == 0 {
                    0
                } else {
                    n + (n - 1) * interior[i] as i64
                };
                let d = inner + low[i] + high[i];
                if d < 0 {
                    return Err(Error::shape(
                        name,
                        format!("dim {i} would have negative size {d}"),
                    ));
                }
                dims.push(d as usize);
            }
            Ok(vec![TensorType::new(x.dtype, dims)])
        }
        Op::Gather(g) => {
            arity(op, operands, 2)?;
            gather(g, &operands[0], &operands[1]).map(|t| vec![t])
        }
        Op::Scatter { dims, update } => {
            arity(op, operands, 3)?;
            scatter(dims, &operands[0], &operands[1], &operands[2])?;
            let s = TensorType::scalar(operands[0].dtype);
            region_sig(name, "update", update, &[s.clone(), s.clone()], &[s])?;
            Ok(vec![operands[0].clone()])
        }
        Op::DotGeneral(d) => {
            arity(op, operands, 2)?;
            let mut t = dot_general(d, &operands[0], &operands[1])?;
            if let Some(decl) = declared.first() {
                if decl.shape != t.shape {
                    return Err(Error::shape(
                        name,
                        format!("declared result {decl} but the result is {t}"),
                    ));
                }
                t.dtype = decl.dtype;
            }
            Ok(vec![t])
        }
        Op::Reduce { dims, body } => {
            let n = operands.len() / 2;
            if n == 0 || !operands.len().is_multiple_of(2) {
                return Err(Error::invalid(name, "needs n inputs and n init values"));
            }
            let x0 = &operands[0];
            check_axes(name, "reduced", dims, x0.shape.rank())?;
            let mut outs = Vec::with_capacity(n);
            let mut scalars = Vec::with_capacity(n);
            for i in 0..n {
                let (x, init) = (&operands[i], &operands[n + i]);
                if x.shape != x0.shape {
                    return Err(Error::shape(
                        name,
                        format!("inputs {x0} and {x} differ in shape"),
                    ));
                }
                if init.shape.rank() != 0 || init.dtype != x.dtype {
                    return Err(Error::shape(
                        name,
                        format!("init value {i} must be a {} scalar, got {init}", x.dtype),
                    ));
                }
                let kept: Vec<usize> = (0..x.shape.rank())
                    .filter(|a| !dims.contains(a))
                    .map(|a| x.shape.0[a])
                    .collect();
                outs.push(TensorType::new(x.dtype, kept));
                scalars.push(TensorType::scalar(x.dtype));
            }
            let params: Vec<TensorType> = scalars.iter().chain(scalars.iter()).cloned().collect();
            region_sig(name, "body", body, &params, &scalars)?;
            Ok(outs)
        }
        Op::ReduceWindow { window, body } => {
            let n = operands.len() / 2;
            if n == 0 || !operands.len().is_multiple_of(2) {
                return Err(Error::invalid(name, "needs n inputs and n init values"));
            }
            let x0 = &operands[0];
            let r = x0.shape.rank();
            let w = window;
            if w.window_dimensions.len() != r
                || w.window_strides.len() != r
                || w.base_dilations.len() != r
                || w.window_dilations.len() != r
                || w.padding.len() != r
            {
                return Err(Error::shape(
                    name,
                    format!("window attributes need {r} entries each"),
                ));
            }
            let mut dims = Vec::with_capacity(r);
            for i in 0..r {
                if w.window_strides[i] == 0
                    || w.base_dilations[i] == 0
                    || w.window_dilations[i] == 0
                    || w.window_dimensions[i] == 0
                {
                    return Err(Error::invalid(
                        name,
                        format!("dim {i}: sizes, strides and dilations must be >= 1"),
                    ));
                }
                let n_in = x0.shape.0[i] as i64;
                let dilated = if n_in == 0 {
                    0
                } else {
                    (n_in - 1) * w.base_dilations[i] as i64 + 1
                };
                let padded = dilated + w.padding[i].0 + w.padding[i].1;
                let wd = (w.window_dimensions[i] as i64 - 1) * w.window_dilations[i] as i64 + 1;
                let d = if padded < wd {
                    0
                } else {
                    (padded - wd) / w.window_strides[i] as i64 + 1
                };
                dims.push(d as usize);
            }
            let mut outs = Vec::new();
            let mut scalars = Vec::new();
            for i in 0..n {
                let (x, init) = (&operands[i], &operands[n + i]);
                if x.shape != x0.shape || init.shape.rank() != 0 || init.dtype != x.dtype {
                    return Err(Error::shape(
                        name,
                        format!("input {i} or its init value does not fit"),
                    ));
                }
                outs.push(TensorType::new(x.dtype, dims.clone()));
                scalars.push(TensorType::scalar(x.dtype));
            }
            let params: Vec<TensorType> = scalars.iter().chain(scalars.iter()).cloned().collect();
            region_sig(name, "body", body, &params, &scalars)?;
            Ok(outs)
        }
        Op::Convolution(c) => {
            arity(op, operands, 2)?;
            convolution(c, &operands[0], &operands[1]).map(|t| vec![t])
        }
        Op::Sort {
            dim, comparator, ..
        } => {
            let x0 = operands
                .first()
                .ok_or_else(|| Error::invalid(name, "needs at least one operand"))?;
            if *dim >= x0.shape.rank() {
                return Err(Error::invalid(
                    name,
                    format!("dimension {dim} out of range for rank {}", x0.shape.rank()),
                ));
            }
            let mut params = Vec::new();
            for x in operands {
                if x.shape != x0.shape {
                    return Err(Error::shape(
                        name,
                        format!("operands {x0} and {x} differ in shape"),
                    ));
                }
                params.push(TensorType::scalar(x.dtype));
                params.push(TensorType::scalar(x.dtype));
            }
            region_sig(
                name,
                "comparator",
                comparator,
                &params,
                &[TensorType::scalar(DType::Bool)],
            )?;
            Ok(operands.to_vec())
        }
        Op::While { cond, body } => {
            region_sig(
                name,
                "cond",
                cond,
                operands,
                &[TensorType::scalar(DType::Bool)],
            )?;
            region_sig(name, "body", body, operands, operands)?;
            Ok(operands.to_vec())
        }
        Op::Case { branches } => {
            let idx = operands
                .first()
                .ok_or_else(|| Error::invalid(name, "needs an index operand"))?;
            if idx.dtype != DType::I32 || idx.shape.rank() != 0 {
                return Err(Error::dtype(
                    name,
                    format!("index must be an i32 scalar, got {idx}"),
                ));
            }
            let first = branches
                .first()
                .ok_or_else(|| Error::invalid(name, "needs at least one branch"))?;
            let outs = first.output_types();
            for b in branches {
                region_sig(name, "branch", b, &operands[1..], &outs)?;
            }
            Ok(outs)
        }
    }
}

fn region_sig(
    op: &str,
    what: &str,
    g: &Graph,
    params: &[TensorType],
    outs: &[TensorType],
) -> Result<()> {
    let p = g.param_types();
    let o = g.output_types();
    if p != params || o != outs {
        return Err(Error::shape(
            op,
            format!(
                "{what} region has type ({}) -> ({}), expected ({}) -> ({})",
                list(&p),
                list(&o),
                list(params),
                list(outs)
            ),
        ));
    }
    Ok(())
}

fn list(ts: &[TensorType]) -> String {
    ts.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn starts_ok(op: &str, starts: &[TensorType]) -> Result<()> {
    for s in starts {
        if s.shape.rank() != 0 || !s.dtype.is_int() {
            return Err(Error::dtype(
                op,
                format!("start indices must be integer scalars, got {s}"),
            ));
        }
    }
    Ok(())
}

fn same_type(op: &str, a: &TensorType, b: &TensorType) -> Result<()> {
    if a.dtype != b.dtype {
        return Err(Error::dtype(
            op,
            format!("operand dtypes differ: {} vs {}", a.dtype, b.dtype),
        ));
    }
    if a.shape != b.shape {
        return Err(Error::shape(
            op,
            format!("operand shapes differ: {} vs {}", a.shape, b.shape),
        ));
    }
    Ok(())
}

/// Result type of an elementwise unary op.
pub fn unary(u: UnaryOp, x: &TensorType) -> Result<TensorType> {
    let d = x.dtype;
    let ok = match u {
        UnaryOp::Neg | UnaryOp::Sign => d.is_int() || d.is_float(),
        UnaryOp::Abs => d.is_signed_int() || d.is_float(),
        UnaryOp::Not => d.is_int() || d.is_bool(),
        UnaryOp::PopCnt | UnaryOp::Clz => d.is_int(),
        _ => d.is_float(),
    };
    if !ok {
        return Err(Error::dtype(u.name(), format!("not defined for {d}")));
    }
    if u == UnaryOp::IsFinite {
        return Ok(TensorType::new(DType::Bool, x.shape.clone()));
    }
    Ok(x.clone())
}

/// Result type of an elementwise binary op.
pub fn binary(b: BinaryOp, x: &TensorType, y: &TensorType) -> Result<TensorType> {
    same_type(b.name(), x, y)?;
    let d = x.dtype;
    let ok = match b {
        BinaryOp::Add
        | BinaryOp::Sub
        | BinaryOp::Mul
        | BinaryOp::Div
        | BinaryOp::Rem
        | BinaryOp::Max
        | BinaryOp::Min => {
            d.is_int()
                || d.is_float()
                || (d.is_bool() && matches!(b, BinaryOp::Max | BinaryOp::Min))
        }
        BinaryOp::Pow => d.is_int() || d.is_float(),
        BinaryOp::Atan2 => d.is_float(),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => d.is_int() || d.is_bool(),
        BinaryOp::ShiftLeft | BinaryOp::ShiftRightLogical | BinaryOp::ShiftRightArithmetic => {
            d.is_int()
        }
    };
    if !ok {
        return Err(Error::dtype(b.name(), format!("not defined for {d}")));
    }
    Ok(x.clone())
}

/// Result type of `dot_general` (dtype of the operands).
pub fn dot_general(d: &DotDims, l: &TensorType, r: &TensorType) -> Result<TensorType> {
    let name = "dot_general";
    if l.dtype != r.dtype {
        return Err(Error::dtype(
            name,
            format!("operand dtypes differ: {} vs {}", l.dtype, r.dtype),
        ));
    }
    if l.dtype.is_bool() {
        return Err(Error::dtype(name, "not defined for bool"));
    }
    if d.lhs_batch.len() != d.rhs_batch.len() || d.lhs_contract.len() != d.rhs_contract.len() {
        return Err(Error::invalid(
            name,
            "batch and contracting dimension lists must pair up",
        ));
    }
    let lall: Vec<usize> = d.lhs_batch.iter().chain(&d.lhs_contract).copied().collect();
    let rall: Vec<usize> = d.rhs_batch.iter().chain(&d.rhs_contract).copied().collect();
    check_axes(name, "lhs", &lall, l.shape.rank())?;
    check_axes(name, "rhs", &rall, r.shape.rank())?;
    for (a, b) in d.lhs_batch.iter().zip(&d.rhs_batch) {
        if l.shape.0[*a] != r.shape.0[*b] {
            return Err(Error::shape(
                name,
                format!(
                    "batch dimensions differ: lhs dim {a} has size {}, rhs dim {b} has size {}",
                    l.shape.0[*a], r.shape.0[*b]
                ),
            ));
        }
    }
    for (a, b) in d.lhs_contract.iter().zip(&d.rhs_contract) {
        if l.shape.0[*a] != r.shape.0[*b] {
            return Err(Error::shape(
                name,
                format!(
                    "contracting dimensions differ: lhs {} dim {a} has size {}, rhs {} dim {b} has size {}",
                    l.shape, l.shape.0[*a], r.shape, r.shape.0[*b]
                ),
            ));
        }
    }
    let mut dims: Vec<usize> = d.lhs_batch.iter().map(|&a| l.shape.0[a]).collect();
    dims.extend(
        (0..l.shape.rank())
            .filter(|a| !lall.contains(a))
            .map(|a| l.shape.0[a]),
    );
    dims.extend(
        (0..r.shape.rank())
            .filter(|a| !rall.contains(a))
            .map(|a| r.shape.0[a]),
    );
    Ok(TensorType::new(l.dtype, dims))
}

fn gather(g: &GatherDims, x: &TensorType, idx: &TensorType) -> Result<TensorType> {
    let name = "gather";
    if !idx.dtype.is_int() {
        return Err(Error::dtype(
            name,
            format!("indices must be integers, got {}", idx.dtype),
        ));
    }
    let r = x.shape.rank();
    if g.slice_sizes.len() != r {
        return Err(Error::shape(name, format!("slice_sizes needs {r} entries")));
    }
    for i in 0..r {
        if g.slice_sizes[i] > x.shape.0[i] {
            return Err(Error::shape(
                name,
                format!(
                    "slice size {} exceeds dim {i} of {}",
                    g.slice_sizes[i], x.shape
                ),
            ));
        }
    }
    check_axes(name, "collapsed", &g.collapsed_slice_dims, r)?;
    check_axes(name, "operand batching", &g.operand_batching_dims, r)?;
    for &c in g
        .collapsed_slice_dims
        .iter()
        .chain(&g.operand_batching_dims)
    {
        if g.slice_sizes[c] > 1 {
            return Err(Error::shape(
                name,
                format!("collapsed/batching dim {c} must have slice size <= 1"),
            ));
        }
    }
    check_axes(name, "start_index_map", &g.start_index_map, r)?;
    let ir = idx.shape.rank();
    if g.index_vector_dim > ir {
        return Err(Error::invalid(
            name,
            format!("index_vector_dim {} out of range", g.index_vector_dim),
        ));
    }
    let mut batch_shape: Vec<usize> = idx.shape.0.clone();
    let ivec = if g.index_vector_dim < ir {
        batch_shape.remove(g.index_vector_dim)
    } else {
        1
    };
    if ivec != g.start_index_map.len() {
        return Err(Error::shape(
            name,
            format!(
                "index vectors have {ivec} components, start_index_map has {}",
                g.start_index_map.len()
            ),
        ));
    }
    if g.operand_batching_dims.len() != g.start_indices_batching_dims.len() {
        return Err(Error::invalid(name, "batching dims must pair up"));
    }
    let offset_sizes: Vec<usize> = (0..r)
        .filter(|d| !g.collapsed_slice_dims.contains(d) && !g.operand_batching_dims.contains(d))
        .map(|d| g.slice_sizes[d])
        .collect();
    if offset_sizes.len() != g.offset_dims.len() {
        return Err(Error::shape(
            name,
            format!("offset_dims needs {} entries", offset_sizes.len()),
        ));
    }
    let out_rank = batch_shape.len() + offset_sizes.len();
    check_axes(name, "offset", &g.offset_dims, out_rank)?;
    let mut out = vec![0usize; out_rank];
    let (mut bi, mut oi) = (0, 0);
    for (d, o) in out.iter_mut().enumerate() {
        if g.offset_dims.contains(&d) {
            *o = offset_sizes[oi];
            oi += 1;
        } else {
            *o = batch_shape[bi];
            bi += 1;
        }
    }
    Ok(TensorType::new(x.dtype, out))
}

fn scatter(s: &ScatterDims, x: &TensorType, idx: &TensorType, upd: &TensorType) -> Result<()> {
    let name = "scatter";
    if !idx.dtype.is_int() {
        return Err(Error::dtype(
            name,
            format!("indices must be integers, got {}", idx.dtype),
        ));
    }
    if upd.dtype != x.dtype {
        return Err(Error::dtype(
            name,
            format!("updates have dtype {}, operand {}", upd.dtype, x.dtype),
        ));
    }
    let r = x.shape.rank();
    check_axes(name, "inserted window", &s.inserted_window_dims, r)?;
    check_axes(name, "input batching", &s.input_batching_dims, r)?;
    check_axes(
        name,
        "scatter_dims_to_operand_dims",
        &s.scatter_dims_to_operand_dims,
        r,
    )?;
    let ir = idx.shape.rank();
    if s.index_vector_dim > ir {
        return Err(Error::invalid(name, "index_vector_dim out of range"));
    }
    let mut batch_shape = idx.shape.0.clone();
    let ivec = if s.index_vector_dim < ir {
        batch_shape.remove(s.index_vector_dim)
    } else {
        1
    };
    if ivec != s.scatter_dims_to_operand_dims.len() {
        return Err(Error::shape(
            name,
            "index vector length does not match scatter_dims_to_operand_dims",
        ));
    }
    let window_rank = r - s.inserted_window_dims.len() - s.input_batching_dims.len();
    if s.update_window_dims.len() != window_rank
        || upd.shape.rank() != batch_shape.len() + window_rank
    {
        return Err(Error::shape(
            name,
            format!("updates {upd} do not fit operand {x} and indices {idx}"),
        ));
    }
    check_axes(
        name,
        "update window",
        &s.update_window_dims,
        upd.shape.rank(),
    )?;
    let scatter_dims: Vec<usize> = (0..upd.shape.rank())
        .filter(|d| !s.update_window_dims.contains(d))
        .collect();
    for (k, d) in scatter_dims.iter().enumerate() {
        if upd.shape.0[*d] != batch_shape[k] {
            return Err(Error::shape(
                name,
                format!(
                    "update dim {d} must equal index batch size {}",
                    batch_shape[k]
                ),
            ));
        }
    }
    let window_operand_dims: Vec<usize> = (0..r)
        .filter(|d| !s.inserted_window_dims.contains(d) && !s.input_batching_dims.contains(d))
        .collect();
    for (k, &d) in s.update_window_dims.iter().enumerate() {
        if upd.shape.0[d] > x.shape.0[window_operand_dims[k]] {
            return Err(Error::shape(
                name,
                format!("update window dim {d} is larger than the operand"),
            ));
        }
    }
    Ok(())
}

fn convolution(c: &crate::ConvAttrs, l: &TensorType, k: &TensorType) -> Result<TensorType> {
    let name = "convolution";
    if l.dtype != k.dtype || !(l.dtype.is_float() || l.dtype.is_int()) {
        return Err(Error::dtype(
            name,
            format!(
                "operand dtypes {} and {} must match and be numeric",
                l.dtype, k.dtype
            ),
        ));
    }
    let r = l.shape.rank();
    if r < 2 || k.shape.rank() != r {
        return Err(Error::shape(
            name,
            format!("input {l} and kernel {k} must have the same rank >= 2"),
        ));
    }
    let ns = r - 2;
    let d = &c.dims;
    if d.input_spatial.len() != ns || d.kernel_spatial.len() != ns || d.output_spatial.len() != ns {
        return Err(Error::shape(
            name,
            format!("needs {ns} spatial dims everywhere"),
        ));
    }
    if c.window_strides.len() != ns
        || c.padding.len() != ns
        || c.lhs_dilation.len() != ns
        || c.rhs_dilation.len() != ns
    {
        return Err(Error::shape(
            name,
            format!("strides/padding/dilations need {ns} entries"),
        ));
    }
    let mut in_axes = vec![d.input_batch, d.input_feature];
    in_axes.extend(&d.input_spatial);
    check_axes(name, "input", &in_axes, r)?;
    let mut k_axes = vec![d.kernel_input_feature, d.kernel_output_feature];
    k_axes.extend(&d.kernel_spatial);
    check_axes(name, "kernel", &k_axes, r)?;
    let mut o_axes = vec![d.output_batch, d.output_feature];
    o_axes.extend(&d.output_spatial);
    check_axes(name, "output", &o_axes, r)?;
    let (fg, bg) = (c.feature_group_count, c.batch_group_count);
    if fg == 0 || bg == 0 || (fg > 1 && bg > 1) {
        return Err(Error::invalid(
            name,
            "group counts must be >= 1 and not both > 1",
        ));
    }
    let in_f = l.shape.0[d.input_feature];
    let k_in = k.shape.0[d.kernel_input_feature];
    let k_out = k.shape.0[d.kernel_output_feature];
    if !in_f.is_multiple_of(fg) || in_f / fg != k_in {
        return Err(Error::shape(
            name,
            format!("input has {in_f} features, kernel expects {k_in} per group ({fg} groups)"),
        ));
    }
    if !k_out.is_multiple_of(fg)
        || !k_out.is_multiple_of(bg)
        || !l.shape.0[d.input_batch].is_multiple_of(bg)
    {
        return Err(Error::shape(
            name,
            "output features / batch not divisible by the group counts",
        ));
    }
    let mut out = vec![0usize; r];
    out[d.output_batch] = l.shape.0[d.input_batch] / bg;
    out[d.output_feature] = k_out;
    for i in 0..ns {
        if c.window_strides[i] == 0 || c.lhs_dilation[i] == 0 || c.rhs_dilation[i] == 0 {
            return Err(Error::invalid(name, "strides and dilations must be >= 1"));
        }
        let n = l.shape.0[d.input_spatial[i]] as i64;
        let dil = if n == 0 {
            0
        } else {
            (n - 1) * c.lhs_dilation[i] as i64 + 1
        };
        let padded = dil + c.padding[i].0 + c.padding[i].1;
        let kw = k.shape.0[d.kernel_spatial[i]] as i64;
        let wd = if kw == 0 {
            0
        } else {
            (kw - 1) * c.rhs_dilation[i] as i64 + 1
        };
        let o = if padded < wd {
            0
        } else {
            (padded - wd) / c.window_strides[i] as i64 + 1
        };
        out[d.output_spatial[i]] = o as usize;
    }
    Ok(TensorType::new(l.dtype, out))
}

/// Re-checks every node of a graph (and its regions) against its rule.
pub fn verify(g: &Graph) -> Result<()> {
    g.validate()?;
    for id in g.node_ids() {
        let node = g.node(id);
        let ops: Vec<TensorType> = g
            .operands(id)
            .iter()
            .map(|v| g.value_type(*v).clone())
            .collect();
        let got = infer(&node.op, &ops, &node.outputs)?;
        if got != node.outputs {
            return Err(Error::shape(
                node.op.name(),
                format!(
                    "node declares ({}) but its rule gives ({})",
                    list(&node.outputs),
                    list(&got)
                ),
            ));
        }
        for r in node.op.regions() {
            verify(r)?;
        }
    }
    Ok(())
}

/// The broadcast of two shapes by numpy rules (used by the traced API's implicit broadcasting).
pub fn broadcast_shapes(op: &str, a: &Shape, b: &Shape) -> Result<Shape> {
    let r = a.rank().max(b.rank());
    let mut out = vec![0; r];
    for (i, o) in out.iter_mut().enumerate() {
        let da = if i + a.rank() >= r {
            a.0[i + a.rank() - r]
        } else {
            1
        };
        let db = if i + b.rank() >= r {
            b.0[i + b.rank() - r]
        } else {
            1
        };
        *o = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::shape(
                op,
                format!("shapes {a} and {b} are not broadcast-compatible"),
            ));
        };
    }
    Ok(Shape(out))
}
