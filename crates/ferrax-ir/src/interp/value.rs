//! Canonical host values used inside the evaluator.
//!
//! Every element is decoded into one of three exact domains: `bool`, `i128` (every integer
//! dtype, signed ones sign-extended, unsigned ones zero-extended) and `f64` (every float
//! dtype; the widening is exact). Operations compute in the domain and round or wrap the
//! result back to the element type, which for `+ - * / sqrt` is bit-identical to computing in
//! the narrow type (f64 has more than `2p + 2` significand bits for f32, f16 and bf16, so the
//! double rounding is innocuous), and for integers is two's-complement wrapping.

use crate::{DType, Element, Error, Literal, Result, TensorType};

/// One scalar in its canonical domain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sc {
    /// A bool.
    B(bool),
    /// Any integer, exactly.
    I(i128),
    /// Any float, exactly.
    F(f64),
}

impl Sc {
    /// The value as f64 (bool as 0/1, integers rounded).
    pub(crate) fn to_f64(self) -> f64 {
        match self {
            Sc::B(b) => f64::from(u8::from(b)),
            Sc::I(i) => i as f64,
            Sc::F(f) => f,
        }
    }
    /// The value as i128 (bool as 0/1, floats truncated and saturated).
    pub(crate) fn to_i128(self) -> i128 {
        match self {
            Sc::B(b) => i128::from(b),
            Sc::I(i) => i,
            Sc::F(f) => f as i128,
        }
    }
    /// The value as bool (`x != 0`).
    pub(crate) fn to_bool(self) -> bool {
        match self {
            Sc::B(b) => b,
            Sc::I(i) => i != 0,
            Sc::F(f) => f != 0.0,
        }
    }
}

/// The domain of a dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Bool,
    Int,
    Float,
}

pub(crate) fn class(d: DType) -> Class {
    if d.is_bool() {
        Class::Bool
    } else if d.is_float() {
        Class::Float
    } else {
        Class::Int
    }
}

/// A dense array of canonical values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Vals {
    B(Vec<bool>),
    I(Vec<i128>),
    F(Vec<f64>),
}

impl Vals {
    /// An empty array of the domain of `d` with room for `n` values.
    pub(crate) fn with_capacity(d: DType, n: usize) -> Vals {
        match class(d) {
            Class::Bool => Vals::B(Vec::with_capacity(n)),
            Class::Int => Vals::I(Vec::with_capacity(n)),
            Class::Float => Vals::F(Vec::with_capacity(n)),
        }
    }

    /// Number of values.
    pub(crate) fn len(&self) -> usize {
        match self {
            Vals::B(v) => v.len(),
            Vals::I(v) => v.len(),
            Vals::F(v) => v.len(),
        }
    }

    /// Value `i` (callers keep `i` in range).
    pub(crate) fn get(&self, i: usize) -> Sc {
        match self {
            Vals::B(v) => Sc::B(v[i]),
            Vals::I(v) => Sc::I(v[i]),
            Vals::F(v) => Sc::F(v[i]),
        }
    }

    /// Sets value `i`, converting the scalar to this array's domain if it differs.
    pub(crate) fn set(&mut self, i: usize, s: Sc) {
        match self {
            Vals::B(v) => v[i] = s.to_bool(),
            Vals::I(v) => v[i] = s.to_i128(),
            Vals::F(v) => v[i] = s.to_f64(),
        }
    }

    /// Appends a value, converting the scalar to this array's domain if it differs.
    pub(crate) fn push(&mut self, s: Sc) {
        match self {
            Vals::B(v) => v.push(s.to_bool()),
            Vals::I(v) => v.push(s.to_i128()),
            Vals::F(v) => v.push(s.to_f64()),
        }
    }
}

fn read<T: Element>(bytes: &[u8]) -> impl Iterator<Item = T> + '_ {
    bytes
        .chunks_exact(T::DTYPE.byte_size())
        .map(|c| T::read_le(c))
}

