//! `logf` as the C library computes it.
//!
//! jaxlib's XLA computes an f32 `log` inside a fused kernel with its own polynomial (the
//! plugin's XLA does the same), but a `log` that ends up alone in a kernel emitted through
//! its legacy path is an `llvm.log` intrinsic, which becomes a call of the C library's
//! `logf` per element: glibc's (the Arm optimized-routines algorithm). That is what
//! `dirichlet` hits (see `samplers::dirichlet`). Here glibc's algorithm is written out as
//! graph ops:
//!
//! - `x = 2^k * z` with `z` in `[0x3f330000, 2 * 0x3f330000)` (as f32 bit patterns), in one
//!   of 16 subintervals with table values `1/c` and `ln(c)`;
//! - `ln(x) = k ln 2 + ln(c) + log1p(r)` in f64 with `r = z/c - 1` and a cubic for
//!   `log1p(r)`, rounded once to f32;
//! - glibc's special cases: zero (`-inf`), `+inf`, negative or NaN (NaN). A subnormal
//!   argument of either sign gives `-inf` (denormals are flushed, and the zero test sees
//!   it as zero), where jaxlib's `logf` call gives about -103.97 (glibc's subnormal path on
//!   a flushed value) or NaN; the samplers never take the `log` of a subnormal.
//!
//! As for `pow`, the f64 arithmetic has about 29 bits of headroom over the f32 result, so
//! where XLA forms fused multiply-adds differently from glibc's build the result does not
//! change in practice. Checked against the C library's `logf` bit for bit
//! (`scripts/golden_special.py`, `tests/special_golden.rs`).

use ferrax_ir::{DType, Result, Tensor};

use super::pow::{f64c, reduce, table, u32c};

/// `ln(c)` of the 16 subintervals (f64 bit patterns).
const LOGC: [u64; 16] = [
    0xbfd5_7bf7_808c_aade,
    0xbfd2_bef0_a7c0_6ddb,
    0xbfd0_1eae_7f51_3a67,
    0xbfcb_31d8_a682_24e9,
    0xbfc6_574f_0ac0_7758,
    0xbfc1_aa2b_c79c_8100,
    0xbfba_4e76_ce8c_0e5e,
    0xbfb1_973c_5a61_1ccc,
    0xbfa2_52f4_38e1_0c1e,
    0x0000_0000_0000_0000,
    0x3faa_a5aa_5df2_5984,
    0x3fbc_5e53_aa36_2eb4,
    0x3fc5_26e5_7720_db08,
    0x3fcb_c286_0d22_4770,
    0x3fd1_058b_c8a0_7ee1,
    0x3fd4_0430_57b6_ee09,
];

/// The cubic's coefficients `A[0..3]` (f64 bit patterns): `log1p(r)` is
/// `A0 r^4 + A1 r^3 + A2 r^2 + r`.
const POLY: [u64; 3] = [
    0xbfd0_0ea3_48b8_8334,
    0x3fd5_575b_0be0_0b6a,
    0xbfdf_fffe_f20a_4123,
];

/// `ln 2` (f64 bit pattern).
const LN2: u64 = 0x3fe6_2e42_fefa_39ef;

/// glibc's `logf` on an f32 tensor.
pub(super) fn log_f32(x: &Tensor) -> Result<Tensor> {
    let f = |v: f32| Tensor::scalar(v);
    let ix = x.bitcast(DType::U32)?;
    // Subnormals: scaled by 2^23, the exponent lowered to match.
    let scaled = x
        .mul(&f(8_388_608.0))?
        .bitcast(DType::U32)?
        .sub(&u32c(23 << 23))?;
    let ixm = Tensor::select(&ix.lt(&u32c(0x0080_0000))?, &scaled, &ix)?;
    let (i, k, r) = reduce(&ixm)?;
    let y0 = table(&LOGC, &i)?.add(&k.mul(&f64c(LN2))?)?;
    let a = POLY.map(f64c);
    let r2 = r.mul(&r)?;
    let y = a[1].mul(&r)?.add(&a[2])?;
    let y = a[0].mul(&r2)?.add(&y)?;
    let main = y.mul(&r2)?.add(&y0.add(&r)?)?.convert(DType::F32)?;

    // Zero, +inf, and negative or NaN arguments. (LLVM turns the zero test into a float
    // compare, which a subnormal passes where denormals are flushed, as in the plugin;
    // see the module docs.)
    let zero = ix.shift_left(&u32c(1))?.eq(&u32c(0))?;
    let invalid = ix.ge(&u32c(0x7f80_0001))?;
    let out = Tensor::select(&ix.eq(&u32c(0x7f80_0000))?, x, &main)?;
    let out = Tensor::select(&invalid, &f(f32::NAN), &out)?;
    Tensor::select(&zero, &f(f32::NEG_INFINITY), &out)
}
