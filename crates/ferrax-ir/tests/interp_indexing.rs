//! Host evaluator: data movement, slicing, padding, gather and scatter.

mod interp_support;

use ferrax_ir::{BinaryOp, DType, GatherDims, Literal, Op, ScatterDims};
use half::bf16;
use interp_support::{binary_region, lit, replace_region, run, run1, ty};

fn iota_i64(n: usize) -> Vec<i64> {
    (1..=n as i64).collect()
}

#[test]
fn broadcast_in_dim_spec_example() {
    let x = lit(vec![1i32, 2, 3], &[1, 3]);
    let r = run1(
        Op::BroadcastInDim { dims: vec![2, 1] },
        &[x],
        ty(DType::I32, &[2, 3, 2]),
    );
    assert_eq!(
        r.to_vec::<i32>().unwrap(),
        vec![1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]
    );
    let r = run1(
        Op::BroadcastInDim { dims: vec![] },
        &[Literal::scalar(7u8)],
        ty(DType::U8, &[2, 2]),
    );
    assert_eq!(r.to_vec::<u8>().unwrap(), vec![7; 4]);
    let r = run1(
        Op::BroadcastInDim { dims: vec![0] },
        &[lit(vec![1.5f64, 2.5], &[2])],
        ty(DType::F64, &[2, 3]),
    );
    assert_eq!(
        r.to_vec::<f64>().unwrap(),
        vec![1.5, 1.5, 1.5, 2.5, 2.5, 2.5]
    );
    let r = run1(
        Op::BroadcastInDim { dims: vec![0] },
        &[lit(vec![1i8], &[1])],
        ty(DType::I8, &[0]),
    );
    assert!(r.bytes().is_empty());
}

#[test]
fn reshape_and_transpose_spec_examples() {
    let x = lit(vec![1i32, 2, 3, 4, 5, 6], &[2, 3]);
    let r = run1(Op::Reshape, &[x], ty(DType::I32, &[3, 2]));
    assert_eq!(r.shape().dims(), &[3, 2]);
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![1, 2, 3, 4, 5, 6]);
    let x = lit((1..=12).collect::<Vec<i32>>(), &[2, 3, 2]);
    let r = run1(
        Op::Transpose {
            perm: vec![2, 1, 0],
        },
        &[x],
        ty(DType::I32, &[2, 3, 2]),
    );
    assert_eq!(
        r.to_vec::<i32>().unwrap(),
        vec![1, 7, 3, 9, 5, 11, 2, 8, 4, 10, 6, 12]
    );
    let x = lit(
        vec![
            bf16::from_f32(1.0),
            bf16::from_f32(2.0),
            bf16::from_f32(3.0),
            bf16::from_f32(4.0),
        ],
        &[2, 2],
    );
    let r = run1(
        Op::Transpose { perm: vec![1, 0] },
        &[x],
        ty(DType::BF16, &[2, 2]),
    );
    let v: Vec<f32> = r
        .to_vec::<bf16>()
        .unwrap()
        .iter()
        .map(|x| x.to_f32())
        .collect();
    assert_eq!(v, vec![1.0, 3.0, 2.0, 4.0]);
    let r = run1(
        Op::Reshape,
        &[Literal::scalar(5i64)],
        ty(DType::I64, &[1, 1]),
    );
    assert_eq!(r.to_vec::<i64>().unwrap(), vec![5]);
}

#[test]
fn slice_spec_example_and_strides() {
    let x = lit(vec![0i64, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1], &[3, 4]);
    let op = Op::Slice {
        start: vec![1, 2],
        limit: vec![3, 4],
        strides: vec![1, 1],
    };
    assert_eq!(
        run1(op, &[x], ty(DType::I64, &[2, 2]))
            .to_vec::<i64>()
            .unwrap(),
        vec![1, 1, 1, 1]
    );
    let x = lit((0..20).collect::<Vec<i32>>(), &[4, 5]);
    let op = Op::Slice {
        start: vec![1, 0],
        limit: vec![4, 5],
        strides: vec![2, 3],
    };
    assert_eq!(
        run1(op, std::slice::from_ref(&x), ty(DType::I32, &[2, 2]))
            .to_vec::<i32>()
            .unwrap(),
        vec![5, 8, 15, 18]
    );
    let op = Op::Slice {
        start: vec![2, 2],
        limit: vec![2, 5],
        strides: vec![1, 1],
    };
    assert!(run1(op, &[x], ty(DType::I32, &[0, 3])).bytes().is_empty());
}

