//! `gather` and `scatter`.

use super::region::RegionFn;
use super::structural::for_each_index;
use super::value::{decode, encode, internal, Sc, Vals};
use crate::{Error, GatherDims, Literal, Region, Result, ScatterDims, TensorType};

/// Integer index data with its shape and the position of the index vectors.
struct Indices {
    vals: Vec<i128>,
    strides: Vec<usize>,
    /// `index_vector_dim` (may equal the rank: then each index vector has one component).
    ivd: usize,
    rank: usize,
}

impl Indices {
    fn new(op: &str, l: &Literal, ivd: usize) -> Result<Indices> {
        let vals = match decode(l) {
            Vals::I(v) => v,
            _ => {
                return Err(Error::dtype(
                    op,
                    format!("indices must be integers, got {}", l.dtype()),
                ))
            }
        };
        let rank = l.shape().rank();
        if ivd > rank {
            return Err(Error::invalid(
                op,
                format!("index_vector_dim {ivd} out of range"),
            ));
        }
        Ok(Indices {
            vals,
            strides: l.shape().strides(),
            ivd,
            rank,
        })
    }

    /// The dims of the index tensor other than `index_vector_dim`, given its shape.
    fn batch_shape(&self, dims: &[usize]) -> Vec<usize> {
        let mut b = dims.to_vec();
        if self.ivd < self.rank {
            b.remove(self.ivd);
        }
        b
    }

    /// Component `k` of the index vector at batch position `batch`.
    fn component(&self, batch: &[usize], k: usize) -> i128 {
        let mut off = 0usize;
        let mut b = 0usize;
        for d in 0..self.rank {
            if d == self.ivd {
                off += k * self.strides[d];
            } else {
                off += batch[b] * self.strides[d];
                b += 1;
            }
        }
        self.vals[off]
    }

    /// Position in the batch index of index dim `d` (not the index vector dim).
    fn batch_pos(&self, op: &str, d: usize) -> Result<usize> {
        if d >= self.rank || d == self.ivd {
            return Err(Error::invalid(
                op,
                format!("index batching dim {d} is invalid"),
            ));
        }
        Ok(if d < self.ivd { d } else { d - 1 })
    }
}

fn check_dims(op: &str, what: &str, dims: &[usize], rank: usize) -> Result<()> {
    if let Some(d) = dims.iter().find(|&&d| d >= rank) {
        return Err(Error::invalid(
            op,
            format!("{what} dim {d} out of range for rank {rank}"),
        ));
    }
    Ok(())
}

/// StableHLO `gather`, with start indices clamped so that each slice lies in the operand.
pub(crate) fn gather(
    x: &Literal,
    idx: &Literal,
    g: &GatherDims,
    out: &TensorType,
) -> Result<Literal> {
    let op = "gather";
    let xd = x.shape().dims();
    let r = xd.len();
    let ind = Indices::new(op, idx, g.index_vector_dim)?;
    let od = out.shape.dims();
    check_dims(op, "offset", &g.offset_dims, od.len())?;
    check_dims(op, "collapsed", &g.collapsed_slice_dims, r)?;
    check_dims(op, "operand batching", &g.operand_batching_dims, r)?;
    check_dims(op, "start_index_map", &g.start_index_map, r)?;
    if g.slice_sizes.len() != r
        || g.operand_batching_dims.len() != g.start_indices_batching_dims.len()
    {
        return Err(Error::invalid(
            op,
            "slice_sizes or batching dims do not fit",
        ));
    }
    let batch_dims: Vec<usize> = (0..od.len())
        .filter(|d| !g.offset_dims.contains(d))
        .collect();
    let offset_operand_dims: Vec<usize> = (0..r)
        .filter(|d| !g.collapsed_slice_dims.contains(d) && !g.operand_batching_dims.contains(d))
        .collect();
    let out_batch: Vec<usize> = batch_dims.iter().map(|&d| od[d]).collect();
    if offset_operand_dims.len() != g.offset_dims.len()
        || out_batch != ind.batch_shape(idx.shape().dims())
    {
        return Err(Error::shape(
            op,
            "result shape does not fit the dimension numbers",
        ));
    }
    let ivec_len = if ind.ivd < ind.rank {
        idx.shape().dims()[ind.ivd]
    } else {
        1
    };
    if ivec_len != g.start_index_map.len() {
        return Err(Error::shape(
            op,
            "index vector length does not match start_index_map",
        ));
    }
    let batching: Vec<(usize, usize)> = g
        .operand_batching_dims
        .iter()
        .zip(&g.start_indices_batching_dims)
        .map(|(&od_, &sd)| ind.batch_pos(op, sd).map(|p| (od_, p)))
        .collect::<Result<_>>()?;
    let xs = x.shape().strides();
    let w = x.dtype().byte_size();
    let xb = x.bytes();
    let mut bytes = Vec::with_capacity(out.byte_size());
    let mut batch = vec![0usize; batch_dims.len()];
    let mut full = vec![0i128; r];
    for_each_index(od, |o| {
        for (b, &d) in batch.iter_mut().zip(&batch_dims) {
            *b = o[d];
        }
        full.iter_mut().for_each(|v| *v = 0);
        for (k, &d) in g.start_index_map.iter().enumerate() {
            let hi = xd[d] as i128 - g.slice_sizes[d] as i128;
            full[d] = ind.component(&batch, k).clamp(0, hi.max(0));
        }
        for &(d, p) in &batching {
            full[d] += batch[p] as i128;
        }
        for (j, &d) in offset_operand_dims.iter().enumerate() {
            full[d] += o[g.offset_dims[j]] as i128;
        }
        let mut off = 0usize;
        for d in 0..r {
            if full[d] < 0 || full[d] >= xd[d] as i128 {
                return Err(Error::invalid(
                    op,
                    "operand index out of range (bad dimension numbers)",
                ));
            }
            off += full[d] as usize * xs[d];
        }
        bytes.extend_from_slice(&xb[off * w..(off + 1) * w]);
        Ok(())
    })?;
    Literal::from_bytes(out.clone(), bytes)
}

