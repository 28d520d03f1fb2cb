//! Property tests of `vmap` (crate `ferrax_ir::batching`): for generated graphs of every
//! primitive, `vmap(f)(xs)` evaluated by the host evaluator equals stacking `f(x_i)` over
//! the batch, bit for bit, for random `in_axes` (including `None`), `out_axes` (including
//! `None`, which must be an error exactly when the result is batched) and batch sizes
//! 0 to 3. Every batched graph is re-checked with `rules::verify`.

use ferrax_ir::batching::{batch_graph, vmap_graph};
use ferrax_ir::trace::{apply1, open_trace};
use ferrax_ir::{
    interp, rules, vmap, BinaryOp, Binding, CompareDir, ConvAttrs, ConvDims, DType, DotDims,
    GatherDims, Graph, Literal, Op, ReduceKind, ScatterDims, Tensor, TensorType, UnaryOp,
    WindowAttrs,
};
use proptest::prelude::*;

type R<T> = ferrax_ir::Result<T>;

// ------------------------------------------------------------------ deterministic PRNG

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }
    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn shape(&mut self, rank: usize, lo: usize, hi: usize) -> Vec<usize> {
        (0..rank).map(|_| lo + self.below(hi - lo + 1)).collect()
    }
    fn perm(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.below(i + 1));
        }
        p
    }
}

fn random_literal(t: &TensorType, range: Option<(i64, i64)>, r: &mut Rng) -> Literal {
    let n = t.shape.numel();
    let mut bytes = Vec::with_capacity(t.byte_size());
    for _ in 0..n {
        let iv = match range {
            Some((lo, hi)) => r.range(lo, hi),
            None => r.range(-6, 20),
        };
        match t.dtype {
            DType::F32 => {
                let v = if range.is_none() && r.below(3) == 0 {
                    (r.next() as f64 / u64::MAX as f64 * 8.0 - 4.0) as f32
                } else {
                    iv as f32 * 0.5
                };
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            DType::Bool => bytes.push(r.coin() as u8),
            DType::U32 if range.is_none() && r.coin() => {
                bytes.extend_from_slice(&(r.next() as u32).to_le_bytes())
            }
            d => bytes.extend_from_slice(Literal::scalar_f64(d, iv as f64).bytes()),
        }
    }
    Literal::from_bytes(t.clone(), bytes).unwrap()
}

// ------------------------------------------------------------------ literal slicing

fn take(l: &Literal, axis: usize, i: usize) -> Literal {
    let d = l.shape().dims();
    let w = l.dtype().byte_size();
    let outer: usize = d[..axis].iter().product();
    let n = d[axis];
    let inner: usize = d[axis + 1..].iter().product::<usize>() * w;
    let mut bytes = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        let s = (o * n + i) * inner;
        bytes.extend_from_slice(&l.bytes()[s..s + inner]);
    }
    let mut dims = d.to_vec();
    dims.remove(axis);
    Literal::from_bytes(TensorType::new(l.dtype(), dims), bytes).unwrap()
}

fn stack(ls: &[Literal], axis: usize, t: &TensorType) -> Literal {
    let d = t.shape.dims();
    let w = t.dtype.byte_size();
    let outer: usize = d[..axis].iter().product();
    let inner: usize = d[axis..].iter().product::<usize>() * w;
    let mut bytes = Vec::new();
    for o in 0..outer {
        for l in ls {
            bytes.extend_from_slice(&l.bytes()[o * inner..(o + 1) * inner]);
        }
    }
    let mut dims = d.to_vec();
    dims.insert(axis, ls.len());
    Literal::from_bytes(TensorType::new(t.dtype, dims), bytes).unwrap()
}

// ------------------------------------------------------------------ cases

/// A graph for one example, with its parameter types and integer ranges for index inputs.
struct Case {
    graph: Graph,
    types: Vec<TensorType>,
    ranges: Vec<Option<(i64, i64)>>,
}

fn trace_case(
    types: Vec<TensorType>,
    ranges: Vec<Option<(i64, i64)>>,
    f: impl FnOnce(&[Tensor]) -> R<Vec<Tensor>>,
) -> Case {
    let guard = open_trace();
    let tr = guard.trace().clone();
    let ps: Vec<Tensor> = types
        .iter()
        .map(|t| tr.add_parameter(t.clone(), Binding::Arg))
        .collect();
    let outs = f(&ps).unwrap();
    let vals: Vec<_> = outs.iter().map(|o| o.value().unwrap()).collect();
    drop(guard);
    let graph = tr.with_graph(|g| g.extract(&vals));
    rules::verify(&graph).unwrap();
    let ranges = if ranges.is_empty() {
        vec![None; types.len()]
    } else {
        ranges
    };
    Case {
        graph,
        types,
        ranges,
    }
}

fn tt(d: DType, s: Vec<usize>) -> TensorType {
    TensorType::new(d, s)
}

