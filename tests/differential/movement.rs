//! Data-movement ops: broadcast_in_dim, reshape, transpose, slice, dynamic_slice,
//! dynamic_update_slice, concatenate, pad, gather and scatter. Every result is bit-exact
//! (these ops only copy elements). Each test builds one program per dtype holding several
//! configurations (scalars and zero-size arrays among them); index operands are parameters
//! too and take out-of-range, negative and extreme values.

use crate::support::*;
use ferrax::ir::{Literal, Op, Value};
use ferrax::{BinaryOp, DType, GatherDims, ScatterDims};

/// An operand of `d[shape]` with specials and random values.
fn data(rng: &mut Rng, d: DType, shape: &[usize]) -> Literal {
    random_lit(rng, d, shape)
}

/// A scalar integer literal of `d` holding `v` (wrapped).
fn int_scalar(d: DType, v: i128) -> Literal {
    lit_bits(d, &[], &[bits_of_int(d, v)])
}

/// An integer literal of `d[shape]` holding `vals` (wrapped).
fn ints(d: DType, shape: &[usize], vals: &[i128]) -> Literal {
    let bits: Vec<u64> = vals.iter().map(|&v| bits_of_int(d, v)).collect();
    lit_bits(d, shape, &bits)
}

#[test]
fn broadcast_in_dim_all() {
    let mut rep = Report::new("broadcast_in_dim_all");
    for d in MOVE_DTYPES {
        let mut rng = Rng::named(&format!("broadcast {d}"));
        let mut m = Multi::new();
        for (from, to, dims) in [
            (vec![], vec![], vec![]),
            (vec![], vec![2usize, 3], vec![]),
            (vec![3], vec![2, 3], vec![1usize]),
            (vec![3], vec![3, 2], vec![0]),
            (vec![2, 1], vec![2, 4], vec![0, 1]),
            (vec![1, 3], vec![0, 3], vec![0, 1]),
            (vec![0, 3], vec![2, 0, 3], vec![1, 2]),
            (vec![2, 3], vec![3, 4, 2], vec![2, 0]),
            (vec![1], vec![5], vec![0]),
        ] {
            let x = m.input(data(&mut rng, d, &from));
            let y = m.one(
                Op::BroadcastInDim { dims: dims.clone() },
                &[x],
                &[tt(d, &to)],
            );
            m.out(format!("{from:?}->{to:?} dims {dims:?}"), y);
        }
        m.run(&mut rep, &format!("broadcast_in_dim {d}"), &[Tol::Exact]);
    }
    rep.finish();
}

#[test]
fn reshape_all() {
    let mut rep = Report::new("reshape_all");
    for d in MOVE_DTYPES {
        let mut rng = Rng::named(&format!("reshape {d}"));
        let mut m = Multi::new();
        for (from, to) in [
            (vec![], vec![1usize, 1]),
            (vec![1, 1], vec![]),
            (vec![2, 3, 4], vec![6, 4]),
            (vec![2, 3, 4], vec![4, 6]),
            (vec![2, 3, 4], vec![24]),
            (vec![24], vec![2, 1, 12]),
            (vec![0, 3], vec![3, 0, 5]),
        ] {
            let x = m.input(data(&mut rng, d, &from));
            let y = m.one(Op::Reshape, &[x], &[tt(d, &to)]);
            m.out(format!("{from:?}->{to:?}"), y);
        }
        m.run(&mut rep, &format!("reshape {d}"), &[Tol::Exact]);
    }
    rep.finish();
}

#[test]
fn transpose_all() {
    let mut rep = Report::new("transpose_all");
    for d in MOVE_DTYPES {
        let mut rng = Rng::named(&format!("transpose {d}"));
        let mut m = Multi::new();
        for (shape, perm) in [
            (vec![], vec![]),
            (vec![2usize, 3], vec![1usize, 0]),
            (vec![2, 3, 4], vec![2, 0, 1]),
            (vec![2, 3, 4], vec![1, 2, 0]),
            (vec![0, 3, 2], vec![1, 2, 0]),
            (vec![5], vec![0]),
        ] {
            let x = m.input(data(&mut rng, d, &shape));
            let y = m.one(Op::Transpose { perm: perm.clone() }, &[x], &[]);
            m.out(format!("{shape:?} perm {perm:?}"), y);
        }
        m.run(&mut rep, &format!("transpose {d}"), &[Tol::Exact]);
    }
    rep.finish();
}

