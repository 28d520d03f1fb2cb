//! `vmap` over traced tensor functions: [`vmap`] traces the function once on one example's
//! shapes, batches the traced graph ([`crate::batching`]) and inlines the result into the
//! current trace (through [`crate::vmap_with`]), so it works eagerly, inside `jit`, inside
//! regions and inside another `vmap` (nesting).

use crate::{vmap_with, Error, Result, Tensor};

/// A function vectorised with [`vmap`]; call it with [`Vmap::call`].
pub struct Vmap<F> {
    f: F,
    in_axes: Vec<Option<usize>>,
    out_axes: Vec<Option<usize>>,
    axis_size: Option<usize>,
}

/// `jax.vmap(f, in_axes, out_axes)` over a function of tensors.
///
/// `in_axes[i]` is the dimension of argument `i` that is mapped (`Some(axis)`), or `None`
/// when every example shares the argument; `out_axes[j]` is where result `j` gets the
/// mapped dimension. A one-element `in_axes` (or `out_axes`) applies to every argument
/// (result), like JAX's `in_axes=0`. `f` sees one example: mapped arguments without their
/// mapped dimension.
///
/// A result that does not depend on a mapped argument is broadcast to its `out_axes`, or
/// returned as it is when its `out_axes` is `None`; `None` for a result that does depend on
/// a mapped argument is an error. Tensors of enclosing traces (and concrete arrays) that
/// `f` uses are shared by all examples.
///
/// ```
/// use ferrax_ir::{vmap, Tensor};
/// let xs = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
/// let w = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], [3])?;
/// // Per row: dot(x, w); rows are mapped (axis 0), w is shared (None).
/// let mut f = vmap(|a: &[Tensor]| Ok(vec![a[0].mul(&a[1])?.sum(&[0])?]), &[Some(0), None], &[Some(0)]);
/// let y = f.call(&[xs.clone(), w])?;
/// assert_eq!(y[0].shape(), &[2]);
/// // Nesting: map over rows, then over elements.
/// let mut inner = vmap(|a: &[Tensor]| Ok(vec![a[0].mul(&a[0])?]), &[Some(0)], &[Some(0)]);
/// let mut outer = vmap(|a: &[Tensor]| inner.call(a), &[Some(1)], &[Some(1)]);
/// assert_eq!(outer.call(&[xs])?[0].shape(), &[2, 3]);
/// # Ok::<(), ferrax_ir::Error>(())
/// ```
pub fn vmap<F>(f: F, in_axes: &[Option<usize>], out_axes: &[Option<usize>]) -> Vmap<F>
where
    F: FnMut(&[Tensor]) -> Result<Vec<Tensor>>,
{
    Vmap {
        f,
        in_axes: in_axes.to_vec(),
        out_axes: out_axes.to_vec(),
        axis_size: None,
    }
}

fn expand(what: &str, axes: &[Option<usize>], n: usize, of: &str) -> Result<Vec<Option<usize>>> {
    if axes.len() == n {
        return Ok(axes.to_vec());
    }
    if axes.len() == 1 {
        return Ok(vec![axes[0]; n]);
    }
    Err(Error::invalid(
        "vmap",
        format!(
            "{what} has {} entries but the function {of} {n}",
            axes.len()
        ),
    ))
}

impl<F> Vmap<F>
where
    F: FnMut(&[Tensor]) -> Result<Vec<Tensor>>,
{
    /// The size of the mapped dimension (JAX's `axis_size`): required when no argument is
    /// mapped, checked against the arguments otherwise.
    pub fn axis_size(mut self, n: usize) -> Self {
        self.axis_size = Some(n);
        self
    }

    /// Calls the vectorised function on `xs` (traced into the current trace).
    ///
    /// Errors (naming `vmap` and the argument): `in_axes`/`out_axes` of the wrong length,
    /// an axis beyond an argument's rank, mapped sizes that differ between arguments or
    /// from `axis_size`, no mapped argument and no `axis_size`, `out_axes` `None` for a
    /// mapped result; and any error of `f` itself.
    pub fn call(&mut self, xs: &[Tensor]) -> Result<Vec<Tensor>> {
        let in_axes = expand("in_axes", &self.in_axes, xs.len(), "takes")?;
        let f = &mut self.f;
        let out_axes = &self.out_axes;
        let (outs, ()) = vmap_with(
            xs,
            &in_axes,
            self.axis_size,
            |p| Ok((f(p)?, ())),
            |_, batched| expand("out_axes", out_axes, batched.len(), "returns"),
        )?;
        Ok(outs)
    }
}
