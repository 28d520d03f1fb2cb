//! Data-movement ops, done on raw element bytes (dtype independent).

use super::value::{decode_at, internal};
use crate::{Error, Literal, Result, TensorType};

/// Calls `f` with every multi-index of `dims` in row-major order (once for rank 0, never
/// for a zero-size shape).
pub(crate) fn for_each_index(
    dims: &[usize],
    mut f: impl FnMut(&[usize]) -> Result<()>,
) -> Result<()> {
    if dims.contains(&0) {
        return Ok(());
    }
    let mut idx = vec![0usize; dims.len()];
    loop {
        f(&idx)?;
        let mut k = dims.len();
        loop {
            if k == 0 {
                return Ok(());
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < dims[k] {
                break;
            }
            idx[k] = 0;
        }
    }
}

/// Copies elements of `src` (element width `w`) into a new buffer shaped `out_dims`: output
/// element `idx` is source element `base + sum(idx[i] * strides[i])`.
pub(crate) fn strided_copy(
    src: &[u8],
    w: usize,
    out_dims: &[usize],
    strides: &[usize],
    base: usize,
) -> Result<Vec<u8>> {
    let n: usize = out_dims.iter().product();
    let mut out = Vec::with_capacity(n * w);
    if n == 0 {
        return Ok(out);
    }
    let r = out_dims.len();
    if r == 0 {
        out.extend_from_slice(get(src, base, w)?);
        return Ok(out);
    }
    let (inner_n, inner_s) = (out_dims[r - 1], strides[r - 1]);
    let outer = &out_dims[..r - 1];
    let outer_s = &strides[..r - 1];
    for_each_index(outer, |idx| {
        let off = base + idx.iter().zip(outer_s).map(|(i, s)| i * s).sum::<usize>();
        if inner_s == 1 {
            let start = off * w;
            let end = start + inner_n * w;
            out.extend_from_slice(
                src.get(start..end)
                    .ok_or_else(|| internal("copy", "source index out of range"))?,
            );
        } else {
            for j in 0..inner_n {
                out.extend_from_slice(get(src, off + j * inner_s, w)?);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

fn get(src: &[u8], i: usize, w: usize) -> Result<&[u8]> {
    src.get(i * w..(i + 1) * w)
        .ok_or_else(|| internal("copy", "source index out of range"))
}

/// `broadcast_in_dim(x)`: operand dim `i` maps to output dim `dims[i]`.
pub(crate) fn broadcast_in_dim(x: &Literal, dims: &[usize], out: &TensorType) -> Result<Literal> {
    let xd = x.shape().dims();
    let od = out.shape.dims();
    if dims.len() != xd.len() {
        return Err(Error::shape(
            "broadcast_in_dim",
            "one target dim per operand dim needed",
        ));
    }
    let xs = x.shape().strides();
    let mut strides = vec![0usize; od.len()];
    for (i, &d) in dims.iter().enumerate() {
        let target = *od.get(d).ok_or_else(|| {
            Error::invalid("broadcast_in_dim", format!("target dim {d} out of range"))
        })?;
        if xd[i] == target {
            strides[d] = xs[i];
        } else if xd[i] != 1 {
            return Err(Error::shape(
                "broadcast_in_dim",
                format!("cannot broadcast {} to {}", x.shape(), out.shape),
            ));
        }
    }
    let bytes = strided_copy(x.bytes(), x.dtype().byte_size(), od, &strides, 0)?;
    Literal::from_bytes(out.clone(), bytes)
}

/// `reshape(x)`: the same row-major data with the output shape.
pub(crate) fn reshape(x: &Literal, out: &TensorType) -> Result<Literal> {
    Literal::from_bytes(out.clone(), x.bytes().to_vec())
}

/// `transpose(x)`: output dim `i` is operand dim `perm[i]`.
pub(crate) fn transpose(x: &Literal, perm: &[usize], out: &TensorType) -> Result<Literal> {
    let xs = x.shape().strides();
    let strides = perm
        .iter()
        .map(|&p| xs.get(p).copied())
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::invalid("transpose", "permutation out of range"))?;
    let bytes = strided_copy(
        x.bytes(),
        x.dtype().byte_size(),
        out.shape.dims(),
        &strides,
        0,
    )?;
    Literal::from_bytes(out.clone(), bytes)
}

/// Transposes the raw bytes of `x` with `perm` (used by dot_general).
pub(crate) fn permute_bytes(x: &Literal, perm: &[usize]) -> Result<Literal> {
    let dims = x.shape().dims();
    let od = perm
        .iter()
        .map(|&p| dims.get(p).copied())
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| Error::invalid("transpose", "permutation out of range"))?;
    transpose(x, perm, &TensorType::new(x.dtype(), od))
}

/// `slice(x)` with static start, limit and stride.
pub(crate) fn slice(
    x: &Literal,
    start: &[usize],
    strides_: &[usize],
    out: &TensorType,
) -> Result<Literal> {
    let xs = x.shape().strides();
    let base: usize = start.iter().zip(&xs).map(|(a, s)| a * s).sum();
    let strides: Vec<usize> = strides_.iter().zip(&xs).map(|(a, s)| a * s).collect();
    let bytes = strided_copy(
        x.bytes(),
        x.dtype().byte_size(),
        out.shape.dims(),
        &strides,
        base,
    )?;
    Literal::from_bytes(out.clone(), bytes)
}

/// Reads a scalar integer start index.
fn start_index(op: &str, l: &Literal) -> Result<i128> {
    if l.shape().rank() != 0 || !l.dtype().is_int() {
        return Err(Error::dtype(
            op,
            format!("start indices must be integer scalars, got {}", l.ty()),
        ));
    }
    Ok(decode_at(l, 0).to_i128())
}

/// Start indices clamped into `[0, dim - size]`.
fn clamped_starts(
    op: &str,
    starts: &[&Literal],
    dims: &[usize],
    sizes: &[usize],
) -> Result<Vec<usize>> {
    if starts.len() != dims.len() || sizes.len() != dims.len() {
        return Err(Error::invalid(
            op,
            format!("needs {} start indices", dims.len()),
        ));
    }
    let mut out = Vec::with_capacity(dims.len());
    for i in 0..dims.len() {
        if sizes[i] > dims[i] {
            return Err(Error::shape(
                op,
                format!("size {} exceeds dim {i} of size {}", sizes[i], dims[i]),
            ));
        }
        let hi = (dims[i] - sizes[i]) as i128;
        out.push(start_index(op, starts[i])?.clamp(0, hi) as usize);
    }
    Ok(out)
}

/// `dynamic_slice(x, starts...)` with start indices clamped into range.
pub(crate) fn dynamic_slice(
    x: &Literal,
    starts: &[&Literal],
    sizes: &[usize],
    out: &TensorType,
) -> Result<Literal> {
    let s = clamped_starts("dynamic_slice", starts, x.shape().dims(), sizes)?;
    let xs = x.shape().strides();
    let base: usize = s.iter().zip(&xs).map(|(a, b)| a * b).sum();
    let bytes = strided_copy(x.bytes(), x.dtype().byte_size(), sizes, &xs, base)?;
    Literal::from_bytes(out.clone(), bytes)
}

/// `dynamic_update_slice(x, update, starts...)` with start indices clamped into range.
pub(crate) fn dynamic_update_slice(
    x: &Literal,
    update: &Literal,
    starts: &[&Literal],
    out: &TensorType,
) -> Result<Literal> {
    let ud = update.shape().dims();
    if update.dtype() != x.dtype() || ud.len() != x.shape().rank() {
        return Err(Error::shape(
            "dynamic_update_slice",
            format!("update {} does not fit operand {}", update.ty(), x.ty()),
        ));
    }
    let s = clamped_starts("dynamic_update_slice", starts, x.shape().dims(), ud)?;
    let xs = x.shape().strides();
    let w = x.dtype().byte_size();
    let mut bytes = x.bytes().to_vec();
    let ub = update.bytes();
    let mut k = 0usize;
    for_each_index(ud, |idx| {
        let off: usize = idx
            .iter()
            .zip(&s)
            .zip(&xs)
            .map(|((i, a), st)| (i + a) * st)
            .sum();
        bytes[off * w..(off + 1) * w].copy_from_slice(&ub[k * w..(k + 1) * w]);
        k += 1;
        Ok(())
    })?;
    Literal::from_bytes(out.clone(), bytes)
}

/// `concatenate(xs...)` along `dim`.
pub(crate) fn concatenate(xs: &[&Literal], dim: usize, out: &TensorType) -> Result<Literal> {
    let od = out.shape.dims();
    if dim >= od.len() {
        return Err(Error::invalid(
            "concatenate",
            format!("dimension {dim} out of range"),
        ));
    }
    let w = out.dtype.byte_size();
    let outer: usize = od[..dim].iter().product();
    let inner: usize = od[dim + 1..].iter().product();
    let mut bytes = Vec::with_capacity(out.byte_size());
    for o in 0..outer {
        for x in xs {
            let block = x.shape().dims().get(dim).copied().unwrap_or(0) * inner * w;
            bytes.extend_from_slice(
                x.bytes()
                    .get(o * block..(o + 1) * block)
                    .ok_or_else(|| Error::shape("concatenate", "operand shapes do not fit"))?,
            );
        }
    }
    Literal::from_bytes(out.clone(), bytes)
}

/// `pad(x, value)` with (possibly negative) edge padding and interior padding.
pub(crate) fn pad(
    x: &Literal,
    value: &Literal,
    low: &[i64],
    interior: &[usize],
    out: &TensorType,
) -> Result<Literal> {
    let w = x.dtype().byte_size();
    if value.bytes().len() != w || value.dtype() != x.dtype() {
        return Err(Error::shape(
            "pad",
            "pad value must be a scalar of the operand dtype",
        ));
    }
    let od = out.shape.dims();
    let r = x.shape().rank();
    if low.len() != r || interior.len() != r || od.len() != r {
        return Err(Error::shape(
            "pad",
            format!("padding needs {r} entries per kind"),
        ));
    }
    let n = out.shape.numel();
    let mut bytes = Vec::with_capacity(n * w);
    for _ in 0..n {
        bytes.extend_from_slice(value.bytes());
    }
    let os = out.shape.strides();
    let xb = x.bytes();
    let mut k = 0usize;
    for_each_index(x.shape().dims(), |idx| {
        let mut off = 0usize;
        let mut inside = true;
        for i in 0..idx.len() {
            let p = low[i] + (idx[i] as i64) * (interior[i] as i64 + 1);
            if p < 0 || p >= od[i] as i64 {
                inside = false;
                break;
            }
            off += p as usize * os[i];
        }
        if inside {
            bytes[off * w..(off + 1) * w].copy_from_slice(&xb[k * w..(k + 1) * w]);
        }
        k += 1;
        Ok(())
    })?;
    Literal::from_bytes(out.clone(), bytes)
}
