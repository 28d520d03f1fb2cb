//! Snapshot tests: small hand-built graphs and the exact module text they lower to.
//! Every program here was also compiled and run on the XLA CPU PJRT plugin when the
//! snapshots were taken.

use ferrax_ir::{
    BinaryOp, CompareDir, DType, DotDims, Graph, Literal, Op, Region, TensorType, UnaryOp, Value,
};
use std::sync::Arc;

fn t(d: DType, s: &[usize]) -> TensorType {
    TensorType::new(d, s.to_vec())
}

fn s(d: DType) -> TensorType {
    TensorType::scalar(d)
}

fn v(n: ferrax_ir::NodeId) -> Value {
    Value::first(n)
}

/// A region `(a, b) -> op(a, b)` on scalars of `d`.
fn scalar_binary(d: DType, op: BinaryOp) -> Region {
    let mut g = Graph::new();
    let a = g.add_parameter(s(d));
    let b = g.add_parameter(s(d));
    let r = g.add_node(Op::Binary(op), &[a, b], vec![s(d)], None);
    g.set_outputs(vec![v(r)]);
    Arc::new(g)
}

#[test]
fn add_and_dot() {
    // The notes' tiny program: two f32[2,3] inputs, add + dot_general, two outputs.
    let ty = t(DType::F32, &[2, 3]);
    let mut g = Graph::new();
    let a = g.add_parameter(ty.clone());
    let b = g.add_parameter(ty.clone());
    let sum = g.add_node(Op::Binary(BinaryOp::Add), &[a, b], vec![ty], None);
    let dims = DotDims {
        lhs_contract: vec![1],
        rhs_contract: vec![1],
        ..Default::default()
    };
    let dot = g.add_node(
        Op::DotGeneral(dims),
        &[v(sum), b],
        vec![t(DType::F32, &[2, 2])],
        None,
    );
    g.set_outputs(vec![v(sum), v(dot)]);
    insta::assert_snapshot!(ferrax_stablehlo::lower(&g, "tiny").unwrap());
}

#[test]
fn reduce_sum() {
    let mut g = Graph::new();
    let x = g.add_parameter(t(DType::F32, &[2, 3]));
    let zero = g.add_node(
        Op::Constant(Literal::scalar(0.0f32)),
        &[],
        vec![s(DType::F32)],
        None,
    );
    let r = g.add_node(
        Op::Reduce {
            dims: vec![1],
            body: scalar_binary(DType::F32, BinaryOp::Add),
        },
        &[x, v(zero)],
        vec![t(DType::F32, &[2])],
        Some("Model.sum".into()),
    );
    g.set_outputs(vec![v(r)]);
    insta::assert_snapshot!(ferrax_stablehlo::lower(&g, "reduce_sum").unwrap());
}

#[test]
fn while_counts_to_ten() {
    // (i, acc): while i < 10 { i = i + 1; acc = acc * 2 }
    let carried = [s(DType::I32), t(DType::F32, &[2])];
    let mut cond = Graph::new();
    let i = cond.add_parameter(carried[0].clone());
    let _acc = cond.add_parameter(carried[1].clone());
    let ten = cond.add_node(
        Op::Constant(Literal::scalar(10i32)),
        &[],
        vec![s(DType::I32)],
        None,
    );
    let lt = cond.add_node(
        Op::Compare(CompareDir::Lt),
        &[i, v(ten)],
        vec![s(DType::Bool)],
        None,
    );
    cond.set_outputs(vec![v(lt)]);

    let mut body = Graph::new();
    let i = body.add_parameter(carried[0].clone());
    let acc = body.add_parameter(carried[1].clone());
    let one = body.add_node(
        Op::Constant(Literal::scalar(1i32)),
        &[],
        vec![s(DType::I32)],
        None,
    );
    let next = body.add_node(
        Op::Binary(BinaryOp::Add),
        &[i, v(one)],
        vec![s(DType::I32)],
        None,
    );
    let two = body.add_node(
        Op::Constant(Literal::from_vec(vec![2.0f32, 2.0], [2]).unwrap()),
        &[],
        vec![carried[1].clone()],
        None,
    );
    let dbl = body.add_node(
        Op::Binary(BinaryOp::Mul),
        &[acc, v(two)],
        vec![carried[1].clone()],
        None,
    );
    body.set_outputs(vec![v(next), v(dbl)]);

    let mut g = Graph::new();
    let i0 = g.add_parameter(carried[0].clone());
    let acc0 = g.add_parameter(carried[1].clone());
    let w = g.add_node(
        Op::While {
            cond: Arc::new(cond),
            body: Arc::new(body),
        },
        &[i0, acc0],
        carried.to_vec(),
        None,
    );
    g.set_outputs(vec![
        Value { node: w, output: 0 },
        Value { node: w, output: 1 },
    ]);
    insta::assert_snapshot!(ferrax_stablehlo::lower(&g, "count").unwrap());
}

