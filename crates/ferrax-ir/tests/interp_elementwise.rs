//! Host evaluator: elementwise ops, conversions and iota.

mod interp_support;

use ferrax_ir::{BinaryOp, CompareDir, DType, Literal, Op, UnaryOp};
use half::{bf16, f16};
use interp_support::{f32_bits, lit, run, run1, ty};

fn bin<T: ferrax_ir::Element>(op: BinaryOp, a: Vec<T>, b: Vec<T>) -> Vec<T> {
    let n = a.len();
    let d = T::DTYPE;
    run1(Op::Binary(op), &[lit(a, &[n]), lit(b, &[n])], ty(d, &[n]))
        .to_vec::<T>()
        .unwrap()
}

fn un<T: ferrax_ir::Element>(op: UnaryOp, a: Vec<T>) -> Vec<T> {
    let n = a.len();
    run1(Op::Unary(op), &[lit(a, &[n])], ty(T::DTYPE, &[n]))
        .to_vec::<T>()
        .unwrap()
}

fn conv<T: ferrax_ir::Element, U: ferrax_ir::Element>(a: Vec<T>) -> Vec<U> {
    let n = a.len();
    run1(Op::Convert, &[lit(a, &[n])], ty(U::DTYPE, &[n]))
        .to_vec::<U>()
        .unwrap()
}

fn cmp<T: ferrax_ir::Element>(dir: CompareDir, a: Vec<T>, b: Vec<T>) -> Vec<bool> {
    let n = a.len();
    run1(
        Op::Compare(dir),
        &[lit(a, &[n]), lit(b, &[n])],
        ty(DType::Bool, &[n]),
    )
    .to_vec::<bool>()
    .unwrap()
}

#[test]
fn int_add_sub_mul_wrap() {
    assert_eq!(
        bin(BinaryOp::Add, vec![127i8, -128, 5], vec![1, -1, 6]),
        vec![-128, 127, 11]
    );
    assert_eq!(bin(BinaryOp::Sub, vec![0u8, 10], vec![1, 3]), vec![255, 7]);
    assert_eq!(
        bin(BinaryOp::Mul, vec![u64::MAX, 1 << 40], vec![2, 1 << 30]),
        vec![u64::MAX - 1, 0]
    );
    assert_eq!(
        bin(BinaryOp::Mul, vec![i64::MAX, i64::MIN], vec![2, -1]),
        vec![-2, i64::MIN]
    );
    assert_eq!(
        bin(BinaryOp::Add, vec![i32::MAX, 1], vec![1, 2]),
        vec![i32::MIN, 3]
    );
    assert_eq!(
        bin(BinaryOp::Mul, vec![300i16], vec![300]),
        vec![(90000i32 as i16)]
    );
}

#[test]
fn int_div_rem_edge_cases() {
    // Spec example (remainder): the sign follows the dividend.
    assert_eq!(
        bin(BinaryOp::Rem, vec![17i64, -17, 17, -17], vec![3, 3, -3, -3]),
        vec![2, -2, 2, -2]
    );
    assert_eq!(
        bin(
            BinaryOp::Div,
            vec![7i32, -7, 7, -7, i32::MIN, i32::MIN, 5, 0],
            vec![2, 2, -2, -2, -1, 0, 0, 0]
        ),
        vec![3, -3, -3, 3, i32::MIN, -1, -1, -1]
    );
    assert_eq!(
        bin(
            BinaryOp::Rem,
            vec![7i32, -7, i32::MIN, i32::MIN, 5, -5],
            vec![2, 2, -1, 0, 0, 0]
        ),
        vec![1, -1, 0, i32::MIN, 5, -5]
    );
    assert_eq!(bin(BinaryOp::Div, vec![i8::MIN], vec![-1]), vec![i8::MIN]);
    assert_eq!(bin(BinaryOp::Rem, vec![i8::MIN], vec![-1]), vec![0]);
    assert_eq!(
        bin(BinaryOp::Div, vec![200u8, 200, 7], vec![0, 3, 7]),
        vec![255, 66, 1]
    );
    assert_eq!(
        bin(BinaryOp::Rem, vec![200u8, 200], vec![0, 3]),
        vec![200, 2]
    );
    assert_eq!(bin(BinaryOp::Div, vec![u64::MAX], vec![0]), vec![u64::MAX]);
    assert_eq!(
        bin(BinaryOp::Div, vec![u64::MAX], vec![2]),
        vec![u64::MAX / 2]
    );
    assert_eq!(
        bin(BinaryOp::Div, vec![i64::MIN, 9], vec![-1, 0]),
        vec![i64::MIN, -1]
    );
}

