//! Shape/dtype rules and tracing errors: errors are values naming the op (and module path).

use ferrax_ir::{
    passes, rules, scope, BinaryOp, DType, DotDims, ErrorKind, Graph, Op, Shape, Tensor,
    TensorType, Value,
};
use proptest::prelude::*;

#[test]
fn bitcast_errors_name_the_op() {
    let e = Tensor::zeros(DType::U16, [3, 3])
        .bitcast(DType::U32)
        .unwrap_err();
    assert!(e.to_string().contains("bitcast_convert"), "{e}");
    assert!(e.to_string().contains("last axis of 2"), "{e}");
    let e = Tensor::zeros(DType::Bool, [2])
        .bitcast(DType::U8)
        .unwrap_err();
    assert!(e.to_string().contains("bool"), "{e}");
    let e = rules::infer(
        &Op::BitcastConvert,
        &[TensorType::new(DType::U64, [4])],
        &[TensorType::new(DType::U32, [4])],
    )
    .unwrap_err();
    assert!(e.to_string().contains("gives shape (4, 2)"), "{e}");
}

#[test]
fn add_shape_mismatch_is_an_error() {
    let a = Tensor::zeros(DType::F32, [2, 3]);
    let b = Tensor::zeros(DType::F32, [3, 2]);
    let e = a.add(&b).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Shape);
    assert!(e.to_string().contains("add"), "{e}");
    // Operators defer the error to the first fallible use.
    let c = &a + &b;
    let d = &c * 2.0;
    assert_eq!(d.check().unwrap_err(), e);
}

#[test]
fn add_dtype_mismatch_is_an_error() {
    let a = Tensor::zeros(DType::F32, [2]);
    let b = Tensor::zeros(DType::I32, [2]);
    let e = a.add(&b).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DType);
}

#[test]
fn dot_general_contracting_mismatch_names_module_path() {
    let _m = scope::enter("Mlp");
    let _l = scope::enter("layer2");
    let x = Tensor::zeros(DType::F32, [1, 7]);
    let w = Tensor::zeros(DType::F32, [10, 5]);
    let e = x.matmul(&w).unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with("Mlp.layer2 (dot_general):"), "{s}");
    assert!(s.contains("contracting"), "{s}");
}

#[test]
fn invalid_reshape_is_an_error() {
    let x = Tensor::zeros(DType::F32, [2, 3]);
    let e = x.reshape([4, 2]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Shape);
    assert!(e.to_string().contains("cannot reshape"), "{e}");
}

#[test]
fn axis_out_of_range_is_an_error() {
    let x = Tensor::zeros(DType::F32, [2, 3]);
    assert!(x.sum(&[2]).is_err());
    assert!(x.transpose(&[0, 0]).is_err());
    assert!(x.slice(&[0, 0], &[3, 3], &[1, 1]).is_err());
    assert!(Tensor::concatenate(&[x.clone(), x.clone()], 5).is_err());
}

#[test]
fn unary_dtype_rules() {
    let i = Tensor::zeros(DType::I32, [2]);
    assert!(i.exp().is_err());
    assert!(i.popcnt().is_ok());
    let f = Tensor::zeros(DType::F32, [2]);
    assert!(f.popcnt().is_err());
    assert_eq!(f.is_finite().unwrap().dtype(), DType::Bool);
}

#[test]
fn cse_merges_and_dce_drops() {
    let mut g = Graph::new();
    let t = TensorType::new(DType::F32, [2]);
    let a = g.add_parameter(t.clone());
    let s1 = g.add_node(Op::Binary(BinaryOp::Add), &[a, a], vec![t.clone()], None);
    let s2 = g.add_node(Op::Binary(BinaryOp::Add), &[a, a], vec![t.clone()], None);
    let _dead = g.add_node(Op::Binary(BinaryOp::Mul), &[a, a], vec![t.clone()], None);
    let m = g.add_node(
        Op::Binary(BinaryOp::Mul),
        &[Value::first(s1), Value::first(s2)],
        vec![t],
        None,
    );
    g.set_outputs(vec![Value::first(m)]);
    assert_eq!(g.num_nodes(), 5);
    let c = passes::cse(&g);
    assert_eq!(c.num_nodes(), 3);
    rules::verify(&c).unwrap();
    assert_eq!(passes::dce(&g).num_nodes(), 4);
}

