//! Foundation benchmarks.
//!
//! - `call/jit_tiny` vs `call/raw_pjrt_tiny`: per-call latency of a jitted function of two
//!   f32[2,3] inputs (add + dot) against raw PJRT execution of the very same StableHLO text
//!   (pre-made device buffers, execute, read the result in place), both with inputs already
//!   on the device.
//! - `trace_lower/mlp_784_512_512_10`: tracing the forward graph of a 784-512-512-10 MLP,
//!   optimising and lowering it to StableHLO text.
//!
//! Companion: `scripts/bench_jax_foundation.py` times JAX on the same machine.

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::prelude::*;
use ferrax::Runtime;
use std::hint::black_box;

fn tiny(x: &Tensor, y: &Tensor) -> ferrax_ir::Result<Tensor> {
    let s = x.add(y)?;
    s.matmul(&y.t()?)
}

fn mlp_types(sizes: &[usize], batch: usize) -> Vec<TensorType> {
    let mut types = vec![TensorType::new(DType::F32, [batch, sizes[0]])];
    for w in sizes.windows(2) {
        types.push(TensorType::new(DType::F32, [w[0], w[1]]));
        types.push(TensorType::new(DType::F32, [w[1]]));
    }
    types
}

fn mlp(p: &[Tensor]) -> ferrax_ir::Result<Tensor> {
    let n = (p.len() - 1) / 2;
    let mut h = p[0].clone();
    for l in 0..n {
        h = h.matmul(&p[1 + 2 * l])?.add(&p[2 + 2 * l])?;
        if l + 1 < n {
            h = h.maximum(&h.scalar_of(0.0)?)?;
        }
    }
    Ok(h)
}

fn bench_call(c: &mut Criterion) {
    let rt = Runtime::default_runtime().expect("runtime");
    let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).expect("x");
    let y = Array::ones([2, 3], DType::F32);
    let mut f = ferrax::jit(tiny);
    let _: Array = f.call(&[&x, &y]).expect("first call");

    let mut g = c.benchmark_group("call");
    g.bench_function("jit_tiny", |b| {
        b.iter(|| {
            let z: Array = f.call(&[&x, &y]).expect("call");
            black_box(z.to_vec::<f32>().expect("read"))
        })
    });

    let text = f.lower(&[&x, &y]).expect("lower");
    let exe = rt.client().compile(&text).expect("compile");
    let bx = x.buffer(&rt).expect("bx");
    let by = y.buffer(&rt).expect("by");
    g.bench_function("raw_pjrt_tiny", |b| {
        b.iter(|| {
            let outs = exe.execute(&[bx, by]).expect("execute");
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
    g.finish();
}

fn bench_trace_lower(c: &mut Criterion) {
    let types = mlp_types(&[784, 512, 512, 10], 128);
    let mut g = c.benchmark_group("trace_lower");
    g.bench_function("mlp_784_512_512_10", |b| {
        b.iter(|| {
            let graph = ferrax::jit::trace_graph(&types, |p: &[Tensor]| mlp(p)).expect("trace");
            let opt = ferrax_ir::passes::optimize(&graph);
            black_box(ferrax::stablehlo::lower(&opt, "mlp").expect("lower"))
        })
    });
    g.finish();
}

criterion_group!(benches, bench_call, bench_trace_lower);
criterion_main!(benches);
