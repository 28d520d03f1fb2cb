//! Host evaluator: whole graphs, while, case, argument checking and error reporting.

mod interp_support;

use ferrax_ir::{
    interp, BinaryOp, CompareDir, DType, ErrorKind, Graph, Literal, Op, TensorType, UnaryOp, Value,
};
use interp_support::{binary_region, lit, run, ty};
use std::sync::Arc;

fn scalar(d: DType) -> TensorType {
    TensorType::scalar(d)
}

fn constant(g: &mut Graph, l: Literal) -> Value {
    let t = l.ty().clone();
    Value::first(g.add_node(Op::Constant(l), &[], vec![t], None))
}

/// The spec's while example: `i = 1, sum = 0; while i < 10 { sum += 1; i += 1 }`.
fn spec_while() -> (Arc<Graph>, Arc<Graph>) {
    let s = scalar(DType::I64);
    let mut cond = Graph::new();
    let i = cond.add_parameter(s.clone());
    let _sum = cond.add_parameter(s.clone());
    let ten = constant(&mut cond, Literal::scalar(10i64));
    let c = cond.add_node(
        Op::Compare(CompareDir::Lt),
        &[i, ten],
        vec![scalar(DType::Bool)],
        None,
    );
    cond.set_outputs(vec![Value::first(c)]);
    let mut body = Graph::new();
    let i = body.add_parameter(s.clone());
    let sum = body.add_parameter(s.clone());
    let one = constant(&mut body, Literal::scalar(1i64));
    let ns = body.add_node(
        Op::Binary(BinaryOp::Add),
        &[sum, one],
        vec![s.clone()],
        None,
    );
    let ni = body.add_node(Op::Binary(BinaryOp::Add), &[i, one], vec![s], None);
    body.set_outputs(vec![Value::first(ni), Value::first(ns)]);
    (Arc::new(cond), Arc::new(body))
}

#[test]
fn while_spec_example() {
    let (cond, body) = spec_while();
    let s = scalar(DType::I64);
    let r = run(
        Op::While { cond, body },
        &[Literal::scalar(1i64), Literal::scalar(0i64)],
        vec![s.clone(), s],
    )
    .unwrap();
    assert_eq!(r[0].to_vec::<i64>().unwrap(), vec![10]);
    // The spec prints 10, but the body runs for i = 1..=9, so the sum is 9; the
    // interpreter test (stablehlo/tests/interpret/while.mlir) starts at i = 0 and gets 10.
    assert_eq!(r[1].to_vec::<i64>().unwrap(), vec![9]);
    let (cond, body) = spec_while();
    let s = scalar(DType::I64);
    let r = run(
        Op::While { cond, body },
        &[Literal::scalar(0i64), Literal::scalar(0i64)],
        vec![s.clone(), s],
    )
    .unwrap();
    assert_eq!(r[0].to_vec::<i64>().unwrap(), vec![10]);
    assert_eq!(r[1].to_vec::<i64>().unwrap(), vec![10]);
}

#[test]
fn while_with_array_state_and_nested_reduce() {
    // while sum(x) < 100 { x = x * 2 }
    let t = ty(DType::F32, &[3]);
    let s = scalar(DType::F32);
    let mut cond = Graph::new();
    let x = cond.add_parameter(t.clone());
    let zero = constant(&mut cond, Literal::scalar(0.0f32));
    let sum = cond.add_node(
        Op::Reduce {
            dims: vec![0],
            body: binary_region(BinaryOp::Add, DType::F32),
        },
        &[x, zero],
        vec![s],
        None,
    );
    let hundred = constant(&mut cond, Literal::scalar(100.0f32));
    let c = cond.add_node(
        Op::Compare(CompareDir::Lt),
        &[Value::first(sum), hundred],
        vec![scalar(DType::Bool)],
        None,
    );
    cond.set_outputs(vec![Value::first(c)]);
    let mut body = Graph::new();
    let x = body.add_parameter(t.clone());
    let y = body.add_node(Op::Binary(BinaryOp::Add), &[x, x], vec![t.clone()], None);
    body.set_outputs(vec![Value::first(y)]);
    let op = Op::While {
        cond: Arc::new(cond),
        body: Arc::new(body),
    };
    let r = run(
        op.clone(),
        &[lit(vec![1.0f32, 2.0, 3.0], &[3])],
        vec![t.clone()],
    )
    .unwrap();
    assert_eq!(r[0].to_vec::<f32>().unwrap(), vec![32.0, 64.0, 96.0]);
    // A condition false from the start returns the inputs.
    let r = run(op, &[lit(vec![100.0f32, 0.0, 0.0], &[3])], vec![t]).unwrap();
    assert_eq!(r[0].to_vec::<f32>().unwrap(), vec![100.0, 0.0, 0.0]);
}