#[test]
fn shifts_spec_examples_and_saturation() {
    assert_eq!(
        bin(BinaryOp::ShiftLeft, vec![-1i64, 0, 1], vec![1, 2, 3]),
        vec![-2, 0, 8]
    );
    assert_eq!(
        bin(
            BinaryOp::ShiftRightArithmetic,
            vec![-1i64, 0, 8],
            vec![1, 2, 3]
        ),
        vec![-1, 0, 1]
    );
    assert_eq!(
        bin(
            BinaryOp::ShiftRightLogical,
            vec![-1i64, 0, 8],
            vec![1, 2, 3]
        ),
        vec![i64::MAX, 0, 1]
    );
    // Shift amounts >= the bit width (negative amounts read as huge unsigned ones).
    assert_eq!(
        bin(
            BinaryOp::ShiftLeft,
            vec![1i32, 1, 1, 3],
            vec![31, 32, -1, 100]
        ),
        vec![i32::MIN, 0, 0, 0]
    );
    assert_eq!(
        bin(
            BinaryOp::ShiftRightLogical,
            vec![-1i32, -1, -1],
            vec![31, 32, 40]
        ),
        vec![1, 0, 0]
    );
    assert_eq!(
        bin(
            BinaryOp::ShiftRightArithmetic,
            vec![-5i32, 5, -5, i32::MIN],
            vec![32, 100, -1, 31]
        ),
        vec![-1, 0, -1, -1]
    );
    // Arithmetic shift of an unsigned type fills with its top bit.
    assert_eq!(
        bin(
            BinaryOp::ShiftRightArithmetic,
            vec![0x80u8, 0x40],
            vec![1, 1]
        ),
        vec![0xC0, 0x20]
    );
    assert_eq!(
        bin(BinaryOp::ShiftRightArithmetic, vec![0x80u8], vec![8]),
        vec![0xFF]
    );
    assert_eq!(bin(BinaryOp::ShiftLeft, vec![0xFFu8], vec![4]), vec![0xF0]);
    assert_eq!(
        bin(BinaryOp::ShiftLeft, vec![u64::MAX], vec![63]),
        vec![1 << 63]
    );
}

#[test]
fn bitwise_and_logical() {
    assert_eq!(
        bin(BinaryOp::And, vec![0b1100u8], vec![0b1010]),
        vec![0b1000]
    );
    assert_eq!(bin(BinaryOp::Or, vec![-16i16], vec![3]), vec![-13]);
    assert_eq!(bin(BinaryOp::Xor, vec![-1i64], vec![5]), vec![-6]);
    assert_eq!(
        bin(
            BinaryOp::And,
            vec![true, true, false, false],
            vec![true, false, true, false]
        ),
        vec![true, false, false, false]
    );
    assert_eq!(
        bin(
            BinaryOp::Or,
            vec![true, true, false, false],
            vec![true, false, true, false]
        ),
        vec![true, true, true, false]
    );
    assert_eq!(
        bin(
            BinaryOp::Xor,
            vec![true, true, false, false],
            vec![true, false, true, false]
        ),
        vec![false, true, true, false]
    );
    assert_eq!(
        bin(BinaryOp::Max, vec![true, false], vec![false, false]),
        vec![true, false]
    );
    assert_eq!(
        bin(BinaryOp::Min, vec![true, true], vec![false, true]),
        vec![false, true]
    );
    assert_eq!(un(UnaryOp::Not, vec![true, false]), vec![false, true]);
    assert_eq!(un(UnaryOp::Not, vec![0i8, -1, 5]), vec![-1, 0, -6]);
    assert_eq!(un(UnaryOp::Not, vec![0u16, 0xFF00]), vec![0xFFFF, 0x00FF]);
}

#[test]
fn int_max_min_spec_examples() {
    assert_eq!(
        bin(BinaryOp::Max, vec![1i32, 2, 7, 8], vec![5, 6, 3, 4]),
        vec![5, 6, 7, 8]
    );
    assert_eq!(
        bin(BinaryOp::Min, vec![1i32, 2, 7, 8], vec![5, 6, 3, 4]),
        vec![1, 2, 3, 4]
    );
    // Unsigned comparison, not signed.
    assert_eq!(bin(BinaryOp::Max, vec![u32::MAX], vec![1]), vec![u32::MAX]);
    assert_eq!(bin(BinaryOp::Min, vec![u64::MAX], vec![1]), vec![1]);
}

#[test]
fn float_max_min_propagate_nan_and_order_zeros() {
    let nan = f32::NAN;
    let r = bin(
        BinaryOp::Max,
        vec![nan, 1.0, -0.0, 0.0, 2.0],
        vec![1.0, nan, 0.0, -0.0, -3.0],
    );
    assert!(r[0].is_nan() && r[1].is_nan());
    assert_eq!(r[2].to_bits(), 0.0f32.to_bits());
    assert_eq!(r[3].to_bits(), 0.0f32.to_bits());
    assert_eq!(r[4], 2.0);
    let r = bin(
        BinaryOp::Min,
        vec![nan, 1.0, -0.0, 0.0, 2.0],
        vec![1.0, nan, 0.0, -0.0, -3.0],
    );
    assert!(r[0].is_nan() && r[1].is_nan());
    assert_eq!(r[2].to_bits(), (-0.0f32).to_bits());
    assert_eq!(r[3].to_bits(), (-0.0f32).to_bits());
    assert_eq!(r[4], -3.0);
}

