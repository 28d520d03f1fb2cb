"""Golden values for ferrax-random's `special` functions (`log1p`, `erf_inv`, `pow`,
`log_libm`) on f32, from the real JAX: jaxlib's XLA computes them with its own expansions
(and calls the C library's `powf`, and `logf` for a lone small `log` kernel), and ferrax
must give the same bits on the XLA CPU plugin.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/golden_special.py     # writes tests/golden/special.json

Inputs are f32 bit patterns `(start + i * stride) mod 2**32` for i < count, so the Rust
test rebuilds them without storing them; `pow` takes its exponents from a second such
sweep (`ystart`, `ystride`, the same count). Outputs are recorded as the SHA-256 of their
little-endian bytes, every NaN first replaced by 0x7fc00000 (payloads are not compared),
plus the leading 8 values as bit patterns.
"""
import hashlib
import os

import jax
import jax.numpy as jnp
import numpy as np
from golden_fixtures import write_cases

assert jax.__version__ == "0.10.2", jax.__version__

HEAD = 8
CANONICAL_NAN = np.uint32(0x7FC00000)

# (name, start, stride, count): the whole bit space on a prime stride (every sign,
# exponent, zero, subnormal, infinity and NaN class), then dense sweeps of the ranges
# where the functions switch branches.
SWEEPS = [
    ("all_bits", 0x00000000, 4099, (1 << 32) // 4099),
    ("pos_small", 0x3C000000, 29, (0x3ED60000 - 0x3C000000) // 29),
    ("neg_small", 0xBC000000, 29, (0x3ED60000 - 0x3C000000) // 29),
    ("neg_to_minus_one", 0xBED00000, 7, (0x3F800001 - 0x3ED00000) // 7),
]

FUNCS = {"log1p": jnp.log1p, "erf_inv": jax.scipy.special.erfinv}

# (name, start, stride, ystart, ystride, count) for pow(x, y):
POW_SWEEPS = [
    # Both arguments over the whole bit space: every class against every class.
    ("all_bits", 0x00000000, 4099, 0x9E3779B9, 7919, (1 << 32) // 4099),
    # x in (0, 1] (subnormals included) against y in [1/16, 16): the samplers' u ** (1/a).
    ("unit_by_moderate", 0x00000001, 1021, 0x3D800000, 64, 0x3F800000 // 1021),
    # x in [1/256, 256) against y in (-64, -1/16]: negative powers.
    ("moderate_by_negative", 0x3B800000, 131, 0xBD800000, 96, 0x08000000 // 131),
    # Negative x against y whose mantissa is 0 or 1/2 (1024 patterns, cycled): odd and
    # even integers, half-integers, zeros, infinities and NaN.
    ("negative_by_half_integers", 0xBC000000, 97, 0x3F800000, 0x00400000, 1 << 20),
]


# (name, start, stride, count) for log_libm: the `log` of a kernel jaxlib's XLA leaves
# alone, which for 3 elements calls the C library's `logf` on each (see
# ferrax_random::special::lone_log): computed by jit(jnp.log) on arrays of 3, so the
# values are jaxlib's own (denormals flushed, as jaxlib runs).
# Subnormal arguments are left out (ferrax gives -inf there, where jaxlib's call gives
# glibc's subnormal path on a flushed value, or NaN; see ferrax-random's special/logf.rs).
LOG_SWEEPS = [
    ("positive_normal_and_up", 0x00800000, 4099, (0x80000000 - 0x00800000) // 4099),
    ("negative_normal_and_down", 0x80800000, 4099, (0x100000000 - 0x80800000) // 4099),
    ("zeros_and_infinities", 0x00000000, 0x7F800000, 4),
    ("half_to_two", 0x3F000000, 53, 0x01000000 // 53),
]


def lone_log(x):
    """jnp.log of x, three elements per program call."""
    f = jax.jit(jnp.log)
    pad = (-len(x)) % 3
    rows = np.concatenate([x, np.ones(pad, np.float32)]).reshape(-1, 3)
    return np.concatenate([np.asarray(f(r)) for r in rows])[:len(x)]


def inputs(start, stride, count):
    i = np.arange(count, dtype=np.uint64)
    return ((start + i * stride) % (1 << 32)).astype(np.uint32).view(np.float32)


def describe(y):
    bits = np.asarray(y, dtype=np.float32).view(np.uint32).copy()
    bits[np.isnan(np.asarray(y))] = CANONICAL_NAN
    return {"sha256": hashlib.sha256(bits.astype("<u4").tobytes()).hexdigest(),
            "head": ["0x%08x" % v for v in bits[:HEAD]]}


def main():
    cases = []
    for fn, f in FUNCS.items():
        jf = jax.jit(f)
        for name, start, stride, count in SWEEPS:
            y = np.asarray(jf(inputs(start, stride, count)))
            cases.append({"fn": fn, "sweep": name, "start": start, "stride": stride,
                          "count": count, **describe(y)})
    jpow = jax.jit(jnp.power)
    for name, start, stride, ystart, ystride, count in POW_SWEEPS:
        z = np.asarray(jpow(inputs(start, stride, count), inputs(ystart, ystride, count)))
        cases.append({"fn": "pow", "sweep": name, "start": start, "stride": stride,
                      "ystart": ystart, "ystride": ystride, "count": count, **describe(z)})
    for name, start, stride, count in LOG_SWEEPS:
        y = lone_log(inputs(start, stride, count))
        cases.append({"fn": "log_libm", "sweep": name, "start": start, "stride": stride,
                      "count": count, **describe(y)})
    write_cases(os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "special.json"),
                cases)


if __name__ == "__main__":
    main()
