//! Ops with regions or accumulations: reduce, reduce_window, dot_general, convolution, sort,
//! while and case.
//!
//! Integer accumulations, max/min bodies, sorting with a total order, and control flow with
//! exact bodies are bit-exact. Float sums, dot products and convolutions differ in
//! summation order (the reference accumulates in order, dot/convolution in f64 rounded
//! once; XLA accumulates in blocks and may keep f16/bf16 sums in f32), so they are compared
//! with the recursive-summation bound `|err| <= 2 * k * u * sum(|terms|)` (`k` terms, unit
//! roundoff `u`), which holds for both sides' errors together; the observed maxima are
//! printed as `MAXERR` lines.

use crate::support::*;
use ferrax::ir::{Literal, Op, Region, Value};
use ferrax::{
    BinaryOp, CompareDir, ConvAttrs, ConvDims, DType, DotDims, TensorType, UnaryOp, WindowAttrs,
};

/// Unit roundoff of a float dtype.
fn unit_roundoff(d: DType) -> f64 {
    2f64.powi(-(float_format(d).1 as i32 + 1))
}

/// Tolerance of a float accumulation of `k` terms whose absolute values sum to at most
/// `abs_sum`: `2 * k * u * abs_sum` absolute plus `2u` relative (the final rounding).
fn accum_tol(d: DType, k: usize, abs_sum: f64) -> Tol {
    if !d.is_float() {
        return Tol::Exact;
    }
    let u = unit_roundoff(d);
    Tol::Rel(2.0 * u, 2.0 * k.max(1) as f64 * u * abs_sum)
}

/// Uniform values in [-1, 1).
fn unit_lit(rng: &mut Rng, d: DType, shape: &[usize]) -> Literal {
    if d.is_float() {
        lit_with(rng, d, shape, |r| r.range(-1.0, 1.0))
    } else {
        random_lit(rng, d, shape)
    }
}

/// A scalar of `d` holding `v`.
fn scalar(d: DType, v: f64) -> Literal {
    Literal::scalar_f64(d, v)
}

/// The identity of max (lowest value) and min (highest value) of `d`.
fn lowest(d: DType) -> Literal {
    if d.is_float() {
        scalar(d, f64::NEG_INFINITY)
    } else if d.is_signed_int() {
        lit_bits(d, &[], &[bits_of_int(d, -(1i128 << (width(d) - 1)))])
    } else {
        lit_bits(d, &[], &[0])
    }
}

fn highest(d: DType) -> Literal {
    if d.is_float() {
        scalar(d, f64::INFINITY)
    } else if d.is_signed_int() {
        lit_bits(d, &[], &[bits_of_int(d, (1i128 << (width(d) - 1)) - 1)])
    } else {
        lit_bits(d, &[], &[mask(width(d))])
    }
}

fn reduce(m: &mut Multi, x: Value, init: Value, dims: &[usize], body: &Region) -> Value {
    m.one(
        Op::Reduce {
            dims: dims.to_vec(),
            body: body.clone(),
        },
        &[x, init],
        &[],
    )
}

// ---------------------------------------------------------------------------------------
// reduce
// ---------------------------------------------------------------------------------------

/// Integer sums and products (wrapping), max and min (floats with NaN and signed zeros:
/// IEEE maximum/minimum are associative and commutative, so the order does not matter) and
/// bool and/or, over every subset of dims, a zero-size and a scalar operand: bit-exact.
#[test]
fn reduce_exact() {
    let mut rep = Report::new("reduce_exact");
    let mut cases: Vec<(DType, BinaryOp, Literal)> = Vec::new();
    for d in [DType::I32, DType::U32, DType::I64, DType::I8] {
        cases.push((d, BinaryOp::Add, scalar(d, 0.0)));
        cases.push((d, BinaryOp::Mul, scalar(d, 1.0)));
    }
    for d in [
        DType::F32,
        DType::F64,
        DType::BF16,
        DType::F16,
        DType::I32,
        DType::U32,
    ] {
        cases.push((d, BinaryOp::Max, lowest(d)));
        cases.push((d, BinaryOp::Min, highest(d)));
    }
    cases.push((DType::Bool, BinaryOp::And, lit_bits(DType::Bool, &[], &[1])));
    cases.push((DType::Bool, BinaryOp::Or, lit_bits(DType::Bool, &[], &[0])));
    for (d, op, init) in cases {
        let ctx = format!("reduce {} {d}", op.name());
        let mut rng = Rng::named(&ctx);
        let body = binary_region(d, op);
        let mut m = Multi::new();
        let i = m.input(init);
        for (shape, dims) in [
            (vec![6usize, 5], vec![0usize]),
            (vec![6, 5], vec![1]),
            (vec![6, 5], vec![0, 1]),
            (vec![6, 5], vec![1, 0]),
            (vec![6, 5], vec![]),
            (vec![3, 4, 5], vec![0, 2]),
            (vec![0, 3], vec![0]),
            (vec![0, 3], vec![1]),
            (vec![], vec![]),
        ] {
            let x = m.input(random_lit(&mut rng, d, &shape));
            let y = reduce(&mut m, x, i, &dims, &body);
            m.out(format!("{shape:?} over {dims:?}"), y);
        }
        m.run(&mut rep, &ctx, &[Tol::Exact]);
    }
    rep.finish();
}

