"""Golden values for NNX's RNG transforms (split_rngs / fork_rngs / restore_rngs) and for
vmapped module creation, from the real Flax. Both counter layouts.

    pip install jax==0.10.2 jaxlib==0.10.2 flax==0.12.8
    python3 scripts/golden_nnx_transforms.py   # writes tests/golden/nnx_transforms.json

Arrays are stored as {"shape", "dtype", "bits"}: bits are the raw element bit patterns
(u32 words for f32/u32), so the Rust tests compare bits, not decimals.
"""
import json
import os

import flax
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

assert jax.__version__ == "0.10.2" and flax.__version__ == "0.12.8", (jax.__version__, flax.__version__)


def arr(x):
    x = np.asarray(x)
    if x.dtype == np.float32:
        bits = x.view(np.uint32)
    elif x.dtype == np.uint32:
        bits = x
    else:
        raise TypeError(x.dtype)
    return {"shape": list(x.shape), "dtype": str(x.dtype), "bits": [int(v) for v in bits.reshape(-1)]}


def stream_state(rngs):
    out = {}
    for name in ("params", "dropout"):
        s = getattr(rngs, name)
        out[name] = {"key": arr(jax.random.key_data(s.key[...])), "count": arr(s.count[...])}
    return out


class Model(nnx.Module):
    def __init__(self, rngs):
        self.linear = nnx.Linear(2, 3, rngs=rngs)
        self.dropout = nnx.Dropout(0.5, rngs=rngs)

    def __call__(self, x):
        return self.dropout(self.linear(x))


def model_state(model):
    return {
        "linear.kernel": arr(model.linear.kernel[...]),
        "linear.bias": arr(model.linear.bias[...]),
        "dropout.rngs.key": arr(jax.random.key_data(model.dropout.rngs.key[...])),
        "dropout.rngs.count": arr(model.dropout.rngs.count[...]),
    }


def cases_for_layout():
    cases = []
    # split_rngs: the spec's three examples, plus squeeze, and the state after restore.
    for splits, only in [(5, None), ((2, 5), None), (5, "params"), (1, "squeeze")]:
        rngs = nnx.Rngs(params=0, dropout=1)
        if only == "squeeze":
            backups = nnx.split_rngs(rngs, splits=1, squeeze=True)
        elif only is None:
            backups = nnx.split_rngs(rngs, splits=splits)
        else:
            backups = nnx.split_rngs(rngs, splits=splits, only=only)
        split_state = stream_state(rngs)
        nnx.restore_rngs(backups)
        cases.append({
            "op": "split_rngs",
            "splits": [splits] if isinstance(splits, int) else list(splits),
            "only": only if only not in (None, "squeeze") else None,
            "squeeze": only == "squeeze",
            "split": split_state,
            "restored": stream_state(rngs),
            "next_params_after_restore": arr(jax.random.key_data(rngs.params())),
        })
    # fork_rngs: all streams, and with a split.
    for split in [None, 3]:
        rngs = nnx.Rngs(params=0, dropout=1)
        backups = nnx.fork_rngs(rngs) if split is None else nnx.fork_rngs(rngs, split=split)
        forked = stream_state(rngs)
        nnx.restore_rngs(backups)
        cases.append({"op": "fork_rngs", "split": split, "forked": forked, "restored": stream_state(rngs)})

    # The spec's vmapped create_model, in the backups+restore form.
    state_axes = nnx.StateAxes({(nnx.Param, "params"): 0, ...: None})

    @nnx.vmap(in_axes=(state_axes,), out_axes=state_axes)
    def create_model(rngs):
        return Model(rngs)

    rngs = nnx.Rngs(params=0, dropout=1)
    backups = nnx.split_rngs(rngs, splits=5, only="params")
    model = create_model(rngs)
    after_vmap = stream_state(rngs)
    nnx.restore_rngs(backups)
    cases.append({"op": "vmap_create_model", "model": model_state(model), "rngs_after_vmap": after_vmap,
                  "rngs_restored": stream_state(rngs)})
    # The model's forward under vmap over the stacked parameters (dropout broadcast).
    @nnx.vmap(in_axes=(state_axes, None), out_axes=0)
    def forward(m, x):
        return m(x)
    x = jnp.arange(2, dtype=jnp.float32).reshape(1, 2) + 1.0
    y = forward(model, x)
    cases.append({"op": "vmap_forward", "x": arr(x), "y": arr(y), "model_after": model_state(model)})

    # nnx.scan over a Dropout: its RNG state carried (count advances per step) ...
    def dropout_state(d):
        return {"key": arr(jax.random.key_data(d.rngs.key[...])), "count": arr(d.rngs.count[...])}

    xs = jnp.ones((4, 5), jnp.float32)
    d = nnx.Dropout(0.5, rngs=nnx.Rngs(dropout=7))

    @nnx.scan(in_axes=(nnx.Carry, 0), out_axes=(nnx.Carry, 0))
    def carried(d, x):
        return d, d(x)

    _, ys = carried(d, xs)
    cases.append({"op": "scan_dropout_carry", "seed": 7, "ys": arr(ys), "after": dropout_state(d)})
    # ... or split into one key per step and scanned along axis 0.
    d = nnx.Dropout(0.5, rngs=nnx.Rngs(dropout=7))
    nnx.split_rngs(d, splits=4)

    @nnx.scan(in_axes=(0, 0), out_axes=0)
    def split_steps(d, x):
        return d(x)

    ys = split_steps(d, xs)
    cases.append({"op": "scan_dropout_split", "seed": 7, "ys": arr(ys), "after": dropout_state(d)})
    return cases


def main():
    out = {"generator": "scripts/golden_nnx_transforms.py", "jax": jax.__version__, "flax": flax.__version__,
           "layouts": {}}
    for name, partitionable in [("default", True), ("legacy", False)]:
        jax.config.update("jax_threefry_partitionable", partitionable)
        out["layouts"][name] = cases_for_layout()
    jax.config.update("jax_threefry_partitionable", True)
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "nnx_transforms.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