/// Decodes a literal into canonical values.
pub(crate) fn decode(l: &Literal) -> Vals {
    let b = l.bytes();
    match l.dtype() {
        DType::Bool => Vals::B(b.iter().map(|&x| x != 0).collect()),
        DType::I8 => Vals::I(read::<i8>(b).map(i128::from).collect()),
        DType::I16 => Vals::I(read::<i16>(b).map(i128::from).collect()),
        DType::I32 => Vals::I(read::<i32>(b).map(i128::from).collect()),
        DType::I64 => Vals::I(read::<i64>(b).map(i128::from).collect()),
        DType::U8 => Vals::I(b.iter().map(|&x| i128::from(x)).collect()),
        DType::U16 => Vals::I(read::<u16>(b).map(i128::from).collect()),
        DType::U32 => Vals::I(read::<u32>(b).map(i128::from).collect()),
        DType::U64 => Vals::I(read::<u64>(b).map(i128::from).collect()),
        DType::F16 => Vals::F(read::<u16>(b).map(f16_bits_to_f64).collect()),
        DType::BF16 => Vals::F(read::<u16>(b).map(bf16_bits_to_f64).collect()),
        DType::F32 => Vals::F(read::<f32>(b).map(f64::from).collect()),
        DType::F64 => Vals::F(read::<f64>(b).collect()),
    }
}

/// Element `i` of a literal as a canonical scalar.
pub(crate) fn decode_at(l: &Literal, i: usize) -> Sc {
    let d = l.dtype();
    let w = d.byte_size();
    let c = &l.bytes()[i * w..(i + 1) * w];
    match d {
        DType::Bool => Sc::B(c[0] != 0),
        DType::I8 => Sc::I(i128::from(i8::read_le(c))),
        DType::I16 => Sc::I(i128::from(i16::read_le(c))),
        DType::I32 => Sc::I(i128::from(i32::read_le(c))),
        DType::I64 => Sc::I(i128::from(i64::read_le(c))),
        DType::U8 => Sc::I(i128::from(c[0])),
        DType::U16 => Sc::I(i128::from(u16::read_le(c))),
        DType::U32 => Sc::I(i128::from(u32::read_le(c))),
        DType::U64 => Sc::I(i128::from(u64::read_le(c))),
        DType::F16 => Sc::F(f16_bits_to_f64(u16::read_le(c))),
        DType::BF16 => Sc::F(bf16_bits_to_f64(u16::read_le(c))),
        DType::F32 => Sc::F(f64::from(f32::read_le(c))),
        DType::F64 => Sc::F(f64::read_le(c)),
    }
}

/// Appends the little-endian bytes of `s` as an element of `d` (integers wrap, floats
/// round to nearest even).
pub(crate) fn push_bytes(d: DType, s: Sc, out: &mut Vec<u8>) {
    match d {
        DType::Bool => out.push(u8::from(s.to_bool())),
        DType::F16 => out.extend_from_slice(&f64_to_f16_bits(s.to_f64()).to_le_bytes()),
        DType::BF16 => out.extend_from_slice(&f64_to_bf16_bits(s.to_f64()).to_le_bytes()),
        DType::F32 => out.extend_from_slice(&(s.to_f64() as f32).to_le_bytes()),
        DType::F64 => out.extend_from_slice(&s.to_f64().to_le_bytes()),
        _ => {
            let v = s.to_i128() as u64;
            out.extend_from_slice(&v.to_le_bytes()[..d.byte_size()]);
        }
    }
}

/// Encodes canonical values as a literal of type `ty` (the count must match).
pub(crate) fn encode(ty: &TensorType, v: &Vals) -> Result<Literal> {
    let d = ty.dtype;
    let w = d.byte_size();
    let mut out = Vec::with_capacity(v.len() * w);
    match (v, class(d)) {
        (Vals::B(v), Class::Bool) => out.extend(v.iter().map(|&b| u8::from(b))),
        (Vals::I(v), Class::Int) => {
            for &x in v {
                out.extend_from_slice(&(x as u64).to_le_bytes()[..w]);
            }
        }
        (Vals::F(v), Class::Float) => match d {
            DType::F64 => v
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            DType::F32 => v
                .iter()
                .for_each(|&x| out.extend_from_slice(&(x as f32).to_le_bytes())),
            DType::F16 => v
                .iter()
                .for_each(|&x| out.extend_from_slice(&f64_to_f16_bits(x).to_le_bytes())),
            _ => v
                .iter()
                .for_each(|&x| out.extend_from_slice(&f64_to_bf16_bits(x).to_le_bytes())),
        },
        _ => {
            for i in 0..v.len() {
                push_bytes(d, v.get(i), &mut out);
            }
        }
    }
    Literal::from_bytes(ty.clone(), out)
}