#[test]
fn dynamic_slice_clamps_spec_example() {
    let x = lit(
        vec![0i32, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        &[4, 4],
    );
    let r = run1(
        Op::DynamicSlice { sizes: vec![2, 2] },
        &[x.clone(), Literal::scalar(-1i64), Literal::scalar(3i64)],
        ty(DType::I32, &[2, 2]),
    );
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![1, 1, 1, 1]);
    let y = lit((0..16).collect::<Vec<i32>>(), &[4, 4]);
    let r = run1(
        Op::DynamicSlice { sizes: vec![1, 3] },
        &[y.clone(), Literal::scalar(2u32), Literal::scalar(i32::MAX)],
        ty(DType::I32, &[1, 3]),
    );
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![9, 10, 11]);
    let r = run1(
        Op::DynamicSlice { sizes: vec![2, 0] },
        &[y, Literal::scalar(1i8), Literal::scalar(9i8)],
        ty(DType::I32, &[2, 0]),
    );
    assert!(r.bytes().is_empty());
}

#[test]
fn dynamic_update_slice_clamps_spec_example() {
    let x = lit(
        vec![1i32, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
        &[4, 4],
    );
    let u = lit(vec![1i32, 1, 1, 1], &[2, 2]);
    let r = run1(
        Op::DynamicUpdateSlice,
        &[x, u, Literal::scalar(-1i64), Literal::scalar(3i64)],
        ty(DType::I32, &[4, 4]),
    );
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![1; 16]);
    let x = lit(vec![0.0f32; 6], &[2, 3]);
    let u = lit(vec![5.0f32, 6.0], &[1, 2]);
    let r = run1(
        Op::DynamicUpdateSlice,
        &[x, u, Literal::scalar(1i32), Literal::scalar(0i32)],
        ty(DType::F32, &[2, 3]),
    );
    assert_eq!(
        r.to_vec::<f32>().unwrap(),
        vec![0.0, 0.0, 0.0, 5.0, 6.0, 0.0]
    );
}

#[test]
fn concatenate_spec_example_and_zero_size() {
    let a = lit(vec![1i64, 2, 3, 4, 5, 6], &[3, 2]);
    let b = lit(vec![7i64, 8], &[1, 2]);
    let r = run1(
        Op::Concatenate { dim: 0 },
        &[a.clone(), b],
        ty(DType::I64, &[4, 2]),
    );
    assert_eq!(r.to_vec::<i64>().unwrap(), vec![1, 2, 3, 4, 5, 6, 7, 8]);
    let c = lit(vec![10i64, 20, 30], &[3, 1]);
    let e = lit(Vec::<i64>::new(), &[3, 0]);
    let r = run1(
        Op::Concatenate { dim: 1 },
        &[a, e, c],
        ty(DType::I64, &[3, 3]),
    );
    assert_eq!(
        r.to_vec::<i64>().unwrap(),
        vec![1, 2, 10, 3, 4, 20, 5, 6, 30]
    );
}

