//! `scan` over functions of modules (`nnx.scan`), lowered to one `while` loop through
//! [`Tensor::scan`].
//!
//! Each variable of the module is, per [`ScanAxes`]:
//! - [`ScanAxis::Carry`]: threaded through the steps (an RNG stream whose count advances
//!   each step, a running statistic) and written back at the end;
//! - [`ScanAxis::Scan`]`(axis)`: sliced along `axis`, one row per step (stacked layer
//!   parameters, split RNG keys); the per-step updates are stacked back;
//! - [`ScanAxis::Broadcast`]: the same value at every step; updating it is an error naming
//!   the variable.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::nn::{self, Param, ScanAxes, ScanAxis};
//!
//! #[derive(Module)]
//! struct Stack { w: Param }           // w: [layers, features]
//!
//! let mut m = Stack { w: Param::new(Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [3, 2])?) };
//! // Each step multiplies the carried activation by one layer's weights.
//! let mut fwd = nn::scan(|m: &mut Stack, c: &[Tensor], _x: &[Tensor]| {
//!     Ok((vec![c[0].mul(&m.w.value())?], vec![]))
//! })
//! .state_axes(ScanAxes::new().with(nn::Filter::All, ScanAxis::Scan(0)));
//! let (c, _) = fwd.call(&mut m, &[Tensor::ones(DType::F32, [2])], &[])?;
//! assert_eq!(c[0].eval()?.to_vec::<f32>()?, vec![15.0, 48.0]);
//! # Ok::<(), ferrax::Error>(())
//! ```

use crate::module::{set_values, values};
use crate::{AnyVariable, Filter, Module, VarPath, VarValue};
use ferrax_ir::{Error, Result, ScanOpts, Tensor};
use std::marker::PhantomData;
use std::rc::Rc;

/// How one variable takes part in a [`scan`] (`nnx.Carry`, an axis, or `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanAxis {
    /// Threaded through the steps (`nnx.Carry`).
    Carry,
    /// One row per step along this axis (`0`).
    Scan(usize),
    /// Shared by every step, read-only (`None`).
    Broadcast,
}

/// Rules of (filter, [`ScanAxis`]) for a module's state; the first match wins. Variables
/// that no rule matches are carried (the default of `nnx.scan` for a module argument that is
/// the carry).
#[derive(Clone, Debug, Default)]
pub struct ScanAxes {
    rules: Vec<(Filter, ScanAxis)>,
}

impl ScanAxes {
    /// No rules: everything is carried.
    pub fn new() -> ScanAxes {
        ScanAxes::default()
    }
    /// Adds a rule (after the existing ones).
    pub fn with(mut self, filter: impl Into<Filter>, axis: ScanAxis) -> ScanAxes {
        self.rules.push((filter.into(), axis));
        self
    }
    fn axis_for(&self, path: &str, kind: &str, tag: Option<&str>) -> ScanAxis {
        self.rules
            .iter()
            .find(|(f, _)| f.matches_var(path, kind, tag))
            .map(|(_, a)| *a)
            .unwrap_or(ScanAxis::Carry)
    }
}

/// A module function scanned with [`scan`]; run it with [`ModuleScan::call`].
pub struct ModuleScan<M: ?Sized, F> {
    f: F,
    axes: ScanAxes,
    opts: ScanOpts,
    _m: PhantomData<fn(&mut M)>,
}

/// `nnx.scan` over `f(module, carry, x) -> (carry, y)`: the module's state takes part per
/// [`ScanAxes`] (default: carried), `carry` and `xs` as in [`Tensor::scan`]. See the
/// docs of [`ScanAxis`].
pub fn scan<M, F>(f: F) -> ModuleScan<M, F>
where
    M: Module + ?Sized,
    F: FnMut(&mut M, &[Tensor], &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)>,
{
    ModuleScan {
        f,
        axes: ScanAxes::new(),
        opts: ScanOpts::default(),
        _m: PhantomData,
    }
}

struct Var {
    path: String,
    axis: ScanAxis,
    value: VarValue,
}

/// `perm` moving `axis` to the front (and its inverse).
fn to_front(rank: usize, axis: usize) -> (Vec<usize>, Vec<usize>) {
    let mut perm = vec![axis];
    perm.extend((0..rank).filter(|&d| d != axis));
    let mut inv = vec![0; rank];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    (perm, inv)
}

fn same(a: &Tensor, b: &Tensor) -> bool {
    match (a.parts(), b.parts()) {
        (Ok((ta, va, _)), Ok((tb, vb, _))) => Rc::ptr_eq(ta, tb) && va == vb,
        _ => false,
    }
}

