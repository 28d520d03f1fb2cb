//! Host evaluator: randomized bit-exact checks of elementwise ops against native Rust
//! arithmetic (floats: IEEE in the element type; integers: wrapping two's complement).

mod interp_support;

use ferrax_ir::{BinaryOp, CompareDir, DType, Element, Op, UnaryOp};
use half::{bf16, f16};
use interp_support::{lit, run1, ty};

/// A native f32 binary operation.
type F32Op = fn(f32, f32) -> f32;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn bin<T: Element>(op: BinaryOp, a: &[T], b: &[T]) -> Vec<T> {
    let n = a.len();
    run1(
        Op::Binary(op),
        &[lit(a.to_vec(), &[n]), lit(b.to_vec(), &[n])],
        ty(T::DTYPE, &[n]),
    )
    .to_vec::<T>()
    .unwrap()
}

fn same_f32(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn f32_arithmetic_is_bit_exact() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let n = 20_000;
    // Random bit patterns (all exponents, subnormals, infinities, NaNs) mixed with
    // moderate values so that sums and quotients are not all trivial.
    let gen = |r: &mut Rng| {
        if r.next().is_multiple_of(2) {
            f32::from_bits(r.next() as u32)
        } else {
            (r.next() % 2001) as f32 / 64.0 - 15.0
        }
    };
    let a: Vec<f32> = (0..n).map(|_| gen(&mut r)).collect();
    let b: Vec<f32> = (0..n).map(|_| gen(&mut r)).collect();
    let cases: [(BinaryOp, F32Op); 5] = [
        (BinaryOp::Add, |x, y| x + y),
        (BinaryOp::Sub, |x, y| x - y),
        (BinaryOp::Mul, |x, y| x * y),
        (BinaryOp::Div, |x, y| x / y),
        (BinaryOp::Rem, |x, y| x % y),
    ];
    for (op, f) in cases {
        let got = bin(op, &a, &b);
        for i in 0..n {
            let want = f(a[i], b[i]);
            assert!(
                same_f32(got[i], want),
                "{op:?}({:e}, {:e}) = {:e}, want {want:e}",
                a[i],
                b[i],
                got[i]
            );
        }
    }
    let got = run1(
        Op::Unary(UnaryOp::Sqrt),
        &[lit(a.clone(), &[n])],
        ty(DType::F32, &[n]),
    )
    .to_vec::<f32>()
    .unwrap();
    for i in 0..n {
        assert!(same_f32(got[i], a[i].sqrt()), "sqrt({:e})", a[i]);
    }
    let lt = run1(
        Op::Compare(CompareDir::Lt),
        &[lit(a.clone(), &[n]), lit(b.clone(), &[n])],
        ty(DType::Bool, &[n]),
    )
    .to_vec::<bool>()
    .unwrap();
    for i in 0..n {
        assert_eq!(lt[i], a[i] < b[i]);
    }
}

#[test]
fn half_types_match_compute_in_f32_and_round() {
    // XLA:CPU computes f16/bf16 arithmetic in f32 and rounds; the evaluator must agree.
    let mut r = Rng(0x1234_5678_9ABC_DEF1);
    let n = 20_000;
    let a: Vec<u16> = (0..n).map(|_| r.next() as u16).collect();
    let b: Vec<u16> = (0..n).map(|_| r.next() as u16).collect();
    let ops: [(BinaryOp, F32Op); 4] = [
        (BinaryOp::Add, |x, y| x + y),
        (BinaryOp::Sub, |x, y| x - y),
        (BinaryOp::Mul, |x, y| x * y),
        (BinaryOp::Div, |x, y| x / y),
    ];
    let ha: Vec<f16> = a.iter().map(|&x| f16::from_bits(x)).collect();
    let hb: Vec<f16> = b.iter().map(|&x| f16::from_bits(x)).collect();
    let ba: Vec<bf16> = a.iter().map(|&x| bf16::from_bits(x)).collect();
    let bb: Vec<bf16> = b.iter().map(|&x| bf16::from_bits(x)).collect();
    for (op, f) in ops {
        let got = bin(op, &ha, &hb);
        for i in 0..n {
            let want = f16::from_f32(f(ha[i].to_f32(), hb[i].to_f32()));
            assert!(
                got[i].to_bits() == want.to_bits() || (got[i].is_nan() && want.is_nan()),
                "f16 {op:?}({}, {})",
                ha[i],
                hb[i]
            );
        }
        let got = bin(op, &ba, &bb);
        for i in 0..n {
            let want = bf16::from_f32(f(ba[i].to_f32(), bb[i].to_f32()));
            assert!(
                got[i].to_bits() == want.to_bits() || (got[i].is_nan() && want.is_nan()),
                "bf16 {op:?}({}, {})",
                ba[i],
                bb[i]
            );
        }
    }
}