#[test]
fn pad_spec_examples() {
    let x = lit(vec![1i32, 2, 3, 4, 5, 6], &[2, 3]);
    let op = Op::Pad {
        low: vec![0, 1],
        high: vec![2, 1],
        interior: vec![1, 2],
    };
    let r = run1(op, &[x, Literal::scalar(0i32)], ty(DType::I32, &[5, 9]));
    #[rustfmt::skip]
    let want = vec![
        0, 1, 0, 0, 2, 0, 0, 3, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 4, 0, 0, 5, 0, 0, 6, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(r.to_vec::<i32>().unwrap(), want);
    // Negative edge padding removes elements (from the interior-padded operand).
    #[rustfmt::skip]
    let x = lit(vec![
        0i64, 0, 0, 0,
        0, 1, 2, 0,
        0, 3, 4, 0,
        0, 5, 6, 0,
        0, 0, 0, 0,
    ], &[5, 4]);
    let op = Op::Pad {
        low: vec![1, -1],
        high: vec![1, -1],
        interior: vec![0, 1],
    };
    let r = run1(op, &[x, Literal::scalar(-1i64)], ty(DType::I64, &[7, 5]));
    #[rustfmt::skip]
    let want = vec![
        -1, -1, -1, -1, -1,
        -1, 0, -1, 0, -1,
        -1, 1, -1, 2, -1,
        -1, 3, -1, 4, -1,
        -1, 5, -1, 6, -1,
        -1, 0, -1, 0, -1,
        -1, -1, -1, -1, -1,
    ];
    assert_eq!(r.to_vec::<i64>().unwrap(), want);
    let op = Op::Pad {
        low: vec![2],
        high: vec![1],
        interior: vec![0],
    };
    let r = run1(
        op,
        &[lit(Vec::<f32>::new(), &[0]), Literal::scalar(9.0f32)],
        ty(DType::F32, &[3]),
    );
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![9.0; 3]);
    let op = Op::Pad {
        low: vec![-2],
        high: vec![-1],
        interior: vec![0],
    };
    let r = run1(
        op,
        &[lit(vec![1u8, 2, 3, 4], &[4]), Literal::scalar(0u8)],
        ty(DType::U8, &[1]),
    );
    assert_eq!(r.to_vec::<u8>().unwrap(), vec![3]);
}

fn spec_gather_operand() -> Literal {
    lit((1..=48).collect::<Vec<i32>>(), &[2, 3, 4, 2])
}

#[test]
fn gather_spec_example_with_batching_dims() {
    #[rustfmt::skip]
    let idx = lit(vec![
        0i64, 0, 1, 0, 2, 1,
        0, 1, 1, 1, 0, 9,
        0, 0, 2, 1, 2, 2,
        1, 2, 0, 1, 1, 0,
    ], &[2, 2, 3, 2]);
    let g = GatherDims {
        offset_dims: vec![3, 4],
        collapsed_slice_dims: vec![1],
        operand_batching_dims: vec![0],
        start_indices_batching_dims: vec![1],
        start_index_map: vec![2, 1],
        index_vector_dim: 3,
        slice_sizes: vec![1, 1, 2, 2],
        indices_are_sorted: false,
    };
    let r = run1(
        Op::Gather(g),
        &[spec_gather_operand(), idx],
        ty(DType::I32, &[2, 2, 3, 2, 2]),
    );
    #[rustfmt::skip]
    let want = vec![
        1, 2, 3, 4,   3, 4, 5, 6,   13, 14, 15, 16,
        33, 34, 35, 36,   35, 36, 37, 38,   41, 42, 43, 44,
        1, 2, 3, 4,   13, 14, 15, 16,   21, 22, 23, 24,
        43, 44, 45, 46,   33, 34, 35, 36,   27, 28, 29, 30,
    ];
    assert_eq!(r.to_vec::<i32>().unwrap(), want);
}

#[test]
fn gather_rows_with_clamping_and_implicit_index_vector() {
    // Take rows of a 4x3 matrix: indices [2, -5, 100] clamp to [2, 0, 3].
    let x = lit((0..12).collect::<Vec<u16>>(), &[4, 3]);
    let idx = lit(vec![2i32, -5, 100], &[3]);
    let g = GatherDims {
        offset_dims: vec![1],
        collapsed_slice_dims: vec![0],
        start_index_map: vec![0],
        index_vector_dim: 1,
        slice_sizes: vec![1, 3],
        ..Default::default()
    };
    let r = run1(Op::Gather(g), &[x.clone(), idx], ty(DType::U16, &[3, 3]));
    assert_eq!(
        r.to_vec::<u16>().unwrap(),
        vec![6, 7, 8, 0, 1, 2, 9, 10, 11]
    );
    // A 2-wide window starting at column 2 of a 3-column row clamps to column 1.
    let idx = lit(vec![1i64, 2], &[1, 2]);
    let g = GatherDims {
        offset_dims: vec![1, 2],
        start_index_map: vec![0, 1],
        index_vector_dim: 1,
        slice_sizes: vec![2, 2],
        ..Default::default()
    };
    let r = run1(Op::Gather(g), &[x.clone(), idx], ty(DType::U16, &[1, 2, 2]));
    assert_eq!(r.to_vec::<u16>().unwrap(), vec![4, 5, 7, 8]);
    // Zero indices give an empty result.
    let idx = lit(Vec::<i32>::new(), &[0]);
    let g = GatherDims {
        offset_dims: vec![1],
        collapsed_slice_dims: vec![0],
        start_index_map: vec![0],
        index_vector_dim: 1,
        slice_sizes: vec![1, 3],
        ..Default::default()
    };
    let r = run1(Op::Gather(g), &[x, idx], ty(DType::U16, &[0, 3]));
    assert!(r.bytes().is_empty());
}

