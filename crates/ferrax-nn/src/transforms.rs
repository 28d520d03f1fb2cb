//! `jit` over functions of a module: the module's variables become program inputs, the
//! variables the function changed (RNG counts, batch stats, ...) become extra outputs and
//! are written back after each call, so a jitted call advances RNG streams exactly as NNX
//! does. Compiled once per (module structure and variable types, argument types).
//!
//! Two forms: [`jit`] over `FnMut(&mut M, ..)` ([`ModuleJit`], state written back) and
//! [`jit_ref`] over `FnMut(&M, ..)` ([`ModuleRefJit`], state only read). The facade's
//! `ferrax::jit` picks the right one from the closure's first parameter.
//!
//! The per-call path is one traversal of the module that collects its arrays and checks
//! them against the signature of the last program used (paths and types compared in place,
//! nothing hashed or allocated), then one execution of the compiled program on the arrays'
//! device buffers. Outputs stay on the device; changed variables (RNG counts) are fed back
//! from there on the next call, never copied through the host.

use crate::{materialize, Module, VarPath, VarValue};
use ferrax_ir::{trace, Binding, Error, Result, Tensor, TensorType};
use ferrax_runtime::jit::{compile_trace, value_in, Args, Feed, Outputs};
use ferrax_runtime::runtime::Compiled;
use ferrax_runtime::{pjrt_error, Array, Runtime};
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

/// A function of a module and tensors that [`ModuleJit`] can trace: closures
/// `FnMut(&mut M, &Tensor) -> Result<O>`, `FnMut(&mut M, &Tensor, &Tensor) -> Result<O>` or
/// `FnMut(&mut M, &[Tensor]) -> Result<O>`. `K` is an inference marker.
pub trait ModuleFn<M, K> {
    /// What the function returns.
    type Out: Outputs;
    /// Number of tensor arguments (`None` for the slice form).
    fn arity(&self) -> Option<usize>;
    /// Calls it on traced arguments.
    fn call_traced(&mut self, m: &mut M, args: &[Tensor]) -> Result<Self::Out>;
}

/// A function of a shared module and tensors that [`ModuleRefJit`] can trace: closures
/// `FnMut(&M, &Tensor) -> Result<O>`, `FnMut(&M, &Tensor, &Tensor) -> Result<O>` or
/// `FnMut(&M, &[Tensor]) -> Result<O>`. `K` is an inference marker.
pub trait ModuleRefFn<M, K> {
    /// What the function returns.
    type Out: Outputs;
    /// Number of tensor arguments (`None` for the slice form).
    fn arity(&self) -> Option<usize>;
    /// Calls it on traced arguments.
    fn call_traced(&mut self, m: &M, args: &[Tensor]) -> Result<Self::Out>;
}

/// Marker: one tensor argument.
pub struct One;
/// Marker: two tensor arguments.
pub struct Two;
/// Marker: a slice of tensor arguments.
pub struct Many;

macro_rules! module_fns {
    ($tr:ident, $($m:tt)*) => {
        impl<M: Module, F, O: Outputs> $tr<M, One> for F
        where
            F: FnMut($($m)* M, &Tensor) -> Result<O>,
        {
            type Out = O;
            fn arity(&self) -> Option<usize> {
                Some(1)
            }
            fn call_traced(&mut self, m: $($m)* M, a: &[Tensor]) -> Result<O> {
                match a {
                    [x] => self(m, x),
                    _ => Err(arity_error(1, a.len())),
                }
            }
        }

        impl<M: Module, F, O: Outputs> $tr<M, Two> for F
        where
            F: FnMut($($m)* M, &Tensor, &Tensor) -> Result<O>,
        {
            type Out = O;
            fn arity(&self) -> Option<usize> {
                Some(2)
            }
            fn call_traced(&mut self, m: $($m)* M, a: &[Tensor]) -> Result<O> {
                match a {
                    [x, y] => self(m, x, y),
                    _ => Err(arity_error(2, a.len())),
                }
            }
        }

        impl<M: Module, F, O: Outputs> $tr<M, Many> for F
        where
            F: FnMut($($m)* M, &[Tensor]) -> Result<O>,
        {
            type Out = O;
            fn arity(&self) -> Option<usize> {
                None
            }
            fn call_traced(&mut self, m: $($m)* M, a: &[Tensor]) -> Result<O> {
                self(m, a)
            }
        }
    };
}
module_fns!(ModuleFn, &mut);
module_fns!(ModuleRefFn, &);

