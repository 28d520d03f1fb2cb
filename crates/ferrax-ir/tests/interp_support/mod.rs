//! Helpers shared by the `interp_*` tests: build one-op graphs and evaluate them.
#![allow(dead_code)]

use ferrax_ir::{
    interp, BinaryOp, CompareDir, DType, Element, Graph, Literal, Op, Result, TensorType, Value,
};
use std::sync::Arc;

/// A literal from data and dims.
pub fn lit<T: Element>(v: Vec<T>, dims: &[usize]) -> Literal {
    Literal::from_vec(v, dims.to_vec()).unwrap()
}

/// A tensor type.
pub fn ty(d: DType, dims: &[usize]) -> TensorType {
    TensorType::new(d, dims.to_vec())
}

/// Evaluates `op` on `args` twice, through a one-node graph (`interp::eval`) and through
/// `interp::eval_node`, checks both agree and returns the results.
pub fn run(op: Op, args: &[Literal], outs: Vec<TensorType>) -> Result<Vec<Literal>> {
    let mut g = Graph::new();
    let params: Vec<Value> = args
        .iter()
        .map(|a| g.add_parameter(a.ty().clone()))
        .collect();
    let n_out = outs.len();
    let node = g.add_node(op.clone(), &params, outs.clone(), None);
    g.set_outputs(
        (0..n_out)
            .map(|i| Value {
                node,
                output: i as u32,
            })
            .collect(),
    );
    let a = interp::eval(&g, args);
    let b = interp::eval_node(&op, args, &outs);
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x, y, "eval and eval_node disagree"),
        (Err(_), Err(_)) => {}
        _ => panic!("eval and eval_node disagree: {a:?} vs {b:?}"),
    }
    a
}

/// `run` for a single result, unwrapped.
pub fn run1(op: Op, args: &[Literal], out: TensorType) -> Literal {
    run(op, args, vec![out]).unwrap().remove(0)
}

/// A region `(a, b) -> op(a, b)` on scalars of `d`.
pub fn binary_region(op: BinaryOp, d: DType) -> Arc<Graph> {
    let s = TensorType::scalar(d);
    let mut g = Graph::new();
    let a = g.add_parameter(s.clone());
    let b = g.add_parameter(s.clone());
    let n = g.add_node(Op::Binary(op), &[a, b], vec![s], None);
    g.set_outputs(vec![Value::first(n)]);
    Arc::new(g)
}

/// A region `(a, b) -> b` (scatter "replace").
pub fn replace_region(d: DType) -> Arc<Graph> {
    let s = TensorType::scalar(d);
    let mut g = Graph::new();
    let _a = g.add_parameter(s.clone());
    let b = g.add_parameter(s);
    g.set_outputs(vec![b]);
    Arc::new(g)
}

/// A sort comparator over `dtypes` (one pair of params each) comparing the first pair.
pub fn comparator(dir: CompareDir, dtypes: &[DType]) -> Arc<Graph> {
    let mut g = Graph::new();
    let mut ps = Vec::new();
    for &d in dtypes {
        ps.push(g.add_parameter(TensorType::scalar(d)));
        ps.push(g.add_parameter(TensorType::scalar(d)));
    }
    let c = g.add_node(
        Op::Compare(dir),
        &[ps[0], ps[1]],
        vec![TensorType::scalar(DType::Bool)],
        None,
    );
    g.set_outputs(vec![Value::first(c)]);
    Arc::new(g)
}

/// Bits of f32 values, for exact comparisons that also distinguish -0.0 and NaN.
pub fn f32_bits(l: &Literal) -> Vec<u32> {
    l.to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect()
}