#[test]
fn slice_all() {
    let mut rep = Report::new("slice_all");
    for d in MOVE_DTYPES {
        let mut rng = Rng::named(&format!("slice {d}"));
        let mut m = Multi::new();
        for (shape, start, limit, strides) in [
            (vec![], vec![], vec![], vec![]),
            (vec![7usize], vec![1usize], vec![6usize], vec![2usize]),
            (vec![7], vec![0], vec![7], vec![1]),
            (vec![4, 5], vec![1, 0], vec![4, 5], vec![2, 3]),
            (vec![4, 5], vec![2, 2], vec![2, 5], vec![1, 1]),
            (vec![0, 3], vec![0, 1], vec![0, 3], vec![1, 1]),
            (vec![3, 4, 5], vec![0, 1, 4], vec![3, 4, 5], vec![3, 2, 1]),
        ] {
            let x = m.input(data(&mut rng, d, &shape));
            let y = m.one(
                Op::Slice {
                    start: start.clone(),
                    limit: limit.clone(),
                    strides: strides.clone(),
                },
                &[x],
                &[],
            );
            m.out(
                format!("{shape:?} [{start:?}, {limit:?}) by {strides:?}"),
                y,
            );
        }
        m.run(&mut rep, &format!("slice {d}"), &[Tol::Exact]);
    }
    rep.finish();
}

/// Start values that exercise the clamping of dynamic slice/update starts into
/// `[0, dim - size]`: negative, past the end, the integer extremes.
fn start_values(d: DType) -> Vec<i128> {
    let mut v = vec![0, 1, 2, 3, 4, 5, 100, -1, -3];
    if d.is_signed_int() {
        let w = width(d);
        v.push(-(1i128 << (w - 1)));
        v.push((1i128 << (w - 1)) - 1);
    } else {
        v.push((1i128 << width(d)) - 1);
    }
    v
}

/// `dynamic_slice` with starts of i32 and of mixed integer dtypes (lowered through i64),
/// each program run once per start vector.
#[test]
fn dynamic_slice_all() {
    let mut rep = Report::new("dynamic_slice_all");
    for d in MOVE_DTYPES {
        for (sd, shape, sizes) in [
            (
                vec![DType::I32, DType::I32],
                vec![5usize, 6],
                vec![2usize, 3],
            ),
            (vec![DType::U32, DType::I64], vec![5, 6], vec![5, 1]),
            (vec![DType::I8, DType::U8], vec![5, 6], vec![0, 6]),
            (vec![DType::I32, DType::I32], vec![0, 3], vec![0, 2]),
            (vec![], vec![], vec![]),
            (vec![DType::I64], vec![9], vec![4]),
        ] {
            let ctx = format!("dynamic_slice {d} {shape:?} sizes {sizes:?} starts {sd:?}");
            let mut rng = Rng::named(&ctx);
            let x = data(&mut rng, d, &shape);
            let mut b = Builder::new();
            let xp = b.param(x.ty().clone());
            let sp: Vec<Value> = sd.iter().map(|&t| b.param_of(t, &[])).collect();
            let mut ops = vec![xp];
            ops.extend(&sp);
            let y = b.one(
                Op::DynamicSlice {
                    sizes: sizes.clone(),
                },
                &ops,
                &[],
            );
            let g = b.finish(vec![y]);
            let runs = if sd.is_empty() { 1 } else { 12 };
            for k in 0..runs {
                let mut args = vec![x.clone()];
                for &t in &sd {
                    args.push(int_scalar(t, rng.pick(&start_values(t))));
                }
                let starts: Vec<String> = args[1..].iter().map(|a| show(a, 0)).collect();
                rep.run(
                    &format!("{ctx} #{k} at {starts:?}"),
                    &g,
                    &args,
                    &[Tol::Exact],
                    &[],
                );
            }
        }
    }
    rep.finish();
}