fn arity_error(n: usize, got: usize) -> Error {
    Error::runtime(
        "jit",
        format!("function takes {n} tensor arguments, got {got}"),
    )
}

fn check_arity(n: Option<usize>, got: usize) -> Result<()> {
    match n {
        Some(n) if n != got => Err(arity_error(n, got)),
        _ => Ok(()),
    }
}

/// One compiled signature.
struct Entry {
    /// The module's variables (paths and types), in traversal order.
    state: Vec<(VarPath, TensorType)>,
    arg_types: Vec<TensorType>,
    compiled: Arc<Compiled>,
    /// Program inputs: `Ok(i)` = state variable i (then args after), `Err(j)` = captured j.
    feeds: Vec<Feed>,
    captured: Vec<Array>,
    num_results: usize,
    /// For each extra output, in increasing order: the state variable it updates.
    updates: Vec<usize>,
}

enum Scan {
    /// The entry to run; `Cache::state` holds the module's arrays.
    Hit(usize),
    /// No compiled signature matches; `Cache::state` holds the module's arrays.
    Miss,
    /// Some variable holds a pending (traced) value.
    Pending,
}

/// The compiled signatures of one jitted function, and the per-call scratch.
#[derive(Default)]
struct Cache {
    entries: Vec<Entry>,
    /// The entry the last call used (checked first).
    last: usize,
    rt: Option<Arc<Runtime>>,
    /// This call's state arrays (cleared, capacity kept).
    state: Vec<Array>,
    /// The traversal's path buffer (always empty between traversals, capacity kept).
    path: VarPath,
}

impl Cache {
    fn runtime(&mut self) -> Result<Arc<Runtime>> {
        if let Some(rt) = &self.rt {
            return Ok(rt.clone());
        }
        let rt = Runtime::default_runtime()?;
        self.rt = Some(rt.clone());
        Ok(rt)
    }

    /// One traversal of `m`: collects its arrays into `self.state` and checks paths and
    /// types against the last entry used; on a mismatch, looks through the other entries.
    fn scan<M: Module + ?Sized>(&mut self, m: &M, args: &[&Array]) -> Scan {
        let Cache {
            entries,
            last,
            state,
            path,
            ..
        } = self;
        state.clear();
        let expected = entries.get(*last);
        let mut ok = expected.is_some_and(|e| types_match(&e.arg_types, args));
        let expected: &[(VarPath, TensorType)] = expected.map_or(&[], |e| &e.state);
        let mut pending = false;
        let mut k = 0;
        m.visit(path, &mut |p, v| {
            match v.var_value() {
                VarValue::Array(a) => {
                    if ok {
                        ok = matches!(expected.get(k), Some((ep, et)) if et == a.ty() && ep == p);
                    }
                    state.push(a.clone());
                }
                VarValue::Tensor(_) => pending = true,
            }
            k += 1;
        });
        if pending {
            return Scan::Pending;
        }
        if ok && k == expected.len() {
            return Scan::Hit(*last);
        }
        if entries.len() < 2 {
            return Scan::Miss;
        }
        let sig = signature(m);
        match entries
            .iter()
            .position(|e| e.state == sig && types_match(&e.arg_types, args))
        {
            Some(i) => {
                *last = i;
                Scan::Hit(i)
            }
            None => Scan::Miss,
        }
    }

