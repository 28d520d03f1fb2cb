//! Matrix factorisations as compositions of primitive ops (no LAPACK): what JAX gets from
//! LAPACK (`cholesky`, `qr`) is built here from `while` loops over dynamic slices, so the
//! same program runs on every PJRT device. Results agree with LAPACK to rounding (not bit
//! for bit: the operation order differs); see each function for the measured agreement.
//!
//! Matrices are the last two dims; leading dims are a batch.

use crate::{DType, DotDims, Error, Result, Tensor};

fn batch_dims(op: &str, a: &Tensor) -> Result<(Vec<usize>, usize, usize)> {
    let s = a.ty()?.shape.0.clone();
    if s.len() < 2 {
        return Err(Error::shape(
            op,
            format!("needs a matrix (rank >= 2), got rank {}", s.len()),
        ));
    }
    if !a.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!("needs a float matrix, got {}", a.dtype()),
        ));
    }
    let (m, n) = (s[s.len() - 2], s[s.len() - 1]);
    Ok((s[..s.len() - 2].to_vec(), m, n))
}

/// `a[..., i, j]` -> `a[..., :, j]` as `[..., m]` for a traced scalar `j`.
fn column(a: &Tensor, j: &Tensor) -> Result<Tensor> {
    let s = a.shape().to_vec();
    let r = s.len();
    let zero = Tensor::scalar(0i32);
    let mut starts = vec![zero; r];
    starts[r - 1] = j.clone();
    let mut sizes = s.clone();
    sizes[r - 1] = 1;
    a.dynamic_slice(&starts, &sizes)?
        .reshape(s[..r - 1].to_vec())
}

/// `a[..., :, j] = col` for a traced scalar `j`.
fn set_column(a: &Tensor, col: &Tensor, j: &Tensor) -> Result<Tensor> {
    let s = a.shape().to_vec();
    let r = s.len();
    let mut cs = s.clone();
    cs[r - 1] = 1;
    let mut starts = vec![Tensor::scalar(0i32); r];
    starts[r - 1] = j.clone();
    a.dynamic_update_slice(&col.reshape(cs)?, &starts)
}

/// Element `v[..., k]` of a `[..., m]` vector as `[...]`, for a traced scalar `k`.
fn element(v: &Tensor, k: &Tensor) -> Result<Tensor> {
    let s = v.shape().to_vec();
    let r = s.len();
    let mut starts = vec![Tensor::scalar(0i32); r];
    starts[r - 1] = k.clone();
    let mut sizes = s.clone();
    sizes[r - 1] = 1;
    v.dynamic_slice(&starts, &sizes)?
        .reshape(s[..r - 1].to_vec())
}

/// `a @ v` for `a: [..., m, n]`, `v: [..., n]` -> `[..., m]`.
fn matvec(a: &Tensor, v: &Tensor) -> Result<Tensor> {
    let r = a.rank();
    let b: Vec<usize> = (0..r - 2).collect();
    a.dot_general(
        v,
        DotDims {
            lhs_batch: b.clone(),
            rhs_batch: b,
            lhs_contract: vec![r - 1],
            rhs_contract: vec![r - 2],
        },
    )
}

/// `v^T a` for `v: [..., m]`, `a: [..., m, n]` -> `[..., n]`.
fn vecmat(v: &Tensor, a: &Tensor) -> Result<Tensor> {
    let r = a.rank();
    let b: Vec<usize> = (0..r - 2).collect();
    v.dot_general(
        a,
        DotDims {
            lhs_batch: b.clone(),
            rhs_batch: b,
            lhs_contract: vec![r - 2],
            rhs_contract: vec![r - 2],
        },
    )
}

/// Outer product `u v^T` for `u: [..., m]`, `v: [..., n]` -> `[..., m, n]`.
fn outer(u: &Tensor, v: &Tensor) -> Result<Tensor> {
    let su = u.shape().to_vec();
    let sv = v.shape().to_vec();
    let mut us = su.clone();
    us.push(1);
    let mut vs = sv[..sv.len() - 1].to_vec();
    vs.push(1);
    vs.push(sv[sv.len() - 1]);
    u.reshape(us)?.mul(&v.reshape(vs)?)
}

