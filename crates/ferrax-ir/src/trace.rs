//! Tracing: a [`Tensor`] is a handle to a value in an open trace's graph.
//!
//! A thread-local stack holds the open traces. Region builders (while bodies, reduce
//! bodies, ...) and transforms (jit) push an inner trace; a tensor of an enclosing trace
//! used inside is *captured*: the inner trace gets a parameter bound to the outer tensor,
//! and the op that owns the region passes it in. Outside any explicit trace, tensors live in
//! a thread-local *eager* trace that lives as long as some tensor refers to it.

use crate::{Error, Graph, Literal, Op, Result, TensorType, Value};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};

/// What feeds a trace parameter when the traced graph is run.
#[derive(Clone)]
pub enum Binding {
    /// An argument supplied by the caller (a jit or region argument), in order.
    Arg,
    /// A concrete value captured from outside (an `Array` used inside a trace); the handle
    /// is opaque to the IR and interpreted by the runtime.
    Concrete(Rc<dyn Any>),
    /// A tensor of an enclosing trace.
    Outer(Tensor),
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Binding::Arg => write!(f, "Arg"),
            Binding::Concrete(_) => write!(f, "Concrete"),
            Binding::Outer(t) => write!(f, "Outer({t:?})"),
        }
    }
}

/// An open (or finished) trace: a graph under construction plus what feeds its parameters.
pub struct Trace {
    id: u64,
    depth: usize,
    graph: RefCell<Graph>,
    bindings: RefCell<Vec<Binding>>,
    /// Outer tensor node -> inner parameter, so a capture happens once.
    captured: RefCell<Vec<(u64, Value, Value)>>,
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Trace#{}(nodes={})",
            self.id,
            self.graph.borrow().num_nodes()
        )
    }
}

thread_local! {
    static STACK: RefCell<Vec<Rc<Trace>>> = const { RefCell::new(Vec::new()) };
    static EAGER: RefCell<Weak<Trace>> = const { RefCell::new(Weak::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

fn new_trace(depth: usize) -> Rc<Trace> {
    let id = NEXT_ID.with(|c| {
        let v = c.get();
        c.set(v + 1);
        v
    });
    Rc::new(Trace {
        id,
        depth,
        graph: RefCell::new(Graph::new()),
        bindings: RefCell::new(Vec::new()),
        captured: RefCell::new(Vec::new()),
    })
}

/// The innermost open trace, or the thread's eager trace.
pub fn current_trace() -> Rc<Trace> {
    if let Some(t) = STACK.with(|s| s.borrow().last().cloned()) {
        return t;
    }
    EAGER.with(|e| {
        if let Some(t) = e.borrow().upgrade() {
            return t;
        }
        let t = new_trace(0);
        *e.borrow_mut() = Rc::downgrade(&t);
        t
    })
}

/// Guard of an explicitly opened trace; closes it on drop.
#[must_use = "the trace closes when the guard is dropped"]
pub struct TraceGuard {
    trace: Rc<Trace>,
}

impl TraceGuard {
    /// The trace.
    pub fn trace(&self) -> &Rc<Trace> {
        &self.trace
    }
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        STACK.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(pos) = s.iter().rposition(|t| Rc::ptr_eq(t, &self.trace)) {
                s.truncate(pos);
            }
        });
    }
}

/// Opens a new innermost trace until the guard drops.
pub fn open_trace() -> TraceGuard {
    let depth = STACK.with(|s| s.borrow().len()) + 1;
    let trace = new_trace(depth);
    STACK.with(|s| s.borrow_mut().push(trace.clone()));
    TraceGuard { trace }
}

impl Trace {
    /// Unique id of this trace.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// A new parameter fed by `binding`.
    pub fn add_parameter(self: &Rc<Self>, ty: TensorType, binding: Binding) -> Tensor {
        let v = self.graph.borrow_mut().add_parameter(ty.clone());
        self.bindings.borrow_mut().push(binding);
        Tensor::from_parts(self.clone(), v, ty)
    }

    /// Bindings of the parameters, in parameter order.
    pub fn bindings(&self) -> Vec<Binding> {
        self.bindings.borrow().clone()
    }