impl<M, F> ModuleScan<M, F>
where
    M: Module + ?Sized,
    F: FnMut(&mut M, &[Tensor], &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)>,
{
    /// How the module's state takes part (default: all carried).
    pub fn state_axes(mut self, axes: ScanAxes) -> Self {
        self.axes = axes;
        self
    }
    /// `length`, `reverse` and `unroll`.
    pub fn opts(mut self, opts: ScanOpts) -> Self {
        self.opts = opts;
        self
    }

    /// Runs the scan: returns the final carry and the stacked `y`s; the module's carried and
    /// scanned state is written back.
    pub fn call(
        &mut self,
        m: &mut M,
        init: &[Tensor],
        xs: &[Tensor],
    ) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
        let mut vars = Vec::new();
        m.visit(&mut VarPath::default(), &mut |p, v: &dyn AnyVariable| {
            let path = p.to_string();
            let axis = self.axes.axis_for(&path, v.kind_name(), v.tag());
            vars.push(Var {
                path,
                axis,
                value: v.var_value().clone(),
            })
        });
        let eager = vars.iter().all(|v| matches!(v.value, VarValue::Array(_)));
        let originals: Vec<VarValue> = vars.iter().map(|v| v.value.clone()).collect();
        let mut carry0: Vec<Tensor> = Vec::new();
        let mut xs0: Vec<Tensor> = Vec::new();
        let mut inverse: Vec<Vec<usize>> = Vec::new();
        for v in &vars {
            let t = v.value.to_tensor();
            match v.axis {
                ScanAxis::Carry => carry0.push(t),
                ScanAxis::Scan(a) => {
                    let rank = t.ty()?.shape.rank();
                    if a >= rank {
                        return Err(Error::invalid(
                            format!("{} (scan)", v.path),
                            format!("scan axis {a} is out of range for a variable of rank {rank}"),
                        ));
                    }
                    let (perm, inv) = to_front(rank, a);
                    xs0.push(if a == 0 { t } else { t.transpose(&perm)? });
                    inverse.push(inv);
                }
                ScanAxis::Broadcast => {}
            }
        }
        let (n_carry, n_scan) = (carry0.len(), xs0.len());
        carry0.extend(init.iter().cloned());
        xs0.extend(xs.iter().cloned());
        let broadcast: Vec<Option<Tensor>> = vars
            .iter()
            .map(|v| (v.axis == ScanAxis::Broadcast).then(|| v.value.to_tensor()))
            .collect();
        let f = &mut self.f;
        let result = Tensor::scan(
            |c, x| {
                let (mut ci, mut xi) = (c[..n_carry].iter(), x[..n_scan].iter());
                let inner: Vec<VarValue> = vars
                    .iter()
                    .zip(&broadcast)
                    .map(|(v, b)| {
                        let t = match v.axis {
                            ScanAxis::Carry => ci.next().cloned(),
                            ScanAxis::Scan(_) => xi.next().cloned(),
                            ScanAxis::Broadcast => b.clone(),
                        };
                        VarValue::Tensor(t.unwrap_or_else(|| Tensor::scalar(0u8)))
                    })
                    .collect();
                set_values(m, inner.iter().cloned());
                let (c_user, y_user) = f(m, &c[n_carry..], &x[n_scan..])?;
                let after = values(m);
                if after.len() != vars.len() {
                    return Err(Error::invalid(
                        "scan",
                        "the function changed the module's structure",
                    ));
                }
                let (mut c_out, mut y_out) = (Vec::new(), Vec::new());
                for ((v, before), now) in vars.iter().zip(&inner).zip(&after) {
                    let now = now.to_tensor();
                    match v.axis {
                        ScanAxis::Carry => c_out.push(now),
                        ScanAxis::Scan(_) => y_out.push(now),
                        ScanAxis::Broadcast => {
                            if !same(&before.to_tensor(), &now) {
                                return Err(Error::invalid(
                                    format!("{} (scan)", v.path),
                                    "this variable is broadcast (read-only) in the scan, but the function \
                                     updated it; carry it or scan over it instead",
                                ));
                            }
                        }
                    }
                }
                c_out.extend(c_user);
                y_out.extend(y_user);
                Ok((c_out, y_out))
            },
            &carry0,
            &xs0,
            self.opts,
        );
        let (carry, ys) = match result {
            Ok(r) => r,
            Err(e) => {
                set_values(m, originals);
                return Err(e);
            }
        };
        // Write back: carried state from the final carry, scanned state re-stacked.
        let mut ci = carry[..n_carry].iter();
        let mut yi = ys[..n_scan].iter().zip(&inverse);
        let mut new_values = Vec::with_capacity(vars.len());
        for (v, orig) in vars.iter().zip(originals) {
            new_values.push(match v.axis {
                ScanAxis::Carry => VarValue::Tensor(
                    ci.next()
                        .cloned()
                        .ok_or_else(|| Error::trace("scan", "carry"))?,
                ),
                ScanAxis::Scan(a) => {
                    let (y, inv) = yi.next().ok_or_else(|| Error::trace("scan", "ys"))?;
                    VarValue::Tensor(if a == 0 { y.clone() } else { y.transpose(inv)? })
                }
                ScanAxis::Broadcast => orig,
            });
        }
        let (carry_user, ys_user) = (carry[n_carry..].to_vec(), ys[n_scan..].to_vec());
        if eager {
            // Eager: the new state and the results come from one run of one program.
            let (state, outs) = run_together(new_values, carry_user.iter().chain(&ys_user))?;
            set_values(m, state);
            let mut outs = outs.into_iter();
            let carry_user = outs.by_ref().take(carry_user.len()).collect();
            return Ok((carry_user, outs.collect()));
        }
        set_values(m, new_values);
        Ok((carry_user, ys_user))
    }
}

/// Evaluates the pending variable values and the `outs` in one program; returns the values
/// (all concrete) and the outs as tensors of the concrete results.
pub(crate) fn run_together<'a>(
    values: Vec<VarValue>,
    outs: impl Iterator<Item = &'a Tensor>,
) -> Result<(Vec<VarValue>, Vec<Tensor>)> {
    let mut pending: Vec<Tensor> = values
        .iter()
        .filter_map(|v| match v {
            VarValue::Tensor(t) => Some(t.clone()),
            VarValue::Array(_) => None,
        })
        .collect();
    let n_pending = pending.len();
    pending.extend(outs.cloned());
    let arrays = ferrax_runtime::eval_many(&pending)?;
    let mut it = arrays.into_iter();
    let values = values
        .into_iter()
        .map(|v| match v {
            VarValue::Tensor(_) => it.next().map(VarValue::Array).unwrap_or(v),
            a => a,
        })
        .collect();
    debug_assert_eq!(it.len(), pending.len() - n_pending);
    Ok((values, it.map(|a| a.to_tensor()).collect()))
}
