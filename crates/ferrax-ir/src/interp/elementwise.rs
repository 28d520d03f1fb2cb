//! Elementwise ops: the per-element semantics (shared with the scalar region evaluator) and
//! their application to whole literals.

use super::math;
use super::value::{
    class, convert_sc, decode, decode_at, encode, internal, round_to, wrap, Class, Sc, Vals,
};
use crate::{rules, BinaryOp, CompareDir, DType, Error, Literal, Result, TensorType, UnaryOp};

// ---------------------------------------------------------------------------------------
// Per-element semantics.
// ---------------------------------------------------------------------------------------

/// Bit width of an integer dtype.
fn bits(d: DType) -> u32 {
    d.bit_width() as u32
}

/// All-ones mask of the low `n` bits.
fn mask(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// `v` reinterpreted as a signed `n`-bit integer.
fn sext(n: u32, v: i128) -> i128 {
    let s = 128 - n;
    (v << s) >> s
}

/// A float unary op in f64 (the caller rounds to the element type).
pub(crate) fn unary_f(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Abs => x.abs(),
        UnaryOp::Sign => {
            if x.is_nan() || x == 0.0 {
                x
            } else {
                1.0f64.copysign(x)
            }
        }
        UnaryOp::Exp => x.exp(),
        UnaryOp::Expm1 => x.exp_m1(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Log1p => x.ln_1p(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Rsqrt => 1.0 / x.sqrt(),
        UnaryOp::Cbrt => x.cbrt(),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Logistic => 1.0 / (1.0 + (-x).exp()),
        UnaryOp::Sin => x.sin(),
        UnaryOp::Cos => x.cos(),
        UnaryOp::Tan => x.tan(),
        UnaryOp::Erf => math::erf(x),
        UnaryOp::Floor => x.floor(),
        UnaryOp::Ceil => x.ceil(),
        UnaryOp::Round => x.round(),
        UnaryOp::RoundEven => x.round_ties_even(),
        // Not float ops (rejected by the dtype rule before we get here).
        UnaryOp::IsFinite | UnaryOp::Not | UnaryOp::PopCnt | UnaryOp::Clz => x,
    }
}

/// An integer unary op on dtype `d`.
pub(crate) fn unary_i(op: UnaryOp, d: DType, x: i128) -> i128 {
    let n = bits(d);
    match op {
        UnaryOp::Neg => wrap(d, x.wrapping_neg()),
        UnaryOp::Abs => wrap(d, x.wrapping_abs()),
        UnaryOp::Sign => x.signum(),
        UnaryOp::Not => wrap(d, !x),
        UnaryOp::PopCnt => i128::from(((x as u128) & mask(n)).count_ones()),
        UnaryOp::Clz => i128::from(((x as u128) & mask(n)).leading_zeros() - (128 - n)),
        _ => x,
    }
}

/// A bool unary op (only `not` is defined).
pub(crate) fn unary_b(op: UnaryOp, x: bool) -> bool {
    match op {
        UnaryOp::Not => !x,
        _ => x,
    }
}

/// A unary op on one scalar of dtype `d`.
pub(crate) fn unary_sc(op: UnaryOp, d: DType, x: Sc) -> Sc {
    match x {
        Sc::F(v) if op == UnaryOp::IsFinite => Sc::B(v.is_finite()),
        Sc::F(v) => Sc::F(round_to(d, unary_f(op, v))),
        Sc::I(v) => Sc::I(unary_i(op, d, v)),
        Sc::B(v) => Sc::B(unary_b(op, v)),
    }
}

/// IEEE 754-2019 `maximum`: NaN-propagating, `-0 < +0`.
pub(crate) fn fmax(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() || b > a || (a == b && a.is_sign_negative()) {
        b
    } else {
        a
    }
}

/// IEEE 754-2019 `minimum`: NaN-propagating, `-0 < +0`.
pub(crate) fn fmin(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        a
    } else if b.is_nan() || b < a || (a == b && b.is_sign_negative()) {
        b
    } else {
        a
    }
}

/// A float binary op in f64 (the caller rounds to the element type).
pub(crate) fn binary_f(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Rem => a % b,
        BinaryOp::Pow => a.powf(b),
        BinaryOp::Max => fmax(a, b),
        BinaryOp::Min => fmin(a, b),
        BinaryOp::Atan2 => a.atan2(b),
        // Not float ops (rejected by the dtype rule).
        _ => a,
    }
}

