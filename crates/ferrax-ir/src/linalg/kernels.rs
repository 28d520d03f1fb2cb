//! Scalar building blocks of the LAPACK ports: machine constants, element access with
//! traced indices, and LAPACK's small kernels (`?lartg`, `?lapy2`, `?laev2`, `?las2`,
//! `?lasv2`, `?larfg`) written as select-based graph ops, so every branch of the Fortran
//! is taken by the same rule on the same values.
//!
//! Helpers return `Tensor` (errors are deferred inside it, as with the operators) so that
//! the ports read like the Fortran they follow; callers check the final results.

use crate::{DType, Error, Result, Tensor};

pub(super) type T = Tensor;

pub(super) fn r(x: Result<Tensor>) -> T {
    Tensor::from_result(x)
}
pub(super) fn sel(p: &T, a: &T, b: &T) -> T {
    r(Tensor::select(p, a, b))
}
pub(super) fn lt(a: &T, b: &T) -> T {
    r(a.lt(b))
}
pub(super) fn le(a: &T, b: &T) -> T {
    r(a.le(b))
}
pub(super) fn gt(a: &T, b: &T) -> T {
    r(a.gt(b))
}
pub(super) fn ge(a: &T, b: &T) -> T {
    r(a.ge(b))
}
pub(super) fn eq(a: &T, b: &T) -> T {
    r(a.eq(b))
}
pub(super) fn ne(a: &T, b: &T) -> T {
    r(a.ne(b))
}
pub(super) fn abs(a: &T) -> T {
    r(a.abs())
}
pub(super) fn sqrt(a: &T) -> T {
    r(a.sqrt())
}
pub(super) fn max2(a: &T, b: &T) -> T {
    r(a.maximum(b))
}
pub(super) fn min2(a: &T, b: &T) -> T {
    r(a.minimum(b))
}
/// An i32 scalar.
pub(super) fn int(k: i64) -> T {
    Tensor::scalar(k as i32)
}
/// `0..n` as i32.
pub(super) fn iota(n: usize) -> T {
    r(Tensor::iota(DType::I32, vec![n], 0))
}
/// Reduction of a vector to a scalar.
pub(super) fn vmax(v: &T) -> T {
    r(v.max(&[0]))
}
pub(super) fn vmin(v: &T) -> T {
    r(v.min(&[0]))
}
pub(super) fn vsum(v: &T) -> T {
    r(v.sum(&[0]))
}

/// `v[i]` of a vector, `i` a traced i32 scalar (clamped into range like `dynamic_slice`:
/// callers guard out-of-range reads with `select`).
pub(super) fn get(v: &T, i: &T) -> T {
    r(v.dynamic_slice(std::slice::from_ref(i), &[1])
        .and_then(|x| x.reshape(Vec::<usize>::new())))
}
/// `v[i] = x`.
pub(super) fn set(v: &T, i: &T, x: &T) -> T {
    r(x.reshape(vec![1])
        .and_then(|x| v.dynamic_update_slice(&x, std::slice::from_ref(i))))
}
/// `a[i, j]`.
pub(super) fn get2(a: &T, i: &T, j: &T) -> T {
    r(a.dynamic_slice(&[i.clone(), j.clone()], &[1, 1])
        .and_then(|x| x.reshape(Vec::<usize>::new())))
}
/// Column `j` of a square `[n, n]` matrix.
pub(super) fn col(a: &T, j: &T) -> T {
    let n = a.shape().first().copied().unwrap_or(0);
    r(a.dynamic_slice(&[int(0), j.clone()], &[n, 1])
        .and_then(|x| x.reshape(vec![n])))
}
pub(super) fn set_col(a: &T, j: &T, c: &T) -> T {
    let n = a.shape().first().copied().unwrap_or(0);
    r(c.reshape(vec![n, 1])
        .and_then(|c| a.dynamic_update_slice(&c, &[int(0), j.clone()])))
}
/// Row `i` of a square `[n, n]` matrix.
pub(super) fn row(a: &T, i: &T) -> T {
    let n = a.shape().first().copied().unwrap_or(0);
    r(a.dynamic_slice(&[i.clone(), int(0)], &[1, n])
        .and_then(|x| x.reshape(vec![n])))
}
pub(super) fn set_row(a: &T, i: &T, c: &T) -> T {
    let n = a.shape().first().copied().unwrap_or(0);
    r(c.reshape(vec![1, n])
        .and_then(|c| a.dynamic_update_slice(&c, &[i.clone(), int(0)])))
}
/// `a @ v`.
pub(super) fn matvec(a: &T, v: &T) -> T {
    r(a.matmul(v))
}
/// `v @ a` (= `a^T v`).
pub(super) fn vecmat(v: &T, a: &T) -> T {
    r(v.matmul(a))
}
/// `u v^T`.
pub(super) fn outer(u: &T, v: &T) -> T {
    let (m, n) = (u.shape()[0], v.shape()[0]);
    r(u.reshape(vec![m, 1])
        .and_then(|u| v.reshape(vec![1, n]).and_then(|v| u.mul(&v))))
}
pub(super) fn dot(u: &T, v: &T) -> T {
    vsum(&(u * v))
}

