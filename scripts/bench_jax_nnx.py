"""Times Flax NNX / JAX on the workloads of crates/ferrax-nn/benches/nnx.rs.

    pip install jax==0.10.2 jaxlib==0.10.2 flax==0.12.8
    python3 scripts/bench_jax_nnx.py
"""
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx


class Mlp(nnx.Module):
    def __init__(self, sizes, rngs):
        self.layers = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in zip(sizes, sizes[1:])])

    def __call__(self, x):
        for i, l in enumerate(self.layers):
            x = l(x)
            if i + 1 < len(self.layers):
                x = jax.nn.relu(x)
        return x


def per_call_us(fn, n=2000, repeats=7):
    fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        ts.append((time.perf_counter() - t0) / n)
    return statistics.median(ts) * 1e6


def main():
    small = Mlp([2, 10, 5], nnx.Rngs(params=0))
    x = jnp.ones((1, 2))
    step = nnx.jit(lambda m, x: m(x))
    print(f"nnx/jit_notebook_mlp (nnx.jit):               {per_call_us(lambda: np.asarray(step(small, x))):.1f} us")
    graphdef, state = nnx.split(small)
    f = jax.jit(lambda s, x: nnx.merge(graphdef, s)(x))
    print(f"nnx/jit_notebook_mlp (jax.jit split/merge):   {per_call_us(lambda: np.asarray(f(state, x))):.1f} us")
    big = Mlp([784, 512, 512, 10], nnx.Rngs(params=0))
    xb = jnp.ones((128, 784))
    gd, st = nnx.split(big)
    fb = jax.jit(lambda s, x: nnx.merge(gd, s)(x))
    stepb = nnx.jit(lambda m, x: m(x))
    print(f"nnx/jit_mlp_784_512_512_10_b128 (jax.jit):    {per_call_us(lambda: np.asarray(fb(st, xb)), n=200) / 1e3:.3f} ms")
    print(f"nnx/jit_mlp_784_512_512_10_b128 (nnx.jit):    {per_call_us(lambda: np.asarray(stepb(big, xb)), n=200) / 1e3:.3f} ms")


if __name__ == "__main__":
    main()
