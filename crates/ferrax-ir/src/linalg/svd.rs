//! Singular value decomposition following LAPACK's `?gesdd(jobz='A')` for one square
//! `[n, n]` matrix: `?gebd2` (Householder bidiagonalisation), `?bdsdc('U', 'I')`, which for
//! n <= 25 is `?lasdq` -> `?bdsqr` (implicit zero-shift / shifted QR sweeps with the
//! `?lasv2` 2x2 deflation) plus the three selection sorts of those routines, then `?ormbr`
//! for both sides.

use super::kernels::*;
use crate::{Result, Tensor};

/// `?gebd2` for `m = n`: `(d [n], e [n] (last unused), qv, tauq, pv, taup)` with the
/// reflectors as columns of `qv` / `pv`.
fn gebd2(k: &Consts, a: &T) -> Result<[T; 6]> {
    let n = a.shape()[0];
    let idx = iota(n);
    let zeros = Tensor::zeros(k.dt, vec![n]);
    let zero = k.k(0.0);
    let nn = Tensor::zeros(k.dt, vec![n, n]);
    let out = Tensor::while_loop(
        &[
            int(0),
            a.clone(),
            zeros.clone(),
            zeros.clone(),
            nn.clone(),
            zeros.clone(),
            nn,
            zeros.clone(),
        ],
        |v| v[0].lt(&int(n as i64)),
        |v| {
            let (i, a, d, e, qv, tq, pv, tp) =
                (&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            let ip1 = i + &int(1);
            // Left reflector H(i) on column i.
            let c = col(a, i);
            let (beta, tau, xs) = larfg(k, &get(&c, i), &sel(&gt(&idx, i), &c, &zeros));
            let v = sel(&eq(&idx, i), &k.k(1.0), &xs);
            let w = sel(&gt(&idx, i), &vecmat(&v, a), &zeros);
            let a2 = a - &outer(&v, &(&tau * &w));
            let a = sel(&ne(&tau, &zero), &a2, a);
            let d = set(d, i, &beta);
            let qv = set_col(qv, i, &v);
            let tq = set(tq, i, &tau);
            // Right reflector G(i) on row i (for i < n-1).
            let last = eq(i, &int(n as i64 - 1));
            let rw = row(&a, i);
            let (beta, tau, xs) = larfg(k, &get(&rw, &ip1), &sel(&gt(&idx, &ip1), &rw, &zeros));
            let tau = sel(&last, &zero, &tau);
            let u = sel(&eq(&idx, &ip1), &k.k(1.0), &xs);
            let u = sel(&last, &zeros, &u);
            let w = sel(&gt(&idx, i), &matvec(&a, &u), &zeros);
            let a2 = &a - &outer(&w, &(&tau * &u));
            let a = sel(&ne(&tau, &zero), &a2, &a);
            let e = sel(&last, e, &set(e, i, &beta));
            let pv = set_col(pv, i, &u);
            let tp = set(tp, i, &tau);
            Ok(vec![ip1, a, d, e, qv, tq, pv, tp])
        },
    )?;
    Ok([
        out[2].clone(),
        out[3].clone(),
        out[4].clone(),
        out[5].clone(),
        out[6].clone(),
        out[7].clone(),
    ])
}

/// `i + min(0, step)`: the off-diagonal index between `d[i]` and `d[i + step]`.
fn ei(i: &T, step: &T) -> T {
    i + &min2(&int(0), step)
}

/// One selection-sort pass family of `?bdsqr` / `?lasdq` / `?bdsdc`, swapping `d`, the
/// columns of `u` and the rows of `vt`.
#[derive(Clone, Copy)]
enum Sort {
    /// `?bdsqr`: for i, the last minimum of `d[0..=n-1-i]` goes to `n-1-i`.
    BdsqrDescending,
    /// `?lasdq`: the first minimum of `d[i..]` goes to `i`.
    LasdqAscending,
    /// `?bdsdc`: the first maximum of `d[i..]` goes to `i`.
    BdsdcDescending,
}

fn sort(k: &Consts, how: Sort, d: &T, u: &T, vt: &T) -> Result<(T, T, T)> {
    let n = d.shape()[0];
    let ni = n as i64;
    let idx = iota(n);
    let passes = match how {
        Sort::LasdqAscending => ni,
        _ => ni - 1,
    };
    let out = Tensor::while_loop(
        &[int(0), d.clone(), u.clone(), vt.clone()],
        |v| v[0].lt(&int(passes)),
        |v| {
            let (i, d, u, vt) = (&v[0], &v[1], &v[2], &v[3]);
            let (target, pick) = match how {
                Sort::BdsqrDescending => {
                    let top = &int(ni - 1) - i;
                    let range = le(&idx, &top);
                    let p = vmin(&sel(&range, d, &k.k(f64::INFINITY)));
                    let at = vmax(&sel(&(&range & &eq(d, &p)), &idx, &int(-1)));
                    (top, max2(&at, &int(0)))
                }
                Sort::LasdqAscending | Sort::BdsdcDescending => {
                    let range = ge(&idx, i);
                    let (fill, p) = if matches!(how, Sort::LasdqAscending) {
                        let inf = k.k(f64::INFINITY);
                        (inf.clone(), vmin(&sel(&range, d, &inf)))
                    } else {
                        let ninf = k.k(f64::NEG_INFINITY);
                        (ninf.clone(), vmax(&sel(&range, d, &ninf)))
                    };
                    let _ = fill;
                    let at = vmin(&sel(&(&range & &eq(d, &p)), &idx, &int(ni)));
                    (i.clone(), min2(&at, &int(ni - 1)))
                }
            };
            let d = swap(d, &target, &pick);
            let u = swap_cols(u, &target, &pick);
            let vt = swap_rows(vt, &target, &pick);
            Ok(vec![i + &int(1), d, u, vt])
        },
    )?;
    Ok((out[1].clone(), out[2].clone(), out[3].clone()))
}

/// `?bdsqr('U', n, ncvt = n, nru = n, ncc = 0)` on `u = vt = I`, then `?lasdq`'s and
/// `?bdsdc`'s sorts: `(s descending, u, vt, ok)`.
fn bdsqr(k: &Consts, d: &T, e: &T) -> Result<(T, T, T, T)> {
    let n = d.shape()[0];
    let ni = n as i64;
    let dt = k.dt;
    let idx = iota(n);
    let zero = k.k(0.0);
    let one = k.k(1.0);
    let eps = k.eps;
    let unfl = k.safmin;
    let tolmul = if dt == crate::DType::F32 {
        (eps as f32).powf(-0.125).clamp(10.0, 100.0) as f64
    } else {
        eps.powf(-0.125).clamp(10.0, 100.0)
    };
    let tol = k.mul(tolmul, eps);
    let maxitr = 6.0;
    let offd = lt(&idx, &int(ni - 1));
    let eye = r(idx
        .reshape(vec![n, 1])
        .and_then(|a| a.eq(&idx.reshape(vec![1, n])?))
        .and_then(|m| m.convert(dt)));
    // sminoa: lower bound of the smallest singular value.
    let s0 = abs(&get(d, &int(0)));
    let sm = Tensor::while_loop(
        &[int(1), s0.clone(), s0],
        |v| Ok(&lt(&v[0], &int(ni)) & &ne(&v[1], &zero)),
        |v| {
            let (i, smin, mu) = (&v[0], &v[1], &v[2]);
            let mu = &abs(&get(d, i)) * &(mu / &(mu + &abs(&get(e, &(i - &int(1))))));
            Ok(vec![i + &int(1), min2(smin, &mu), mu])
        },
    )?;
    let sminoa = &sm[1] / &k.k(k.sqrt(n as f64));
    let floor = k.mul(maxitr, k.mul(n as f64, k.mul(n as f64, unfl)));
    let thresh = max2(&(&k.k(tol) * &sminoa), &k.k(floor));
    let maxitdivn = 6 * ni;
    // Main loop (label 60):
    // (m, d, e, u, vt, iter, iterdivn, oldll, oldm, idir, fail)
    let st = Tensor::while_loop(
        &[
            int(ni - 1),
            d.clone(),
            e.clone(),
            eye.clone(),
            eye,
            int(-1),
            int(0),
            int(-2),
            int(-2),
            int(0),
            Tensor::scalar(false),
        ],
        |v| Ok(&ge(&v[0], &int(1)) & &!&v[10]),
        |v| {
            let m = &v[0];
            let over = ge(&v[5], &int(ni));
            let iter = sel(&over, &(&v[5] - &int(ni)), &v[5]);
            let iterdivn = sel(&over, &(&v[6] + &int(1)), &v[6]);
            let fail = ge(&iterdivn, &int(maxitdivn));
            let (d, e) = (&v[1], &v[2]);
            let ad = abs(d);
            let ae = abs(e);
            let small = &(&le(&ae, &thresh) & &lt(&idx, m)) & &offd;
            let found = vmax(&sel(&small, &idx, &int(-1)));
            let above = gt(&idx, &found);
            let smax = max2(
                &vmax(&sel(&(&above & &le(&idx, m)), &ad, &zero)),
                &vmax(&sel(&(&above & &lt(&idx, m)), &ae, &zero)),
            );
            let e = sel(&eq(&idx, &found), &zero, e);
            let ll = &found + &int(1);
            let branch = sel(
                &fail,
                &int(3),
                &sel(
                    &eq(&found, &(m - &int(1))),
                    &int(0),
                    &sel(&eq(&ll, &(m - &int(1))), &int(1), &int(2)),
                ),
            );
            let ops = [
                m.clone(),
                d.clone(),
                e,
                v[3].clone(),
                v[4].clone(),
                iter,
                iterdivn,
                v[7].clone(),
                v[8].clone(),
                v[9].clone(),
                fail,
                ll,
                smax,
            ];
            let res = Tensor::case(
                &branch,
                &ops,
                vec![
                    // Split at the bottom: one more singular value.
                    Box::new(|o: &[Tensor]| {
                        let mut o = o.to_vec();
                        o[0] = &o[0] - &int(1);
                        Ok(o)
                    }),
                    // 2x2 block at the bottom.
                    Box::new(|o: &[Tensor]| {
                        let (m, d, e, u, vt) = (&o[0], &o[1], &o[2], &o[3], &o[4]);
                        let m1 = m - &int(1);
                        let [sigmn, sigmx, sinr, cosr, sinl, cosl] =
                            lasv2(k, &get(d, &m1), &get(e, &m1), &get(d, m));
                        let d = set(&set(d, &m1, &sigmx), m, &sigmn);
                        let e = set(e, &m1, &k.k(0.0));
                        // ?rot: x' = c x + s y, y' = c y - s x  (x = row/col m-1, y = m).
                        let vt = rot_rows(vt, &m1, m, &cosr, &sinr);
                        let u = rot_cols(u, &m1, m, &cosl, &sinl);
                        let mut o = o.to_vec();
                        o[0] = m - &int(2);
                        o[1] = d;
                        o[2] = e;
                        o[3] = u;
                        o[4] = vt;
                        Ok(o)
                    }),
                    // Convergence tests, then a QR sweep.
                    Box::new(|o: &[Tensor]| chase(k, o, tol, &thresh)),
                    // Too many iterations.
                    Box::new(|o: &[Tensor]| Ok(o.to_vec())),
                ],
            )?;
            Ok(res[..11].to_vec())
        },
    )?;
    let (d, u, vt, fail) = (&st[1], &st[3], &st[4], &st[10]);
    // Make the singular values positive (flipping rows of vt), -0 to +0.
    let neg = lt(d, &zero);
    let d = sel(&neg, &-d, d);
    let d = sel(&eq(&d, &zero), &zero, &d);
    let flip = r(sel(&neg, &-&one, &one).reshape(vec![n, 1]));
    let vt = vt * &flip;
    let (d, u, vt) = sort(k, Sort::BdsqrDescending, &d, u, &vt)?;
    let (d, u, vt) = sort(k, Sort::LasdqAscending, &d, &u, &vt)?;
    let (d, u, vt) = sort(k, Sort::BdsdcDescending, &d, &u, &vt)?;
    Ok((d, u, vt, !fail))
}

/// The convergence tests and the chasing sweep of `?bdsqr` (labels 90-150) for the block
/// `[ll, m]`, in one direction-generic form: `idir = 1` chases top to bottom (step +1,
/// from `i0 = ll` to `iend = m`), `idir = 2` bottom to top (step -1); the first rotation
/// of each step goes to `vt` (idir 1) or to `u` with its sine negated (idir 2), the second
/// to the other matrix.
fn chase(k: &Consts, o: &[Tensor], tol: f64, thresh: &T) -> Result<Vec<Tensor>> {
    let (m, d, e, u, vt) = (&o[0], &o[1], &o[2], &o[3], &o[4]);
    let (iter, oldll, oldm, idir, ll, smax) = (&o[5], &o[7], &o[8], &o[9], &o[11], &o[12]);
    let n = d.shape()[0];
    let zero = k.k(0.0);
    let one = k.k(1.0);
    let new_block = gt(ll, oldm) | lt(m, oldll);
    let idir = sel(
        &new_block,
        &sel(&ge(&abs(&get(d, ll)), &abs(&get(d, m))), &int(1), &int(2)),
        idir,
    );
    let fwd = eq(&idir, &int(1));
    let step = sel(&fwd, &int(1), &int(-1));
    let nstep = -&step;
    let i0 = sel(&fwd, ll, m);
    let iend = sel(&fwd, m, ll);
    let kend = ei(&iend, &nstep);
    // First test: the far off-diagonal entry is negligible.
    let t1 = le(
        &abs(&get(e, &kend)),
        &(&k.k(tol.abs()) * &abs(&get(d, &iend))),
    );
    let e = sel(&t1, &set(e, &kend, &zero), e);
    // mu recurrence with early deflation.
    let mu0 = abs(&get(d, &i0));
    let ml = Tensor::while_loop(
        &[i0.clone(), mu0.clone(), mu0, e, Tensor::scalar(false)],
        |v| Ok(&(&ne(&v[0], &iend) & &!&v[4]) & &!&t1),
        |v| {
            let (i, mu, smin, e) = (&v[0], &v[1], &v[2], &v[3]);
            let ek = ei(i, &step);
            let aek = abs(&get(e, &ek));
            let conv = le(&aek, &(&k.k(tol) * mu));
            let e2 = sel(&conv, &set(e, &ek, &zero), e);
            let mu2 = &abs(&get(d, &(i + &step))) * &(mu / &(mu + &aek));
            let smin2 = min2(smin, &mu2);
            Ok(vec![
                sel(&conv, i, &(i + &step)),
                sel(&conv, mu, &mu2),
                sel(&conv, smin, &smin2),
                e2,
                conv,
            ])
        },
    )?;
    let (smin, e, conv) = (&ml[2], &ml[3], &ml[4]);
    let go = &!&t1 & &!conv;
    let mut out = o.to_vec();
    out[2] = e.clone();
    out[9] = idir.clone();
    let ops = [
        d.clone(),
        e.clone(),
        u.clone(),
        vt.clone(),
        iter.clone(),
        oldll.clone(),
        oldm.clone(),
    ];
    let res = Tensor::cond(
        &go,
        &ops,
        |p| {
            let (d, e, u, vt) = (&p[0], &p[1], &p[2], &p[3]);
            let nf = n as f64;
            let eps = k.eps;
            let lhs = &k.k(k.mul(nf, tol)) * &(smin / smax);
            let zshift = le(&lhs, &k.k(eps.max(k.mul(0.01, tol))));
            let sll = abs(&get(d, &i0));
            let lo = min2(&(&iend - &step), &iend);
            let (sh, _) = las2(k, &get(d, &lo), &get(e, &lo), &get(d, &(&lo + &int(1))));
            let q = &sh / &sll;
            let sh = sel(&(&gt(&sll, &zero) & &lt(&(&q * &q), &k.k(eps))), &zero, &sh);
            let shift = sel(&zshift, &zero, &sh);
            let iter = &p[4] + &(m - ll);
            let swept = Tensor::cond(
                &eq(&shift, &zero),
                &[d.clone(), e.clone(), u.clone(), vt.clone()],
                |q| zero_shift_sweep(k, q, &i0, &iend, &step, &fwd, thresh),
                |q| shifted_sweep(k, q, &i0, &iend, &step, &fwd, &shift, thresh),
            )?;
            let mut r = swept;
            r.extend([iter, ll.clone(), m.clone()]);
            Ok(r)
        },
        |p| Ok(p.to_vec()),
    )?;
    out[1] = res[0].clone();
    out[2] = res[1].clone();
    out[3] = res[2].clone();
    out[4] = res[3].clone();
    out[5] = res[4].clone();
    out[7] = res[5].clone();
    out[8] = res[6].clone();
    let _ = one;
    Ok(out)
}

/// Applies the two rotations of one chase step to `u` and `vt` (see [`chase`]).
fn rotate_pair(
    u: &T,
    vt: &T,
    lo: &T,
    hi: &T,
    fwd: &T,
    first: (&T, &T),
    second: (&T, &T),
) -> (T, T) {
    let (c1, s1) = first;
    let (c2, s2) = second;
    // vt: first (idir 1) or second with -s (idir 2); u: second (idir 1) or first with -s.
    let cv = sel(fwd, c1, c2);
    let sv = sel(fwd, s1, &-s2);
    let cu = sel(fwd, c2, c1);
    let su = sel(fwd, s2, &-s1);
    (
        rot_cols(u, lo, hi, &cu, &su),
        rot_rows(vt, lo, hi, &cv, &sv),
    )
}

fn zero_shift_sweep(
    k: &Consts,
    q: &[Tensor],
    i0: &T,
    iend: &T,
    step: &T,
    fwd: &T,
    thresh: &T,
) -> Result<Vec<Tensor>> {
    let one = k.k(1.0);
    let nstep = -step;
    let sw = Tensor::while_loop(
        &[
            i0.clone(),
            q[0].clone(),
            q[1].clone(),
            q[2].clone(),
            q[3].clone(),
            one.clone(),
            one,
            k.k(0.0),
        ],
        |v| v[0].ne(iend),
        |v| {
            let (i, d, e, u, vt, cs, oldcs, oldsn) =
                (&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            let inext = i + step;
            let (cs, sn, rr) = lartg(k, &(&get(d, i) * cs), &get(e, &ei(i, step)));
            let e = sel(&ne(i, i0), &set(e, &ei(i, &nstep), &(oldsn * &rr)), e);
            let (oc, os, di) = lartg(k, &(oldcs * &rr), &(&get(d, &inext) * &sn));
            let d = set(d, i, &di);
            let lo = min2(i, &inext);
            let hi = max2(i, &inext);
            let (u, vt) = rotate_pair(u, vt, &lo, &hi, fwd, (&cs, &sn), (&oc, &os));
            Ok(vec![inext, d, e, u, vt, cs, oc, os])
        },
    )?;
    let (d, e, cs, oldcs, oldsn) = (&sw[1], &sw[2], &sw[5], &sw[6], &sw[7]);
    let h = &get(d, iend) * cs;
    let d = set(d, iend, &(&h * oldcs));
    let ke = ei(iend, &nstep);
    let ev = &h * oldsn;
    let ev = sel(&le(&abs(&ev), thresh), &k.k(0.0), &ev);
    let e = set(e, &ke, &ev);
    Ok(vec![d, e, sw[3].clone(), sw[4].clone()])
}

#[allow(clippy::too_many_arguments)]
fn shifted_sweep(
    k: &Consts,
    q: &[Tensor],
    i0: &T,
    iend: &T,
    step: &T,
    fwd: &T,
    shift: &T,
    thresh: &T,
) -> Result<Vec<Tensor>> {
    let one = k.k(1.0);
    let nstep = -step;
    let (d, e) = (&q[0], &q[1]);
    let d0 = get(d, i0);
    let f = &(&abs(&d0) - shift) * &(&sign(&one, &d0) + &(shift / &d0));
    let g = get(e, &ei(i0, step));
    let sw = Tensor::while_loop(
        &[
            i0.clone(),
            d.clone(),
            e.clone(),
            q[2].clone(),
            q[3].clone(),
            f,
            g,
        ],
        |v| v[0].ne(iend),
        |v| {
            let (i, d, e, u, vt, f, g) = (&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
            let inext = i + step;
            let (cosr, sinr, rr) = lartg(k, f, g);
            let e = sel(&ne(i, i0), &set(e, &ei(i, &nstep), &rr), e);
            let ek = ei(i, step);
            let di = get(d, i);
            let eki = get(&e, &ek);
            let f = &(&cosr * &di) + &(&sinr * &eki);
            let e = set(&e, &ek, &(&(&cosr * &eki) - &(&sinr * &di)));
            let dn = get(d, &inext);
            let g = &sinr * &dn;
            let dn = &cosr * &dn;
            let (cosl, sinl, rr) = lartg(k, &f, &g);
            let d = set(d, i, &rr);
            let eki = get(&e, &ek);
            let f = &(&cosl * &eki) + &(&sinl * &dn);
            let dn = &(&cosl * &dn) - &(&sinl * &eki);
            let d = set(&d, &inext, &dn);
            let more = ne(&inext, iend);
            let ek2 = ei(&inext, step);
            let e2 = get(&e, &ek2);
            let g = sel(&more, &(&sinl * &e2), &g);
            let e = sel(&more, &set(&e, &ek2, &(&cosl * &e2)), &e);
            let lo = min2(i, &inext);
            let hi = max2(i, &inext);
            let (u, vt) = rotate_pair(u, vt, &lo, &hi, fwd, (&cosr, &sinr), (&cosl, &sinl));
            Ok(vec![inext, d, e, u, vt, f, g])
        },
    )?;
    let (d, e, f) = (&sw[1], &sw[2], &sw[5]);
    let ke = ei(iend, &nstep);
    let ev = sel(&le(&abs(f), thresh), &k.k(0.0), f);
    let e = set(e, &ke, &ev);
    Ok(vec![d.clone(), e, sw[3].clone(), sw[4].clone()])
}

/// SVD of one square `[n, n]` matrix: `(u, s descending, vt)`; NaNs where LAPACK would
/// report non-convergence.
pub(super) fn gesdd(a: &T) -> Result<(T, T, T)> {
    let n = a.shape()[0];
    let k = Consts::new("svd", a.dtype())?;
    let dt = k.dt;
    let zero = k.k(0.0);
    let one = k.k(1.0);
    if n == 1 {
        let x = a.reshape(vec![1])?;
        let u = sign(&one, &x).reshape(vec![1, 1])?;
        return Ok((u, abs(&x).check()?.clone(), Tensor::ones(dt, vec![1, 1])));
    }
    // ?gesdd scaling of tiny/huge matrices.
    let smlnum = k.div(k.sqrt(k.safmin), k.prec);
    let bignum = k.div(1.0, smlnum);
    let anrm = r(abs(a).max(&[0, 1]));
    let up = &gt(&anrm, &zero) & &lt(&anrm, &k.k(smlnum));
    let down = gt(&anrm, &k.k(bignum));
    let scale = sel(
        &up,
        &(&k.k(smlnum) / &anrm),
        &sel(&down, &(&k.k(bignum) / &anrm), &one),
    );
    let unscale = sel(
        &up,
        &(&anrm / &k.k(smlnum)),
        &sel(&down, &(&anrm / &k.k(bignum)), &one),
    );
    let a = a * &scale;
    let [d, e, qv, tauq, pv, taup] = gebd2(&k, &a)?;
    let (s, u, vt, ok) = bdsqr(&k, &d, &e)?;
    // ?ormbr('Q', 'L', 'N'): u := H(0) ... H(n-1) u.
    let u = Tensor::while_loop(
        &[int(n as i64 - 1), u],
        |v| v[0].ge(&int(0)),
        |v| {
            let (i, u) = (&v[0], &v[1]);
            let vv = col(&qv, i);
            let tau = get(&tauq, i);
            let u2 = u - &(&tau * &outer(&vv, &vecmat(&vv, u)));
            Ok(vec![i - &int(1), sel(&ne(&tau, &zero), &u2, u)])
        },
    )?;
    // ?ormbr('P', 'R', 'T'): vt := vt G(n-2) ... G(0).
    let vt = Tensor::while_loop(
        &[int(n as i64 - 2), vt],
        |v| v[0].ge(&int(0)),
        |v| {
            let (i, vt) = (&v[0], &v[1]);
            let vv = col(&pv, i);
            let tau = get(&taup, i);
            let vt2 = vt - &(&tau * &outer(&matvec(vt, &vv), &vv));
            Ok(vec![i - &int(1), sel(&ne(&tau, &zero), &vt2, vt)])
        },
    )?;
    let s = &s * &unscale;
    let nan = k.k(f64::NAN);
    Ok((
        sel(&ok, &u[1], &nan).check()?.clone(),
        sel(&ok, &s, &nan).check()?.clone(),
        sel(&ok, &vt[1], &nan).check()?.clone(),
    ))
}
