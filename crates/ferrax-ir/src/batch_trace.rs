//! [`vmap_with`]: `vmap` for callers that decide the result axes only after seeing what the
//! function returned and which results depend on mapped inputs (module-level `vmap`, whose
//! output state axes come from the returned module's structure).

use crate::batching::{batch_graph, vmap_graph};
use crate::trace::{apply1, open_trace, Binding};
use crate::{inline, Error, Op, Result, Tensor, TensorType};

/// Traces `f` on one example of `xs` (argument `i` mapped along `in_axes[i]`, or shared
/// when `None`), asks `out_axes(&extra, batched)` for the result axes given which results
/// depend on a mapped input, and inlines the batched program into the current trace.
/// Returns the batched results and the `extra` value `f` returned.
///
/// Errors as [`crate::vmap`]: an axis beyond an argument's rank, mapped sizes that differ
/// (or differ from `axis_size`), nothing mapped and no `axis_size`, a `None` out axis for a
/// mapped result; plus whatever `f` and `out_axes` return.
///
/// ```
/// use ferrax_ir::{vmap_with, Tensor};
/// let xs = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2])?;
/// let (ys, n) = vmap_with(
///     &[xs, Tensor::scalar(1.0f32)],
///     &[Some(0), None],
///     None,
///     |a| Ok((vec![a[0].sum(&[0])?, a[1].clone()], 2usize)),
///     |_, batched| Ok(batched.iter().map(|&b| b.then_some(0)).collect()),
/// )?;
/// assert_eq!((ys[0].shape(), ys[1].shape(), n), (&[2usize][..], &[] as &[usize], 2));
/// # Ok::<(), ferrax_ir::Error>(())
/// ```
pub fn vmap_with<R>(
    xs: &[Tensor],
    in_axes: &[Option<usize>],
    axis_size: Option<usize>,
    f: impl FnOnce(&[Tensor]) -> Result<(Vec<Tensor>, R)>,
    out_axes: impl FnOnce(&R, &[bool]) -> Result<Vec<Option<usize>>>,
) -> Result<(Vec<Tensor>, R)> {
    if in_axes.len() != xs.len() {
        return Err(Error::invalid(
            "vmap",
            format!(
                "in_axes has {} entries for {} arguments",
                in_axes.len(),
                xs.len()
            ),
        ));
    }
    let mut size = axis_size;
    let mut size_from = axis_size.map(|n| format!("axis_size = {n}"));
    let mut inner_types = Vec::with_capacity(xs.len());
    for (i, (x, ax)) in xs.iter().zip(in_axes).enumerate() {
        x.check()?;
        let t = x.ty()?.clone();
        let Some(a) = *ax else {
            inner_types.push(t);
            continue;
        };
        let r = t.shape.rank();
        if a >= r {
            return Err(Error::invalid(
                "vmap",
                format!(
                    "in_axes[{i}] = {a} is out of range for argument {i} of rank {r} (shape {})",
                    t.shape
                ),
            ));
        }
        let n = t.shape.0[a];
        let here = format!("argument {i} has size {n} along axis {a}");
        match size {
            Some(m) if m != n => {
                return Err(Error::shape(
                    "vmap",
                    format!(
                        "inconsistent sizes for the mapped axis: {}, but {here}",
                        size_from.unwrap_or_default()
                    ),
                ))
            }
            Some(_) => {}
            None => {
                size = Some(n);
                size_from = Some(here);
            }
        }
        let mut d = t.shape.0.clone();
        d.remove(a);
        inner_types.push(TensorType::new(t.dtype, d));
    }
    let size = size.ok_or_else(|| {
        Error::invalid(
            "vmap",
            "vmap must have at least one non-None value in in_axes, or an axis_size",
        )
    })?;

    let guard = open_trace();
    let trace = guard.trace().clone();
    let params: Vec<Tensor> = inner_types
        .iter()
        .map(|t| trace.add_parameter(t.clone(), Binding::Arg))
        .collect();
    let (outs, extra) = f(&params)?;
    let mut vals = Vec::with_capacity(outs.len());
    for o in &outs {
        let (tr, v, ty) = o.parts()?;
        if std::rc::Rc::ptr_eq(tr, &trace) {
            vals.push(v);
        } else {
            let c = apply1(Op::Reshape, &[o], std::slice::from_ref(ty))?;
            vals.push(
                c.value()
                    .ok_or_else(|| Error::trace("vmap", "bad result"))?,
            );
        }
    }
    drop(guard);
    let graph = trace.with_graph(|g| g.extract(&vals));
    let ptypes = graph.param_types();
    let mut args: Vec<Tensor> = xs.to_vec();
    let mut axes = in_axes.to_vec();
    for (k, b) in trace.bindings().into_iter().enumerate().skip(xs.len()) {
        let t = match b {
            Binding::Outer(t) => t,
            Binding::Concrete(h) => Tensor::parameter(ptypes[k].clone(), Binding::Concrete(h)),
            Binding::Arg => return Err(Error::trace("vmap", "unexpected argument binding")),
        };
        args.push(t);
        axes.push(None);
    }
    let in_batched: Vec<bool> = axes.iter().map(Option::is_some).collect();
    let (_, batched) = batch_graph(&graph, &in_batched, size)?;
    let out_axes = out_axes(&extra, &batched)?;
    let bg = vmap_graph(&graph, &axes, size, &out_axes)?;
    Ok((inline(&bg, &args)?, extra))
}
