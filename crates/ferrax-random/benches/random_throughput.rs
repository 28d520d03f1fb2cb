//! Throughput of the samplers, jitted, per call (the key is a program input, so every call
//! computes on the device; the result is read back): normal(1e6) f32, bits(1e6) u32 and
//! split(1e6), in JAX's default (partitionable) layout.
//!
//! Companion: `scripts/bench_jax_random.py` times the same calls in JAX on the same machine.

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::prelude::*;
use ferrax_random as random;
use std::hint::black_box;

const N: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let kd = random::key_data(&random::key(0)).eval().expect("key data");
    let mut g = c.benchmark_group("random");
    g.sample_size(20);

    let mut normal =
        ferrax::jit(|k: &Tensor| random::normal(&random::wrap_key_data(k)?, &[N], None));
    let mut bits = ferrax::jit(|k: &Tensor| random::bits(&random::wrap_key_data(k)?, &[N], None));
    let mut split = ferrax::jit(|k: &Tensor| {
        Ok(random::key_data(&random::split(
            &random::wrap_key_data(k)?,
            N,
        )?))
    });

    g.bench_function("normal_1e6_f32", |b| {
        b.iter(|| {
            let y: Array = normal.call(&[&kd]).expect("normal");
            black_box(y.to_vec::<f32>().expect("read").len())
        })
    });
    g.bench_function("bits_1e6_u32", |b| {
        b.iter(|| {
            let y: Array = bits.call(&[&kd]).expect("bits");
            black_box(y.to_vec::<u32>().expect("read").len())
        })
    });
    g.bench_function("split_1e6", |b| {
        b.iter(|| {
            let y: Array = split.call(&[&kd]).expect("split");
            black_box(y.to_vec::<u32>().expect("read").len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