#[test]
fn float_arith_and_spec_divide_example() {
    // Spec example (divide, f32; the spec prints 17/3, but 17.1/3 is 5.7).
    let r = bin(
        BinaryOp::Div,
        vec![17.1f32, -17.1, 17.1, -17.1],
        vec![3.0, 3.0, -3.0, -3.0],
    );
    assert_eq!(
        r,
        vec![17.1f32 / 3.0, -17.1f32 / 3.0, -17.1f32 / 3.0, 17.1f32 / 3.0]
    );
    assert_eq!(r[0], 5.7000003);
    // Exactly the f32 IEEE results.
    let a = vec![0.1f32, 1e30, 3.0, -7.5, 1.0];
    let b = vec![0.2f32, 1e-30, 7.0, 2.0, 0.0];
    let sum: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    let prod: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
    let quot: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x / y).collect();
    let rem: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x % y).collect();
    assert_eq!(bin(BinaryOp::Add, a.clone(), b.clone()), sum);
    assert_eq!(bin(BinaryOp::Mul, a.clone(), b.clone()), prod);
    assert_eq!(bin(BinaryOp::Div, a.clone(), b.clone()), quot);
    let got = bin(BinaryOp::Rem, a.clone(), b.clone());
    assert_eq!(got[..4], rem[..4]);
    assert_eq!(got[3], -1.5);
    assert!(got[4].is_nan());
    assert_eq!(
        bin(BinaryOp::Sub, vec![1.0f64, 0.0], vec![1e-17, 0.0]),
        vec![1.0 - 1e-17, 0.0]
    );
    let sub = bin(BinaryOp::Sub, vec![-0.0f32], vec![0.0]);
    assert_eq!(sub[0].to_bits(), (-0.0f32).to_bits());
}

#[test]
fn f16_and_bf16_round_after_every_op() {
    let h = |x: f32| f16::from_f32(x);
    // 1 + 2^-11 is halfway between 1 and the next f16: ties to even gives 1.
    let r = bin(
        BinaryOp::Add,
        vec![h(1.0), h(1.0), h(60000.0)],
        vec![h(2f32.powi(-11)), h(2f32.powi(-10)), h(60000.0)],
    );
    assert_eq!(r[0], h(1.0));
    assert_eq!(r[1].to_f32(), 1.0 + 2f32.powi(-10));
    assert!(r[2].is_infinite());
    let b = |x: f32| bf16::from_f32(x);
    let r = bin(
        BinaryOp::Mul,
        vec![b(3.0), b(1.0 / 3.0)],
        vec![b(3.0), b(3.0)],
    );
    assert_eq!(r[0].to_f32(), 9.0);
    let third = bf16::from_f32(1.0 / 3.0).to_f32();
    assert_eq!(r[1], bf16::from_f32(third * 3.0));
    // Division and sqrt in f16 are the correctly rounded f16 results.
    let r = bin(BinaryOp::Div, vec![h(1.0), h(2.0)], vec![h(3.0), h(3.0)]);
    assert_eq!(r, vec![h(1.0 / 3.0), h(2.0 / 3.0)]);
    let r = un(UnaryOp::Sqrt, vec![h(2.0), b_to_h(3.0)]);
    assert_eq!(r, vec![h(2f32.sqrt()), h(3f32.sqrt())]);
}

fn b_to_h(x: f32) -> f16 {
    f16::from_f32(x)
}

#[test]
fn rounding_spec_examples() {
    let x = vec![-2.5f64, 0.4, 0.5, 0.6, 2.5];
    assert_eq!(
        un(UnaryOp::Round, x.clone()),
        vec![-3.0, 0.0, 1.0, 1.0, 3.0]
    );
    assert_eq!(un(UnaryOp::RoundEven, x), vec![-2.0, 0.0, 0.0, 1.0, 2.0]);
    let x = vec![-0.5f32, 1.5, -1.5, 0.8, -0.8];
    assert_eq!(
        un(UnaryOp::Floor, x.clone()),
        vec![-1.0, 1.0, -2.0, 0.0, -1.0]
    );
    assert_eq!(
        un(UnaryOp::Ceil, x.clone()),
        vec![-0.0, 2.0, -1.0, 1.0, -0.0]
    );
    let r = un(UnaryOp::Round, vec![-0.4f32]);
    assert_eq!(r[0].to_bits(), (-0.0f32).to_bits());
    let r = un(UnaryOp::RoundEven, vec![h16(2.5), h16(3.5)]);
    assert_eq!(r, vec![h16(2.0), h16(4.0)]);
}

fn h16(x: f32) -> f16 {
    f16::from_f32(x)
}

#[test]
fn sign_spec_example_and_ints() {
    let x = vec![f64::NAN, -1.0, -0.0, 0.0, 1.0, -7.5, f64::INFINITY];
    let r = un(UnaryOp::Sign, x);
    assert!(r[0].is_nan());
    assert_eq!(r[1], -1.0);
    assert_eq!(r[2].to_bits(), (-0.0f64).to_bits());
    assert_eq!(r[3].to_bits(), 0.0f64.to_bits());
    assert_eq!(r[4..], [1.0, -1.0, 1.0]);
    assert_eq!(
        un(UnaryOp::Sign, vec![-5i32, 0, 7, i32::MIN]),
        vec![-1, 0, 1, -1]
    );
    assert_eq!(un(UnaryOp::Sign, vec![0u8, 200]), vec![0, 1]);
}

