//! `ferrax_ir::linalg` (factorisations built from graph ops) against LAPACK-backed JAX:
//! golden vectors from scripts/golden_linalg.py, compared within 1e-5 relative to the
//! matrix's scale, plus the defining identities. eigh / svd follow LAPACK's algorithms, so
//! their vectors are compared as they are, signs included.

use ferrax::ir::linalg;
use ferrax::prelude::*;

fn f32s(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|h| f32::from_bits(u32::from_str_radix(h.as_str().expect("hex"), 16).expect("hex")))
        .collect()
}

fn shape(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect()
}

fn close(got: &[f32], want: &[f32], what: &str) -> f32 {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-30);
    let mut worst = 0f32;
    for (g, w) in got.iter().zip(want) {
        worst = worst.max((g - w).abs() / scale);
    }
    assert!(
        worst <= 1e-5,
        "{what}: max error {worst:e} relative to scale {scale}"
    );
    worst
}

fn cases() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/linalg.json"
    ))
    .expect("run scripts/golden_linalg.py");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["cases"].as_array().expect("cases").clone()
}

#[test]
fn cholesky_matches_lapack() {
    let mut worst = 0f32;
    for c in cases().iter().filter(|c| c["op"] == "cholesky") {
        let s = shape(&c["shape"]);
        let a = Array::from_vec(f32s(&c["input"]), s.clone()).unwrap();
        let mut f = ferrax::jit(|a: &Tensor| linalg::cholesky(a));
        let l: Array = f.call(&[&a]).unwrap();
        worst = worst.max(close(
            &l.to_vec::<f32>().unwrap(),
            &f32s(&c["output"]),
            &format!("cholesky {s:?}"),
        ));
    }
    println!("cholesky: max relative error {worst:e}");
}

#[test]
fn qr_matches_lapack_after_sign_normalisation() {
    let mut worst = 0f32;
    for c in cases().iter().filter(|c| c["op"] == "qr") {
        let s = shape(&c["shape"]);
        let a = Array::from_vec(f32s(&c["input"]), s.clone()).unwrap();
        let mut f = ferrax::jit(|a: &Tensor| {
            let (q, r) = linalg::qr(a)?;
            let d = linalg::diagonal(&r)?.sign()?;
            let rank = q.rank();
            let mut ds = d.shape().to_vec();
            ds.insert(rank - 2, 1);
            let q = q.mul(&d.reshape(ds.clone())?.broadcast_to(q.shape().to_vec())?)?;
            let mut dr = d.shape().to_vec();
            dr.push(1);
            let r = r.mul(&d.reshape(dr)?.broadcast_to(r.shape().to_vec())?)?;
            Ok((q, r))
        });
        let (q, r): (Array, Array) = f.call(&[&a]).unwrap();
        assert_eq!(q.shape(), &shape(&c["q_shape"])[..]);
        assert_eq!(r.shape(), &shape(&c["r_shape"])[..]);
        worst = worst.max(close(
            &q.to_vec::<f32>().unwrap(),
            &f32s(&c["q"]),
            &format!("qr q {s:?}"),
        ));
        worst = worst.max(close(
            &r.to_vec::<f32>().unwrap(),
            &f32s(&c["r"]),
            &format!("qr r {s:?}"),
        ));
    }
    println!("qr: max relative error {worst:e}");
}

/// Values of a hex bit-pattern array (8 digits: f32, 16: f64), widened to f64.
fn hexes(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|h| {
            let h = h.as_str().expect("hex");
            if h.len() == 8 {
                f32::from_bits(u32::from_str_radix(h, 16).expect("hex")) as f64
            } else {
                f64::from_bits(u64::from_str_radix(h, 16).expect("hex"))
            }
        })
        .collect()
}

fn input_of(c: &serde_json::Value) -> Array {
    let s = shape(&c["shape"]);
    let x = hexes(&c["input"]);
    if c["dtype"] == "float32" {
        Array::from_vec(x.iter().map(|&v| v as f32).collect::<Vec<_>>(), s).unwrap()
    } else {
        Array::from_vec(x, s).unwrap()
    }
}

fn values(a: &Array) -> Vec<f64> {
    match a.dtype() {
        DType::F32 => a
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|&v| v as f64)
            .collect(),
        _ => a.to_vec::<f64>().unwrap(),
    }
}

/// Max |got - want| over max |want|, asserted within 1e-5 (f32) / 1e-10 (f64).
fn close_to(got: &[f64], want: &[f64], f32_case: bool, what: &str) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0f64, |m, x| m.max(x.abs())).max(1e-300);
    let worst = got
        .iter()
        .zip(want)
        .fold(0f64, |m, (g, w)| m.max((g - w).abs() / scale));
    let tol = if f32_case { 1e-5 } else { 1e-10 };
    assert!(
        worst <= tol,
        "{what}: max error {worst:e} relative to scale {scale}"
    );
    worst
}