/// vmap with random axes vs stacking per-example results.
fn check(case: &Case, n: usize, r: &mut Rng) -> Result<(), TestCaseError> {
    let g = &case.graph;
    let in_axes: Vec<Option<usize>> = case
        .types
        .iter()
        .map(|t| {
            if r.below(3) == 0 {
                None
            } else {
                Some(r.below(t.shape.rank() + 1))
            }
        })
        .collect();
    let flags_in: Vec<bool> = in_axes.iter().map(|a| a.is_some()).collect();
    let (_, flags) = batch_graph(g, &flags_in, n).unwrap();
    let out_types = g.output_types();
    let out_axes: Vec<Option<usize>> = out_types
        .iter()
        .map(|t| {
            if r.below(4) == 0 {
                None
            } else {
                Some(r.below(t.shape.rank() + 1))
            }
        })
        .collect();
    let res = vmap_graph(g, &in_axes, n, &out_axes);
    if let Some(j) = (0..flags.len()).find(|&j| flags[j] && out_axes[j].is_none()) {
        let e = res.expect_err("None out_axes for a batched result must fail");
        let s = e.to_string();
        prop_assert!(
            s.contains("vmap") && s.contains("out_axes["),
            "bad message: {s} (result {j})"
        );
        return Ok(());
    }
    let vg = res.map_err(|e| TestCaseError::fail(format!("vmap_graph failed: {e}")))?;
    rules::verify(&vg).map_err(|e| TestCaseError::fail(format!("verify: {e}")))?;
    let args: Vec<Literal> = case
        .types
        .iter()
        .zip(&in_axes)
        .zip(&case.ranges)
        .map(|((t, ax), rg)| {
            let mut t = t.clone();
            if let Some(a) = ax {
                t.shape.0.insert(*a, n);
            }
            random_literal(&t, *rg, r)
        })
        .collect();
    let got =
        interp::eval(&vg, &args).map_err(|e| TestCaseError::fail(format!("eval batched: {e}")))?;
    let per: Vec<Vec<Literal>> = (0..n)
        .map(|i| {
            let a: Vec<Literal> = args
                .iter()
                .zip(&in_axes)
                .map(|(l, ax)| match ax {
                    Some(a) => take(l, *a, i),
                    None => l.clone(),
                })
                .collect();
            interp::eval(g, &a).unwrap()
        })
        .collect();
    for (j, t) in out_types.iter().enumerate() {
        match out_axes[j] {
            Some(k) => {
                let col: Vec<Literal> = per.iter().map(|p| p[j].clone()).collect();
                let want = stack(&col, k, t);
                prop_assert_eq!(got[j].ty(), want.ty(), "result {} type", j);
                prop_assert!(
                    got[j].bytes() == want.bytes(),
                    "result {j} differs (in_axes {in_axes:?}, out_axes {out_axes:?}, n {n})"
                );
            }
            None => {
                prop_assert_eq!(got[j].ty(), t);
                for p in &per {
                    prop_assert!(
                        p[j].bytes() == got[j].bytes(),
                        "unbatched result {} differs",
                        j
                    );
                }
            }
        }
    }
    Ok(())
}

fn float_or_int(r: &mut Rng) -> DType {
    r.pick(&[DType::F32, DType::I32])
}

fn gen_unary(r: &mut Rng) -> Case {
    let u = r.pick(&UnaryOp::ALL);
    let d = match u {
        UnaryOp::Neg | UnaryOp::Sign | UnaryOp::Abs => float_or_int(r),
        UnaryOp::Not => r.pick(&[DType::I32, DType::Bool, DType::U32]),
        UnaryOp::PopCnt | UnaryOp::Clz => r.pick(&[DType::I32, DType::U32]),
        _ => DType::F32,
    };
    let rank = r.below(3);
    let s = r.shape(rank, 0, 3);
    trace_case(vec![tt(d, s)], vec![], |p| Ok(vec![p[0].unary(u)?]))
}

fn gen_binary(r: &mut Rng) -> Case {
    let b = r.pick(&BinaryOp::ALL);
    let d = match b {
        BinaryOp::Atan2 => DType::F32,
        BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => {
            r.pick(&[DType::I32, DType::Bool, DType::U32])
        }
        BinaryOp::ShiftLeft | BinaryOp::ShiftRightLogical | BinaryOp::ShiftRightArithmetic => {
            r.pick(&[DType::I32, DType::U32])
        }
        _ => float_or_int(r),
    };
    let rank = r.below(3);
    let s = r.shape(rank, 1, 3);
    trace_case(vec![tt(d, s.clone()), tt(d, s)], vec![], |p| {
        Ok(vec![p[0].binary(b, &p[1])?])
    })
}

fn gen_compare(r: &mut Rng) -> Case {
    let c = r.pick(&CompareDir::ALL);
    let d = float_or_int(r);
    let rank = r.below(3);
    let s = r.shape(rank, 1, 3);
    trace_case(vec![tt(d, s.clone()), tt(d, s)], vec![], |p| {
        Ok(vec![p[0].compare(c, &p[1])?])
    })
}

