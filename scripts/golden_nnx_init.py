"""Golden vectors for ferrax-nn's initialisers, RngStream/Rngs sampling methods and
split/fork/broadcast, made by the real JAX and Flax.

    pip install jax==0.10.2 jaxlib==0.10.2 flax==0.12.8
    python3 scripts/golden_nnx_init.py      # writes tests/golden/nnx_init.json

Sections of the fixture (one JSON object):

- "init": one call `I.<name>(**params)(jax.random.key(seed), shape, dtype)` of
  `flax.nnx.initializers` (= `jax.nn.initializers`) per case, under the case's
  `jax_threefry_partitionable` ("partitionable") and `jax_enable_x64` ("x64") settings.
  "out" is {shape, dtype, sha256 of the little-endian bytes, head: the first 8 elements as
  hex bit patterns}; for `orthogonal`/`delta_orthogonal` (LAPACK QR in JAX) and for
  results drawn through `erf_inv` of more than 8 elements, "out" also has "values", every
  element as a hex bit pattern, for comparisons with a stated tolerance.
- "init_errors": calls that raise in JAX, with the exception type and message.
- "doc_examples": the examples printed in the docstrings of `jax.nn.initializers` /
  `flax.nnx.initializers` (the text of the spec), parsed with `doctest`: the constructor
  arguments, the call's shape and dtype, and the printed decimals ("printed"). The printed
  numbers come from an older JAX with the legacy counter layout; "legacy" is what JAX
  0.10.2 gives for the same call with `jax_threefry_partitionable=False`.
- "stream_methods": `nnx.Rngs(<default seed>, params=<seed>)`, `draws` keys drawn from
  `params`, then `rngs.params.<method>(**args)` ("via": "stream") or `rngs.<method>(**args)`
  (the `default` stream, "via": "rngs"). Arguments follow scripts/golden_random.py: Python
  floats are JSON numbers with a fraction, ints are integers, shapes are lists, dtypes numpy
  names, arrays {"dtype", "shape", "hex"}.
- "rng_ops": `split`/`fork`/`broadcast` of an `RngStream` or a whole `Rngs`, with the key data
  and counts of every resulting stream and of the original streams afterwards. A mapping
  argument (`rngs.split({'params': 5, ...: (2, 5)})`) is a list of [filter, size] pairs in
  the mapping's order ("..." for Ellipsis).

Nothing here is typed by hand: every expected value comes from running JAX/Flax.
"""
import ast
import doctest
import hashlib
import json
import os
import re
import sys

import numpy as np

import flax  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from flax import nnx  # noqa: E402
from flax.nnx import initializers as I  # noqa: E402

if jax.__version__ != "0.10.2" or flax.__version__ != "0.12.8":
    sys.exit(f"needs jax==0.10.2 and flax==0.12.8 (found {jax.__version__}, {flax.__version__})")

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden",
                   "nnx_init.json")
HEAD = 8


def set_mode(x64, partitionable):
    jax.config.update("jax_enable_x64", x64)
    jax.config.update("jax_threefry_partitionable", partitionable)


def dtype_name(d):
    return np.dtype(d).name


def hexes(flat, width):
    return ["0x" + format(int.from_bytes(np.asarray(v).tobytes(), "little"), "0%dx" % (2 * width))
            for v in flat]


def describe(x, values=False):
    x = np.asarray(x)
    raw = x.astype(np.uint8) if x.dtype == np.bool_ else x
    raw = np.ascontiguousarray(raw)
    flat = raw.reshape(-1)
    d = {"shape": list(x.shape), "dtype": dtype_name(x.dtype),
         "sha256": hashlib.sha256(raw.tobytes()).hexdigest(),
         "head": hexes(flat[:HEAD], raw.dtype.itemsize)}
    if values:
        d["values"] = hexes(flat, raw.dtype.itemsize)
    return d


def encode_array(a):
    a = np.asarray(a)
    return {"dtype": dtype_name(a.dtype), "shape": list(a.shape),
            "hex": np.ascontiguousarray(a).tobytes().hex()}


