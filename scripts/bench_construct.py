"""Construction of a 784-512-512-10 MLP in a fresh process: ferrax vs Flax NNX.

    cargo build --release -p ferrax-nn --example construct_mlp
    python3 scripts/bench_construct.py

Runs each program 7 times as a new process and reports the median wall time of the whole
process (interpreter/plugin start-up included).
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(__file__), "..")
FLAX = """
import jax
from flax import nnx
class Mlp(nnx.Module):
    def __init__(self, rngs):
        self.layers = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in [(784, 512), (512, 512), (512, 10)]])
m = Mlp(nnx.Rngs(params=0))
jax.block_until_ready(nnx.state(m))
"""


def median_wall(cmd, n=7):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3


def main():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ours = os.path.join(target, "release", "examples", "construct_mlp")
    print(f"ferrax construct_mlp (fresh process): {median_wall([ours]):.1f} ms")
    print(f"flax nnx (fresh python process):      {median_wall([sys.executable, '-c', FLAX]):.1f} ms")


if __name__ == "__main__":
    main()