/// A scalar literal of `d` holding `s`.
pub(crate) fn scalar_literal(d: DType, s: Sc) -> Literal {
    let mut out = Vec::with_capacity(d.byte_size());
    push_bytes(d, s, &mut out);
    // The byte count is right by construction.
    Literal::from_bytes(TensorType::scalar(d), out)
        .unwrap_or_else(|_| Literal::zeros(TensorType::scalar(d)))
}

/// Exact widening of IEEE half-precision bits.
pub(crate) fn f16_bits_to_f64(h: u16) -> f64 {
    let neg = h & 0x8000 != 0;
    let e = i32::from((h >> 10) & 0x1f);
    let m = u64::from(h & 0x3ff);
    if e == 0x1f {
        if m == 0 {
            return if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
        }
        let bits = (u64::from(neg) << 63) | (0x7ffu64 << 52) | (m << 42);
        return f64::from_bits(bits);
    }
    let mag = if e == 0 {
        m as f64 * 2f64.powi(-24)
    } else {
        (m + 1024) as f64 * 2f64.powi(e - 25)
    };
    if neg {
        -mag
    } else {
        mag
    }
}

/// Exact widening of bfloat16 bits.
pub(crate) fn bf16_bits_to_f64(h: u16) -> f64 {
    f64::from(f32::from_bits(u32::from(h) << 16))
}

/// Rounds an f64 to nearest-even in a binary format with `m` explicit significand bits and
/// `e` exponent bits (at most 16 bits in all), with gradual underflow and overflow to
/// infinity. NaNs stay NaN (quiet, keeping the top payload bits).
fn f64_to_small(x: f64, m: u32, e: u32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 63) as u16) << 15;
    let exp_all = ((1u16 << e) - 1) << m;
    if x.is_nan() {
        let payload = ((bits & ((1u64 << 52) - 1)) >> (52 - m)) as u16;
        return sign | exp_all | (1 << (m - 1)) | payload;
    }
    if x.is_infinite() {
        return sign | exp_all;
    }
    let a = bits & !(1u64 << 63);
    let fexp = (a >> 52) as i32;
    if fexp == 0 {
        // Zero or an f64 subnormal, far below the smallest subnormal of the target.
        return sign;
    }
    let mant = (a & ((1u64 << 52) - 1)) | (1u64 << 52);
    let ue = fexp - 1023;
    let bias = (1i32 << (e - 1)) - 1;
    let emin = 1 - bias;
    let mut shift = 52 - m as i32;
    let mut biased = ue + bias;
    if ue < emin {
        shift += emin - ue;
        biased = 0;
    }
    if shift > 60 {
        return sign;
    }
    let shift = shift as u32;
    let q = mant >> shift;
    let rem = mant & ((1u64 << shift) - 1);
    let half = 1u64 << (shift - 1);
    let mut out: u64 = if biased > 0 {
        ((biased as u64) << m) | (q & ((1u64 << m) - 1))
    } else {
        q
    };
    if rem > half || (rem == half && q & 1 == 1) {
        out += 1;
    }
    if out >= u64::from(exp_all) {
        return sign | exp_all;
    }
    sign | out as u16
}

/// f64 to IEEE half bits, correctly rounded (nearest even).
pub(crate) fn f64_to_f16_bits(x: f64) -> u16 {
    f64_to_small(x, 10, 5)
}

