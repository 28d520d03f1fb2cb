"""Golden values for ferrax's `Tensor::scan` (jax.lax.scan semantics), from the real JAX.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/golden_scan.py     # writes tests/golden/scan.json

Arrays are {"shape", "dtype", "bits"} with raw u32 bit patterns (f32 and u32 only).
"""
import json
import os

import jax
import jax.numpy as jnp
import numpy as np

assert jax.__version__ == "0.10.2", jax.__version__


def arr(x):
    x = np.asarray(x)
    bits = x.view(np.uint32) if x.dtype == np.float32 else x.astype(np.uint32)
    return {"shape": list(x.shape), "dtype": str(x.dtype), "bits": [int(v) for v in bits.reshape(-1)]}


def main():
    cases = []
    xs = jnp.arange(1, 8, dtype=jnp.float32) * 0.37
    zs = (jnp.arange(14, dtype=jnp.float32).reshape(7, 2) - 3.0) * 0.11

    def body(c, xz):
        x, z = xz
        a, b = c
        a2 = a * 0.5 + x * z[0]
        b2 = jnp.tanh(b - x) + z[1]
        return (a2, b2), (a2 + b2, jnp.stack([a2, b2, x]))

    for reverse in (False, True):
        for unroll in (1, 2, 3, 7):
            (a, b), (y1, y2) = jax.jit(
                lambda i0, i1, xs, zs: jax.lax.scan(body, (i0, i1), (xs, zs), reverse=reverse, unroll=unroll)
            )(jnp.float32(0.25), jnp.float32(-1.5), xs, zs)
            cases.append({"name": "two_carries", "reverse": reverse, "unroll": unroll,
                          "init": [0.25, -1.5], "xs": arr(xs), "zs": arr(zs),
                          "carry": [arr(a), arr(b)], "ys": [arr(y1), arr(y2)]})

    # RNG in the carry: each step splits the key and draws normals.
    for layout, part in (("default", True), ("legacy", False)):
        jax.config.update("jax_threefry_partitionable", part)

        def rbody(k, _):
            k1, k2 = jax.random.split(k)
            return k1, jax.random.normal(k2, (3,))

        k, ys = jax.jit(lambda k: jax.lax.scan(rbody, k, None, length=4))(jax.random.key(0))
        cases.append({"name": "rng_carry", "layout": layout, "seed": 0, "length": 4,
                      "carry": [arr(jax.random.key_data(k))], "ys": [arr(ys)]})
    jax.config.update("jax_threefry_partitionable", True)
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "scan.json")
    with open(out, "w") as f:
        json.dump({"generator": "scripts/golden_scan.py", "jax": jax.__version__, "cases": cases}, f, indent=1)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
