//! `Tensor::scan` against `jax.lax.scan` (scripts/golden_scan.py): carries, several xs,
//! several ys, reverse, unroll (dividing the length or not), and RNG keys in the carry under
//! both counter layouts; plus the error cases.

use ferrax::prelude::*;
use ferrax::random::{self, config};
use serde_json::Value;

fn golden() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/scan.json"
    ))
    .expect("run scripts/golden_scan.py");
    serde_json::from_str(&text).expect("json")
}

fn shape(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn bits(v: &Value) -> Vec<u32> {
    v["bits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn f32_array(v: &Value) -> Array {
    let data: Vec<f32> = bits(v).into_iter().map(f32::from_bits).collect();
    Array::from_vec(data, shape(v)).unwrap()
}

fn array_bits(a: &Array) -> Vec<u32> {
    match a.dtype() {
        DType::F32 => a
            .to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f32::to_bits)
            .collect(),
        _ => a.to_vec::<u32>().unwrap(),
    }
}

fn check(got: &Array, want: &Value, what: &str) {
    assert_eq!(got.shape(), shape(want).as_slice(), "{what}: shape");
    assert_eq!(array_bits(got), bits(want), "{what}: bits");
}

#[test]
fn float_scans_match_jax() {
    let g = golden();
    for case in g["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "two_carries")
    {
        let reverse = case["reverse"].as_bool().unwrap();
        let unroll = case["unroll"].as_u64().unwrap() as usize;
        let init: Vec<f32> = case["init"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let (xs, zs) = (f32_array(&case["xs"]), f32_array(&case["zs"]));
        let mut step = ferrax::jit(move |args: &[Tensor]| -> ferrax::Result<Vec<Tensor>> {
            let (carry, ys) = Tensor::scan(
                |c, xz| {
                    let (x, z) = (&xz[0], &xz[1]);
                    let z0 = z.slice(&[0], &[1], &[1])?.reshape(Vec::<usize>::new())?;
                    let z1 = z.slice(&[1], &[2], &[1])?.reshape(Vec::<usize>::new())?;
                    let a2 = c[0].mul(&Tensor::scalar(0.5f32))?.add(&x.mul(&z0)?)?;
                    let b2 = c[1].sub(x)?.tanh()?.add(&z1)?;
                    let y1 = a2.add(&b2)?;
                    let y2 = Tensor::concatenate(
                        &[a2.reshape([1])?, b2.reshape([1])?, x.reshape([1])?],
                        0,
                    )?;
                    Ok((vec![a2, b2], vec![y1, y2]))
                },
                &args[..2],
                &args[2..],
                ScanOpts::default().reverse(reverse).unroll(unroll),
            )?;
            Ok(carry.into_iter().chain(ys).collect())
        });
        let a0 = Array::scalar(init[0]);
        let b0 = Array::scalar(init[1]);
        let out: Vec<Array> = step.call(&[&a0, &b0, &xs, &zs]).unwrap();
        let what = format!("reverse={reverse} unroll={unroll}");
        check(&out[0], &case["carry"][0], &what);
        check(&out[1], &case["carry"][1], &what);
        check(&out[2], &case["ys"][0], &what);
        check(&out[3], &case["ys"][1], &what);
    }
}

#[test]
fn rng_key_in_the_carry_matches_jax_in_both_layouts() {
    let g = golden();
    for case in g["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "rng_carry")
    {
        let _layout = config::threefry_partitionable_scope(case["layout"] == "default");
        let key = random::key(case["seed"].as_i64().unwrap());
        let length = case["length"].as_u64().unwrap() as usize;
        let (carry, ys) = Tensor::scan(
            |c, _| {
                let k = random::wrap_key_data(&c[0])?;
                let ks = random::split(&k, 2)?;
                let y = random::normal(&ks.get(1)?, &[3], None)?;
                Ok((vec![random::key_data(&ks.get(0)?)], vec![y]))
            },
            &[random::key_data(&key)],
            &[],
            ScanOpts::length(length),
        )
        .unwrap();
        let outs = ferrax::eval_many(&[carry[0].clone(), ys[0].clone()]).unwrap();
        check(&outs[0], &case["carry"][0], "key");
        check(&outs[1], &case["ys"][0], "normals");
    }
}

#[test]
fn zero_length_and_errors() -> ferrax::Result<()> {
    // Length 0: the carry passes through, ys are empty.
    let (c, ys) = Tensor::scan(
        |c, x| Ok((vec![c[0].add(&x[0])?], vec![x[0].clone()])),
        &[Tensor::full(DType::F32, [2], 1.5)],
        &[Tensor::zeros(DType::F32, [0, 2])],
        ScanOpts::default(),
    )?;
    assert_eq!(c[0].eval()?.to_vec::<f32>()?, vec![1.5, 1.5]);
    assert_eq!(ys[0].shape(), &[0, 2]);
    // xs of different lengths.
    let e = Tensor::scan(
        |c, _| Ok((c.to_vec(), vec![])),
        &[Tensor::scalar(0.0f32)],
        &[
            Tensor::zeros(DType::F32, [3]),
            Tensor::zeros(DType::F32, [4]),
        ],
        ScanOpts::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("scan") && e.to_string().contains("different lengths"),
        "{e}"
    );
    // A given length that disagrees with xs.
    let e = Tensor::scan(
        |c, _| Ok((c.to_vec(), vec![])),
        &[Tensor::scalar(0.0f32)],
        &[Tensor::zeros(DType::F32, [3])],
        ScanOpts::length(5),
    )
    .unwrap_err();
    assert!(e.to_string().contains("given length"), "{e}");
    // No xs and no length.
    let e = Tensor::scan(
        |c, _| Ok((c.to_vec(), vec![])),
        &[Tensor::scalar(0.0f32)],
        &[],
        ScanOpts::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("length is required"), "{e}");
    // Carry changing type.
    let e = Tensor::scan(
        |c, _| Ok((vec![c[0].convert(DType::F64)?], vec![])),
        &[Tensor::scalar(0.0f32)],
        &[],
        ScanOpts::length(2),
    )
    .unwrap_err();
    assert!(e.to_string().contains("carry output types"), "{e}");
    Ok(())
}