#[test]
fn neg_abs_wrap() {
    assert_eq!(
        un(UnaryOp::Neg, vec![i32::MIN, 5, 0]),
        vec![i32::MIN, -5, 0]
    );
    assert_eq!(un(UnaryOp::Abs, vec![i8::MIN, -5, 3]), vec![i8::MIN, 5, 3]);
    assert_eq!(un(UnaryOp::Neg, vec![1u8, 0]), vec![255, 0]);
    let r = un(UnaryOp::Abs, vec![-0.0f32, -2.5, f32::NEG_INFINITY]);
    assert_eq!(r[0].to_bits(), 0);
    assert_eq!(r[1..], [2.5, f32::INFINITY]);
    let r = un(UnaryOp::Neg, vec![0.0f32]);
    assert_eq!(r[0].to_bits(), (-0.0f32).to_bits());
}

#[test]
fn popcnt_and_clz() {
    assert_eq!(
        un(UnaryOp::PopCnt, vec![0i32, 1, -1, 0xF0, i32::MIN]),
        vec![0, 1, 32, 4, 1]
    );
    assert_eq!(
        un(UnaryOp::Clz, vec![0i32, 1, -1, 0xF0, i32::MIN]),
        vec![32, 31, 0, 24, 0]
    );
    assert_eq!(un(UnaryOp::Clz, vec![0u8, 1, 0x80]), vec![8, 7, 0]);
    assert_eq!(un(UnaryOp::PopCnt, vec![-1i8, 0x55]), vec![8, 4]);
    assert_eq!(un(UnaryOp::Clz, vec![0i64, 1]), vec![64, 63]);
    assert_eq!(un(UnaryOp::PopCnt, vec![u64::MAX]), vec![64]);
    assert_eq!(un(UnaryOp::Clz, vec![1u16]), vec![15]);
}

#[test]
fn integer_pow_follows_xla() {
    assert_eq!(
        bin(
            BinaryOp::Pow,
            vec![2i32, 3, -2, 2, 1, -1, -1, 5, 0, 0, -3],
            vec![10, 3, 3, -1, -5, -1, -2, 0, 0, 3, -1]
        ),
        vec![1024, 27, -8, 0, 1, -1, 1, 1, 1, 0, 0]
    );
    assert_eq!(
        bin(BinaryOp::Pow, vec![2i8, 3], vec![7, 5]),
        vec![-128, (243u8 as i8)]
    );
    assert_eq!(
        bin(BinaryOp::Pow, vec![3u32, 2], vec![4, 31]),
        vec![81, 1 << 31]
    );
    assert_eq!(bin(BinaryOp::Pow, vec![2u64], vec![64]), vec![1]);
    // Exponents >= 64 use their low 6 bits; unsigned exponents with the top bit set count
    // as negative.
    assert_eq!(bin(BinaryOp::Pow, vec![3i32, 3], vec![64, 65]), vec![1, 3]);
    assert_eq!(
        bin(
            BinaryOp::Pow,
            vec![3u8, 1, 255, 255],
            vec![200, 200, 201, 200]
        ),
        vec![0, 1, 255, 1]
    );
}

#[test]
fn float_pow_spec_example() {
    let r = bin(
        BinaryOp::Pow,
        vec![-2.0f64, -0.0, -36.0, 5.0, 3.0, 10000.0],
        vec![2.0, 2.0, 1.1, 2.0, -1.0, 10.0],
    );
    assert_eq!(r[0], 4.0);
    assert_eq!(r[1], 0.0);
    assert!(r[2].is_nan());
    assert_eq!(r[3], 25.0);
    assert_eq!(r[4], 1.0 / 3.0);
    // (The spec example shows inf, but 10000^10 = 1e40 is finite in f64.)
    assert_eq!(r[5], 1e40);
    let r = bin(BinaryOp::Pow, vec![10000.0f32], vec![10.0]);
    assert_eq!(r[0], f32::INFINITY);
    let r = bin(BinaryOp::Pow, vec![f32::NAN, 2.0], vec![0.0, 0.5]);
    assert_eq!(r, vec![1.0, 2f32.sqrt()]);
}

