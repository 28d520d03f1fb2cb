//! Matrix factorisations as compositions of primitive ops (no LAPACK): what JAX gets from
//! LAPACK (`cholesky`, `qr`, `eigh`, `svd`) is built here from `while` loops over dynamic
//! slices, so the same program runs on every PJRT device. Results agree with LAPACK to
//! rounding (not bit for bit: the operation order differs); see each function for the
//! measured agreement. `eigh` and `svd` port LAPACK's own small-matrix algorithms
//! (`linalg/eigh.rs`, `linalg/svd.rs`, scalar kernels in `linalg/kernels.rs`), so their
//! eigen/singular vectors carry LAPACK's signs; supported size: n <= 25 follows LAPACK
//! exactly, larger n still decomposes correctly but LAPACK's divide-and-conquer signs are
//! not reproduced.
//!
//! Matrices are the last two dims; leading dims are a batch (one `while` loop over it).

use crate::{DType, DotDims, Error, Result, Tensor};

mod eigh;
mod kernels;
mod svd;

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

/// Runs `f` on each `[n, n]` matrix of `a` (`[..., n, n]`), stacking its results (of
/// shapes `tails`) over the batch in a `while` loop.
fn per_matrix(
    op: &str,
    a: &Tensor,
    tails: &[Vec<usize>],
    f: impl FnOnce(&Tensor) -> Result<Vec<Tensor>>,
) -> Result<Vec<Tensor>> {
    let (batch, m, n) = batch_dims(op, a)?;
    if m != n {
        return Err(Error::shape(
            op,
            format!("needs square matrices, got {m}x{n}"),
        ));
    }
    let dt = a.dtype();
    let count: usize = batch.iter().product();
    if n == 0 || count == 0 {
        return Ok(tails
            .iter()
            .map(|t| Tensor::zeros(dt, [batch.clone(), t.clone()].concat()))
            .collect());
    }
    if batch.is_empty() {
        return f(a);
    }
    let flat = a.reshape(vec![count, n, n])?;
    let mut init = vec![Tensor::scalar(0i32)];
    for t in tails {
        init.push(Tensor::zeros(dt, [vec![count], t.clone()].concat()));
    }
    let out = Tensor::while_loop(
        &init,
        |v| v[0].lt(&Tensor::scalar(count as i32)),
        |v| {
            let i = &v[0];
            let zero = Tensor::scalar(0i32);
            let mat = flat
                .dynamic_slice(&[i.clone(), zero.clone(), zero], &[1, n, n])?
                .reshape(vec![n, n])?;
            let res = f(&mat)?;
            let mut next = vec![i.add(&Tensor::scalar(1i32))?];
            for ((acc, r), t) in v[1..].iter().zip(&res).zip(tails) {
                let mut starts = vec![i.clone()];
                starts.extend(t.iter().map(|_| Tensor::scalar(0i32)));
                let upd = r.reshape([vec![1], t.clone()].concat())?;
                next.push(acc.dynamic_update_slice(&upd, &starts)?);
            }
            Ok(next)
        },
    )?;
    out[1..]
        .iter()
        .zip(tails)
        .map(|(o, t)| o.reshape([batch.clone(), t.clone()].concat()))
        .collect()
}