/// Integer power with XLA's semantics: exponentiation by squaring over the low 6 bits of the
/// exponent (wrapping). A negative exponent (the exponent's top bit set, also for unsigned
/// types) gives 1 for base 1, `+-1` by the exponent's parity for base -1 (all bits set), and
/// 0 otherwise.
fn int_pow(d: DType, base: i128, exp: i128) -> i128 {
    let n = bits(d);
    let se = sext(n, exp);
    if se < 0 {
        return if base == 1 {
            1
        } else if sext(n, base) == -1 {
            if se % 2 == 0 {
                1
            } else {
                wrap(d, -1)
            }
        } else {
            0
        };
    }
    let mut acc: i128 = 1;
    let mut b = base;
    let mut e = exp;
    for _ in 0..6 {
        if e & 1 == 1 {
            acc = wrap(d, acc.wrapping_mul(b));
        }
        b = wrap(d, b.wrapping_mul(b));
        e >>= 1;
    }
    acc
}

/// An integer binary op on dtype `d` (operands in range for `d`).
pub(crate) fn binary_i(op: BinaryOp, d: DType, a: i128, b: i128) -> i128 {
    let n = bits(d);
    match op {
        BinaryOp::Add => wrap(d, a.wrapping_add(b)),
        BinaryOp::Sub => wrap(d, a.wrapping_sub(b)),
        BinaryOp::Mul => wrap(d, a.wrapping_mul(b)),
        BinaryOp::Div => {
            if b == 0 {
                wrap(d, -1)
            } else {
                wrap(d, a.wrapping_div(b))
            }
        }
        BinaryOp::Rem => {
            if b == 0 {
                a
            } else {
                wrap(d, a.wrapping_rem(b))
            }
        }
        BinaryOp::Pow => int_pow(d, a, b),
        BinaryOp::Max => a.max(b),
        BinaryOp::Min => a.min(b),
        BinaryOp::And => wrap(d, a & b),
        BinaryOp::Or => wrap(d, a | b),
        BinaryOp::Xor => wrap(d, a ^ b),
        BinaryOp::ShiftLeft | BinaryOp::ShiftRightLogical | BinaryOp::ShiftRightArithmetic => {
            // The shift amount is read as an unsigned n-bit number; amounts >= n saturate.
            let amt = (b as u128) & mask(n);
            let big = amt >= u128::from(n);
            let amt = amt as u32;
            match op {
                BinaryOp::ShiftLeft => {
                    if big {
                        0
                    } else {
                        wrap(d, a << amt)
                    }
                }
                BinaryOp::ShiftRightLogical => {
                    if big {
                        0
                    } else {
                        wrap(d, (((a as u128) & mask(n)) >> amt) as i128)
                    }
                }
                _ => {
                    let s = sext(n, a);
                    if big {
                        wrap(d, if s < 0 { -1 } else { 0 })
                    } else {
                        wrap(d, s >> amt)
                    }
                }
            }
        }
        BinaryOp::Atan2 => a,
    }
}

/// A bool binary op (`max` is `or`, `min` is `and`).
pub(crate) fn binary_b(op: BinaryOp, a: bool, b: bool) -> bool {
    match op {
        BinaryOp::And | BinaryOp::Min | BinaryOp::Mul => a & b,
        BinaryOp::Or | BinaryOp::Max | BinaryOp::Add => a | b,
        BinaryOp::Xor | BinaryOp::Sub => a ^ b,
        _ => a,
    }
}

/// A binary op on two scalars of dtype `d`.
pub(crate) fn binary_sc(op: BinaryOp, d: DType, a: Sc, b: Sc) -> Sc {
    match (a, b) {
        (Sc::F(x), Sc::F(y)) => Sc::F(round_to(d, binary_f(op, x, y))),
        (Sc::I(x), Sc::I(y)) => Sc::I(binary_i(op, d, x, y)),
        (Sc::B(x), Sc::B(y)) => Sc::B(binary_b(op, x, y)),
        // Mixed domains never come from a checked graph; compare numerically.
        (x, y) => Sc::F(round_to(d, binary_f(op, x.to_f64(), y.to_f64()))),
    }
}

fn cmp<T: PartialOrd>(dir: CompareDir, a: T, b: T) -> bool {
    match dir {
        CompareDir::Eq => a == b,
        CompareDir::Ne => a != b,
        CompareDir::Lt => a < b,
        CompareDir::Le => a <= b,
        CompareDir::Gt => a > b,
        CompareDir::Ge => a >= b,
    }
}

