"""Golden vectors for the ferrax-random samplers built on loops and factorisations.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/golden_random_samplers.py

Writes one JSON-lines file per family into tests/golden/random-samplers/ (gamma, beta,
dirichlet, chisquare, f, t, poisson, binomial, multinomial, generalized_normal, ball,
orthogonal, multivariate_normal). The format is the one of scripts/golden_random.py:

    {"fn": "gamma", "seed": 42, "x64": false, "partitionable": true,
     "args": {"a": 2.5, "shape": [2, 3], "dtype": "float32"},
     "out": {"shape": [2, 3], "dtype": "float32", "sha256": "...", "head": ["0x...", ...]}}

- "seed" is the Python int given to jax.random.key(seed); "x64" and "partitionable" are the
  jax_enable_x64 and jax_threefry_partitionable settings of the call.
- Each call runs under jax.jit with the key data and the array arguments as inputs and
  everything else as constants, as in a user's jitted program (an eager call would pass
  Python scalars as runtime arguments of JAX's inner jit, and XLA then cannot fold what
  depends on them: the gamma family then differs in the last bits). 0-d arrays give the
  runtime-scalar variant.
- "args" holds the other arguments under their jax.random names: Python floats are JSON
  numbers with a fraction or exponent, Python ints JSON integers, dtypes numpy names, and
  arrays {"dtype", "shape", "hex"} with "hex" the little-endian bytes.
- "out": shape, dtype, SHA-256 of the little-endian bytes, the first 8 elements as hex bit
  patterns and, for the samplers that go through LAPACK in JAX (orthogonal,
  multivariate_normal), "hex": all the bytes, since those are compared within a tolerance.

Every expected value comes from running JAX; nothing is typed by hand.
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
    sys.exit(f"golden_random_samplers.py needs jax=={REQUIRED} (found {jax.__version__}); "
             f"pip install jax=={REQUIRED} jaxlib=={REQUIRED}")

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden",
                       "random-samplers")

# (x64, partitionable). Every family runs in the default layout with f32 and in the legacy
# layout with f64; the gamma family and poisson run in all four combinations. Seeds: two in
# the first mode, one elsewhere (every case is a program of its own in the ferrax test,
# and the loops of these samplers are slow to compile: keep the test under a minute).
MODES_ALL = [(False, True), (False, False), (True, True), (True, False)]
MODES_TWO = [(False, True), (True, False)]
MODES_F32 = [(False, True), (False, False)]        # f32 in both layouts
MODES_SIZES = MODES_F32 + [(True, True)]           # and f64 in the default layout
FULL_VALUES = {"orthogonal", "multivariate_normal"}


def seeds_for(x64, part):
    if (x64, part) == (False, True):
        return [0, 42]
    return [2**40 + 3] if x64 else [42]


def call_jitted(f, seed, args):
    """f(key, **args) under jax.jit, as a user's jitted program calls it: the key data and
    the array arguments are runtime inputs, Python scalars and static arguments are
    constants of the program (XLA folds what depends only on them, in JAX as in ferrax)."""
    arrays = {k: jnp.asarray(v) for k, v in args.items() if isinstance(v, np.ndarray)}
    rest = {k: (tuple(v) if isinstance(v, list) else v) for k, v in args.items()
            if not isinstance(v, np.ndarray)}

    def g(kd, arrs):
        return f(R.wrap_key_data(kd), **rest, **arrs)

    return jax.jit(g)(R.key_data(R.key(seed)), arrays)


def run(w, family, fn, cases, modes=MODES_TWO, seeds=None):
    """cases(x64, part) -> list of arg dicts; each is run for every seed of the mode (or
    of `seeds`)."""
    f = getattr(R, fn)
    for x64, part in modes:
        set_mode(x64, part)
        for args in cases(x64, part):
            for seed in seeds if seeds is not None else seeds_for(x64, part):
                w.add(family, fn, seed, x64, part, args, call_jitted(f, seed, args))


def fdt(x64):
    return "float64" if x64 else "float32"


def npf(x64):
    return np.float64 if x64 else np.float32


def gamma_cases(x64, part=True):
    cs = [{"a": a, "shape": [5], "dtype": fdt(x64)} for a in [0.3, 3.7]]
    cs.append({"a": 0.02, "shape": [2, 3], "dtype": None})
    cs.append({"a": np.array([0.2, 1.5, 40.0], npf(x64)), "shape": [2, 3],
               "dtype": fdt(x64)})
    cs.append({"a": 2.0, "shape": [], "dtype": fdt(x64)})
    cs.append({"a": np.array(2.0, npf(x64)), "shape": [3], "dtype": fdt(x64)})
    if not x64:
        cs.append({"a": 1.5, "shape": [4], "dtype": "float16"})
    if (x64, part) in [(False, False), (True, True)]:
        # The other two modes cover everything; these check the layouts' keys.
        return cs[:1] + cs[3:4] + cs[4:5]
    return cs


def loggamma_cases(x64, part=True):
    cs = [{"a": np.array([0.3, 2.0, 7.5], npf(x64)), "shape": None, "dtype": fdt(x64)},
          {"a": 0.01, "shape": [4], "dtype": fdt(x64)}]
    return cs if (x64, part) in MODES_TWO else cs[:1]


def beta_cases(x64, part=True):
    return [{"a": 2.0, "b": 3.0, "shape": [5], "dtype": fdt(x64)},
            {"a": np.array([0.5, 1.0, 4.0], npf(x64)), "b": 0.7, "shape": [2, 3],
             "dtype": None}]


def dirichlet_cases(x64, part=True):
    return [{"alpha": np.array([1.0, 2.0, 3.0], npf(x64)), "shape": [2],
             "dtype": fdt(x64)},
            {"alpha": np.array([[0.1, 0.5], [5.0, 2.0]], npf(x64)), "shape": None,
             "dtype": None}]


# Many keys for dirichlet: jaxlib computes the log-gamma draws' `log(V)` in a kernel of its
# own (two fusions consume the draws), which for some sizes calls the C library's `logf`
# and differs from XLA's fused `log` in the last bit for some draws (9 of the first case's
# 36 keys showed it). The sizes (batch * len(alpha) = 3, 5, 7, 9, 12, 14, 16, 30, 1200)
# cover the ways that kernel splits its lanes.
DIRICHLET_SEEDS = list(range(18))
# Seeds of the `_sizes` families (f32, both layouts).
SIZE_SEEDS = [0, 1, 2]


def dirichlet_key_cases(x64, part=True):
    return [{"alpha": np.array([1.0, 2.0, 3.0], np.float32), "shape": [2], "dtype": None}]


def dirichlet_size_cases(x64, part=True):
    def a(k):
        return np.linspace(0.3, 3.0, k).astype(np.float32)
    cs = [{"alpha": a(k), "shape": [b], "dtype": None}
          for k, b in [(3, 1), (5, 1), (7, 1), (3, 3), (4, 3), (7, 2), (4, 4), (3, 10),
                       (4, 300)]]
    # bf16 and f16: `jnp.sum` adds in f32, and jaxlib keeps bf16's exp in f32 up to it.
    return cs + [{"alpha": a(4), "shape": [b], "dtype": d}
                 for d in ["bfloat16", "float16"] for b in [10, 300]]


# From 4,096 draws on, jaxlib runs dirichlet's logs, max, exp and sum in YNNPACK (see
# ferrax-random's `ynn` module): sizes on both sides of that, last axes of 2 to 40, alpha
# of distinct values and of one value (whose `log(alpha - 1/3)` XLA folds), and bf16 and
# f16 (whose sum, taken in f32, runs there too).
def dirichlet_large_cases(x64, part=True):
    def a(k):
        return np.linspace(0.3, 3.0, k).astype(np.float32)
    if x64:
        # f64: YNNPACK's f64 log and exp (fused multiply-adds) and its 8-lane sum
        return [{"alpha": a(k), "shape": [b], "dtype": "float64"}
                for k, b in [(4, 1023), (4, 1100), (20, 210), (90, 60)]]
    cs = [{"alpha": a(k), "shape": [b], "dtype": None}
          for k, b in [(4, 1023), (4, 1100), (2, 2048), (3, 1400), (7, 600), (20, 210),
                       (40, 103)]]
    cs.append({"alpha": np.full(4, 1.5, np.float32), "shape": [1100], "dtype": None})
    cs += [{"alpha": a(4), "shape": [1100], "dtype": d} for d in ["bfloat16", "float16"]]
    return cs


def chisquare_cases(x64, part=True):
    return [{"df": 3.0, "shape": [5], "dtype": fdt(x64)},
            {"df": np.array([0.5, 1.0, 9.0], npf(x64)), "shape": None, "dtype": None}]


def f_cases(x64, part=True):
    return [{"dfnum": 3.0, "dfden": 4.0, "shape": [5], "dtype": fdt(x64)},
            {"dfnum": np.array([1.0, 5.0, 2.0], npf(x64)), "dfden": 2.5, "shape": None,
             "dtype": None}]


def t_cases(x64, part=True):
    return [{"df": 3.0, "shape": [5], "dtype": fdt(x64)},
            {"df": np.array([0.8, 2.0, 30.0], npf(x64)), "shape": None, "dtype": None}]


def poisson_cases(x64, part=True):
    it = "int64" if x64 else "int32"
    return [{"lam": 3.0, "shape": [6], "dtype": None},
            {"lam": 25.0, "shape": [2, 3], "dtype": it},
            {"lam": np.array([0.0, 0.5, 9.9, 10.0, 150.0], np.float32), "shape": None,
             "dtype": "int32"},
            {"lam": 4.0, "shape": [3], "dtype": "int16"}]


def binomial_cases(x64, part=True):
    return [{"n": 20.0, "p": 0.3, "shape": [6], "dtype": fdt(x64)},
            {"n": 500.0, "p": 0.7, "shape": [5], "dtype": None},
            {"n": np.array([5.0, 40.0, 1000.0], npf(x64)),
             "p": np.array([0.9, 0.5, 0.01], npf(x64)), "shape": None, "dtype": None},
            {"n": 12.0, "p": 0.97, "shape": [2, 2], "dtype": fdt(x64)}]


def multinomial_cases(x64, part=True):
    return [{"n": 10.0, "p": np.array([0.2, 0.3, 0.5], npf(x64))},
            {"n": 200.0, "p": np.array([[0.1, 0.6, 0.3], [0.25, 0.25, 0.5]], npf(x64))},
            {"n": np.array([3.0, 50.0], npf(x64)), "p": np.array([0.5, 0.5], npf(x64)),
             "shape": [2, 2]}]


def gn_cases(x64, part=True):
    return [{"p": 1.5, "shape": [5], "dtype": fdt(x64)},
            {"p": 0.5, "shape": [2, 3], "dtype": None},
            {"p": 2.0, "shape": [], "dtype": fdt(x64)}]


def ball_cases(x64, part=True):
    return [{"d": 3, "p": 2.0, "shape": [4], "dtype": fdt(x64)},
            {"d": 2, "p": 1.0, "shape": [], "dtype": None}]


# Sizes where jaxlib's compiler changes the arithmetic: LLVM makes a vectorised
# `x ** 0.5` (a constant exponent) a square root, and from 4,096 draws on the sum of
# ball's powers is YNNPACK's.


def gn_size_cases(x64, part=True):
    return [{"p": p, "shape": list(s), "dtype": None}
            for p, s in [(2.0, (1,)), (2.0, (300, 3)), (2.0, (1500, 3)), (1.5, (300, 3))]]


def ball_size_cases(x64, part=True):
    if x64:
        # f64 from 4,096 results on: YNNPACK's f64 log1p, the C library's pow (also for
        # p = 2, where XLA's own code would take a square root)
        return [{"d": d, "p": p, "shape": [n], "dtype": "float64"}
                for n, d, p in [(5000, 3, 1.5), (5000, 2, 2.0), (4096, 3, 1.0),
                                (4095, 3, 3.0), (1400, 3, 1.5)]]
    cs = [{"d": d, "p": p, "shape": [n], "dtype": None}
          for n, d, p in [(300, 3, 2.0), (300, 3, 1.5), (50, 5, 1.0), (100, 2, 0.5),
                          (1500, 3, 2.0), (1500, 3, 1.0), (2000, 2, 0.5),
                          # 4,096 draws or more (YNNPACK's sum), results below that
                          (1400, 3, 1.5), (1100, 4, 0.5), (700, 7, 2.5), (300, 20, 3.0),
                          # 4,096 results or more (YNNPACK's log1p and powf too)
                          (5000, 3, 1.5), (5000, 2, 2.0), (6000, 5, 0.7),
                          # one coordinate: XLA keeps the division, except in the legacy
                          # layout when the power is not rewritten itself (p = 2, 1.5)
                          (100, 1, 0.5), (4096, 1, 1.0), (100, 1, 2.0), (5000, 1, 1.5)]]
    # f16 and bf16: `jnp.sum` adds in f32; bf16 keeps f32 reciprocals and products, and
    # from 4,096 results on YNNPACK's fusion computes the whole tail in f32.
    return cs + [{"d": d, "p": p, "shape": [n], "dtype": dt}
                 for dt in ["bfloat16", "float16"]
                 for n, d, p in [(100, 3, 1.5), (30, 20, 3.0), (1400, 3, 1.5), (1100, 4, 0.5),
                                 # 4,096 results or more: bf16 runs in f32 throughout
                                 (5000, 3, 1.5), (4096, 2, 2.0), (4100, 4, 1.0),
                                 (4095, 3, 3.0)]]


# f16 and bf16 draws of the gamma family (a < 1 takes the boost power, whose bf16 argument
# the plugin's XLA would otherwise not round; XLA folds f16 `f`'s constants its own way).
def low_precision_families():
    def cases(name, values, extra=None):
        def make(x64, part=True):
            return [dict({name: v, "shape": [100, 3], "dtype": dt}, **(extra or {}))
                    for dt in ["bfloat16", "float16"] for v in values]
        return make
    return [("gamma", cases("a", [0.3, 0.66796875, 1.5, 3.0])),
            ("loggamma", cases("a", [0.7, 3.0])),
            ("generalized_normal", cases("p", [0.3, 0.66796875, 1.5, 3.0])),
            ("beta", cases("a", [0.7, 3.0], {"b": 2.5})),
            ("chisquare", cases("df", [0.7, 3.0])),
            ("f", cases("dfnum", [0.7, 3.0], {"dfden": 2.5})),
            ("t", cases("df", [0.7, 3.0]))]


def orthogonal_cases(x64, part=True):
    return [{"n": 3, "shape": [], "dtype": fdt(x64)},
            {"n": 4, "shape": [2], "dtype": None},
            {"n": 2, "shape": [], "dtype": fdt(x64), "m": 5},
            {"n": 5, "shape": [], "dtype": fdt(x64), "m": 3}]


def mvn_cases(x64, part=True):
    f = npf(x64)
    cov3 = np.array([[2.0, 0.5, 0.3], [0.5, 1.0, 0.2], [0.3, 0.2, 0.8]], f)
    mean3 = np.array([1.0, -1.0, 0.5], f)
    cs = []
    for method in ["cholesky", "eigh", "svd"]:
        cs.append({"mean": mean3, "cov": cov3, "shape": [4], "dtype": None,
                   "method": method})
    cs.append({"mean": np.zeros((2, 2), f), "cov": np.array([[1.0, 0.9], [0.9, 1.0]], f),
               "shape": None, "dtype": None, "method": "cholesky"})
    # eigh / svd (LAPACK ?syevd / ?gesdd in JAX): covariances with well-separated spectra,
    # 1x1 to 5x5, and a batch of covariances broadcast against the mean.
    rng = np.random.default_rng(7)

    def spaced(n, batch=()):
        q, _ = np.linalg.qr(rng.standard_normal(batch + (n, n)))
        w = np.arange(1, n + 1, dtype=np.float64) * 0.7 + 0.2 * rng.uniform(size=batch + (n,))
        c = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
        return ((c + np.swapaxes(c, -1, -2)) / 2).astype(f)

    for method in ["eigh", "svd"]:
        cs.append({"mean": np.array([0.5], f), "cov": np.array([[2.0]], f), "shape": [3],
                   "dtype": None, "method": method})
        cs.append({"mean": np.zeros((2,), f), "cov": np.array([[1.0, 0.9], [0.9, 1.0]], f),
                   "shape": [5], "dtype": None, "method": method})
        cs.append({"mean": np.linspace(-1, 1, 5).astype(f), "cov": spaced(5), "shape": [3],
                   "dtype": None, "method": method})
        cs.append({"mean": np.ones((4,), f), "cov": spaced(4, (2,)), "shape": None,
                   "dtype": None, "method": method})
    return cs


def main():
    w = Writer(OUT_DIR, FULL_VALUES)
    run(w, "gamma", "gamma", gamma_cases, MODES_ALL)
    run(w, "gamma", "loggamma", loggamma_cases, MODES_ALL)
    run(w, "beta", "beta", beta_cases)
    run(w, "dirichlet", "dirichlet", dirichlet_cases)
    run(w, "dirichlet_keys", "dirichlet", dirichlet_key_cases,
        MODES_F32, DIRICHLET_SEEDS)
    run(w, "dirichlet_sizes", "dirichlet", dirichlet_size_cases,
        MODES_F32, SIZE_SEEDS)
    run(w, "dirichlet_large", "dirichlet", dirichlet_large_cases, MODES_SIZES, SIZE_SEEDS)
    run(w, "chisquare", "chisquare", chisquare_cases)
    run(w, "f", "f", f_cases)
    run(w, "t", "t", t_cases)
    run(w, "poisson", "poisson", poisson_cases, MODES_ALL)
    run(w, "binomial", "binomial", binomial_cases)
    run(w, "multinomial", "multinomial", multinomial_cases)
    run(w, "generalized_normal", "generalized_normal", gn_cases)
    run(w, "ball", "ball", ball_cases)
    run(w, "generalized_normal_sizes", "generalized_normal", gn_size_cases,
        MODES_F32, SIZE_SEEDS)
    run(w, "ball_sizes", "ball", ball_size_cases, MODES_SIZES, SIZE_SEEDS)
    for fn, cases in low_precision_families():
        run(w, "low_precision", fn, cases, MODES_F32, SIZE_SEEDS)
    run(w, "orthogonal", "orthogonal", orthogonal_cases)
    run(w, "multivariate_normal", "multivariate_normal", mvn_cases)
    w.write()


if __name__ == "__main__":
    main()
