//! `pow` as JAX computes it on CPU.
//!
//! jaxlib's XLA lowers an f32 `power` to a call of the C library's `powf`, and on Linux
//! that is glibc's (the Arm optimized-routines algorithm). The XLA CPU plugin computes a
//! correctly rounded power instead, so the two differ in the last bit for about 0.07% of
//! arguments, which moved `weibull_min` and the gamma samplers' `u ** (1 / alpha)` boost.
//! Here glibc's algorithm is written out as graph ops:
//!
//! - `log2(x)` in f64: `x = 2^k * z` with `z` in `[0x3f330000, 2 * 0x3f330000)` (as f32 bit
//!   patterns), `z` in one of 16 subintervals with table values `1/c` and `log2(c)`, and a
//!   degree-5 polynomial in `r = z/c - 1`;
//! - `y * log2(x)` in f64 (exact enough: `y` has 24 bits);
//! - `2^t` in f64: `t = k/32 + r`, a 32-entry table of `2^(k/32)` (bit patterns with the
//!   exponent added as an integer) times a cubic in `r`, rounded once to f32;
//! - glibc's special cases: `y` zero, infinite or NaN; `x` zero, infinite or NaN; negative
//!   `x` with integer `y` (the sign of an odd power) or not (NaN); subnormal `x`
//!   (normalised first); `|y * log2(x)| >= 126` (overflow to infinity, underflow to zero).
//!
//! The f64 arithmetic has about 29 bits of headroom over the f32 result, so the fused
//! multiply-adds XLA may form where glibc's build formed others do not change the result
//! in practice. Checked against jaxlib bit for bit on 4 million argument pairs
//! (`scripts/golden_special.py`, `tests/special_golden.rs`).

use ferrax_ir::{DType, Result, Tensor};

/// `1/c` of the 16 log2 subintervals (f64 bit patterns), indexed by the 4 mantissa bits
/// after `x - 0x3f330000` (glibc's `logf` uses the same subintervals).
const INVC: [u64; 16] = [
    0x3ff6_61ec_79f8_f3be,
    0x3ff5_71ed_4aaf_883d,
    0x3ff4_9539_f0f0_10b0,
    0x3ff3_c995_b0b8_0385,
    0x3ff3_0d19_0c88_64a5,
    0x3ff2_5e22_7b0b_8ea0,
    0x3ff1_bb4a_4a1a_343f,
    0x3ff1_2358_f08a_e5ba,
    0x3ff0_953f_4199_00a7,
    0x3ff0_0000_0000_0000,
    0x3fee_608c_fd9a_47ac,
    0x3fec_a4b3_1f02_6aa0,
    0x3feb_2036_576a_fce6,
    0x3fe9_c2d1_63a1_aa2d,
    0x3fe8_86e6_0378_41ed,
    0x3fe7_67dc_f553_4862,
];

/// `log2(c)` of the same subintervals (f64 bit patterns).
const LOG2_LOGC: [u64; 16] = [
    0xbfde_fec6_5b96_3019,
    0xbfdb_0b68_32d4_fca4,
    0xbfd7_418b_0a1f_b77b,
    0xbfd3_9de9_1a6d_cf7b,
    0xbfd0_1d9b_f3f2_b631,
    0xbfc9_7c1d_1b3b_7af0,
    0xbfc2_f9e3_93af_3c9f,
    0xbfb9_60cb_bf78_8d5c,
    0xbfaa_6f9d_b647_5fce,
    0x0000_0000_0000_0000,
    0x3fb3_38ca_9f24_f53d,
    0x3fc4_76a9_5438_91ba,
    0x3fce_840b_4ac4_e4d2,
    0x3fd4_0645_f0c6_651c,
    0x3fd8_8e9c_2c1b_9ff8,
    0x3fdc_e0a4_4eb1_7bcc,
];

/// The log2 polynomial's coefficients `A[0..5]` (f64 bit patterns): `log1p(r)/ln 2` is
/// `A0 r^5 + A1 r^4 + A2 r^3 + A3 r^2 + A4 r`.
const LOG2_POLY: [u64; 5] = [
    0x3fd2_7616_c949_6e0b,
    0xbfd7_1969_a075_c67a,
    0x3fde_c70a_6ca7_badd,
    0xbfe7_1547_48be_f6c8,
    0x3ff7_1547_652a_b82b,
];

