//! Host evaluator: reduce, reduce_window and sort (ops with per-element regions).

mod interp_support;

use ferrax_ir::{BinaryOp, CompareDir, DType, Graph, Literal, Op, TensorType, Value, WindowAttrs};
use interp_support::{binary_region, comparator, lit, run, run1, ty};
use std::sync::Arc;

fn reduce_op(op: BinaryOp, d: DType, dims: Vec<usize>) -> Op {
    Op::Reduce {
        dims,
        body: binary_region(op, d),
    }
}

#[test]
fn reduce_spec_example() {
    let x = lit(vec![0i64, 1, 2, 3, 4, 5], &[1, 6]);
    let r = run1(
        reduce_op(BinaryOp::Add, DType::I64, vec![1]),
        &[x, Literal::scalar(0i64)],
        ty(DType::I64, &[1]),
    );
    assert_eq!(r.to_vec::<i64>().unwrap(), vec![15]);
}

#[test]
fn reduce_over_several_dims_and_orders() {
    let x = lit((0..24).collect::<Vec<i32>>(), &[2, 3, 4]);
    let r = run1(
        reduce_op(BinaryOp::Add, DType::I32, vec![0, 2]),
        &[x.clone(), Literal::scalar(0i32)],
        ty(DType::I32, &[3]),
    );
    // sum over i, k of 12i + 4j + k = 2*4*4j + (0+12)*4 + 2*(0+1+2+3)
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![60, 92, 124]);
    let r = run1(
        reduce_op(BinaryOp::Max, DType::I32, vec![1]),
        &[x.clone(), Literal::scalar(i32::MIN)],
        ty(DType::I32, &[2, 4]),
    );
    assert_eq!(
        r.to_vec::<i32>().unwrap(),
        vec![8, 9, 10, 11, 20, 21, 22, 23]
    );
    let r = run1(
        reduce_op(BinaryOp::Mul, DType::I32, vec![]),
        &[x.clone(), Literal::scalar(1i32)],
        ty(DType::I32, &[2, 3, 4]),
    );
    assert_eq!(r, x);
    let all = run1(
        reduce_op(BinaryOp::Add, DType::I32, vec![0, 1, 2]),
        &[x, Literal::scalar(100i32)],
        ty(DType::I32, &[]),
    );
    assert_eq!(all.to_vec::<i32>().unwrap(), vec![100 + 276]);
    // Zero-size reduced dims give the init value; zero-size kept dims give an empty result.
    let e = lit(Vec::<f32>::new(), &[3, 0]);
    let r = run1(
        reduce_op(BinaryOp::Add, DType::F32, vec![1]),
        &[e.clone(), Literal::scalar(-2.5f32)],
        ty(DType::F32, &[3]),
    );
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![-2.5; 3]);
    let r = run1(
        reduce_op(BinaryOp::Add, DType::F32, vec![0]),
        &[e, Literal::scalar(0.0f32)],
        ty(DType::F32, &[0]),
    );
    assert!(r.bytes().is_empty());
}

#[test]
fn reduce_folds_sequentially_in_the_element_type() {
    // f32: 1 + 2^-24 + 2^-24 ... folded left to right in f32 stays 1.
    let mut v = vec![1.0f32];
    v.extend(std::iter::repeat_n(2f32.powi(-24), 8));
    let x = lit(v, &[9]);
    let r = run1(
        reduce_op(BinaryOp::Add, DType::F32, vec![0]),
        &[x, Literal::scalar(0.0f32)],
        ty(DType::F32, &[]),
    );
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![1.0]);
    // Bool and/or reductions.
    let b = lit(vec![true, false, true, true], &[2, 2]);
    let r = run1(
        reduce_op(BinaryOp::And, DType::Bool, vec![1]),
        &[b.clone(), Literal::scalar(true)],
        ty(DType::Bool, &[2]),
    );
    assert_eq!(r.to_vec::<bool>().unwrap(), vec![false, true]);
    let r = run1(
        reduce_op(BinaryOp::Or, DType::Bool, vec![0]),
        &[b, Literal::scalar(false)],
        ty(DType::Bool, &[2]),
    );
    assert_eq!(r.to_vec::<bool>().unwrap(), vec![true, true]);
}

