//! Symmetric eigendecomposition following LAPACK's `?syevd(jobz='V', uplo='L')` for one
//! `[n, n]` matrix: `?sytd2` (Householder tridiagonalisation), `?steqr` (implicit QL/QR
//! with Wilkinson shifts, the path `?stedc` takes for n <= 25), `?ormtr` (back
//! transformation), eigenvalues ascending.

use super::kernels::*;
use crate::{Result, Tensor};

/// Tridiagonalisation `?sytd2('L')` of the symmetric `a` (both triangles hold the matrix):
/// `(d [n], e [n] (last entry unused), vs [n, n] (column i = reflector i), taus [n])`.
fn sytd2(k: &Consts, a: &T) -> Result<(T, T, T, T)> {
    let n = a.shape()[0];
    let rows = iota(n);
    let zeros = Tensor::zeros(k.dt, vec![n]);
    let out = Tensor::while_loop(
        &[
            int(0),
            a.clone(),
            zeros.clone(),
            zeros.clone(),
            Tensor::zeros(k.dt, vec![n, n]),
            zeros.clone(),
        ],
        |v| v[0].lt(&int(n as i64 - 1)),
        |v| {
            let (i, a, d, e, vs, taus) = (&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
            let ip1 = i + &int(1);
            let c = col(a, i);
            let alpha = get(&c, &ip1);
            let x = sel(&gt(&rows, &ip1), &c, &zeros);
            let (beta, tau, xs) = larfg(k, &alpha, &x);
            let v = sel(&eq(&rows, &ip1), &k.k(1.0), &xs);
            // x := tau A v (trailing block), w := x - (tau/2)(x.v) v, A -= v w' + w v'.
            let xx = sel(&gt(&rows, i), &(&tau * &matvec(a, &v)), &zeros);
            let alpha2 = &(&k.k(-0.5) * &tau) * &dot(&xx, &v);
            let w = &xx + &(&alpha2 * &v);
            let a2 = &(a - &outer(&v, &w)) - &outer(&w, &v);
            let a = sel(&ne(&tau, &k.k(0.0)), &a2, a);
            let d = set(d, i, &get2(&a, i, i));
            let e = set(e, i, &beta);
            let vs = set_col(vs, i, &v);
            let taus = set(taus, i, &tau);
            Ok(vec![ip1, a, d, e, vs, taus])
        },
    )?;
    let last = int(n as i64 - 1);
    let d = set(&out[2], &last, &get2(&out[1], &last, &last));
    Ok((
        d.check()?.clone(),
        out[3].clone(),
        out[4].clone(),
        out[5].clone(),
    ))
}

/// Reverses a vector, or the columns of a matrix (`axis`).
fn reverse(x: &T, axis: usize) -> T {
    let n = x.shape()[axis];
    let idx: Vec<i32> = (0..n as i32).rev().collect();
    r(Tensor::from_vec(idx, vec![n]).and_then(|i| x.take(&i, axis)))
}

/// `?steqr(compz='I')` on the tridiagonal `(d, e)`: `(w, z, ok)`, eigenvalues ascending.
///
/// LAPACK runs QL on a block when `|d[lend]| >= |d[l]|` and QR otherwise; here QR is QL on
/// the reversed block (d, e and the columns of z reversed), which performs the very same
/// floating-point operations. The one asymmetric step, the 2x2 `?laev2` deflation, swaps
/// its operands in the reversed frame as QR does.
fn steqr(k: &Consts, d: &T, e: &T) -> Result<(T, T, T)> {
    let n = d.shape()[0];
    let dt = k.dt;
    let ni = n as i64;
    let eps = k.eps;
    let eps2 = k.mul(eps, eps);
    let ssfmax = k.div(k.sqrt(k.safmax), 3.0);
    let ssfmin = k.div(k.sqrt(k.safmin), eps2);
    let nmaxit = 30 * ni;
    let idx = iota(n);
    let zero = k.k(0.0);
    let zeros = Tensor::zeros(dt, vec![n]);
    let eye = r(idx
        .reshape(vec![n, 1])
        .and_then(|a| a.eq(&idx.reshape(vec![1, n])?))
        .and_then(|m| m.convert(dt)));
    // Vectors over the off-diagonal index kk in [0, n-1): d[kk], d[kk+1].
    let dnext = |d: &T| -> T {
        let mut ix: Vec<i32> = (1..n as i32).collect();
        ix.push(n as i32 - 1);
        r(Tensor::from_vec(ix, vec![n]).and_then(|i| d.take(&i, 0)))
    };
    let offd = lt(&idx, &int(ni - 1));
    // Outer loop (label 10): (l1, d, e, z, jtot, stop).
    let out = Tensor::while_loop(
        &[
            int(0),
            d.clone(),
            e.clone(),
            eye,
            int(0),
            Tensor::scalar(false),
        ],
        |v| Ok(&lt(&v[0], &int(ni)) & &!&v[5]),
        |v| {
            let (l1, d, e, z, jtot) = (&v[0], &v[1], &v[2], &v[3], &v[4]);
            let e = sel(&eq(&idx, &(l1 - &int(1))), &zero, e);
            // Split: first m >= l1 with a negligible e[m].
            let ae = abs(&e);
            let ad = abs(d);
            let small =
                &eq(&ae, &zero) | &le(&ae, &(&(&sqrt(&ad) * &sqrt(&dnext(&ad))) * &k.k(eps)));
            let cand = &(&small & &offd) & &ge(&idx, l1);
            let m = vmin(&sel(&cand, &idx, &int(ni - 1)));
            let e = sel(&eq(&idx, &m), &zero, &e);
            let l = l1.clone();
            let lend = m.clone();
            let l1n = &m + &int(1);
            let ind = &ge(&idx, &l) & &le(&idx, &lend);
            let ine = &ge(&idx, &l) & &lt(&idx, &lend);
            let anorm = max2(
                &vmax(&sel(&ind, &abs(d), &zero)),
                &vmax(&sel(&ine, &abs(&e), &zero)),
            );
            let active = &gt(&lend, &l) & &ne(&anorm, &zero);
            let big = gt(&anorm, &k.k(ssfmax));
            let tiny = lt(&anorm, &k.k(ssfmin));
            let one = k.k(1.0);
            let scale = sel(
                &big,
                &(&k.k(ssfmax) / &anorm),
                &sel(&tiny, &(&k.k(ssfmin) / &anorm), &one),
            );
            let unscale = sel(
                &big,
                &(&anorm / &k.k(ssfmax)),
                &sel(&tiny, &(&anorm / &k.k(ssfmin)), &one),
            );
            let scale = sel(&active, &scale, &one);
            let unscale = sel(&active, &unscale, &one);
            let d = sel(&ind, &(d * &scale), d);
            let e = sel(&ine, &(&e * &scale), &e);
            let rev = lt(&abs(&get(&d, &lend)), &abs(&get(&d, &l)));
            let d = sel(&rev, &reverse(&d, 0), &d);
            // e reversed: e'[kk] = e[n-2-kk] (the unused last entry stays last).
            let e = {
                let mut ix: Vec<i32> = (0..n as i32 - 1).rev().collect();
                ix.push(n as i32 - 1);
                let er = r(Tensor::from_vec(ix, vec![n]).and_then(|i| e.take(&i, 0)));
                sel(&rev, &er, &e)
            };
            let z = sel(&rev, &reverse(z, 1), z);
            let ql = sel(&rev, &(&int(ni - 1) - &lend), &l);
            let qlend = sel(&rev, &(&int(ni - 1) - &l), &lend);
            // QL on [ql, qlend] (labels 40-80): (l, d, e, z, jtot, brk).
            let inner = Tensor::while_loop(
                &[ql, d, e, z, jtot.clone(), Tensor::scalar(false)],
                |w| Ok(&(&active & &le(&w[0], &qlend)) & &!&w[5]),
                |w| {
                    let (l, d, e, z, jtot, brk) = (&w[0], &w[1], &w[2], &w[3], &w[4], &w[5]);
                    let ae = abs(e);
                    let ad = abs(d);
                    let tst = &ae * &ae;
                    let lim = &(&(&k.k(eps2) * &ad) * &dnext(&ad)) + &k.k(k.safmin);
                    let cand = &(&le(&tst, &lim) & &ge(&idx, l)) & &lt(&idx, &qlend);
                    let m = vmin(&sel(&cand, &idx, &qlend));
                    let e = sel(&eq(&idx, &m), &zero, e);
                    let p = get(d, l);
                    let lp1 = l + &int(1);
                    let branch = sel(
                        &eq(&m, l),
                        &int(0),
                        &sel(
                            &eq(&m, &lp1),
                            &int(1),
                            &sel(&eq(jtot, &int(nmaxit)), &int(3), &int(2)),
                        ),
                    );
                    let ops = [
                        l.clone(),
                        m.clone(),
                        d.clone(),
                        e.clone(),
                        z.clone(),
                        jtot.clone(),
                        brk.clone(),
                        p.clone(),
                    ];
                    let res = Tensor::case(
                        &branch,
                        &ops,
                        vec![
                            // m == l: eigenvalue found.
                            Box::new(|o: &[Tensor]| {
                                let mut o = o.to_vec();
                                o[0] = &o[0] + &int(1);
                                Ok(o)
                            }),
                            // 2x2 block.
                            Box::new(|o: &[Tensor]| {
                                let (l, d, e, z) = (&o[0], &o[2], &o[3], &o[4]);
                                let lp1 = l + &int(1);
                                let pp = sel(&rev, &lp1, l);
                                let qq = sel(&rev, l, &lp1);
                                let (rt1, rt2, c, s) =
                                    laev2(k, &get(d, &pp), &get(e, l), &get(d, &qq));
                                let z = rot_cols(z, &pp, &qq, &c, &s);
                                let d = set(&set(d, &pp, &rt1), &qq, &rt2);
                                let e = set(e, l, &k.k(0.0));
                                let mut o = o.to_vec();
                                o[0] = l + &int(2);
                                o[2] = d;
                                o[3] = e;
                                o[4] = z;
                                Ok(o)
                            }),
                            // QL sweep with a Wilkinson shift.
                            Box::new(|o: &[Tensor]| {
                                let (l, m, d, e, z, jtot, p) =
                                    (&o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[7]);
                                let lp1 = l + &int(1);
                                let el = get(e, l);
                                let g = &(&get(d, &lp1) - p) / &(&k.k(2.0) * &el);
                                let rr = lapy2(k, &g, &k.k(1.0));
                                let g = &(&get(d, m) - p) + &(&el / &(&g + &sign(&rr, &g)));
                                let one = k.k(1.0);
                                let sw = Tensor::while_loop(
                                    &[
                                        m - &int(1),
                                        d.clone(),
                                        e.clone(),
                                        z.clone(),
                                        g,
                                        k.k(0.0),
                                        one.clone(),
                                        one,
                                    ],
                                    |q| q[0].ge(l),
                                    |q| {
                                        let (i, d, e, z, g, p, c, s) = (
                                            &q[0], &q[1], &q[2], &q[3], &q[4], &q[5], &q[6], &q[7],
                                        );
                                        let ip1 = i + &int(1);
                                        let ei = get(e, i);
                                        let f = s * &ei;
                                        let b = c * &ei;
                                        let (c, s, rr) = lartg(k, g, &f);
                                        let e = sel(&ne(i, &(m - &int(1))), &set(e, &ip1, &rr), e);
                                        let g = &get(d, &ip1) - p;
                                        let rr =
                                            &(&(&get(d, i) - &g) * &s) + &(&(&k.k(2.0) * &c) * &b);
                                        let p = &s * &rr;
                                        let d = set(d, &ip1, &(&g + &p));
                                        let g = &(&c * &rr) - &b;
                                        let z = rot_cols(z, i, &ip1, &c, &-&s);
                                        Ok(vec![i - &int(1), d, e, z, g, p, c, s])
                                    },
                                )?;
                                let (d, e, z, g, p) = (&sw[1], &sw[2], &sw[3], &sw[4], &sw[5]);
                                let d = set(d, l, &(&get(d, l) - p));
                                let e = set(e, l, g);
                                let mut o = o.to_vec();
                                o[2] = d;
                                o[3] = e;
                                o[4] = z.clone();
                                o[5] = jtot + &int(1);
                                Ok(o)
                            }),
                            // Iteration limit reached.
                            Box::new(|o: &[Tensor]| {
                                let mut o = o.to_vec();
                                o[6] = Tensor::scalar(true);
                                Ok(o)
                            }),
                        ],
                    )?;
                    Ok(vec![
                        res[0].clone(),
                        res[2].clone(),
                        res[3].clone(),
                        res[4].clone(),
                        res[5].clone(),
                        res[6].clone(),
                    ])
                },
            )?;
            let (d, e, z, jtot) = (&inner[1], &inner[2], &inner[3], &inner[4]);
            let d = sel(&rev, &reverse(d, 0), d);
            let e = {
                let mut ix: Vec<i32> = (0..n as i32 - 1).rev().collect();
                ix.push(n as i32 - 1);
                let er = r(Tensor::from_vec(ix, vec![n]).and_then(|i| e.take(&i, 0)));
                sel(&rev, &er, e)
            };
            let z = sel(&rev, &reverse(z, 1), z);
            let d = sel(&ind, &(&d * &unscale), &d);
            let e = sel(&ine, &(&e * &unscale), &e);
            let stop = ge(jtot, &int(nmaxit));
            Ok(vec![l1n, d, e, z, jtot.clone(), stop])
        },
    )?;
    let (d, e, z, stop) = (&out[1], &out[2], &out[3], &out[5]);
    let unconverged =
        r(sel(&offd, &ne(e, &zero), &Tensor::scalar(false)).reduce(crate::ReduceKind::Any, &[0]));
    let ok = !&(stop & &unconverged);
    // Selection sort, ascending (skipped where the iteration limit stopped LAPACK).
    let inf = k.k(f64::INFINITY);
    let sorted = Tensor::while_loop(
        &[int(0), d.clone(), z.clone()],
        |v| Ok(&lt(&v[0], &int(ni - 1)) & &!stop),
        |v| {
            let (i, d, z) = (&v[0], &v[1], &v[2]);
            let tail = ge(&idx, i);
            let p = vmin(&sel(&tail, d, &inf));
            let kk = vmin(&sel(&(&tail & &eq(d, &p)), &idx, &int(ni)));
            let kk = min2(&kk, &int(ni - 1));
            let di = get(d, i);
            let d = set(&set(d, &kk, &di), i, &p);
            let z = swap_cols(z, i, &kk);
            Ok(vec![i + &int(1), d, z])
        },
    )?;
    let _ = zeros;
    Ok((sorted[1].clone(), sorted[2].clone(), ok))
}

/// Eigendecomposition of one symmetric `[n, n]` matrix (lower triangle read):
/// `(w [n] ascending, v [n, n])`; NaNs where LAPACK would report non-convergence.
pub(super) fn syevd(a: &T) -> Result<(T, T)> {
    let n = a.shape()[0];
    let k = Consts::new("eigh", a.dtype())?;
    let dt = k.dt;
    if n == 1 {
        let w = a.reshape(vec![1])?;
        return Ok((w, Tensor::ones(dt, vec![1, 1])));
    }
    // The symmetric matrix from the lower triangle.
    let rr = r(Tensor::iota(crate::DType::I32, vec![n, n], 0));
    let cc = r(Tensor::iota(crate::DType::I32, vec![n, n], 1));
    let lower = ge(&rr, &cc);
    let a = sel(&lower, a, &r(a.t()));
    // ?syevd scaling into [rmin, rmax].
    let smlnum = k.div(k.safmin, k.prec);
    let bignum = k.div(1.0, smlnum);
    let rmin = k.sqrt(smlnum);
    let rmax = k.sqrt(bignum);
    let anrm = r(abs(&a).max(&[0, 1]));
    let zero = k.k(0.0);
    let one = k.k(1.0);
    let sigma = sel(
        &(&gt(&anrm, &zero) & &lt(&anrm, &k.k(rmin))),
        &(&k.k(rmin) / &anrm),
        &sel(&gt(&anrm, &k.k(rmax)), &(&k.k(rmax) / &anrm), &one),
    );
    let a = &a * &sigma;
    let (d, e, vs, taus) = sytd2(&k, &a)?;
    let (w, z, ok) = steqr(&k, &d, &e)?;
    // ?ormtr: z := H(0) ... H(n-2) z, applying H(n-2) first.
    let q = Tensor::while_loop(
        &[int(n as i64 - 2), z],
        |v| v[0].ge(&int(0)),
        |v| {
            let (i, z) = (&v[0], &v[1]);
            let vv = col(&vs, i);
            let tau = get(&taus, i);
            let wv = vecmat(&vv, z);
            let z2 = z - &(&tau * &outer(&vv, &wv));
            let z = sel(&ne(&tau, &zero), &z2, z);
            Ok(vec![i - &int(1), z])
        },
    )?;
    let w = &w * &(&one / &sigma);
    let nan = k.k(f64::NAN);
    let w = sel(&ok, &w, &nan);
    let v = sel(&ok, &q[1], &nan);
    Ok((w.check()?.clone(), v.check()?.clone()))
}