#[test]
fn fingerprint_ignores_node_numbering_but_not_structure() {
    let build = |swap: bool, op: BinaryOp| {
        let mut g = Graph::new();
        let t = TensorType::new(DType::F32, [2]);
        let a = g.add_parameter(t.clone());
        let b = g.add_parameter(t.clone());
        if swap {
            let _junk = g.add_node(Op::Binary(BinaryOp::Sub), &[a, b], vec![t.clone()], None);
        }
        let s = g.add_node(Op::Binary(op), &[a, b], vec![t], None);
        g.set_outputs(vec![Value::first(s)]);
        g
    };
    assert_eq!(
        build(false, BinaryOp::Add).fingerprint(),
        build(true, BinaryOp::Add).fingerprint()
    );
    assert_ne!(
        build(false, BinaryOp::Add).fingerprint(),
        build(false, BinaryOp::Mul).fingerprint()
    );
}

#[test]
fn while_captures_outer_tensors() {
    let limit = Tensor::scalar(5i32);
    let step = Tensor::scalar(2i32);
    let out = Tensor::while_loop(
        &[Tensor::scalar(0i32)],
        |v| v[0].lt(&limit),
        |v| Ok(vec![v[0].add(&step)?]),
    )
    .unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dtype(), DType::I32);
}

fn small_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..4, 0..4)
}

proptest! {
    // Numpy broadcasting: the rule agrees with an independent statement of it.
    #[test]
    fn broadcast_rule_matches_numpy(a in small_shape(), b in small_shape()) {
        let r = a.len().max(b.len());
        let pad = |s: &Vec<usize>| { let mut v = vec![1; r - s.len()]; v.extend(s); v };
        let (pa, pb) = (pad(&a), pad(&b));
        let compatible = pa.iter().zip(&pb).all(|(x, y)| x == y || *x == 1 || *y == 1);
        let got = rules::broadcast_shapes("add", &Shape(a.clone()), &Shape(b.clone()));
        prop_assert_eq!(got.is_ok(), compatible);
        if let Ok(s) = got {
            let want: Vec<usize> = pa.iter().zip(&pb).map(|(x, y)| if *x == 1 { *y } else { *x }).collect();
            prop_assert_eq!(s.0, want);
        }
    }

    // Reshape succeeds exactly when element counts agree.
    #[test]
    fn reshape_rule(a in small_shape(), b in small_shape()) {
        let x = Tensor::zeros(DType::F32, a.clone());
        let ok = a.iter().product::<usize>() == b.iter().product::<usize>();
        prop_assert_eq!(x.reshape(b).is_ok(), ok);
    }

    // dot_general result shape: batch, lhs free, rhs free.
    #[test]
    fn matmul_rule(m in 0usize..4, k in 0usize..4, k2 in 0usize..4, n in 0usize..4) {
        let l = TensorType::new(DType::F32, [m, k]);
        let r = TensorType::new(DType::F32, [k2, n]);
        let d = DotDims { lhs_contract: vec![1], rhs_contract: vec![0], ..Default::default() };
        let got = rules::dot_general(&d, &l, &r);
        prop_assert_eq!(got.is_ok(), k == k2);
        if let Ok(t) = got { prop_assert_eq!(t.shape.0, vec![m, n]); }
    }

    // bitcast_convert keeps the number of bytes: the shape rule agrees with counting them,
    // and a width change adds or consumes exactly one trailing axis.
    #[test]
    fn bitcast_rule_keeps_bytes(a in small_shape(), from in 0usize..9, to in 0usize..9) {
        let ds = [DType::U8, DType::I8, DType::U16, DType::BF16, DType::F16, DType::U32,
                  DType::F32, DType::U64, DType::F64];
        let (f, t) = (ds[from], ds[to]);
        let x = Tensor::zeros(f, a.clone());
        let got = x.bitcast(t);
        let (wf, wt) = (f.byte_size(), t.byte_size());
        let ok = wf >= wt || a.last() == Some(&(wt / wf));
        prop_assert_eq!(got.is_ok(), ok);
        if let Ok(y) = got {
            let bytes = |s: &[usize], w: usize| s.iter().product::<usize>() * w;
            prop_assert_eq!(bytes(y.shape(), wt), bytes(&a, wf));
            let back = y.bitcast(f).expect("the way back");
            prop_assert_eq!(back.shape(), &a[..]);
        }
    }

    // Transpose accepts exactly the permutations.
    #[test]
    fn transpose_rule(perm in prop::collection::vec(0usize..3, 3)) {
        let x = Tensor::zeros(DType::F32, [1, 2, 3]);
        let mut sorted = perm.clone();
        sorted.sort();
        let is_perm = sorted == vec![0, 1, 2];
        let got = x.transpose(&perm);
        prop_assert_eq!(got.is_ok(), is_perm);
        if let Ok(t) = got {
            let want: Vec<usize> = perm.iter().map(|&p| [1, 2, 3][p]).collect();
            prop_assert_eq!(t.shape(), &want[..]);
        }
    }
}