/// `(acc_v, acc_i, x_v, x_i) -> argmax` with ties to the lower index.
fn argmax_body() -> Arc<Graph> {
    let f = TensorType::scalar(DType::F32);
    let i = TensorType::scalar(DType::I32);
    let b = TensorType::scalar(DType::Bool);
    let mut g = Graph::new();
    let av = g.add_parameter(f.clone());
    let ai = g.add_parameter(i.clone());
    let xv = g.add_parameter(f.clone());
    let xi = g.add_parameter(i.clone());
    let gt = g.add_node(
        Op::Compare(CompareDir::Gt),
        &[xv, av],
        vec![b.clone()],
        None,
    );
    let eq = g.add_node(
        Op::Compare(CompareDir::Eq),
        &[xv, av],
        vec![b.clone()],
        None,
    );
    let lt = g.add_node(
        Op::Compare(CompareDir::Lt),
        &[xi, ai],
        vec![b.clone()],
        None,
    );
    let tie = g.add_node(
        Op::Binary(BinaryOp::And),
        &[Value::first(eq), Value::first(lt)],
        vec![b.clone()],
        None,
    );
    let take = g.add_node(
        Op::Binary(BinaryOp::Or),
        &[Value::first(gt), Value::first(tie)],
        vec![b],
        None,
    );
    let v = g.add_node(Op::Select, &[Value::first(take), xv, av], vec![f], None);
    let k = g.add_node(Op::Select, &[Value::first(take), xi, ai], vec![i], None);
    g.set_outputs(vec![Value::first(v), Value::first(k)]);
    Arc::new(g)
}

#[test]
fn variadic_reduce_argmax() {
    let vals = lit(vec![3.0f32, 7.0, 7.0, 1.0, -1.0, -5.0, -0.5, -9.0], &[2, 4]);
    let idx = lit(vec![0i32, 1, 2, 3, 0, 1, 2, 3], &[2, 4]);
    let op = Op::Reduce {
        dims: vec![1],
        body: argmax_body(),
    };
    let r = run(
        op,
        &[
            vals,
            idx,
            Literal::scalar(f32::NEG_INFINITY),
            Literal::scalar(0i32),
        ],
        vec![ty(DType::F32, &[2]), ty(DType::I32, &[2])],
    )
    .unwrap();
    assert_eq!(r[0].to_vec::<f32>().unwrap(), vec![7.0, -0.5]);
    assert_eq!(r[1].to_vec::<i32>().unwrap(), vec![1, 2]);
}

/// `(a, b) -> reduce(broadcast(b, [2]), a, add) = a + 2b`: not a plain scalar region, so it
/// runs through the general graph evaluator.
fn non_scalar_body() -> Arc<Graph> {
    let s = TensorType::scalar(DType::I32);
    let v = TensorType::new(DType::I32, [2]);
    let mut g = Graph::new();
    let a = g.add_parameter(s.clone());
    let b = g.add_parameter(s.clone());
    let bb = g.add_node(Op::BroadcastInDim { dims: vec![] }, &[b], vec![v], None);
    let r = g.add_node(
        Op::Reduce {
            dims: vec![0],
            body: binary_region(BinaryOp::Add, DType::I32),
        },
        &[Value::first(bb), a],
        vec![s],
        None,
    );
    g.set_outputs(vec![Value::first(r)]);
    Arc::new(g)
}

#[test]
fn reduce_with_a_general_region() {
    let x = lit(vec![1i32, 2, 3], &[3]);
    let op = Op::Reduce {
        dims: vec![0],
        body: non_scalar_body(),
    };
    let r = run1(op, &[x, Literal::scalar(10i32)], ty(DType::I32, &[]));
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![10 + 2 * 6]);
}

fn window(
    dims: Vec<usize>,
    strides: Vec<usize>,
    base: Vec<usize>,
    wdil: Vec<usize>,
    padding: Vec<(i64, i64)>,
) -> WindowAttrs {
    WindowAttrs {
        window_dimensions: dims,
        window_strides: strides,
        base_dilations: base,
        window_dilations: wdil,
        padding,
    }
}