    /// Runs `f` with read access to the graph.
    pub fn with_graph<R>(&self, f: impl FnOnce(&Graph) -> R) -> R {
        f(&self.graph.borrow())
    }

    /// The sub-graph producing `outputs`, with only the parameters it uses; returns the graph
    /// and, for each of its parameters, the index of the trace parameter it came from.
    pub fn extract(&self, outputs: &[Value]) -> (Graph, Vec<usize>) {
        self.graph.borrow().extract_pruned(outputs)
    }

    fn is_open_or_eager(&self) -> bool {
        self.depth == 0 || STACK.with(|s| s.borrow().iter().any(|t| t.id == self.id))
    }

    /// Captures `outer` (a tensor of an enclosing trace) as a parameter of this trace.
    fn capture(self: &Rc<Self>, outer: &Tensor) -> Result<Value> {
        let (otrace, ov, oty) = outer.parts()?;
        if let Some((_, _, inner)) = self
            .captured
            .borrow()
            .iter()
            .find(|(tid, v, _)| *tid == otrace.id && *v == ov)
        {
            return Ok(*inner);
        }
        let inner = self.add_parameter(oty.clone(), Binding::Outer(outer.clone()));
        let iv = inner
            .value()
            .ok_or_else(|| Error::trace("capture", "capture failed"))?;
        self.captured.borrow_mut().push((otrace.id, ov, iv));
        Ok(iv)
    }

    /// Adds `op` applied to `operands` after checking it with the op's rule.
    pub fn apply(
        self: &Rc<Self>,
        op: Op,
        operands: &[Value],
        declared: &[TensorType],
    ) -> Result<Vec<Tensor>> {
        let types: Vec<TensorType> = {
            let g = self.graph.borrow();
            operands.iter().map(|v| g.value_type(*v).clone()).collect()
        };
        let outs = crate::rules::infer(&op, &types, declared)?;
        let id = self.graph.borrow_mut().add_node(
            op,
            operands,
            outs.clone(),
            crate::scope::current_path_arc(),
        );
        Ok(outs
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                Tensor::from_parts(
                    self.clone(),
                    Value {
                        node: id,
                        output: i as u32,
                    },
                    t,
                )
            })
            .collect())
    }
}

#[derive(Clone)]
enum Repr {
    Ok {
        trace: Rc<Trace>,
        value: Value,
        ty: TensorType,
    },
    Err(Rc<Error>),
}

/// A traced value: a handle to one result in a trace's graph, with its static type.
///
/// Methods return `Result<Tensor>`; operators (`+`, `*`, ...) return a `Tensor` that, on a
/// shape or dtype error, carries the error and passes it on to anything computed from it, so
/// `(&a + &b).eval()` reports the `add` error. [`Tensor::check`] surfaces it early.
///
/// ```
/// use ferrax_ir::{Tensor, DType};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3]).unwrap();
/// let b = &a * &a + 1.0;
/// assert_eq!(b.shape(), &[3]);
/// let c = Tensor::zeros(DType::F32, [2]);
/// let bad = &a + &c;
/// assert!(bad.check().unwrap_err().to_string().contains("not broadcast-compatible"));
/// ```
#[derive(Clone)]
pub struct Tensor(Repr);

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Ok { trace, value, ty } => {
                write!(
                    f,
                    "Tensor({ty}, trace#{}, node {})",
                    trace.id,
                    value.node.index()
                )
            }
            Repr::Err(e) => write!(f, "Tensor(error: {e})"),
        }
    }
}

impl Tensor {
    pub(crate) fn from_parts(trace: Rc<Trace>, value: Value, ty: TensorType) -> Tensor {
        Tensor(Repr::Ok { trace, value, ty })
    }

    /// A tensor in the error state (operators use this to defer errors).
    pub fn from_error(e: Error) -> Tensor {
        Tensor(Repr::Err(Rc::new(e)))
    }

    /// Wraps a `Result<Tensor>` into a tensor, deferring the error.
    pub fn from_result(r: Result<Tensor>) -> Tensor {
        r.unwrap_or_else(Tensor::from_error)
    }

    /// The trace, value and type, or the deferred error.
    pub fn parts(&self) -> Result<(&Rc<Trace>, Value, &TensorType)> {
        match &self.0 {
            Repr::Ok { trace, value, ty } => Ok((trace, *value, ty)),
            Repr::Err(e) => Err((**e).clone()),
        }
    }

