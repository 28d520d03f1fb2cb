//! `scan` with `jax.lax.scan` semantics, lowered to one `while` loop.
//!
//! `f(carry, x) -> (carry', y)` runs over the leading axis of every `xs` tensor; the `y`s
//! are stacked along a new leading axis. The body is traced ONCE (so side effects of `f`
//! on traced state happen once, as in JAX), then inlined into the loop body `unroll` times
//! per iteration; the `length % unroll` steps that are left run after the loop.

use crate::trace::build_region;
use crate::{inline, Error, Result, Tensor, TensorType};

/// Options of [`Tensor::scan`] (`length`, `reverse`, `unroll` of `jax.lax.scan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanOpts {
    /// Number of steps; required when there are no `xs`, checked against them otherwise.
    pub length: Option<usize>,
    /// Run from the last element to the first (the `y`s keep their positions).
    pub reverse: bool,
    /// Body copies per loop iteration (>= 1; `usize::MAX` unrolls fully).
    pub unroll: usize,
}

impl Default for ScanOpts {
    fn default() -> Self {
        ScanOpts {
            length: None,
            reverse: false,
            unroll: 1,
        }
    }
}

impl ScanOpts {
    /// Default options with `length` set.
    pub fn length(length: usize) -> ScanOpts {
        ScanOpts {
            length: Some(length),
            ..ScanOpts::default()
        }
    }
    /// With `reverse` set.
    pub fn reverse(mut self, reverse: bool) -> ScanOpts {
        self.reverse = reverse;
        self
    }
    /// With `unroll` set.
    pub fn unroll(mut self, unroll: usize) -> ScanOpts {
        self.unroll = unroll;
        self
    }
}

fn types(ts: &[Tensor]) -> Result<Vec<TensorType>> {
    ts.iter().map(|t| t.ty().cloned()).collect()
}

/// Row `i` (a traced i32 scalar) of `x`, without the leading axis.
fn row(x: &Tensor, i: &Tensor) -> Result<Tensor> {
    let s = x.shape().to_vec();
    let mut starts = vec![i.clone()];
    starts.extend((1..s.len()).map(|_| Tensor::scalar(0i32)));
    let mut sizes = s.clone();
    sizes[0] = 1;
    x.dynamic_slice(&starts, &sizes)?.reshape(s[1..].to_vec())
}

/// `acc` with row `i` replaced by `y`.
fn put_row(acc: &Tensor, y: &Tensor, i: &Tensor) -> Result<Tensor> {
    let mut shape = vec![1];
    shape.extend_from_slice(y.shape());
    let mut starts = vec![i.clone()];
    starts.extend((0..y.shape().len()).map(|_| Tensor::scalar(0i32)));
    acc.dynamic_update_slice(&y.reshape(shape)?, &starts)
}