#[test]
fn reduce_window_spec_example() {
    let x = lit(vec![1i64, 2, 3, 4, 5, 6], &[3, 2]);
    let op = Op::ReduceWindow {
        window: window(
            vec![2, 1],
            vec![4, 1],
            vec![2, 1],
            vec![3, 1],
            vec![(2, 1), (0, 0)],
        ),
        body: binary_region(BinaryOp::Add, DType::I64),
    };
    let r = run1(op, &[x, Literal::scalar(0i64)], ty(DType::I64, &[2, 2]));
    assert_eq!(r.to_vec::<i64>().unwrap(), vec![0, 0, 3, 4]);
}

#[test]
fn reduce_window_pooling() {
    // 2x2 max pool, stride 2, on a 4x4 image.
    let x = lit((0..16).map(|v| v as f32).collect::<Vec<_>>(), &[4, 4]);
    let op = Op::ReduceWindow {
        window: window(
            vec![2, 2],
            vec![2, 2],
            vec![1, 1],
            vec![1, 1],
            vec![(0, 0), (0, 0)],
        ),
        body: binary_region(BinaryOp::Max, DType::F32),
    };
    let r = run1(
        op,
        &[x.clone(), Literal::scalar(f32::NEG_INFINITY)],
        ty(DType::F32, &[2, 2]),
    );
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![5.0, 7.0, 13.0, 15.0]);
    // 3-wide "same" sum along a row with padding 1 on each side.
    let y = lit(vec![1i32, 2, 3], &[3]);
    let op = Op::ReduceWindow {
        window: window(vec![3], vec![1], vec![1], vec![1], vec![(1, 1)]),
        body: binary_region(BinaryOp::Add, DType::I32),
    };
    let r = run1(
        op.clone(),
        &[y.clone(), Literal::scalar(0i32)],
        ty(DType::I32, &[3]),
    );
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![3, 6, 5]);
    // Padding positions are skipped, not filled with the init value (XLA's behaviour).
    let r = run1(op, &[y, Literal::scalar(10i32)], ty(DType::I32, &[3]));
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![13, 16, 15]);
    // Negative padding and a window dilation.
    let z = lit((1..=6).collect::<Vec<i32>>(), &[6]);
    let op = Op::ReduceWindow {
        window: window(vec![2], vec![1], vec![1], vec![2], vec![(-1, 0)]),
        body: binary_region(BinaryOp::Add, DType::I32),
    };
    let r = run1(op, &[z, Literal::scalar(0i32)], ty(DType::I32, &[3]));
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![2 + 4, 3 + 5, 4 + 6]);
}

#[test]
fn sort_spec_example() {
    let a = lit(vec![1i64, 2, 3, 3, 2, 1], &[2, 3]);
    let b = lit(vec![3i64, 2, 1, 1, 2, 3], &[2, 3]);
    let op = Op::Sort {
        dim: 0,
        stable: true,
        comparator: comparator(CompareDir::Gt, &[DType::I64, DType::I64]),
    };
    let r = run(
        op,
        &[a, b],
        vec![ty(DType::I64, &[2, 3]), ty(DType::I64, &[2, 3])],
    )
    .unwrap();
    assert_eq!(r[0].to_vec::<i64>().unwrap(), vec![3, 2, 3, 1, 2, 1]);
    assert_eq!(r[1].to_vec::<i64>().unwrap(), vec![1, 2, 1, 3, 2, 3]);
}

#[test]
fn sort_is_stable_and_sorts_rows() {
    let keys = lit(vec![2u8, 1, 2, 1, 0, 3, 3, 0], &[8]);
    let vals = lit((0..8).collect::<Vec<i32>>(), &[8]);
    let op = Op::Sort {
        dim: 0,
        stable: false,
        comparator: comparator(CompareDir::Lt, &[DType::U8, DType::I32]),
    };
    let r = run(
        op,
        &[keys, vals],
        vec![ty(DType::U8, &[8]), ty(DType::I32, &[8])],
    )
    .unwrap();
    assert_eq!(r[0].to_vec::<u8>().unwrap(), vec![0, 0, 1, 1, 2, 2, 3, 3]);
    assert_eq!(r[1].to_vec::<i32>().unwrap(), vec![4, 7, 1, 3, 0, 2, 5, 6]);
    // Rows of a matrix, descending.
    let x = lit(vec![3.0f32, 1.0, 2.0, -1.0, 5.0, 0.0], &[2, 3]);
    let op = Op::Sort {
        dim: 1,
        stable: true,
        comparator: comparator(CompareDir::Gt, &[DType::F32]),
    };
    let r = run1(op, &[x], ty(DType::F32, &[2, 3]));
    assert_eq!(
        r.to_vec::<f32>().unwrap(),
        vec![3.0, 2.0, 1.0, 5.0, 0.0, -1.0]
    );
}