/// `bits(2^(i/32)) - (i << 47)` for i < 32: adding `k << 47` to entry `k % 32` gives the
/// bits of `2^(k/32)` for any integer `k` in range.
const EXP2_TAB: [u64; 32] = [
    0x3ff0_0000_0000_0000,
    0x3fef_d9b0_d315_8574,
    0x3fef_b558_6cf9_890f,
    0x3fef_9301_d012_5b51,
    0x3fef_72b8_3c7d_517b,
    0x3fef_5487_3168_b9aa,
    0x3fef_387a_6e75_6238,
    0x3fef_1e9d_f51f_dee1,
    0x3fef_06fe_0a31_b715,
    0x3fee_f1a7_373a_a9cb,
    0x3fee_dea6_4c12_3422,
    0x3fee_ce08_6061_892d,
    0x3fee_bfda_d536_2a27,
    0x3fee_b42b_569d_4f82,
    0x3fee_ab07_dd48_5429,
    0x3fee_a47e_b03a_5585,
    0x3fee_a09e_667f_3bcd,
    0x3fee_9f75_e8ec_5f74,
    0x3fee_a114_73eb_0187,
    0x3fee_a589_994c_ce13,
    0x3fee_ace5_422a_a0db,
    0x3fee_b737_b0cd_c5e5,
    0x3fee_c491_82a3_f090,
    0x3fee_d503_b23e_255d,
    0x3fee_e89f_995a_d3ad,
    0x3fee_ff76_f2fb_5e47,
    0x3fef_199b_dd85_529c,
    0x3fef_3720_dcef_9069,
    0x3fef_5818_dcfb_a487,
    0x3fef_7c97_337b_9b5f,
    0x3fef_a4af_a2a4_90da,
    0x3fef_d076_5b6e_4540,
];

/// The exp2 cubic's coefficients `C[0..3]` (f64 bit patterns): `2^r` is
/// `C0 r^3 + C1 r^2 + C2 r + 1`.
const EXP2_POLY: [u64; 3] = [
    0x3fac_6af8_4b91_2394,
    0x3fce_bfce_50fa_c4f3,
    0x3fe6_2e42_ff0c_52d6,
];

/// `1.5 * 2^52 / 32`: adding it rounds an f64 to a multiple of 1/32 and leaves that
/// multiple, times 32, in the low mantissa bits.
const EXP2_SHIFT: f64 = 6_755_399_441_055_744.0 / 32.0;

/// Largest `y * log2(x)` that does not overflow f32 (`0x1.fffffffd1d571p+6`).
const OVERFLOW_BOUND: u64 = 0x405f_ffff_ffd1_d571;

pub(super) fn f64c(bits: u64) -> Tensor {
    Tensor::scalar(f64::from_bits(bits))
}

pub(super) fn u32c(v: u32) -> Tensor {
    Tensor::scalar(v)
}

pub(super) fn table(bits: &[u64], index: &Tensor) -> Result<Tensor> {
    let values: Vec<f64> = bits.iter().map(|b| f64::from_bits(*b)).collect();
    let n = values.len();
    Tensor::from_vec(values, [n])?.take(index, 0)
}

/// glibc's argument reduction of `powf` and `logf`: for the bit pattern `ix` of a positive
/// finite x (subnormals pre-normalised, so the biased exponent may be "negative" in
/// wrapping u32 arithmetic), `x = 2^k * z` with `z` in `[0x3f330000, 2 * 0x3f330000)` as
/// bit patterns. Returns the subinterval index `i` (i32, into [`INVC`]), `k` (f64) and
/// `r = z / c - 1` (f64).
pub(super) fn reduce(ix: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
    let tmp = ix.sub(&u32c(0x3f33_0000))?;
    let i = tmp
        .shift_right_logical(&u32c(19))?
        .bitand(&u32c(15))?
        .convert(DType::I32)?;
    let top = tmp.bitand(&u32c(0xff80_0000))?;
    let z = ix.sub(&top)?.bitcast(DType::F32)?.convert(DType::F64)?;
    let k = top
        .bitcast(DType::I32)?
        .shift_right_arithmetic(&Tensor::scalar(23i32))?
        .convert(DType::F64)?;
    let r = z.mul(&table(&INVC, &i)?)?.sub(&Tensor::scalar(1.0f64))?;
    Ok((i, k, r))
}

/// `log2(x)` in f64 for the bit pattern `ix` of a positive finite x (see [`reduce`]).
fn log2_f64(ix: &Tensor) -> Result<Tensor> {
    let (i, k, r) = reduce(ix)?;
    let y0 = table(&LOG2_LOGC, &i)?.add(&k)?;
    let a = LOG2_POLY.map(f64c);
    let r2 = r.mul(&r)?;
    let hi = a[0].mul(&r)?.add(&a[1])?;
    let mid = a[2].mul(&r)?.add(&a[3])?;
    let r4 = r2.mul(&r2)?;
    let lo = a[4].mul(&r)?.add(&y0)?;
    let lo = mid.mul(&r2)?.add(&lo)?;
    hi.mul(&r4)?.add(&lo)
}

/// `2^t` rounded to f32, for `t` in about `[-150, 128]`. `r` is any u32 tensor of `t`'s
/// shape, to hide the rounding sum from XLA: it would otherwise simplify
/// `(t + shift) - shift` to `t`.
fn exp2_f32(t: &Tensor, r: &Tensor) -> Result<Tensor> {
    let shift = Tensor::scalar(EXP2_SHIFT);
    let kd = super::opaque(&t.add(&shift)?, r)?;
    let ki = kd.bitcast(DType::U64)?;
    let r = t.sub(&kd.sub(&shift)?)?;
    let j = ki.bitand(&Tensor::scalar(31u64))?.convert(DType::I32)?;
    let entry = table(&EXP2_TAB, &j)?.bitcast(DType::U64)?;
    let s = entry
        .add(&ki.shift_left(&Tensor::scalar(47u64))?)?
        .bitcast(DType::F64)?;
    let c = EXP2_POLY.map(f64c);
    let z = c[0].mul(&r)?.add(&c[1])?;
    let r2 = r.mul(&r)?;
    let p = c[2].mul(&r)?.add(&Tensor::scalar(1.0f64))?;
    z.mul(&r2)?.add(&p)?.mul(&s)?.convert(DType::F32)
}

