//! Special functions and small matrix algorithms the samplers need that are not primitive
//! ops of `ferrax-ir`, each written as the composition XLA computes for JAX: [`lgamma`]
//! (what the StableHLO CHLO legalisation makes of `chlo.lgamma`) and [`eigh`] (a cyclic
//! Jacobi eigensolver standing in for LAPACK's `syevd`).

use ferrax_ir::{DType, DotDims, Error, Result, Tensor};

fn c(x: &Tensor, v: f64) -> Tensor {
    Tensor::scalar_like(x.dtype(), v)
}

/// Lanczos coefficients (g = 7, n = 9) of the CHLO `lgamma` decomposition, in the order it
/// sums them.
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];
const LANCZOS_G: f64 = 7.0;
/// log(g + 1/2).
const LOG_LANCZOS_G_PLUS_HALF: f64 = 2.014_903_020_542_264_7;
/// log(sqrt(2 pi)).
const LOG_SQRT_TWO_PI: f64 = 0.918_938_533_204_672_7;
/// log(pi).
const LOG_PI: f64 = 1.144_729_885_849_400_2;

/// Elementwise `log|Gamma(x)|` (`jax.lax.lgamma`), computed with the ops XLA computes for
/// `chlo.lgamma`: Lanczos' approximation (g = 7, 9 terms) for `x >= 1/2`, the reflection
/// formula below, `+inf` at the poles and for infinite `x`. f16 and bf16 are computed in
/// f32 and rounded, as the legalisation does.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::numerics::lgamma;
/// let x = Tensor::from_vec(vec![1.0f32, 0.5, 10.0, -1.5], [4])?;
/// let y = lgamma(&x)?.eval()?.to_vec::<f32>()?;
/// assert!(y[0].abs() < 1e-6);
/// assert!((y[1] - 0.572_364_9).abs() < 1e-6);
/// assert!((y[2] - 12.801_827).abs() < 1e-5);
/// assert!((y[3] - 0.860_047).abs() < 1e-5);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn lgamma(x: &Tensor) -> Result<Tensor> {
    x.check()?;
    match x.dtype() {
        DType::F32 | DType::F64 => lgamma_impl(x),
        DType::F16 | DType::BF16 => lgamma_impl(&x.convert(DType::F32)?)?.convert(x.dtype()),
        d => Err(Error::dtype(
            "lgamma",
            format!("lgamma needs a float operand, got {d}"),
        )),
    }
}

fn lgamma_impl(x: &Tensor) -> Result<Tensor> {
    let half = c(x, 0.5);
    let one = c(x, 1.0);
    let need_reflect = x.lt(&half)?;
    let z = Tensor::select(&need_reflect, &x.neg()?, &x.sub(&one)?)?;
    // The Lanczos sum, term by term.
    let mut a = c(x, LANCZOS[0]);
    for (i, &k) in LANCZOS.iter().enumerate().skip(1) {
        a = a.add(&c(x, k).div(&z.add(&c(x, i as f64))?)?)?;
    }
    let gph = c(x, LANCZOS_G + 0.5);
    let t = gph.add(&z)?;
    let log_t = c(x, LOG_LANCZOS_G_PLUS_HALF).add(&z.div(&gph)?.log1p()?)?;
    let log_y = c(x, LOG_SQRT_TWO_PI)
        .add(&z.add(&half)?.sub(&t.div(&log_t)?)?.mul(&log_t)?)?
        .add(&a.log()?)?;
    // Reflection: log(pi) - log|sin(pi x)| - log_y, with sin evaluated on the fractional
    // part folded into [0, 1/2].
    let abs_x = x.abs()?;
    let frac = abs_x.sub(&abs_x.floor()?)?;
    let reduced = Tensor::select(&half.lt(&frac)?, &one.sub(&frac)?, &frac)?;
    let denom = c(x, std::f64::consts::PI).mul(&reduced)?.sin()?.log()?;
    let reflection = Tensor::select(
        &denom.is_finite()?,
        &c(x, LOG_PI).sub(&denom)?.sub(&log_y)?,
        &denom.neg()?,
    )?;
    let r = Tensor::select(&need_reflect, &reflection, &log_y)?;
    let inf = c(x, f64::INFINITY);
    Tensor::select(&x.abs()?.eq(&inf)?, &inf, &r)
}