/// A comparison of two scalars of the same dtype (IEEE for floats, `false < true`).
pub(crate) fn compare_sc(dir: CompareDir, a: Sc, b: Sc) -> bool {
    match (a, b) {
        (Sc::F(x), Sc::F(y)) => cmp(dir, x, y),
        (Sc::I(x), Sc::I(y)) => cmp(dir, x, y),
        (Sc::B(x), Sc::B(y)) => cmp(dir, x, y),
        (x, y) => cmp(dir, x.to_f64(), y.to_f64()),
    }
}

/// `clamp(lo, x, hi) = min(hi, max(lo, x))` with the op semantics of dtype `d`.
pub(crate) fn clamp_sc(d: DType, lo: Sc, x: Sc, hi: Sc) -> Sc {
    binary_sc(BinaryOp::Min, d, hi, binary_sc(BinaryOp::Max, d, lo, x))
}

/// Reinterprets the bits of `x` (dtype `from`) as dtype `to` of the same width.
pub(crate) fn bitcast_sc(from: DType, to: DType, x: Sc) -> Result<Sc> {
    if from.byte_size() != to.byte_size() {
        return Err(Error::unsupported(
            "bitcast_convert",
            format!("{from} and {to} differ in width"),
        ));
    }
    let mut bytes = Vec::with_capacity(8);
    super::value::push_bytes(from, x, &mut bytes);
    let l = Literal::from_bytes(TensorType::scalar(to), bytes)?;
    Ok(decode_at(&l, 0))
}

// ---------------------------------------------------------------------------------------
// Whole-literal application.
// ---------------------------------------------------------------------------------------

fn same_len(op: &str, a: &Literal, b: &Literal) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::shape(
            op,
            format!("operand shapes differ: {} vs {}", a.shape(), b.shape()),
        ));
    }
    Ok(())
}

/// `unary(x)`.
pub(crate) fn unary(op: UnaryOp, x: &Literal, out: &TensorType) -> Result<Literal> {
    rules::unary(op, x.ty())?;
    let d = x.dtype();
    let v = match decode(x) {
        Vals::F(v) if op == UnaryOp::IsFinite => Vals::B(v.iter().map(|x| x.is_finite()).collect()),
        Vals::F(v) => Vals::F(v.iter().map(|&x| round_to(d, unary_f(op, x))).collect()),
        Vals::I(v) => Vals::I(v.iter().map(|&x| unary_i(op, d, x)).collect()),
        Vals::B(v) => Vals::B(v.iter().map(|&x| unary_b(op, x)).collect()),
    };
    encode(out, &v)
}

/// `binary(a, b)`.
pub(crate) fn binary(op: BinaryOp, a: &Literal, b: &Literal, out: &TensorType) -> Result<Literal> {
    rules::binary(op, a.ty(), b.ty())?;
    let d = a.dtype();
    let v = match (decode(a), decode(b)) {
        (Vals::F(x), Vals::F(y)) => Vals::F(
            x.iter()
                .zip(&y)
                .map(|(&x, &y)| round_to(d, binary_f(op, x, y)))
                .collect(),
        ),
        (Vals::I(x), Vals::I(y)) => Vals::I(
            x.iter()
                .zip(&y)
                .map(|(&x, &y)| binary_i(op, d, x, y))
                .collect(),
        ),
        (Vals::B(x), Vals::B(y)) => Vals::B(
            x.iter()
                .zip(&y)
                .map(|(&x, &y)| binary_b(op, x, y))
                .collect(),
        ),
        _ => return Err(internal(op.name(), "operand domains differ")),
    };
    encode(out, &v)
}

/// `compare(a, b)`.
pub(crate) fn compare(
    dir: CompareDir,
    a: &Literal,
    b: &Literal,
    out: &TensorType,
) -> Result<Literal> {
    same_len("compare", a, b)?;
    if a.dtype() != b.dtype() {
        return Err(Error::dtype(
            "compare",
            format!("operand dtypes differ: {} vs {}", a.dtype(), b.dtype()),
        ));
    }
    let v: Vec<bool> = match (decode(a), decode(b)) {
        (Vals::F(x), Vals::F(y)) => x.iter().zip(&y).map(|(&x, &y)| cmp(dir, x, y)).collect(),
        (Vals::I(x), Vals::I(y)) => x.iter().zip(&y).map(|(&x, &y)| cmp(dir, x, y)).collect(),
        (Vals::B(x), Vals::B(y)) => x.iter().zip(&y).map(|(&x, &y)| cmp(dir, x, y)).collect(),
        _ => return Err(internal("compare", "operand domains differ")),
    };
    encode(out, &Vals::B(v))
}

