//! `ferrax::jit`: trace a function of tensors once per input signature, compile it, and call
//! the compiled program afterwards.

use crate::exec::execute;
use crate::runtime::{Compiled, Runtime};
use crate::{Array, Error, Eval, Result};
use ferrax_ir::{passes, trace, Binding, Tensor, TensorType, Trace};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

/// The arguments of a jitted call: one `&Array`, or a reference to a slice, vector or
/// array of `&Array` (`&[&x, &y]`).
pub trait Args {
    /// The arrays, in order, without copying the list.
    fn slice(&self) -> &[&Array];
    /// The arrays, in order.
    fn arrays(&self) -> Vec<&Array> {
        self.slice().to_vec()
    }
}

impl Args for &Array {
    fn slice(&self) -> &[&Array] {
        std::slice::from_ref(self)
    }
}

impl Args for &[&Array] {
    fn slice(&self) -> &[&Array] {
        self
    }
}

impl Args for &Vec<&Array> {
    fn slice(&self) -> &[&Array] {
        self.as_slice()
    }
}

impl<const N: usize> Args for &[&Array; N] {
    fn slice(&self) -> &[&Array] {
        &self[..]
    }
}

/// What a traced function returns: one tensor, a tuple, or a vector of tensors.
pub trait Outputs {
    /// The concrete counterpart (`Array`, `(Array, Array)`, `Vec<Array>`).
    type Concrete;
    /// The tensors, in order.
    fn flatten(self) -> Vec<Tensor>;
    /// Rebuilds the concrete value from arrays in the same order.
    fn rebuild(arrays: Vec<Array>) -> Result<Self::Concrete>;
}

impl Outputs for Tensor {
    type Concrete = Array;
    fn flatten(self) -> Vec<Tensor> {
        vec![self]
    }
    fn rebuild(mut arrays: Vec<Array>) -> Result<Array> {
        arrays
            .pop()
            .ok_or_else(|| Error::runtime("jit", "program returned no value"))
    }
}

impl Outputs for Vec<Tensor> {
    type Concrete = Vec<Array>;
    fn flatten(self) -> Vec<Tensor> {
        self
    }
    fn rebuild(arrays: Vec<Array>) -> Result<Vec<Array>> {
        Ok(arrays)
    }
}

macro_rules! tuple_outputs {
    ($n:literal; $($t:ident),*) => {
        impl Outputs for ($(tuple_outputs!(@ty $t),)*) {
            type Concrete = ($(tuple_outputs!(@arr $t),)*);
            #[allow(non_snake_case)]
            fn flatten(self) -> Vec<Tensor> {
                let ($($t,)*) = self;
                vec![$($t),*]
            }
            #[allow(non_snake_case)]
            fn rebuild(arrays: Vec<Array>) -> Result<Self::Concrete> {
                let mut it = arrays.into_iter();
                $(let $t = it.next().ok_or_else(|| Error::runtime("jit", "too few results"))?;)*
                Ok(($($t,)*))
            }
        }
    };
    (@ty $t:ident) => { Tensor };
    (@arr $t:ident) => { Array };
}
tuple_outputs!(2; A, B);
tuple_outputs!(3; A, B, C);
tuple_outputs!(4; A, B, C, D);

/// A function that can be traced: closures of 1 to 4 `&Tensor` arguments, or of one
/// `&[Tensor]`, returning `Result<O>` for some [`Outputs`] `O`. `M` is an inference marker.
pub trait TracedFn<M> {
    /// What the function returns.
    type Out: Outputs;
    /// Number of arguments (`None` for the slice form).
    fn arity(&self) -> Option<usize>;
    /// Calls the function on traced arguments.
    fn call_traced(&mut self, args: &[Tensor]) -> Result<Self::Out>;
}

/// Marker for the slice form.
pub struct SliceArgs;

impl<F, O> TracedFn<SliceArgs> for F
where
    F: FnMut(&[Tensor]) -> Result<O>,
    O: Outputs,
{
    type Out = O;
    fn arity(&self) -> Option<usize> {
        None
    }
    fn call_traced(&mut self, args: &[Tensor]) -> Result<O> {
        self(args)
    }
}