fn gen_select_clamp(r: &mut Rng) -> Case {
    let rank = r.below(3);
    let s = r.shape(rank, 1, 3);
    let scalar_pred = r.coin();
    let ps = if scalar_pred { vec![] } else { s.clone() };
    let lo_s = if r.coin() { vec![] } else { s.clone() };
    let hi_s = if r.coin() { vec![] } else { s.clone() };
    let d = float_or_int(r);
    trace_case(
        vec![
            tt(DType::Bool, ps),
            tt(d, s.clone()),
            tt(d, s),
            tt(d, lo_s),
            tt(d, hi_s),
        ],
        vec![],
        |p| {
            let sel = apply1(Op::Select, &[&p[0], &p[1], &p[2]], &[])?;
            let cl = p[1].clamp(&p[3], &p[4])?;
            Ok(vec![sel, cl])
        },
    )
}

fn gen_convert(r: &mut Rng) -> Case {
    let rank = r.below(3);
    let s = r.shape(rank, 1, 3);
    let (from, to) = r.pick(&[
        (DType::F32, DType::I32),
        (DType::I32, DType::F32),
        (DType::Bool, DType::F32),
        (DType::F32, DType::Bool),
        (DType::U32, DType::F32),
        (DType::I32, DType::U8),
    ]);
    // Same width, narrower (a trailing axis of parts) and wider (the parts consumed).
    let bit = r.pick(&[DType::U32, DType::I32, DType::U16, DType::U8]);
    let mut pairs = s.clone();
    pairs.push(2);
    let ins = vec![
        tt(from, s.clone()),
        tt(DType::F32, s),
        tt(DType::U16, pairs),
    ];
    trace_case(ins, vec![], |p| {
        Ok(vec![
            p[0].convert(to)?,
            p[1].bitcast(bit)?,
            p[2].bitcast(DType::F32)?,
        ])
    })
}

fn gen_shape_ops(r: &mut Rng) -> Case {
    let rank = 1 + r.below(3);
    let s = r.shape(rank, 1, 3);
    let d = float_or_int(r);
    // broadcast_in_dim: a random subset of dims of a bigger shape, some of size 1.
    let extra = r.below(2) + 1;
    let out_rank = rank + extra;
    let mut dims: Vec<usize> = r.perm(out_rank)[..rank].to_vec();
    dims.sort_unstable();
    let mut out_shape = r.shape(out_rank, 1, 3);
    let mut src = s.clone();
    for (i, &dd) in dims.iter().enumerate() {
        if r.below(3) == 0 {
            src[i] = 1;
        } else {
            out_shape[dd] = src[i];
        }
    }
    let perm = r.perm(rank);
    let start: Vec<usize> = s.iter().map(|&x| r.below(x)).collect();
    let limit: Vec<usize> = s
        .iter()
        .zip(&start)
        .map(|(&x, &st)| st + r.below(x - st + 1))
        .collect();
    let strides: Vec<usize> = (0..rank).map(|_| 1 + r.below(2)).collect();
    let numel: usize = s.iter().product();
    let reshaped = if r.coin() {
        vec![numel]
    } else {
        vec![1, numel, 1]
    };
    trace_case(vec![tt(d, src.clone()), tt(d, s)], vec![], move |p| {
        Ok(vec![
            p[0].broadcast_in_dim(out_shape, &dims)?,
            p[1].reshape(reshaped)?,
            p[1].transpose(&perm)?,
            p[1].slice(&start, &limit, &strides)?,
        ])
    })
}

fn gen_dynamic(r: &mut Rng) -> Case {
    let rank = 1 + r.below(3);
    let s = r.shape(rank, 1, 4);
    let sizes: Vec<usize> = s.iter().map(|&x| r.below(x + 1)).collect();
    let upd: Vec<usize> = s.iter().map(|&x| r.below(x + 1)).collect();
    let d = float_or_int(r);
    let mut types = vec![tt(d, s.clone()), tt(d, upd)];
    let mut ranges = vec![None, None];
    for &x in &s {
        types.push(TensorType::scalar(r.pick(&[
            DType::I32,
            DType::I64,
            DType::U32,
            DType::I8,
        ])));
        ranges.push(Some((0, x as i64 + 2)));
    }
    // Signed starts may also be negative.
    for (t, rg) in types.iter().zip(ranges.iter_mut()).skip(2) {
        if t.dtype != DType::U32 {
            if let Some((_, hi)) = rg {
                *rg = Some((-2, *hi));
            }
        }
    }
    trace_case(types, ranges, move |p| {
        let starts = &p[2..];
        Ok(vec![
            p[0].dynamic_slice(starts, &sizes)?,
            p[0].dynamic_update_slice(&p[1], starts)?,
        ])
    })
}

fn gen_concat_pad(r: &mut Rng) -> Case {
    let rank = 1 + r.below(3);
    let s = r.shape(rank, 1, 3);
    let dim = r.below(rank);
    let mut s2 = s.clone();
    s2[dim] = r.below(3);
    let d = float_or_int(r);
    let low: Vec<i64> = s
        .iter()
        .map(|&x| {
            if x >= 2 {
                r.range(-1, 2)
            } else {
                r.range(0, 2)
            }
        })
        .collect();
    let high: Vec<i64> = s
        .iter()
        .map(|&x| {
            if x >= 2 {
                r.range(-1, 2)
            } else {
                r.range(0, 2)
            }
        })
        .collect();
    let interior: Vec<usize> = (0..rank).map(|_| r.below(2)).collect();
    trace_case(
        vec![tt(d, s.clone()), tt(d, s2), tt(d, vec![])],
        vec![],
        move |p| {
            Ok(vec![
                Tensor::concatenate(&[p[0].clone(), p[1].clone(), p[0].clone()], dim)?,
                p[0].pad(&p[2], &low, &high, &interior)?,
            ])
        },
    )
}