/// StableHLO `scatter` (one operand). Update windows are applied in order of the scatter
/// indices (row-major), each window's elements in row-major order, combining
/// `update(current, update)`. A window whose start index (plus the window size) does not fit
/// entirely inside the operand is skipped as a whole, as XLA does.
pub(crate) fn scatter(
    x: &Literal,
    idx: &Literal,
    upd: &Literal,
    s: &ScatterDims,
    region: &Region,
    out: &TensorType,
) -> Result<Literal> {
    let op = "scatter";
    let xd = x.shape().dims();
    let r = xd.len();
    let ud = upd.shape().dims();
    let ind = Indices::new(op, idx, s.index_vector_dim)?;
    check_dims(op, "update window", &s.update_window_dims, ud.len())?;
    check_dims(op, "inserted window", &s.inserted_window_dims, r)?;
    check_dims(op, "input batching", &s.input_batching_dims, r)?;
    check_dims(
        op,
        "scatter_dims_to_operand_dims",
        &s.scatter_dims_to_operand_dims,
        r,
    )?;
    if upd.dtype() != x.dtype()
        || s.input_batching_dims.len() != s.scatter_indices_batching_dims.len()
    {
        return Err(Error::invalid(op, "updates or batching dims do not fit"));
    }
    let scatter_dims: Vec<usize> = (0..ud.len())
        .filter(|d| !s.update_window_dims.contains(d))
        .collect();
    let window_operand_dims: Vec<usize> = (0..r)
        .filter(|d| !s.inserted_window_dims.contains(d) && !s.input_batching_dims.contains(d))
        .collect();
    if window_operand_dims.len() != s.update_window_dims.len() {
        return Err(Error::shape(
            op,
            "update_window_dims do not fit the operand",
        ));
    }
    let batch_shape = ind.batch_shape(idx.shape().dims());
    let scatter_sizes: Vec<usize> = scatter_dims.iter().map(|&d| ud[d]).collect();
    if batch_shape != scatter_sizes {
        return Err(Error::shape(
            op,
            "update scatter dims must match the index batch dims",
        ));
    }
    let ivec_len = if ind.ivd < ind.rank {
        idx.shape().dims()[ind.ivd]
    } else {
        1
    };
    if ivec_len != s.scatter_dims_to_operand_dims.len() {
        return Err(Error::shape(
            op,
            "index vector length does not match scatter_dims_to_operand_dims",
        ));
    }
    let batching: Vec<(usize, usize)> = s
        .input_batching_dims
        .iter()
        .zip(&s.scatter_indices_batching_dims)
        .map(|(&d, &sd)| ind.batch_pos(op, sd).map(|p| (d, p)))
        .collect::<Result<_>>()?;
    let window_sizes: Vec<usize> = s.update_window_dims.iter().map(|&d| ud[d]).collect();
    let mut wsize = vec![1usize; r];
    for (j, &d) in window_operand_dims.iter().enumerate() {
        wsize[d] = window_sizes[j];
    }
    let dt = x.dtype();
    let mut f = RegionFn::new(op, region, &[dt, dt], 1)?;
    let mut res = decode(x);
    let uv = decode(upd);
    let xs = x.shape().strides();
    let us = upd.shape().strides();
    let mut start = vec![0i128; r];
    let mut args = [Sc::B(false); 2];
    let mut outv = Vec::with_capacity(1);
    for_each_index(&scatter_sizes, |b| {
        start.iter_mut().for_each(|v| *v = 0);
        for (k, &d) in s.scatter_dims_to_operand_dims.iter().enumerate() {
            start[d] = ind.component(b, k);
        }
        for &(d, p) in &batching {
            start[d] += b[p] as i128;
        }
        let fits = (0..r).all(|d| start[d] >= 0 && start[d] + wsize[d] as i128 <= xd[d] as i128);
        if !fits {
            return Ok(());
        }
        let ubase: usize = b.iter().zip(&scatter_dims).map(|(i, &d)| i * us[d]).sum();
        let xbase: usize = (0..r).map(|d| start[d] as usize * xs[d]).sum();
        for_each_index(&window_sizes, |wi| {
            let mut uoff = ubase;
            let mut xoff = xbase;
            for (j, &i) in wi.iter().enumerate() {
                uoff += i * us[s.update_window_dims[j]];
                xoff += i * xs[window_operand_dims[j]];
            }
            args[0] = res.get(xoff);
            args[1] = uv.get(uoff);
            f.call(&args, &mut outv)?;
            let v = *outv
                .first()
                .ok_or_else(|| internal(op, "update region returned nothing"))?;
            res.set(xoff, v);
            Ok(())
        })
    })?;
    encode(out, &res)
}