#[test]
fn atan2_and_transcendentals() {
    let r = bin(
        BinaryOp::Atan2,
        vec![1.0f64, -1.0, 0.0, -0.0],
        vec![1.0, -1.0, -1.0, -1.0],
    );
    assert_eq!(r[0], std::f64::consts::FRAC_PI_4);
    assert_eq!(r[1], -3.0 * std::f64::consts::FRAC_PI_4);
    assert_eq!(r[2], std::f64::consts::PI);
    assert_eq!(r[3], -std::f64::consts::PI);
    let x = vec![0.0f64, 1.0, -2.5, 10.0];
    type Case = (UnaryOp, fn(f64) -> f64);
    let cases: [Case; 9] = [
        (UnaryOp::Exp, f64::exp),
        (UnaryOp::Expm1, f64::exp_m1),
        (UnaryOp::Sin, f64::sin),
        (UnaryOp::Cos, f64::cos),
        (UnaryOp::Tan, f64::tan),
        (UnaryOp::Tanh, f64::tanh),
        (UnaryOp::Cbrt, f64::cbrt),
        (UnaryOp::Log1p, |v| v.ln_1p()),
        (UnaryOp::Log, f64::ln),
    ];
    for (op, f) in cases {
        let got = un(op, x.clone());
        for (g, &v) in got.iter().zip(&x) {
            let want = f(v);
            assert!(
                (g.is_nan() && want.is_nan()) || *g == want,
                "{op:?}({v}) = {g}, want {want}"
            );
        }
    }
    assert_eq!(un(UnaryOp::Sqrt, vec![4.0f32, -1.0])[0], 2.0);
    assert!(un(UnaryOp::Sqrt, vec![-1.0f32])[0].is_nan());
    assert_eq!(
        un(UnaryOp::Rsqrt, vec![4.0f32, 0.0]),
        vec![0.5, f32::INFINITY]
    );
    assert_eq!(
        un(UnaryOp::Logistic, vec![0.0f32, 1000.0, -1000.0]),
        vec![0.5, 1.0, 0.0]
    );
    assert_eq!(un(UnaryOp::Log, vec![0.0f32]), vec![f32::NEG_INFINITY]);
    // f32 results are the f64 results rounded once.
    let x = vec![0.3f32, 1.7, -4.2];
    let got = un(UnaryOp::Exp, x.clone());
    for (g, v) in got.iter().zip(&x) {
        assert_eq!(*g, (*v as f64).exp() as f32);
    }
    let r = run1(
        Op::Unary(UnaryOp::IsFinite),
        &[lit(
            vec![1.0f32, f32::INFINITY, f32::NAN, -0.0, f32::NEG_INFINITY],
            &[5],
        )],
        ty(DType::Bool, &[5]),
    );
    assert_eq!(
        r.to_vec::<bool>().unwrap(),
        vec![true, false, false, true, false]
    );
}

#[test]
fn erf_reference_values() {
    // High-precision reference values of erf.
    let table: [(f64, f64); 12] = [
        (1e-10, 1.128_379_167_095_512_6e-10),
        (0.1, 0.112_462_916_018_284_89),
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (1.5, 0.966_105_146_475_310_7),
        (2.0, 0.995_322_265_018_952_7),
        (2.9, 0.999_958_902_121_900_2),
        (3.0, 0.999_977_909_503_001_4),
        (3.5, 0.999_999_256_901_627_7),
        (4.0, 0.999_999_984_582_742_1),
        (5.0, 0.999_999_999_998_462_5),
        (6.5, 1.0),
    ];
    let xs: Vec<f64> = table.iter().map(|t| t.0).collect();
    let got = un(UnaryOp::Erf, xs.clone());
    for ((x, want), g) in table.iter().zip(&got) {
        let ulp = f64::EPSILON * want.abs();
        assert!(
            (g - want).abs() <= 4.0 * ulp,
            "erf({x}) = {g:e}, want {want:e}"
        );
    }
    let neg: Vec<f64> = xs.iter().map(|x| -x).collect();
    let got_neg = un(UnaryOp::Erf, neg);
    for (a, b) in got.iter().zip(&got_neg) {
        assert_eq!(*a, -*b);
    }
    let r = un(
        UnaryOp::Erf,
        vec![0.0f64, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN],
    );
    assert_eq!(r[0].to_bits(), 0);
    assert_eq!(r[1].to_bits(), (-0.0f64).to_bits());
    assert_eq!(r[2..4], [1.0, -1.0]);
    assert!(r[4].is_nan());
    // f32 erf is the f64 value rounded.
    let r = un(UnaryOp::Erf, vec![0.5f32, 1.0]);
    assert_eq!(r, vec![0.520_499_9f32, 0.842_700_8]);
}

#[test]
fn compare_is_ieee_and_typed() {
    let nan = f32::NAN;
    let a = vec![nan, nan, 1.0, -0.0, 1.0];
    let b = vec![nan, 1.0, nan, 0.0, 2.0];
    assert_eq!(
        cmp(CompareDir::Eq, a.clone(), b.clone()),
        vec![false, false, false, true, false]
    );
    assert_eq!(
        cmp(CompareDir::Ne, a.clone(), b.clone()),
        vec![true, true, true, false, true]
    );
    assert_eq!(
        cmp(CompareDir::Lt, a.clone(), b.clone()),
        vec![false, false, false, false, true]
    );
    assert_eq!(
        cmp(CompareDir::Le, a.clone(), b.clone()),
        vec![false, false, false, true, true]
    );
    assert_eq!(
        cmp(CompareDir::Gt, a.clone(), b.clone()),
        vec![false, false, false, false, false]
    );
    assert_eq!(
        cmp(CompareDir::Ge, a, b),
        vec![false, false, false, true, false]
    );
    assert_eq!(
        cmp(CompareDir::Gt, vec![u32::MAX, 0], vec![1, 1]),
        vec![true, false]
    );
    assert_eq!(
        cmp(CompareDir::Gt, vec![-1i32, 0], vec![1, 1]),
        vec![false, false]
    );
    assert_eq!(
        cmp(
            CompareDir::Lt,
            vec![false, true, false],
            vec![true, false, false]
        ),
        vec![true, false, false]
    );
    assert_eq!(
        cmp(
            CompareDir::Eq,
            vec![h16(1.0), h16(f32::NAN)],
            vec![h16(1.0), h16(f32::NAN)]
        ),
        vec![true, false]
    );
}

