//! `ferrax_ir::linalg` (factorisations built from graph ops) against LAPACK-backed JAX:
//! golden vectors from scripts/golden_linalg.py, compared within 1e-5 relative to the
//! matrix's scale, plus the defining identities.

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

#[test]
fn factorisation_errors_are_values() {
    let v = Tensor::zeros(DType::F32, [3]);
    assert!(linalg::cholesky(&v).is_err());
    assert!(linalg::cholesky(&Tensor::zeros(DType::F32, [2, 3])).is_err());
    assert!(linalg::qr(&Tensor::zeros(DType::I32, [2, 2])).is_err());
}