#[test]
fn dynamic_update_slice_all() {
    let mut rep = Report::new("dynamic_update_slice_all");
    for d in MOVE_DTYPES {
        for (sd, shape, ushape) in [
            (
                vec![DType::I32, DType::I32],
                vec![5usize, 6],
                vec![2usize, 3],
            ),
            (vec![DType::I64, DType::U32], vec![5, 6], vec![5, 1]),
            (vec![DType::I32, DType::I32], vec![5, 6], vec![0, 2]),
            (vec![DType::I32, DType::I32], vec![5, 6], vec![5, 6]),
            (vec![DType::I32, DType::I32], vec![0, 3], vec![0, 3]),
            (vec![], vec![], vec![]),
            (vec![DType::U8], vec![9], vec![4]),
        ] {
            let ctx = format!("dynamic_update_slice {d} {shape:?} update {ushape:?} {sd:?}");
            let mut rng = Rng::named(&ctx);
            let x = data(&mut rng, d, &shape);
            let u = data(&mut rng, d, &ushape);
            let mut b = Builder::new();
            let xp = b.param(x.ty().clone());
            let up = b.param(u.ty().clone());
            let sp: Vec<Value> = sd.iter().map(|&t| b.param_of(t, &[])).collect();
            let mut ops = vec![xp, up];
            ops.extend(&sp);
            let y = b.one(Op::DynamicUpdateSlice, &ops, &[]);
            let g = b.finish(vec![y]);
            let runs = if sd.is_empty() { 1 } else { 12 };
            for k in 0..runs {
                let mut args = vec![x.clone(), u.clone()];
                for &t in &sd {
                    args.push(int_scalar(t, rng.pick(&start_values(t))));
                }
                let starts: Vec<String> = args[2..].iter().map(|a| show(a, 0)).collect();
                rep.run(
                    &format!("{ctx} #{k} at {starts:?}"),
                    &g,
                    &args,
                    &[Tol::Exact],
                    &[],
                );
            }
        }
    }
    rep.finish();
}

#[test]
fn concatenate_all() {
    let mut rep = Report::new("concatenate_all");
    for d in MOVE_DTYPES {
        let mut rng = Rng::named(&format!("concatenate {d}"));
        let mut m = Multi::new();
        for (shapes, dim) in [
            (vec![vec![2usize, 3], vec![1, 3], vec![0, 3]], 0usize),
            (vec![vec![2, 3], vec![2, 0], vec![2, 2]], 1),
            (vec![vec![3]], 0),
            (vec![vec![0, 2], vec![0, 3]], 1),
            (vec![vec![1], vec![1], vec![1], vec![1]], 0),
            (vec![vec![2, 1, 2], vec![2, 3, 2]], 1),
        ] {
            let xs: Vec<Value> = shapes
                .iter()
                .map(|s| m.input(data(&mut rng, d, s)))
                .collect();
            let y = m.one(Op::Concatenate { dim }, &xs, &[]);
            m.out(format!("{shapes:?} along {dim}"), y);
        }
        m.run(&mut rep, &format!("concatenate {d}"), &[Tol::Exact]);
    }
    rep.finish();
}

#[test]
fn pad_all() {
    let mut rep = Report::new("pad_all");
    for d in MOVE_DTYPES {
        let mut rng = Rng::named(&format!("pad {d}"));
        let mut m = Multi::new();
        for (shape, low, high, interior) in [
            (vec![], vec![], vec![], vec![]),
            (vec![3usize], vec![2i64], vec![1i64], vec![1usize]),
            (vec![2, 3], vec![-1, 1], vec![1, -2], vec![0, 2]),
            (vec![0, 3], vec![1, 0], vec![1, 1], vec![2, 1]),
            (vec![3, 4], vec![-3, 0], vec![0, -4], vec![0, 0]),
            (vec![4], vec![-2], vec![-1], vec![2]),
            (vec![2, 2, 2], vec![0, 1, 0], vec![1, 0, 0], vec![1, 0, 3]),
        ] {
            let x = m.input(data(&mut rng, d, &shape));
            let v = m.input(lit_bits(d, &[], &[rng.pick(&specials(d))]));
            let y = m.one(
                Op::Pad {
                    low: low.clone(),
                    high: high.clone(),
                    interior: interior.clone(),
                },
                &[x, v],
                &[],
            );
            m.out(
                format!("{shape:?} low {low:?} high {high:?} interior {interior:?}"),
                y,
            );
        }
        m.run(&mut rep, &format!("pad {d}"), &[Tol::Exact]);
    }
    rep.finish();
}

/// Index values for gather/scatter with `n` in-range positions: in range, negative, past
/// the end, extremes (clamped by gather; the window is skipped by scatter).
fn index_values(rng: &mut Rng, d: DType, n: usize, count: usize) -> Vec<i128> {
    let mut special = vec![0, -1, n as i128, n as i128 + 7, 1000];
    if d.is_signed_int() {
        special.push(-(1i128 << (width(d) - 1)));
        special.push((1i128 << (width(d) - 1)) - 1);
    } else {
        special.push((1i128 << width(d)) - 1);
    }
    (0..count)
        .map(|i| {
            if i % 3 == 2 {
                rng.pick(&special)
            } else {
                rng.below(n as u64) as i128
            }
        })
        .collect()
}