#[test]
fn select_and_clamp() {
    let t = lit(vec![1i32, 2, 3], &[3]);
    let f = lit(vec![10i32, 20, 30], &[3]);
    let p = lit(vec![true, false, true], &[3]);
    let r = run1(Op::Select, &[p, t.clone(), f.clone()], ty(DType::I32, &[3]));
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![1, 20, 3]);
    let r = run1(
        Op::Select,
        &[Literal::scalar(false), t, f],
        ty(DType::I32, &[3]),
    );
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![10, 20, 30]);
    // Spec example (clamp).
    let r = run1(
        Op::Clamp,
        &[
            lit(vec![5i32, 10, 15], &[3]),
            lit(vec![3i32, 13, 23], &[3]),
            lit(vec![10i32, 15, 20], &[3]),
        ],
        ty(DType::I32, &[3]),
    );
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![5, 13, 20]);
    let r = run1(
        Op::Clamp,
        &[
            Literal::scalar(-1.0f32),
            lit(vec![-5.0f32, 0.5, 7.0, f32::NAN], &[4]),
            Literal::scalar(1.0f32),
        ],
        ty(DType::F32, &[4]),
    );
    let v = r.to_vec::<f32>().unwrap();
    assert_eq!(v[..3], [-1.0, 0.5, 1.0]);
    assert!(v[3].is_nan());
}

#[test]
fn convert_float_to_int_truncates_saturates_and_zeroes_nan() {
    let x = vec![
        1.9f32,
        -1.9,
        f32::NAN,
        3e9,
        -3e9,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.5,
    ];
    assert_eq!(
        conv::<f32, i32>(x.clone()),
        vec![1, -1, 0, i32::MAX, i32::MIN, i32::MAX, i32::MIN, 0]
    );
    assert_eq!(
        conv::<f32, u8>(vec![-1.5, 300.0, 255.9, f32::NAN, 7.99]),
        vec![0, 255, 255, 0, 7]
    );
    assert_eq!(
        conv::<f64, i64>(vec![9.3e18, -9.3e18, 1e15 + 0.5]),
        vec![i64::MAX, i64::MIN, 1_000_000_000_000_000]
    );
    assert_eq!(conv::<f64, u64>(vec![1.9e19, -3.0]), vec![u64::MAX, 0]);
    assert_eq!(
        conv::<f16, i8>(vec![h16(200.0), h16(-200.0), h16(65504.0)]),
        vec![127, -128, 127]
    );
    assert_eq!(
        conv::<bf16, i16>(vec![bf16::from_f32(1e10), bf16::from_f32(-3.75)]),
        vec![i16::MAX, -3]
    );
}

#[test]
fn convert_bool_and_int() {
    assert_eq!(
        conv::<f32, bool>(vec![0.0, -0.0, 2.0, f32::NAN, 1e-45]),
        vec![false, false, true, true, true]
    );
    assert_eq!(conv::<bool, f32>(vec![true, false]), vec![1.0, 0.0]);
    assert_eq!(conv::<bool, i64>(vec![true, false]), vec![1, 0]);
    assert_eq!(conv::<i32, bool>(vec![0, -3]), vec![false, true]);
    assert_eq!(conv::<i32, i8>(vec![300, -129, 127]), vec![44, 127, 127]);
    assert_eq!(conv::<i32, u16>(vec![-1, 65536]), vec![65535, 0]);
    assert_eq!(conv::<u64, i64>(vec![u64::MAX]), vec![-1]);
    assert_eq!(conv::<i8, u64>(vec![-1]), vec![u64::MAX]);
    assert_eq!(conv::<u8, i32>(vec![255]), vec![255]);
}