    /// Returns the deferred error, if this tensor carries one.
    pub fn check(&self) -> Result<&Tensor> {
        self.parts().map(|_| self)
    }

    /// The deferred error, if any.
    pub fn error(&self) -> Option<&Error> {
        match &self.0 {
            Repr::Err(e) => Some(e),
            Repr::Ok { .. } => None,
        }
    }

    /// The static type (an error for an error-state tensor).
    pub fn ty(&self) -> Result<&TensorType> {
        self.parts().map(|p| p.2)
    }

    /// The shape's dimensions (empty for an error-state tensor: use [`Tensor::check`]).
    pub fn shape(&self) -> &[usize] {
        match &self.0 {
            Repr::Ok { ty, .. } => &ty.shape.0,
            Repr::Err(_) => &[],
        }
    }

    /// The rank.
    pub fn rank(&self) -> usize {
        self.shape().len()
    }

    /// The dtype (`Bool` for an error-state tensor: use [`Tensor::check`]).
    pub fn dtype(&self) -> crate::DType {
        match &self.0 {
            Repr::Ok { ty, .. } => ty.dtype,
            Repr::Err(_) => crate::DType::Bool,
        }
    }

    /// The graph value this tensor names.
    pub fn value(&self) -> Option<Value> {
        match &self.0 {
            Repr::Ok { value, .. } => Some(*value),
            Repr::Err(_) => None,
        }
    }

    /// The trace this tensor lives in.
    pub fn trace(&self) -> Option<&Rc<Trace>> {
        match &self.0 {
            Repr::Ok { trace, .. } => Some(trace),
            Repr::Err(_) => None,
        }
    }

    /// True when the value is computed from constants alone: no parameter of its trace (a
    /// `jit` argument, a captured array, a region's input) reaches it, so a compiler may
    /// fold it. False for a tensor in the error state.
    ///
    /// ```
    /// use ferrax_ir::{trace::open_trace, Binding, DType, Tensor, TensorType};
    /// let c = Tensor::scalar(2.0f32) * 3.0;
    /// assert!(c.is_constant());
    /// let _guard = open_trace();
    /// let p = Tensor::parameter(TensorType::scalar(DType::F32), Binding::Arg);
    /// assert!(!(&p * 3.0).is_constant());
    /// ```
    pub fn is_constant(&self) -> bool {
        let Repr::Ok { trace, value, .. } = &self.0 else {
            return false;
        };
        let g = trace.graph.borrow();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![value.node];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            if matches!(g.node(id).op, Op::Parameter { .. }) {
                return false;
            }
            stack.extend(g.operands(id).into_iter().map(|v| v.node));
        }
        true
    }

    /// A new parameter of the current trace, fed by `binding` when run.
    pub fn parameter(ty: TensorType, binding: Binding) -> Tensor {
        current_trace().add_parameter(ty, binding)
    }

    /// A constant.
    pub fn constant(lit: Literal) -> Tensor {
        let t = current_trace();
        let ty = lit.ty().clone();
        Tensor::from_result(t.apply(Op::Constant(lit), &[], &[ty]).map(first))
    }
}

pub(crate) fn first(mut v: Vec<Tensor>) -> Tensor {
    if v.is_empty() {
        Tensor::from_error(Error::invalid("op", "produced no result"))
    } else {
        v.swap_remove(0)
    }
}

/// Applies `op` to `operands` in the innermost trace among them (or the current trace if
/// none), capturing operands of enclosing traces. This is the one entry point every traced
/// op goes through.
pub fn apply(op: Op, operands: &[&Tensor], declared: &[TensorType]) -> Result<Vec<Tensor>> {
    let name = op.name();
    let mut target: Option<Rc<Trace>> = None;
    for t in operands {
        let (tr, _, _) = t.parts()?;
        match &target {
            None => target = Some(tr.clone()),
            Some(cur) if cur.depth < tr.depth => target = Some(tr.clone()),
            _ => {}
        }
    }
    let target = match target {
        Some(t) => {
            let cur = current_trace();
            if cur.depth > t.depth {
                cur
            } else {
                t
            }
        }
        None => current_trace(),
    };
    if !target.is_open_or_eager() {
        return Err(Error::trace(name, "a tensor of a closed trace was used"));
    }
    let mut vals = Vec::with_capacity(operands.len());
    for t in operands {
        let (tr, v, _) = t.parts()?;
        if Rc::ptr_eq(tr, &target) {
            vals.push(v);
        } else if tr.depth < target.depth && tr.is_open_or_eager() {
            vals.push(target.capture(t)?);
        } else {
            return Err(Error::trace(
                name,
                "operands come from unrelated traces (a tensor from another jit or region?)",
            ));
        }
    }
    target.apply(op, &vals, declared)
}