fn const_branch(v: i64) -> Arc<Graph> {
    let mut g = Graph::new();
    let c = constant(&mut g, lit(vec![v, v], &[2]));
    g.set_outputs(vec![c, c]);
    Arc::new(g)
}

#[test]
fn case_spec_example_and_index_range() {
    let branches = vec![const_branch(0), const_branch(1)];
    let t = ty(DType::I64, &[2]);
    let op = Op::Case { branches };
    for (idx, want) in [
        (-1i32, 1i64),
        (0, 0),
        (1, 1),
        (2, 1),
        (i32::MAX, 1),
        (i32::MIN, 1),
    ] {
        let r = run(
            op.clone(),
            &[Literal::scalar(idx)],
            vec![t.clone(), t.clone()],
        )
        .unwrap();
        assert_eq!(r[0].to_vec::<i64>().unwrap(), vec![want; 2], "index {idx}");
        assert_eq!(r[1].to_vec::<i64>().unwrap(), vec![want; 2], "index {idx}");
    }
}

#[test]
fn case_passes_arguments() {
    let t = ty(DType::F32, &[2]);
    let mk = |u: UnaryOp| {
        let mut g = Graph::new();
        let x = g.add_parameter(t.clone());
        let y = g.add_node(Op::Unary(u), &[x], vec![t.clone()], None);
        g.set_outputs(vec![Value::first(y)]);
        Arc::new(g)
    };
    let op = Op::Case {
        branches: vec![mk(UnaryOp::Neg), mk(UnaryOp::Sqrt), mk(UnaryOp::Abs)],
    };
    let x = lit(vec![-4.0f32, 9.0], &[2]);
    let r = run(
        op.clone(),
        &[Literal::scalar(0i32), x.clone()],
        vec![t.clone()],
    )
    .unwrap();
    assert_eq!(r[0].to_vec::<f32>().unwrap(), vec![4.0, -9.0]);
    let r = run(
        op.clone(),
        &[Literal::scalar(1i32), x.clone()],
        vec![t.clone()],
    )
    .unwrap();
    let v = r[0].to_vec::<f32>().unwrap();
    assert!(v[0].is_nan() && v[1] == 3.0);
    let r = run(op, &[Literal::scalar(3i32), x], vec![t]).unwrap();
    assert_eq!(r[0].to_vec::<f32>().unwrap(), vec![4.0, 9.0]);
}

#[test]
fn graph_with_shared_values_multi_outputs_and_passthrough() {
    // out0 = (a + b) * a, out1 = a, out2 = argmax index from a 2-result reduce.
    let t = ty(DType::I32, &[4]);
    let s = scalar(DType::I32);
    let mut g = Graph::new();
    let a = g.add_parameter(t.clone());
    let b = g.add_parameter(t.clone());
    let sum = g.add_node(Op::Binary(BinaryOp::Add), &[a, b], vec![t.clone()], None);
    let prod = g.add_node(
        Op::Binary(BinaryOp::Mul),
        &[Value::first(sum), a],
        vec![t.clone()],
        None,
    );
    let zero = constant(&mut g, Literal::scalar(0i32));
    let red = g.add_node(
        Op::Reduce {
            dims: vec![0],
            body: pair_sum_body(),
        },
        &[a, b, zero, zero],
        vec![s.clone(), s],
        None,
    );
    let neg = g.add_node(
        Op::Unary(UnaryOp::Neg),
        &[Value {
            node: red,
            output: 1,
        }],
        vec![scalar(DType::I32)],
        None,
    );
    g.set_outputs(vec![
        Value::first(prod),
        a,
        Value::first(neg),
        Value {
            node: red,
            output: 0,
        },
    ]);
    let x = lit(vec![1i32, 2, 3, 4], &[4]);
    let y = lit(vec![10i32, 20, 30, 40], &[4]);
    let r = interp::eval(&g, &[x.clone(), y]).unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(r[0].to_vec::<i32>().unwrap(), vec![11, 44, 99, 176]);
    assert_eq!(r[1], x);
    assert_eq!(r[2].to_vec::<i32>().unwrap(), vec![-100]);
    assert_eq!(r[3].to_vec::<i32>().unwrap(), vec![10]);
}

/// `(acc_a, acc_b, x_a, x_b) -> (acc_a + x_a, acc_b + x_b)`.
fn pair_sum_body() -> Arc<Graph> {
    let s = scalar(DType::I32);
    let mut g = Graph::new();
    let p: Vec<Value> = (0..4).map(|_| g.add_parameter(s.clone())).collect();
    let u = g.add_node(
        Op::Binary(BinaryOp::Add),
        &[p[0], p[2]],
        vec![s.clone()],
        None,
    );
    let v = g.add_node(Op::Binary(BinaryOp::Add), &[p[1], p[3]], vec![s], None);
    g.set_outputs(vec![Value::first(u), Value::first(v)]);
    Arc::new(g)
}