fn gen_gather(r: &mut Rng) -> Case {
    let rank = 1 + r.below(3);
    let s = r.shape(rank, 1, 4);
    let axis = r.below(rank);
    let irank = r.below(3);
    let ishape = r.shape(irank, 1, 3);
    let d = float_or_int(r);
    let k = 1 + r.below(3);
    let m = 1 + r.below(3);
    // A gather with batching dims: out[i] = y[i, idx[i]].
    let bd = GatherDims {
        offset_dims: vec![],
        collapsed_slice_dims: vec![1],
        operand_batching_dims: vec![0],
        start_indices_batching_dims: vec![0],
        start_index_map: vec![1],
        index_vector_dim: 1,
        slice_sizes: vec![1, 1],
        indices_are_sorted: false,
    };
    trace_case(
        vec![
            tt(d, s.clone()),
            tt(DType::I32, ishape),
            tt(d, vec![k, m]),
            tt(DType::I32, vec![k, 1]),
        ],
        vec![
            None,
            Some((-1, s[axis] as i64 + 1)),
            None,
            Some((-1, m as i64 + 1)),
        ],
        move |p| Ok(vec![p[0].take(&p[1], axis)?, p[2].gather(&p[3], bd)?]),
    )
}

fn gen_scatter(r: &mut Rng) -> Case {
    let m = 1 + r.below(4);
    let c = r.below(3);
    let pn = r.below(4);
    let d = float_or_int(r);
    let kind = r.below(3);
    let combine = move |a: &Tensor, b: &Tensor| -> R<Tensor> {
        match kind {
            0 => a.add(b),
            1 => a.maximum(b),
            _ => Ok(b.clone()),
        }
    };
    let sd = ScatterDims {
        update_window_dims: vec![1],
        inserted_window_dims: vec![0],
        scatter_dims_to_operand_dims: vec![0],
        index_vector_dim: 1,
        ..Default::default()
    };
    let k = 1 + r.below(3);
    let bsd = ScatterDims {
        update_window_dims: vec![],
        inserted_window_dims: vec![1],
        input_batching_dims: vec![0],
        scatter_indices_batching_dims: vec![0],
        scatter_dims_to_operand_dims: vec![1],
        index_vector_dim: 1,
        ..Default::default()
    };
    trace_case(
        vec![
            tt(d, vec![m, c]),
            tt(DType::I32, vec![pn, 1]),
            tt(d, vec![pn, c]),
            tt(d, vec![k, m]),
            tt(DType::I32, vec![k, 1]),
            tt(d, vec![k]),
        ],
        vec![
            None,
            Some((-1, m as i64)),
            None,
            None,
            Some((-1, m as i64)),
            None,
        ],
        move |p| {
            Ok(vec![
                p[0].scatter(&p[1], &p[2], sd, combine)?,
                p[3].scatter(&p[4], &p[5], bsd, combine)?,
            ])
        },
    )
}

fn gen_dot(r: &mut Rng) -> Case {
    let nb = r.below(2);
    let nc = r.below(3);
    let lf = r.below(2);
    let rf = r.below(2);
    let bs = r.shape(nb, 1, 3);
    let cs = r.shape(nc, 1, 3);
    let lfs = r.shape(lf, 1, 3);
    let rfs = r.shape(rf, 1, 3);
    // Logical lhs dims: batch, contract, free; then permuted.
    let lrank = nb + nc + lf;
    let rrank = nb + nc + rf;
    let lp = r.perm(lrank); // position of logical dim i is lp[i]
    let rp = r.perm(rrank);
    let mut lshape = vec![0; lrank];
    for (i, &sz) in bs.iter().chain(&cs).chain(&lfs).enumerate() {
        lshape[lp[i]] = sz;
    }
    let mut rshape = vec![0; rrank];
    for (i, &sz) in bs.iter().chain(&cs).chain(&rfs).enumerate() {
        rshape[rp[i]] = sz;
    }
    let dims = DotDims {
        lhs_batch: (0..nb).map(|i| lp[i]).collect(),
        rhs_batch: (0..nb).map(|i| rp[i]).collect(),
        lhs_contract: (nb..nb + nc).map(|i| lp[i]).collect(),
        rhs_contract: (nb..nb + nc).map(|i| rp[i]).collect(),
    };
    let d = float_or_int(r);
    let wide = d == DType::F32 && r.coin();
    trace_case(vec![tt(d, lshape), tt(d, rshape)], vec![], move |p| {
        if wide {
            Ok(vec![p[0].dot_general_to(&p[1], dims, DType::F64)?])
        } else {
            Ok(vec![p[0].dot_general(&p[1], dims)?])
        }
    })
}

