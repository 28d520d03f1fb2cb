//! Per-element keys ("lanes"): what `jax.vmap` makes of a sampler that draws scalars from
//! its own key, as the gamma sampler does for every element.
//!
//! A lane array is a u32 tensor of shape `[n, 2]`, one key per row. Every function here
//! computes, for each row, exactly what the single-key function of JAX computes for that
//! key (`split`, `random_bits(key, w, ())`, `uniform(key, ())`, `normal(key, ())`,
//! `exponential(key, ())`), in the current counter layout. Integer work is exact whatever
//! its layout; the float ops are the ones JAX emits, in the same order.
//!
//! [`barrier`] stands in for the function boundaries of JAX's lowering (`_gamma`,
//! `_poisson`): see its documentation for why the bits depend on them.

use ferrax_ir::{DType, Error, Result, Tensor};

use crate::config;
use crate::special::erf_inv;
use crate::threefry::threefry2x32;

/// Facts about a float dtype (numpy's `finfo`): bit width, mantissa bits and
/// 2^-(nmant+1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FloatInfo {
    pub bits: usize,
    pub nmant: usize,
    pub epsneg: f64,
}

pub(crate) fn float_info(d: DType) -> FloatInfo {
    let (bits, nmant) = match d {
        DType::F16 => (16, 10),
        DType::BF16 => (16, 7),
        DType::F32 => (32, 23),
        _ => (64, 52),
    };
    FloatInfo {
        bits,
        nmant,
        epsneg: 2f64.powi(-(nmant as i32) - 1),
    }
}

/// A scalar constant of `d` (rounded once from the f64 value, as numpy does).
pub(crate) fn c(d: DType, v: f64) -> Tensor {
    Tensor::scalar_like(d, v)
}

/// `shape` filled with `v` (`lax.full`).
pub(crate) fn full(d: DType, shape: &[usize], v: f64) -> Result<Tensor> {
    c(d, v).broadcast_to(shape.to_vec())
}

fn check_lanes(op: &str, keys: &Tensor) -> Result<usize> {
    keys.check()?;
    let s = keys.shape();
    if keys.dtype() != DType::U32 || s.len() != 2 || s[1] != 2 {
        return Err(Error::invalid(
            op,
            format!(
                "lane keys must be u32 of shape [n, 2], got {}{:?}",
                keys.dtype(),
                s
            ),
        ));
    }
    Ok(s[0])
}

/// The two key words of every lane, each `[n]`.
fn words(keys: &Tensor, op: &str) -> Result<(Tensor, Tensor)> {
    let n = check_lanes(op, keys)?;
    let k0 = keys.slice(&[0, 0], &[n, 1], &[1, 1])?.reshape([n])?;
    let k1 = keys.slice(&[0, 1], &[n, 2], &[1, 1])?.reshape([n])?;
    Ok((k0, k1))
}

/// `vmap(split, (0, None))(keys, m)`: `[n, 2]` -> `[n, m, 2]`.
pub(crate) fn split(keys: &Tensor, m: usize) -> Result<Tensor> {
    let n = check_lanes("split", keys)?;
    if n == 0 || m == 0 {
        return Ok(Tensor::zeros(DType::U32, [n, m, 2]));
    }
    let k0 = keys.slice(&[0, 0], &[n, 1], &[1, 1])?;
    let k1 = keys.slice(&[0, 1], &[n, 2], &[1, 1])?;
    let idx = Tensor::iota(DType::U32, [n, m], 1)?;
    if config::threefry_partitionable() {
        // Key i of a split is threefry(key, hi(i), lo(i)); m fits in 32 bits here.
        let (a, b) = threefry2x32(&k0, &k1, &Tensor::zeros(DType::U32, [n, m]), &idx)?;
        Tensor::concatenate(&[a.reshape([n, m, 1])?, b.reshape([n, m, 1])?], 2)
    } else {
        // Legacy: hash iota(2m) as its first half against its second half.
        let hi = idx.add(&Tensor::scalar(m as u32))?;
        let (a, b) = threefry2x32(&k0, &k1, &idx, &hi)?;
        Tensor::concatenate(&[a, b], 1)?.reshape([n, m, 2])
    }
}

/// Lane keys number `i` of a `[n, m, 2]` split: `[n, 2]`.
pub(crate) fn take(split: &Tensor, i: usize) -> Result<Tensor> {
    let s = split.shape().to_vec();
    split
        .slice(&[0, i, 0], &[s[0], i + 1, 2], &[1, 1, 1])?
        .reshape([s[0], 2])
}