macro_rules! traced_fn {
    ($n:literal; $($i:tt),*) => {
        impl<F, O> TracedFn<[(); $n]> for F
        where
            F: FnMut($(traced_fn!(@ref $i)),*) -> Result<O>,
            O: Outputs,
        {
            type Out = O;
            fn arity(&self) -> Option<usize> {
                Some($n)
            }
            fn call_traced(&mut self, args: &[Tensor]) -> Result<O> {
                if args.len() != $n {
                    return Err(Error::runtime("jit", format!("function takes {} arguments, got {}", $n, args.len())));
                }
                self($(&args[$i]),*)
            }
        }
    };
    (@ref $i:tt) => { &Tensor };
}
traced_fn!(1; 0);
traced_fn!(2; 0, 1);
traced_fn!(3; 0, 1, 2);
traced_fn!(4; 0, 1, 2, 3);

struct Entry {
    arg_types: Vec<TensorType>,
    compiled: Arc<Compiled>,
    /// For each program input: `Ok(i)` = argument `i`, `Err(j)` = captured array `j`.
    feeds: Vec<Feed>,
    captured: Vec<Array>,
}

/// A jitted function. Create with [`jit`]; call with [`Jit::call`].
pub struct Jit<F, M> {
    f: F,
    entries: HashMap<u64, Entry>,
    rt: Option<Arc<Runtime>>,
    _m: PhantomData<fn() -> M>,
}

/// Wraps `f` for compiled execution: the first call with a given set of input types traces
/// `f`, optimises and compiles the graph (shared with any other graph of the same
/// fingerprint); later calls with the same types run the compiled program directly.
///
/// ```
/// use ferrax::prelude::*;
/// let mut f = ferrax::jit(|x: &Tensor, y: &Tensor| x.add(y)?.matmul(&y.t()?));
/// let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
/// let y = Array::ones([2, 3], DType::F32);
/// let z: Array = f.call(&[&x, &y])?;
/// assert_eq!(z.shape(), &[2, 2]);
/// assert_eq!(z.to_vec::<f32>()?, vec![9.0, 9.0, 18.0, 18.0]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn jit<F, M>(f: F) -> Jit<F, M>
where
    F: TracedFn<M>,
{
    Jit {
        f,
        entries: HashMap::new(),
        rt: None,
        _m: PhantomData,
    }
}

fn signature_key(args: &[&Array]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    args.len().hash(&mut h);
    for a in args {
        a.ty().hash(&mut h);
    }
    h.finish()
}

impl<F, M> Jit<F, M>
where
    F: TracedFn<M>,
{
    /// Runs the function on concrete arrays.
    pub fn call(&mut self, args: impl Args) -> Result<<F::Out as Outputs>::Concrete> {
        let args = args.slice();
        if let Some(n) = self.f.arity() {
            if n != args.len() {
                return Err(Error::runtime(
                    "jit",
                    format!("function takes {n} arguments, got {}", args.len()),
                ));
            }
        }
        let rt = match &self.rt {
            Some(rt) => rt.clone(),
            None => {
                let rt = Runtime::default_runtime()?;
                self.rt = Some(rt.clone());
                rt
            }
        };
        let key = signature_key(args);
        let hit = self.entries.get(&key).is_some_and(|e| {
            e.arg_types.len() == args.len()
                && e.arg_types.iter().zip(args).all(|(t, a)| t == a.ty())
        });
        if !hit {
            let e = self.trace_and_compile(&rt, args)?;
            self.entries.insert(key, e);
        }
        let e = self
            .entries
            .get(&key)
            .ok_or_else(|| Error::runtime("jit", "cache entry vanished"))?;
        let inputs: Vec<Array> = e
            .feeds
            .iter()
            .map(|f| match f {
                Ok(i) => args[*i].clone(),
                Err(j) => e.captured[*j].clone(),
            })
            .collect();
        let outs = execute(&rt, &e.compiled, &inputs)?;
        <F::Out as Outputs>::rebuild(outs)
    }

    /// Number of input signatures compiled so far.
    pub fn num_compiled(&self) -> usize {
        self.entries.len()
    }

    /// The StableHLO text compiled for these arguments' types (traces and compiles if needed).
    pub fn lower(&mut self, args: impl Args) -> Result<String> {
        let args = args.slice();
        let rt = Runtime::default_runtime()?;
        Ok(self.trace_and_compile(&rt, args)?.compiled.text.clone())
    }

    fn trace_and_compile(&mut self, rt: &Runtime, args: &[&Array]) -> Result<Entry> {
        let guard = trace::open_trace();
        let tr = guard.trace().clone();
        let params: Vec<Tensor> = args
            .iter()
            .map(|a| tr.add_parameter(a.ty().clone(), Binding::Arg))
            .collect();
        let outs = self.f.call_traced(&params)?.flatten();
        let vals = outs
            .iter()
            .map(|o| value_in(&tr, o))
            .collect::<Result<Vec<_>>>()?;
        drop(guard);
        let (compiled, feeds, captured) = compile_trace(rt, &tr, &vals)?;
        Ok(Entry {
            arg_types: args.iter().map(|a| a.ty().clone()).collect(),
            compiled,
            feeds,
            captured,
        })
    }
}

