//! `vmap` bench (issue: within 1.1x of the batched model): a jitted call of a
//! 784-512-512-10 MLP written for ONE example and vmapped over 64 examples, against the same
//! MLP called on the [64, 784] batch directly. Both programs are compiled once; each
//! iteration runs the program and reads the [64, 10] result.
//!
//! `cargo bench -p ferrax-nn --bench vmap`

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::nn::{self, Rngs, StateAxes};
use ferrax::prelude::*;
use std::hint::black_box;

#[path = "common/mlp.rs"]
mod mlp;
use mlp::Mlp;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("vmap");
    let mut model =
        Mlp::new(&[784, 512, 512, 10], &mut Rngs::new().with("params", 0)).expect("mlp");
    let data: Vec<f32> = (0..64 * 784).map(|i| ((i % 97) as f32) * 0.01).collect();
    let x = Array::from_vec(data, [64, 784]).expect("x");

    let mut batched = ferrax::jit(|m: &mut Mlp, x: &Tensor| m.forward(x));
    let mut vmapped = ferrax::jit(|m: &mut Mlp, x: &Tensor| {
        // One example is a [784] vector; the parameters are shared (axis None).
        let mut per_example =
            nn::vmap(|m: &mut Mlp, a: &[Tensor]| Ok(((), vec![m.forward(&a[0])?])))
                .in_axes(StateAxes::all(None), &[Some(0)])
                .out_axes(StateAxes::all(None), &[Some(0)]);
        Ok(per_example.call(m, std::slice::from_ref(x))?.1.remove(0))
    });
    let a: Array = batched.call(&mut model, &x).expect("batched");
    let b: Array = vmapped.call(&mut model, &x).expect("vmapped");
    assert_eq!(a.shape(), b.shape());
    g.bench_function("mlp_784_512_512_10_batched_64", |bch| {
        bch.iter(|| {
            let y: Array = batched.call(&mut model, &x).expect("call");
            black_box(y.to_vec::<f32>().expect("read"))
        })
    });
    g.bench_function("mlp_784_512_512_10_vmapped_64", |bch| {
        bch.iter(|| {
            let y: Array = vmapped.call(&mut model, &x).expect("call");
            black_box(y.to_vec::<f32>().expect("read"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
