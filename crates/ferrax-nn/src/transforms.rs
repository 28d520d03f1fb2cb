//! `jit` over functions of a module: the module's variables become program inputs, the
//! variables the function changed (RNG counts, batch stats, ...) become extra outputs and
//! are written back after each call, so a jitted call advances RNG streams exactly as NNX
//! does. Compiled once per (module structure and variable types, argument types).

use crate::{materialize, Module, VarPath, VarValue};
use ferrax_ir::{trace, Binding, Error, Result, Tensor, TensorType};
use ferrax_runtime::exec::execute;
use ferrax_runtime::jit::{compile_trace, value_in, Args, Feed, Outputs};
use ferrax_runtime::runtime::Compiled;
use ferrax_runtime::{Array, Runtime};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
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

/// Marker: one tensor argument.
pub struct One;
/// Marker: two tensor arguments.
pub struct Two;
/// Marker: a slice of tensor arguments.
pub struct Many;

impl<M, F, O: Outputs> ModuleFn<M, One> for F
where
    F: FnMut(&mut M, &Tensor) -> Result<O>,
{
    type Out = O;
    fn arity(&self) -> Option<usize> {
        Some(1)
    }
    fn call_traced(&mut self, m: &mut M, a: &[Tensor]) -> Result<O> {
        self(m, &a[0])
    }
}

impl<M, F, O: Outputs> ModuleFn<M, Two> for F
where
    F: FnMut(&mut M, &Tensor, &Tensor) -> Result<O>,
{
    type Out = O;
    fn arity(&self) -> Option<usize> {
        Some(2)
    }
    fn call_traced(&mut self, m: &mut M, a: &[Tensor]) -> Result<O> {
        self(m, &a[0], &a[1])
    }
}

impl<M, F, O: Outputs> ModuleFn<M, Many> for F
where
    F: FnMut(&mut M, &[Tensor]) -> Result<O>,
{
    type Out = O;
    fn arity(&self) -> Option<usize> {
        None
    }
    fn call_traced(&mut self, m: &mut M, a: &[Tensor]) -> Result<O> {
        self(m, a)
    }
}

struct Entry {
    state_types: Vec<(String, TensorType)>,
    arg_types: Vec<TensorType>,
    compiled: Arc<Compiled>,
    /// Program inputs: `Ok(i)` = state variable i (then args after), `Err(j)` = captured j.
    feeds: Vec<Feed>,
    captured: Vec<Array>,
    num_results: usize,
    /// For each extra output: the index of the state variable it updates.
    updates: Vec<usize>,
}

/// A jitted function of a module (see [`jit`]).
pub struct ModuleJit<M, F, K> {
    f: F,
    entries: HashMap<u64, Entry>,
    rt: Option<Arc<Runtime>>,
    _m: PhantomData<fn(&mut M) -> K>,
}

/// Jits a function of `&mut M` and tensors.
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
        entries: HashMap::new(),
        rt: None,
        _m: PhantomData,
    }
}

fn state_arrays<M: Module>(m: &M) -> Result<Vec<(String, Array)>> {
    let mut out = Vec::new();
    let mut bad = None;
    m.visit(&mut VarPath::default(), &mut |p, v| match v.var_value() {
        VarValue::Array(a) => out.push((p.to_string(), a.clone())),
        VarValue::Tensor(_) => bad = Some(p.to_string()),
    });
    match bad {
        Some(p) => Err(Error::runtime(
            "jit",
            format!("variable `{p}` is still traced"),
        )),
        None => Ok(out),
    }
}