fn gen_reduce(r: &mut Rng) -> Case {
    let rank = 1 + r.below(3);
    let s = r.shape(rank, 0, 3);
    let dims: Vec<usize> = (0..rank).filter(|_| r.coin()).collect();
    let kind = r.pick(&[
        ReduceKind::Sum,
        ReduceKind::Max,
        ReduceKind::Min,
        ReduceKind::Prod,
    ]);
    let d = float_or_int(r);
    let wrank = 1 + r.below(2);
    let ws = r.shape(wrank, 1, 4);
    let window = WindowAttrs {
        window_dimensions: ws.iter().map(|&x| 1 + r.below(x)).collect(),
        window_strides: (0..wrank).map(|_| 1 + r.below(2)).collect(),
        base_dilations: (0..wrank).map(|_| 1 + r.below(2)).collect(),
        window_dilations: (0..wrank).map(|_| 1 + r.below(2)).collect(),
        padding: (0..wrank).map(|_| (r.range(0, 1), r.range(0, 1))).collect(),
    };
    let vdim = r.below(rank);
    trace_case(
        vec![tt(d, s.clone()), tt(d, ws), tt(DType::I32, s)],
        vec![],
        move |p| {
            let a = p[0].reduce(kind, &dims)?;
            let w = p[1].reduce_window(kind, window)?;
            // A variadic reduce: argmax along vdim (value, index).
            let idx = Tensor::iota(DType::I32, p[2].shape().to_vec(), vdim)?;
            let init_v = Tensor::constant(kind_init(d));
            let init_i = Tensor::scalar(0i32);
            let am = Tensor::reduce_multi(
                &[p[0].clone(), idx],
                &[init_v, init_i],
                &[vdim],
                |acc, x| {
                    let take_x = x[0].gt(&acc[0])?;
                    Ok(vec![
                        Tensor::select(&take_x, &x[0], &acc[0])?,
                        Tensor::select(&take_x, &x[1], &acc[1])?,
                    ])
                },
            )?;
            Ok(vec![a, w, am[0].clone(), am[1].clone()])
        },
    )
}

fn kind_init(d: DType) -> Literal {
    ReduceKind::Max.init(d)
}

fn gen_conv(r: &mut Rng) -> Case {
    let ns = 1 + r.below(2);
    let rank = ns + 2;
    let (fg, bg) = r.pick(&[(1, 1), (2, 1), (1, 2)]);
    let n = bg * (1 + r.below(2));
    let cpg = 1 + r.below(2);
    let cin = cpg * fg;
    let cout = fg.max(bg) * (1 + r.below(2));
    let spatial = r.shape(ns, 1, 4);
    let kspatial: Vec<usize> = spatial.iter().map(|&x| 1 + r.below(x.min(2))).collect();
    let lp = r.perm(rank);
    let kp = r.perm(rank);
    let op = r.perm(rank);
    let dims = ConvDims {
        input_batch: lp[0],
        input_feature: lp[1],
        input_spatial: lp[2..].to_vec(),
        kernel_output_feature: kp[0],
        kernel_input_feature: kp[1],
        kernel_spatial: kp[2..].to_vec(),
        output_batch: op[0],
        output_feature: op[1],
        output_spatial: op[2..].to_vec(),
    };
    let mut lshape = vec![0; rank];
    lshape[lp[0]] = n;
    lshape[lp[1]] = cin;
    for i in 0..ns {
        lshape[lp[2 + i]] = spatial[i];
    }
    let mut kshape = vec![0; rank];
    kshape[kp[0]] = cout;
    kshape[kp[1]] = cpg;
    for i in 0..ns {
        kshape[kp[2 + i]] = kspatial[i];
    }
    let attrs = ConvAttrs {
        window_strides: (0..ns).map(|_| 1 + r.below(2)).collect(),
        padding: (0..ns).map(|_| (r.range(0, 1), r.range(0, 1))).collect(),
        lhs_dilation: (0..ns).map(|_| 1 + r.below(2)).collect(),
        rhs_dilation: (0..ns).map(|_| 1 + r.below(2)).collect(),
        feature_group_count: fg,
        batch_group_count: bg,
        dims,
    };
    let d = float_or_int(r);
    trace_case(vec![tt(d, lshape), tt(d, kshape)], vec![], move |p| {
        Ok(vec![p[0].conv(&p[1], attrs)?])
    })
}

fn gen_sort(r: &mut Rng) -> Case {
    let rank = 1 + r.below(2);
    let s = r.shape(rank, 1, 4);
    let dim = r.below(rank);
    trace_case(
        vec![tt(DType::I32, s.clone()), tt(DType::F32, s)],
        vec![Some((0, 3)), None],
        move |p| {
            let one = p[1].sort(dim)?;
            let two = Tensor::sort_multi(&[p[0].clone(), p[1].clone()], dim, true, |a, b| {
                // Lexicographic (key, value); NaN-free inputs.
                let lt = a[0].lt(&b[0])?;
                let eq = a[0].eq(&b[0])?;
                let lt2 = a[1].lt(&b[1])?;
                lt.bitor(&eq.bitand(&lt2)?)
            })?;
            Ok(vec![one, two[0].clone(), two[1].clone()])
        },
    )
}

