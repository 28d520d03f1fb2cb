//! Reductions and sorting: ops that call a region per element.

use super::region::RegionFn;
use super::structural::for_each_index;
use super::value::{decode, encode, internal, Sc, Vals};
use crate::{Error, Literal, Region, Result, TensorType, WindowAttrs};

/// Splits the `2n` operands of reduce/reduce_window into inputs and init values.
fn split_inputs<'a>(
    op: &'static str,
    xs: &'a [&'a Literal],
) -> Result<(&'a [&'a Literal], &'a [&'a Literal])> {
    if xs.is_empty() || !xs.len().is_multiple_of(2) {
        return Err(Error::invalid(op, "needs n inputs and n init values"));
    }
    let (ins, inits) = xs.split_at(xs.len() / 2);
    for (x, i) in ins.iter().zip(inits) {
        if x.shape() != ins[0].shape() {
            return Err(Error::shape(op, "inputs differ in shape"));
        }
        if i.shape().rank() != 0 || i.dtype() != x.dtype() {
            return Err(Error::shape(
                op,
                format!("init value must be a {} scalar, got {}", x.dtype(), i.ty()),
            ));
        }
    }
    Ok((ins, inits))
}

/// Region argument dtypes `(acc..., x...)` for inputs `ins`.
fn body_dtypes(ins: &[&Literal]) -> Vec<crate::DType> {
    let mut d: Vec<_> = ins.iter().map(|x| x.dtype()).collect();
    d.extend(ins.iter().map(|x| x.dtype()));
    d
}

/// `reduce(x..., init...)` over `dims` with `body`, folding the reduced elements in
/// row-major order into the init values: `acc = body(acc, x)`.
pub(crate) fn reduce(
    xs: &[&Literal],
    dims: &[usize],
    body: &Region,
    outs: &[TensorType],
) -> Result<Vec<Literal>> {
    let (ins, inits) = split_inputs("reduce", xs)?;
    let n = ins.len();
    let shape = ins[0].shape();
    let sd = shape.dims();
    let st = shape.strides();
    if dims.iter().any(|&d| d >= sd.len()) {
        return Err(Error::invalid("reduce", "reduced dimension out of range"));
    }
    let kept: Vec<usize> = (0..sd.len()).filter(|d| !dims.contains(d)).collect();
    let kept_dims: Vec<usize> = kept.iter().map(|&d| sd[d]).collect();
    let red_dims: Vec<usize> = dims.iter().map(|&d| sd[d]).collect();
    // Offsets of the reduced elements relative to an output position, in row-major order of
    // the reduced dims (as listed).
    let mut inner = Vec::new();
    for_each_index(&red_dims, |idx| {
        inner.push(idx.iter().zip(dims).map(|(i, &d)| i * st[d]).sum::<usize>());
        Ok(())
    })?;
    let vals: Vec<Vals> = ins.iter().map(|x| decode(x)).collect();
    let init: Vec<Sc> = inits.iter().map(|x| decode(x).get(0)).collect();
    let mut f = RegionFn::new("reduce", body, &body_dtypes(ins), n)?;
    let out_n: usize = kept_dims.iter().product();
    let mut res: Vec<Vals> = ins
        .iter()
        .map(|x| Vals::with_capacity(x.dtype(), out_n))
        .collect();
    let mut args = vec![Sc::B(false); 2 * n];
    let mut out = Vec::with_capacity(n);
    for_each_index(&kept_dims, |idx| {
        let base: usize = idx.iter().zip(&kept).map(|(i, &d)| i * st[d]).sum();
        args[..n].copy_from_slice(&init);
        for &off in &inner {
            for k in 0..n {
                args[n + k] = vals[k].get(base + off);
            }
            f.call(&args, &mut out)?;
            if out.len() != n {
                return Err(internal(
                    "reduce",
                    "body returned the wrong number of values",
                ));
            }
            args[..n].copy_from_slice(&out);
        }
        for k in 0..n {
            res[k].push(args[k]);
        }
        Ok(())
    })?;
    res.iter().zip(outs).map(|(v, t)| encode(t, v)).collect()
}

