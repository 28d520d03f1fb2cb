"""Golden vectors for ferrax-random, made by the real JAX.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/golden_random.py

Writes one JSON-lines file per family into tests/golden/random/ (keys, fold_in, split,
bits, uniform, normal, ...). Each line is one call of a jax.random function:

    {"fn": "uniform", "seed": 42, "x64": false, "partitionable": true,
     "args": {"shape": [2, 3], "dtype": "float32", "minval": -3.0, "maxval": 7.5},
     "out": {"shape": [2, 3], "dtype": "float32", "sha256": "...", "head": ["0x...", ...]}}

- "seed" is the Python int given to jax.random.key(seed); "x64" and "partitionable" are the
  jax_enable_x64 and jax_threefry_partitionable settings of the call.
- "args" holds the other arguments under their jax.random names. Python floats are JSON
  numbers with a fraction or exponent, Python ints are JSON integers, dtypes are numpy
  names, and array arguments are {"dtype", "shape", "hex"} with "hex" the little-endian
  bytes of the array.
- "out" describes the result: shape, dtype, SHA-256 of its little-endian bytes (bool: one
  byte per element), and the first 8 elements as hex bit patterns. Key results are given
  as their key data (uint32, trailing dimension 2).

Nothing here is typed by hand: every expected value comes from running JAX.
"""
import os
import sys

import numpy as np

REQUIRED = "0.10.2"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import random as R  # noqa: E402
from golden_fixtures import Writer, set_mode  # noqa: E402

if jax.__version__ != REQUIRED:
    sys.exit(f"golden_random.py needs jax=={REQUIRED} (found {jax.__version__}); "
             f"pip install jax=={REQUIRED} jaxlib=={REQUIRED}")

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden",
                       "random")

SEEDS_32 = [0, 1, 42, -1, 2**31 + 5]
SEEDS_64 = [0, -1, 2**40 + 3]

SHAPES = [(), (0,), (1,), (3,), (5,), (2, 3), (7, 3)]
SHAPES_SHORT = [(), (5,), (2, 3), (7, 3)]


def jax_args(args):
    """Turns the recorded args into what jax.random takes (arrays to jnp arrays)."""
    out = {}
    for k, v in args.items():
        if isinstance(v, np.ndarray):
            out[k] = jnp.asarray(v)
        elif isinstance(v, list):
            out[k] = tuple(v)
        else:
            out[k] = v
    return out


MODES = [(False, True), (False, False)]          # (x64, partitionable)
MODES_ALL = MODES + [(True, True), (True, False)]


def seeds_for(x64):
    return SEEDS_64 if x64 else SEEDS_32


def rotate(seeds, i, n):
    """n seeds for case i, rotating through the list so every seed is used."""
    return [seeds[(i + j) % len(seeds)] for j in range(min(n, len(seeds)))]


def run(w, family, fn, cases, modes=MODES_ALL, seeds=None, per_case=1):
    """Runs jax.random.<fn> on every case (a dict of args, or a callable of x64 giving the
    list) in every mode, each with `per_case` seeds taken in rotation from the seed list
    (the rotation also shifts between modes, so every seed meets every kind of case)."""
    f = getattr(R, fn)
    for m, (x64, part) in enumerate(modes):
        set_mode(x64, part)
        case_list = cases(x64) if callable(cases) else cases
        pool = seeds if seeds is not None else seeds_for(x64)
        for i, args in enumerate(case_list):
            for seed in rotate(pool, i + m, per_case):
                out = f(R.key(seed), **jax_args(args))
                w.add(family, fn, seed, x64, part, args, out)


def key_cases(w):
    seeds = [0, 1, 42, -1, -2, 2**31 - 1, 2**31, 2**31 + 5, 2**32, 2**32 + 7, 2**40 + 3,
             -2**31, -2**31 - 1, 2**63 - 1, -2**63]
    for x64 in (False, True):
        set_mode(x64, True)
        for s in seeds:
            w.add("keys", "key", s, x64, True, {}, R.key_data(R.key(s)))
        # Traced seeds of every integer dtype.
        dts = ["int8", "int16", "int32", "uint8", "uint16", "uint32"]
        if x64:
            dts += ["int64", "uint64"]
        for dt in dts:
            for v in [-1, 5, -2**31, 2**40 + 3]:
                a = np.array(v).astype(dt)
                out = R.key_data(jax.jit(R.key)(jnp.asarray(a)))
                w.add("keys", "key_from_tensor", 0, x64, True, {"seed": a}, out)