#[test]
fn scatter_spec_example_with_batching_dims() {
    let input = lit(iota_i64(48), &[2, 3, 4, 2]);
    #[rustfmt::skip]
    let idx = lit(vec![
        0i64, 0, 1, 0, 2, 1,
        0, 1, 1, 1, 0, 9,
        0, 0, 2, 1, 2, 2,
        1, 2, 0, 1, 1, 0,
    ], &[2, 2, 3, 2]);
    let upd = lit(vec![1i64; 48], &[2, 2, 3, 2, 2]);
    let dims = ScatterDims {
        update_window_dims: vec![3, 4],
        inserted_window_dims: vec![1],
        input_batching_dims: vec![0],
        scatter_indices_batching_dims: vec![1],
        scatter_dims_to_operand_dims: vec![2, 1],
        index_vector_dim: 3,
        ..Default::default()
    };
    let op = Op::Scatter {
        dims,
        update: binary_region(BinaryOp::Add, DType::I64),
    };
    let r = run1(op, &[input, idx, upd], ty(DType::I64, &[2, 3, 4, 2]));
    #[rustfmt::skip]
    let want = vec![
        3, 4, 6, 7, 6, 7, 7, 8,
        9, 10, 11, 12, 15, 16, 17, 18,
        17, 18, 19, 20, 22, 23, 24, 25,
        25, 26, 28, 29, 30, 31, 31, 32,
        35, 36, 38, 39, 38, 39, 39, 40,
        41, 42, 44, 45, 46, 47, 47, 48,
    ];
    assert_eq!(r.to_vec::<i64>().unwrap(), want);
}

#[test]
fn scatter_interpreter_example() {
    // stablehlo/tests/interpret/scatter.mlir, scatter_op_test.
    let input = lit(iota_i64(24), &[3, 4, 2]);
    let idx = lit(vec![0i64, 2, 1, 0, 2, 1, 0, 1, 1, 0, 0, 9], &[2, 3, 2]);
    let upd = lit(vec![1i64; 24], &[2, 3, 2, 2]);
    let dims = ScatterDims {
        update_window_dims: vec![2, 3],
        inserted_window_dims: vec![0],
        scatter_dims_to_operand_dims: vec![1, 0],
        index_vector_dim: 2,
        ..Default::default()
    };
    let op = Op::Scatter {
        dims,
        update: binary_region(BinaryOp::Add, DType::I64),
    };
    let r = run1(op, &[input, idx, upd], ty(DType::I64, &[3, 4, 2]));
    assert_eq!(
        r.to_vec::<i64>().unwrap(),
        vec![
            1, 2, 5, 6, 7, 8, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 21, 22, 23, 24
        ]
    );
}