#[test]
fn gather_all() {
    let mut rep = Report::new("gather_all");
    for d in MOVE_DTYPES {
        for it in [DType::I32, DType::U32, DType::I64] {
            let ctx = format!("gather {d} indices {it}");
            let mut rng = Rng::named(&ctx);
            let mut m = Multi::new();
            // take(x, idx, axis=0): x [5, 3], idx [6] -> [6, 3].
            let x = m.input(data(&mut rng, d, &[5, 3]));
            let i = m.input(ints(it, &[6], &index_values(&mut rng, it, 5, 6)));
            let take = GatherDims {
                offset_dims: vec![1],
                collapsed_slice_dims: vec![0],
                start_index_map: vec![0],
                index_vector_dim: 1,
                slice_sizes: vec![1, 3],
                ..Default::default()
            };
            let y = m.one(Op::Gather(take.clone()), &[x, i], &[]);
            m.out("take axis 0", y);
            // The same with no indices: [0] -> [0, 3].
            let i0 = m.input(ints(it, &[0], &[]));
            let y = m.one(Op::Gather(take), &[x, i0], &[]);
            m.out("take, no indices", y);
            // Two-component index vectors into [4, 5, 6], windows [1, 2, 3] -> [3, 2, 3].
            let x3 = m.input(data(&mut rng, d, &[4, 5, 6]));
            let mut iv = Vec::new();
            for _ in 0..3 {
                iv.extend(index_values(&mut rng, it, 4, 1));
                iv.extend(index_values(&mut rng, it, 6, 1));
            }
            let i2 = m.input(ints(it, &[3, 2], &iv));
            let y = m.one(
                Op::Gather(GatherDims {
                    offset_dims: vec![1, 2],
                    collapsed_slice_dims: vec![0],
                    start_index_map: vec![0, 2],
                    index_vector_dim: 1,
                    slice_sizes: vec![1, 2, 3],
                    ..Default::default()
                }),
                &[x3, i2],
                &[],
            );
            m.out("2-d index vectors, windows", y);
            // Batching dims: x [2, 5, 3], idx [2, 4, 1] -> [2, 4, 3].
            let xb = m.input(data(&mut rng, d, &[2, 5, 3]));
            let ib = m.input(ints(it, &[2, 4, 1], &index_values(&mut rng, it, 5, 8)));
            let y = m.one(
                Op::Gather(GatherDims {
                    offset_dims: vec![2],
                    collapsed_slice_dims: vec![1],
                    operand_batching_dims: vec![0],
                    start_indices_batching_dims: vec![0],
                    start_index_map: vec![1],
                    index_vector_dim: 2,
                    slice_sizes: vec![1, 1, 3],
                    indices_are_sorted: false,
                }),
                &[xb, ib],
                &[],
            );
            m.out("batching dims", y);
            // A scalar result: x [5], a scalar index.
            let x1 = m.input(data(&mut rng, d, &[5]));
            let is = m.input(ints(it, &[], &index_values(&mut rng, it, 5, 3)[2..]));
            let y = m.one(
                Op::Gather(GatherDims {
                    collapsed_slice_dims: vec![0],
                    start_index_map: vec![0],
                    index_vector_dim: 0,
                    slice_sizes: vec![1],
                    ..Default::default()
                }),
                &[x1, is],
                &[],
            );
            m.out("scalar", y);
            m.run(&mut rep, &ctx, &[Tol::Exact]);
        }
    }
    rep.finish();
}