def jsonable(v):
    if isinstance(v, (tuple, list)):
        return [jsonable(e) for e in v]
    if isinstance(v, (np.ndarray, jax.Array)):
        return encode_array(v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (float, int)) or isinstance(v, str) or v is None:
        return v
    if isinstance(v, type) or isinstance(v, np.dtype):
        return dtype_name(v)
    raise TypeError(f"cannot encode {v!r}")


def kd(k):
    return [int(x) for x in np.asarray(jax.random.key_data(k)).reshape(-1)]


# ---------------------------------------------------------------------------------------
# Initialisers
# ---------------------------------------------------------------------------------------

MATRIX = [(2, 3), (3, 2), (5, 7), (1, 1), (3, 3, 4, 5)]
MODES = ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]
DISTS = ["truncated_normal", "normal", "uniform"]
AXES = [  # (params, shapes)
    ({"in_axis": 0, "out_axis": [1, 2]}, [(4, 5, 6)]),
    ({"in_axis": [0, 1], "out_axis": -1}, [(2, 3, 5)]),
    ({"in_axis": -2, "out_axis": -1, "batch_axis": 0}, [(2, 3, 4), (3, 2, 4, 5)]),
    ({"in_axis": 1, "out_axis": 0, "batch_axis": [2]}, [(4, 5, 3)]),
    ({"in_axis": 0, "out_axis": -1}, [(6,), (4, 3)]),
]
FAMILIES = ["lecun_normal", "lecun_uniform", "glorot_normal", "glorot_uniform", "he_normal",
            "he_uniform", "xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform"]


def init_specs():
    """(name, params, shapes, dtypes) of every initialiser case."""
    f32 = ["float32"]
    low = ["bfloat16", "float16", "float64"]
    specs = [
        ("zeros", {}, [(2, 3), (0, 4)], f32 + ["int32", "bfloat16", "float64"]),
        ("ones", {}, [(3, 2)], f32 + ["int32", "float16"]),
        ("zeros_init", {}, [(2, 3)], f32),
        ("ones_init", {}, [(3, 2)], f32),
        ("constant", {"value": -7}, [(2, 3)], f32 + ["int32", "bfloat16"]),
        ("constant", {"value": 0.1}, [(4,)], f32 + ["float16", "float64"]),
        ("normal", {}, MATRIX, f32 + low),
        ("normal", {"stddev": 5.0}, [(2, 3)], f32 + low),
        ("uniform", {}, MATRIX, f32 + low),
        ("uniform", {"scale": 10.0}, [(2, 3)], f32 + low),
        ("truncated_normal", {}, MATRIX, f32 + low),
        ("truncated_normal", {"stddev": 5.0}, [(2, 3)], f32 + low),
        ("truncated_normal", {"stddev": 0.5, "lower": -1.0, "upper": 3.0}, [(4, 5)], f32 + low),
    ]
    for scale in [1.0, 2.0, 0.3]:
        for mode in MODES:
            for dist in DISTS:
                specs.append(("variance_scaling", {"scale": scale, "mode": mode, "distribution": dist},
                              [(2, 3), (3, 3, 4, 5)] if scale == 1.0 else [(5, 7)],
                              f32 + (low if scale == 2.0 else [])))
    for axes, shapes in AXES:
        for mode in MODES:
            for dist in DISTS:
                specs.append(("variance_scaling",
                              {"scale": 1.5, "mode": mode, "distribution": dist, **axes}, shapes, f32))
    for fam in FAMILIES:
        specs.append((fam, {}, [(2, 3), (3, 3, 4, 5)], f32 + low))
        specs.append((fam, {"in_axis": 0, "out_axis": [1, 2]}, [(4, 5, 6)], f32))
        specs.append((fam, {"batch_axis": 0}, [(2, 3, 4)], f32))
    specs += [
        ("orthogonal", {}, [(2, 3), (3, 2), (4, 4), (5, 3), (2, 3, 4), (0, 3)], ["float32", "float64"]),
        ("orthogonal", {"scale": 2.0}, [(3, 5)], ["float32", "float64"]),
        ("orthogonal", {"column_axis": 0}, [(3, 5), (4, 2, 3)], ["float32"]),
        ("orthogonal", {"column_axis": 1}, [(2, 4, 3)], ["float32"]),
        ("delta_orthogonal", {}, [(3, 3, 3), (3, 3, 2, 4), (1, 2, 3, 3, 3)], ["float32", "float64"]),
        ("delta_orthogonal", {"scale": 0.5}, [(4, 3, 5)], ["float32"]),
        ("delta_orthogonal", {"column_axis": 0}, [(3, 2, 4)], ["float32"]),
    ]
    return specs