impl<M, F, K> ModuleJit<M, F, K>
where
    M: Module,
    F: ModuleFn<M, K>,
{
    /// Runs the function on `m` and concrete arrays, writing changed variables back to `m`.
    pub fn call(&mut self, m: &mut M, args: impl Args) -> Result<<F::Out as Outputs>::Concrete> {
        let args = args.arrays();
        let args = &args[..];
        if let Some(n) = self.f.arity() {
            if n != args.len() {
                return Err(Error::runtime(
                    "jit",
                    format!("function takes {n} tensor arguments, got {}", args.len()),
                ));
            }
        }
        // One pass over the module: its arrays, and a hash of its structure (paths) and types,
        // without allocating path strings (this is the per-call hot path).
        let (state, key) = loop {
            let mut arrays: Vec<Array> = Vec::new();
            let mut pending = false;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            m.visit(&mut VarPath::default(), &mut |p, v| match v.var_value() {
                VarValue::Array(a) => {
                    p.hash(&mut h);
                    a.ty().hash(&mut h);
                    arrays.push(a.clone());
                }
                VarValue::Tensor(_) => pending = true,
            });
            if pending {
                materialize(m)?;
                continue;
            }
            for a in args {
                a.ty().hash(&mut h);
            }
            break (arrays, h.finish());
        };
        let hit = self.entries.get(&key).is_some_and(|e| {
            e.state_types.len() == state.len()
                && e.state_types
                    .iter()
                    .zip(&state)
                    .all(|((_, t), a)| t == a.ty())
                && e.arg_types.len() == args.len()
                && e.arg_types.iter().zip(args).all(|(t, a)| t == a.ty())
        });
        let rt = match &self.rt {
            Some(rt) => rt.clone(),
            None => {
                let rt = Runtime::default_runtime()?;
                self.rt = Some(rt.clone());
                rt
            }
        };
        if !hit {
            let named = state_arrays(m)?;
            let e = self.trace(&rt, m, &named, args)?;
            self.entries.insert(key, e);
        }
        let e = self
            .entries
            .get(&key)
            .ok_or_else(|| Error::runtime("jit", "cache entry vanished"))?;
        let ns = state.len();
        let inputs: Vec<Array> = e
            .feeds
            .iter()
            .map(|f| match f {
                Ok(i) if *i < ns => state[*i].clone(),
                Ok(i) => args[*i - ns].clone(),
                Err(j) => e.captured[*j].clone(),
            })
            .collect();
        let mut outs = execute(&rt, &e.compiled, &inputs)?;
        if e.updates.is_empty() {
            return <F::Out as Outputs>::rebuild(outs);
        }
        let updates = outs.split_off(e.num_results);
        let mut new_state: Vec<Option<Array>> = vec![None; ns];
        for (i, a) in e.updates.iter().zip(updates) {
            new_state[*i] = Some(a);
        }
        let mut k = 0;
        m.visit_mut(&mut VarPath::default(), &mut |_, v| {
            if let Some(Some(a)) = new_state.get_mut(k).map(Option::take) {
                v.set_var_value(VarValue::Array(a));
            }
            k += 1;
        });
        <F::Out as Outputs>::rebuild(outs)
    }

    /// The compiled program for these arguments (tracing and compiling if needed): its
    /// StableHLO text and its inputs in order (the module's state and the arguments), e.g.
    /// for dumps or for timing the raw program.
    pub fn program(&mut self, m: &mut M, args: impl Args) -> Result<(String, Vec<Array>)> {
        let args = args.arrays();
        let args = &args[..];
        materialize(m)?;
        let state = state_arrays(m)?;
        let rt = Runtime::default_runtime()?;
        let e = self.trace(&rt, m, &state, args)?;
        let ns = state.len();
        let inputs = e
            .feeds
            .iter()
            .map(|f| match f {
                Ok(i) if *i < ns => state[*i].1.clone(),
                Ok(i) => args[*i - ns].clone(),
                Err(j) => e.captured[*j].clone(),
            })
            .collect();
        Ok((e.compiled.text.clone(), inputs))
    }

    /// Number of (module structure, argument types) signatures compiled so far.
    pub fn num_compiled(&self) -> usize {
        self.entries.len()
    }

    fn trace(
        &mut self,
        rt: &Runtime,
        m: &mut M,
        state: &[(String, Array)],
        args: &[&Array],
    ) -> Result<Entry> {
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
        // Swap traced parameters into the module; always restore the arrays afterwards.
        let mut k = 0;
        m.visit_mut(&mut VarPath::default(), &mut |_, v| {
            v.set_var_value(VarValue::Tensor(params[k].clone()));
            k += 1;
        });
        let result = self.f.call_traced(m, &arg_params);
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
        let mut vals = outs
            .iter()
            .map(|o| value_in(&tr, o))
            .collect::<Result<Vec<_>>>()?;
        let num_results = vals.len();
        let mut updates = Vec::new();
        for (i, v) in after.iter().enumerate() {
            let t = match v {
                VarValue::Tensor(t) => t,
                VarValue::Array(_) => {
                    return Err(Error::runtime(
                        "jit",
                        "a variable was set to a concrete array inside jit",
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
            vals.push(value_in(&tr, t)?);
            updates.push(i);
        }
        drop(guard);
        let (compiled, feeds, captured) = compile_trace(rt, &tr, &vals)?;
        Ok(Entry {
            state_types: state
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
}
