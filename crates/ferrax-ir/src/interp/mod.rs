//! The host reference evaluator: runs a [`Graph`] (or one [`Op`]) on host [`Literal`]s.
//!
//! It is the reference that the compiled (XLA) results are compared against, and the
//! engine of constant folding. Semantics follow the StableHLO spec; where the spec leaves a
//! choice open the evaluator does what XLA:CPU does (checked against the XLA CPU PJRT
//! plugin). In detail:
//!
//! * **Floats** are computed in f64 and rounded to the element type after every op. For
//!   `+ - * / % sqrt`, `floor`/`ceil`/`round*`, `abs`, `neg`, `max`/`min`, `compare` and
//!   conversions this is bit-identical to computing in the element type (f16 and bf16
//!   included; XLA:CPU computes those in f32 and rounds, which gives the same bits).
//!   Transcendental ops (`exp`, `log`, `tanh`, `erf`, `pow`, `atan2`, ...) are within about
//!   2 ulp of the exact result, while XLA uses its own approximations (f32 `tanh`, `expm1`,
//!   `erf` differ from it by up to 4 ulp): compare those with a ulp tolerance. `max`/`min`
//!   are IEEE 754-2019 `maximum`/`minimum` (NaN-propagating, `-0 < +0`); `sign` keeps NaN
//!   and signed zeros; `round` is half away from zero, `round_even` half to even; `rem` is
//!   C `fmod`.
//! * **Subnormals** follow IEEE (kept as inputs and results). XLA:CPU runs with
//!   flush-to-zero and denormals-are-zero for f32 and f64 (and so for bf16, computed in
//!   f32): where an input or a result is subnormal, XLA gives a (signed) zero instead.
//! * **Integers** wrap (two's complement). `x / 0 = -1` (all ones for unsigned) and
//!   `x % 0 = x`; `MIN / -1 = MIN` and `MIN % -1 = 0`. Shift amounts are read as unsigned;
//!   an amount `>= bit width` gives 0 for `shift_left`/`shift_right_logical` and the sign
//!   fill for `shift_right_arithmetic`. `pow` follows XLA: squaring over the low 6 bits of
//!   the exponent; a negative exponent gives 1 for base 1, `+-1` by parity for base -1 and
//!   0 otherwise.
//! * **`convert`**: bool to number is 0/1, number to bool is `x != 0` (NaN is true); int to
//!   int wraps; to a float type rounds to nearest even, in one rounding except to bf16 from
//!   f64 or integers, which rounds through f32 first (as XLA does); float to int truncates
//!   toward zero, maps NaN to 0 and saturates out-of-range values to the integer type's
//!   min/max. The spec leaves inexact and out-of-range conversions open; these are XLA:CPU's
//!   choices.
//! * **`dot_general`/`convolution`** accumulate float products in f64 and round once, and
//!   integer products with wrapping: float results are not bit-identical to XLA's (which
//!   accumulates in the operand precision, in a blocked order), compare with a tolerance.
//! * **`reduce`** folds in row-major order into the init value (XLA's order for floats
//!   differs: compare float sums with a tolerance); **`reduce_window`** skips padding and
//!   base-dilation holes (as XLA does; equal to the spec for an identity init).
//! * **Indexing**: `dynamic_slice`, `dynamic_update_slice` and `gather` clamp start indices
//!   into `[0, dim - size]`; `scatter` skips an update window that does not fit entirely
//!   (as XLA does), applying windows in index order.
//! * **`sort`** is always stable (merge sort; never panics on an inconsistent comparator);
//!   **`case`** runs the last branch for an out-of-range index; **`while`** runs until the
//!   condition is false.
//!
//! Every failure (wrong argument count or type, malformed graph, broken op invariant) is an
//! [`Error`], never a panic.

mod elementwise;
mod indexing;
mod linalg;
mod math;
mod reduce;
mod region;
mod structural;
mod value;

use crate::{rules, Error, Graph, Literal, Node, NodeId, Op, Result, TensorType};
use std::collections::HashMap;