def make_init(name, params):
    p = dict(params)
    for k in ("in_axis", "out_axis", "batch_axis"):
        if isinstance(p.get(k), list):
            p[k] = tuple(p[k])
    f = getattr(I, name)
    if name in ("zeros", "ones"):
        return f
    return f(**p)


def init_cases():
    cases, errors = [], []
    seeds = [0, 42, 7]
    i = 0
    for name, params, shapes, dtypes in init_specs():
        for shape in shapes:
            for dt in dtypes:
                x64 = dt in ("float64", "int64")
                layouts = [True, False] if dt in ("float32", "float64") else [i % 2 == 0]
                for part in layouts:
                    seed = seeds[i % len(seeds)]
                    i += 1
                    set_mode(x64, part)
                    out = make_init(name, params)(jax.random.key(seed), shape, jnp.dtype(dt))
                    # Every element for QR-based initialisers and for erf_inv-based results that
                    # "head" does not cover (crates/ferrax-nn/tests/init.rs, Check::ErfInv).
                    erf_inv = ("normal" in name or params.get("distribution") in
                               ("normal", "truncated_normal"))
                    values = (name in ("orthogonal", "delta_orthogonal")
                              or (erf_inv and int(np.prod(shape)) > HEAD))
                    cases.append({"init": name, "params": params, "seed": seed, "shape": list(shape),
                                  "dtype": dt, "x64": x64, "partitionable": part,
                                  "out": describe(out, values=values)})
    set_mode(False, True)
    bad = [
        ("lecun_normal", {}, (5,), "float32"),
        ("lecun_normal", {}, (), "float32"),
        ("lecun_normal", {}, (0, 3), "float32"),
        ("lecun_normal", {}, (3, 0), "float32"),
        ("glorot_uniform", {}, (2, 0, 3), "float32"),
        ("variance_scaling", {"scale": 1.0, "mode": "fan_in", "distribution": "normal", "in_axis": 3},
         (2, 3), "float32"),
        ("normal", {}, (2, 3), "int32"),
        ("uniform", {}, (2, 3), "int32"),
        ("truncated_normal", {}, (2, 3), "int32"),
        ("lecun_normal", {}, (2, 3), "int32"),
        ("orthogonal", {}, (3,), "float32"),
        ("orthogonal", {}, (), "float32"),
        ("orthogonal", {}, (3, 3), "int32"),
        ("delta_orthogonal", {}, (3, 3), "float32"),
        ("delta_orthogonal", {}, (1, 1, 1, 1, 1, 1), "float32"),
        ("delta_orthogonal", {}, (3, 3, 4, 2), "float32"),
        ("delta_orthogonal", {}, (3, 5, 4), "float32"),
    ]
    for name, params, shape, dt in bad:
        try:
            make_init(name, params)(jax.random.key(0), shape, jnp.dtype(dt))
        except Exception as e:  # noqa: BLE001 - the error is the expected value
            errors.append({"init": name, "params": params, "shape": list(shape), "dtype": dt,
                           "error": type(e).__name__, "message": str(e)})
        else:
            raise SystemExit(f"expected an error from {name}{params} {shape} {dt}")
    return cases, errors


NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def doc_examples():
    """The printed examples of the initialisers' docstrings, run again under the legacy
    layout."""
    out = []
    parser = doctest.DocTestParser()
    names = sorted(n for n in dir(I) if not n.startswith("_") and callable(getattr(I, n))
                   and getattr(I, n).__doc__ and "Array(" in getattr(I, n).__doc__)
    for name in names:
        ex = parser.get_examples(getattr(I, name).__doc__)
        ctor_args = None
        for e in ex:
            src = e.source.split("#")[0].strip()
            m = re.search(r"=\s*(?:jax\.nn\.)?initializers\.(\w+)\((.*)\)$", src)
            if m:
                ctor_args = [ast.literal_eval(a) for a in ([m.group(2)] if m.group(2) else [])]
                ctor = m.group(1)
                continue
            m = re.search(r"\(jax\.random\.key\((\d+)\),\s*(\(.*?\)),\s*jnp\.(\w+)\)$", src)
            if m and e.want.startswith("Array("):
                seed, shape, dt = int(m.group(1)), ast.literal_eval(m.group(2)), m.group(3)
                direct = re.match(r"jax\.nn\.initializers\.(\w+)\(jax", src)
                if direct:
                    ctor, ctor_args = direct.group(1), None
                body = e.want.split("dtype=")[0]
                printed = NUM.findall(body.replace("Array(", ""))
                set_mode(False, False)
                fn = getattr(I, ctor) if ctor_args is None else getattr(I, ctor)(*ctor_args)
                got = fn(jax.random.key(seed), shape, jnp.dtype(dt))
                set_mode(False, True)
                out.append({"doc_of": name, "init": ctor, "args": ctor_args or [], "seed": seed,
                            "shape": list(shape), "dtype": dt, "printed": printed,
                            "legacy": describe(got, values=True)})
    return out


# ---------------------------------------------------------------------------------------
# RngStream / Rngs methods
# ---------------------------------------------------------------------------------------

def arr(x, dt):
    return np.asarray(x, dtype=dt)


METHODS = [
    ("bits", {"shape": (2, 3)}),
    ("bits", {"shape": (4,), "dtype": np.uint8}),
    ("uniform", {"shape": (2, 3), "minval": -1.0, "maxval": 2.0}),
    ("uniform", {"shape": (5,), "dtype": jnp.bfloat16}),
    ("randint", {"shape": (6,), "minval": 0, "maxval": 10}),
    ("permutation", {"x": 10}),
    ("choice", {"a": 5, "shape": (3,), "replace": False}),
    ("normal", {"shape": (2, 3)}),
    ("normal", {"shape": (4,), "dtype": np.float16}),
    ("truncated_normal", {"lower": -1.0, "upper": 1.5, "shape": (5,)}),
    ("bernoulli", {"p": 0.3, "shape": (8,)}),
    ("beta", {"a": 2.0, "b": 3.0, "shape": (4,)}),
    ("cauchy", {"shape": (4,)}),
    ("dirichlet", {"alpha": arr([1.0, 2.0, 3.0], np.float32), "shape": (2,)}),
    ("exponential", {"shape": (4,)}),
    ("gamma", {"a": 2.5, "shape": (4,)}),
    ("loggamma", {"a": 0.5, "shape": (3,)}),
    ("poisson", {"lam": 3.0, "shape": (5,)}),
    ("gumbel", {"shape": (4,)}),
    ("categorical", {"logits": arr([0.1, 1.0, -0.5, 2.0], np.float32), "shape": (6,)}),
    ("laplace", {"shape": (4,)}),
    ("logistic", {"shape": (4,)}),
    ("pareto", {"b": 3.0, "shape": (4,)}),
    ("t", {"df": 5.0, "shape": (4,)}),
    ("chisquare", {"df": 3.0, "shape": (4,)}),
    ("f", {"dfnum": 3.0, "dfden": 5.0, "shape": (4,)}),
    ("rademacher", {"shape": (6,)}),
    ("maxwell", {"shape": (4,)}),
    ("double_sided_maxwell", {"loc": 1.0, "scale": 2.0, "shape": (4,)}),
    ("weibull_min", {"scale": 1.5, "concentration": 2.0, "shape": (4,)}),
    ("orthogonal", {"n": 3}),
    ("generalized_normal", {"p": 1.5, "shape": (4,)}),
    ("ball", {"d": 3, "p": 2.0, "shape": (2,)}),
    ("rayleigh", {"scale": 2.0, "shape": (4,)}),
    ("wald", {"mean": 1.5, "shape": (4,)}),
    ("geometric", {"p": 0.3, "shape": (5,)}),
    ("triangular", {"left": 0.0, "mode": 0.3, "right": 1.0, "shape": (4,)}),
    ("lognormal", {"sigma": 0.5, "shape": (4,)}),
    ("binomial", {"n": 10.0, "p": 0.3, "shape": (4,)}),
    ("multinomial", {"n": 10.0, "p": arr([0.2, 0.3, 0.5], np.float32), "shape": (2, 3)}),
    ("multivariate_normal", {"mean": arr([0.0, 1.0], np.float32),
                             "cov": arr([[2.0, 0.5], [0.5, 1.0]], np.float32), "shape": (3,)}),
]