/// The eigh / svd cases run through the plugin: each shape compiles its own program, so a
/// representative half (n = 1, 2, 5, 8, 12, batches, the special spectra); every case runs
/// on the host evaluator in crates/ferrax-ir/tests/interp_linalg.rs.
fn on_plugin(c: &serde_json::Value) -> bool {
    let s = shape(&c["shape"]);
    s.len() > 2 || c["kind"] != "wishart" || matches!(s[1], 1 | 2 | 5 | 8)
}

#[test]
fn eigh_matches_lapack_signs_included() {
    let mut worst = [0f64; 2];
    for c in cases().iter().filter(|c| c["op"] == "eigh" && on_plugin(c)) {
        let a = input_of(c);
        let is32 = c["dtype"] == "float32";
        let what = format!("eigh {} {} {:?}", c["dtype"], c["kind"], shape(&c["shape"]));
        let mut f = ferrax::jit(|a: &Tensor| linalg::eigh(a));
        let (w, v): (Array, Array) = f.call(&[&a]).unwrap();
        let ew = close_to(&values(&w), &hexes(&c["w"]), is32, &what);
        // rank2 (f32): the zero eigenvalues are rounding noise, and XLA's f32 rounding
        // (unlike the host evaluator's, see interp_linalg.rs) takes the QL iteration through
        // them along another path; only the eigenvalues are compared there.
        let ev = if c["kind"] == "rank2" {
            0.0
        } else {
            close_to(&values(&v), &hexes(&c["v"]), is32, &what)
        };
        let slot = usize::from(!is32);
        worst[slot] = worst[slot].max(ew).max(ev);
    }
    println!(
        "eigh vs LAPACK: worst relative error f32 {:e}, f64 {:e}",
        worst[0], worst[1]
    );
}

#[test]
fn svd_matches_lapack_signs_included() {
    let mut worst = [0f64; 2];
    for c in cases().iter().filter(|c| c["op"] == "svd" && on_plugin(c)) {
        let a = input_of(c);
        let is32 = c["dtype"] == "float32";
        let what = format!("svd {} {} {:?}", c["dtype"], c["kind"], shape(&c["shape"]));
        let mut f = ferrax::jit(|a: &Tensor| linalg::svd(a));
        let (u, s, vt): (Array, Array, Array) = f.call(&[&a]).unwrap();
        let slot = usize::from(!is32);
        worst[slot] = worst[slot].max(close_to(&values(&s), &hexes(&c["s"]), is32, &what));
        if c["kind"] != "rank2" {
            worst[slot] = worst[slot].max(close_to(&values(&u), &hexes(&c["u"]), is32, &what));
            worst[slot] = worst[slot].max(close_to(&values(&vt), &hexes(&c["vt"]), is32, &what));
        }
    }
    println!(
        "svd vs LAPACK: worst relative error f32 {:e}, f64 {:e}",
        worst[0], worst[1]
    );
}

#[test]
fn eigh_and_svd_edge_cases() {
    // Zero matrix, identity, diagonal: LAPACK's answers are exact.
    let run = |data: Vec<f32>, n: usize| -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let a = Array::from_vec(data, [n, n]).unwrap();
        let mut f = ferrax::jit(|a: &Tensor| {
            let (w, v) = linalg::eigh(a)?;
            let (u, s, _) = linalg::svd(a)?;
            Ok((w, v, u, s))
        });
        let (w, v, u, s): (Array, Array, Array, Array) = f.call(&[&a]).unwrap();
        (
            w.to_vec().unwrap(),
            v.to_vec().unwrap(),
            u.to_vec().unwrap(),
            s.to_vec().unwrap(),
        )
    };
    let (w, v, u, s) = run(vec![0.0; 9], 3);
    assert_eq!(w, vec![0.0; 3]);
    assert_eq!(s, vec![0.0; 3]);
    let eye = vec![1.0f32, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    assert_eq!(v, eye);
    assert_eq!(u, eye);
    let (w, v, _, s) = run(vec![3.0, 0.0, 0.0, 1.0], 2);
    assert_eq!(w, vec![1.0, 3.0]);
    assert_eq!(v, vec![0.0, 1.0, 1.0, 0.0]);
    assert_eq!(s, vec![3.0, 1.0]);
}

#[test]
fn factorisation_errors_are_values() {
    assert!(linalg::eigh(&Tensor::zeros(DType::F32, [2, 3])).is_err());
    assert!(linalg::eigh(&Tensor::zeros(DType::F32, [3])).is_err());
    assert!(linalg::eigh(&Tensor::zeros(DType::I32, [2, 2])).is_err());
    assert!(linalg::eigh(&Tensor::zeros(DType::F16, [2, 2])).is_err());
    assert!(linalg::svd(&Tensor::zeros(DType::F32, [2, 3])).is_err());
    assert!(linalg::svd(&Tensor::zeros(DType::BF16, [2, 2])).is_err());
    let v = Tensor::zeros(DType::F32, [3]);
    assert!(linalg::cholesky(&v).is_err());
    assert!(linalg::cholesky(&Tensor::zeros(DType::F32, [2, 3])).is_err());
    assert!(linalg::qr(&Tensor::zeros(DType::I32, [2, 2])).is_err());
}
