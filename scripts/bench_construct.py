"""Construction of a 784-512-512-10 MLP in a fresh process: ferrax vs Flax NNX.

    cargo build --release -p ferrax-nn --example construct_mlp
    python3 scripts/bench_construct.py

Runs each program 7 times as a new process and reports the median wall time of the whole
process (interpreter/plugin start-up included). ferrax is timed three ways:

- cold cache: every run gets a new, empty compiled-executable cache
  (FERRAX_COMPILE_CACHE_DIR), so it compiles the initialisation program and stores it:
  what the very first run on a machine costs;
- no cache: FERRAX_COMPILE_CACHE=0 (compiles, stores nothing);
- warm cache: the cache already holds the program (one priming run first), so the process
  loads the executable instead of compiling it: every later run.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
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


def wall(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def median_ms(ts):
    return statistics.median(ts) * 1e3


def main(n=7):
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ours = [os.path.join(target, "release", "examples", "construct_mlp")]
    base = dict(os.environ)

    cold = []
    for _ in range(n):
        d = tempfile.mkdtemp(prefix="ferrax-cold-")
        cold.append(wall(ours, dict(base, FERRAX_COMPILE_CACHE_DIR=d)))
        shutil.rmtree(d, ignore_errors=True)

    none = [wall(ours, dict(base, FERRAX_COMPILE_CACHE="0")) for _ in range(n)]

    d = tempfile.mkdtemp(prefix="ferrax-warm-")
    warm_env = dict(base, FERRAX_COMPILE_CACHE_DIR=d)
    wall(ours, warm_env)
    warm = [wall(ours, warm_env) for _ in range(n)]
    shutil.rmtree(d, ignore_errors=True)

    flax = [wall([sys.executable, "-c", FLAX]) for _ in range(n)]

    print(f"ferrax construct_mlp, cold compile cache: {median_ms(cold):7.1f} ms")
    print(f"ferrax construct_mlp, no compile cache:   {median_ms(none):7.1f} ms")
    print(f"ferrax construct_mlp, warm compile cache: {median_ms(warm):7.1f} ms")
    print(f"flax nnx (fresh python process):          {median_ms(flax):7.1f} ms")


if __name__ == "__main__":
    main()