def fold_in_cases(w):
    for m, (x64, part) in enumerate(MODES_ALL):
        set_mode(x64, part)
        pool = seeds_for(x64)
        for i, d in enumerate([0, 1, 7, 2**31, 2**32 - 1]):
            for seed in rotate(pool, i + m, 2):
                out = R.key_data(R.fold_in(R.key(seed), d))
                w.add("fold_in", "fold_in", seed, x64, part, {"data": d}, out)
        # A chain, the way nnx.Rngs streams use fold_in.
        k = R.key(pool[m % len(pool)])
        for d in [0, 1, 2]:
            k = R.fold_in(k, d)
        w.add("fold_in", "fold_in_chain", pool[m % len(pool)], x64, part, {"data": [0, 1, 2]},
              R.key_data(k))


def split_cases(w):
    for m, (x64, part) in enumerate(MODES_ALL):
        set_mode(x64, part)
        pool = seeds_for(x64)
        for i, num in enumerate([2, 3, 1, 5, 0, (2, 3), (7, 3), (2, 1, 2)]):
            seed = rotate(pool, i + m, 1)[0]
            out = R.key_data(R.split(R.key(seed), num))
            w.add("split", "split", seed, x64, part,
                  {"num": list(num) if isinstance(num, tuple) else num}, out)
        # A split of a split key (keys[1]).
        seed = pool[m % len(pool)]
        out = R.key_data(R.split(R.split(R.key(seed), 4)[1], 3))
        w.add("split", "split_of_split", seed, x64, part, {"index": 1, "num": 3}, out)


def bits_cases(x64):
    dts = ["uint8", "uint16", "uint32", None] + (["uint64"] if x64 else [])
    cs = []
    for shape in [(), (0,), (1,), (3,), (5,), (2, 3), (7, 3)]:
        for dt in dts:
            cs.append({"shape": list(shape), "dtype": dt})
    cs.append({"shape": [33], "dtype": "uint8"})
    cs.append({"shape": [4, 4, 2], "dtype": "uint16"})
    return cs


def dtype_sweep(x64, shapes=SHAPES, low_shapes=((5,), (7, 3))):
    """(shape, dtype) pairs: every shape in the default dtype (None), the explicit default
    dtype once, and a few shapes in each other float dtype (f32 as the other one with x64)."""
    out = [(s, None) for s in shapes]
    out += [(low_shapes[0], "float64" if x64 else "float32")]
    for dt in ["float16", "bfloat16"] + (["float32"] if x64 else []):
        out += [(s, dt) for s in low_shapes]
    return out


def uniform_cases(x64):
    cs = [{"shape": list(s), "dtype": dt} for s, dt in dtype_sweep(x64)]
    for lo, hi in [(-3.0, 7.5), (0.1, 0.7)]:
        for s, dt in [((), None), ((7, 3), None), ((5,), "float16"), ((2, 3), "bfloat16")]:
            cs.append({"shape": list(s), "dtype": dt, "minval": lo, "maxval": hi})
    cs.append({"shape": [2, 3], "dtype": "float32",
               "minval": np.array([-1.0, 0.0, 2.5], np.float32), "maxval": 3.0})
    cs.append({"shape": [4], "minval": -2, "maxval": 2})
    return cs


def dtype_only_cases(shapes=SHAPES):
    def cases(x64):
        return [{"shape": list(s), "dtype": dt} for s, dt in dtype_sweep(x64, shapes)]
    return cases


def truncated_normal_cases(x64):
    cs = []
    for lo, hi in [(-2.0, 2.0), (0.5, 3.0), (-1.0, 0.25)]:
        for s, dt in dtype_sweep(x64, [(), (7, 3)], ((5,),)):
            cs.append({"lower": lo, "upper": hi, "shape": list(s), "dtype": dt})
    cs.append({"lower": np.array([-1.0, -2.0, 0.0], np.float32), "upper": 2.0, "shape": None,
               "dtype": "float32"})
    cs.append({"lower": np.array([-1.0, -2.0, 0.0], np.float32), "upper": 2.0,
               "shape": [4, 3], "dtype": "float32"})
    return cs