/// Like [`apply`] for single-result ops.
pub fn apply1(op: Op, operands: &[&Tensor], declared: &[TensorType]) -> Result<Tensor> {
    apply(op, operands, declared).map(first)
}

/// Builds a region: opens an inner trace with parameters of `param_types`, runs `f` on them,
/// and returns the region graph plus the outer tensors it captured (which become extra
/// parameters after the declared ones, in order).
pub fn build_region(
    param_types: &[TensorType],
    f: impl FnOnce(&[Tensor]) -> Result<Vec<Tensor>>,
) -> Result<(Graph, Vec<Tensor>)> {
    let guard = open_trace();
    let trace = guard.trace().clone();
    let params: Vec<Tensor> = param_types
        .iter()
        .map(|t| trace.add_parameter(t.clone(), Binding::Arg))
        .collect();
    let outs = f(&params)?;
    let mut vals = Vec::with_capacity(outs.len());
    for o in &outs {
        let (tr, v, _) = o.parts()?;
        if Rc::ptr_eq(tr, &trace) {
            vals.push(v);
        } else {
            // A region returning an outer value or a parameter-free constant of another trace:
            // route it through an identity in this trace.
            let c = apply1(Op::Reshape, &[o], &[o.ty()?.clone()])?;
            vals.push(
                c.value()
                    .ok_or_else(|| Error::trace("region", "bad result"))?,
            );
        }
    }
    drop(guard);
    let captures: Vec<Tensor> = trace
        .bindings()
        .into_iter()
        .filter_map(|b| match b {
            Binding::Outer(t) => Some(t),
            _ => None,
        })
        .collect();
    if trace
        .bindings()
        .iter()
        .any(|b| matches!(b, Binding::Concrete(_)))
    {
        return Err(Error::unsupported(
            "region",
            "a concrete array was used inside a region; turn it into a tensor outside first",
        ));
    }
    let mut g = trace.graph.borrow().clone();
    g.set_outputs(vals);
    Ok((g.compact(), captures))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    /// Constants stay constant through ops; a parameter (an argument or a value captured
    /// from an enclosing trace) anywhere upstream makes a value non-constant, also when it
    /// reaches the value only through a region op's captures.
    #[test]
    fn is_constant_follows_every_operand() {
        let _g = open_trace();
        let c = Tensor::scalar(2.0f32);
        let iota = Tensor::iota(DType::F32, [4], 0).expect("iota");
        assert!((&iota * &c).is_constant());
        let p = Tensor::parameter(TensorType::scalar(DType::F32), Binding::Arg);
        let mixed = &(&iota * &c) + &p;
        assert!(!mixed.is_constant());
        // A while loop whose body uses `p`: the capture is an operand of the loop.
        let out = Tensor::while_loop(
            &[Tensor::scalar(0i32), Tensor::scalar(0.0f32)],
            |v| v[0].lt(&Tensor::scalar(3i32)),
            |v| Ok(vec![v[0].add(&Tensor::scalar(1i32))?, v[1].add(&p)?]),
        )
        .expect("loop");
        assert!(!out[1].is_constant());
        let pure = Tensor::while_loop(
            &[Tensor::scalar(0i32)],
            |v| v[0].lt(&Tensor::scalar(3i32)),
            |v| Ok(vec![v[0].add(&Tensor::scalar(1i32))?]),
        )
        .expect("loop");
        assert!(pure[0].is_constant());
        assert!(!Tensor::from_error(Error::invalid("x", "y")).is_constant());
    }
}