    /// Runs entry `i` on `self.state` and `args`: the function's results, then the updated
    /// variables (as listed in `Entry::updates`).
    fn run(&mut self, i: usize, args: &[&Array]) -> Result<Vec<Array>> {
        if self.rt.is_none() {
            self.runtime()?;
        }
        let rt = self
            .rt
            .as_deref()
            .ok_or_else(|| Error::runtime("jit", "no runtime"))?;
        let e = self
            .entries
            .get(i)
            .ok_or_else(|| Error::runtime("jit", "cache entry vanished"))?;
        let state = &self.state;
        let ns = state.len();
        let buffer = |f: &Feed| -> Result<_> {
            let a = match *f {
                Ok(i) if i < ns => &state[i],
                Ok(i) => args
                    .get(i - ns)
                    .copied()
                    .ok_or_else(|| Error::runtime("jit", "argument index out of range"))?,
                Err(j) => e
                    .captured
                    .get(j)
                    .ok_or_else(|| Error::runtime("jit", "captured index out of range"))?,
            };
            a.buffer(rt)
        };
        // Types were checked by `scan` (state, arguments) and at trace time (captured).
        // Up to STACK inputs, the buffer list lives on the stack (no allocation per call).
        const STACK: usize = 16;
        let outs = match e.feeds.split_first() {
            Some((f0, rest)) if e.feeds.len() <= STACK => {
                let mut bufs = [buffer(f0)?; STACK];
                for (slot, f) in bufs[1..].iter_mut().zip(rest) {
                    *slot = buffer(f)?;
                }
                e.compiled.exe.execute(&bufs[..e.feeds.len()])
            }
            _ => {
                let bufs = e.feeds.iter().map(buffer).collect::<Result<Vec<_>>>()?;
                e.compiled.exe.execute(&bufs)
            }
        }
        .map_err(pjrt_error("execute"))?;
        if outs.len() != e.compiled.outputs.len() {
            return Err(Error::runtime(
                "execute",
                format!(
                    "program returned {} buffers, expected {}",
                    outs.len(),
                    e.compiled.outputs.len()
                ),
            ));
        }
        Ok(outs
            .into_iter()
            .zip(&e.compiled.outputs)
            .map(|(b, t)| Array::from_buffer(b, t.clone()))
            .collect())
    }

    /// Adds an entry and makes it the last used.
    fn push(&mut self, e: Entry) -> usize {
        self.entries.push(e);
        self.last = self.entries.len() - 1;
        self.last
    }

