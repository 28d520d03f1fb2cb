"""Golden vectors for ferrax_ir::linalg from the real JAX (LAPACK-backed).

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/golden_linalg.py      # writes tests/golden/linalg.json

Inputs are made here with numpy's fixed-seed generator and stored as f32 bit patterns, so
the Rust test feeds exactly the same numbers.
"""
import json
import os

import jax
import jax.numpy as jnp
import numpy as np

assert jax.__version__ == "0.10.2", jax.__version__


def bits(a):
    return [f"{int(x):08x}" for x in np.asarray(a, np.float32).reshape(-1).view(np.uint32)]


def main():
    rng = np.random.default_rng(20261122)
    cases = []
    for shape in [(1, 1), (2, 2), (3, 3), (5, 5), (8, 8), (2, 4, 4)]:
        x = rng.standard_normal(shape).astype(np.float32)
        spd = (x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1], dtype=np.float32)).astype(np.float32)
        l = jnp.linalg.cholesky(spd)
        cases.append({"op": "cholesky", "shape": list(shape), "input": bits(spd), "output": bits(l)})
    for shape in [(1, 1), (3, 2), (4, 4), (6, 3), (2, 5, 3), (3, 5)]:
        x = rng.standard_normal(shape).astype(np.float32)
        q, r = jnp.linalg.qr(x)
        # Unique form: positive diagonal of r (what jax.random.orthogonal uses).
        d = jnp.sign(jnp.diagonal(r, axis1=-2, axis2=-1))
        q = q * d[..., None, :]
        r = r * d[..., :, None]
        cases.append({"op": "qr", "shape": list(shape), "input": bits(x), "q": bits(q), "r": bits(r),
                      "q_shape": list(q.shape), "r_shape": list(r.shape)})
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "linalg.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"generator": "scripts/golden_linalg.py", "jax": jax.__version__, "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