impl Tensor {
    /// `jax.lax.scan(f, init, xs, length, reverse, unroll)`: returns `(final carry, stacked ys)`.
    ///
    /// `f` gets the carry and one row of each `xs` tensor and returns the new carry (same
    /// types as `init`) and the per-step outputs.
    ///
    /// ```
    /// use ferrax_ir::{Tensor, DType, ScanOpts};
    /// // Cumulative sum: carry the running total, emit it at each step.
    /// let xs = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [4])?;
    /// let (carry, ys) = Tensor::scan(
    ///     |c, x| {
    ///         let s = c[0].add(&x[0])?;
    ///         Ok((vec![s.clone()], vec![s]))
    ///     },
    ///     &[Tensor::scalar(0.0f32)],
    ///     &[xs],
    ///     ScanOpts::default(),
    /// )?;
    /// assert_eq!(ys[0].shape(), &[4]);
    /// assert_eq!(carry[0].shape(), &[] as &[usize]);
    /// # Ok::<(), ferrax_ir::Error>(())
    /// ```
    pub fn scan(
        f: impl FnOnce(&[Tensor], &[Tensor]) -> Result<(Vec<Tensor>, Vec<Tensor>)>,
        init: &[Tensor],
        xs: &[Tensor],
        opts: ScanOpts,
    ) -> Result<(Vec<Tensor>, Vec<Tensor>)> {
        let carry_types = types(init)?;
        let xs_types = types(xs)?;
        let mut length = opts.length;
        for (i, t) in xs_types.iter().enumerate() {
            let Some(&n) = t.shape.0.first() else {
                return Err(Error::shape(
                    "scan",
                    format!("xs[{i}] is a scalar ({t}); scanned inputs need a leading axis"),
                ));
            };
            match length {
                None => length = Some(n),
                Some(l) if l != n => {
                    return Err(Error::shape(
                        "scan",
                        format!(
                        "xs have different lengths: xs[{i}] has leading axis {n}, expected {l}{}",
                        if opts.length.is_some() {
                            " (the given length)"
                        } else {
                            ""
                        }
                    ),
                    ))
                }
                _ => {}
            }
        }
        let length = length.ok_or_else(|| {
            Error::invalid(
                "scan",
                "length is required when there are no xs to scan over",
            )
        })?;
        let nc = init.len();
        let row_types: Vec<TensorType> = xs_types
            .iter()
            .map(|t| TensorType::new(t.dtype, t.shape.0[1..].to_vec()))
            .collect();
        let param_types: Vec<TensorType> = carry_types.iter().chain(&row_types).cloned().collect();
        // Trace the body once.
        let mut y_types: Vec<TensorType> = Vec::new();
        let (body, caps) = build_region(&param_types, |p| {
            let (c, y) = f(&p[..nc], &p[nc..])?;
            let got = types(&c)?;
            if got != carry_types {
                return Err(Error::shape(
                    "scan",
                    format!(
                        "the body's carry output types [{}] differ from the carry input types [{}]",
                        join(&got),
                        join(&carry_types)
                    ),
                ));
            }
            y_types = types(&y)?;
            Ok(c.into_iter().chain(y).collect())
        })?;
        let ny = y_types.len();
        // The loop structure follows jax.lax.scan's implementation exactly (blocks of
        // `unroll` rows indexed per trip, the remainder run after the loop), because XLA's
        // fusion, and so the float results, depend on it.
        let rev = opts.reverse;
        let unroll = opts.unroll.max(1);
        let (mut trips, mut rem) = (length / unroll, length % unroll);
        if unroll != 1 && trips == 1 && rem == 0 {
            (trips, rem) = (0, length);
        }
        let body_step = |carry: &[Tensor], x: &[Tensor]| -> Result<(Vec<Tensor>, Vec<Tensor>)> {
            let mut args: Vec<Tensor> = carry.to_vec();
            args.extend(x.iter().cloned());
            args.extend(caps.iter().cloned());
            let mut outs = inline(&body, &args)?;
            let ys = outs.split_off(nc);
            Ok((outs, ys))
        };
        // `n` steps over a block whose leading axis has `n` rows (static indices).
        let inner =
            |n: usize, carry: &[Tensor], block: &[Tensor]| -> Result<(Vec<Tensor>, Vec<Tensor>)> {
                let mut carry = carry.to_vec();
                let mut per_step: Vec<Vec<Tensor>> = Vec::with_capacity(n);
                for i_ in 0..n {
                    let i = if rev { n - 1 - i_ } else { i_ };
                    let x: Vec<Tensor> = block
                        .iter()
                        .map(|b| static_row(b, i))
                        .collect::<Result<_>>()?;
                    let (c, y) = body_step(&carry, &x)?;
                    carry = c;
                    per_step.push(y);
                }
                if rev {
                    per_step.reverse();
                }
                let ys = (0..ny)
                    .map(|j| {
                        stack(
                            &per_step.iter().map(|y| y[j].clone()).collect::<Vec<_>>(),
                            &y_types[j],
                        )
                    })
                    .collect::<Result<_>>()?;
                Ok((carry, ys))
            };
        let (xs_main, xs_rem): (Vec<Tensor>, Vec<Tensor>) = if unroll != 1 && rem > 0 {
            let cut = if rev { rem } else { trips * unroll };
            let (first, second): (Vec<_>, Vec<_>) = xs
                .iter()
                .map(|x| Ok((lead_slice(x, 0, cut)?, lead_slice(x, cut, length)?)))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .unzip();
            if rev {
                (second, first)
            } else {
                (first, second)
            }
        } else {
            (xs.to_vec(), Vec::new())
        };
        let mut carry: Vec<Tensor> = init.to_vec();
        let mut ys: Vec<Tensor>;
        if unroll == 1 {
            ys = y_types
                .iter()
                .map(|t| Tensor::zeros(t.dtype, prepend(&[length], &t.shape.0)))
                .collect();
        } else if trips > 0 {
            ys = y_types
                .iter()
                .map(|t| Tensor::zeros(t.dtype, prepend(&[trips, unroll], &t.shape.0)))
                .collect();
        } else {
            ys = y_types
                .iter()
                .map(|t| Tensor::zeros(t.dtype, prepend(&[0], &t.shape.0)))
                .collect();
        }
        let xss: Vec<Tensor> = if unroll == 1 || trips == 0 {
            xs_main
        } else {
            xs_main
                .iter()
                .map(|x| x.reshape(prepend(&[trips, unroll], &x.shape()[1..])))
                .collect::<Result<_>>()?
        };
        if trips > 0 {
            let mut loop_init = vec![Tensor::scalar(0i32)];
            loop_init.extend(carry.iter().cloned());
            loop_init.extend(ys.iter().cloned());
            let out = Tensor::while_loop(
                &loop_init,
                |v| v[0].lt(&Tensor::scalar(trips as i32)),
                |v| {
                    let i = if rev {
                        Tensor::scalar(trips as i32 - 1).sub(&v[0])?
                    } else {
                        v[0].clone()
                    };
                    let block: Vec<Tensor> =
                        xss.iter().map(|x| row(x, &i)).collect::<Result<_>>()?;
                    let (c, y) = if unroll == 1 {
                        body_step(&v[1..1 + nc], &block)?
                    } else {
                        inner(unroll, &v[1..1 + nc], &block)?
                    };
                    let mut next = vec![v[0].add(&Tensor::scalar(1i32))?];
                    next.extend(c);
                    for (acc, y) in v[1 + nc..].iter().zip(&y) {
                        next.push(put_row(acc, y, &i)?);
                    }
                    Ok(next)
                },
            )?;
            carry = out[1..1 + nc].to_vec();
            ys = out[1 + nc..].to_vec();
            if unroll != 1 {
                ys = ys
                    .iter()
                    .map(|y| y.reshape(prepend(&[trips * unroll], &y.shape()[2..])))
                    .collect::<Result<_>>()?;
            }
        }
        if rem > 0 {
            let (c, ys_rem) = inner(rem, &carry, &xs_rem)?;
            carry = c;
            ys = ys
                .iter()
                .zip(&ys_rem)
                .map(|(a, b)| {
                    if rev {
                        Tensor::concatenate(&[b.clone(), a.clone()], 0)
                    } else {
                        Tensor::concatenate(&[a.clone(), b.clone()], 0)
                    }
                })
                .collect::<Result<_>>()?;
        }
        let mut state = carry;
        state.extend(ys);
        debug_assert_eq!(state.len(), nc + ny);
        let ys = state.split_off(nc);
        Ok((state, ys))
    }
}

