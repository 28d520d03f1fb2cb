"""Golden vectors for ferrax's vmap over ferrax-random functions, made by the real JAX.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/golden_vmap.py

Writes tests/golden/vmap.json: {"jax": version, "cases": [...]}, one case per
(function, counter layout):

    {"name": "normal", "partitionable": true, "shape": [4, 3], "dtype": "float32",
     "hex": ["0x...", ...]}

"partitionable" is the jax_threefry_partitionable setting; "hex" lists every element's
bit pattern (row-major). Each case is a jax.vmap of a jax.random function over keys from
jax.random.split (key arrays of shape (n,) give the function single keys), as named in
CASES below; tests/vmap.rs builds the same computation with ferrax::vmap.

Nothing here is typed by hand: every expected value comes from running JAX.
"""
import os
import sys

import numpy as np

REQUIRED = "0.10.2"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import random as R  # noqa: E402
from golden_fixtures import write_cases  # noqa: E402

if jax.__version__ != REQUIRED:
    sys.exit(f"golden_vmap.py needs jax=={REQUIRED} (found {jax.__version__})")

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden",
                   "vmap.json")


def keys(seed, n):
    return R.split(R.key(seed), n)


CASES = {
    # The example: vmap of normal(k, (3,)) over split(key(0), 4).
    "normal": lambda: jax.vmap(lambda k: R.normal(k, (3,)))(keys(0, 4)),
    "uniform": lambda: jax.vmap(lambda k: R.uniform(k, (2, 3)))(keys(1, 5)),
    "uniform_out_axes_1": lambda: jax.vmap(lambda k: R.uniform(k, (2, 3)),
                                           out_axes=1)(keys(1, 5)),
    "bits": lambda: jax.vmap(lambda k: R.bits(k, (5,)))(keys(42, 3)),
    "fold_in": lambda: jax.vmap(lambda k, d: R.key_data(R.fold_in(k, d)))(
        keys(0, 4), jnp.arange(4, dtype=jnp.uint32)),
    "fold_in_shared_key": lambda: jax.vmap(lambda d: R.key_data(R.fold_in(R.key(7), d)))(
        jnp.arange(6, dtype=jnp.uint32)),
    "split": lambda: jax.vmap(lambda k: R.key_data(R.split(k, 3)))(keys(0, 2)),
    "nested_normal": lambda: jax.vmap(jax.vmap(lambda k: R.normal(k, ())))(
        R.split(R.key(3), (2, 3))),
    # Raw key data mapped along axis 1.
    "normal_in_axes_1": lambda: jax.vmap(lambda kd: R.normal(R.wrap_key_data(kd), (3,)),
                                         in_axes=1)(R.key_data(keys(5, 4)).T),
}


def hexes(a):
    a = np.asarray(a)
    width = a.dtype.itemsize * 8
    view = a.reshape(-1).view(np.uint32 if width == 32 else np.uint64)
    return [f"0x{int(v):0{width // 4}x}" for v in view]


def main():
    cases = []
    for partitionable in (True, False):
        jax.config.update("jax_threefry_partitionable", partitionable)
        for name, fn in CASES.items():
            out = np.asarray(fn())
            cases.append({
                "name": name,
                "partitionable": partitionable,
                "shape": list(out.shape),
                "dtype": out.dtype.name,
                "hex": hexes(out),
            })
    write_cases(OUT, cases)


if __name__ == "__main__":
    main()
