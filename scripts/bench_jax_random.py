"""Times JAX on the workloads of crates/ferrax-random/benches/random_throughput.rs.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/bench_jax_random.py [--calls 30] [--dump DIR]

Each workload: jax.jit of the sampler with the key data as the argument (as the bench
passes it), median of `--calls` calls after warm-up, timed two ways like the bench:
  *_ready: f(key).block_until_ready()  (result computed on the device)
  *_host:  np.array(f(key), copy=True) (plus a copy into a fresh host array; np.asarray
           of a CPU jax.Array is a zero-copy view, so it would measure *_ready again)
`--dump DIR` also writes JAX's StableHLO of each workload (jit(f).lower(...).as_text())
to DIR/jax_<name>.mlir, to run through ferrax-pjrt and compare with ferrax's programs.
"""
import argparse
import os
import statistics
import time

import jax
import numpy as np

N = 1_000_000


def median_ms(fn, n):
    fn()
    fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3


def workloads():
    wrap = jax.random.wrap_key_data
    return {
        "normal_1e6_f32": lambda k: jax.random.normal(wrap(k), (N,)),
        "bits_1e6_u32": lambda k: jax.random.bits(wrap(k), (N,)),
        "split_1e6": lambda k: jax.random.key_data(jax.random.split(wrap(k), N)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--dump", default=None)
    a = ap.parse_args()
    print(
        f"jax {jax.__version__}, threefry_partitionable={jax.config.jax_threefry_partitionable}, "
        f"devices={jax.devices()}, cpus={os.cpu_count()}, load={os.getloadavg()[0]:.2f}"
    )
    kd = jax.random.key_data(jax.random.key(0))
    for name, fn in workloads().items():
        f = jax.jit(fn)
        if a.dump:
            os.makedirs(a.dump, exist_ok=True)
            with open(os.path.join(a.dump, f"jax_{name}.mlir"), "w") as out:
                out.write(f.lower(kd).as_text())
        ready = median_ms(lambda: f(kd).block_until_ready(), a.calls)
        host = median_ms(lambda: np.array(f(kd), copy=True), a.calls)
        print(f"random/{name}_ready: {ready:.2f} ms")
        print(f"random/{name}_host:  {host:.2f} ms")


if __name__ == "__main__":
    main()
