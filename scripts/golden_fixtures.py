"""Fixture writing shared by the golden-vector scripts: the `.jsonl` families of
scripts/golden_random.py and scripts/golden_random_samplers.py (`Writer`), and the single
`{"jax", "cases"}` JSON files of scripts/golden_vmap.py and scripts/golden_special.py
(`write_cases`).

A fixture family is a `<family>.jsonl` file, one case a line:
{"fn", "seed", "x64", "partitionable", "args", "out"}, where array arguments are
{"dtype", "shape", "hex"} (all bytes) and "out" is {"shape", "dtype", "sha256", "head"}
(the leading HEAD values as little-endian bit patterns), plus "hex" (all bytes) for
families compared within a tolerance.
"""
import hashlib
import json
import os

import jax
import numpy as np

HEAD = 8


def set_mode(x64, partitionable):
    jax.config.update("jax_enable_x64", x64)
    jax.config.update("jax_threefry_partitionable", partitionable)


def dtype_name(d):
    return np.dtype(d).name


def encode_array(a):
    a = np.asarray(a)
    return {"dtype": dtype_name(a.dtype), "shape": list(a.shape),
            "hex": np.ascontiguousarray(a).tobytes().hex()}


def describe(x, full=False):
    x = np.asarray(x)
    raw = x.astype(np.uint8) if x.dtype == np.bool_ else x
    b = np.ascontiguousarray(raw).tobytes()
    width = raw.dtype.itemsize
    head = []
    for v in np.ascontiguousarray(raw).reshape(-1)[:HEAD]:
        head.append("0x" + format(int.from_bytes(np.asarray(v).tobytes(), "little"),
                                  "0%dx" % (2 * width)))
    out = {"shape": list(x.shape), "dtype": dtype_name(x.dtype),
           "sha256": hashlib.sha256(b).hexdigest(), "head": head}
    if full:
        out["hex"] = b.hex()
    return out


def jsonable(v):
    if isinstance(v, (tuple, list)):
        return [jsonable(e) for e in v]
    if isinstance(v, np.ndarray):
        return encode_array(v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, str) or v is None:
        return v
    if isinstance(v, type) or isinstance(v, np.dtype):
        return dtype_name(v)
    raise TypeError(f"cannot encode {v!r}")


class Writer:
    """Collects cases per family and writes `out_dir/<family>.jsonl` (replacing the old
    files); families in `full_values` also record every output byte."""

    def __init__(self, out_dir, full_values=()):
        self.out_dir = out_dir
        self.full_values = set(full_values)
        self.files = {}

    def add(self, family, fn, seed, x64, partitionable, args, out):
        rec = {"fn": fn, "seed": seed, "x64": x64, "partitionable": partitionable,
               "args": {k: jsonable(v) for k, v in args.items()},
               "out": describe(out, family in self.full_values)}
        self.files.setdefault(family, []).append(json.dumps(rec, sort_keys=True))

    def write(self):
        os.makedirs(self.out_dir, exist_ok=True)
        for name in os.listdir(self.out_dir):
            if name.endswith(".jsonl"):
                os.remove(os.path.join(self.out_dir, name))
        total = 0
        for family, lines in sorted(self.files.items()):
            with open(os.path.join(self.out_dir, family + ".jsonl"), "w") as fh:
                fh.write("\n".join(lines) + "\n")
            total += len(lines)
            print(f"{family}: {len(lines)} cases")
        print(f"total: {total} cases in {len(self.files)} files -> "
              f"{os.path.normpath(self.out_dir)}")


def write_cases(path, cases):
    """Writes `{"jax": <version>, "cases": cases}` to `path` (indent 1, final newline)."""
    with open(path, "w") as fh:
        json.dump({"jax": jax.__version__, "cases": cases}, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(path)}")
