"""Golden key data for nnx.Rngs call sequences, from the real Flax.

    pip install jax==0.10.2 jaxlib==0.10.2 flax==0.12.8
    python3 scripts/golden_nnx_rngs.py     # writes tests/golden/nnx_rngs.json
"""
import json
import os

import flax
import jax
from flax import nnx

assert jax.__version__ == "0.10.2" and flax.__version__ == "0.12.8", (jax.__version__, flax.__version__)


def kd(k):
    return [int(x) for x in jax.random.key_data(k).reshape(-1)]


def main():
    cases = []
    rngs = nnx.Rngs(params=0, dropout=1)
    seq = [("params", kd(rngs.params())), ("params", kd(rngs.params())),
           ("dropout", kd(rngs.dropout())), ("dropout", kd(rngs.dropout()))]
    cases.append({"streams": [["params", 0], ["dropout", 1]], "calls": seq})
    rngs = nnx.Rngs(0, params=1)
    seq = [("default", kd(rngs.default())), ("__call__", kd(rngs())), ("params", kd(rngs.params())),
           ("dropout", kd(rngs.dropout())), ("unkown_stream", kd(rngs.unkown_stream()))]
    cases.append({"streams": [["default", 0], ["params", 1]], "calls": seq})
    rngs = nnx.Rngs(params=42)
    seq = [("params", kd(rngs.params())) for _ in range(5)]
    cases.append({"streams": [["params", 42]], "calls": seq})
    # fork / split of a stream, then draws from the new stream.
    rngs = nnx.Rngs(params=3)
    forked = rngs.params.fork()
    cases.append({"streams": [["params", 3]], "fork_then": kd(forked()), "after_fork": kd(rngs.params())})
    rngs = nnx.Rngs(params=3)
    split = rngs.params.split(4)
    cases.append({"streams": [["params", 3]], "split4_key_data": kd(split.key[...])})
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "nnx_rngs.json")
    with open(out, "w") as f:
        json.dump({"generator": "scripts/golden_nnx_rngs.py", "jax": jax.__version__, "flax": flax.__version__,
                   "cases": cases}, f, indent=1)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
