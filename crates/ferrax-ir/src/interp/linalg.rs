//! `dot_general` and `convolution`.
//!
//! Float products are accumulated in f64 (sequentially, in row-major order of the
//! contracting dims) and rounded once to the result dtype; integer products are accumulated
//! with wrapping and wrapped to the result dtype. For floats this is *not* bit-identical to
//! XLA, which accumulates in the operand precision in a blocked order: compare with a
//! tolerance.

use super::structural::{for_each_index, permute_bytes};
use super::value::{convert_sc, decode, encode, internal, Sc, Vals};
use crate::{ConvAttrs, DotDims, Error, Literal, Result, TensorType};

/// Accumulated values before conversion to the result dtype.
enum Acc {
    F(Vec<f64>),
    I(Vec<i128>),
}

fn finish(acc: Acc, out: &TensorType) -> Result<Literal> {
    let d = out.dtype;
    let mut v = Vals::with_capacity(d, out.shape.numel());
    match acc {
        Acc::F(a) => a.into_iter().for_each(|x| v.push(convert_sc(d, Sc::F(x)))),
        Acc::I(a) => a.into_iter().for_each(|x| v.push(convert_sc(d, Sc::I(x)))),
    }
    encode(out, &v)
}

fn dims_of(op: &str, dims: &[usize], axes: &[usize]) -> Result<Vec<usize>> {
    axes.iter()
        .map(|&a| {
            dims.get(a)
                .copied()
                .ok_or_else(|| Error::invalid(op, format!("axis {a} out of range")))
        })
        .collect()
}

/// `dot_general(lhs, rhs)`: result dims are batch, lhs free, rhs free.
pub(crate) fn dot_general(
    l: &Literal,
    r: &Literal,
    d: &DotDims,
    out: &TensorType,
) -> Result<Literal> {
    let op = "dot_general";
    let (ld, rd) = (l.shape().dims(), r.shape().dims());
    if d.lhs_batch.len() != d.rhs_batch.len() || d.lhs_contract.len() != d.rhs_contract.len() {
        return Err(Error::invalid(
            op,
            "batch and contracting dims must pair up",
        ));
    }
    let lf: Vec<usize> = (0..ld.len())
        .filter(|a| !d.lhs_batch.contains(a) && !d.lhs_contract.contains(a))
        .collect();
    let rf: Vec<usize> = (0..rd.len())
        .filter(|a| !d.rhs_batch.contains(a) && !d.rhs_contract.contains(a))
        .collect();
    let lperm: Vec<usize> = d
        .lhs_batch
        .iter()
        .chain(&lf)
        .chain(&d.lhs_contract)
        .copied()
        .collect();
    let rperm: Vec<usize> = d
        .rhs_batch
        .iter()
        .chain(&rf)
        .chain(&d.rhs_contract)
        .copied()
        .collect();
    if lperm.len() != ld.len() || rperm.len() != rd.len() {
        return Err(Error::invalid(op, "dimension numbers repeat an axis"));
    }
    let lb = dims_of(op, ld, &d.lhs_batch)?;
    let lc = dims_of(op, ld, &d.lhs_contract)?;
    if lb != dims_of(op, rd, &d.rhs_batch)? || lc != dims_of(op, rd, &d.rhs_contract)? {
        return Err(Error::shape(
            op,
            "batch or contracting dimension sizes differ",
        ));
    }
    let b: usize = lb.iter().product();
    let k: usize = lc.iter().product();
    let m: usize = lf.iter().map(|&a| ld[a]).product();
    let n: usize = rf.iter().map(|&a| rd[a]).product();
    if b * m * n != out.shape.numel() {
        return Err(Error::shape(op, format!("result type {out} does not fit")));
    }
    let lt = decode(&permute_bytes(l, &lperm)?);
    let rt = decode(&permute_bytes(r, &rperm)?);
    let acc = match (lt, rt) {
        (Vals::F(x), Vals::F(y)) => {
            let mut o = Vec::with_capacity(b * m * n);
            for bi in 0..b {
                for mi in 0..m {
                    let xr = &x[(bi * m + mi) * k..(bi * m + mi + 1) * k];
                    for ni in 0..n {
                        let yr = &y[(bi * n + ni) * k..(bi * n + ni + 1) * k];
                        o.push(xr.iter().zip(yr).fold(0.0f64, |a, (p, q)| a + p * q));
                    }
                }
            }
            Acc::F(o)
        }
        (Vals::I(x), Vals::I(y)) => {
            let mut o = Vec::with_capacity(b * m * n);
            for bi in 0..b {
                for mi in 0..m {
                    let xr = &x[(bi * m + mi) * k..(bi * m + mi + 1) * k];
                    for ni in 0..n {
                        let yr = &y[(bi * n + ni) * k..(bi * n + ni + 1) * k];
                        o.push(
                            xr.iter()
                                .zip(yr)
                                .fold(0i128, |a, (p, q)| a.wrapping_add(p.wrapping_mul(*q))),
                        );
                    }
                }
            }
            Acc::I(o)
        }
        _ => {
            return Err(Error::dtype(
                op,
                "operands must be numeric and of one dtype",
            ))
        }
    };
    finish(acc, out)
}

