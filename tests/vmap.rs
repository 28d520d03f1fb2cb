//! `ferrax::vmap` over `ferrax::random` functions against `jax.vmap` (golden vectors from
//! scripts/golden_vmap.py), bit for bit, in both counter layouts; run through the CPU
//! plugin eagerly and inside `jit`. Plus vmap of compiled control flow and indexing
//! against per-example results.

use ferrax::prelude::*;
use ferrax::random::{self, config, Key, UniformOpts};
use ferrax::vmap;
use serde_json::Value;

type R<T> = ferrax::Result<T>;

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/vmap.json"
    ))
    .expect("run scripts/golden_vmap.py");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["cases"].as_array().expect("cases").clone()
}

fn want_bits(c: &Value) -> Vec<u32> {
    c["hex"]
        .as_array()
        .expect("hex")
        .iter()
        .map(|h| {
            u32::from_str_radix(h.as_str().expect("hex").trim_start_matches("0x"), 16).unwrap()
        })
        .collect()
}

fn shape(c: &Value) -> Vec<usize> {
    c["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn wrap(t: &Tensor) -> R<Key> {
    random::wrap_key_data(t)
}

fn keys(seed: i64, n: usize) -> R<Tensor> {
    Ok(random::key_data(&random::split(&random::key(seed), n)?))
}

/// The ferrax version of each golden case (tensors of the current trace).
fn build(name: &str) -> R<Tensor> {
    let s0 = [Some(0)];
    let out = match name {
        "normal" => vmap(
            |k: &[Tensor]| Ok(vec![random::normal(&wrap(&k[0])?, &[3], None)?]),
            &s0,
            &s0,
        )
        .call(&[keys(0, 4)?])?,
        "uniform" => vmap(
            |k: &[Tensor]| {
                Ok(vec![random::uniform(
                    &wrap(&k[0])?,
                    &[2, 3],
                    UniformOpts::default(),
                )?])
            },
            &s0,
            &s0,
        )
        .call(&[keys(1, 5)?])?,
        "uniform_out_axes_1" => vmap(
            |k: &[Tensor]| {
                Ok(vec![random::uniform(
                    &wrap(&k[0])?,
                    &[2, 3],
                    UniformOpts::default(),
                )?])
            },
            &s0,
            &[Some(1)],
        )
        .call(&[keys(1, 5)?])?,
        "bits" => vmap(
            |k: &[Tensor]| Ok(vec![random::bits(&wrap(&k[0])?, &[5], None)?]),
            &s0,
            &s0,
        )
        .call(&[keys(42, 3)?])?,
        "fold_in" => vmap(
            |a: &[Tensor]| {
                Ok(vec![random::key_data(&random::fold_in(
                    &wrap(&a[0])?,
                    &a[1],
                )?)])
            },
            &[Some(0), Some(0)],
            &s0,
        )
        .call(&[keys(0, 4)?, Tensor::arange(DType::U32, 4)?])?,
        "fold_in_shared_key" => {
            let k7 = random::key(7);
            vmap(
                move |a: &[Tensor]| Ok(vec![random::key_data(&random::fold_in(&k7, &a[0])?)]),
                &s0,
                &s0,
            )
            .call(&[Tensor::arange(DType::U32, 6)?])?
        }
        "split" => vmap(
            |k: &[Tensor]| Ok(vec![random::key_data(&random::split(&wrap(&k[0])?, 3)?)]),
            &s0,
            &s0,
        )
        .call(&[keys(0, 2)?])?,
        "nested_normal" => {
            let ks = random::key_data(&random::split_shape(&random::key(3), &[2, 3])?);
            let mut inner = vmap(
                |k: &[Tensor]| Ok(vec![random::normal(&wrap(&k[0])?, &[], None)?]),
                &s0,
                &s0,
            );
            vmap(|k: &[Tensor]| inner.call(k), &s0, &s0).call(&[ks])?
        }
        "normal_in_axes_1" => vmap(
            |k: &[Tensor]| Ok(vec![random::normal(&wrap(&k[0])?, &[3], None)?]),
            &[Some(1)],
            &s0,
        )
        .call(&[keys(5, 4)?.transpose(&[1, 0])?])?,
        other => panic!("unknown golden case {other}"),
    };
    Ok(out.into_iter().next().expect("one result"))
}

fn bits_of(a: &Array) -> Vec<u32> {
    match a.dtype() {
        DType::F32 => a
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect(),
        DType::U32 => a.to_vec::<u32>().unwrap(),
        d => panic!("unexpected dtype {d}"),
    }
}

#[test]
fn random_under_vmap_matches_jax_bit_for_bit() {
    let all = cases();
    assert!(all.len() >= 18);
    for c in &all {
        let name = c["name"].as_str().unwrap();
        let part = c["partitionable"].as_bool().unwrap();
        let _layout = config::threefry_partitionable_scope(part);
        let got = build(name).unwrap().eval().unwrap();
        assert_eq!(
            got.shape(),
            shape(c).as_slice(),
            "{name} (partitionable={part})"
        );
        assert_eq!(bits_of(&got), want_bits(c), "{name} (partitionable={part})");
    }
}

#[test]
fn random_under_vmap_inside_jit_matches_jax() {
    // The example, traced inside jit over the key data.
    for c in cases().iter().filter(|c| c["name"] == "normal") {
        let part = c["partitionable"].as_bool().unwrap();
        let _layout = config::threefry_partitionable_scope(part);
        let mut f = ferrax::jit(|kd: &Tensor| {
            let mut g = vmap(
                |k: &[Tensor]| Ok(vec![random::normal(&wrap(&k[0])?, &[3], None)?]),
                &[Some(0)],
                &[Some(0)],
            );
            Ok(g.call(std::slice::from_ref(kd))?.remove(0))
        });
        let kd = keys(0, 4).unwrap().eval().unwrap();
        let got: Array = f.call(&[&kd]).unwrap();
        assert_eq!(bits_of(&got), want_bits(c), "partitionable={part}");
    }
}

#[test]
fn compiled_vmap_of_control_flow_and_indexing_matches_per_example() {
    // f(x, i) = (while-loop doubling x[i..i+2] until its sum exceeds 10, case on i).
    let f = |a: &[Tensor]| -> R<Vec<Tensor>> {
        let w = a[0].dynamic_slice(&[a[1].clone()], &[2])?;
        let out = Tensor::while_loop(
            &[w],
            |v| v[0].sum(&[0])?.lt(&Tensor::scalar(10.0f32)),
            |v| Ok(vec![v[0].mul(&Tensor::scalar(2.0f32))?]),
        )?;
        let c = Tensor::cond(
            &a[1].gt(&Tensor::scalar(1i32))?,
            &[out[0].clone()],
            |v| Ok(vec![v[0].neg()?]),
            |v| Ok(vec![v[0].clone()]),
        )?;
        let upd = a[0].dynamic_update_slice(&c[0], &[a[1].clone()])?;
        Ok(vec![c[0].clone(), upd])
    };
    let xs: Vec<f32> = (0..15).map(|i| 0.25 + i as f32 * 0.5).collect();
    let idx = vec![0i32, 3, 1];
    let xt = Tensor::from_vec(xs.clone(), [3, 5]).unwrap();
    let it = Tensor::from_vec(idx.clone(), [3]).unwrap();
    let got = vmap(f, &[Some(0), Some(0)], &[Some(0), Some(1)])
        .call(&[xt, it])
        .unwrap();
    let g0 = got[0].eval().unwrap();
    let g1 = got[1].eval().unwrap();
    assert_eq!(g0.shape(), &[3, 2]);
    assert_eq!(g1.shape(), &[5, 3]);
    let (g0, g1) = (g0.to_vec::<f32>().unwrap(), g1.to_vec::<f32>().unwrap());
    for b in 0..3 {
        let x = Tensor::from_vec(xs[b * 5..b * 5 + 5].to_vec(), [5]).unwrap();
        let one = f(&[x, Tensor::scalar(idx[b])]).unwrap();
        let w0 = one[0].eval().unwrap().to_vec::<f32>().unwrap();
        let w1 = one[1].eval().unwrap().to_vec::<f32>().unwrap();
        assert_eq!(&g0[b * 2..b * 2 + 2], w0.as_slice(), "example {b}");
        let col: Vec<f32> = (0..5).map(|j| g1[j * 3 + b]).collect();
        assert_eq!(col, w1, "example {b}");
    }
}

#[test]
fn vmap_errors_are_values() {
    let a = Tensor::zeros(DType::F32, [3, 2]);
    let b = Tensor::zeros(DType::F32, [4, 2]);
    let e = vmap(|x: &[Tensor]| Ok(x.to_vec()), &[Some(0)], &[Some(0)])
        .call(&[a, b])
        .unwrap_err();
    assert!(e.to_string().starts_with("vmap: inconsistent sizes"), "{e}");
}
