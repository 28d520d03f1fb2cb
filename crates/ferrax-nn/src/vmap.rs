//! `vmap` over functions of modules (`nnx.vmap`), with [`StateAxes`] saying which module
//! state is mapped along which axis.
//!
//! The function is traced once on one example: every variable of the input module becomes
//! an argument of the traced program, mapped along its [`StateAxes`] axis or shared
//! (`None`); the module's updated variables are written back with the same axes (so a
//! shared RNG stream that was drawn from advances once, and split streams keep their
//! leading axis), and the variables of a module the function returns get the axes of the
//! output [`StateAxes`]. Shared state that the function updates with per-example values is
//! an error naming the variable's path.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::nn::{self, Filter, Linear, Rngs, SplitRngs, StateAxes};
//!
//! // The spec's vmapped constructor: 5 Linear layers from 5 split `params` keys.
//! let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
//! let axes = StateAxes::new()
//!     .with(Filter::Any(vec![Filter::Kind("Param"), "params".into()]), Some(0))
//!     .with(Filter::All, None);
//! let mut create = nn::vmap(|r: &mut Rngs, _: &[Tensor]| Ok((Linear::new(2, 3, r)?, vec![])))
//!     .in_axes(axes.clone(), &[])
//!     .out_axes(axes, &[]);
//! let (layer, _) = SplitRngs::new(5).only("params").with(&mut rngs, |r| create.call(r, &[]))?;
//! assert_eq!(layer.kernel.shape()?, vec![5, 2, 3]);
//! # Ok::<(), ferrax::Error>(())
//! ```

use crate::module::set_values;
use crate::{AnyVariable, Filter, Module, VarPath, VarValue};
use ferrax_ir::{vmap_with, Error, Result, Tensor};
use std::marker::PhantomData;

/// Which axis each piece of a module's state is mapped along (`nnx.StateAxes`): rules of
/// (filter, axis), the first matching rule wins; `None` shares the variable across the
/// mapped examples. A variable no rule matches is an error.
///
/// ```
/// use ferrax_nn::{Filter, StateAxes};
/// let axes = StateAxes::new().with(Filter::Kind("Param"), Some(0)).with(Filter::All, None);
/// assert_eq!(axes.axis_for("layer.kernel", "Param", None)?, Some(0));
/// assert_eq!(axes.axis_for("dropout.rngs.key", "RngKey", Some("dropout"))?, None);
/// # Ok::<(), ferrax_ir::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct StateAxes {
    rules: Vec<(Filter, Option<usize>)>,
}

impl StateAxes {
    /// No rules yet.
    pub fn new() -> StateAxes {
        StateAxes::default()
    }
    /// Every variable along `axis` (JAX's plain `in_axes=0` / `None` for a module).
    pub fn all(axis: Option<usize>) -> StateAxes {
        StateAxes::new().with(Filter::All, axis)
    }
    /// Adds a rule (after the existing ones).
    pub fn with(mut self, filter: impl Into<Filter>, axis: Option<usize>) -> StateAxes {
        self.rules.push((filter.into(), axis));
        self
    }
    /// The axis of the variable at `path` of kind `kind` with tag `tag`.
    pub fn axis_for(&self, path: &str, kind: &str, tag: Option<&str>) -> Result<Option<usize>> {
        self.rules
            .iter()
            .find(|(f, _)| f.matches_var(path, kind, tag))
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                Error::invalid(
                    format!("{path} (vmap)"),
                    format!(
                        "no StateAxes rule matches this {kind} variable; end the rules with \
                         `.with(Filter::All, None)` to share everything else"
                    ),
                )
            })
    }
}

impl From<Option<usize>> for StateAxes {
    fn from(axis: Option<usize>) -> StateAxes {
        StateAxes::all(axis)
    }
}

/// A module function vectorised with [`vmap`]; call it with [`ModuleVmap::call`].
pub struct ModuleVmap<M: ?Sized, O, F> {
    f: F,
    in_state: StateAxes,
    arg_axes: Vec<Option<usize>>,
    out_state: StateAxes,
    out_axes: Vec<Option<usize>>,
    axis_size: Option<usize>,
    _m: PhantomData<fn(&mut M) -> O>,
}

/// `nnx.vmap` over `f(module, args) -> (output module, results)`. Configure the axes with
/// [`ModuleVmap::in_axes`] / [`ModuleVmap::out_axes`] (default: module state shared, every
/// tensor argument and result mapped along axis 0). Return `()` as the output module when
/// there is none. The vmapped function sees one example; see [`StateAxes`].
pub fn vmap<M, O, F>(f: F) -> ModuleVmap<M, O, F>
where
    M: Module + ?Sized,
    O: Module,
    F: FnMut(&mut M, &[Tensor]) -> Result<(O, Vec<Tensor>)>,
{
    ModuleVmap {
        f,
        in_state: StateAxes::all(None),
        arg_axes: vec![Some(0)],
        out_state: StateAxes::all(None),
        out_axes: vec![Some(0)],
        axis_size: None,
        _m: PhantomData,
    }
}

struct Var {
    path: String,
    kind: &'static str,
    tag: Option<String>,
    value: VarValue,
}

fn collect<M: Module + ?Sized>(m: &M) -> Vec<Var> {
    let mut out = Vec::new();
    m.visit(&mut VarPath::default(), &mut |p, v: &dyn AnyVariable| {
        out.push(Var {
            path: p.to_string(),
            kind: v.kind_name(),
            tag: v.tag().map(str::to_owned),
            value: v.var_value().clone(),
        })
    });
    out
}

