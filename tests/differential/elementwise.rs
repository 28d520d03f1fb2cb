//! Elementwise ops: every unary and binary op and comparison direction on every dtype it is
//! defined for, plus select, clamp, convert, bitcast_convert, iota, constants and
//! parameters. Each case runs a scalar, a `[0, 3]` array and a `[n/4, 4]` array holding the
//! special values (every pair of them for binary ops) and pseudo-random ones.

use crate::support::*;
use ferrax::ir::{Literal, Op, Value};
use ferrax::{BinaryOp, CompareDir, DType, TensorType, UnaryOp};

/// Random elements added after the specials of a unary case.
const UNARY_RANDOM: usize = 1000;
/// Random pairs added after the pairs of specials of a binary case.
const BINARY_RANDOM: usize = 500;

/// Builds a graph applying `f` to the operands at three shapes (scalar, `[0, 3]`, main) and
/// runs it; `args[k]` holds one operand at the three shapes.
fn three_shapes(
    rep: &mut Report,
    ctx: &str,
    operands: &[[Literal; 3]],
    tol: Tol,
    f: impl Fn(&mut Builder, &[Value]) -> Value,
) {
    three_shapes_opts(rep, ctx, operands, tol, Opts::default(), f)
}

/// [`three_shapes`] with options.
fn three_shapes_opts(
    rep: &mut Report,
    ctx: &str,
    operands: &[[Literal; 3]],
    tol: Tol,
    opts: Opts,
    f: impl Fn(&mut Builder, &[Value]) -> Value,
) {
    let mut b = Builder::new();
    let mut args = Vec::new();
    let mut outs = Vec::new();
    let mut shown = Vec::new();
    for s in 0..3 {
        let ps: Vec<Value> = operands
            .iter()
            .map(|o| {
                args.push(o[s].clone());
                b.param(o[s].ty().clone())
            })
            .collect();
        shown.push((args.len() - operands.len()..args.len()).collect());
        outs.push(f(&mut b, &ps));
    }
    let g = b.finish(outs);
    rep.run_opts(ctx, &g, &args, &[tol], &shown, opts);
}

/// The three shapes of one operand from its main values (the scalar is `scalar`).
fn at_three(d: DType, scalar: u64, main: &[u64]) -> [Literal; 3] {
    assert!(main.len().is_multiple_of(4));
    [
        lit_bits(d, &[], &[scalar]),
        lit_bits(d, &[0, 3], &[]),
        lit_bits(d, &[main.len() / 4, 4], main),
    ]
}

fn unary_case(rep: &mut Report, op: UnaryOp, d: DType, tol: Tol) {
    unary_case_opts(rep, op, d, tol, Opts::default())
}

fn unary_case_opts(rep: &mut Report, op: UnaryOp, d: DType, tol: Tol, opts: Opts) {
    let ctx = format!("{} {d}", op.name());
    let mut rng = Rng::named(&ctx);
    let mut main = specials(d);
    let n = (main.len() + UNARY_RANDOM).next_multiple_of(4);
    while main.len() < n {
        main.push(random_bits(&mut rng, d));
    }
    let s = rng.pick(&main);
    three_shapes_opts(rep, &ctx, &[at_three(d, s, &main)], tol, opts, |b, p| {
        b.one(Op::Unary(op), &[p[0]], &[])
    });
}

fn binary_case(rep: &mut Report, op: BinaryOp, d: DType, tol: Tol) {
    binary_case_opts(rep, op, d, tol, Opts::default())
}

fn binary_case_opts(rep: &mut Report, op: BinaryOp, d: DType, tol: Tol, opts: Opts) {
    let ctx = format!("{} {d}", op.name());
    let mut rng = Rng::named(&ctx);
    let (a, bv) = pairs(&mut rng, d, d, BINARY_RANDOM);
    let i = rng.below(a.len() as u64) as usize;
    let ops = [at_three(d, a[i], &a), at_three(d, bv[i], &bv)];
    three_shapes_opts(rep, &ctx, &ops, tol, opts, |b, p| {
        b.one(Op::Binary(op), &[p[0], p[1]], &[])
    });
}

// ---------------------------------------------------------------------------------------
// Unary
// ---------------------------------------------------------------------------------------