/// A variadic reduce: argmax as (max value, smallest index among the maxima), whose body
/// is associative and commutative (NaNs are never taken): bit-exact.
#[test]
fn reduce_variadic_argmax() {
    let mut rep = Report::new("reduce_variadic_argmax");
    for d in [DType::F32, DType::I32, DType::BF16] {
        let ctx = format!("reduce argmax {d}");
        let mut rng = Rng::named(&ctx);
        let it = DType::I32;
        let body = region(&[d, it, d, it], |b, p| {
            let (av, ai, xv, xi) = (p[0], p[1], p[2], p[3]);
            let gt = b.one(Op::Compare(CompareDir::Gt), &[xv, av], &[]);
            let eq = b.one(Op::Compare(CompareDir::Eq), &[xv, av], &[]);
            let lt = b.one(Op::Compare(CompareDir::Lt), &[xi, ai], &[]);
            let tie = b.one(Op::Binary(BinaryOp::And), &[eq, lt], &[]);
            let take = b.one(Op::Binary(BinaryOp::Or), &[gt, tie], &[]);
            let v = b.one(Op::Select, &[take, xv, av], &[]);
            let i = b.one(Op::Select, &[take, xi, ai], &[]);
            vec![v, i]
        });
        let mut m = Multi::new();
        let iv = m.input(lowest(d));
        let ii = m.input(lit_bits(it, &[], &[bits_of_int(it, -1)]));
        for (shape, dims) in [
            (vec![7usize, 9], vec![1usize]),
            (vec![7, 9], vec![0]),
            (vec![7, 9], vec![0, 1]),
            (vec![0, 4], vec![0]),
        ] {
            // Few distinct values, so ties are common.
            let vals = if d.is_float() {
                let sp = specials(d);
                let mut v = Vec::new();
                for _ in 0..shape.iter().product::<usize>() {
                    v.push(if rng.below(4) == 0 {
                        rng.pick(&sp)
                    } else {
                        bits_of_f64(d, rng.below(5) as f64)
                    });
                }
                lit_bits(d, &shape, &v)
            } else {
                lit_with(&mut rng, d, &shape, |r| r.below(5) as f64)
            };
            let x = m.input(vals);
            let n: usize = shape.iter().product();
            let idx: Vec<i128> = (0..n as i128).collect();
            // The index of each element along the reduced dims (row-major position).
            let xi = m.input(lit_bits(
                it,
                &shape,
                &idx.iter().map(|&k| bits_of_int(it, k)).collect::<Vec<_>>(),
            ));
            let ys = m.op(
                Op::Reduce {
                    dims: dims.clone(),
                    body: body.clone(),
                },
                &[x, xi, iv, ii],
                &[],
            );
            m.out(format!("{shape:?} over {dims:?} value"), ys[0]);
            m.out(format!("{shape:?} over {dims:?} index"), ys[1]);
        }
        m.run(&mut rep, &ctx, &[Tol::Exact]);
    }
    rep.finish();
}

