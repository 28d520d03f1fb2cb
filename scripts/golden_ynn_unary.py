"""Golden values for the elementwise functions of jaxlib's YNNPACK fusions
(ferrax-random's `ynn::exp`, `ynn::log`, `ynn::log1p`): f32 and f64 `exp`, `log` and
`log1p` of 6,000 arguments each, computed where jaxlib hands them to YNNPACK, from the
real JAX.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/golden_ynn_unary.py     # writes tests/golden/ynn_unary.json

jaxlib's CPU compiler moves a reduce of 4,096 or more elements into a YNNPACK fusion and
grows the fusion over the elementwise ops of that size around it. YNNPACK's `exp`, `log`
and `log1p` are its own polynomials evaluated with fused multiply-adds, in f32 and in
f64, and differ from XLA's in the last bits. Each function `f` is taken as
`f(x) + max(z, -1)` with `z` zeros of shape [6000, 2] (a reduce of 12,000 elements, which
adds an exact zero); the script checks that the result differs from `f(x)` alone (XLA's
code) somewhere, so that YNNPACK really computed it.

Inputs are rebuilt by the Rust test without being stored: with `h = (i * 0x9E3779B97F4A7C15
+ seed) mod 2**64` and `u = (h >> 11) * 2**-53` (uniform in [0, 1)), argument i is
- exp: `u * 2 * m - m` with m = 87 (f32) or 708 (f64);
- log: the float with bit pattern `(h >> 12) | ((bias - 60 + (h >> 57)) << 52)` for f64
  (`(h >> 41) | ((127 - 60 + (h >> 57)) << 23)` for f32): every mantissa, exponents -60
  to 67;
- log1p: `u * 3 - 1` for even i, `(u - 0.5) * 2**-(h >> 58)` for odd i (tiny arguments);
computed in f64 and rounded to the dtype. Outputs are recorded as the SHA-256 of their
little-endian bytes plus the leading values as bit patterns.
"""
import os

import jax
import jax.numpy as jnp
import numpy as np
from golden_fixtures import describe, write_cases

assert jax.__version__ == "0.10.2", jax.__version__
jax.config.update("jax_enable_x64", True)

N = 6000
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def inputs(fn, dtype, seed):
    i = np.arange(N, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = i * np.uint64(0x9E3779B97F4A7C15) + np.uint64(seed)
    u = (h >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    f64 = dtype == np.float64
    if fn == "exp":
        m = 708.0 if f64 else 87.0
        return (u * 2 * m - m).astype(dtype)
    if fn == "log":
        e = h >> np.uint64(57)
        if f64:
            bits = (h >> np.uint64(12)) | ((np.uint64(1023 - 60) + e) << np.uint64(52))
            return bits.view(np.float64)
        bits = (h >> np.uint64(41)) | ((np.uint64(127 - 60) + e) << np.uint64(23))
        return bits.astype(np.uint32).view(np.float32)
    tiny = (u - 0.5) * np.exp2(-(h >> np.uint64(58)).astype(np.float64))
    return np.where(i % 2 == 0, u * 3 - 1, tiny).astype(dtype)


FNS = {"exp": jnp.exp, "log": jnp.log, "log1p": jnp.log1p}


def main():
    cases = []
    for dtype in (np.float32, np.float64):
        for n, (name, f) in enumerate(FNS.items()):
            seed = 100 * n + 11
            x = inputs(name, dtype, seed)
            z = np.zeros((N, 2), dtype)
            fused = jax.jit(lambda x, z, f=f: f(x) + jnp.max(z, -1))
            y = np.asarray(fused(x, z))
            plain = np.asarray(jax.jit(f)(x))
            assert y.dtype == dtype
            assert (y.view(np.uint8) != plain.view(np.uint8)).any(), (name, dtype)
            cases.append({"fn": name, "dtype": np.dtype(dtype).name, "n": N, "seed": seed,
                          "out": describe(y)})
    write_cases(os.path.join(os.path.dirname(__file__), "..", "tests", "golden",
                             "ynn_unary.json"), cases)


if __name__ == "__main__":
    main()