/// Float unary ops whose result IEEE fixes: bit-exact on every float dtype.
#[test]
fn unary_float_exact() {
    let mut rep = Report::new("unary_float_exact");
    for op in [
        UnaryOp::Neg,
        UnaryOp::Abs,
        UnaryOp::Sign,
        UnaryOp::Sqrt,
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Round,
        UnaryOp::RoundEven,
        UnaryOp::IsFinite,
    ] {
        for d in FLOATS {
            unary_case(&mut rep, op, d, Tol::Exact);
        }
    }
    rep.finish();
}

/// Transcendental unary ops with their tolerances: `(op, f16/bf16, f32, f64)`, each with
/// the largest error observed (the reference is correctly rounded or within an ulp of it).
///
/// XLA computes most f16 and bf16 functions in f32 and rounds, so one ulp of the narrow type
/// covers the double rounding.
fn transcendental_tols() -> Vec<(UnaryOp, Tol, Tol, Tol)> {
    use UnaryOp::*;
    vec![
        // Observed maxima (f16, bf16, f32, f64): 0, 0, 1, 1 ulp.
        (Exp, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
        // 2, 0, 4, 3 ulp: XLA computes f16 expm1 in f16 near zero.
        (Expm1, Tol::Ulp(2), Tol::Ulp(4), Tol::Ulp(4)),
        // 0, 0, 1, 0 ulp.
        (Log, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
        // 1, 0, 2, 2 ulp.
        (Log1p, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
        // 1, 0, 1, 1 ulp.
        (Rsqrt, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
        // 2, 0, 15, 114 ulp: XLA computes cbrt as pow(|x|, 1/3) with the sign put back,
        // whose error grows with |log x| (the rounding of 1/3 is scaled by log x).
        (Cbrt, Tol::Ulp(2), Tol::Ulp(16), Tol::Ulp(128)),
        // 0, 0, 4, 6 ulp.
        (Tanh, Tol::Ulp(1), Tol::Ulp(4), Tol::Ulp(8)),
        // f16: 1 ulp, except that XLA evaluates f16 logistic as 1 / (1 + exp(-x)) in f16
        // (as JAX's own expansion does), so exp overflows for x < -11.1 and the result is 0
        // where the true one is a subnormal below 1.5e-5. bf16: 0, f32: 2, f64: 1 ulp.
        (Logistic, Tol::UlpOrAbs(1, 1.6e-5), Tol::Ulp(2), Tol::Ulp(2)),
        // 0, 0, 1, 0 ulp (XLA reduces large arguments exactly).
        (Sin, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
        (Cos, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
        (Tan, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
        // 0, 0, 3, 1 ulp.
        (Erf, Tol::Ulp(1), Tol::Ulp(4), Tol::Ulp(2)),
    ]
}

fn pick_tol(d: DType, narrow: Tol, f32t: Tol, f64t: Tol) -> Tol {
    match d {
        DType::F32 => f32t,
        DType::F64 => f64t,
        _ => narrow,
    }
}

/// Options of the transcendental cases: XLA:CPU's `cbrt`, `pow` and `atan2` give, for
/// subnormal inputs, results that are neither the IEEE ones nor those of the flush-to-zero
/// model (observed, also in JAX: `cbrt` of every f32 subnormal is about +-2^-50, as if the
/// input were 2^-150, and `cbrt(1e-45f32)` in JAX is even negative; `pow(1e-45f32, 0.5) =
/// 2^-75`; `atan2(1e-45f32, 1e-45f32)` is NaN and `atan2(5e-324, -1) = -pi`). Those
/// elements are not compared; every other input is.
fn transcendental_opts(skip_subnormal_inputs: bool) -> Opts {
    Opts {
        flush: true,
        skip_subnormal_inputs,
    }
}

#[test]
fn unary_float_transcendental() {
    let mut rep = Report::new("unary_float_transcendental");
    for (op, narrow, f32t, f64t) in transcendental_tols() {
        for d in FLOATS {
            let opts = transcendental_opts(op == UnaryOp::Cbrt);
            unary_case_opts(&mut rep, op, d, pick_tol(d, narrow, f32t, f64t), opts);
        }
    }
    rep.finish();
}

/// Integer and bool unary ops: bit-exact (ints wrap: `-MIN = MIN`, `|MIN| = MIN`).
#[test]
fn unary_int_bool() {
    let mut rep = Report::new("unary_int_bool");
    for d in INTS {
        for op in [
            UnaryOp::Neg,
            UnaryOp::Sign,
            UnaryOp::Not,
            UnaryOp::PopCnt,
            UnaryOp::Clz,
        ] {
            unary_case(&mut rep, op, d, Tol::Exact);
        }
        if d.is_signed_int() {
            unary_case(&mut rep, UnaryOp::Abs, d, Tol::Exact);
        }
    }
    unary_case(&mut rep, UnaryOp::Not, DType::Bool, Tol::Exact);
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// Binary
// ---------------------------------------------------------------------------------------

/// Float arithmetic IEEE fixes (`+ - * /`, `fmod`, maximum/minimum): bit-exact.
#[test]
fn binary_float_exact() {
    let mut rep = Report::new("binary_float_exact");
    for op in [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
        BinaryOp::Max,
        BinaryOp::Min,
    ] {
        for d in FLOATS {
            binary_case(&mut rep, op, d, Tol::Exact);
        }
    }
    rep.finish();
}

/// `pow` and `atan2`: `(op, f16/bf16, f32, f64)` tolerances; subnormal inputs are not
/// compared (see [`transcendental_opts`]).
#[test]
fn binary_float_transcendental() {
    let mut rep = Report::new("binary_float_transcendental");
    for (op, narrow, f32t, f64t) in [
        // Observed maxima (f16, bf16, f32, f64): 0, 0, 0, 0 ulp.
        (BinaryOp::Pow, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
        // 0, 0, 1, 0 ulp.
        (BinaryOp::Atan2, Tol::Ulp(1), Tol::Ulp(2), Tol::Ulp(2)),
    ] {
        for d in FLOATS {
            let tol = pick_tol(d, narrow, f32t, f64t);
            binary_case_opts(&mut rep, op, d, tol, transcendental_opts(true));
        }
    }
    rep.finish();
}

/// Integer arithmetic (wrapping; `x / 0 = -1`, `x % 0 = x`, `MIN / -1 = MIN`,
/// `MIN % -1 = 0`), pow, bitwise ops and shifts (amounts `>= width` included): bit-exact.
#[test]
fn binary_int() {
    let mut rep = Report::new("binary_int");
    for d in INTS {
        for op in BinaryOp::ALL {
            if op != BinaryOp::Atan2 {
                binary_case(&mut rep, op, d, Tol::Exact);
            }
        }
    }
    rep.finish();
}

/// Bool `and`/`or`/`xor` and `max`/`min` (lowered to or/and): bit-exact.
#[test]
fn binary_bool() {
    let mut rep = Report::new("binary_bool");
    for op in [
        BinaryOp::And,
        BinaryOp::Or,
        BinaryOp::Xor,
        BinaryOp::Max,
        BinaryOp::Min,
    ] {
        binary_case(&mut rep, op, DType::Bool, Tol::Exact);
    }
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// Compare, select, clamp
// ---------------------------------------------------------------------------------------

/// Every direction on every dtype (IEEE for floats: NaN unordered, `-0 == +0`), one program
/// per dtype: bit-exact.
#[test]
fn compare_all() {
    let mut rep = Report::new("compare_all");
    for d in ferrax::DType::ALL {
        let ctx = format!("compare {d}");
        let mut rng = Rng::named(&ctx);
        let (a, mut bv) = pairs(&mut rng, d, d, BINARY_RANDOM);
        // Equal operands are rare at random: make every fifth random pair equal.
        let ns = specials(d).len();
        for i in (ns * ns..a.len()).step_by(5) {
            bv[i] = a[i];
        }
        let i = rng.below(a.len() as u64) as usize;
        let ops = [at_three(d, a[i], &a), at_three(d, bv[i], &bv)];
        let mut m = Multi::new();
        for (s, (xa, ya)) in ops[0].iter().zip(&ops[1]).enumerate() {
            let x = m.input(xa.clone());
            let y = m.input(ya.clone());
            let k = m.last_arg();
            for dir in CompareDir::ALL {
                let c = m.one(Op::Compare(dir), &[x, y], &[]);
                m.out_shown(format!("{} shape {s}", dir.name()), c, vec![k - 1, k]);
            }
        }
        m.run(&mut rep, &ctx, &[Tol::Exact]);
    }
    rep.finish();
}

/// `select` with a scalar and with a full predicate, on every dtype: bit-exact.
#[test]
fn select_all() {
    let mut rep = Report::new("select_all");
    for d in ferrax::DType::ALL {
        let ctx = format!("select {d}");
        let mut rng = Rng::named(&ctx);
        let t = values(&mut rng, d, 64);
        let f: Vec<u64> = (0..64).map(|_| random_bits(&mut rng, d)).collect();
        let p: Vec<u64> = (0..64).map(|_| rng.below(2)).collect();
        let ops = [
            at_three(DType::Bool, 1, &p),
            at_three(d, t[0], &t),
            at_three(d, f[0], &f),
        ];
        three_shapes(&mut rep, &ctx, &ops, Tol::Exact, |b, q| {
            b.one(Op::Select, &[q[0], q[1], q[2]], &[])
        });
        // A scalar predicate for a non-scalar operand.
        for pv in [0u64, 1] {
            let mut b = Builder::new();
            let pp = b.param_of(DType::Bool, &[]);
            let tp = b.param_of(d, &[16, 4]);
            let fp = b.param_of(d, &[16, 4]);
            let o = b.one(Op::Select, &[pp, tp, fp], &[]);
            let g = b.finish(vec![o]);
            let args = [
                lit_bits(DType::Bool, &[], &[pv]),
                lit_bits(d, &[16, 4], &t),
                lit_bits(d, &[16, 4], &f),
            ];
            rep.run(
                &format!("{ctx} scalar pred {pv}"),
                &g,
                &args,
                &[Tol::Exact],
                &[],
            );
        }
    }
    rep.finish();
}

/// `clamp(lo, x, hi)` with scalar and full bounds (NaN bounds and `lo > hi` included) on
/// every numeric dtype: bit-exact.
#[test]
fn clamp_all() {
    let mut rep = Report::new("clamp_all");
    for d in ferrax::DType::ALL {
        let ctx = format!("clamp {d}");
        let mut rng = Rng::named(&ctx);
        let x = values(&mut rng, d, 256);
        let lo: Vec<u64> = (0..256).map(|_| random_bits(&mut rng, d)).collect();
        let mut hi: Vec<u64> = (0..256).map(|_| random_bits(&mut rng, d)).collect();
        // Mostly lo <= hi: swap where the random bounds are out of order, except every
        // seventh (lo > hi is defined as min(max(x, lo), hi) = hi).
        let lol = lit_bits(d, &[256], &lo);
        let mut lo2 = lo.clone();
        for i in 0..256 {
            let (a, b) = (lol.get_f64(i), lit_bits(d, &[], &[hi[i]]).get_f64(0));
            if a > b && i % 7 != 0 {
                std::mem::swap(&mut lo2[i], &mut hi[i]);
            }
        }
        let ops = [
            at_three(d, lo2[0], &lo2),
            at_three(d, x[0], &x),
            at_three(d, hi[0], &hi),
        ];
        three_shapes(&mut rep, &ctx, &ops, Tol::Exact, |b, q| {
            b.one(Op::Clamp, &[q[0], q[1], q[2]], &[])
        });
        // Scalar bounds around a full operand, some of them special (NaN, -0, inf).
        let sp = specials(d);
        for k in 0..4 {
            let (l, h) = (rng.pick(&sp), rng.pick(&sp));
            let mut b = Builder::new();
            let lp = b.param_of(d, &[]);
            let xp = b.param_of(d, &[64, 4]);
            let hp = b.param_of(d, &[]);
            let o = b.one(Op::Clamp, &[lp, xp, hp], &[]);
            let g = b.finish(vec![o]);
            let args = [
                lit_bits(d, &[], &[l]),
                lit_bits(d, &[64, 4], &x),
                lit_bits(d, &[], &[h]),
            ];
            rep.run(
                &format!("{ctx} scalar bounds #{k}"),
                &g,
                &args,
                &[Tol::Exact],
                &[vec![0, 1, 2]],
            );
        }
    }
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------

/// `convert` from every dtype to every dtype (one program per source dtype): bit-exact.
/// Float to float and int to float round to nearest even; float to int truncates, and for
/// NaN and out-of-range values the result is implementation-defined (see the interpreter's
/// docs for what XLA:CPU does and the reference reproduces).
#[test]
fn convert_all() {
    let mut rep = Report::new("convert_all");
    for from in ferrax::DType::ALL {
        let ctx = format!("convert {from}");
        let mut rng = Rng::named(&ctx);
        let mut main = specials(from);
        // Values near the integer ranges' ends and near rounding boundaries of narrower
        // floats, as floats.
        if from.is_float() {
            for v in [
                127.0,
                127.5,
                128.0,
                -128.5,
                -129.0,
                255.5,
                256.0,
                32767.5,
                -32768.9,
                65535.9,
                65536.0,
                2147483647.0,
                2147483648.0,
                -2147483649.0,
                4294967295.0,
                4294967296.0,
                9.223_372_036_854_776e18,
                -9.223_372_036_854_776e18,
                1.8446744073709552e19,
                -0.9,
                0.9,
                1.0 + 2f64.powi(-8),
                1.0 + 3.0 * 2f64.powi(-9),
                1.0 + 2f64.powi(-24),
                1.0 + 3.0 * 2f64.powi(-25),
                // Just above a bf16 tie by less than an f32 ulp: f64 -> bf16 directly rounds
                // up, through f32 (as XLA does) it rounds to even.
                1.0 + 2f64.powi(-8) + 2f64.powi(-30),
                -(1.0 + 2f64.powi(-8) + 2f64.powi(-30)),
                2049.0,
                16777217.0,
                65520.0,
                6.0e-8,
                3.0e-8,
                1.0e-40,
                1.0e-45,
                3.4028235677973366e38,
                3.4028236e38,
            ] {
                main.push(bits_of_f64(from, v));
            }
        } else if from != DType::Bool {
            for v in [
                16777217i128,
                16777219,
                -16777217,
                (1 << 53) + 1,
                (1 << 24) + 1,
                2049,
                257,
                65519,
                65520,
                i128::from(u32::MAX),
                // Above a bf16 tie by less than an f32 ulp (see above).
                (1 << 24) + (1 << 16) + 1,
                (1 << 40) + (1 << 32) + 1,
                -((1 << 24) + (1 << 16) + 1),
            ] {
                main.push(bits_of_int(from, v));
            }
        }
        let n = (main.len() + 600).next_multiple_of(4);
        while main.len() < n {
            main.push(random_bits(&mut rng, from));
        }
        let s = rng.pick(&main);
        let ops = at_three(from, s, &main);
        let mut m = Multi::new();
        for (k, x) in ops.iter().enumerate() {
            let xv = m.input(x.clone());
            let xi = m.last_arg();
            for to in ferrax::DType::ALL {
                let t = TensorType::new(to, x.shape().clone());
                let y = m.one(Op::Convert, &[xv], &[t]);
                m.out_shown(format!("->{to} shape {k}"), y, vec![xi]);
            }
        }
        m.run(&mut rep, &ctx, &[Tol::Exact]);
    }
    rep.finish();
}

/// `bitcast_convert` between every pair of non-bool dtypes: bit-exact (NaN payloads must
/// survive a float -> int reinterpretation, so integer results compare bits). Same width
/// keeps the shape; to a narrower type the parts land on a new trailing axis, least
/// significant first; to a wider type a trailing axis of exactly one element's parts is
/// consumed.
#[test]
fn bitcast_all() {
    let mut rep = Report::new("bitcast_all");
    let all: Vec<DType> = DType::ALL.into_iter().filter(|d| !d.is_bool()).collect();
    for &from in &all {
        let ctx = format!("bitcast {from}");
        let mut rng = Rng::named(&ctx);
        let mut main = specials(from);
        let n = (main.len() + 200).next_multiple_of(8);
        while main.len() < n {
            // Raw bit patterns: every NaN payload is fair game.
            main.push(rng.next_u64() & mask(width(from)));
        }
        let s = rng.pick(&main);
        let ops = at_three(from, s, &main);
        let mut m = Multi::new();
        for (k, x) in ops.iter().enumerate() {
            let xv = m.input(x.clone());
            let xi = m.last_arg();
            for &to in all.iter().filter(|t| t.byte_size() <= from.byte_size()) {
                let mut dims = x.shape().0.clone();
                if to.byte_size() < from.byte_size() {
                    dims.push(from.byte_size() / to.byte_size());
                }
                let t = TensorType::new(to, dims);
                let y = m.one(Op::BitcastConvert, &[xv], &[t]);
                m.out_shown(format!("->{to} shape {k}"), y, vec![xi]);
            }
        }
        // To wider types: the same values grouped into trailing axes of parts.
        for &to in all.iter().filter(|t| t.byte_size() > from.byte_size()) {
            let r = to.byte_size() / from.byte_size();
            let x = lit_bits(from, &[n / r, r], &main);
            let xv = m.input(x);
            let xi = m.last_arg();
            let y = m.one(Op::BitcastConvert, &[xv], &[TensorType::new(to, [n / r])]);
            m.out_shown(format!("->{to} from parts of {r}"), y, vec![xi]);
        }
        m.run(&mut rep, &ctx, &[Tol::Exact]);
    }
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// Iota, constants, parameters
// ---------------------------------------------------------------------------------------

/// `iota` on every non-bool dtype along each dim, including lengths that overflow i8/u8 and
/// exceed the exact integers of f16/bf16 (rounded to nearest even): bit-exact.
#[test]
fn iota_all() {
    let mut rep = Report::new("iota_all");
    for d in ferrax::DType::ALL {
        if d == DType::Bool {
            continue;
        }
        let mut b = Builder::new();
        let mut outs = Vec::new();
        for (shape, dim) in [
            (vec![3usize, 7], 0usize),
            (vec![3, 7], 1),
            (vec![0, 3], 1),
            (vec![2, 0, 4], 2),
            (vec![1], 0),
            (vec![700], 0),
            (vec![2, 3, 5], 1),
        ] {
            outs.push(b.one(Op::Iota { dim }, &[], &[TensorType::new(d, shape)]));
        }
        let g = b.finish(outs);
        rep.run(&format!("iota {d}"), &g, &[], &[Tol::Exact], &[]);
    }
    rep.finish();
}

/// Constants (splat and non-splat, scalar and zero-size, with NaN payloads, `-0` and
/// subnormals) and parameters returned as they are: bit-exact.
#[test]
fn constant_and_parameter_all() {
    let mut rep = Report::new("constant_and_parameter_all");
    for d in ferrax::DType::ALL {
        let ctx = format!("constant {d}");
        let mut rng = Rng::named(&ctx);
        let sp = specials(d);
        let mut main = sp.clone();
        while !main.len().is_multiple_of(4) {
            main.push(random_bits(&mut rng, d));
        }
        let lits = [
            lit_bits(d, &[], &[sp[0]]),
            lit_bits(d, &[], &[rng.pick(&sp)]),
            lit_bits(d, &[0, 3], &[]),
            lit_bits(d, &[main.len() / 4, 4], &main),
            lit_bits(d, &[5], &[sp[sp.len() - 1]; 5]),
            lit_bits(d, &[2, 2], &[sp[2 % sp.len()]; 4]),
        ];
        let mut b = Builder::new();
        let mut outs: Vec<Value> = lits.iter().map(|l| b.constant(l.clone())).collect();
        // Parameters returned directly.
        let ps: Vec<Value> = lits.iter().map(|l| b.param(l.ty().clone())).collect();
        outs.extend(&ps);
        let g = b.finish(outs);
        let got = rep.run(&ctx, &g, &lits, &[Tol::Exact], &[]);
        // The constants must also equal the literals they were built from, NaN bits included.
        if let Some(got) = got {
            for (i, l) in lits.iter().enumerate() {
                if got[i].bytes() != l.bytes() {
                    rep.fail(format!(
                        "{ctx} #{i}: constant {} came back as {:?}, want {:?}",
                        l.ty(),
                        got[i].bytes(),
                        l.bytes()
                    ));
                }
            }
        }
    }
    rep.finish();
}
