//! Calling regions (reduce bodies, scatter combiners, sort comparators) on scalars.
//!
//! A region made only of scalar elementwise ops is compiled once into a flat list of steps
//! over canonical scalars ([`Sc`]), which makes calling it per element cheap. Any other
//! region is run with the general graph evaluator on scalar literals.

use super::elementwise::{binary_sc, bitcast_sc, clamp_sc, compare_sc, unary_sc};
use super::value::{convert_sc, decode, decode_at, internal, scalar_literal, Sc};
use super::Plan;
use crate::{
    rules, BinaryOp, CompareDir, DType, Error, Graph, NodeId, Op, Result, TensorType, UnaryOp,
};
use std::collections::HashMap;

#[derive(Clone, Debug)]
enum Kind {
    Param(usize),
    Const(Sc),
    Unary(UnaryOp, DType),
    Binary(BinaryOp, DType),
    Compare(CompareDir),
    Select,
    Clamp(DType),
    Convert(DType),
    Bitcast(DType, DType),
    Copy,
}

#[derive(Clone, Debug)]
struct Step {
    kind: Kind,
    args: Vec<usize>,
}

/// A compiled all-scalar region.
#[derive(Clone, Debug)]
struct ScalarPlan {
    steps: Vec<Step>,
    outputs: Vec<usize>,
    slots: Vec<Sc>,
}

impl ScalarPlan {
    /// Compiles `g` if every node is a supported op on scalars; `None` otherwise.
    fn compile(g: &Graph) -> Option<ScalarPlan> {
        let order = g.topo_order();
        let mut slot: HashMap<NodeId, usize> = HashMap::with_capacity(order.len());
        let mut steps = Vec::with_capacity(order.len());
        for &id in &order {
            let node = g.node(id);
            if node.outputs.len() != 1 || node.outputs[0].shape.rank() != 0 {
                return None;
            }
            let operands = g.operands(id);
            let mut args = Vec::with_capacity(operands.len());
            let mut types: Vec<TensorType> = Vec::with_capacity(operands.len());
            for v in &operands {
                if v.output != 0 {
                    return None;
                }
                args.push(*slot.get(&v.node)?);
                types.push(g.value_type(*v).clone());
            }
            if !matches!(node.op, Op::Parameter { .. }) {
                match rules::infer(&node.op, &types, &node.outputs) {
                    Ok(t) if t == node.outputs => {}
                    _ => return None,
                }
            }
            let od = node.outputs[0].dtype;
            let first = types.first().map(|t| t.dtype);
            let kind = match &node.op {
                Op::Parameter { index } => Kind::Param(*index),
                Op::Constant(l) if l.shape().rank() == 0 => Kind::Const(decode_at(l, 0)),
                Op::Unary(u) => Kind::Unary(*u, first?),
                Op::Binary(b) => Kind::Binary(*b, first?),
                Op::Compare(c) => Kind::Compare(*c),
                Op::Select => Kind::Select,
                Op::Clamp => Kind::Clamp(od),
                Op::Convert => Kind::Convert(od),
                // A width change is not elementwise; that graph takes the general path.
                Op::BitcastConvert if first?.byte_size() == od.byte_size() => {
                    Kind::Bitcast(first?, od)
                }
                Op::Reshape | Op::BroadcastInDim { .. } => Kind::Copy,
                _ => return None,
            };
            slot.insert(id, steps.len());
            steps.push(Step { kind, args });
        }
        let mut outputs = Vec::with_capacity(g.outputs().len());
        for v in g.outputs() {
            if v.output != 0 {
                return None;
            }
            outputs.push(*slot.get(&v.node)?);
        }
        let n = steps.len();
        Some(ScalarPlan {
            steps,
            outputs,
            slots: vec![Sc::B(false); n],
        })
    }

    fn call(&mut self, args: &[Sc], out: &mut Vec<Sc>) -> Result<()> {
        for i in 0..self.steps.len() {
            let step = &self.steps[i];
            let a = |k: usize| self.slots[step.args[k]];
            let v = match &step.kind {
                Kind::Param(p) => *args
                    .get(*p)
                    .ok_or_else(|| internal("region", "missing region argument"))?,
                Kind::Const(c) => *c,
                Kind::Unary(u, d) => unary_sc(*u, *d, a(0)),
                Kind::Binary(b, d) => binary_sc(*b, *d, a(0), a(1)),
                Kind::Compare(c) => Sc::B(compare_sc(*c, a(0), a(1))),
                Kind::Select => {
                    if a(0).to_bool() {
                        a(1)
                    } else {
                        a(2)
                    }
                }
                Kind::Clamp(d) => clamp_sc(*d, a(0), a(1), a(2)),
                Kind::Convert(d) => convert_sc(*d, a(0)),
                Kind::Bitcast(from, to) => bitcast_sc(*from, *to, a(0))?,
                Kind::Copy => a(0),
            };
            self.slots[i] = v;
        }
        out.clear();
        out.extend(self.outputs.iter().map(|&s| self.slots[s]));
        Ok(())
    }
}

/// A region callable on canonical scalars.
pub(crate) struct RegionFn<'g> {
    name: &'static str,
    scalar: Option<ScalarPlan>,
    general: Option<Plan<'g>>,
    param_types: Vec<TensorType>,
}

impl<'g> RegionFn<'g> {
    /// Prepares `g` as the region of op `name`, which passes scalars of `param_dtypes` and
    /// expects `n_out` scalar results.
    pub(crate) fn new(
        name: &'static str,
        g: &'g Graph,
        param_dtypes: &[DType],
        n_out: usize,
    ) -> Result<RegionFn<'g>> {
        let param_types = g.param_types();
        let want: Vec<TensorType> = param_dtypes
            .iter()
            .map(|&d| TensorType::scalar(d))
            .collect();
        if param_types != want {
            return Err(Error::shape(
                name,
                format!(
                    "region takes ({}) but is called with ({})",
                    list(&param_types),
                    list(&want)
                ),
            ));
        }
        let outs = g.output_types();
        if outs.len() != n_out || outs.iter().any(|t| t.shape.rank() != 0) {
            return Err(Error::shape(
                name,
                format!(
                    "region must return {n_out} scalars, returns ({})",
                    list(&outs)
                ),
            ));
        }
        let scalar = ScalarPlan::compile(g);
        let general = if scalar.is_some() {
            None
        } else {
            Some(Plan::new(g)?)
        };
        Ok(RegionFn {
            name,
            scalar,
            general,
            param_types,
        })
    }

    /// Calls the region; the results replace the contents of `out`.
    pub(crate) fn call(&mut self, args: &[Sc], out: &mut Vec<Sc>) -> Result<()> {
        if let Some(p) = &mut self.scalar {
            return p.call(args, out);
        }
        let plan = self
            .general
            .as_ref()
            .ok_or_else(|| internal(self.name, "region has no plan"))?;
        let lits = args
            .iter()
            .zip(&self.param_types)
            .map(|(&s, t)| scalar_literal(t.dtype, s))
            .collect();
        let res = plan.run(lits)?;
        out.clear();
        for l in &res {
            let v = decode(l);
            if v.len() != 1 {
                return Err(internal(self.name, "region returned a non-scalar"));
            }
            out.push(v.get(0));
        }
        Ok(())
    }
}

fn list(ts: &[TensorType]) -> String {
    ts.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