#[test]
fn sort_with_comparator() {
    // Sort keys descending, carrying values along; stable.
    let mut cmp = Graph::new();
    let ka = cmp.add_parameter(s(DType::I32));
    let kb = cmp.add_parameter(s(DType::I32));
    let _va = cmp.add_parameter(s(DType::F32));
    let _vb = cmp.add_parameter(s(DType::F32));
    let gt = cmp.add_node(
        Op::Compare(CompareDir::Gt),
        &[ka, kb],
        vec![s(DType::Bool)],
        None,
    );
    cmp.set_outputs(vec![v(gt)]);

    let mut g = Graph::new();
    let k = g.add_parameter(t(DType::I32, &[6]));
    let x = g.add_parameter(t(DType::F32, &[6]));
    let sorted = g.add_node(
        Op::Sort {
            dim: 0,
            stable: true,
            comparator: Arc::new(cmp),
        },
        &[k, x],
        vec![t(DType::I32, &[6]), t(DType::F32, &[6])],
        None,
    );
    g.set_outputs(vec![
        Value {
            node: sorted,
            output: 0,
        },
        Value {
            node: sorted,
            output: 1,
        },
    ]);
    insta::assert_snapshot!(ferrax_stablehlo::lower(&g, "sort").unwrap());
}

#[test]
fn case_binds_branch_params_to_operands() {
    // case index of [x + y, x * y, -x]; each branch also passes y through.
    let vt = t(DType::F32, &[3]);
    let branch = |k: usize| {
        let mut b = Graph::new();
        let x = b.add_parameter(vt.clone());
        let y = b.add_parameter(vt.clone());
        let r = match k {
            0 => b.add_node(Op::Binary(BinaryOp::Add), &[x, y], vec![vt.clone()], None),
            1 => b.add_node(Op::Binary(BinaryOp::Mul), &[x, y], vec![vt.clone()], None),
            _ => b.add_node(Op::Unary(UnaryOp::Neg), &[x], vec![vt.clone()], None),
        };
        b.set_outputs(vec![v(r), y]);
        Arc::new(b)
    };
    let mut g = Graph::new();
    let idx = g.add_parameter(s(DType::I32));
    let x = g.add_parameter(vt.clone());
    let y = g.add_parameter(vt.clone());
    let c = g.add_node(
        Op::Case {
            branches: vec![branch(0), branch(1), branch(2)],
        },
        &[idx, x, y],
        vec![vt.clone(), vt.clone()],
        Some("Model.pick".into()),
    );
    g.set_outputs(vec![v(c), Value { node: c, output: 1 }]);
    insta::assert_snapshot!(ferrax_stablehlo::lower(&g, "case").unwrap());
    insta::assert_snapshot!(
        "case_with_locations",
        ferrax_stablehlo::lower_with_locations(&g, "case").unwrap()
    );
}

#[test]
fn constants_print_bit_exactly() {
    let mut g = Graph::new();
    let lits = [
        Literal::from_vec(vec![0.5f32; 4], [2, 2]).unwrap(),
        Literal::from_vec(
            vec![f32::from_bits(0x7FC0_1234), -0.0, f32::from_bits(1)],
            [3],
        )
        .unwrap(),
        Literal::scalar(f32::NEG_INFINITY),
        Literal::from_vec(vec![true, false, true, true], [2, 2]).unwrap(),
        Literal::from_vec(vec![u64::MAX; 2], [2]).unwrap(),
        Literal::from_vec(Vec::<f32>::new(), [0, 3]).unwrap(),
    ];
    let outs: Vec<Value> = lits
        .into_iter()
        .map(|l| {
            let ty = l.ty().clone();
            v(g.add_node(Op::Constant(l), &[], vec![ty], None))
        })
        .collect();
    g.set_outputs(outs);
    insta::assert_snapshot!(ferrax_stablehlo::lower(&g, "consts").unwrap());
}