/// Plane rotation of columns `lo`, `hi` of `a` as LAPACK's `?lasr` (pivot 'V') writes it:
/// `a[:, hi] = c a[:, hi] - s a[:, lo]`, `a[:, lo] = s a[:, hi] + c a[:, lo]`.
pub(super) fn rot_cols(a: &T, lo: &T, hi: &T, c: &T, s: &T) -> T {
    let x = col(a, lo);
    let y = col(a, hi);
    let ny = &(c * &y) - &(s * &x);
    let nx = &(s * &y) + &(c * &x);
    set_col(&set_col(a, hi, &ny), lo, &nx)
}
/// The same on rows.
pub(super) fn rot_rows(a: &T, lo: &T, hi: &T, c: &T, s: &T) -> T {
    let x = row(a, lo);
    let y = row(a, hi);
    let ny = &(c * &y) - &(s * &x);
    let nx = &(s * &y) + &(c * &x);
    set_row(&set_row(a, hi, &ny), lo, &nx)
}
/// Swaps columns `i` and `k`.
pub(super) fn swap_cols(a: &T, i: &T, k: &T) -> T {
    let x = col(a, i);
    let y = col(a, k);
    set_col(&set_col(a, i, &y), k, &x)
}
/// Swaps rows `i` and `k`.
pub(super) fn swap_rows(a: &T, i: &T, k: &T) -> T {
    let x = row(a, i);
    let y = row(a, k);
    set_row(&set_row(a, i, &y), k, &x)
}
/// Swaps `v[i]` and `v[k]`.
pub(super) fn swap(v: &T, i: &T, k: &T) -> T {
    let x = get(v, i);
    let y = get(v, k);
    set(&set(v, i, &y), k, &x)
}

/// Machine constants of LAPACK's `?lamch` and `la_constants`, computed in the working
/// precision.
#[derive(Clone, Copy, Debug)]
pub(super) struct Consts {
    pub dt: DType,
    /// `?lamch('E')`: half an ulp of 1.
    pub eps: f64,
    /// `?lamch('P')`: an ulp of 1.
    pub prec: f64,
    /// `?lamch('S')`: the smallest normal number.
    pub safmin: f64,
    pub safmax: f64,
    /// `?lartg`'s `rtmin`, `rtmax`.
    pub rtmin: f64,
    pub rtmax: f64,
}