def stream_methods():
    out = []
    for i, (method, args) in enumerate(METHODS):
        for part in (True, False):
            for via in (["stream", "rngs"] if i % 4 == 0 else ["stream"]):
                seed, draws = 10 + i, i % 3
                set_mode(False, part)
                rngs = nnx.Rngs(seed + 100, params=seed)
                for _ in range(draws):
                    rngs.params()
                target = rngs.params if via == "stream" else rngs
                res = getattr(target, method)(**args)
                values = method in ("orthogonal", "multivariate_normal")
                out.append({"method": method, "via": via, "seed": seed, "default_seed": seed + 100,
                            "draws": draws, "partitionable": part,
                            "args": {k: jsonable(v) for k, v in args.items()},
                            "out": describe(res, values=values),
                            "params_count_after": int(rngs.params.count[...]),
                            "default_count_after": int(rngs.default.count[...])})
    set_mode(False, True)
    return out


def stream_state(s):
    return {"tag": s.tag, "key_shape": list(s.key[...].shape), "key_data": kd(s.key[...]),
            "count": np.asarray(s.count[...]).reshape(-1).tolist()}


def rngs_state(r):
    return [stream_state(s) for _, s in r.items()]


def rng_ops():
    out = []
    for part in (True, False):
        set_mode(False, part)
        # RngStream methods
        for op, arg in [("split", 4), ("split", [2, 3]), ("fork", None), ("broadcast", 3),
                        ("broadcast", [2, 2])]:
            rngs = nnx.Rngs(params=5)
            rngs.params()
            s = rngs.params
            new = getattr(s, op)() if arg is None else getattr(s, op)(
                tuple(arg) if isinstance(arg, list) else arg)
            after = kd(s())  # the original stream continues where it was
            out.append({"on": "stream", "op": op, "arg": arg, "partitionable": part,
                        "streams": [["params", 5]], "draws_before": 1,
                        "new": [stream_state(new)], "next_of_original": after})
        # Rngs methods (the mapping form takes filters; strings are tags, ... is everything)
        specs = [
            ("split", 5), ("split", [2, 3]), ("fork", None), ("broadcast", 4), ("broadcast", [3, 2]),
            ("split", {"params": 5, "dropout": None, "...": [2, 5]}),
            ("broadcast", {"params": 5, "dropout": None, "...": [2, 5]}),
            ("split", {"dropout": 3}),
        ]
        for op, arg in specs:
            rngs = nnx.Rngs(params=1, dropout=2, noise=3)
            rngs.dropout()
            rngs.dropout()
            if isinstance(arg, dict):
                parg = {(... if k == "..." else k): (tuple(v) if isinstance(v, list) else v)
                        for k, v in arg.items()}
            elif isinstance(arg, list):
                parg = tuple(arg)
            else:
                parg = arg
            new = getattr(rngs, op)() if arg is None else getattr(rngs, op)(parg)
            # A mapping keeps its order (Flax takes the first matching filter): it is written
            # as a list of [filter, size] pairs.
            jarg = [[k, v] for k, v in arg.items()] if isinstance(arg, dict) else arg
            out.append({"on": "rngs", "op": op, "arg": jarg, "partitionable": part,
                        "streams": [["params", 1], ["dropout", 2], ["noise", 3]],
                        "draws_before": {"dropout": 2},
                        "new": rngs_state(new), "original_after": rngs_state(rngs)})
    set_mode(False, True)
    return out


def main():
    init, errors = init_cases()
    doc = doc_examples()
    methods = stream_methods()
    ops = rng_ops()
    data = {"generator": "scripts/golden_nnx_init.py", "jax": jax.__version__,
            "flax": flax.__version__, "init": init, "init_errors": errors, "doc_examples": doc,
            "stream_methods": methods, "rng_ops": ops}
    with open(OUT, "w") as f:
        json.dump(data, f, indent=None, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(init)} init cases, {len(errors)} errors, "
          f"{len(doc)} doc examples, {len(methods)} stream-method cases, {len(ops)} rng ops")


if __name__ == "__main__":
    main()