/// `scatter` with a replacing combiner (unique indices, some out of range: those windows
/// are skipped) on every dtype, and with an adding combiner (repeated indices) on integers
/// and on floats holding small integers, whose sums are exact in any order.
#[test]
fn scatter_all() {
    let mut rep = Report::new("scatter_all");
    let cases: Vec<(DType, bool)> = MOVE_DTYPES
        .iter()
        .map(|&d| (d, false))
        .chain([
            (DType::I32, true),
            (DType::U32, true),
            (DType::F32, true),
            (DType::F64, true),
            (DType::I8, true),
        ])
        .collect();
    for (d, add) in cases {
        let ctx = format!("scatter {d} {}", if add { "add" } else { "replace" });
        let mut rng = Rng::named(&ctx);
        let combiner = if add {
            binary_region(d, BinaryOp::Add)
        } else {
            region(&[d, d], |_, p| vec![p[1]])
        };
        let small = |rng: &mut Rng, shape: &[usize]| -> Literal {
            if add && d.is_float() {
                lit_with(rng, d, shape, |r| r.below(17) as f64 - 8.0)
            } else {
                data(rng, d, shape)
            }
        };
        let idx = |rng: &mut Rng, n: usize, count: usize| -> Vec<i128> {
            if add {
                index_values(rng, DType::I32, n, count)
            } else {
                // Unique in-range indices (a permutation prefix), some replaced by
                // out-of-range ones.
                let mut p: Vec<i128> = (0..n as i128).collect();
                for i in (1..p.len()).rev() {
                    p.swap(i, rng.below(i as u64 + 1) as usize);
                }
                let mut v: Vec<i128> = p.into_iter().take(count).collect();
                for (k, x) in v.iter_mut().enumerate() {
                    if k % 3 == 2 {
                        *x = rng.pick(&[-1, n as i128, 1000, i128::from(i32::MIN)]);
                    }
                }
                v
            }
        };
        let mut m = Multi::new();
        // Rows of [6, 3]: indices [4, 1], updates [4, 3].
        let x = m.input(small(&mut rng, &[6, 3]));
        let iv = idx(&mut rng, 6, 4);
        let i = m.input(ints(DType::I32, &[4, 1], &iv));
        let u = m.input(small(&mut rng, &[4, 3]));
        let rows = ScatterDims {
            update_window_dims: vec![1],
            inserted_window_dims: vec![0],
            scatter_dims_to_operand_dims: vec![0],
            index_vector_dim: 1,
            ..Default::default()
        };
        let y = m.one(
            Op::Scatter {
                dims: rows.clone(),
                update: combiner.clone(),
            },
            &[x, i, u],
            &[],
        );
        m.out("rows", y);
        // No updates.
        let i0 = m.input(ints(DType::I32, &[0, 1], &[]));
        let u0 = m.input(small(&mut rng, &[0, 3]));
        let y = m.one(
            Op::Scatter {
                dims: rows,
                update: combiner.clone(),
            },
            &[x, i0, u0],
            &[],
        );
        m.out("no updates", y);
        // [2, 3] windows into [5, 6] at 2-d starts (some windows do not fit: skipped).
        let x2 = m.input(small(&mut rng, &[5, 6]));
        let mut sv = Vec::new();
        if add {
            for _ in 0..3 {
                sv.push(rng.below(5) as i128 - 1);
                sv.push(rng.below(6) as i128 - 1);
            }
        } else {
            // Disjoint windows: (0, 0), (3, 3), then one that does not fit.
            sv.extend([0, 0, 3, 3, rng.pick(&[4, -1]), 2]);
        }
        let i2 = m.input(ints(DType::I32, &[3, 2], &sv));
        let u2 = m.input(small(&mut rng, &[3, 2, 3]));
        let y = m.one(
            Op::Scatter {
                dims: ScatterDims {
                    update_window_dims: vec![1, 2],
                    scatter_dims_to_operand_dims: vec![0, 1],
                    index_vector_dim: 1,
                    ..Default::default()
                },
                update: combiner.clone(),
            },
            &[x2, i2, u2],
            &[],
        );
        m.out("2-d windows", y);
        // Batching dims: x [2, 5], indices [2, 3, 1], updates [2, 3].
        let xb = m.input(small(&mut rng, &[2, 5]));
        let mut bv = idx(&mut rng, 5, 3);
        bv.extend(idx(&mut rng, 5, 3));
        let ib = m.input(ints(DType::I32, &[2, 3, 1], &bv));
        let ub = m.input(small(&mut rng, &[2, 3]));
        let y = m.one(
            Op::Scatter {
                dims: ScatterDims {
                    inserted_window_dims: vec![1],
                    input_batching_dims: vec![0],
                    scatter_indices_batching_dims: vec![0],
                    scatter_dims_to_operand_dims: vec![1],
                    index_vector_dim: 2,
                    ..Default::default()
                },
                update: combiner.clone(),
            },
            &[xb, ib, ub],
            &[],
        );
        m.out("batching dims", y);
        m.run(&mut rep, &ctx, &[Tol::Exact]);
    }
    rep.finish();
}