impl Consts {
    pub fn new(op: &str, dt: DType) -> Result<Consts> {
        match dt {
            DType::F32 => {
                let eps = f32::EPSILON / 2.0;
                let safmin = f32::MIN_POSITIVE;
                let safmax = 1.0 / safmin;
                Ok(Consts {
                    dt,
                    eps: eps as f64,
                    prec: f32::EPSILON as f64,
                    safmin: safmin as f64,
                    safmax: safmax as f64,
                    rtmin: safmin.sqrt() as f64,
                    rtmax: (safmax / 2.0).sqrt() as f64,
                })
            }
            DType::F64 => {
                let eps = f64::EPSILON / 2.0;
                let safmin = f64::MIN_POSITIVE;
                let safmax = 1.0 / safmin;
                Ok(Consts {
                    dt,
                    eps,
                    prec: f64::EPSILON,
                    safmin,
                    safmax,
                    rtmin: safmin.sqrt(),
                    rtmax: (safmax / 2.0).sqrt(),
                })
            }
            _ => Err(Error::dtype(
                op,
                format!("needs an f32 or f64 matrix (LAPACK's real types), got {dt}"),
            )),
        }
    }
    /// A scalar constant of the working dtype.
    pub fn k(&self, v: f64) -> T {
        Tensor::scalar_like(self.dt, v)
    }
    /// `sqrt(x)` in the working precision.
    pub fn sqrt(&self, x: f64) -> f64 {
        if self.dt == DType::F32 {
            (x as f32).sqrt() as f64
        } else {
            x.sqrt()
        }
    }
    /// `a / b` in the working precision.
    pub fn div(&self, a: f64, b: f64) -> f64 {
        if self.dt == DType::F32 {
            (a as f32 / b as f32) as f64
        } else {
            a / b
        }
    }
    /// `a * b` in the working precision.
    pub fn mul(&self, a: f64, b: f64) -> f64 {
        if self.dt == DType::F32 {
            (a as f32 * b as f32) as f64
        } else {
            a * b
        }
    }
}

/// Fortran `SIGN(a, b)`: `|a|` with the sign bit of `b` (so `-0.0` counts as negative, as
/// gfortran-built LAPACK does).
pub(super) fn sign(a: &T, b: &T) -> T {
    let it = if b.dtype() == DType::F64 {
        DType::I64
    } else {
        DType::I32
    };
    let neg = r(b
        .bitcast(it)
        .and_then(|bi| bi.lt(&Tensor::scalar_like(it, 0.0))));
    let aa = abs(a);
    sel(&neg, &-&aa, &aa)
}

/// `?lartg(f, g) -> (c, s, r)` of LAPACK 3.10+ (`la_xlartg`): `c >= 0`, `r` has the sign
/// of `f`.
pub(super) fn lartg(k: &Consts, f: &T, g: &T) -> (T, T, T) {
    let zero = k.k(0.0);
    let one = k.k(1.0);
    let f1 = abs(f);
    let g1 = abs(g);
    let (rtmin, rtmax) = (k.k(k.rtmin), k.k(k.rtmax));
    // Unscaled.
    let d = sqrt(&(&(f * f) + &(g * g)));
    let c_n = &f1 / &d;
    let r_n = sign(&d, f);
    let s_n = g / &r_n;
    // Scaled.
    let u = min2(&k.k(k.safmax), &max2(&k.k(k.safmin), &max2(&f1, &g1)));
    let fs = f / &u;
    let gs = g / &u;
    let ds = sqrt(&(&(&fs * &fs) + &(&gs * &gs)));
    let c_s = &abs(&fs) / &ds;
    let r_s0 = sign(&ds, f);
    let s_s = &gs / &r_s0;
    let r_s = &r_s0 * &u;
    let inrange = &(&(&gt(&f1, &rtmin) & &lt(&f1, &rtmax)) & &gt(&g1, &rtmin)) & &lt(&g1, &rtmax);
    let c = sel(&inrange, &c_n, &c_s);
    let s = sel(&inrange, &s_n, &s_s);
    let rr = sel(&inrange, &r_n, &r_s);
    let fz = eq(f, &zero);
    let c = sel(&fz, &zero, &c);
    let s = sel(&fz, &sign(&one, g), &s);
    let rr = sel(&fz, &g1, &rr);
    let gz = eq(g, &zero);
    (sel(&gz, &one, &c), sel(&gz, &zero, &s), sel(&gz, f, &rr))
}