/// Evaluates `graph` on `args` (one literal per parameter, of the parameter's type) and
/// returns the graph's outputs. Regions of control-flow and reduction ops are evaluated
/// recursively.
///
/// ```
/// use ferrax_ir::{interp, BinaryOp, DType, Graph, Literal, Op, TensorType, Value};
///
/// let t = TensorType::new(DType::F32, [3]);
/// let mut g = Graph::new();
/// let a = g.add_parameter(t.clone());
/// let b = g.add_parameter(t.clone());
/// let s = g.add_node(Op::Binary(BinaryOp::Add), &[a, b], vec![t.clone()], None);
/// let m = g.add_node(Op::Binary(BinaryOp::Mul), &[Value::first(s), a], vec![t], None);
/// g.set_outputs(vec![Value::first(m)]);
///
/// let x = Literal::from_vec(vec![1.0f32, 2.0, 3.0], [3]).unwrap();
/// let y = Literal::from_vec(vec![10.0f32, 20.0, 30.0], [3]).unwrap();
/// let out = interp::eval(&g, &[x.clone(), y]).unwrap();
/// assert_eq!(out[0].to_vec::<f32>().unwrap(), vec![11.0, 44.0, 99.0]);
///
/// // Wrong arity or types are errors, not panics.
/// assert!(interp::eval(&g, &[x]).is_err());
/// ```
pub fn eval(graph: &Graph, args: &[Literal]) -> Result<Vec<Literal>> {
    Plan::new(graph)?.run(args.to_vec())
}

/// Evaluates a single op on `operands`, producing results of types `outputs` (the node's
/// declared result types). Used by constant folding. `Op::Parameter` has no value here and
/// is an error.
///
/// ```
/// use ferrax_ir::{interp, BinaryOp, Literal, Op, TensorType, DType};
/// let a = Literal::from_vec(vec![7i32, -7, i32::MIN], [3]).unwrap();
/// let b = Literal::from_vec(vec![0i32, 2, -1], [3]).unwrap();
/// let t = TensorType::new(DType::I32, [3]);
/// let q = interp::eval_node(&Op::Binary(BinaryOp::Div), &[a, b], &[t]).unwrap();
/// assert_eq!(q[0].to_vec::<i32>().unwrap(), vec![-1, -3, i32::MIN]);
/// ```
pub fn eval_node(op: &Op, operands: &[Literal], outputs: &[TensorType]) -> Result<Vec<Literal>> {
    let refs: Vec<&Literal> = operands.iter().collect();
    eval_op(op, &refs, outputs)
}

/// A graph prepared for (repeated) evaluation: nodes in topological order with their
/// operands resolved to positions, and the points where values are last used.
pub(crate) struct Plan<'g> {
    graph: &'g Graph,
    steps: Vec<Step>,
    outputs: Vec<(usize, usize)>,
    param_types: Vec<TensorType>,
}

struct Step {
    id: NodeId,
    operands: Vec<(usize, usize)>,
    /// Steps whose values are dead after this one.
    free: Vec<usize>,
}