/// `vmap(lambda k: random_bits(k, width, ()))(keys)`: `[n]` unsigned of `width` bits.
pub(crate) fn bits(keys: &Tensor, width: usize) -> Result<Tensor> {
    let (k0, k1) = words(keys, "random_bits")?;
    let n = k0.shape()[0];
    let zero = Tensor::zeros(DType::U32, [n]);
    let dtype = match width {
        8 => DType::U8,
        16 => DType::U16,
        32 => DType::U32,
        64 => DType::U64,
        _ => return Err(Error::dtype("random_bits", "unsupported bit width")),
    };
    let partitionable = config::threefry_partitionable();
    if width == 64 {
        // Partitionable: (b1 << 32) | b2 of counter 0. Legacy: two words, counters 0 and 1.
        let x1 = if partitionable {
            zero.clone()
        } else {
            Tensor::ones(DType::U32, [n])
        };
        let (a, b) = threefry2x32(&k0, &k1, &zero, &x1)?;
        let h = a.convert(DType::U64)?;
        let l = b.convert(DType::U64)?;
        return h.shift_left(&Tensor::scalar(32u64))?.bitor(&l);
    }
    let (a, b) = threefry2x32(&k0, &k1, &zero, &zero)?;
    let word = if partitionable { a.bitxor(&b)? } else { a };
    match width {
        32 => Ok(word),
        _ => word
            .bitand(&Tensor::scalar(((1u64 << width) - 1) as u32))?
            .convert(dtype),
    }
}

/// `vmap(lambda k: uniform(k, (), dtype, lo, hi))(keys)` for `lo`, `hi` tensors of `dtype`
/// (scalars, or `[n]`).
pub(crate) fn uniform_t(keys: &Tensor, dtype: DType, lo: &Tensor, hi: &Tensor) -> Result<Tensor> {
    let fi = float_info(dtype);
    let rng_bits = if fi.nmant < 8 { 8 } else { fi.bits };
    let ut = dtype
        .unsigned_of_same_width()
        .ok_or_else(|| Error::dtype("uniform", "no unsigned type of this width"))?;
    let mut b = bits(keys, rng_bits)?;
    if rng_bits != fi.bits {
        b = b.convert(ut)?;
    }
    let one_bits = c(dtype, 1.0).bitcast(ut)?;
    let fb = b
        .shift_right_logical(&c(ut, (rng_bits - fi.nmant) as f64))?
        .bitor(&one_bits)?;
    let floats = fb.bitcast(dtype)?.sub(&c(dtype, 1.0))?;
    let scaled = floats.mul(&hi.sub(lo)?)?.add(lo)?;
    lo.maximum(&scaled)
}

/// Per-lane `uniform(k, (), dtype, lo, hi)` for numbers `lo`, `hi`.
pub(crate) fn uniform(keys: &Tensor, dtype: DType, lo: f64, hi: f64) -> Result<Tensor> {
    uniform_t(keys, dtype, &c(dtype, lo), &c(dtype, hi))
}

/// Per-lane `normal(k, (), dtype)`: `sqrt(2) * erf_inv(uniform(nextafter(-1, 0), 1))`.
pub(crate) fn normal(keys: &Tensor, dtype: DType) -> Result<Tensor> {
    let lo = -1.0 + float_info(dtype).epsneg;
    let u = uniform(keys, dtype, lo, 1.0)?;
    c(dtype, std::f64::consts::SQRT_2).mul(&erf_inv(&u)?)
}

/// Per-lane `exponential(k, (), dtype)`: `-log1p(-uniform())`.
pub(crate) fn exponential(keys: &Tensor, dtype: DType) -> Result<Tensor> {
    crate::special::log1p(&uniform(keys, dtype, 0.0, 1.0)?.neg()?)?.neg()
}

/// `any(mask)` over a rank-1 bool mask, as a bool scalar (JAX's batched `while` predicate).
pub(crate) fn any(mask: &Tensor) -> Result<Tensor> {
    let r = mask.rank();
    mask.reduce(ferrax_ir::ReduceKind::Any, &(0..r).collect::<Vec<_>>())
}

/// `x`, hidden from XLA's MLIR import but not from its HLO passes: a sort along a new
/// dimension of size 1, which the import leaves alone and XLA's algebraic simplifier
/// removes.
///
/// JAX computes the loop-invariant inputs of its `while` loops inside the function of the
/// sampler (`_gamma`, ...), whose arguments XLA's MLIR import does not see as constants;
/// only XLA's HLO passes fold them, into `broadcast(constant)` loop operands (or, for a
/// single element, a literal that they sink into the loop). ferrax emits one function, so
/// the import would fold a constant input and sink it into the loop body whatever its
/// size, where XLA then reassociates products with it (`(x * sqrt2) * c` becomes
/// `x * (sqrt2 * c)`) and rounds differently. Behind this barrier XLA's HLO passes see
/// what they see in JAX's program.
pub(crate) fn barrier(x: &Tensor) -> Result<Tensor> {
    x.check()?;
    let mut s1 = vec![1];
    s1.extend_from_slice(x.shape());
    let sorted = Tensor::sort_multi(&[x.reshape(s1)?], 0, true, |a, b| a[0].lt(&b[0]))?;
    sorted
        .into_iter()
        .next()
        .ok_or_else(|| Error::invalid("barrier", "sort returned nothing"))?
        .reshape(x.shape().to_vec())
}
