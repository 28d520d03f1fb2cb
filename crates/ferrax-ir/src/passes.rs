//! Graph passes: functions from graph to graph. Lowering only reads a finished graph.
//!
//! - [`dce`]: drops nodes the outputs do not depend on (parameters stay).
//! - [`cse`]: merges nodes with the same op, attributes, types and operands.
//! - [`constant_fold`]: evaluates on the host the nodes whose operands are all constants, for
//!   the ops where the host result is bit-identical to XLA's (integer and bool arithmetic,
//!   IEEE-exact float arithmetic, data movement). Transcendentals, float reductions and
//!   float dot/convolution are left to XLA, whose results they would not reproduce bit for bit.
//! - [`optimize`]: all three, in a fixed order.

use crate::{BinaryOp, DType, Graph, Literal, Op, TensorType, UnaryOp, Value};
use std::collections::HashMap;

/// Constants larger than this many elements are not produced by folding (keeps programs small).
pub const FOLD_LIMIT: usize = 1 << 16;

/// Folds may always produce literals of at most this many elements, even from smaller operands.
pub const FOLD_SMALL: usize = 16;

/// Dead-code elimination: keeps what the outputs need, plus every parameter.
///
/// ```
/// use ferrax_ir::{passes, Graph, Op, BinaryOp, TensorType, DType, Value};
/// let mut g = Graph::new();
/// let t = TensorType::new(DType::F32, [2]);
/// let a = g.add_parameter(t.clone());
/// let _unused = g.add_node(Op::Binary(BinaryOp::Mul), &[a, a], vec![t.clone()], None);
/// let s = g.add_node(Op::Binary(BinaryOp::Add), &[a, a], vec![t], None);
/// g.set_outputs(vec![Value::first(s)]);
/// assert_eq!(passes::dce(&g).num_nodes(), 2);
/// ```
pub fn dce(g: &Graph) -> Graph {
    g.compact()
}

/// Common-subexpression elimination (regions compare structurally).
pub fn cse(g: &Graph) -> Graph {
    let mut g = g.compact();
    let mut seen: HashMap<(Op, Vec<Value>, Vec<TensorType>), crate::NodeId> = HashMap::new();
    for id in g.topo_order() {
        let node = g.node(id);
        if matches!(node.op, Op::Parameter { .. }) {
            continue;
        }
        let key = (node.op.clone(), g.operands(id), node.outputs.clone());
        if let Some(&prev) = seen.get(&key) {
            for o in 0..node.outputs.len() as u32 {
                g.replace_all_uses(
                    Value {
                        node: id,
                        output: o,
                    },
                    Value {
                        node: prev,
                        output: o,
                    },
                );
            }
        } else {
            seen.insert(key, id);
        }
    }
    g.compact()
}

fn exact_on_host(op: &Op, operand_types: &[&TensorType], out: &[TensorType]) -> bool {
    let any_low_float = operand_types
        .iter()
        .map(|t| t.dtype)
        .chain(out.iter().map(|t| t.dtype))
        .any(|d| matches!(d, DType::F16 | DType::BF16));
    let float_in = operand_types.iter().any(|t| t.dtype.is_float());
    match op {
        Op::Parameter { .. } | Op::Constant(_) => false,
        Op::Iota { .. }
        | Op::BroadcastInDim { .. }
        | Op::Reshape
        | Op::Transpose { .. }
        | Op::Slice { .. }
        | Op::Concatenate { .. }
        | Op::Pad { .. }
        | Op::DynamicSlice { .. }
        | Op::DynamicUpdateSlice
        | Op::Gather(_)
        | Op::Select
        | Op::BitcastConvert
        | Op::Compare(_) => true,
        Op::Clamp => !any_low_float,
        Op::Convert => {
            // float -> int is implementation-defined out of range; skip it.
            !(any_low_float || float_in && out.iter().any(|t| !t.dtype.is_float()))
        }
        Op::Unary(u) => {
            if !float_in {
                true
            } else {
                !any_low_float
                    && matches!(
                        u,
                        UnaryOp::Neg
                            | UnaryOp::Abs
                            | UnaryOp::Sign
                            | UnaryOp::Sqrt
                            | UnaryOp::Floor
                            | UnaryOp::Ceil
                            | UnaryOp::Round
                            | UnaryOp::RoundEven
                            | UnaryOp::IsFinite
                    )
            }
        }
        Op::Binary(b) => {
            if !float_in {
                true
            } else {
                !any_low_float
                    && matches!(
                        b,
                        BinaryOp::Add
                            | BinaryOp::Sub
                            | BinaryOp::Mul
                            | BinaryOp::Div
                            | BinaryOp::Max
                            | BinaryOp::Min
                    )
            }
        }
        Op::DotGeneral(_) | Op::Convolution(_) | Op::Reduce { .. } | Op::ReduceWindow { .. } => {
            !float_in
        }
        Op::Scatter { .. } | Op::Sort { .. } | Op::While { .. } | Op::Case { .. } => false,
    }
}

/// Folds nodes whose operands are all constants where the host result is exact (see the
/// module docs), then removes what became dead.
pub fn constant_fold(g: &Graph) -> Graph {
    let mut g = g.compact();
    let mut changed = false;
    for id in g.topo_order() {
        let node = g.node(id);
        let ops = g.operands(id);
        if ops.is_empty() && !matches!(node.op, Op::Iota { .. }) {
            continue;
        }
        let mut lits: Vec<Literal> = Vec::with_capacity(ops.len());
        let mut all_const = true;
        for v in &ops {
            match &g.node(v.node).op {
                Op::Constant(l) => lits.push(l.clone()),
                _ => {
                    all_const = false;
                    break;
                }
            }
        }
        if !all_const {
            continue;
        }
        let types: Vec<&TensorType> = ops.iter().map(|v| g.value_type(*v)).collect();
        // Never grow the program: a fold may not produce a literal larger than its largest
        // operand (broadcasts and iotas of constants stay ops for XLA to fuse), except tiny ones.
        let largest_in = types.iter().map(|t| t.shape.numel()).max().unwrap_or(0);
        let out_n = node.outputs.first().map(|t| t.shape.numel()).unwrap_or(0);
        if out_n > largest_in.max(FOLD_SMALL) {
            continue;
        }
        if node.outputs.len() != 1
            || node.outputs[0].shape.numel() > FOLD_LIMIT
            || !exact_on_host(&node.op, &types, &node.outputs)
        {
            continue;
        }
        let Ok(mut res) = crate::interp::eval_node(&node.op, &lits, &node.outputs) else {
            continue;
        };
        let Some(lit) = res.pop() else { continue };
        if lit.ty() != &node.outputs[0] {
            continue;
        }
        let path = node.path.clone();
        let ty = lit.ty().clone();
        let c = g.add_node(Op::Constant(lit), &[], vec![ty], path);
        g.replace_all_uses(Value::first(id), Value::first(c));
        changed = true;
    }
    if changed {
        g.compact()
    } else {
        g
    }
}

/// The standard pipeline: constant folding, then CSE (which also drops dead code).
pub fn optimize(g: &Graph) -> Graph {
    cse(&constant_fold(g))
}