def bernoulli_cases(x64):
    cs = []
    for p in [0.5, 0.3, 0.999]:
        for shape in [(), (0,), (5,), (7, 3)]:
            cs.append({"p": p, "shape": list(shape)})
    for shape in [(), (5,), (7, 3)]:
        cs.append({"p": 0.3, "shape": list(shape), "mode": "high"})
    cs.append({"p": np.array([0.1, 0.5, 0.9], np.float32), "shape": None})
    cs.append({"p": np.array([0.1, 0.5, 0.9], np.float32), "shape": [2, 3]})
    cs.append({"p": np.array([0.25, 0.75], np.float16), "shape": [3, 2]})
    cs.append({"p": np.array([0.25, 0.75], jnp.bfloat16), "shape": [3, 2], "mode": "high"})
    if x64:
        cs.append({"p": np.array([0.1, 0.5, 0.9], np.float32), "shape": [2, 3]})
    return cs


def randint_cases(x64):
    cs = []
    ranges = [(0, 10), (-5, 5), (0, 1), (3, 3), (5, 2), (-2**31, 2**31 - 1), (0, 2**31 - 1)]
    for i, (lo, hi) in enumerate(ranges):
        for shape in [(), (7, 3)] if i < 2 else [(5,)]:
            cs.append({"shape": list(shape), "minval": lo, "maxval": hi})
    for dt, lo, hi in [("int8", -100, 100), ("uint8", 0, 256), ("int16", -3, 1000),
                       ("uint16", 5, 70000), ("uint32", 0, 10), ("int32", -7, 7),
                       ("int8", -200, 300)]:
        cs.append({"shape": [2, 3], "minval": lo, "maxval": hi, "dtype": dt})
    cs.append({"shape": [2, 3], "minval": np.array([0, 10, -5], np.int32),
               "maxval": np.array([5, 20, 5], np.int32)})
    if x64:
        for dt, lo, hi in [("int64", -2**40, 2**40), ("uint64", 0, 2**40 + 7),
                           ("int64", -2**63, 2**63 - 1)]:
            cs.append({"shape": [2, 3], "minval": lo, "maxval": hi, "dtype": dt})
    return cs


def permutation_cases(x64):
    cs = [{"x": n} for n in [1, 2, 5, 100]]
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    cs.append({"x": np.arange(7, dtype=np.int32)})
    cs.append({"x": x})
    cs.append({"x": x, "axis": 1})
    cs.append({"x": x, "axis": 1, "independent": True})
    cs.append({"x": x, "axis": 0, "independent": True})
    cs.append({"x": x, "axis": -1})
    return cs


def choice_cases(x64):
    cs = []
    p5 = np.array([0.1, 0.2, 0.3, 0.15, 0.25], np.float32)
    a = np.arange(15, dtype=np.float32).reshape(5, 3)
    for shape in [(), (3,), (2, 2)]:
        cs.append({"a": 5, "shape": list(shape)})
        cs.append({"a": 5, "shape": list(shape), "replace": False})
        cs.append({"a": 5, "shape": list(shape), "p": p5})
        cs.append({"a": 5, "shape": list(shape), "p": p5, "replace": False})
    cs.append({"a": a, "shape": [4]})
    cs.append({"a": a, "shape": [2], "replace": False})
    cs.append({"a": a, "shape": [2], "axis": 1})
    cs.append({"a": a, "shape": [2], "axis": 1, "replace": False})
    cs.append({"a": a, "shape": [3], "p": p5})
    cs.append({"a": 5, "shape": [0]})
    cs.append({"a": 5, "shape": [5], "replace": False})
    return cs


def categorical_cases(x64):
    cs = []
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.15, 0.25],
                              [0.5, 0.1, 0.1, 0.1, 0.2],
                              [0.2, 0.2, 0.2, 0.2, 0.2],
                              [0.01, 0.01, 0.01, 0.01, 0.96]], np.float32))
    cs.append({"logits": logits})
    cs.append({"logits": logits, "axis": 0})
    cs.append({"logits": logits, "shape": [3, 4]})
    cs.append({"logits": logits, "axis": 0, "shape": [2, 5]})
    cs.append({"logits": logits, "shape": [3, 4], "replace": False})
    cs.append({"logits": logits, "axis": 0, "shape": [4, 5], "replace": False})
    cs.append({"logits": logits[0]})
    cs.append({"logits": logits[0], "shape": [6]})
    cs.append({"logits": logits, "mode": "high"})
    cs.append({"logits": logits, "mode": "highest", "shape": [2, 4]})
    cs.append({"logits": logits.astype(jnp.bfloat16)})
    cs.append({"logits": logits.astype(np.float16), "shape": [2, 4]})
    return cs