fn matrix_dims(op: &str, a: &Tensor) -> Result<(Vec<usize>, usize)> {
    a.check()?;
    let s = a.shape().to_vec();
    let r = s.len();
    if r < 2 || s[r - 1] != s[r - 2] {
        return Err(Error::shape(
            op,
            format!("needs square matrices (.., n, n), got shape {s:?}"),
        ));
    }
    if !a.dtype().is_float() {
        return Err(Error::dtype(
            op,
            format!("needs a float matrix, got {}", a.dtype()),
        ));
    }
    Ok((s[..r - 2].to_vec(), s[r - 1]))
}

/// `a[..., i, :]` as `[..., n]` (static `i`).
fn row(a: &Tensor, i: usize) -> Result<Tensor> {
    let s = a.shape().to_vec();
    let r = s.len();
    let mut start = vec![0; r];
    let mut limit = s.clone();
    start[r - 2] = i;
    limit[r - 2] = i + 1;
    let mut out = s.clone();
    out.remove(r - 2);
    a.slice(&start, &limit, &vec![1; r])?.reshape(out)
}

/// `a[..., :, j]` as `[..., n]` (static `j`).
fn col(a: &Tensor, j: usize) -> Result<Tensor> {
    let s = a.shape().to_vec();
    let r = s.len();
    let mut start = vec![0; r];
    let mut limit = s.clone();
    start[r - 1] = j;
    limit[r - 1] = j + 1;
    let mut out = s.clone();
    out.remove(r - 1);
    a.slice(&start, &limit, &vec![1; r])?.reshape(out)
}

/// Replaces row `i` of `a` (`[..., n, n]`) by `v` (`[..., n]`).
fn set_row(a: &Tensor, i: usize, v: &Tensor) -> Result<Tensor> {
    let s = a.shape().to_vec();
    let r = s.len();
    let mut vs = v.shape().to_vec();
    vs.insert(r - 2, 1);
    let v = v.reshape(vs)?;
    let mut parts = Vec::new();
    if i > 0 {
        parts.push(a.slice_axis(r - 2, 0, i)?);
    }
    parts.push(v);
    if i + 1 < s[r - 2] {
        parts.push(a.slice_axis(r - 2, i + 1, s[r - 2])?);
    }
    Tensor::concatenate(&parts, r - 2)
}

/// Replaces column `j` of `a` (`[..., n, n]`) by `v` (`[..., n]`).
fn set_col(a: &Tensor, j: usize, v: &Tensor) -> Result<Tensor> {
    let s = a.shape().to_vec();
    let r = s.len();
    let mut vs = v.shape().to_vec();
    vs.push(1);
    let v = v.reshape(vs)?;
    let mut parts = Vec::new();
    if j > 0 {
        parts.push(a.slice_axis(r - 1, 0, j)?);
    }
    parts.push(v);
    if j + 1 < s[r - 1] {
        parts.push(a.slice_axis(r - 1, j + 1, s[r - 1])?);
    }
    Tensor::concatenate(&parts, r - 1)
}

/// `a[..., i, j]` as `[...]`.
fn entry(a: &Tensor, i: usize, j: usize) -> Result<Tensor> {
    let s = a.shape().to_vec();
    let r = s.len();
    let mut start = vec![0; r];
    let mut limit = s.clone();
    start[r - 2] = i;
    limit[r - 2] = i + 1;
    start[r - 1] = j;
    limit[r - 1] = j + 1;
    a.slice(&start, &limit, &vec![1; r])?
        .reshape(s[..r - 2].to_vec())
}

