//! Evaluating tensors: extract the graph that produces them, optimise, compile (cached by
//! fingerprint), feed the captured arrays, run.

use crate::runtime::{Compiled, Runtime};
use crate::{pjrt_error, Array, Error, Result};
use ferrax_ir::{passes, Binding, Graph, Tensor};
use std::rc::Rc;
use std::sync::Arc;

/// Evaluation of traced tensors: `tensor.eval()?`.
pub trait Eval {
    /// Compiles the graph that produces this value (cached by structural fingerprint) and
    /// runs it on the default device.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], [2])?;
    /// let y = (&x * &x + 1.0).eval()?;
    /// assert_eq!(y.to_vec::<f32>()?, vec![2.0, 5.0]);
    /// # Ok::<(), ferrax::Error>(())
    /// ```
    fn eval(&self) -> Result<Array>;
}

impl Eval for Tensor {
    fn eval(&self) -> Result<Array> {
        let mut v = eval_many(std::slice::from_ref(self))?;
        v.pop()
            .ok_or_else(|| Error::runtime("eval", "program returned no value"))
    }
}

/// Evaluates several tensors of one trace in a single program.
pub fn eval_many(ts: &[Tensor]) -> Result<Vec<Array>> {
    let Some(first) = ts.first() else {
        return Ok(Vec::new());
    };
    let (trace, _, _) = first.parts()?;
    let mut outs = Vec::with_capacity(ts.len());
    for t in ts {
        let (tr, v, _) = t.parts()?;
        if !Rc::ptr_eq(tr, trace) {
            return Err(Error::runtime("eval", "tensors come from different traces"));
        }
        outs.push(v);
    }
    let (graph, used) = trace.extract(&outs);
    let bindings = trace.bindings();
    let mut args: Vec<Array> = Vec::with_capacity(used.len());
    for i in used {
        match bindings.get(i) {
            Some(Binding::Concrete(h)) => match h.downcast_ref::<Array>() {
                Some(a) => args.push(a.clone()),
                None => return Err(Error::runtime("eval", "a captured value is not an Array")),
            },
            _ => {
                return Err(Error::runtime(
                    "eval",
                    "this tensor depends on a traced argument (inside jit or a region); \
                     return it from the traced function instead",
                ))
            }
        }
    }
    let rt = Runtime::default_runtime()?;
    run_graph(&rt, &graph, &args)
}

/// Optimises and runs `graph` on `args` (compiled once per fingerprint).
pub fn run_graph(rt: &Runtime, graph: &Graph, args: &[Array]) -> Result<Vec<Array>> {
    let g = passes::optimize(graph);
    let c = rt.compile(&g)?;
    execute(rt, &c, args)
}

/// Runs a compiled program; checks argument types first.
pub fn execute(rt: &Runtime, c: &Arc<Compiled>, args: &[Array]) -> Result<Vec<Array>> {
    if args.len() != c.inputs.len() {
        return Err(Error::runtime(
            "execute",
            format!(
                "program takes {} arguments, got {}",
                c.inputs.len(),
                args.len()
            ),
        ));
    }
    let mut bufs = Vec::with_capacity(args.len());
    for (i, (a, t)) in args.iter().zip(&c.inputs).enumerate() {
        if a.ty() != t {
            return Err(Error::runtime(
                "execute",
                format!("argument {i} has type {}, the program takes {t}", a.ty()),
            ));
        }
        bufs.push(a.buffer(rt)?);
    }
    let outs = c.exe.execute(&bufs).map_err(pjrt_error("execute"))?;
    if outs.len() != c.outputs.len() {
        return Err(Error::runtime(
            "execute",
            format!(
                "program returned {} buffers, expected {}",
                outs.len(),
                c.outputs.len()
            ),
        ));
    }
    Ok(outs
        .into_iter()
        .zip(&c.outputs)
        .map(|(b, t)| Array::from_buffer(b, t.clone()))
        .collect())
}
