"""Golden values for the summation order of jaxlib's YNNPACK reductions
(ferrax-random's `ynn::sum_last`): `jnp.sum(x, -1)` of f32 and f64 arrays with at least
4,096 elements, for last axes of 1 to 5,000 terms, from the real JAX.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/golden_ynn_sum.py     # writes tests/golden/ynn_sum.json

jaxlib's CPU compiler hands a reduce of 4,096 or more elements to YNNPACK, whose sum
order (16 or 8 lanes, blocks of four vectors, a clocked tree of accumulators with a
Kahan-compensated top level) differs from XLA's. Inputs are rebuilt by the Rust test
without being stored: element i of the row-major [rows, k] array has the f32 bit pattern
`(h & 0x807fffff) | ((120 + ((h >> 23) & 15)) << 23)` with `h = (i * 0x9E3779B1 + seed)
mod 2**32` (magnitudes 2**-7 to 2**9, either sign); the f64 inputs are those values
widened, with the low 28 mantissa bits xor-ed with `(i * 0x2545F491) mod 2**28`.
Outputs are recorded as the SHA-256 of their little-endian bytes plus the leading
values as bit patterns.
"""
import os

import jax
import jax.numpy as jnp
import numpy as np
from golden_fixtures import describe, write_cases

assert jax.__version__ == "0.10.2", jax.__version__
jax.config.update("jax_enable_x64", True)

LASTS = [1, 3, 16, 17, 65, 81, 100, 130, 255, 256, 257, 300, 511, 600, 1000, 1024, 1025,
         1100, 2100, 4100, 5000]


def inputs(dtype, rows, k, seed):
    i = np.arange(rows * k, dtype=np.uint64)
    h = (i * np.uint64(0x9E3779B1) + np.uint64(seed)) % np.uint64(1 << 32)
    bits = (h & np.uint64(0x807FFFFF)) | ((np.uint64(120) + ((h >> np.uint64(23)) & np.uint64(15))) << np.uint64(23))
    x = bits.astype(np.uint32).view(np.float32).reshape(rows, k)
    if dtype == np.float32:
        return x
    w = x.astype(np.float64).view(np.uint64)
    w = w ^ ((i * np.uint64(0x2545F491)) % np.uint64(1 << 28)).reshape(rows, k)
    return w.view(np.float64)


def main():
    total = jax.jit(lambda x: jnp.sum(x, -1))
    cases = []
    for dtype in (np.float32, np.float64):
        for n, k in enumerate(LASTS):
            rows = max(4096 // k + 1, 8)
            seed = 1000 * n + 7
            x = inputs(dtype, rows, k, seed)
            y = np.asarray(total(x))
            assert y.dtype == dtype
            cases.append({"dtype": np.dtype(dtype).name, "rows": rows, "k": k, "seed": seed,
                          "out": describe(y)})
    write_cases(os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "ynn_sum.json"),
                cases)


if __name__ == "__main__":
    main()