fn gen_while(r: &mut Rng) -> Case {
    let k = r.below(3) + 1;
    let which = r.below(2);
    trace_case(
        vec![
            tt(DType::F32, vec![k]),
            tt(DType::I32, vec![]),
            tt(DType::F32, vec![k]),
        ],
        vec![None, Some((-1, 4)), None],
        move |p| {
            let lim = p[1].clone();
            let c = p[2].clone();
            let out = Tensor::while_loop(
                &[Tensor::scalar(0i32), p[0].clone()],
                |v| {
                    if which == 0 {
                        v[0].lt(&lim)
                    } else {
                        // Depends on the carried values: stop when the sum reaches 20.
                        let s = v[1].sum(&[0])?;
                        v[0].lt(&Tensor::scalar(6i32))?
                            .bitand(&s.lt(&Tensor::scalar(20.0f32))?)
                    }
                },
                |v| Ok(vec![&v[0] + &Tensor::scalar(1i32), &(&v[1] * 0.5) + &c]),
            )?;
            Ok(out)
        },
    )
}

fn gen_case(r: &mut Rng) -> Case {
    let k = r.below(3) + 1;
    let nb = 1 + r.below(3);
    trace_case(
        vec![
            tt(DType::I32, vec![]),
            tt(DType::F32, vec![k]),
            tt(DType::F32, vec![k]),
        ],
        vec![Some((-1, 4)), None, None],
        move |p| {
            let mut brs: Vec<ferrax_ir::Branch<'_>> = Vec::new();
            for i in 0..nb {
                brs.push(Box::new(move |a: &[Tensor]| -> R<Vec<Tensor>> {
                    match i {
                        0 => Ok(vec![a[0].add(&a[1])?, Tensor::scalar(1.0f32)]),
                        1 => Ok(vec![a[0].mul(&a[1])?, a[1].sum(&[0])?]),
                        _ => Ok(vec![a[0].neg()?, Tensor::scalar(3.0f32)]),
                    }
                }));
            }
            Tensor::case(&p[0], &[p[1].clone(), p[2].clone()], brs)
        },
    )
}

fn gen_constants(r: &mut Rng) -> Case {
    let rank = 1 + r.below(2);
    let s = r.shape(rank, 1, 3);
    let dim = r.below(rank);
    trace_case(vec![tt(DType::F32, s.clone())], vec![], move |p| {
        let io = Tensor::iota(DType::F32, s.clone(), dim)?;
        let c = Tensor::full(DType::F32, s, 2.0);
        Ok(vec![p[0].add(&io)?.mul(&c)?, io])
    })
}

fn run(gen: fn(&mut Rng) -> Case, seed: u64, n: usize) -> Result<(), TestCaseError> {
    let mut r = Rng(seed);
    let case = gen(&mut r);
    check(&case, n, &mut r)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn unary(seed in any::<u64>(), n in 0usize..4) { run(gen_unary, seed, n)?; }
    #[test]
    fn binary(seed in any::<u64>(), n in 0usize..4) { run(gen_binary, seed, n)?; }
    #[test]
    fn compare(seed in any::<u64>(), n in 0usize..4) { run(gen_compare, seed, n)?; }
    #[test]
    fn select_clamp(seed in any::<u64>(), n in 0usize..4) { run(gen_select_clamp, seed, n)?; }
    #[test]
    fn convert_bitcast(seed in any::<u64>(), n in 0usize..4) { run(gen_convert, seed, n)?; }
    #[test]
    fn broadcast_reshape_transpose_slice(seed in any::<u64>(), n in 0usize..4) { run(gen_shape_ops, seed, n)?; }
    #[test]
    fn dynamic_slice_update(seed in any::<u64>(), n in 0usize..4) { run(gen_dynamic, seed, n)?; }
    #[test]
    fn concatenate_pad(seed in any::<u64>(), n in 0usize..4) { run(gen_concat_pad, seed, n)?; }
    #[test]
    fn gather(seed in any::<u64>(), n in 0usize..4) { run(gen_gather, seed, n)?; }
    #[test]
    fn scatter(seed in any::<u64>(), n in 0usize..4) { run(gen_scatter, seed, n)?; }
    #[test]
    fn dot_general(seed in any::<u64>(), n in 0usize..4) { run(gen_dot, seed, n)?; }
    #[test]
    fn reduce_reduce_window(seed in any::<u64>(), n in 0usize..4) { run(gen_reduce, seed, n)?; }
    #[test]
    fn convolution(seed in any::<u64>(), n in 0usize..4) { run(gen_conv, seed, n)?; }
    #[test]
    fn sort(seed in any::<u64>(), n in 0usize..4) { run(gen_sort, seed, n)?; }
    #[test]
    fn while_loop(seed in any::<u64>(), n in 0usize..4) { run(gen_while, seed, n)?; }
    #[test]
    fn case(seed in any::<u64>(), n in 0usize..4) { run(gen_case, seed, n)?; }
    #[test]
    fn iota_constant(seed in any::<u64>(), n in 0usize..4) { run(gen_constants, seed, n)?; }
}

// ------------------------------------------------------------------ tensor-level API