#[test]
fn scatter_skips_windows_that_do_not_fit_and_applies_in_order() {
    // Row updates into a 4x3 matrix: index 3 fits, index 4 and -1 do not.
    let x = lit(vec![0.0f32; 12], &[4, 3]);
    let idx = lit(vec![3i32, 4, -1, 0, 0], &[5]);
    let upd = lit((1..=15).map(|v| v as f32).collect::<Vec<_>>(), &[5, 3]);
    let dims = ScatterDims {
        update_window_dims: vec![1],
        inserted_window_dims: vec![0],
        scatter_dims_to_operand_dims: vec![0],
        index_vector_dim: 1,
        ..Default::default()
    };
    let add = Op::Scatter {
        dims: dims.clone(),
        update: binary_region(BinaryOp::Add, DType::F32),
    };
    let r = run1(
        add,
        &[x.clone(), idx.clone(), upd.clone()],
        ty(DType::F32, &[4, 3]),
    );
    assert_eq!(
        r.to_vec::<f32>().unwrap(),
        vec![23.0, 25.0, 27.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0]
    );
    // "Replace" with duplicate indices: the last update wins.
    let rep = Op::Scatter {
        dims,
        update: replace_region(DType::F32),
    };
    let r = run1(rep, &[x, idx, upd], ty(DType::F32, &[4, 3]));
    assert_eq!(r.to_vec::<f32>().unwrap()[..3], [13.0, 14.0, 15.0]);
    // A 2-wide window at column 2 of a 3-column row does not fit: skipped entirely.
    let x = lit(vec![0i32; 6], &[2, 3]);
    let idx = lit(vec![0i32, 2, 1, 1], &[2, 2]);
    let upd = lit(vec![1i32, 1, 5, 5], &[2, 1, 2]);
    let dims = ScatterDims {
        update_window_dims: vec![1, 2],
        scatter_dims_to_operand_dims: vec![0, 1],
        index_vector_dim: 1,
        ..Default::default()
    };
    let op = Op::Scatter {
        dims,
        update: binary_region(BinaryOp::Add, DType::I32),
    };
    let r = run1(op, &[x, idx, upd], ty(DType::I32, &[2, 3]));
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![0, 0, 0, 0, 5, 5]);
}

#[test]
fn scatter_with_general_region_and_max() {
    // Combiner max(a, b) * 1: a region with a constant, still scalar.
    let x = lit(vec![5i8, -3, 7], &[3]);
    let idx = lit(vec![0i64, 1, 2, 1], &[4, 1]);
    let upd = lit(vec![1i8, 9, 8, -100], &[4]);
    let dims = ScatterDims {
        inserted_window_dims: vec![0],
        scatter_dims_to_operand_dims: vec![0],
        index_vector_dim: 1,
        ..Default::default()
    };
    let op = Op::Scatter {
        dims,
        update: binary_region(BinaryOp::Max, DType::I8),
    };
    let r = run1(op, &[x, idx, upd], ty(DType::I8, &[3]));
    assert_eq!(r.to_vec::<i8>().unwrap(), vec![5, 9, 8]);
}

#[test]
fn bad_indexing_attributes_are_errors() {
    let x = lit((0..12).collect::<Vec<u16>>(), &[4, 3]);
    let idx = lit(vec![2i32], &[1]);
    let g = GatherDims {
        offset_dims: vec![1],
        collapsed_slice_dims: vec![0],
        start_index_map: vec![5],
        index_vector_dim: 1,
        slice_sizes: vec![1, 3],
        ..Default::default()
    };
    assert!(run(
        Op::Gather(g),
        &[x.clone(), idx.clone()],
        vec![ty(DType::U16, &[1, 3])]
    )
    .is_err());
    let fidx = lit(vec![2.0f32], &[1]);
    let g = GatherDims {
        offset_dims: vec![1],
        collapsed_slice_dims: vec![0],
        start_index_map: vec![0],
        index_vector_dim: 1,
        slice_sizes: vec![1, 3],
        ..Default::default()
    };
    assert!(run(
        Op::Gather(g),
        &[x.clone(), fidx],
        vec![ty(DType::U16, &[1, 3])]
    )
    .is_err());
    let op = Op::DynamicSlice { sizes: vec![5, 1] };
    assert!(run(
        op,
        &[x.clone(), Literal::scalar(0i32), Literal::scalar(0i32)],
        vec![ty(DType::U16, &[5, 1])]
    )
    .is_err());
    let op = Op::DynamicSlice { sizes: vec![1, 1] };
    assert!(run(
        op,
        &[x, Literal::scalar(0.0f32), Literal::scalar(0i32)],
        vec![ty(DType::U16, &[1, 1])]
    )
    .is_err());
}