    /// The compiled program of entry `i` and its inputs in order.
    fn program(&self, i: usize, args: &[&Array]) -> Result<(Arc<Compiled>, Vec<Array>)> {
        let e = self
            .entries
            .get(i)
            .ok_or_else(|| Error::runtime("jit", "cache entry vanished"))?;
        let ns = self.state.len();
        let inputs = e
            .feeds
            .iter()
            .map(|f| match *f {
                Ok(i) if i < ns => Ok(self.state[i].clone()),
                Ok(i) => args
                    .get(i - ns)
                    .map(|a| (*a).clone())
                    .ok_or_else(|| Error::runtime("jit", "argument index out of range")),
                Err(j) => e
                    .captured
                    .get(j)
                    .cloned()
                    .ok_or_else(|| Error::runtime("jit", "captured index out of range")),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((e.compiled.clone(), inputs))
    }
}

fn types_match(types: &[TensorType], args: &[&Array]) -> bool {
    types.len() == args.len() && types.iter().zip(args).all(|(t, a)| t == a.ty())
}

/// Paths and types of `m`'s variables (a pending variable counts with its tensor's type).
fn signature<M: Module + ?Sized>(m: &M) -> Vec<(VarPath, TensorType)> {
    let mut out = Vec::new();
    m.visit(&mut VarPath::default(), &mut |p, v| {
        if let Ok(t) = v.var_value().ty() {
            out.push((p.clone(), t));
        }
    });
    out
}

/// The module's variables as (path, array); an error names a variable still traced.
fn state_arrays<M: Module + ?Sized>(m: &M, what: &str) -> Result<Vec<(VarPath, Array)>> {
    let mut out = Vec::new();
    let mut bad = None;
    m.visit(&mut VarPath::default(), &mut |p, v| match v.var_value() {
        VarValue::Array(a) => out.push((p.clone(), a.clone())),
        VarValue::Tensor(_) => {
            bad.get_or_insert_with(|| p.to_string());
        }
    });
    match bad {
        Some(p) => Err(Error::runtime(
            "jit",
            format!("variable `{p}` holds a traced value {what}"),
        )),
        None => Ok(out),
    }
}

/// Opens a trace with one parameter per state variable and argument.
fn open(
    state: &[(VarPath, Array)],
    args: &[&Array],
) -> (
    trace::TraceGuard,
    Rc<ferrax_ir::Trace>,
    Vec<Tensor>,
    Vec<Tensor>,
) {
    let guard = trace::open_trace();
    let tr = guard.trace().clone();
    let params: Vec<Tensor> = state
        .iter()
        .map(|(_, a)| tr.add_parameter(a.ty().clone(), Binding::Arg))
        .collect();
    let arg_params: Vec<Tensor> = args
        .iter()
        .map(|a| tr.add_parameter(a.ty().clone(), Binding::Arg))
        .collect();
    (guard, tr, params, arg_params)
}

/// Puts `params` into the module's variables, in traversal order.
fn swap_in<M: Module + ?Sized>(m: &mut M, params: &[Tensor]) {
    let mut k = 0;
    m.visit_mut(&mut VarPath::default(), &mut |_, v| {
        if let Some(t) = params.get(k) {
            v.set_var_value(VarValue::Tensor(t.clone()));
        }
        k += 1;
    });
}

/// Compiles the traced results plus `updated` variable values into an entry.
fn finish(
    rt: &Runtime,
    guard: trace::TraceGuard,
    tr: &Rc<ferrax_ir::Trace>,
    outs: Vec<Tensor>,
    updated: Vec<(usize, Tensor)>,
    state: &[(VarPath, Array)],
    args: &[&Array],
) -> Result<Entry> {
    let mut vals = outs
        .iter()
        .map(|o| value_in(tr, o))
        .collect::<Result<Vec<_>>>()?;
    let num_results = vals.len();
    let mut updates = Vec::with_capacity(updated.len());
    for (i, t) in &updated {
        vals.push(value_in(tr, t)?);
        updates.push(*i);
    }
    drop(guard);
    let (compiled, feeds, captured) = compile_trace(rt, tr, &vals)?;
    Ok(Entry {
        state: state
            .iter()
            .map(|(p, a)| (p.clone(), a.ty().clone()))
            .collect(),
        arg_types: args.iter().map(|a| a.ty().clone()).collect(),
        compiled,
        feeds,
        captured,
        num_results,
        updates,
    })
}

/// A jitted function of `&mut M` (see [`jit`]).
pub struct ModuleJit<M, F, K> {
    f: F,
    cache: Cache,
    _m: PhantomData<fn(&mut M) -> K>,
}

/// Jits a function of `&mut M` and tensors: the module's variables are program inputs and
/// the ones the function changed are written back after each call.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Dropout, Linear, Rngs};
///
/// #[derive(Module)]
/// struct Net { lin: Linear, drop: Dropout }
///
/// let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
/// let mut net = Net { lin: Linear::new(2, 3, &mut rngs)?, drop: Dropout::new(0.5, &mut rngs)? };
/// let mut step = nn::jit(|m: &mut Net, x: &Tensor| m.drop.forward(&m.lin.forward(x)?));
/// let x = Array::ones([4, 2], DType::F32);
/// let a: Array = step.call(&mut net, &[&x])?;
/// let b: Array = step.call(&mut net, &[&x])?;       // the dropout stream advanced
/// assert_ne!(a.to_vec::<f32>()?, b.to_vec::<f32>()?);
/// assert_eq!(step.num_compiled(), 1);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn jit<M, F, K>(f: F) -> ModuleJit<M, F, K>
where
    M: Module,
    F: ModuleFn<M, K>,
{
    ModuleJit {
        f,
        cache: Cache::default(),
        _m: PhantomData,
    }
}

impl<M, F, K> ModuleJit<M, F, K>
where
    M: Module,
    F: ModuleFn<M, K>,
{
    /// Runs the function on `m` and concrete arrays, writing changed variables back to `m`.
    /// Pending initialisations of `m` are materialised first.
    pub fn call(&mut self, m: &mut M, args: impl Args) -> Result<<F::Out as Outputs>::Concrete> {
        let args = args.slice();
        check_arity(self.f.arity(), args.len())?;
        let i = self.entry(m, args)?;
        let mut outs = self.cache.run(i, args)?;
        let e = &self.cache.entries[i];
        if e.updates.is_empty() {
            return <F::Out as Outputs>::rebuild(outs);
        }
        let updates = outs.split_off(e.num_results);
        let mut next = e.updates.iter().copied().zip(updates).peekable();
        let mut k = 0;
        m.visit_mut(&mut self.cache.path, &mut |_, v| {
            if next.peek().is_some_and(|(i, _)| *i == k) {
                if let Some((_, a)) = next.next() {
                    v.set_var_value(VarValue::Array(a));
                }
            }
            k += 1;
        });
        <F::Out as Outputs>::rebuild(outs)
    }

    /// The compiled program for these arguments (tracing and compiling if needed) and its
    /// inputs in order (the module's state and the arguments): the very executable `call`
    /// runs, e.g. for timing it raw or dumping it (`.text`).
    pub fn compiled(&mut self, m: &mut M, args: impl Args) -> Result<(Arc<Compiled>, Vec<Array>)> {
        let args = args.slice();
        check_arity(self.f.arity(), args.len())?;
        let i = self.entry(m, args)?;
        self.cache.program(i, args)
    }

    /// The StableHLO text of [`ModuleJit::compiled`] and its inputs in order.
    pub fn program(&mut self, m: &mut M, args: impl Args) -> Result<(String, Vec<Array>)> {
        let (c, inputs) = self.compiled(m, args)?;
        Ok((c.text.clone(), inputs))
    }

    /// Number of (module structure, argument types) signatures compiled so far.
    pub fn num_compiled(&self) -> usize {
        self.cache.entries.len()
    }

    fn entry(&mut self, m: &mut M, args: &[&Array]) -> Result<usize> {
        let mut materialized = false;
        loop {
            match self.cache.scan(&*m, args) {
                Scan::Hit(i) => return Ok(i),
                Scan::Pending if !materialized => {
                    materialize(m)?;
                    materialized = true;
                }
                Scan::Pending => {
                    state_arrays(m, "after materialize")?;
                    return Err(Error::runtime("jit", "a variable stays pending"));
                }
                Scan::Miss => {
                    let rt = self.cache.runtime()?;
                    let e = trace_mut(&mut self.f, &rt, m, args)?;
                    return Ok(self.cache.push(e));
                }
            }
        }
    }
}

/// Traces `f` on `m` with its variables swapped for parameters; always restores them.
fn trace_mut<M, F, K>(f: &mut F, rt: &Runtime, m: &mut M, args: &[&Array]) -> Result<Entry>
where
    M: Module,
    F: ModuleFn<M, K>,
{
    let state = state_arrays(m, "outside jit")?;
    let (guard, tr, params, arg_params) = open(&state, args);
    swap_in(m, &params);
    let result = f.call_traced(m, &arg_params);
    let mut after: Vec<VarValue> = Vec::with_capacity(state.len());
    let mut k = 0;
    m.visit_mut(&mut VarPath::default(), &mut |_, v| {
        after.push(v.var_value().clone());
        if let Some((_, a)) = state.get(k) {
            v.set_var_value(VarValue::Array(a.clone()));
        }
        k += 1;
    });
    if after.len() != state.len() {
        return Err(Error::runtime(
            "jit",
            "the function changed the module's structure",
        ));
    }
    let outs = result?.flatten();
    let mut updated = Vec::new();
    for (i, v) in after.into_iter().enumerate() {
        let t = match v {
            VarValue::Tensor(t) => t,
            VarValue::Array(_) => {
                return Err(Error::runtime(
                    "jit",
                    format!(
                        "variable `{}` was set to a concrete array inside jit",
                        state[i].0
                    ),
                ))
            }
        };
        if t.value() == params[i].value() {
            continue;
        }
        if t.ty()? != state[i].1.ty() {
            return Err(Error::runtime(
                "jit",
                format!("variable `{}` changed type inside jit", state[i].0),
            ));
        }
        updated.push((i, t));
    }
    finish(rt, guard, &tr, outs, updated, &state, args)
}

/// A jitted function of `&M` (see [`jit_ref`]).
pub struct ModuleRefJit<M, F, K> {
    f: F,
    cache: Cache,
    _m: PhantomData<fn(&M) -> K>,
}

/// Jits a function of `&M` and tensors: the module's variables are program inputs and
/// nothing is written back, so the module can be shared (`call(&model, ..)`).
///
/// Tracing runs the function once on a clone of the module whose variables hold traced
/// parameters, hence `M: Clone` (cheap: arrays are shared, not copied). The function can
/// only read state; if it changes a variable anyway (through interior mutability, e.g. a
/// hand-written `Module` over a `RefCell`), the first call fails with an error naming the
/// variable: use [`jit`] over `&mut M` for functions that update state. A module with
/// pending initialisations must be materialised first ([`materialize`]), since `&M` cannot
/// store the results.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Linear, Rngs};
///
/// #[derive(Module, Clone)]
/// struct Mlp { layer1: Linear, layer2: Linear }
/// impl Mlp {
///     fn forward_eval(&self, x: &Tensor) -> ferrax::Result<Tensor> {
///         self.layer2.forward(&nn::relu(&self.layer1.forward(x)?)?)
///     }
/// }
///
/// let mut rngs = Rngs::new().with("params", 0);
/// let mut model = Mlp { layer1: Linear::new(2, 10, &mut rngs)?, layer2: Linear::new(10, 5, &mut rngs)? };
/// nn::materialize(&mut model)?;
/// let mut f = ferrax::jit(|m: &Mlp, x: &Tensor| m.forward_eval(x));
/// let model = &model;                                    // shared: no writes
/// let y: Array = f.call(model, &Array::ones([1, 2], DType::F32))?;
/// assert_eq!(y.to_string(), "[[-0.15895452 -1.1049775 1.2165147 0.62828314 0.571608]]");
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn jit_ref<M, F, K>(f: F) -> ModuleRefJit<M, F, K>
where
    M: Module + Clone,
    F: ModuleRefFn<M, K>,
{
    ModuleRefJit {
        f,
        cache: Cache::default(),
        _m: PhantomData,
    }
}

impl<M, F, K> ModuleRefJit<M, F, K>
where
    M: Module + Clone,
    F: ModuleRefFn<M, K>,
{
    /// Runs the function on `m` and concrete arrays; `m` is not changed.
    pub fn call(&mut self, m: &M, args: impl Args) -> Result<<F::Out as Outputs>::Concrete> {
        let args = args.slice();
        check_arity(self.f.arity(), args.len())?;
        let i = self.entry(m, args)?;
        let outs = self.cache.run(i, args)?;
        <F::Out as Outputs>::rebuild(outs)
    }

    /// The compiled program for these arguments and its inputs in order (see
    /// [`ModuleJit::compiled`]).
    pub fn compiled(&mut self, m: &M, args: impl Args) -> Result<(Arc<Compiled>, Vec<Array>)> {
        let args = args.slice();
        check_arity(self.f.arity(), args.len())?;
        let i = self.entry(m, args)?;
        self.cache.program(i, args)
    }

    /// Number of (module structure, argument types) signatures compiled so far.
    pub fn num_compiled(&self) -> usize {
        self.cache.entries.len()
    }

    fn entry(&mut self, m: &M, args: &[&Array]) -> Result<usize> {
        match self.cache.scan(m, args) {
            Scan::Hit(i) => Ok(i),
            Scan::Miss => {
                let rt = self.cache.runtime()?;
                let e = trace_ref(&mut self.f, &rt, m, args)?;
                Ok(self.cache.push(e))
            }
            Scan::Pending => {
                let why = state_arrays(m, "(a pending initialisation)")
                    .err()
                    .map_or_else(|| "a variable is pending".to_string(), |e| e.to_string());
                Err(Error::runtime(
                    "jit",
                    format!(
                        "{why}; jit over `&M` cannot store initialisations: call \
                         `nn::materialize(&mut model)` first"
                    ),
                ))
            }
        }
    }
}

/// Traces `f` on a clone of `m` whose variables hold parameters; rejects any change to the
/// clone's or the original's variables.
fn trace_ref<M, F, K>(f: &mut F, rt: &Runtime, m: &M, args: &[&Array]) -> Result<Entry>
where
    M: Module + Clone,
    F: ModuleRefFn<M, K>,
{
    let state = state_arrays(m, "outside jit")?;
    let (guard, tr, params, arg_params) = open(&state, args);
    let mut traced = m.clone();
    swap_in(&mut traced, &params);
    let result = f.call_traced(&traced, &arg_params);
    // The clone must still hold exactly the parameters. Put the arrays back either way: a
    // variable the clone shares with the original (an `Rc<RefCell<..>>`) is restored too.
    let mut changed: Option<String> = None;
    let mut k = 0;
    traced.visit_mut(&mut VarPath::default(), &mut |p, v| {
        let same = match (v.var_value(), params.get(k)) {
            (VarValue::Tensor(t), Some(q)) => t.value() == q.value(),
            _ => false,
        };
        if !same && changed.is_none() {
            changed = Some(p.to_string());
        }
        if let Some((_, a)) = state.get(k) {
            v.set_var_value(VarValue::Array(a.clone()));
        }
        k += 1;
    });
    if changed.is_none() && k != state.len() {
        changed = Some("(the module's structure)".into());
    }
    // The original must hold no tracer (it could only get one through shared state).
    if changed.is_none() {
        if let Err(e) = state_arrays(m, "after tracing") {
            changed = Some(e.to_string());
        }
    }
    if let Some(p) = changed {
        return Err(Error::runtime(
            "jit",
            format!(
                "the function changed `{p}` through a shared reference (interior \
                 mutability); jit over `&M` only reads state: use a function of `&mut M` \
                 to update it"
            ),
        ));
    }
    let outs = result?.flatten();
    finish(rt, guard, &tr, outs, Vec::new(), &state, args)
}
