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


def bits_of(a, dtype):
    """Bit patterns of f32 (8 hex digits) or f64 (16 hex digits) values."""
    if dtype == np.float32:
        return bits(a)
    return [f"{int(x):016x}" for x in np.asarray(a, np.float64).reshape(-1).view(np.uint64)]


def sym_matrix(rng, shape, dtype, kind):
    """Symmetric test matrices: Wishart (random spectrum), spaced (eigenvalues about 1..n,
    well separated, for f32), near (two eigenvalues 1e-3 apart), rank2 (positive
    semi-definite of rank 2)."""
    n = shape[-1]
    x = rng.standard_normal(shape)
    if kind == "wishart":
        a = x @ np.swapaxes(x, -1, -2) / n
    elif kind in ("spaced", "near"):
        q, _ = np.linalg.qr(x)
        w = np.arange(1, n + 1, dtype=np.float64) + 0.3 * rng.uniform(size=shape[:-1])
        if kind == "near" and n >= 2:
            w[..., 1] = w[..., 0] + 1e-3
        a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    elif kind == "rank2":
        r = rng.standard_normal(shape[:-1] + (2,))
        a = r @ np.swapaxes(r, -1, -2)
    else:
        raise ValueError(kind)
    a = (a + np.swapaxes(a, -1, -2)) / 2
    return a.astype(dtype)


def eigh_svd_cases(rng):
    """eigh / svd: jnp.linalg on CPU calls LAPACK ?syevd / ?gesdd (jaxlib uses scipy's
    LAPACK). The inputs are exactly symmetric, so eigh's symmetrisation changes nothing."""
    jax.config.update("jax_enable_x64", True)  # for the f64 cases; f32 inputs stay f32
    cases = []
    for dtype, shapes in [
        (np.float32, [((1, 1), "spaced"), ((2, 2), "spaced"), ((3, 3), "spaced"),
                      ((4, 4), "spaced"), ((5, 5), "spaced"), ((6, 6), "spaced"),
                      ((8, 8), "spaced"), ((3, 4, 4), "spaced"), ((3, 3), "wishart"),
                      ((5, 5), "wishart"), ((4, 4), "rank2")]),
        (np.float64, [((1, 1), "wishart"), ((2, 2), "wishart"), ((3, 3), "wishart"),
                      ((4, 4), "wishart"), ((5, 5), "wishart"), ((6, 6), "wishart"),
                      ((7, 7), "wishart"), ((8, 8), "wishart"), ((2, 5, 5), "wishart"),
                      ((6, 6), "near"), ((10, 10), "wishart"), ((12, 12), "spaced")]),
    ]:
        for shape, kind in shapes:
            a = sym_matrix(rng, shape, dtype, kind)
            w, v = jnp.linalg.eigh(jnp.asarray(a))
            u, s, vt = jnp.linalg.svd(jnp.asarray(a))
            name = np.dtype(dtype).name
            cases.append({"op": "eigh", "dtype": name, "kind": kind, "shape": list(shape),
                          "input": bits_of(a, dtype), "w": bits_of(w, dtype),
                          "v": bits_of(v, dtype)})
            cases.append({"op": "svd", "dtype": name, "kind": kind, "shape": list(shape),
                          "input": bits_of(a, dtype), "u": bits_of(u, dtype),
                          "s": bits_of(s, dtype), "vt": bits_of(vt, dtype)})
    return cases


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
    cases.extend(eigh_svd_cases(rng))
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "linalg.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"generator": "scripts/golden_linalg.py", "jax": jax.__version__, "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
