//! Throughput of the samplers, jitted, per call: normal(1e6) f32, bits(1e6) u32 and
//! split(1e6), in JAX's default (partitionable) layout. The key is a program input, so
//! every call computes on the device.
//!
//! Each workload is timed two ways, matching `scripts/bench_jax_random.py`:
//! - `*_ready`: the call plus waiting for the result on the device
//!   (`Array::block_until_ready`; JAX: `f(key).block_until_ready()`);
//! - `*_host`: the call plus a copy of the result into a host vector (`Array::to_vec`;
//!   JAX: `np.array(f(key), copy=True)`; JAX's `np.asarray` on CPU is a zero-copy view,
//!   so it measures the `_ready` figure).
//!
//! Run both on the same machine in the same session: on a shared 2-core machine the
//! figures move by 2x with the load, so compare medians taken side by side.
//! `cargo bench -p ferrax-random --bench random_throughput`;
//! medians: `target/criterion/random/<name>/new/estimates.json`.

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::prelude::*;
use ferrax_random as random;
use std::hint::black_box;

const N: usize = 1_000_000;

type Sampler = Box<dyn FnMut(&Array) -> Array>;

fn bench(c: &mut Criterion) {
    let kd = random::key_data(&random::key(0)).eval().expect("key data");
    let mut g = c.benchmark_group("random");
    g.sample_size(30);

    let mut normal =
        ferrax::jit(|k: &Tensor| random::normal(&random::wrap_key_data(k)?, &[N], None));
    let mut bits = ferrax::jit(|k: &Tensor| random::bits(&random::wrap_key_data(k)?, &[N], None));
    let mut split = ferrax::jit(|k: &Tensor| {
        Ok(random::key_data(&random::split(
            &random::wrap_key_data(k)?,
            N,
        )?))
    });
    let mut samplers: Vec<(&str, bool, Sampler)> = vec![
        (
            "normal_1e6_f32",
            true,
            Box::new(move |k: &Array| normal.call(&[k]).expect("normal")),
        ),
        (
            "bits_1e6_u32",
            false,
            Box::new(move |k: &Array| bits.call(&[k]).expect("bits")),
        ),
        (
            "split_1e6",
            false,
            Box::new(move |k: &Array| split.call(&[k]).expect("split")),
        ),
    ];

    for (name, is_f32, f) in samplers.iter_mut() {
        g.bench_function(format!("{name}_ready"), |b| {
            b.iter(|| {
                let y = f(&kd);
                y.block_until_ready().expect("ready");
                black_box(y)
            })
        });
        g.bench_function(format!("{name}_host"), |b| {
            b.iter(|| {
                let y = f(&kd);
                if *is_f32 {
                    black_box(y.to_vec::<f32>().expect("read").len())
                } else {
                    black_box(y.to_vec::<u32>().expect("read").len())
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