def gumbel_cases(x64):
    cs = [{"shape": list(s), "dtype": dt} for s, dt in dtype_sweep(x64, SHAPES_SHORT, ((7, 3),))]
    for dt in [None, "float16", "bfloat16"]:
        cs.append({"shape": [7, 3], "dtype": dt, "mode": "high"})
    for dt in ["float32", "float16"]:
        cs.append({"shape": [7, 3], "dtype": dt, "mode": "highest"})
    return cs


def int_or_float_cases(x64):
    cs = []
    for i, dt in enumerate(["int32", "float32", "int8", "float16", None]):
        for shape in [(), (7, 3)] if i < 2 else [(5,)]:
            cs.append({"shape": list(shape), "dtype": dt})
    cs.append({"shape": [0], "dtype": None})
    if x64:
        cs.append({"shape": [5], "dtype": "int64"})
        cs.append({"shape": [5], "dtype": "float64"})
    return cs


def dsm_cases(x64):
    cs = [{"loc": 0.0, "scale": 1.0, "shape": list(s), "dtype": dt}
          for s, dt in dtype_sweep(x64, [(), (7, 3)], ((5,),))]
    cs.append({"loc": 1.5, "scale": 0.5, "shape": [2, 3]})
    cs.append({"loc": np.array([0.0, 1.0], np.float32), "scale": 2.0, "shape": [3]})
    cs.append({"loc": np.array([0.0, 1.0], np.float32), "scale": 2.0, "shape": []})
    return cs


def weibull_cases(x64):
    cs = [{"scale": 1.0, "concentration": 2.0, "shape": list(s), "dtype": dt}
          for s, dt in dtype_sweep(x64, [(), (7, 3)], ((5,),))]
    cs.append({"scale": 0.5, "concentration": 1.5, "shape": [2, 3]})
    # a vectorised loop: LLVM makes `x ** 0.5` a square root
    cs.append({"scale": 1.5, "concentration": 2.0, "shape": [1000]})
    return cs


def wald_cases(x64):
    # one_param_cases, and loops of 1,000 draws (jaxlib's LLVM contracts the
    # multiply-adds of a loop differently from a single element's)
    cs = one_param_cases("mean", [1.0, 3.0], np.array([0.5, 1.0, 2.0], np.float32))(x64)
    cs.append({"mean": 1.5, "shape": [1000]})
    cs.append({"mean": np.linspace(0.5, 2.0, 1000).astype(np.float32), "shape": None})
    return cs


def one_param_cases(name, values, array):
    def cases(x64):
        cs = []
        for i, v in enumerate(values):
            sweep = dtype_sweep(x64, [(), (7, 3)], ((5,),)) if i == 0 else [((2, 3), None)]
            for s, dt in sweep:
                cs.append({name: v, "shape": list(s), "dtype": dt})
        cs.append({name: array, "shape": None})
        cs.append({name: array, "shape": [2, 3]})
        return cs
    return cases


def geometric_cases(x64):
    cs = []
    for i, p in enumerate([0.3, 0.9, 0.01]):
        for dt in (["int32", "int8", None] + (["int64"] if x64 else [])) if i == 0 else [None]:
            cs.append({"p": p, "shape": [7, 3], "dtype": dt})
    cs.append({"p": 0.3, "shape": []})
    cs.append({"p": np.array([0.2, 0.5, 0.8], np.float32), "shape": None})
    cs.append({"p": np.array([0.2, 0.5, 0.8], np.float16), "shape": [2, 3]})
    return cs


def triangular_cases(x64):
    cs = [{"left": 0.0, "mode": 0.3, "right": 1.0, "shape": list(s), "dtype": dt}
          for s, dt in dtype_sweep(x64, [(), (7, 3)], ((5,),))]
    cs.append({"left": -1.0, "mode": 2.0, "right": 5.0, "shape": [2, 3]})
    cs.append({"left": np.array([0.0, 1.0, 2.0], np.float32), "mode": 2.5, "right": 3.0,
               "shape": None})
    return cs