/// glibc's `powf` on f32 tensors of one shape.
pub(super) fn pow_f32(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let f = |v: f32| Tensor::scalar(v);
    let ix = x.bitcast(DType::U32)?;
    let iy = y.bitcast(DType::U32)?;
    let abs_ix = ix.bitand(&u32c(0x7fff_ffff))?;
    let x_neg = ix.ge(&u32c(0x8000_0000))?;
    let y_neg = iy.ge(&u32c(0x8000_0000))?;
    // zero, infinity or NaN: 2 * bits - 1 (wrapping) >= 2 * inf_bits - 1.
    let zin = |b: &Tensor| -> Result<Tensor> {
        b.shift_left(&u32c(1))?
            .sub(&u32c(1))?
            .ge(&u32c(2 * 0x7f80_0000 - 1))
    };
    let y_zin = zin(&iy)?;
    let x_zin = zin(&ix)?;
    let x_nan = abs_ix.gt(&u32c(0x7f80_0000))?;
    let y_nan = iy.bitand(&u32c(0x7fff_ffff))?.gt(&u32c(0x7f80_0000))?;

    // Is y an integer, and an odd one? Exponent e: below 127 a nonzero y is a fraction;
    // from 150 up every value is an even integer; between, the bits below 2^0 decide.
    let e = iy.shift_right_logical(&u32c(23))?.bitand(&u32c(0xff))?;
    let sh = u32c(150).sub(&e.maximum(&u32c(127))?.minimum(&u32c(150))?)?;
    let unit = u32c(1).shift_left(&sh)?;
    let frac_bits = iy.bitand(&unit.sub(&u32c(1))?)?.ne(&u32c(0))?;
    let is_int = e.ge(&u32c(127))?.bitand(&(!&frac_bits))?;
    let odd_bit = iy.bitand(&unit)?.ne(&u32c(0))?;
    let is_odd = is_int.bitand(&e.le(&u32c(150))?)?.bitand(&odd_bit)?;
    let negate = x_neg.bitand(&is_odd)?;

    // Main path: |x| (subnormals scaled by 2^23 and the exponent lowered to match).
    let scaled = x
        .abs()?
        .mul(&f(8_388_608.0))?
        .bitcast(DType::U32)?
        .sub(&u32c(23 << 23))?;
    let ixm = Tensor::select(&abs_ix.lt(&u32c(0x0080_0000))?, &scaled, &abs_ix)?;
    let t = y.convert(DType::F64)?.mul(&log2_f64(&ixm)?)?;
    let over = t.gt(&f64c(OVERFLOW_BOUND))?;
    let under = t.le(&Tensor::scalar(-150.0f64))?;
    // Out-of-range `t` would index the table with garbage; clamp it (the result is
    // replaced below anyway).
    let tc = t
        .maximum(&Tensor::scalar(-150.0f64))?
        .minimum(&Tensor::scalar(128.0f64))?;
    let mag = Tensor::select(
        &over,
        &f(f32::INFINITY),
        &Tensor::select(&under, &f(0.0), &exp2_f32(&tc, &ix)?)?,
    )?;
    let main = Tensor::select(&negate, &mag.neg()?, &mag)?;
    let main = Tensor::select(&x_neg.bitand(&(!&is_int))?, &f(f32::NAN), &main)?;

    // x zero, infinite or NaN: x², negated for an odd power of a negative x, inverted
    // for a negative y.
    let x2 = x.mul(x)?;
    let x2 = Tensor::select(&negate, &x2.neg()?, &x2)?;
    let x_special = Tensor::select(&y_neg, &f(1.0).div(&x2)?, &x2)?;

    // y zero, infinite or NaN.
    let one = f(1.0);
    let abs_lt_one = abs_ix.lt(&u32c(0x3f80_0000))?;
    let y_inf_case = Tensor::select(&abs_lt_one.eq(&(!&y_neg))?, &f(0.0), &y.mul(y)?)?;
    let y_inf_case = Tensor::select(&abs_ix.eq(&u32c(0x3f80_0000))?, &one, &y_inf_case)?;
    let y_inf_case = Tensor::select(&x_nan.bitor(&y_nan)?, &x.add(y)?, &y_inf_case)?;
    let y_special = Tensor::select(
        &iy.shift_left(&u32c(1))?
            .eq(&u32c(0))?
            .bitor(&ix.eq(&u32c(0x3f80_0000))?)?,
        &one,
        &y_inf_case,
    )?;

    Tensor::select(
        &y_zin,
        &y_special,
        &Tensor::select(&x_zin, &x_special, &main)?,
    )
}