/// Where a compiled program's input comes from: `Ok(i)` = trace parameter `i` bound to an
/// argument (`Binding::Arg`), `Err(j)` = captured array `j`.
pub type Feed = std::result::Result<usize, usize>;

/// The value of `t` in the closed trace `tr`; a tensor that does not come from `tr` (a
/// captured outer tensor or a constant made elsewhere) is routed through it by an identity.
/// Call it while `tr` is still open.
pub fn value_in(tr: &Rc<Trace>, t: &Tensor) -> Result<ferrax_ir::Value> {
    let (owner, v, ty) = t.parts()?;
    if Rc::ptr_eq(owner, tr) {
        return Ok(v);
    }
    let ty = ty.clone();
    trace::apply1(ferrax_ir::Op::Reshape, &[t], &[ty])?
        .value()
        .ok_or_else(|| Error::runtime("jit", "bad result"))
}

/// Compiles the part of trace `tr` that produces `outputs` (optimised, cached by
/// fingerprint) and says what feeds each program input: arguments by trace-parameter index,
/// captured arrays (concrete arrays used inside, and outer tensors, evaluated once now).
pub fn compile_trace(
    rt: &Runtime,
    tr: &Trace,
    outputs: &[ferrax_ir::Value],
) -> Result<(Arc<Compiled>, Vec<Feed>, Vec<Array>)> {
    let (graph, used) = tr.extract(outputs);
    let bindings = tr.bindings();
    let mut feeds = Vec::with_capacity(used.len());
    let mut captured = Vec::new();
    for i in used {
        match bindings.get(i) {
            Some(Binding::Arg) => feeds.push(Ok(i)),
            Some(Binding::Concrete(h)) => {
                let a = h
                    .downcast_ref::<Array>()
                    .ok_or_else(|| Error::runtime("jit", "a captured value is not an Array"))?;
                feeds.push(Err(captured.len()));
                captured.push(a.clone());
            }
            Some(Binding::Outer(t)) => {
                feeds.push(Err(captured.len()));
                captured.push(t.eval()?);
            }
            None => return Err(Error::runtime("jit", "unknown parameter")),
        }
    }
    let compiled = rt.compile(&passes::optimize(&graph))?;
    Ok((compiled, feeds, captured))
}

/// Traces `f` on parameters of `arg_types` into a graph (nothing is compiled or run): the
/// graph `jit` would compile, before optimisation. Arrays used inside become extra
/// parameters after the arguments.
///
/// ```
/// use ferrax::prelude::*;
/// let t = TensorType::new(DType::F32, [2, 3]);
/// let g = ferrax::jit::trace_graph(&[t.clone(), t], |x: &Tensor, y: &Tensor| x.add(y))?;
/// assert_eq!(g.params().len(), 2);
/// assert_eq!(g.outputs().len(), 1);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn trace_graph<F, M>(arg_types: &[TensorType], mut f: F) -> Result<ferrax_ir::Graph>
where
    F: TracedFn<M>,
{
    let guard = trace::open_trace();
    let tr = guard.trace().clone();
    let params: Vec<Tensor> = arg_types
        .iter()
        .map(|t| tr.add_parameter(t.clone(), Binding::Arg))
        .collect();
    let outs = f.call_traced(&params)?.flatten();
    let mut vals = Vec::with_capacity(outs.len());
    for o in &outs {
        let (t, v, _) = o.parts()?;
        if !std::rc::Rc::ptr_eq(t, &tr) {
            return Err(Error::runtime(
                "trace_graph",
                "a result does not come from the trace",
            ));
        }
        vals.push(v);
    }
    drop(guard);
    let (mut g, _) = tr.extract(&vals);
    // Keep every declared argument, even unused ones, so the signature is stable.
    if g.params().len() != arg_types.len() {
        let full = tr.with_graph(|full| full.extract(&vals));
        g = full;
    }
    Ok(g)
}