/// Evaluates `f` traced on parameters of `types` with the host evaluator.
fn eval_traced(args: &[Literal], f: impl FnOnce(&[Tensor]) -> R<Vec<Tensor>>) -> R<Vec<Literal>> {
    let types: Vec<TensorType> = args.iter().map(|a| a.ty().clone()).collect();
    let guard = open_trace();
    let tr = guard.trace().clone();
    let ps: Vec<Tensor> = types
        .iter()
        .map(|t| tr.add_parameter(t.clone(), Binding::Arg))
        .collect();
    let outs = f(&ps)?;
    let vals: Vec<_> = outs.iter().map(|o| o.value().unwrap()).collect();
    drop(guard);
    let g = tr.with_graph(|g| g.extract(&vals));
    interp::eval(&g, args)
}

fn lit_f32(v: Vec<f32>, s: Vec<usize>) -> Literal {
    Literal::from_vec(v, s).unwrap()
}

#[test]
fn nested_vmap_equals_double_loop() {
    // f(x, w) = tanh(x * w) + sum(x); vmap over rows (axis 0) of vmap over columns (axis 1).
    let xs = lit_f32((0..12).map(|i| i as f32 * 0.25 - 1.0).collect(), vec![3, 4]);
    let w = lit_f32(vec![0.5], vec![]);
    let f = |a: &[Tensor]| -> R<Vec<Tensor>> { Ok(vec![a[0].mul(&a[1])?.tanh()?.add(&a[0])?]) };
    let got = eval_traced(&[xs.clone(), w.clone()], |p| {
        let mut inner = vmap(f, &[Some(0), None], &[Some(0)]);
        // Inner maps over the 4 columns of one row (a [4] vector -> scalars).
        let mut outer = vmap(|a: &[Tensor]| inner.call(a), &[Some(0), None], &[Some(1)]);
        outer.call(p)
    })
    .unwrap();
    assert_eq!(got[0].shape().dims(), &[4, 3]);
    // Reference: the unbatched f on each element.
    let mut want = vec![0f32; 12];
    for i in 0..3 {
        for j in 0..4 {
            let x = take(&take(&xs, 0, i), 0, j);
            let y = eval_traced(&[x, w.clone()], f).unwrap();
            want[j * 3 + i] = y[0].to_vec::<f32>().unwrap()[0];
        }
    }
    assert_eq!(got[0].to_vec::<f32>().unwrap(), want);
}

#[test]
fn nested_vmap_inner_captures_outer_example() {
    // outer over rows x of X [3, 2]; inner over y of Y [4]: sum(x) * y + x[0].
    let xs = lit_f32(vec![1., 2., 3., 4., 5., 6.], vec![3, 2]);
    let ys = lit_f32(vec![1., 10., 100., 1000.], vec![4]);
    let got = eval_traced(&[xs, ys], |p| {
        let mut outer = vmap(
            |a: &[Tensor]| {
                let x = a[0].clone();
                let s = x.sum(&[0])?;
                let x0 = x.slice(&[0], &[1], &[1])?.reshape(Vec::<usize>::new())?;
                let mut inner = vmap(
                    move |b: &[Tensor]| Ok(vec![s.mul(&b[0])?.add(&x0)?]),
                    &[Some(0)],
                    &[Some(0)],
                );
                inner.call(&a[1..])
            },
            &[Some(0), None],
            &[Some(0)],
        );
        outer.call(p)
    })
    .unwrap();
    let mut want = Vec::new();
    for x in [[1f32, 2.], [3., 4.], [5., 6.]] {
        for y in [1f32, 10., 100., 1000.] {
            want.push((x[0] + x[1]) * y + x[0]);
        }
    }
    assert_eq!(got[0].shape().dims(), &[3, 4]);
    assert_eq!(got[0].to_vec::<f32>().unwrap(), want);
}

#[test]
fn vmap_captures_outer_tensors_and_broadcasts_unbatched_results() {
    let xs = lit_f32(vec![1., 2., 3., 4., 5., 6.], vec![2, 3]);
    let b = lit_f32(vec![10., 20., 30.], vec![3]);
    let got = eval_traced(&[xs, b], |p| {
        let bias = p[1].clone(); // captured from the enclosing trace
        let mut f = vmap(
            move |a: &[Tensor]| Ok(vec![a[0].add(&bias)?, bias.mul(&bias)?, bias.clone()]),
            &[Some(0)],
            &[Some(0), None, Some(1)],
        );
        f.call(&p[..1])
    })
    .unwrap();
    assert_eq!(
        got[0].to_vec::<f32>().unwrap(),
        vec![11., 22., 33., 14., 25., 36.]
    );
    assert_eq!(got[1].shape().dims(), &[3]);
    assert_eq!(got[1].to_vec::<f32>().unwrap(), vec![100., 400., 900.]);
    assert_eq!(got[2].shape().dims(), &[3, 2]);
    assert_eq!(
        got[2].to_vec::<f32>().unwrap(),
        vec![10., 10., 20., 20., 30., 30.]
    );
}

#[test]
fn vmap_with_axis_size_and_no_mapped_input() {
    let w = lit_f32(vec![1., 2.], vec![2]);
    let got = eval_traced(&[w], |p| {
        vmap(|a: &[Tensor]| Ok(vec![a[0].exp()?]), &[None], &[Some(0)])
            .axis_size(3)
            .call(p)
    })
    .unwrap();
    assert_eq!(got[0].shape().dims(), &[3, 2]);
}