#[test]
fn convert_to_float_rounds_once_to_nearest_even() {
    assert_eq!(
        conv::<i32, f32>(vec![16_777_217, 16_777_219, -5]),
        vec![16_777_216.0, 16_777_220.0, -5.0]
    );
    assert_eq!(
        conv::<u64, f64>(vec![u64::MAX]),
        vec![18_446_744_073_709_551_616.0]
    );
    // i64 -> bf16 rounds through f32 (as XLA does): 2^60 + 2^52 + 1 lies just above the
    // midpoint between two bf16 values, but f32 rounds it onto the midpoint, which then ties
    // to even (down).
    let x = (1i64 << 60) + (1 << 52) + 1;
    let r = conv::<i64, bf16>(vec![x, 3, -(1 << 20) - 1]);
    assert_eq!(r[0].to_f64(), 2f64.powi(60));
    assert_eq!(r[1].to_f32(), 3.0);
    assert_eq!(r[2].to_f32(), -1_048_576.0);
    // f64 -> bf16 likewise.
    let x = 1.0 + 2f64.powi(-8) + 2f64.powi(-30);
    assert_eq!(conv::<f64, bf16>(vec![x])[0].to_f32(), 1.0);
    assert_eq!(
        conv::<f64, bf16>(vec![1.0 + 2f64.powi(-8) + 2f64.powi(-20)])[0].to_f32(),
        1.0 + 2f32.powi(-7)
    );
    // i64 -> f16 and f64 -> f16 round once.
    let r = conv::<i64, f16>(vec![2049, 2051, 65519, 65520]);
    assert_eq!(r[0].to_f32(), 2048.0);
    assert_eq!(r[1].to_f32(), 2052.0);
    assert_eq!(r[2].to_f32(), 65504.0);
    assert!(r[3].is_infinite());
    // f64 -> f16: overflow threshold, subnormals, ties.
    let r = conv::<f64, f16>(vec![
        65519.0,
        65520.0,
        2f64.powi(-24),
        2f64.powi(-25),
        2f64.powi(-25) * 1.0001,
        -1e-10,
    ]);
    assert_eq!(r[0].to_f32(), 65504.0);
    assert!(r[1].is_infinite());
    assert_eq!(r[2].to_bits(), 1);
    assert_eq!(r[3].to_bits(), 0);
    assert_eq!(r[4].to_bits(), 1);
    assert_eq!(r[5].to_bits(), 0x8000);
    let r = conv::<f32, f64>(vec![0.1]);
    assert_eq!(r[0], 0.1f32 as f64);
    let r = conv::<f64, f32>(vec![0.1, 1e300, f64::NAN]);
    assert_eq!(r[..2], [0.1f32, f32::INFINITY]);
    assert!(r[2].is_nan());
    let r = conv::<f16, bf16>(vec![h16(1.5), h16(f32::NAN), h16(-0.0)]);
    assert_eq!(r[0].to_f32(), 1.5);
    assert!(r[1].is_nan());
    assert_eq!(r[2].to_bits(), 0x8000);
    // Every f16 survives a round trip through f32, f64 and back.
    let all: Vec<f16> = (0..=u16::MAX).map(f16::from_bits).collect();
    let back = conv::<f64, f16>(conv::<f16, f64>(all.clone()));
    for (a, b) in all.iter().zip(&back) {
        if a.is_nan() {
            assert!(b.is_nan());
        } else {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }
    let allb: Vec<bf16> = (0..=u16::MAX).map(bf16::from_bits).collect();
    let back = conv::<f32, bf16>(conv::<bf16, f32>(allb.clone()));
    for (a, b) in allb.iter().zip(&back) {
        assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
    }
}

#[test]
fn f32_to_f16_and_bf16_match_half_crate() {
    // half's f32 conversions are correctly rounded; ours must agree on a spread of values.
    let mut xs = Vec::new();
    let mut s = 0x1234_5678u32;
    for _ in 0..20000 {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let x = f32::from_bits(s);
        if !x.is_nan() {
            xs.push(x);
        }
    }
    let h = conv::<f32, f16>(xs.clone());
    let b = conv::<f32, bf16>(xs.clone());
    for (i, x) in xs.iter().enumerate() {
        assert_eq!(h[i].to_bits(), f16::from_f32(*x).to_bits(), "f16 of {x:e}");
        assert_eq!(
            b[i].to_bits(),
            bf16::from_f32(*x).to_bits(),
            "bf16 of {x:e}"
        );
    }
}

#[test]
fn bitcast_convert_reinterprets_bits() {
    let r = run1(
        Op::BitcastConvert,
        &[lit(vec![1.0f32, -0.0], &[2])],
        ty(DType::U32, &[2]),
    );
    assert_eq!(r.to_vec::<u32>().unwrap(), vec![0x3f80_0000, 0x8000_0000]);
    let r = run1(
        Op::BitcastConvert,
        &[lit(vec![-1i64], &[1])],
        ty(DType::U64, &[1]),
    );
    assert_eq!(r.to_vec::<u64>().unwrap(), vec![u64::MAX]);
    let r = run1(
        Op::BitcastConvert,
        &[lit(vec![0x7e00i16], &[1])],
        ty(DType::F16, &[1]),
    );
    assert!(r.to_vec::<f16>().unwrap()[0].is_nan());
    let r = run1(
        Op::BitcastConvert,
        &[Literal::scalar(0x3ff0_0000_0000_0000u64)],
        ty(DType::F64, &[]),
    );
    assert_eq!(r.to_vec::<f64>().unwrap(), vec![1.0]);
}

#[test]
fn bitcast_convert_across_widths_splits_little_endian() {
    // To a narrower type: a trailing axis of parts, least significant first (XLA's order on
    // CPU, and jax.lax.bitcast_convert_type's).
    let r = run1(
        Op::BitcastConvert,
        &[lit(vec![0x1111_2222_3333_4444u64, 5], &[2])],
        ty(DType::U32, &[2, 2]),
    );
    assert_eq!(
        r.to_vec::<u32>().unwrap(),
        vec![0x3333_4444, 0x1111_2222, 5, 0]
    );
    let r = run1(
        Op::BitcastConvert,
        &[lit(vec![1.0f32], &[1])],
        ty(DType::U8, &[1, 4]),
    );
    assert_eq!(r.to_vec::<u8>().unwrap(), vec![0, 0, 0x80, 0x3f]);
    // To a wider type: the trailing axis is consumed.
    let r = run1(
        Op::BitcastConvert,
        &[lit(vec![0u16, 0x3f80, 0, 0x4000], &[2, 2])],
        ty(DType::F32, &[2]),
    );
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
}

#[test]
fn iota_for_ints_and_floats() {
    let r = run1(Op::Iota { dim: 1 }, &[], ty(DType::I32, &[2, 3]));
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![0, 1, 2, 0, 1, 2]);
    let r = run1(Op::Iota { dim: 0 }, &[], ty(DType::F32, &[2, 3]));
    assert_eq!(
        r.to_vec::<f32>().unwrap(),
        vec![0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    );
    let r = run1(Op::Iota { dim: 0 }, &[], ty(DType::F16, &[3000]));
    let v = r.to_vec::<f16>().unwrap();
    assert_eq!(v[2049].to_f32(), 2048.0); // 2049 ties to even
    assert_eq!(v[2051].to_f32(), 2052.0);
    assert_eq!(v[2999].to_f32(), 3000.0);
    let r = run1(Op::Iota { dim: 0 }, &[], ty(DType::U8, &[300]));
    assert_eq!(r.to_vec::<u8>().unwrap()[299], 43); // wraps like convert
    let r = run1(Op::Iota { dim: 1 }, &[], ty(DType::I64, &[2, 0]));
    assert!(r.bytes().is_empty());
}

#[test]
fn scalars_and_zero_size() {
    let r = run1(
        Op::Binary(BinaryOp::Add),
        &[Literal::scalar(2i32), Literal::scalar(3i32)],
        ty(DType::I32, &[]),
    );
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![5]);
    let e = lit(Vec::<f32>::new(), &[0, 4]);
    let r = run1(
        Op::Binary(BinaryOp::Mul),
        &[e.clone(), e.clone()],
        ty(DType::F32, &[0, 4]),
    );
    assert_eq!(r.ty(), &ty(DType::F32, &[0, 4]));
    let r = run1(
        Op::Unary(UnaryOp::Exp),
        std::slice::from_ref(&e),
        ty(DType::F32, &[0, 4]),
    );
    assert!(r.bytes().is_empty());
    let r = run1(Op::Convert, &[e], ty(DType::I8, &[0, 4]));
    assert!(r.bytes().is_empty());
    let r = run1(
        Op::Unary(UnaryOp::Neg),
        &[Literal::scalar(f16::from_f32(2.0))],
        ty(DType::F16, &[]),
    );
    assert_eq!(r.to_vec::<f16>().unwrap()[0].to_f32(), -2.0);
}