/// `reduce_window(x..., init...)`: each output element folds, in row-major window order, the
/// window's elements that fall on real input elements into the init values. Positions in the
/// padding or in base-dilation holes are skipped (as XLA does); with an identity init value
/// this equals the StableHLO definition, which pads with the init value.
pub(crate) fn reduce_window(
    xs: &[&Literal],
    w: &WindowAttrs,
    body: &Region,
    outs: &[TensorType],
) -> Result<Vec<Literal>> {
    let (ins, inits) = split_inputs("reduce_window", xs)?;
    let n = ins.len();
    let shape = ins[0].shape();
    let sd = shape.dims();
    let st = shape.strides();
    let r = sd.len();
    if w.window_dimensions.len() != r
        || w.window_strides.len() != r
        || w.base_dilations.len() != r
        || w.window_dilations.len() != r
        || w.padding.len() != r
    {
        return Err(Error::shape(
            "reduce_window",
            "window attributes need one entry per dim",
        ));
    }
    if w.base_dilations.contains(&0)
        || w.window_strides.contains(&0)
        || w.window_dilations.contains(&0)
    {
        return Err(Error::invalid(
            "reduce_window",
            "strides and dilations must be >= 1",
        ));
    }
    let out_dims = outs
        .first()
        .ok_or_else(|| internal("reduce_window", "no result type"))?
        .shape
        .dims()
        .to_vec();
    let dilated: Vec<i64> = (0..r)
        .map(|i| {
            if sd[i] == 0 {
                0
            } else {
                (sd[i] as i64 - 1) * w.base_dilations[i] as i64 + 1
            }
        })
        .collect();
    let vals: Vec<Vals> = ins.iter().map(|x| decode(x)).collect();
    let init: Vec<Sc> = inits.iter().map(|x| decode(x).get(0)).collect();
    let mut f = RegionFn::new("reduce_window", body, &body_dtypes(ins), n)?;
    let out_n: usize = out_dims.iter().product();
    let mut res: Vec<Vals> = ins
        .iter()
        .map(|x| Vals::with_capacity(x.dtype(), out_n))
        .collect();
    let mut args = vec![Sc::B(false); 2 * n];
    let mut out = Vec::with_capacity(n);
    for_each_index(&out_dims, |o| {
        args[..n].copy_from_slice(&init);
        for_each_index(&w.window_dimensions, |k| {
            let mut off = 0usize;
            for i in 0..r {
                let p = o[i] as i64 * w.window_strides[i] as i64
                    + k[i] as i64 * w.window_dilations[i] as i64
                    - w.padding[i].0;
                let bd = w.base_dilations[i] as i64;
                if p < 0 || p >= dilated[i] || p % bd != 0 {
                    return Ok(());
                }
                off += (p / bd) as usize * st[i];
            }
            for j in 0..n {
                args[n + j] = vals[j].get(off);
            }
            f.call(&args, &mut out)?;
            if out.len() != n {
                return Err(internal(
                    "reduce_window",
                    "body returned the wrong number of values",
                ));
            }
            args[..n].copy_from_slice(&out);
            Ok(())
        })?;
        for j in 0..n {
            res[j].push(args[j]);
        }
        Ok(())
    })?;
    res.iter().zip(outs).map(|(v, t)| encode(t, v)).collect()
}

/// Stable bottom-up merge sort of `0..n` by a fallible "a before b" predicate. Never panics,
/// whatever the predicate does (an inconsistent one just gives some permutation).
pub(crate) fn merge_sort(
    n: usize,
    less: &mut dyn FnMut(usize, usize) -> Result<bool>,
) -> Result<Vec<usize>> {
    let mut a: Vec<usize> = (0..n).collect();
    let mut buf = vec![0usize; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut l, mut r, mut k) = (lo, mid, lo);
            while l < mid && r < hi {
                if less(a[r], a[l])? {
                    buf[k] = a[r];
                    r += 1;
                } else {
                    buf[k] = a[l];
                    l += 1;
                }
                k += 1;
            }
            buf[k..k + (mid - l)].copy_from_slice(&a[l..mid]);
            k += mid - l;
            buf[k..k + (hi - r)].copy_from_slice(&a[r..hi]);
            lo = hi;
        }
        std::mem::swap(&mut a, &mut buf);
        width *= 2;
    }
    Ok(a)
}

/// `sort(x...)` along `dim`: a stable sort of every 1-D slice by `comparator`, which gets
/// `(a_0, b_0, a_1, b_1, ...)` and answers "a before b".
pub(crate) fn sort(
    xs: &[&Literal],
    dim: usize,
    comparator: &Region,
    outs: &[TensorType],
) -> Result<Vec<Literal>> {
    let first = xs
        .first()
        .ok_or_else(|| Error::invalid("sort", "needs at least one operand"))?;
    let shape = first.shape();
    let sd = shape.dims();
    if dim >= sd.len() {
        return Err(Error::invalid(
            "sort",
            format!("dimension {dim} out of range"),
        ));
    }
    if xs.iter().any(|x| x.shape() != shape) {
        return Err(Error::shape("sort", "operands differ in shape"));
    }
    let st = shape.strides();
    let dtypes: Vec<_> = xs.iter().flat_map(|x| [x.dtype(), x.dtype()]).collect();
    let mut f = RegionFn::new("sort", comparator, &dtypes, 1)?;
    let vals: Vec<Vals> = xs.iter().map(|x| decode(x)).collect();
    let mut res = vals.clone();
    let len = sd[dim];
    let stride = st[dim];
    let mut outer = sd.to_vec();
    outer[dim] = 1;
    let mut args = vec![Sc::B(false); 2 * xs.len()];
    let mut out = Vec::with_capacity(1);
    for_each_index(&outer, |idx| {
        let base: usize = idx.iter().zip(&st).map(|(i, s)| i * s).sum();
        let mut less = |a: usize, b: usize| -> Result<bool> {
            for (k, v) in vals.iter().enumerate() {
                args[2 * k] = v.get(base + a * stride);
                args[2 * k + 1] = v.get(base + b * stride);
            }
            f.call(&args, &mut out)?;
            Ok(out.first().is_some_and(|s| s.to_bool()))
        };
        let perm = merge_sort(len, &mut less)?;
        for (k, v) in vals.iter().enumerate() {
            for (j, &p) in perm.iter().enumerate() {
                res[k].set(base + j * stride, v.get(base + p * stride));
            }
        }
        Ok(())
    })?;
    res.iter().zip(outs).map(|(v, t)| encode(t, v)).collect()
}