/// f64 to bfloat16 bits the way XLA converts: round to f32 first, then to bfloat16 (both
/// nearest even). For values that are results of bf16 arithmetic or exact in f32 this is the
/// correctly rounded bfloat16; for other f64 values it can differ from a single rounding by
/// one ulp (the spec leaves inexact conversions implementation defined).
pub(crate) fn f64_to_bf16_bits(x: f64) -> u16 {
    f64_to_small(f64::from(x as f32), 7, 8)
}

/// Rounds `x` to the nearest value of float dtype `d` (identity for f64 and non-floats).
pub(crate) fn round_to(d: DType, x: f64) -> f64 {
    match d {
        DType::F32 => f64::from(x as f32),
        DType::F16 => f16_bits_to_f64(f64_to_f16_bits(x)),
        DType::BF16 => bf16_bits_to_f64(f64_to_bf16_bits(x)),
        _ => x,
    }
}

/// Wraps `v` into the range of integer dtype `d` (two's complement; identity otherwise).
pub(crate) fn wrap(d: DType, v: i128) -> i128 {
    match d {
        DType::I8 => i128::from(v as i8),
        DType::I16 => i128::from(v as i16),
        DType::I32 => i128::from(v as i32),
        DType::I64 => i128::from(v as i64),
        DType::U8 => i128::from(v as u8),
        DType::U16 => i128::from(v as u16),
        DType::U32 => i128::from(v as u32),
        DType::U64 => i128::from(v as u64),
        _ => v,
    }
}

/// `v` rounded to f64 with round-to-odd, so that a second rounding to any format with at
/// most 51 significand bits is the correct single rounding of `v`.
fn i128_to_f64_odd(v: i128) -> f64 {
    let a = v.unsigned_abs();
    let bits = 128 - a.leading_zeros();
    let mag = if bits <= 53 {
        a as f64
    } else {
        let sh = bits - 53;
        let mut m = a >> sh;
        if a & ((1u128 << sh) - 1) != 0 {
            m |= 1;
        }
        m as f64 * 2f64.powi(sh as i32)
    };
    if v < 0 {
        -mag
    } else {
        mag
    }
}

/// The integer `v` converted to float dtype `d` (nearest even; to bf16 through f32, as XLA
/// does).
pub(crate) fn int_to_float(d: DType, v: i128) -> f64 {
    match d {
        DType::F64 => v as f64,
        DType::F32 | DType::BF16 => round_to(d, f64::from(v as f32)),
        _ => round_to(d, i128_to_f64_odd(v)),
    }
}

/// The float `x` converted to integer dtype `d`: truncation toward zero, NaN to 0, values
/// out of range saturated to the type's min/max (the semantics of XLA:CPU's convert).
pub(crate) fn float_to_int(d: DType, x: f64) -> i128 {
    match d {
        DType::I8 => i128::from(x as i8),
        DType::I16 => i128::from(x as i16),
        DType::I32 => i128::from(x as i32),
        DType::I64 => i128::from(x as i64),
        DType::U8 => i128::from(x as u8),
        DType::U16 => i128::from(x as u16),
        DType::U32 => i128::from(x as u32),
        DType::U64 => i128::from(x as u64),
        _ => x as i128,
    }
}

/// Converts a scalar of dtype `from` to dtype `to` (the `convert` op on one element).
pub(crate) fn convert_sc(to: DType, s: Sc) -> Sc {
    match class(to) {
        Class::Bool => Sc::B(s.to_bool()),
        Class::Int => match s {
            Sc::B(b) => Sc::I(i128::from(b)),
            Sc::I(i) => Sc::I(wrap(to, i)),
            Sc::F(f) => Sc::I(float_to_int(to, f)),
        },
        Class::Float => match s {
            Sc::B(b) => Sc::F(f64::from(u8::from(b))),
            Sc::I(i) => Sc::F(int_to_float(to, i)),
            Sc::F(f) => Sc::F(round_to(to, f)),
        },
    }
}

/// An error for a broken internal invariant (never expected; reported instead of a panic).
pub(crate) fn internal(op: &str, what: impl Into<String>) -> Error {
    Error::invalid(op, format!("internal evaluator error: {}", what.into()))
}
