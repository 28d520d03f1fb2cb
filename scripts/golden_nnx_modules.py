"""Golden values for NNX modules from the real Flax (current semantics: Dropout forks its
stream at construction).

    pip install jax==0.10.2 jaxlib==0.10.2 flax==0.12.8
    python3 scripts/golden_nnx_modules.py     # writes tests/golden/nnx_modules.json

The `assert_same` model of ../shared/spec/flax-nnx-rnglib-older.txt (Linear(2, 3) then
Dropout(0.5)) for the seeds of that example; for each: kernel and bias bits, two successive
outputs of the eager model, and two successive outputs of `nnx.jit` on a fresh model.
"""
import json
import os

import flax
import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

assert jax.__version__ == "0.10.2" and flax.__version__ == "0.12.8", (jax.__version__, flax.__version__)


class Model(nnx.Module):
    def __init__(self, rngs):
        self.linear = nnx.Linear(2, 3, rngs=rngs)
        self.dropout = nnx.Dropout(0.5, rngs=rngs)

    def __call__(self, x):
        return self.dropout(self.linear(x))


def bits(a):
    return [f"{int(v):08x}" for v in np.asarray(a, np.float32).reshape(-1).view(np.uint32)]


def main():
    x = jnp.ones((1, 2))
    cases = []
    for seed, kw in [(0, {}), (0, {"params": 1}), (0, {"params": 1, "dropout": 2})]:
        m = Model(nnx.Rngs(seed, **kw))
        kernel, bias = m.linear.kernel[...], m.linear.bias[...]
        y1, y2 = m(x), m(x)
        mj = Model(nnx.Rngs(seed, **kw))
        step = nnx.jit(lambda model, x: model(x))
        j1, j2 = step(mj, x), step(mj, x)
        cases.append({"seed": seed, "streams": kw, "kernel": bits(kernel), "bias": bits(bias),
                      "eager": [bits(y1), bits(y2)], "jit": [bits(j1), bits(j2)]})
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "nnx_modules.json")
    with open(out, "w") as f:
        json.dump({"generator": "scripts/golden_nnx_modules.py", "jax": jax.__version__, "flax": flax.__version__,
                   "cases": cases}, f, indent=1)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