/// Eigendecomposition of symmetric matrices `a: [..., n, n]`, reading the lower triangle:
/// `(w, v)` with eigenvalues `w: [..., n]` ascending and orthonormal eigenvectors as the
/// columns of `v: [..., n, n]`, like `jax.lax.linalg.eigh(a, lower=True,
/// symmetrize_input=False)` (whose `(v, w)` order is swapped here to `jnp.linalg.eigh`'s).
/// `jnp.linalg.eigh` first symmetrises, `(a + a^T) / 2`: do the same before calling
/// this to match it.
///
/// Follows the LAPACK routine JAX calls on CPU, `?syevd(jobz='V', uplo='L')`, step for
/// step for n <= 25: Householder tridiagonalisation (`?sytd2`), implicit QL/QR with
/// Wilkinson shifts (`?steqr`, what `?stedc` runs below its divide-and-conquer size 25),
/// the same convergence tests, 2x2 deflations and final selection sort, then the back
/// transformation (`?ormtr`). Eigenvectors are defined only up to sign; following the
/// algorithm gives LAPACK's signs, so results agree with JAX to rounding: on the golden
/// cases (tests/golden/linalg.json, n = 1..12, batched) within 2e-6 (f32) and 1e-13 (f64)
/// of the largest magnitude, vectors included (tests assert 1e-5 / 1e-10).
///
/// Caveats: LAPACK's rounding differs (its BLAS kernels sum in other orders), so where a
/// convergence test is borderline or eigenvalues (nearly) coincide the two can pick
/// different but equally valid vectors (measured with a scalar model of the same steps
/// against scipy's LAPACK on random covariances n <= 10: no f64 matrix, about 0.7% of f32
/// ones; rank-deficient f32 matrices, whose zero eigenvalues are noise, are the usual
/// victims); for n > 25 LAPACK switches to divide and conquer,
/// whose signs this does not reproduce. Only f32 and f64 (LAPACK's real types). Where the
/// iteration does not converge (LAPACK's `info > 0`) the results are NaN, as in JAX.
///
/// ```
/// use ferrax_ir::{linalg, Tensor};
/// let a = Tensor::from_vec(vec![2.0f64, 1.0, 1.0, 2.0], [2, 2]).unwrap();
/// let (w, v) = linalg::eigh(&a).unwrap();
/// assert_eq!((w.shape(), v.shape()), (&[2][..], &[2, 2][..]));
/// ```
pub fn eigh(a: &Tensor) -> Result<(Tensor, Tensor)> {
    let (_, _, n) = batch_dims("eigh", a)?;
    kernels::Consts::new("eigh", a.dtype())?;
    let out = per_matrix("eigh", a, &[vec![n], vec![n, n]], |m| {
        let (w, v) = eigh::syevd(m)?;
        Ok(vec![w, v])
    })?;
    Ok((out[0].clone(), out[1].clone()))
}

/// Singular value decomposition of square matrices `a: [..., n, n]`: `(u, s, vt)` with
/// `a = u diag(s) vt`, singular values `s: [..., n]` descending, like
/// `jnp.linalg.svd(a)` (`full_matrices=True`).
///
/// Follows the LAPACK routine JAX calls on CPU, `?gesdd(jobz='A')`, step for step for
/// n <= 25: Householder bidiagonalisation (`?gebd2`), then `?bdsdc`'s small-matrix path
/// (`?lasdq` -> `?bdsqr`: zero-shift and shifted implicit QR sweeps in the direction
/// LAPACK picks, its convergence tests and `?lasv2` 2x2 deflations, the sign fix-up and
/// the three selection sorts), then `?ormbr` on both sides. So singular vectors come with
/// LAPACK's signs and agree with JAX to rounding (golden cases: within 2e-6 (f32) and
/// 1e-13 (f64) of the scale; about 0.4% of random f32 matrices differ in a sign, no f64
/// one), with the same caveats as [`eigh`]
/// (borderline convergence tests and (nearly) repeated singular values; n > 25, where
/// LAPACK divides and conquers). Only square f32 and f64 matrices.
///
/// ```
/// use ferrax_ir::{linalg, Tensor};
/// let a = Tensor::from_vec(vec![3.0f32, 1.0, 1.0, 3.0], [2, 2]).unwrap();
/// let (u, s, vt) = linalg::svd(&a).unwrap();
/// assert_eq!((u.shape(), s.shape(), vt.shape()), (&[2, 2][..], &[2][..], &[2, 2][..]));
/// ```
pub fn svd(a: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
    let (_, _, n) = batch_dims("svd", a)?;
    kernels::Consts::new("svd", a.dtype())?;
    let out = per_matrix("svd", a, &[vec![n, n], vec![n], vec![n, n]], |m| {
        let (u, s, vt) = svd::gesdd(m)?;
        Ok(vec![u, s, vt])
    })?;
    Ok((out[0].clone(), out[1].clone(), out[2].clone()))
}