macro_rules! int_ops_match {
    ($name:ident, $t:ty, $u:ty) => {
        #[test]
        fn $name() {
            let mut r = Rng(0xDEAD_BEEF_CAFE_F00D ^ (std::mem::size_of::<$t>() as u64));
            let n = 5000;
            let mut a: Vec<$t> = (0..n).map(|_| r.next() as $t).collect();
            let mut b: Vec<$t> = (0..n).map(|_| r.next() as $t).collect();
            // Small values, zeros, -1 and extremes.
            for i in 0..n / 4 {
                b[i] = (r.next() % 5) as $t;
                a[4 * i % n] = <$t>::MIN;
                b[(4 * i + 1) % n] = (0 as $t).wrapping_sub(1);
            }
            let w = <$t>::BITS;
            let div = |x: $t, y: $t| {
                if y == 0 {
                    (0 as $t).wrapping_sub(1)
                } else {
                    x.wrapping_div(y)
                }
            };
            let rem = |x: $t, y: $t| if y == 0 { x } else { x.wrapping_rem(y) };
            let shl = |x: $t, y: $t| {
                let s = y as $u;
                if s >= w as $u {
                    0
                } else {
                    x.wrapping_shl(s as u32)
                }
            };
            let shr_l = |x: $t, y: $t| {
                let s = y as $u;
                if s >= w as $u {
                    0
                } else {
                    ((x as $u) >> s) as $t
                }
            };
            let shr_a = |x: $t, y: $t| {
                let s = y as $u;
                let sx = x as $u as <$u as Signed>::S;
                if s >= w as $u {
                    if sx < 0 {
                        (0 as $t).wrapping_sub(1)
                    } else {
                        0
                    }
                } else {
                    (sx >> s) as $t
                }
            };
            let cases: [(BinaryOp, &dyn Fn($t, $t) -> $t); 13] = [
                (BinaryOp::Add, &|x: $t, y: $t| x.wrapping_add(y)),
                (BinaryOp::Sub, &|x: $t, y: $t| x.wrapping_sub(y)),
                (BinaryOp::Mul, &|x: $t, y: $t| x.wrapping_mul(y)),
                (BinaryOp::Div, &div),
                (BinaryOp::Rem, &rem),
                (BinaryOp::Max, &|x: $t, y: $t| x.max(y)),
                (BinaryOp::Min, &|x: $t, y: $t| x.min(y)),
                (BinaryOp::And, &|x: $t, y: $t| x & y),
                (BinaryOp::Or, &|x: $t, y: $t| x | y),
                (BinaryOp::Xor, &|x: $t, y: $t| x ^ y),
                (BinaryOp::ShiftLeft, &shl),
                (BinaryOp::ShiftRightLogical, &shr_l),
                (BinaryOp::ShiftRightArithmetic, &shr_a),
            ];
            for (op, f) in cases {
                let got = bin(op, &a, &b);
                for i in 0..n {
                    assert_eq!(got[i], f(a[i], b[i]), "{op:?}({}, {})", a[i], b[i]);
                }
            }
            let small: Vec<$t> = b.iter().map(|&x| (x as $u % 70) as $t).collect();
            let got = bin(BinaryOp::Pow, &a, &small);
            for i in 0..n {
                let e = small[i] as u32;
                // XLA squares over the low 6 bits of the exponent.
                let want = a[i].wrapping_pow(e % 64);
                assert_eq!(got[i], want, "pow({}, {})", a[i], e);
            }
        }
    };
}

trait Signed {
    type S;
}
impl Signed for u8 {
    type S = i8;
}
impl Signed for u16 {
    type S = i16;
}
impl Signed for u32 {
    type S = i32;
}
impl Signed for u64 {
    type S = i64;
}

int_ops_match!(i8_ops_match_wrapping_rust, i8, u8);
int_ops_match!(i16_ops_match_wrapping_rust, i16, u16);
int_ops_match!(i32_ops_match_wrapping_rust, i32, u32);
int_ops_match!(i64_ops_match_wrapping_rust, i64, u64);
int_ops_match!(u8_ops_match_wrapping_rust, u8, u8);
int_ops_match!(u16_ops_match_wrapping_rust, u16, u16);
int_ops_match!(u32_ops_match_wrapping_rust, u32, u32);
int_ops_match!(u64_ops_match_wrapping_rust, u64, u64);

#[test]
fn float_to_int_conversion_matches_saturating_casts() {
    let mut r = Rng(42);
    let n = 10_000;
    let xs: Vec<f64> = (0..n)
        .map(|i| {
            let v = f64::from_bits(r.next());
            if i % 3 == 0 {
                v
            } else {
                (r.next() as i64 as f64) / (1u64 << (r.next() % 64)) as f64
            }
        })
        .collect();
    let l = lit(xs.clone(), &[n]);
    macro_rules! check {
        ($t:ty) => {{
            let got = run1(
                Op::Convert,
                std::slice::from_ref(&l),
                ty(<$t as Element>::DTYPE, &[n]),
            )
            .to_vec::<$t>()
            .unwrap();
            for i in 0..n {
                assert_eq!(got[i], xs[i] as $t, "{:e} as {}", xs[i], stringify!($t));
            }
        }};
    }
    check!(i8);
    check!(i16);
    check!(i32);
    check!(i64);
    check!(u8);
    check!(u16);
    check!(u32);
    check!(u64);
    let got = run1(Op::Convert, &[l], ty(DType::F32, &[n]))
        .to_vec::<f32>()
        .unwrap();
    for i in 0..n {
        assert!(same_f32(got[i], xs[i] as f32), "{:e} as f32", xs[i]);
    }
}