impl<'g> Plan<'g> {
    pub(crate) fn new(graph: &'g Graph) -> Result<Plan<'g>> {
        graph.validate()?;
        let order = graph.topo_order();
        let pos: HashMap<NodeId, usize> = order.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let resolve = |v: &crate::Value| -> Result<(usize, usize)> {
            pos.get(&v.node)
                .map(|&p| (p, v.output as usize))
                .ok_or_else(|| Error::invalid("eval", "a value refers to a node outside the graph"))
        };
        let mut steps = Vec::with_capacity(order.len());
        let mut last_use = vec![None; order.len()];
        for (i, &id) in order.iter().enumerate() {
            let operands = graph
                .operands(id)
                .iter()
                .map(&resolve)
                .collect::<Result<Vec<_>>>()?;
            for &(p, _) in &operands {
                if p >= i {
                    return Err(Error::invalid("eval", "the graph has a cycle"));
                }
                last_use[p] = Some(i);
            }
            if let Op::Parameter { index } = graph.node(id).op {
                if graph.params().get(index) != Some(&id) {
                    return Err(Error::invalid(
                        "eval",
                        format!("parameter {index} is not registered"),
                    ));
                }
            }
            steps.push(Step {
                id,
                operands,
                free: Vec::new(),
            });
        }
        let outputs = graph
            .outputs()
            .iter()
            .map(resolve)
            .collect::<Result<Vec<_>>>()?;
        for &(p, _) in &outputs {
            last_use[p] = None;
        }
        for (p, u) in last_use.iter().enumerate() {
            if let Some(i) = u {
                if !outputs.iter().any(|&(q, _)| q == p) {
                    steps[*i].free.push(p);
                }
            }
        }
        Ok(Plan {
            graph,
            steps,
            outputs,
            param_types: graph.param_types(),
        })
    }

    /// Runs the plan on `args` (moved into the parameter slots).
    pub(crate) fn run(&self, args: Vec<Literal>) -> Result<Vec<Literal>> {
        if args.len() != self.param_types.len() {
            return Err(Error::invalid(
                "eval",
                format!(
                    "the graph takes {} arguments, got {}",
                    self.param_types.len(),
                    args.len()
                ),
            ));
        }
        for (i, (a, t)) in args.iter().zip(&self.param_types).enumerate() {
            if a.ty() != t {
                let e = if a.dtype() != t.dtype {
                    Error::dtype
                } else {
                    Error::shape
                };
                return Err(e(
                    "eval",
                    format!("argument {i} has type {}, the parameter is {t}", a.ty()),
                ));
            }
        }
        let mut args: Vec<Option<Literal>> = args.into_iter().map(Some).collect();
        let mut vals: Vec<Option<Vec<Literal>>> = vec![None; self.steps.len()];
        for (i, step) in self.steps.iter().enumerate() {
            let node = self.graph.node(step.id);
            let res = if let Op::Parameter { index } = node.op {
                let a = args.get_mut(index).and_then(Option::take).ok_or_else(|| {
                    Error::invalid("eval", format!("parameter {index} has no argument"))
                })?;
                vec![a]
            } else {
                let refs = step
                    .operands
                    .iter()
                    .map(|&(p, o)| {
                        vals[p].as_ref().and_then(|v| v.get(o)).ok_or_else(|| {
                            Error::invalid(node.op.name(), "an operand has no value")
                        })
                    })
                    .collect::<Result<Vec<_>>>()
                    .map_err(|e| with_path(e, node))?;
                eval_op(&node.op, &refs, &node.outputs).map_err(|e| with_path(e, node))?
            };
            vals[i] = Some(res);
            for &p in &step.free {
                vals[p] = None;
            }
        }
        self.outputs
            .iter()
            .map(|&(p, o)| {
                vals[p]
                    .as_ref()
                    .and_then(|v| v.get(o))
                    .cloned()
                    .ok_or_else(|| Error::invalid("eval", "an output has no value"))
            })
            .collect()
    }
}

fn with_path(mut e: Error, node: &Node) -> Error {
    if e.path.is_none() {
        e.path = node.path.as_deref().map(str::to_owned);
    }
    e
}

fn list(ts: &[TensorType]) -> String {
    ts.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Evaluates one op after checking it against its shape/dtype rule.
pub(crate) fn eval_op(op: &Op, xs: &[&Literal], outs: &[TensorType]) -> Result<Vec<Literal>> {
    let name = op.name();
    let types: Vec<TensorType> = xs.iter().map(|l| l.ty().clone()).collect();
    let inferred = rules::infer(op, &types, outs)?;
    if inferred != outs {
        return Err(Error::shape(
            name,
            format!(
                "declared result types ({}) but the operands give ({})",
                list(outs),
                list(&inferred)
            ),
        ));
    }
    let x = |i: usize| -> Result<&Literal> {
        xs.get(i)
            .copied()
            .ok_or_else(|| Error::invalid(name, format!("missing operand {i}")))
    };
    let out0 = || -> Result<&TensorType> {
        outs.first()
            .ok_or_else(|| Error::invalid(name, "missing result type"))
    };
    let one = |l: Result<Literal>| l.map(|l| vec![l]);
    let res = match op {
        Op::Parameter { .. } => Err(Error::invalid(
            name,
            "a parameter has a value only inside a graph evaluation",
        )),
        Op::Constant(l) => Ok(vec![l.clone()]),
        Op::Iota { dim } => one(elementwise::iota(*dim, out0()?)),
        Op::Unary(u) => one(elementwise::unary(*u, x(0)?, out0()?)),
        Op::Binary(b) => one(elementwise::binary(*b, x(0)?, x(1)?, out0()?)),
        Op::Compare(c) => one(elementwise::compare(*c, x(0)?, x(1)?, out0()?)),
        Op::Select => one(elementwise::select(x(0)?, x(1)?, x(2)?, out0()?)),
        Op::Clamp => one(elementwise::clamp(x(0)?, x(1)?, x(2)?, out0()?)),
        Op::Convert => one(elementwise::convert(x(0)?, out0()?)),
        Op::BitcastConvert => one(elementwise::bitcast(x(0)?, out0()?)),
        Op::BroadcastInDim { dims } => one(structural::broadcast_in_dim(x(0)?, dims, out0()?)),
        Op::Reshape => one(structural::reshape(x(0)?, out0()?)),
        Op::Transpose { perm } => one(structural::transpose(x(0)?, perm, out0()?)),
        Op::Slice { start, strides, .. } => one(structural::slice(x(0)?, start, strides, out0()?)),
        Op::DynamicSlice { sizes } => one(structural::dynamic_slice(
            x(0)?,
            xs.get(1..).unwrap_or(&[]),
            sizes,
            out0()?,
        )),
        Op::DynamicUpdateSlice => {
            let starts = xs.get(2..).unwrap_or(&[]);
            one(structural::dynamic_update_slice(
                x(0)?,
                x(1)?,
                starts,
                out0()?,
            ))
        }
        Op::Concatenate { dim } => one(structural::concatenate(xs, *dim, out0()?)),
        Op::Pad { low, interior, .. } => one(structural::pad(x(0)?, x(1)?, low, interior, out0()?)),
        Op::Gather(g) => one(indexing::gather(x(0)?, x(1)?, g, out0()?)),
        Op::Scatter { dims, update } => one(indexing::scatter(
            x(0)?,
            x(1)?,
            x(2)?,
            dims,
            update,
            out0()?,
        )),
        Op::DotGeneral(d) => one(linalg::dot_general(x(0)?, x(1)?, d, out0()?)),
        Op::Convolution(c) => one(linalg::convolution(x(0)?, x(1)?, c, out0()?)),
        Op::Reduce { dims, body } => reduce::reduce(xs, dims, body, outs),
        Op::ReduceWindow { window, body } => reduce::reduce_window(xs, window, body, outs),
        Op::Sort {
            dim, comparator, ..
        } => reduce::sort(xs, *dim, comparator, outs),
        Op::While { cond, body } => eval_while(xs, cond, body),
        Op::Case { branches } => eval_case(xs, branches),
    }?;
    let got: Vec<&TensorType> = res.iter().map(|l| l.ty()).collect();
    if got.len() != outs.len() || got.iter().zip(outs).any(|(a, b)| *a != b) {
        return Err(value::internal(
            name,
            format!(
                "produced ({}), declared ({})",
                got.iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                list(outs)
            ),
        ));
    }
    Ok(res)
}

/// `while cond(v) { v = body(v) }`.
fn eval_while(xs: &[&Literal], cond: &Graph, body: &Graph) -> Result<Vec<Literal>> {
    let cond = Plan::new(cond)?;
    let body = Plan::new(body)?;
    let mut v: Vec<Literal> = xs.iter().map(|&l| l.clone()).collect();
    loop {
        let c = cond.run(v.clone())?;
        let go = match c.as_slice() {
            [p] if p.ty() == &TensorType::scalar(crate::DType::Bool) => p.bytes()[0] != 0,
            _ => {
                return Err(Error::shape(
                    "while",
                    "the condition must return one bool scalar",
                ))
            }
        };
        if !go {
            return Ok(v);
        }
        v = body.run(v)?;
    }
}

/// `case(index, args...)`: runs `branches[index]`, the last one when out of range.
fn eval_case(xs: &[&Literal], branches: &[crate::Region]) -> Result<Vec<Literal>> {
    let (idx, args) = xs
        .split_first()
        .ok_or_else(|| Error::invalid("case", "needs an index operand"))?;
    if idx.shape().rank() != 0 || !idx.dtype().is_int() {
        return Err(Error::dtype("case", "the index must be an integer scalar"));
    }
    let n = branches.len();
    if n == 0 {
        return Err(Error::invalid("case", "needs at least one branch"));
    }
    let i = value::decode_at(idx, 0).to_i128();
    let k = if i < 0 || i >= n as i128 {
        n - 1
    } else {
        i as usize
    };
    let args: Vec<Literal> = args.iter().map(|&l| l.clone()).collect();
    Plan::new(&branches[k])?.run(args)
}