#[test]
fn arguments_are_checked() {
    let t = ty(DType::F32, &[2]);
    let mut g = Graph::new();
    let a = g.add_parameter(t.clone());
    let n = g.add_node(Op::Unary(UnaryOp::Exp), &[a], vec![t], None);
    g.set_outputs(vec![Value::first(n)]);
    let ok = lit(vec![0.0f32, 1.0], &[2]);
    assert!(interp::eval(&g, std::slice::from_ref(&ok)).is_ok());
    let e = interp::eval(&g, &[]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    let e = interp::eval(&g, &[ok.clone(), ok]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    let e = interp::eval(&g, &[lit(vec![0.0f64, 1.0], &[2])]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::DType);
    let e = interp::eval(&g, &[lit(vec![0.0f32; 3], &[3])]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Shape);
}

#[test]
fn errors_carry_the_node_path_and_never_panic() {
    let t = ty(DType::F32, &[2]);
    let mut g = Graph::new();
    let a = g.add_parameter(t.clone());
    // A node whose declared type is wrong (i32 result of an f32 add).
    let bad = g.add_node(
        Op::Binary(BinaryOp::Add),
        &[a, a],
        vec![ty(DType::I32, &[2])],
        Some(Arc::from("Mlp.layer2")),
    );
    g.set_outputs(vec![Value::first(bad)]);
    let e = interp::eval(&g, &[lit(vec![1.0f32, 2.0], &[2])]).unwrap_err();
    assert_eq!(e.path.as_deref(), Some("Mlp.layer2"));
    assert!(e.to_string().starts_with("Mlp.layer2 (add)"), "{e}");
    // Parameters have no value outside a graph.
    let e =
        interp::eval_node(&Op::Parameter { index: 0 }, &[], std::slice::from_ref(&t)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    // An output that refers to a removed node.
    let mut g = Graph::new();
    let a = g.add_parameter(t.clone());
    let n = g.add_node(Op::Unary(UnaryOp::Neg), &[a], vec![t.clone()], None);
    g.set_outputs(vec![Value::first(n)]);
    g.remove_node(n);
    assert!(interp::eval(&g, &[lit(vec![1.0f32, 2.0], &[2])]).is_err());
    // Operands missing for an op.
    assert!(interp::eval_node(&Op::Binary(BinaryOp::Add), &[], std::slice::from_ref(&t)).is_err());
    assert!(interp::eval_node(
        &Op::Select,
        &[lit(vec![1.0f32, 2.0], &[2])],
        std::slice::from_ref(&t)
    )
    .is_err());
    // A while whose body has the wrong signature.
    let (cond, _) = spec_while();
    let op = Op::While {
        cond,
        body: binary_region(BinaryOp::Add, DType::F32),
    };
    let s = scalar(DType::I64);
    assert!(run(
        op,
        &[Literal::scalar(1i64), Literal::scalar(0i64)],
        vec![s.clone(), s]
    )
    .is_err());
}

#[test]
fn constants_and_empty_graphs() {
    let mut g = Graph::new();
    let c = constant(&mut g, lit(vec![1u8, 2, 3], &[3]));
    g.set_outputs(vec![c]);
    let r = interp::eval(&g, &[]).unwrap();
    assert_eq!(r[0].to_vec::<u8>().unwrap(), vec![1, 2, 3]);
    let g = Graph::new();
    assert!(interp::eval(&g, &[]).unwrap().is_empty());
    // Constant folding entry point on a constant node.
    let l = Literal::scalar(2.5f32);
    let r = interp::eval_node(&Op::Constant(l.clone()), &[], &[l.ty().clone()]).unwrap();
    assert_eq!(r, vec![l]);
}

#[test]
fn deep_chain_frees_intermediates() {
    // 200 chained adds on a 100k-element vector: values are dropped after their last use.
    let n = 100_000;
    let t = ty(DType::F64, &[n]);
    let mut g = Graph::new();
    let a = g.add_parameter(t.clone());
    let mut v = a;
    for _ in 0..200 {
        v = Value::first(g.add_node(Op::Binary(BinaryOp::Add), &[v, a], vec![t.clone()], None));
    }
    g.set_outputs(vec![v]);
    let r = interp::eval(&g, &[lit(vec![1.0f64; n], &[n])]).unwrap();
    assert!(r[0].to_vec::<f64>().unwrap().iter().all(|&x| x == 201.0));
}