/// `?lapy2(x, y) = sqrt(x^2 + y^2)` without overflow.
pub(super) fn lapy2(k: &Consts, x: &T, y: &T) -> T {
    let (xa, ya) = (abs(x), abs(y));
    let w = max2(&xa, &ya);
    let z = min2(&xa, &ya);
    let q = &z / &w;
    let v = &w * &sqrt(&(&k.k(1.0) + &(&q * &q)));
    sel(&eq(&z, &k.k(0.0)), &w, &v)
}

/// `?laev2(a, b, c) -> (rt1, rt2, cs1, sn1)`: eigen-decomposition of `[[a, b], [b, c]]`,
/// `rt1` the eigenvalue of larger magnitude with unit eigenvector `(cs1, sn1)`.
pub(super) fn laev2(k: &Consts, a: &T, b: &T, c: &T) -> (T, T, T, T) {
    let zero = k.k(0.0);
    let one = k.k(1.0);
    let half = k.k(0.5);
    let sm = a + c;
    let df = a - c;
    let adf = abs(&df);
    let tb = b + b;
    let ab = abs(&tb);
    let a_big = gt(&abs(a), &abs(c));
    let acmx = sel(&a_big, a, c);
    let acmn = sel(&a_big, c, a);
    let q1 = &ab / &adf;
    let rt_a = &adf * &sqrt(&(&one + &(&q1 * &q1)));
    let q2 = &adf / &ab;
    let rt_b = &ab * &sqrt(&(&one + &(&q2 * &q2)));
    let rt_c = &ab * &sqrt(&k.k(2.0));
    let rt = sel(&gt(&adf, &ab), &rt_a, &sel(&lt(&adf, &ab), &rt_b, &rt_c));
    let neg = lt(&sm, &zero);
    let pos = gt(&sm, &zero);
    let rt1_n = &half * &(&sm - &rt);
    let rt1_p = &half * &(&sm + &rt);
    let rt1_nz = sel(&neg, &rt1_n, &rt1_p);
    let rt2_nz = &(&(&acmx / &rt1_nz) * &acmn) - &(&(b / &rt1_nz) * b);
    let nz = &neg | &pos;
    let rt1 = sel(&nz, &rt1_nz, &(&half * &rt));
    let rt2 = sel(&nz, &rt2_nz, &(&-&half * &rt));
    // sgn1 = -1 iff sm < 0.
    let dfp = ge(&df, &zero);
    let cs = sel(&dfp, &(&df + &rt), &(&df - &rt));
    // sgn2 = 1 iff df >= 0.
    let acs = abs(&cs);
    let ct = &-&tb / &cs;
    let sn1_a = &one / &sqrt(&(&one + &(&ct * &ct)));
    let cs1_a = &ct * &sn1_a;
    let tn = &-&cs / &tb;
    let cs1_b = &one / &sqrt(&(&one + &(&tn * &tn)));
    let sn1_b = &tn * &cs1_b;
    let abz = eq(&ab, &zero);
    let cs1_b = sel(&abz, &one, &cs1_b);
    let sn1_b = sel(&abz, &zero, &sn1_b);
    let big = gt(&acs, &ab);
    let cs1 = sel(&big, &cs1_a, &cs1_b);
    let sn1 = sel(&big, &sn1_a, &sn1_b);
    // sgn1 == sgn2: (sm < 0) == (df < 0).
    let same = eq(&neg, &!&dfp);
    let cs1f = sel(&same, &-&sn1, &cs1);
    let sn1f = sel(&same, &cs1, &sn1);
    (rt1, rt2, cs1f, sn1f)
}

