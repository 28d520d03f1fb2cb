//! NNX benchmarks (companion: scripts/bench_jax_nnx.py times Flax NNX / JAX on the same
//! machine; scripts/bench_construct.py times construction in fresh processes).
//!
//! - `nnx/jit_notebook_mlp` vs `nnx/raw_notebook_mlp`: a jitted call of the notebook MLP
//!   (Linear 2->10, relu, Linear 10->5) on ones(1, 2), result read, against raw PJRT
//!   execution (`LoadedExecutable::execute`, `Buffer::read_in_place`) of the very same
//!   compiled executable with the same device-resident inputs.
//! - `nnx/jit_ref_notebook_mlp`: the same through `jit` over `&Mlp` (nothing written back).
//! - `nnx/jit_mlp_784_512_512_10_b128`: a jitted call of a 784-512-512-10 MLP at batch 128.

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::nn::Rngs;
use ferrax::prelude::*;
use ferrax::Runtime;
use std::hint::black_box;

#[path = "common/mlp.rs"]
mod mlp;
use mlp::Mlp;

fn bench(c: &mut Criterion) {
    let rt = Runtime::default_runtime().expect("runtime");
    let mut g = c.benchmark_group("nnx");

    let mut small = Mlp::new(&[2, 10, 5], &mut Rngs::new().with("params", 0)).expect("mlp");
    let x = Array::ones([1, 2], DType::F32);
    let mut step = ferrax::jit(|m: &mut Mlp, x: &Tensor| m.forward(x));
    let _: Array = step.call(&mut small, &x).expect("first call");
    g.bench_function("jit_notebook_mlp", |b| {
        b.iter(|| {
            let y: Array = step.call(&mut small, &x).expect("call");
            black_box(y.to_vec::<f32>().expect("read"))
        })
    });
    // The very executable `step.call` runs, on the same device-resident inputs.
    let (compiled, inputs) = step.compiled(&mut small, &x).expect("program");
    let exe = &compiled.exe;
    let bufs: Vec<_> = inputs
        .iter()
        .map(|a| a.buffer(&rt).expect("buffer"))
        .collect();
    g.bench_function("raw_notebook_mlp", |b| {
        b.iter(|| {
            let outs = exe.execute(&bufs).expect("execute");
            black_box(
                outs[0]
                    .read_in_place(|bytes| {
                        bytes
                            .chunks_exact(4)
                            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                            .collect::<Vec<f32>>()
                    })
                    .expect("read"),
            )
        })
    });

    let mut eval = ferrax::jit(|m: &Mlp, x: &Tensor| m.forward(x));
    let _: Array = eval.call(&small, &x).expect("first call");
    g.bench_function("jit_ref_notebook_mlp", |b| {
        b.iter(|| {
            let y: Array = eval.call(&small, &x).expect("call");
            black_box(y.to_vec::<f32>().expect("read"))
        })
    });

    let mut big = Mlp::new(&[784, 512, 512, 10], &mut Rngs::new().with("params", 0)).expect("mlp");
    let xb = Array::ones([128, 784], DType::F32);
    let mut stepb = ferrax::jit(|m: &mut Mlp, x: &Tensor| m.forward(x));
    let _: Array = stepb.call(&mut big, &xb).expect("first call");
    g.bench_function("jit_mlp_784_512_512_10_b128", |b| {
        b.iter(|| {
            let y: Array = stepb.call(&mut big, &xb).expect("call");
            black_box(y.to_vec::<f32>().expect("read"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
