"""Times JAX on the workloads of crates/ferrax/benches/runtime.rs, on the same machine.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/bench_jax_foundation.py

- call/jit_tiny: jax.jit of (x + y) @ y.T on two f32[2,3] device arrays, result read back to
  numpy, per call (median of 7 repeats of 2000 calls).
- trace_lower/mlp_784_512_512_10: jax.jit(f).lower(...) of a 784-512-512-10 MLP forward at
  batch 128 to StableHLO text (fresh function each time so nothing is cached), median of 21.
"""
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np


def median_per_call(fn, n, repeats=7):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t0) / n)
    return statistics.median(times)


def tiny():
    f = jax.jit(lambda x, y: (x + y) @ y.T)
    x = jax.device_put(np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    y = jax.device_put(np.ones((2, 3), np.float32))
    np.asarray(f(x, y))
    t = median_per_call(lambda: np.asarray(f(x, y)), 2000)
    print(f"call/jit_tiny (jax.jit + np.asarray): {t * 1e6:.2f} us")


def mlp_lower():
    sizes = [784, 512, 512, 10]
    args = [jax.ShapeDtypeStruct((128, 784), jnp.float32)]
    for a, b in zip(sizes, sizes[1:]):
        args += [jax.ShapeDtypeStruct((a, b), jnp.float32), jax.ShapeDtypeStruct((b,), jnp.float32)]

    def make():
        def f(x, *p):
            h = x
            n = len(p) // 2
            for i in range(n):
                h = h @ p[2 * i] + p[2 * i + 1]
                if i + 1 < n:
                    h = jnp.maximum(h, 0.0)
            return h
        return f

    times = []
    for _ in range(21):
        f = make()
        t0 = time.perf_counter()
        jax.jit(f).lower(*args).as_text()
        times.append(time.perf_counter() - t0)
    print(f"trace_lower/mlp_784_512_512_10 (jax.jit(f).lower().as_text()): {statistics.median(times) * 1e3:.2f} ms")


if __name__ == "__main__":
    print(f"jax {jax.__version__}, devices {jax.devices()}")
    tiny()
    mlp_lower()