/// The symmetric eigendecomposition of `a` (`[..., n, n]`, symmetric; only its values
/// are read, both triangles): eigenvalues ascending `[..., n]` and orthonormal
/// eigenvectors as the columns of `[..., n, n]`, like `jnp.linalg.eigh`.
///
/// A cyclic Jacobi method, `sweeps` sweeps over all pairs `(p, q)` (each a plane rotation
/// chosen to zero `a[p, q]`), unrolled into the graph; 8 sweeps reach f64 rounding for the
/// small matrices of covariance sampling (quadratic convergence). The eigenvalues are then
/// sorted ascending. It agrees with LAPACK's `syevd` to rounding in the eigenvalues; each
/// eigenvector is only defined up to its sign (and up to a rotation within repeated
/// eigenvalues), and its sign can differ from LAPACK's.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::numerics::eigh;
/// let a = Tensor::from_vec(vec![2.0f64, 1.0, 1.0, 2.0], [2, 2])?;
/// let (w, v) = eigh(&a, 8)?;
/// let w = w.eval()?.to_vec::<f64>()?;
/// assert!((w[0] - 1.0).abs() < 1e-12 && (w[1] - 3.0).abs() < 1e-12);
/// assert_eq!(v.shape(), &[2, 2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn eigh(a: &Tensor, sweeps: usize) -> Result<(Tensor, Tensor)> {
    let (batch, n) = matrix_dims("eigh", a)?;
    let dt = a.dtype();
    let mut vshape = batch.clone();
    vshape.extend([n, n]);
    let r = vshape.len();
    let mut v = Tensor::iota(DType::I32, vshape.clone(), r - 2)?
        .eq(&Tensor::iota(DType::I32, vshape.clone(), r - 1)?)?
        .convert(dt)?;
    let mut m = a.clone();
    let zero = Tensor::scalar_like(dt, 0.0);
    let one = Tensor::scalar_like(dt, 1.0);
    for _ in 0..sweeps {
        for p in 0..n {
            for q in p + 1..n {
                let app = entry(&m, p, p)?;
                let aqq = entry(&m, q, q)?;
                let apq = entry(&m, p, q)?;
                // Rutishauser's rotation: theta = (aqq - app) / (2 apq),
                // t = sign(theta) / (|theta| + sqrt(theta^2 + 1)), c = 1/sqrt(t^2+1), s = t c.
                let is_zero = apq.eq(&zero)?;
                let safe_apq = Tensor::select(&is_zero, &one, &apq)?;
                let theta = aqq.sub(&app)?.div(&c(&apq, 2.0).mul(&safe_apq)?)?;
                let sgn = Tensor::select(&theta.ge(&zero)?, &one, &one.neg()?)?;
                let t = sgn.div(&theta.abs()?.add(&theta.mul(&theta)?.add(&one)?.sqrt()?)?)?;
                let t = Tensor::select(&is_zero, &zero, &t)?;
                let cs = one.div(&t.mul(&t)?.add(&one)?.sqrt()?)?;
                let sn = t.mul(&cs)?;
                // Columns p, q of m and v: [:, p] <- c m_p - s m_q, [:, q] <- s m_p + c m_q.
                let rot = |x: &Tensor, cols: bool| -> Result<Tensor> {
                    let get = if cols { col } else { row };
                    let set = if cols { set_col } else { set_row };
                    let xp = get(x, p)?;
                    let xq = get(x, q)?;
                    let bc = |s: &Tensor| -> Result<Tensor> {
                        let mut sh = s.shape().to_vec();
                        sh.push(1);
                        s.reshape(sh)?.broadcast_to(xp.shape().to_vec())
                    };
                    let (cb, sb) = (bc(&cs)?, bc(&sn)?);
                    let np = cb.mul(&xp)?.sub(&sb.mul(&xq)?)?;
                    let nq = sb.mul(&xp)?.add(&cb.mul(&xq)?)?;
                    set(&set(x, p, &np)?, q, &nq)
                };
                m = rot(&rot(&m, true)?, false)?;
                v = rot(&v, true)?;
            }
        }
    }
    // Eigenvalues on the diagonal; sort ascending, carrying the eigenvector columns.
    let mut w = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = batch.clone();
        s.push(1);
        w.push(entry(&m, i, i)?.reshape(s)?);
    }
    let w = Tensor::concatenate(&w, batch.len())?;
    // Sort (w, v^T rows) along the eigenvalue axis.
    let mut perm: Vec<usize> = (0..r - 2).collect();
    perm.push(r - 1);
    perm.push(r - 2);
    let vt = v.transpose(&perm)?;
    let idx = Tensor::iota(DType::I32, w.shape().to_vec(), r - 2)?;
    let sorted = Tensor::sort_multi(&[w.clone(), idx], r - 2, true, |x, y| x[0].lt(&y[0]))?;
    let (w_sorted, order) = (sorted[0].clone(), sorted[1].clone());
    // Gather the rows of vt by `order`: one-hot matmul keeps it simple and exact.
    let mut oh_shape = batch.clone();
    oh_shape.extend([n, n]);
    let mut bdims: Vec<usize> = (0..r - 2).collect();
    bdims.push(r - 2);
    let onehot = order
        .broadcast_in_dim(oh_shape.clone(), &bdims)?
        .eq(&Tensor::iota(DType::I32, oh_shape, r - 1)?)?
        .convert(dt)?;
    let b: Vec<usize> = (0..r - 2).collect();
    let vt_sorted = onehot.dot_general(
        &vt,
        DotDims {
            lhs_batch: b.clone(),
            rhs_batch: b,
            lhs_contract: vec![r - 1],
            rhs_contract: vec![r - 2],
        },
    )?;
    Ok((w_sorted, vt_sorted.transpose(&perm)?))
}