def lognormal_cases(x64):
    cs = []
    for s, dt in dtype_sweep(x64, [(), (7, 3)], ((5,),)):
        if dt not in ("float16", "bfloat16"):
            # The default sigma is np.float32(1): JAX refuses to cast it to 16 bits.
            cs.append({"shape": list(s), "dtype": dt})
        cs.append({"sigma": 0.5, "shape": list(s), "dtype": dt})
    cs.append({"sigma": np.array([0.5, 1.0, 2.0], np.float32), "shape": None})
    cs.append({"sigma": np.array([0.5, 1.0, 2.0], np.float32), "shape": [2, 3]})
    return cs


# Samplers whose f32 path goes through `log1p` (and `erf_inv`, which uses it), at a size
# where the 1-2 ulp differences of an XLA that computes `log1p` differently from jaxlib's
# show up (about 4% of elements before ferrax spelled out jaxlib's `log1p`): one case each,
# default float dtype, in the default layout, each its own family so every case runs.
LARGE_N = 100_000
LARGE_CASES = {
    "normal": {"shape": [LARGE_N], "dtype": "float32"},
    "truncated_normal": {"lower": -2.0, "upper": 2.0, "shape": [LARGE_N], "dtype": "float32"},
    "exponential": {"shape": [LARGE_N], "dtype": "float32"},
    "laplace": {"shape": [LARGE_N], "dtype": "float32"},
    "logistic": {"shape": [LARGE_N], "dtype": "float32"},
}


# jaxlib's XLA sums maxwell's three squares one way below 4,096 normal draws (1,365
# variates: two fused multiply-adds) and another way from there up (a pairwise vector
# reduction, no FMA), so both sides of that edge, in every float dtype and mode.
# (At 4,096 results and more the fusion takes double_sided_maxwell's scale and shift too,
# without the multiply-add XLA makes of them below: hence a scale that rounds.)
MAXWELL_SIZES = [(7, 3), (1365,), (1366,), (2, 1000), (5000,)]


def maxwell_size_cases(double_sided):
    def cases(x64):
        dts = [None, "float16", "bfloat16"] + (["float32"] if x64 else [])
        cs = []
        for s in MAXWELL_SIZES:
            for dt in dts:
                c = {"shape": list(s), "dtype": dt}
                if double_sided:
                    c = {"loc": 0.3, "scale": 1.3, **c}
                cs.append(c)
        return cs
    return cases


def main():
    w = Writer(OUT_DIR)
    key_cases(w)
    fold_in_cases(w)
    split_cases(w)
    run(w, "bits", "bits", bits_cases)
    run(w, "uniform", "uniform", uniform_cases)
    run(w, "normal", "normal", dtype_only_cases())
    run(w, "truncated_normal", "truncated_normal", truncated_normal_cases)
    run(w, "bernoulli", "bernoulli", bernoulli_cases)
    run(w, "randint", "randint", randint_cases)
    run(w, "permutation", "permutation", permutation_cases)
    run(w, "choice", "choice", choice_cases)
    run(w, "categorical", "categorical", categorical_cases)
    run(w, "gumbel", "gumbel", gumbel_cases)
    for fn in ["exponential", "laplace", "logistic", "cauchy", "maxwell"]:
        run(w, fn, fn, dtype_only_cases([(), (7, 3)]))
    run(w, "rademacher", "rademacher", int_or_float_cases)
    run(w, "double_sided_maxwell", "double_sided_maxwell", dsm_cases)
    run(w, "weibull_min", "weibull_min", weibull_cases)
    run(w, "pareto", "pareto",
        one_param_cases("b", [2.0, 0.7], np.array([1.0, 2.0, 3.0], np.float32)))
    run(w, "rayleigh", "rayleigh",
        one_param_cases("scale", [1.0, 2.5], np.array([1.0, 2.0, 3.0], np.float32)))
    run(w, "wald", "wald", wald_cases)
    run(w, "geometric", "geometric", geometric_cases)
    run(w, "triangular", "triangular", triangular_cases)
    run(w, "lognormal", "lognormal", lognormal_cases)
    for fn, args in LARGE_CASES.items():
        run(w, "large_" + fn, fn, [args], modes=[(False, True)], seeds=[0])
    run(w, "large_maxwell", "maxwell", maxwell_size_cases(False))
    run(w, "large_double_sided_maxwell", "double_sided_maxwell", maxwell_size_cases(True))
    set_mode(False, True)
    w.write()


if __name__ == "__main__":
    main()