#[test]
fn sort_with_inconsistent_comparator_does_not_panic() {
    let mut v: Vec<f32> = (0..200).map(|i| ((i * 37) % 101) as f32).collect();
    for i in (0..200).step_by(7) {
        v[i] = f32::NAN;
    }
    let x = lit(v.clone(), &[200]);
    let op = Op::Sort {
        dim: 0,
        stable: true,
        comparator: comparator(CompareDir::Lt, &[DType::F32]),
    };
    let r = run1(op, &[x], ty(DType::F32, &[200]));
    let mut got = r.to_vec::<f32>().unwrap();
    // Some permutation of the input.
    let key = |x: &f32| if x.is_nan() { f32::INFINITY } else { *x };
    got.sort_by(|a, b| key(a).total_cmp(&key(b)));
    v.sort_by(|a, b| key(a).total_cmp(&key(b)));
    assert_eq!(
        got.iter().map(|x| x.to_bits()).collect::<Vec<_>>().len(),
        200
    );
    assert_eq!(
        got.iter().filter(|x| x.is_nan()).count(),
        v.iter().filter(|x| x.is_nan()).count()
    );
    // Zero-size and single-element sorts.
    let op = Op::Sort {
        dim: 0,
        stable: true,
        comparator: comparator(CompareDir::Lt, &[DType::F32]),
    };
    let r = run1(
        op.clone(),
        &[lit(Vec::<f32>::new(), &[0])],
        ty(DType::F32, &[0]),
    );
    assert!(r.bytes().is_empty());
    let r = run1(op, &[lit(vec![4.0f32], &[1])], ty(DType::F32, &[1]));
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![4.0]);
}

#[test]
fn large_reduce_and_sort_are_fast_enough() {
    let n = 1_000_000;
    let x = lit((0..n).map(|i| (i % 1000) as f32).collect::<Vec<_>>(), &[n]);
    let t0 = std::time::Instant::now();
    let r = run1(
        reduce_op(BinaryOp::Add, DType::F32, vec![0]),
        &[x, Literal::scalar(0.0f32)],
        ty(DType::F32, &[]),
    );
    // Folded sequentially in f32 (the exact sum would be 499_500_000).
    let want = (0..n).fold(0.0f32, |a, i| a + (i % 1000) as f32);
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![want]);
    let m = 100_000;
    let y = lit(
        (0..m).map(|i| ((i * 7919) % m) as i32).collect::<Vec<_>>(),
        &[m],
    );
    let op = Op::Sort {
        dim: 0,
        stable: true,
        comparator: comparator(CompareDir::Lt, &[DType::I32]),
    };
    let s = run1(op, &[y], ty(DType::I32, &[m]));
    assert_eq!(
        s.to_vec::<i32>().unwrap(),
        (0..m as i32).collect::<Vec<_>>()
    );
    let dt = t0.elapsed();
    assert!(dt.as_secs_f64() < 20.0, "took {dt:?}");
}

#[test]
fn region_type_mismatch_is_an_error() {
    let x = lit(vec![1i32, 2, 3], &[3]);
    let op = Op::Reduce {
        dims: vec![0],
        body: binary_region(BinaryOp::Add, DType::I64),
    };
    assert!(run(
        op,
        &[x.clone(), Literal::scalar(0i32)],
        vec![ty(DType::I32, &[])]
    )
    .is_err());
    let op = Op::Sort {
        dim: 1,
        stable: true,
        comparator: comparator(CompareDir::Lt, &[DType::I32]),
    };
    assert!(run(op, &[x], vec![ty(DType::I32, &[3])]).is_err());
}