/// `select(pred, on_true, on_false)`; `pred` is a scalar or of the operands' shape.
pub(crate) fn select(p: &Literal, t: &Literal, f: &Literal, out: &TensorType) -> Result<Literal> {
    same_len("select", t, f)?;
    let n = t.shape().numel();
    let w = t.dtype().byte_size();
    let pb = p.bytes();
    if pb.len() != 1 && pb.len() != n {
        return Err(Error::shape(
            "select",
            format!(
                "predicate shape {} must be scalar or {}",
                p.shape(),
                t.shape()
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(n * w);
    for i in 0..n {
        let c = if pb.len() == 1 { pb[0] } else { pb[i] };
        let src = if c != 0 { t } else { f };
        bytes.extend_from_slice(&src.bytes()[i * w..(i + 1) * w]);
    }
    Literal::from_bytes(out.clone(), bytes)
}

/// `clamp(lo, x, hi)`; `lo` and `hi` are scalars or of `x`'s shape.
pub(crate) fn clamp(lo: &Literal, x: &Literal, hi: &Literal, out: &TensorType) -> Result<Literal> {
    let n = x.shape().numel();
    for b in [lo, hi] {
        let m = b.shape().numel();
        if (b.shape().rank() != 0 && b.shape() != x.shape()) || (m != 1 && m != n) {
            return Err(Error::shape(
                "clamp",
                format!("bound shape {} must be scalar or {}", b.shape(), x.shape()),
            ));
        }
        if b.dtype() != x.dtype() {
            return Err(Error::dtype("clamp", "bounds and operand dtypes differ"));
        }
    }
    let d = x.dtype();
    let (lv, xv, hv) = (decode(lo), decode(x), decode(hi));
    let at = |v: &Vals, i: usize| if v.len() == 1 { v.get(0) } else { v.get(i) };
    let mut res = Vals::with_capacity(d, n);
    for i in 0..n {
        res.push(clamp_sc(d, at(&lv, i), xv.get(i), at(&hv, i)));
    }
    encode(out, &res)
}

/// `convert(x)` to the output dtype.
pub(crate) fn convert(x: &Literal, out: &TensorType) -> Result<Literal> {
    let to = out.dtype;
    let v = match (decode(x), class(to)) {
        (Vals::F(v), Class::Float) => Vals::F(v.iter().map(|&f| round_to(to, f)).collect()),
        (Vals::I(v), Class::Int) => Vals::I(v.iter().map(|&i| wrap(to, i)).collect()),
        (v, _) => {
            let mut r = Vals::with_capacity(to, v.len());
            for i in 0..v.len() {
                r.push(convert_sc(to, v.get(i)));
            }
            r
        }
    };
    encode(out, &v)
}

/// `bitcast_convert(x)`: the same bytes read as the output dtype. Literals hold
/// little-endian row-major bytes, so a width change (a trailing axis of parts, least
/// significant first) is the same bytes too.
pub(crate) fn bitcast(x: &Literal, out: &TensorType) -> Result<Literal> {
    let shape = crate::rules::bitcast_shape(x.dtype(), x.shape(), out.dtype)?;
    if shape != out.shape {
        return Err(Error::unsupported(
            "bitcast_convert",
            format!("cannot reinterpret {} as {}", x.ty(), out),
        ));
    }
    Literal::from_bytes(out.clone(), x.bytes().to_vec())
}

/// `iota` along `dim` of the output type (floats hold the index's float value).
pub(crate) fn iota(dim: usize, out: &TensorType) -> Result<Literal> {
    let dims = out.shape.dims();
    if dim >= dims.len() {
        return Err(Error::invalid(
            "iota",
            format!("dimension {dim} out of range for {out}"),
        ));
    }
    let n = out.shape.numel();
    let inner: usize = dims[dim + 1..].iter().product();
    let size = dims[dim];
    let d = out.dtype;
    let mut v = Vals::with_capacity(d, n);
    for i in 0..n {
        let k = (i / inner.max(1)) % size.max(1);
        v.push(convert_sc(d, Sc::I(k as i128)));
    }
    encode(out, &v)
}