/// `?las2(f, g, h) -> (ssmin, ssmax)`: singular values of `[[f, g], [0, h]]`.
pub(super) fn las2(k: &Consts, f: &T, g: &T, h: &T) -> (T, T) {
    let zero = k.k(0.0);
    let one = k.k(1.0);
    let two = k.k(2.0);
    let (fa, ga, ha) = (abs(f), abs(g), abs(h));
    let fhmn = min2(&fa, &ha);
    let fhmx = max2(&fa, &ha);
    // fhmn == 0.
    let mx = max2(&fhmx, &ga);
    let mn = min2(&fhmx, &ga);
    let q = &mn / &mx;
    let ssmax_z = sel(&eq(&fhmx, &zero), &ga, &(&mx * &sqrt(&(&one + &(&q * &q)))));
    // ga < fhmx.
    let as_ = &one + &(&fhmn / &fhmx);
    let at = &(&fhmx - &fhmn) / &fhmx;
    let au1 = &ga / &fhmx;
    let au = &au1 * &au1;
    let c = &two / &(&sqrt(&(&(&as_ * &as_) + &au)) + &sqrt(&(&(&at * &at) + &au)));
    let ssmin_a = &fhmn * &c;
    let ssmax_a = &fhmx / &c;
    // ga >= fhmx.
    let au = &fhmx / &ga;
    let ssmin_b0 = &(&fhmn * &fhmx) / &ga;
    let p = &as_ * &au;
    let qq = &at * &au;
    let c = &one / &(&sqrt(&(&one + &(&p * &p))) + &sqrt(&(&one + &(&qq * &qq))));
    let sm = &(&fhmn * &c) * &au;
    let ssmin_b1 = &sm + &sm;
    let ssmax_b1 = &ga / &(&c + &c);
    let auz = eq(&au, &zero);
    let ssmin_b = sel(&auz, &ssmin_b0, &ssmin_b1);
    let ssmax_b = sel(&auz, &ga, &ssmax_b1);
    let ga_small = lt(&ga, &fhmx);
    let ssmin_nz = sel(&ga_small, &ssmin_a, &ssmin_b);
    let ssmax_nz = sel(&ga_small, &ssmax_a, &ssmax_b);
    let z = eq(&fhmn, &zero);
    (sel(&z, &zero, &ssmin_nz), sel(&z, &ssmax_z, &ssmax_nz))
}