/// Float sums: within the summation bound (values in [-1, 1), a few infinities and NaNs
/// in a separate input, which must match exactly).
#[test]
fn reduce_float_sum() {
    let mut rep = Report::new("reduce_float_sum");
    for d in FLOATS {
        let ctx = format!("reduce add {d}");
        let mut rng = Rng::named(&ctx);
        let body = binary_region(d, BinaryOp::Add);
        for (shape, dims) in [
            (vec![8usize, 64], vec![1usize]),
            (vec![64, 8], vec![0]),
            (vec![4, 16, 8], vec![0, 2]),
            (vec![0, 5], vec![0]),
            (vec![], vec![]),
        ] {
            let k: usize = dims.iter().map(|&a| shape[a]).product();
            let mut m = Multi::new();
            let i = m.input(scalar(d, 0.0));
            let x = m.input(unit_lit(&mut rng, d, &shape));
            let y = reduce(&mut m, x, i, &dims, &body);
            m.out("unit values", y);
            // Infinities and NaNs: +inf only, -inf and +inf, NaN.
            let n: usize = shape.iter().product();
            let sp = [
                bits_of_f64(d, f64::INFINITY),
                bits_of_f64(d, f64::NEG_INFINITY),
                bits_of_f64(d, f64::NAN),
            ];
            let mut v: Vec<u64> = (0..n)
                .map(|_| bits_of_f64(d, rng.range(-1.0, 1.0)))
                .collect();
            for (j, x) in v.iter_mut().enumerate() {
                if j % 11 == 3 {
                    *x = sp[rng.below(if j % 2 == 0 { 1 } else { 3 }) as usize];
                }
            }
            let x2 = m.input(lit_bits(d, &shape, &v));
            let y = reduce(&mut m, x2, i, &dims, &body);
            m.out("with inf/nan", y);
            m.run(
                &mut rep,
                &format!("{ctx} {shape:?} over {dims:?}"),
                &[accum_tol(d, k, k as f64)],
            );
        }
    }
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// reduce_window
// ---------------------------------------------------------------------------------------

fn window(
    dims: &[usize],
    strides: &[usize],
    base: &[usize],
    win: &[usize],
    padding: &[(i64, i64)],
) -> WindowAttrs {
    WindowAttrs {
        window_dimensions: dims.to_vec(),
        window_strides: strides.to_vec(),
        base_dilations: base.to_vec(),
        window_dilations: win.to_vec(),
        padding: padding.to_vec(),
    }
}

fn reduce_window(m: &mut Multi, x: Value, init: Value, w: WindowAttrs, body: &Region) -> Value {
    m.one(
        Op::ReduceWindow {
            window: w,
            body: body.clone(),
        },
        &[x, init],
        &[],
    )
}

/// Windowed max/min (floats with specials), integer sums with strides, dilations and
/// padding (identity init), a zero-size operand, windows covering only padding, and a
/// rank-0 operand: bit-exact.
#[test]
fn reduce_window_exact() {
    let mut rep = Report::new("reduce_window_exact");
    let mut cases: Vec<(DType, BinaryOp, Literal)> = Vec::new();
    for d in [DType::F32, DType::F64, DType::BF16, DType::I32] {
        cases.push((d, BinaryOp::Max, lowest(d)));
        cases.push((d, BinaryOp::Min, highest(d)));
    }
    for d in [DType::I32, DType::U32, DType::I64] {
        cases.push((d, BinaryOp::Add, scalar(d, 0.0)));
    }
    for (d, op, init) in cases {
        let ctx = format!("reduce_window {} {d}", op.name());
        let mut rng = Rng::named(&ctx);
        let body = binary_region(d, op);
        let mut m = Multi::new();
        let i = m.input(init);
        let configs: Vec<(Vec<usize>, WindowAttrs)> = vec![
            (
                vec![4, 6],
                window(&[2, 2], &[2, 2], &[1, 1], &[1, 1], &[(0, 0), (0, 0)]),
            ),
            (
                vec![5, 7],
                window(&[2, 3], &[2, 1], &[2, 1], &[1, 2], &[(1, 0), (2, 1)]),
            ),
            (
                vec![5, 7],
                window(&[3, 3], &[1, 1], &[1, 1], &[1, 1], &[(1, 1), (1, 1)]),
            ),
            (
                vec![0, 3],
                window(&[1, 2], &[1, 1], &[1, 1], &[1, 1], &[(0, 0), (0, 0)]),
            ),
            (vec![2], window(&[4], &[1], &[1], &[1], &[(1, 1)])),
            (vec![3], window(&[2], &[1], &[1], &[1], &[(3, 3)])),
            (vec![], window(&[], &[], &[], &[], &[])),
            (
                vec![2, 3, 4],
                window(
                    &[1, 2, 2],
                    &[1, 1, 2],
                    &[1, 2, 1],
                    &[1, 1, 1],
                    &[(0, 0), (0, 1), (1, 0)],
                ),
            ),
        ];
        for (shape, w) in configs {
            let x = m.input(random_lit(&mut rng, d, &shape));
            let label = format!("{shape:?} {w:?}");
            let y = reduce_window(&mut m, x, i, w, &body);
            m.out(label, y);
        }
        m.run(&mut rep, &ctx, &[Tol::Exact]);
    }
    rep.finish();
}

/// A non-identity init value with padding: the StableHLO spec pads with the init value (so
/// padded positions count it again); XLA and the reference skip padding and fold the init
/// value in once per window. Integer sums make the difference visible: bit-exact.
#[test]
fn reduce_window_non_identity_init() {
    let mut rep = Report::new("reduce_window_non_identity_init");
    let d = DType::I32;
    let body = binary_region(d, BinaryOp::Add);
    let mut m = Multi::new();
    let i = m.input(scalar(d, 10.0));
    let x = m.input(lit_with(&mut Rng::named("rw init"), d, &[4, 5], |r| {
        r.below(9) as f64
    }));
    let y = reduce_window(
        &mut m,
        x,
        i,
        window(&[3, 3], &[1, 2], &[1, 1], &[1, 1], &[(1, 1), (2, 0)]),
        &body,
    );
    m.out("sum init 10 padded", y);
    let y = reduce_window(
        &mut m,
        x,
        i,
        window(&[2, 2], &[1, 1], &[2, 2], &[1, 1], &[(0, 0), (0, 0)]),
        &body,
    );
    m.out("sum init 10 base-dilated", y);
    m.run(&mut rep, "reduce_window init", &[Tol::Exact]);
    rep.finish();
}

/// Float sum pooling: within the summation bound.
#[test]
fn reduce_window_float_sum() {
    let mut rep = Report::new("reduce_window_float_sum");
    for d in FLOATS {
        let ctx = format!("reduce_window add {d}");
        let mut rng = Rng::named(&ctx);
        let body = binary_region(d, BinaryOp::Add);
        let mut m = Multi::new();
        let i = m.input(scalar(d, 0.0));
        let x = m.input(unit_lit(&mut rng, d, &[2, 9, 9]));
        let y = reduce_window(
            &mut m,
            x,
            i,
            window(
                &[1, 3, 3],
                &[1, 2, 2],
                &[1, 1, 1],
                &[1, 1, 1],
                &[(0, 0), (1, 1), (1, 1)],
            ),
            &body,
        );
        m.out("3x3 stride 2", y);
        let y = reduce_window(
            &mut m,
            x,
            i,
            window(
                &[2, 4, 2],
                &[1, 1, 3],
                &[1, 1, 1],
                &[1, 2, 1],
                &[(0, 0), (0, 0), (0, 0)],
            ),
            &body,
        );
        m.out("2x4x2 dilated", y);
        m.run(&mut rep, &ctx, &[accum_tol(d, 16, 16.0)]);
    }
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// dot_general
// ---------------------------------------------------------------------------------------

fn dd(lb: &[usize], rb: &[usize], lc: &[usize], rc: &[usize]) -> DotDims {
    DotDims {
        lhs_batch: lb.to_vec(),
        rhs_batch: rb.to_vec(),
        lhs_contract: lc.to_vec(),
        rhs_contract: rc.to_vec(),
    }
}

/// The dot configurations: `(lhs shape, rhs shape, dims, contracted size)`.
fn dot_configs() -> Vec<(Vec<usize>, Vec<usize>, DotDims, usize)> {
    vec![
        (vec![3, 4], vec![4, 5], dd(&[], &[], &[1], &[0]), 4),
        (vec![2, 3, 4], vec![2, 4, 5], dd(&[0], &[0], &[2], &[1]), 4),
        (vec![7], vec![7], dd(&[], &[], &[0], &[0]), 7),
        (vec![3], vec![4], dd(&[], &[], &[], &[]), 1),
        (vec![3, 0], vec![0, 5], dd(&[], &[], &[1], &[0]), 0),
        (vec![0, 4], vec![4, 2], dd(&[], &[], &[1], &[0]), 4),
        (
            vec![2, 3, 4],
            vec![3, 4, 5],
            dd(&[], &[], &[1, 2], &[0, 1]),
            12,
        ),
        (vec![4, 3], vec![5, 4], dd(&[], &[], &[0], &[1]), 4),
        (
            vec![3, 2, 33],
            vec![2, 33, 3],
            dd(&[1], &[0], &[2], &[1]),
            33,
        ),
    ]
}

/// Integer dots (wrapping, also into a wider declared result) are bit-exact; float dots
/// (f16/bf16 also into an f32 result) are within the summation bound.
#[test]
fn dot_general_all() {
    let mut rep = Report::new("dot_general_all");
    let pairs: [(DType, DType); 9] = [
        (DType::F32, DType::F32),
        (DType::F64, DType::F64),
        (DType::F16, DType::F16),
        (DType::BF16, DType::BF16),
        (DType::BF16, DType::F32),
        (DType::I32, DType::I32),
        (DType::U32, DType::U32),
        (DType::I8, DType::I32),
        (DType::I64, DType::I64),
    ];
    for (d, out) in pairs {
        let ctx = format!("dot_general {d}->{out}");
        let mut rng = Rng::named(&ctx);
        let mut m = Multi::new();
        let mut kmax = 1;
        for (ls, rs, dims, k) in dot_configs() {
            kmax = kmax.max(k);
            let l = m.input(unit_lit(&mut rng, d, &ls));
            let r = m.input(unit_lit(&mut rng, d, &rs));
            let res =
                ferrax::ir::rules::dot_general(&dims, &tt(d, &ls), &tt(d, &rs)).expect("valid dot");
            let label = format!("{ls:?} x {rs:?} {dims:?}");
            let y = m.one(
                Op::DotGeneral(dims),
                &[l, r],
                &[TensorType::new(out, res.shape)],
            );
            m.out(label, y);
        }
        // |a|, |b| < 1: the products' absolute values sum to less than k; the bound uses the
        // input precision (the products of f16/bf16 are exact in the f32 result).
        let u = if d.is_float() {
            unit_roundoff(d).min(unit_roundoff(out))
        } else {
            0.0
        };
        let tol = if out.is_float() {
            Tol::Rel(2.0 * u, 2.0 * (kmax * kmax) as f64 * u)
        } else {
            Tol::Exact
        };
        m.run(&mut rep, &ctx, &[tol]);
    }
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// convolution
// ---------------------------------------------------------------------------------------

struct ConvCase {
    label: &'static str,
    input: Vec<usize>,
    kernel: Vec<usize>,
    attrs: ConvAttrs,
    /// Terms per output element.
    k: usize,
}

fn nchw(ns: usize) -> ConvDims {
    let sp: Vec<usize> = (2..2 + ns).collect();
    ConvDims {
        input_batch: 0,
        input_feature: 1,
        input_spatial: sp.clone(),
        kernel_output_feature: 0,
        kernel_input_feature: 1,
        kernel_spatial: sp.clone(),
        output_batch: 0,
        output_feature: 1,
        output_spatial: sp,
    }
}

#[allow(clippy::too_many_arguments)]
fn conv(
    strides: &[usize],
    padding: &[(i64, i64)],
    lhs_dil: &[usize],
    rhs_dil: &[usize],
    fg: usize,
    bg: usize,
    dims: ConvDims,
) -> ConvAttrs {
    ConvAttrs {
        window_strides: strides.to_vec(),
        padding: padding.to_vec(),
        lhs_dilation: lhs_dil.to_vec(),
        rhs_dilation: rhs_dil.to_vec(),
        feature_group_count: fg,
        batch_group_count: bg,
        dims,
    }
}

fn conv_cases() -> Vec<ConvCase> {
    vec![
        ConvCase {
            label: "2-d NCHW/OIHW, padding 1",
            input: vec![2, 3, 6, 6],
            kernel: vec![4, 3, 3, 3],
            attrs: conv(&[1, 1], &[(1, 1), (1, 1)], &[1, 1], &[1, 1], 1, 1, nchw(2)),
            k: 27,
        },
        ConvCase {
            label: "strides, dilations, feature groups",
            input: vec![1, 4, 5, 7],
            kernel: vec![4, 2, 2, 3],
            attrs: conv(&[2, 1], &[(1, 0), (0, 2)], &[1, 2], &[2, 1], 2, 1, nchw(2)),
            k: 12,
        },
        ConvCase {
            label: "1-d, batch groups",
            input: vec![4, 3, 5],
            kernel: vec![2, 3, 2],
            attrs: conv(&[1], &[(0, 0)], &[1], &[1], 1, 2, nchw(1)),
            k: 6,
        },
        ConvCase {
            label: "NHWC/HWIO",
            input: vec![1, 5, 5, 2],
            kernel: vec![3, 3, 2, 4],
            attrs: conv(
                &[1, 2],
                &[(1, 1), (0, 0)],
                &[1, 1],
                &[1, 1],
                1,
                1,
                ConvDims {
                    input_batch: 0,
                    input_feature: 3,
                    input_spatial: vec![1, 2],
                    kernel_input_feature: 2,
                    kernel_output_feature: 3,
                    kernel_spatial: vec![0, 1],
                    output_batch: 0,
                    output_feature: 3,
                    output_spatial: vec![1, 2],
                },
            ),
            k: 18,
        },
        ConvCase {
            label: "negative padding",
            input: vec![1, 2, 6],
            kernel: vec![3, 2, 2],
            attrs: conv(&[1], &[(-1, -2)], &[1], &[1], 1, 1, nchw(1)),
            k: 4,
        },
        ConvCase {
            label: "zero-size batch",
            input: vec![0, 3, 4, 4],
            kernel: vec![2, 3, 2, 2],
            attrs: conv(&[1, 1], &[(0, 0), (0, 0)], &[1, 1], &[1, 1], 1, 1, nchw(2)),
            k: 12,
        },
    ]
}

/// Integer convolutions are bit-exact; float ones within the summation bound.
#[test]
fn convolution_all() {
    let mut rep = Report::new("convolution_all");
    for d in [
        DType::F32,
        DType::F64,
        DType::BF16,
        DType::I32,
        DType::U32,
        DType::I8,
    ] {
        let ctx = format!("convolution {d}");
        let mut rng = Rng::named(&ctx);
        let mut m = Multi::new();
        let mut kmax = 1;
        for c in conv_cases() {
            kmax = kmax.max(c.k);
            let x = m.input(unit_lit(&mut rng, d, &c.input));
            let w = m.input(unit_lit(&mut rng, d, &c.kernel));
            let y = m.one(Op::Convolution(c.attrs), &[x, w], &[]);
            m.out(c.label, y);
        }
        let tol = if d.is_float() {
            let u = unit_roundoff(d);
            Tol::Rel(2.0 * u, 2.0 * (kmax * kmax) as f64 * u)
        } else {
            Tol::Exact
        };
        m.run(&mut rep, &ctx, &[tol]);
    }
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// sort
// ---------------------------------------------------------------------------------------

/// `key(a) < key(b)` for scalars of `d`: integers compare as they are; floats by IEEE
/// totalOrder (`-NaN < -inf < ... < -0 < +0 < ... < +inf < +NaN`), through the integer
/// key `bits ^ 0x7fff..` for negative bit patterns (JAX's float sort key), which makes the
/// result independent of how the sort handles an inconsistent comparator.
fn total_less(b: &mut Builder, d: DType, x: Value, y: Value, descending: bool) -> Value {
    let (x, y) = if descending { (y, x) } else { (x, y) };
    if !d.is_float() {
        return b.one(Op::Compare(CompareDir::Lt), &[x, y], &[]);
    }
    let it = match d.byte_size() {
        2 => DType::I16,
        4 => DType::I32,
        _ => DType::I64,
    };
    let flip = b.constant(lit_bits(it, &[], &[mask(width(it) - 1)]));
    let zero = b.constant(lit_bits(it, &[], &[0]));
    let key = |b: &mut Builder, v: Value| -> Value {
        let i = b.one(Op::BitcastConvert, &[v], &[TensorType::scalar(it)]);
        let neg = b.one(Op::Compare(CompareDir::Lt), &[i, zero], &[]);
        let f = b.one(Op::Binary(BinaryOp::Xor), &[i, flip], &[]);
        b.one(Op::Select, &[neg, f, i], &[])
    };
    let (kx, ky) = (key(b, x), key(b, y));
    b.one(Op::Compare(CompareDir::Lt), &[kx, ky], &[])
}

/// Sorting by a total order (ascending and descending, along each dim, stable with a
/// payload of positions so ties keep their order, unstable on distinct keys), zero-size
/// and one-element operands: bit-exact.
#[test]
fn sort_all() {
    let mut rep = Report::new("sort_all");
    for d in [
        DType::F32,
        DType::F64,
        DType::BF16,
        DType::I32,
        DType::U32,
        DType::I8,
    ] {
        let ctx = format!("sort {d}");
        let mut rng = Rng::named(&ctx);
        let mut m = Multi::new();
        for descending in [false, true] {
            let cmp1 = region(&[d, d], |b, p| {
                vec![total_less(b, d, p[0], p[1], descending)]
            });
            let it = DType::I32;
            let cmp2 = region(&[d, d, it, it], |b, p| {
                vec![total_less(b, d, p[0], p[1], descending)]
            });
            for (shape, dim) in [
                (vec![40usize], 0usize),
                (vec![6, 7], 0),
                (vec![6, 7], 1),
                (vec![0, 3], 1),
                (vec![1], 0),
            ] {
                // Keys with many repeats (ties) and the specials.
                let n: usize = shape.iter().product();
                let sp = specials(d);
                let keys: Vec<u64> = (0..n)
                    .map(|_| {
                        if rng.below(3) == 0 {
                            rng.pick(&sp)
                        } else if d.is_float() {
                            bits_of_f64(d, rng.below(4) as f64 - 1.0)
                        } else {
                            bits_of_int(d, rng.below(4) as i128)
                        }
                    })
                    .collect();
                let x = m.input(lit_bits(d, &shape, &keys));
                let pos: Vec<u64> = (0..n as u64).collect();
                let p = m.input(lit_bits(it, &shape, &pos));
                let tag = format!("{shape:?} dim {dim} desc {descending}");
                let ys = m.op(
                    Op::Sort {
                        dim,
                        stable: true,
                        comparator: cmp2.clone(),
                    },
                    &[x, p],
                    &[],
                );
                m.out(format!("{tag} stable keys"), ys[0]);
                m.out(format!("{tag} stable payload"), ys[1]);
                let y = m.one(
                    Op::Sort {
                        dim,
                        stable: false,
                        comparator: cmp1.clone(),
                    },
                    &[x],
                    &[],
                );
                m.out(format!("{tag} unstable keys"), y);
            }
        }
        m.run(&mut rep, &ctx, &[Tol::Exact]);
    }
    rep.finish();
}

// ---------------------------------------------------------------------------------------
// while, case
// ---------------------------------------------------------------------------------------

/// A counted loop whose trip count is a parameter (negative, zero, small, larger), carrying
/// an f32 vector (`v = v * 2 - 1`: one rounding per op, as IEEE fixes it), a zero-size
/// array, a wrapping u32 (`a = a * 3 + 1`), a bf16 scalar and an f64 vector
/// (`v = sqrt(v) + v`): bit-exact.
#[test]
fn while_loop() {
    let mut rep = Report::new("while_loop");
    let types = [
        tt(DType::I32, &[]),
        tt(DType::I32, &[]),
        tt(DType::F32, &[3]),
        tt(DType::F32, &[0, 3]),
        tt(DType::U32, &[]),
        tt(DType::BF16, &[]),
        tt(DType::F64, &[2]),
    ];
    let params =
        |b: &mut Builder| -> Vec<Value> { types.iter().map(|t| b.param(t.clone())).collect() };
    let cond = {
        let mut b = Builder::new();
        let p = params(&mut b);
        let c = b.one(Op::Compare(CompareDir::Lt), &[p[0], p[1]], &[]);
        std::sync::Arc::new(b.finish(vec![c]))
    };
    let body = {
        let mut b = Builder::new();
        let p = params(&mut b);
        let one_i = b.constant(Literal::scalar(1i32));
        let i = b.one(Op::Binary(BinaryOp::Add), &[p[0], one_i], &[]);
        let two = b.constant(Literal::from_vec(vec![2.0f32; 3], [3]).unwrap());
        let one = b.constant(Literal::from_vec(vec![1.0f32; 3], [3]).unwrap());
        let v2 = b.one(Op::Binary(BinaryOp::Mul), &[p[2], two], &[]);
        let v = b.one(Op::Binary(BinaryOp::Sub), &[v2, one], &[]);
        let z = b.one(Op::Unary(UnaryOp::Neg), &[p[3]], &[]);
        let three = b.constant(Literal::scalar(3u32));
        let one_u = b.constant(Literal::scalar(1u32));
        let a3 = b.one(Op::Binary(BinaryOp::Mul), &[p[4], three], &[]);
        let a = b.one(Op::Binary(BinaryOp::Add), &[a3, one_u], &[]);
        let h = b.constant(Literal::scalar_f64(DType::BF16, 1.5));
        let s = b.one(Op::Binary(BinaryOp::Mul), &[p[5], h], &[]);
        let r = b.one(Op::Unary(UnaryOp::Sqrt), &[p[6]], &[]);
        let e = b.one(Op::Binary(BinaryOp::Add), &[r, p[6]], &[]);
        std::sync::Arc::new(b.finish(vec![i, p[1], v, z, a, s, e]))
    };
    let mut b = Builder::new();
    let ps = params(&mut b);
    let outs = b.node(Op::While { cond, body }, &ps, &[]);
    let g = b.finish(outs);
    let mut rng = Rng::named("while");
    for limit in [-5i32, 0, 1, 7, 40, 200] {
        let args = vec![
            Literal::scalar(0i32),
            Literal::scalar(limit),
            unit_lit(&mut rng, DType::F32, &[3]),
            Literal::zeros(tt(DType::F32, &[0, 3])),
            Literal::scalar(u32::MAX - 5),
            Literal::scalar_f64(DType::BF16, 0.7),
            Literal::from_vec(vec![2.0f64, 0.1], [2]).unwrap(),
        ];
        rep.run(
            &format!("while limit {limit}"),
            &g,
            &args,
            &[Tol::Exact],
            &[],
        );
    }
    rep.finish();
}

/// `case` with three branches of different exact bodies over f32, i32, zero-size bf16, f64
/// and u32 operands, the index a parameter (in range, negative, too large: the last branch runs):
/// bit-exact.
#[test]
fn case_all() {
    let mut rep = Report::new("case_all");
    let types = [
        tt(DType::F32, &[4]),
        tt(DType::I32, &[]),
        tt(DType::BF16, &[0, 2]),
        tt(DType::F64, &[2, 2]),
        tt(DType::U32, &[3]),
    ];
    let branch = |k: usize| -> Region {
        let mut b = Builder::new();
        let p: Vec<Value> = types.iter().map(|t| b.param(t.clone())).collect();
        let outs = match k {
            0 => {
                let x = b.one(Op::Binary(BinaryOp::Add), &[p[0], p[0]], &[]);
                let one = b.constant(Literal::scalar(1i32));
                let y = b.one(Op::Binary(BinaryOp::Sub), &[p[1], one], &[]);
                let w = b.one(Op::Unary(UnaryOp::Sqrt), &[p[3]], &[]);
                vec![x, y, p[2], w, p[4]]
            }
            1 => {
                let x = b.one(Op::Binary(BinaryOp::Mul), &[p[0], p[0]], &[]);
                let y = b.one(Op::Binary(BinaryOp::Mul), &[p[1], p[1]], &[]);
                let z = b.one(Op::Unary(UnaryOp::Neg), &[p[2]], &[]);
                let u = b.one(Op::Unary(UnaryOp::Not), &[p[4]], &[]);
                vec![x, y, z, p[3], u]
            }
            _ => {
                let x = b.one(Op::Unary(UnaryOp::Floor), &[p[0]], &[]);
                let y = b.one(Op::Unary(UnaryOp::Not), &[p[1]], &[]);
                let w = b.one(Op::Binary(BinaryOp::Div), &[p[3], p[3]], &[]);
                let u = b.one(Op::Binary(BinaryOp::Add), &[p[4], p[4]], &[]);
                vec![x, y, p[2], w, u]
            }
        };
        std::sync::Arc::new(b.finish(outs))
    };
    let mut b = Builder::new();
    let idx = b.param_of(DType::I32, &[]);
    let mut ops = vec![idx];
    ops.extend(types.iter().map(|t| b.param(t.clone())));
    let outs = b.node(
        Op::Case {
            branches: vec![branch(0), branch(1), branch(2)],
        },
        &ops,
        &[],
    );
    let g = b.finish(outs);
    let mut rng = Rng::named("case");
    for k in [0i32, 1, 2, 3, -1, 100, i32::MIN, i32::MAX] {
        let args = vec![
            Literal::scalar(k),
            random_lit(&mut rng, DType::F32, &[4]),
            random_lit(&mut rng, DType::I32, &[]),
            Literal::zeros(tt(DType::BF16, &[0, 2])),
            random_lit(&mut rng, DType::F64, &[2, 2]),
            random_lit(&mut rng, DType::U32, &[3]),
        ];
        rep.run(&format!("case index {k}"), &g, &args, &[Tol::Exact], &[]);
    }
    rep.finish();
}