fn index_mask(
    len: usize,
    batch: &[usize],
    k: &Tensor,
    cmp: fn(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let mut shape = batch.to_vec();
    shape.push(len);
    let rows = Tensor::iota(DType::I32, shape.clone(), shape.len() - 1)?;
    cmp(&rows, &k.broadcast_to(shape)?)
}

/// The lower Cholesky factor `L` of symmetric positive-definite matrices (`a = L L^T`),
/// reading the lower triangle, like `jnp.linalg.cholesky`. Where `a` is not positive
/// definite the result holds NaNs (as LAPACK-backed JAX does).
///
/// Column-by-column (left-looking) in one `while` loop; agrees with LAPACK's `potrf` to a
/// few ulp of the matrix's scale for well-conditioned inputs.
///
/// ```
/// use ferrax_ir::{linalg, Tensor};
/// let a = Tensor::from_vec(vec![4.0f32, 2.0, 2.0, 3.0], [2, 2]).unwrap();
/// let l = linalg::cholesky(&a).unwrap();
/// assert_eq!(l.shape(), &[2, 2]);
/// ```
pub fn cholesky(a: &Tensor) -> Result<Tensor> {
    let (batch, m, n) = batch_dims("cholesky", a)?;
    if m != n {
        return Err(Error::shape(
            "cholesky",
            format!("needs square matrices, got {m}x{n}"),
        ));
    }
    let zero_l = Tensor::zeros(a.dtype(), a.shape().to_vec());
    let j0 = Tensor::scalar(0i32);
    let out = Tensor::while_loop(
        &[j0, zero_l],
        |v| v[0].lt(&Tensor::scalar(n as i32)),
        |v| {
            let (j, l) = (&v[0], &v[1]);
            // Row j of L (entries k >= j are still zero), as a vector.
            let lt = l.t()?;
            let row_j = column(&lt, j)?;
            let s = column(a, j)?.sub(&matvec(l, &row_j)?)?;
            let d = element(&s, j)?.sqrt()?;
            let mut dshape = batch.clone();
            dshape.push(n);
            let col = s.div(
                &d.reshape([batch.clone(), vec![1]].concat())?
                    .broadcast_to(dshape.clone())?,
            )?;
            let below = index_mask(n, &batch, j, |r, k| r.gt(k))?;
            let at = index_mask(n, &batch, j, |r, k| r.eq(k))?;
            let zeros = Tensor::zeros(a.dtype(), dshape.clone());
            let col = Tensor::select(&below, &col, &zeros)?;
            let col = Tensor::select(
                &at,
                &d.reshape([batch.clone(), vec![1]].concat())?
                    .broadcast_to(dshape)?,
                &col,
            )?;
            Ok(vec![j.add(&Tensor::scalar(1i32))?, set_column(l, &col, j)?])
        },
    )?;
    Ok(out[1].clone())
}

/// Reduced QR decomposition `a = q r` (`q: [..., m, k]` with orthonormal columns,
/// `r: [..., k, n]` upper triangular, `k = min(m, n)`), like `jnp.linalg.qr(a)`.
///
/// Householder reflections in one `while` loop. The signs of `r`'s diagonal (and of the
/// matching columns of `q`) may differ from LAPACK's; callers that need a unique answer
/// normalise by `sign(diag(r))`, as `jax.random.orthogonal` does.
///
/// ```
/// use ferrax_ir::{linalg, Tensor};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [3, 2]).unwrap();
/// let (q, r) = linalg::qr(&a).unwrap();
/// assert_eq!(q.shape(), &[3, 2]);
/// assert_eq!(r.shape(), &[2, 2]);
/// ```
pub fn qr(a: &Tensor) -> Result<(Tensor, Tensor)> {
    let (batch, m, n) = batch_dims("qr", a)?;
    let k = m.min(n);
    let dt = a.dtype();
    let mut qshape = batch.clone();
    qshape.extend([m, m]);
    let eye = Tensor::iota(DType::I32, qshape.clone(), batch.len())?
        .eq(&Tensor::iota(DType::I32, qshape.clone(), batch.len() + 1)?)?
        .convert(dt)?;
    let mut vshape = batch.clone();
    vshape.push(m);
    let out = Tensor::while_loop(
        &[Tensor::scalar(0i32), a.clone(), eye],
        |v| v[0].lt(&Tensor::scalar(k as i32)),
        |v| {
            let (j, r, q) = (&v[0], &v[1], &v[2]);
            let col = column(r, j)?;
            let active = index_mask(m, &batch, j, |a, b| a.ge(b))?;
            let at = index_mask(m, &batch, j, |a, b| a.eq(b))?;
            let zeros = Tensor::zeros(dt, vshape.clone());
            let x = Tensor::select(&active, &col, &zeros)?;
            let x0 = element(&col, j)?;
            let norm = x.mul(&x)?.sum(&[batch.len()])?.sqrt()?;
            let neg = x0.lt(&x0.scalar_of(0.0)?)?;
            let alpha = Tensor::select(&neg, &norm, &norm.neg()?)?;
            let bshape = [batch.clone(), vec![1]].concat();
            let alpha_v = alpha
                .reshape(bshape.clone())?
                .broadcast_to(vshape.clone())?;
            let v = Tensor::select(&at, &x.sub(&alpha_v)?, &x)?;
            let vn2 = v.mul(&v)?.sum(&[batch.len()])?;
            let positive = vn2.gt(&vn2.scalar_of(0.0)?)?;
            let two = vn2.scalar_of(2.0)?.broadcast_to(vn2.shape().to_vec())?;
            let safe = Tensor::select(&positive, &vn2, &two)?;
            let scale = Tensor::select(
                &positive,
                &two.div(&safe)?,
                &Tensor::zeros(dt, vn2.shape().to_vec()),
            )?;
            let sv = v.mul(&scale.reshape(bshape)?.broadcast_to(vshape.clone())?)?;
            let r2 = r.sub(&outer(&sv, &vecmat(&v, r)?)?)?;
            let q2 = q.sub(&outer(&matvec(q, &v)?, &sv)?)?;
            Ok(vec![j.add(&Tensor::scalar(1i32))?, r2, q2])
        },
    )?;
    let (r, q) = (&out[1], &out[2]);
    let rank = batch.len() + 2;
    let mut st = vec![0; rank];
    let mut lim: Vec<usize> = [batch.clone(), vec![m, k]].concat();
    let q = q.slice(&st, &lim, &vec![1; rank])?;
    lim = [batch.clone(), vec![k, n]].concat();
    st = vec![0; rank];
    let r = r.slice(&st, &lim, &vec![1; rank])?;
    // Exact zeros below the diagonal.
    let rs = r.shape().to_vec();
    let upper = Tensor::iota(DType::I32, rs.clone(), rank - 2)?.le(&Tensor::iota(
        DType::I32,
        rs.clone(),
        rank - 1,
    )?)?;
    let r = Tensor::select(&upper, &r, &Tensor::zeros(dt, rs))?;
    Ok((q, r))
}

/// The diagonal of `[..., m, n]` matrices as `[..., min(m, n)]`.
pub fn diagonal(a: &Tensor) -> Result<Tensor> {
    let (batch, m, n) = batch_dims("diagonal", a)?;
    let s = a.shape().to_vec();
    let r = s.len();
    let mask = Tensor::iota(DType::I32, s.clone(), r - 2)?.eq(&Tensor::iota(
        DType::I32,
        s.clone(),
        r - 1,
    )?)?;
    let z = Tensor::select(&mask, a, &Tensor::zeros(a.dtype(), s))?.sum(&[r - 1])?;
    let k = m.min(n);
    let mut st = vec![0; r - 1];
    let lim = [batch, vec![k]].concat();
    st[r - 2] = 0;
    z.slice(&st, &lim, &vec![1; r - 1])
}