// ------------------------------------------------------------------ errors

fn traced_err(f: impl FnOnce(&[Tensor]) -> R<Vec<Tensor>>, types: &[TensorType]) -> String {
    let guard = open_trace();
    let tr = guard.trace().clone();
    let ps: Vec<Tensor> = types
        .iter()
        .map(|t| tr.add_parameter(t.clone(), Binding::Arg))
        .collect();
    match f(&ps) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn id(a: &[Tensor]) -> R<Vec<Tensor>> {
    Ok(a.to_vec())
}

#[test]
fn error_mismatched_batch_sizes() {
    let e = traced_err(
        |p| vmap(id, &[Some(0), Some(1)], &[Some(0)]).call(p),
        &[tt(DType::F32, vec![3, 2]), tt(DType::F32, vec![3, 4])],
    );
    assert!(e.starts_with("vmap:"), "{e}");
    assert!(e.contains("inconsistent sizes"), "{e}");
    assert!(e.contains("argument 0 has size 3 along axis 0"), "{e}");
    assert!(e.contains("argument 1 has size 4 along axis 1"), "{e}");
    let e = traced_err(
        |p| vmap(id, &[Some(0)], &[Some(0)]).axis_size(2).call(p),
        &[tt(DType::F32, vec![3])],
    );
    assert!(
        e.contains("axis_size = 2") && e.contains("argument 0 has size 3"),
        "{e}"
    );
}

#[test]
fn error_axis_out_of_range() {
    let e = traced_err(
        |p| vmap(id, &[None, Some(2)], &[Some(0)]).call(p),
        &[tt(DType::F32, vec![3]), tt(DType::F32, vec![3, 4])],
    );
    assert!(e.starts_with("vmap:"), "{e}");
    assert!(
        e.contains("in_axes[1] = 2 is out of range for argument 1 of rank 2"),
        "{e}"
    );
    let e = traced_err(
        |p| vmap(id, &[Some(0)], &[Some(2)]).call(p),
        &[tt(DType::F32, vec![3, 4])],
    );
    assert!(
        e.contains("out_axes[0] = 2 is out of range for result 0"),
        "{e}"
    );
    // Scalars cannot be mapped.
    let e = traced_err(
        |p| vmap(id, &[Some(0)], &[Some(0)]).call(p),
        &[tt(DType::F32, vec![])],
    );
    assert!(e.contains("in_axes[0] = 0 is out of range"), "{e}");
}

#[test]
fn error_out_axes_none_for_batched_result() {
    let e = traced_err(
        |p| vmap(id, &[Some(0)], &[None]).call(p),
        &[tt(DType::F32, vec![3])],
    );
    assert!(e.starts_with("vmap:"), "{e}");
    assert!(e.contains("out_axes[0] is None"), "{e}");
}

#[test]
fn error_lengths_and_no_mapped_axis() {
    let e = traced_err(
        |p| vmap(id, &[Some(0), None, None], &[Some(0)]).call(p),
        &[tt(DType::F32, vec![3]), tt(DType::F32, vec![3])],
    );
    assert!(
        e.contains("in_axes has 3 entries but the function takes 2"),
        "{e}"
    );
    let e = traced_err(
        |p| vmap(id, &[Some(0)], &[Some(0), Some(0), Some(0)]).call(p),
        &[tt(DType::F32, vec![3]), tt(DType::F32, vec![3])],
    );
    assert!(
        e.contains("out_axes has 3 entries but the function returns 2"),
        "{e}"
    );
    let e = traced_err(
        |p| vmap(id, &[None], &[Some(0)]).call(p),
        &[tt(DType::F32, vec![3])],
    );
    assert!(e.contains("at least one non-None value in in_axes"), "{e}");
    // Graph level.
    let case = trace_case(vec![tt(DType::F32, vec![2])], vec![], |p| {
        Ok(vec![p[0].exp()?])
    });
    let e = vmap_graph(&case.graph, &[Some(2)], 3, &[Some(0)]).unwrap_err();
    assert!(
        e.to_string().contains("in_axes[0] = 2 is out of range"),
        "{e}"
    );
}

#[test]
fn error_from_the_mapped_function_is_passed_on() {
    let e = traced_err(
        |p| {
            vmap(
                |a: &[Tensor]| Ok(vec![a[0].matmul(&a[0])?]),
                &[Some(0)],
                &[Some(0)],
            )
            .call(p)
        },
        &[tt(DType::F32, vec![3, 2, 5])],
    );
    assert!(e.contains("dot_general"), "{e}");
}

#[test]
fn batched_reduce_init_is_unsupported_like_jax() {
    let e = traced_err(
        |p| {
            vmap(
                |a: &[Tensor]| {
                    Tensor::reduce_multi(&[a[0].clone()], &[a[1].clone()], &[0], |x, y| {
                        Ok(vec![x[0].add(&y[0])?])
                    })
                },
                &[Some(0)],
                &[Some(0)],
            )
            .call(p)
        },
        &[tt(DType::F32, vec![2, 3]), tt(DType::F32, vec![2])],
    );
    assert!(e.contains("vmap") && e.contains("init value"), "{e}");
}