fn prepend(lead: &[usize], rest: &[usize]) -> Vec<usize> {
    lead.iter().chain(rest).copied().collect()
}

/// Row `i` (static) of `x`, without the leading axis.
fn static_row(x: &Tensor, i: usize) -> Result<Tensor> {
    let s = x.shape().to_vec();
    lead_slice(x, i, i + 1)?.reshape(s[1..].to_vec())
}

/// Rows `start..limit` of `x`.
fn lead_slice(x: &Tensor, start: usize, limit: usize) -> Result<Tensor> {
    let s = x.shape().to_vec();
    let mut st = vec![0; s.len()];
    let mut li = s.clone();
    st[0] = start;
    li[0] = limit;
    x.slice(&st, &li, &vec![1; s.len()])
}

/// Stacks per-step results (all of type `t`) along a new leading axis.
fn stack(ys: &[Tensor], t: &TensorType) -> Result<Tensor> {
    if ys.is_empty() {
        return Ok(Tensor::zeros(t.dtype, prepend(&[0], &t.shape.0)));
    }
    let rows: Vec<Tensor> = ys
        .iter()
        .map(|y| y.reshape(prepend(&[1], &t.shape.0)))
        .collect::<Result<_>>()?;
    Tensor::concatenate(&rows, 0)
}

fn join(ts: &[TensorType]) -> String {
    ts.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