#[test]
fn bad_types_are_errors() {
    let a = lit(vec![1i32, 2], &[2]);
    let b = lit(vec![1.0f32, 2.0], &[2]);
    assert!(run(
        Op::Binary(BinaryOp::Add),
        &[a.clone(), b.clone()],
        vec![ty(DType::I32, &[2])]
    )
    .is_err());
    assert!(run(
        Op::Unary(UnaryOp::Sqrt),
        std::slice::from_ref(&a),
        vec![ty(DType::I32, &[2])]
    )
    .is_err());
    // Declared result type that does not follow from the operands.
    assert!(run(
        Op::Binary(BinaryOp::Add),
        &[a.clone(), a.clone()],
        vec![ty(DType::I64, &[2])]
    )
    .is_err());
    assert!(run(
        Op::Binary(BinaryOp::Add),
        std::slice::from_ref(&a),
        vec![ty(DType::I32, &[2])]
    )
    .is_err());
    assert!(run(
        Op::BitcastConvert,
        std::slice::from_ref(&a),
        vec![ty(DType::I64, &[2])]
    )
    .is_err());
    assert!(run(Op::Unary(UnaryOp::PopCnt), &[b], vec![ty(DType::F32, &[2])]).is_err());
    let c = lit(vec![1i32, 2, 3], &[3]);
    assert!(run(
        Op::Compare(CompareDir::Eq),
        &[a, c],
        vec![ty(DType::Bool, &[2])]
    )
    .is_err());
}

#[test]
fn elementwise_is_fast_enough() {
    let n = 1_000_000;
    let a = lit((0..n).map(|i| i as f32 * 0.001).collect::<Vec<_>>(), &[n]);
    let b = lit((0..n).map(|i| 1.0 + i as f32).collect::<Vec<_>>(), &[n]);
    let t0 = std::time::Instant::now();
    let r = run1(
        Op::Binary(BinaryOp::Div),
        &[a.clone(), b],
        ty(DType::F32, &[n]),
    );
    let r2 = run1(Op::Unary(UnaryOp::Exp), &[a], ty(DType::F32, &[n]));
    let dt = t0.elapsed();
    assert_eq!(f32_bits(&r).len(), n);
    assert_eq!(r2.shape().numel(), n);
    // Generous bound (debug-ish test profile, shared machine): milliseconds, not seconds.
    assert!(dt.as_secs_f64() < 5.0, "took {dt:?}");
}
