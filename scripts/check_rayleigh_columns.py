"""Why jaxlib's `rayleigh` of shape (400, 5) differs from ferrax (and from jaxlib's own
1-D result) in a few elements: a host model of XLA's f32 `log` polynomial with the two
ways LLVM contracts its `y * x**3 + e * c` step.

    pip install jax==0.10.2 jaxlib==0.10.2
    python3 scripts/check_rayleigh_columns.py

jaxlib's kernel for f32[400, 5] vectorises each of the 5 columns separately (8 rows per
vector); the backend packs columns 0-3 pairwise into 512-bit registers and computes
`fma(e, c, y * x**3)` there, but `fma(y, x**3, e * c)` for column 4, as it does for a 1-D
array (read from `XLA_FLAGS=--xla_dump_to=DIR` object code). The script prints, per key
and per column, how many elements each contraction gets wrong; the "zmm" form must be
exact on columns 0-3 and the "ymm" form on column 4. No fixture is written.
"""
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np

f32 = np.float32


def from_bits(b):
    return np.array([b], np.uint32).view(f32)[0]


def bits_of(x):
    return int(np.array([x], f32).view(np.uint32)[0])


def round_f32(v):
    """The f32 nearest to the rational `v` (ties to even)."""
    f = f32(float(v))
    cands = [f, np.nextafter(f, f32(np.inf)), np.nextafter(f, f32(-np.inf))]
    return min(cands, key=lambda c: (abs(Fraction(float(c)) - v), bits_of(c) & 1))


def fma(a, b, c):
    return round_f32(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)))


# XLA's f32 log (Cephes): polynomial coefficients, ln(2) split in two, sqrt(1/2).
P = [from_bits(b) for b in (0x3D9021BB, 0xBDEBD1B8, 0xBDFE5D4F, 0x3E11E9BF, 0x3E4CCEAC,
                            0xBE7FFFFC, 0x3DEF251A, 0xBE2AAE50, 0x3EAAAAAA)]
LN2_LO, LN2_HI, SQRTHF = from_bits(0xB95E8083), from_bits(0x3F318000), from_bits(0x3F3504F3)


def xla_log(u, form):
    """XLA's log of a normal positive f32 `u`, with `form` ('ymm' or 'zmm') choosing which
    product of `y * x**3 + e * LN2_LO` is fused."""
    b = bits_of(u)
    e1 = f32(1) + f32((b >> 23) - 127)
    m = from_bits((b & 0x807FFFFF) | 0x3F000000)
    small = m < SQRTHF
    x = f32(f32(m - f32(1)) + (m if small else f32(0)))
    e = f32(e1 - (f32(1) if small else f32(0)))
    z = f32(x * x)
    x3 = f32(z * x)
    y1, y2, y3 = fma(x, P[0], P[1]), fma(x, P[2], P[3]), fma(x, P[4], P[5])
    y1, y2, y3 = fma(y1, x, P[6]), fma(y2, x, P[7]), fma(y3, x, P[8])
    y = fma(fma(y1, x3, y2), x3, y3)
    if form == "ymm":
        yt = fma(y, x3, f32(e * LN2_LO))
    else:
        yt = fma(e, LN2_LO, f32(y * x3))
    return fma(e, LN2_HI, f32(fma(z, f32(-0.5), x) + yt))


def main():
    shape = (400, 5)
    total = {"ymm": [0] * 5, "zmm": [0] * 5}
    for seed in (0, 1, 7, 42):
        key = jax.random.key(seed)
        ray = np.asarray(jax.random.rayleigh(key, 1.0, shape, jnp.float32))
        u = np.asarray(jax.random.uniform(key, shape, jnp.float32, 0.0, 1.0))
        for form in ("ymm", "zmm"):
            wrong = [0] * 5
            for i in range(shape[0]):
                for j in range(shape[1]):
                    model = f32(np.sqrt(f32(xla_log(u[i, j], form) * f32(-2))))
                    wrong[j] += bits_of(model) != bits_of(ray[i, j])
            total[form] = [a + b for a, b in zip(total[form], wrong)]
            print(f"seed {seed} {form}: wrong per column {wrong}")
    ok = sum(total["zmm"][:4]) == 0 and total["ymm"][4] == 0
    print("zmm on columns 0-3 and ymm on column 4 reproduce jaxlib:", ok)


if __name__ == "__main__":
    main()