/// `convolution(lhs, rhs)` with strides, (negative) padding, lhs/rhs dilation and feature or
/// batch groups, per the StableHLO definition.
pub(crate) fn convolution(
    l: &Literal,
    kr: &Literal,
    c: &ConvAttrs,
    out: &TensorType,
) -> Result<Literal> {
    let op = "convolution";
    let cd = &c.dims;
    let (ld, kd, od) = (l.shape().dims(), kr.shape().dims(), out.shape.dims());
    let rank = ld.len();
    let ns = rank
        .checked_sub(2)
        .ok_or_else(|| Error::shape(op, "rank must be >= 2"))?;
    if kd.len() != rank
        || od.len() != rank
        || cd.input_spatial.len() != ns
        || cd.kernel_spatial.len() != ns
        || cd.output_spatial.len() != ns
        || c.window_strides.len() != ns
        || c.padding.len() != ns
        || c.lhs_dilation.len() != ns
        || c.rhs_dilation.len() != ns
    {
        return Err(Error::shape(op, "ranks or attribute lengths do not fit"));
    }
    let all_in = [cd.input_batch, cd.input_feature]
        .into_iter()
        .chain(cd.input_spatial.iter().copied());
    let all_k = [cd.kernel_input_feature, cd.kernel_output_feature]
        .into_iter()
        .chain(cd.kernel_spatial.iter().copied());
    let all_o = [cd.output_batch, cd.output_feature]
        .into_iter()
        .chain(cd.output_spatial.iter().copied());
    if all_in.chain(all_k).chain(all_o).any(|a| a >= rank) {
        return Err(Error::invalid(op, "dimension number out of range"));
    }
    let (fg, bg) = (c.feature_group_count, c.batch_group_count);
    let k_in = kd[cd.kernel_input_feature];
    let k_out = kd[cd.kernel_output_feature];
    let out_b = od[cd.output_batch];
    if fg == 0
        || bg == 0
        || k_out % fg != 0
        || k_out % bg != 0
        || ld[cd.input_feature] != k_in * fg
        || out_b * bg != ld[cd.input_batch]
        || od[cd.output_feature] != k_out
    {
        return Err(Error::shape(op, "feature or batch group counts do not fit"));
    }
    if c.lhs_dilation.contains(&0) || c.rhs_dilation.contains(&0) || c.window_strides.contains(&0) {
        return Err(Error::invalid(op, "strides and dilations must be >= 1"));
    }
    let per_fg = k_out / fg;
    let per_bg = k_out / bg;
    let ls = l.shape().strides();
    let ks = kr.shape().strides();
    let dilated: Vec<i64> = cd
        .input_spatial
        .iter()
        .zip(&c.lhs_dilation)
        .map(|(&a, &dl)| {
            if ld[a] == 0 {
                0
            } else {
                (ld[a] as i64 - 1) * dl as i64 + 1
            }
        })
        .collect();
    let kspatial: Vec<usize> = cd.kernel_spatial.iter().map(|&a| kd[a]).collect();
    let (lv, kv) = (decode(l), decode(kr));
    let total = out.shape.numel();
    let mut accf: Vec<f64> = Vec::new();
    let mut acci: Vec<i128> = Vec::new();
    let is_float = match (&lv, &kv) {
        (Vals::F(_), Vals::F(_)) => true,
        (Vals::I(_), Vals::I(_)) => false,
        _ => {
            return Err(Error::dtype(
                op,
                "operands must be numeric and of one dtype",
            ))
        }
    };
    if is_float {
        accf.reserve(total);
    } else {
        acci.reserve(total);
    }
    let mut pos = vec![0usize; ns];
    for_each_index(od, |o| {
        let b = o[cd.output_batch];
        let of = o[cd.output_feature];
        let in_b = (of / per_bg) * out_b + b;
        let f0 = (of / per_fg) * k_in;
        let mut sf = 0.0f64;
        let mut si = 0i128;
        for_each_index(&kspatial, |kp| {
            let mut loff = in_b * ls[cd.input_batch];
            for i in 0..ns {
                let p = o[cd.output_spatial[i]] as i64 * c.window_strides[i] as i64
                    + kp[i] as i64 * c.rhs_dilation[i] as i64
                    - c.padding[i].0;
                let dl = c.lhs_dilation[i] as i64;
                if p < 0 || p >= dilated[i] || p % dl != 0 {
                    return Ok(());
                }
                pos[i] = (p / dl) as usize;
                loff += pos[i] * ls[cd.input_spatial[i]];
            }
            let mut koff = of * ks[cd.kernel_output_feature];
            for i in 0..ns {
                koff += kp[i] * ks[cd.kernel_spatial[i]];
            }
            for fi in 0..k_in {
                let li = loff + (f0 + fi) * ls[cd.input_feature];
                let ki = koff + fi * ks[cd.kernel_input_feature];
                match (&lv, &kv) {
                    (Vals::F(x), Vals::F(y)) => sf += x[li] * y[ki],
                    (Vals::I(x), Vals::I(y)) => si = si.wrapping_add(x[li].wrapping_mul(y[ki])),
                    _ => return Err(internal(op, "domain mismatch")),
                }
            }
            Ok(())
        })?;
        if is_float {
            accf.push(sf);
        } else {
            acci.push(si);
        }
        Ok(())
    })?;
    // for_each_index walks the output in row-major order, so the accumulators are laid out
    // like the output.
    finish(if is_float { Acc::F(accf) } else { Acc::I(acci) }, out)
}
