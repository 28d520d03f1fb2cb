"""Times JAX on the workloads of crates/ferrax-random/benches/random_throughput.rs.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/bench_jax_random.py

Each: jax.jit of the sampler with the key as an argument, result read back to numpy,
median of 20 calls after warm-up.
"""
import statistics
import time

import jax
import numpy as np

N = 1_000_000


def median_ms(fn, n=20):
    fn()
    fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3


def main():
    print(f"jax {jax.__version__}, threefry_partitionable={jax.config.jax_threefry_partitionable}")
    key = jax.random.key(0)
    normal = jax.jit(lambda k: jax.random.normal(k, (N,)))
    bits = jax.jit(lambda k: jax.random.bits(k, (N,)))
    split = jax.jit(lambda k: jax.random.key_data(jax.random.split(k, N)))
    print(f"random/normal_1e6_f32: {median_ms(lambda: np.asarray(normal(key))):.2f} ms")
    print(f"random/bits_1e6_u32:   {median_ms(lambda: np.asarray(bits(key))):.2f} ms")
    print(f"random/split_1e6:      {median_ms(lambda: np.asarray(split(key))):.2f} ms")


if __name__ == "__main__":
    main()