/// `?lasv2(f, g, h) -> (ssmin, ssmax, snr, csr, snl, csl)`: SVD of the upper triangular
/// `[[f, g], [0, h]]`.
pub(super) fn lasv2(k: &Consts, f: &T, g: &T, h: &T) -> [T; 6] {
    let zero = k.k(0.0);
    let one = k.k(1.0);
    let two = k.k(2.0);
    let half = k.k(0.5);
    let four = k.k(4.0);
    let swap = gt(&abs(h), &abs(f));
    let ft = sel(&swap, h, f);
    let ht = sel(&swap, f, h);
    let fa = abs(&ft);
    let ha = abs(&ht);
    let gt_ = g.clone();
    let ga = abs(&gt_);
    // pmax: 1, 2 or 3.
    let ga_big = gt(&ga, &fa);
    let tiny = &ga_big & &lt(&(&fa / &ga), &k.k(k.eps));
    // ga > fa and fa / ga < eps (gasmal false).
    let ssmax_t = ga.clone();
    let ssmin_t = sel(&gt(&ha, &one), &(&fa / &(&ga / &ha)), &(&(&fa / &ga) * &ha));
    let clt_t = one.clone();
    let slt_t = &ht / &gt_;
    let srt_t = one.clone();
    let crt_t = &ft / &gt_;
    // gasmal.
    let d = &fa - &ha;
    let l = sel(&eq(&d, &fa), &one, &(&d / &fa));
    let m = &gt_ / &ft;
    let t = &two - &l;
    let mm = &m * &m;
    let tt = &t * &t;
    let s = sqrt(&(&tt + &mm));
    let lz = eq(&l, &zero);
    let rr = sel(&lz, &abs(&m), &sqrt(&(&(&l * &l) + &mm)));
    let a = &half * &(&s + &rr);
    let ssmin_g = &ha / &a;
    let ssmax_g = &fa * &a;
    let t_mm0 = sel(
        &lz,
        &(&sign(&two, &ft) * &sign(&one, &gt_)),
        &(&(&gt_ / &sign(&d, &ft)) + &(&m / &t)),
    );
    let t_mm = &(&(&m / &(&s + &t)) + &(&m / &(&rr + &l))) * &(&one + &a);
    let t2 = sel(&eq(&mm, &zero), &t_mm0, &t_mm);
    let l2 = sqrt(&(&(&t2 * &t2) + &four));
    let crt_g = &two / &l2;
    let srt_g = &t2 / &l2;
    let clt_g = &(&crt_g + &(&srt_g * &m)) / &a;
    let slt_g = &(&(&ht / &ft) * &srt_g) / &a;
    let ssmin_nz = sel(&tiny, &ssmin_t, &ssmin_g);
    let ssmax_nz = sel(&tiny, &ssmax_t, &ssmax_g);
    let clt_nz = sel(&tiny, &clt_t, &clt_g);
    let slt_nz = sel(&tiny, &slt_t, &slt_g);
    let crt_nz = sel(&tiny, &crt_t, &crt_g);
    let srt_nz = sel(&tiny, &srt_t, &srt_g);
    // ga == 0.
    let gz = eq(&ga, &zero);
    let ssmin = sel(&gz, &ha, &ssmin_nz);
    let ssmax = sel(&gz, &fa, &ssmax_nz);
    let clt = sel(&gz, &one, &clt_nz);
    let crt = sel(&gz, &one, &crt_nz);
    let slt = sel(&gz, &zero, &slt_nz);
    let srt = sel(&gz, &zero, &srt_nz);
    let csl = sel(&swap, &srt, &clt);
    let snl = sel(&swap, &crt, &slt);
    let csr = sel(&swap, &slt, &crt);
    let snr = sel(&swap, &clt, &srt);
    // pmax = 2 where ga > fa (and ga != 0), else 3 where swapped, else 1.
    let p2 = &!&gz & &ga_big;
    let ts1 = &(&sign(&one, &csr) * &sign(&one, &csl)) * &sign(&one, f);
    let ts2 = &(&sign(&one, &snr) * &sign(&one, &csl)) * &sign(&one, g);
    let ts3 = &(&sign(&one, &snr) * &sign(&one, &snl)) * &sign(&one, h);
    let tsign = sel(&p2, &ts2, &sel(&swap, &ts3, &ts1));
    let ssmax = sign(&ssmax, &tsign);
    let ssmin = sign(&ssmin, &(&(&tsign * &sign(&one, f)) * &sign(&one, h)));
    [ssmin, ssmax, snr, csr, snl, csl]
}

/// `?larfg` on `alpha` and the vector `x` (zero outside the reflector's tail): returns
/// `(beta, tau, v_tail)` with `H = I - tau [1; v] [1; v]^T`, `H [alpha; x] = [beta; 0]`.
/// Where `x` is zero, `tau = 0` and `beta = alpha`. (LAPACK's rescaling loop for
/// `|beta| < safmin / eps` is not reproduced: such tiny columns keep their rounding.)
pub(super) fn larfg(k: &Consts, alpha: &T, x: &T) -> (T, T, T) {
    let zero = k.k(0.0);
    let xnorm = sqrt(&dot(x, x));
    let beta = -&sign(&lapy2(k, alpha, &xnorm), alpha);
    let tau = &(&beta - alpha) / &beta;
    let v = x * &(&k.k(1.0) / &(alpha - &beta));
    let xz = eq(&xnorm, &zero);
    (
        sel(&xz, alpha, &beta),
        sel(&xz, &zero, &tau),
        sel(&xz, x, &v),
    )
}