impl<M, O, F> ModuleVmap<M, O, F>
where
    M: Module + ?Sized,
    O: Module,
    F: FnMut(&mut M, &[Tensor]) -> Result<(O, Vec<Tensor>)>,
{
    /// Axes of the input module's state and of the tensor arguments (one entry applies to
    /// every argument).
    pub fn in_axes(mut self, state: impl Into<StateAxes>, args: &[Option<usize>]) -> Self {
        self.in_state = state.into();
        self.arg_axes = args.to_vec();
        self
    }
    /// Axes of the returned module's state and of the tensor results (one entry applies to
    /// every result).
    pub fn out_axes(mut self, state: impl Into<StateAxes>, results: &[Option<usize>]) -> Self {
        self.out_state = state.into();
        self.out_axes = results.to_vec();
        self
    }
    /// The mapped size when nothing mapped gives it (JAX's `axis_size`).
    pub fn axis_size(mut self, n: usize) -> Self {
        self.axis_size = Some(n);
        self
    }

    /// Runs the vectorised function: `m`'s state is mapped per the input [`StateAxes`] and
    /// written back; returns the output module (its state stacked per the output
    /// [`StateAxes`]) and the results.
    pub fn call(&mut self, m: &mut M, args: &[Tensor]) -> Result<(O, Vec<Tensor>)> {
        let vars = collect(m);
        let eager = vars.iter().all(|v| matches!(v.value, VarValue::Array(_)));
        let nv = vars.len();
        let mut axes = Vec::with_capacity(nv + args.len());
        for v in &vars {
            axes.push(self.in_state.axis_for(&v.path, v.kind, v.tag.as_deref())?);
        }
        let arg_axes = match self.arg_axes.len() {
            1 => vec![self.arg_axes[0]; args.len()],
            n if n == args.len() => self.arg_axes.clone(),
            n => {
                return Err(Error::invalid(
                    "vmap",
                    format!(
                        "in_axes has {n} entries for {} tensor arguments",
                        args.len()
                    ),
                ))
            }
        };
        let in_var_axes = axes.clone();
        axes.extend(arg_axes);
        let mut inputs: Vec<Tensor> = vars.iter().map(|v| v.value.to_tensor()).collect();
        inputs.extend(args.iter().cloned());
        let originals: Vec<VarValue> = vars.iter().map(|v| v.value.clone()).collect();

        let f = &mut self.f;
        let result = vmap_with(
            &inputs,
            &axes,
            self.axis_size,
            |inner: &[Tensor]| {
                set_values(m, inner[..nv].iter().cloned().map(VarValue::Tensor));
                let (out_module, ys) = f(m, &inner[nv..])?;
                let after = collect(m);
                if after.len() != nv {
                    return Err(Error::invalid(
                        "vmap",
                        format!(
                            "the function changed the input module's structure ({nv} variables before, {} after)",
                            after.len()
                        ),
                    ));
                }
                let out_vars = collect(&out_module);
                let mut outs: Vec<Tensor> = after.iter().map(|v| v.value.to_tensor()).collect();
                outs.extend(out_vars.iter().map(|v| v.value.to_tensor()));
                let ny = ys.len();
                outs.extend(ys);
                Ok((outs, (out_module, after, out_vars, ny)))
            },
            |(_, after, out_vars, ny): &(O, Vec<Var>, Vec<Var>, usize), batched: &[bool]| {
                let mut out_axes = Vec::with_capacity(batched.len());
                for (i, v) in after.iter().enumerate() {
                    let ax = in_var_axes[i];
                    if ax.is_none() && batched[i] {
                        return Err(shared_but_batched(&v.path, "input"));
                    }
                    out_axes.push(ax);
                }
                for (j, v) in out_vars.iter().enumerate() {
                    let ax = self.out_state.axis_for(&v.path, v.kind, v.tag.as_deref())?;
                    if ax.is_none() && batched[nv + j] {
                        return Err(shared_but_batched(&v.path, "output"));
                    }
                    out_axes.push(ax);
                }
                match self.out_axes.len() {
                    1 => out_axes.extend(std::iter::repeat_n(self.out_axes[0], *ny)),
                    n if n == *ny => out_axes.extend(self.out_axes.iter().copied()),
                    n => {
                        return Err(Error::invalid(
                            "vmap",
                            format!("out_axes has {n} entries for {ny} tensor results"),
                        ))
                    }
                }
                Ok(out_axes)
            },
        );
        let (results, (mut out_module, _, out_vars, _)) = match result {
            Ok(r) => r,
            Err(e) => {
                set_values(m, originals);
                return Err(e);
            }
        };
        let n_state = nv + out_vars.len();
        let mut values: Vec<VarValue> = results[..n_state]
            .iter()
            .cloned()
            .map(VarValue::Tensor)
            .collect();
        let mut ys: Vec<Tensor> = results[n_state..].to_vec();
        if eager {
            // Eager state stays concrete: the new state and the results come from one run.
            let (v, y) = crate::scan::run_together(values, ys.iter())?;
            (values, ys) = (v, y);
        }
        let out_values = values.split_off(nv);
        set_values(m, values);
        set_values(&mut out_module, out_values);
        Ok((out_module, ys))
    }
}

fn shared_but_batched(path: &str, which: &str) -> Error {
    Error::shape(
        format!("{path} (vmap)"),
        format!(
            "this {which} variable has axis None (shared) in StateAxes, but the function gives it \
             per-example values; map it along an axis instead"
        ),
    )
}
