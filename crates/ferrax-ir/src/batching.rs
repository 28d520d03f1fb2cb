//! Batching: the `vmap` transformation of an op graph, with one batching rule per primitive.
//!
//! [`batch_graph`] rewrites a graph written for one example into a graph that processes a
//! batch of `axis_size` examples at once. Each value of the original graph becomes either an
//! *unbatched* value (the same for every example, same type as before) or a *batched* one
//! whose type has an extra leading dimension of size `axis_size` (the batch dimension is
//! always kept at dimension 0 inside the transform; [`vmap_graph`] moves inputs from their
//! `in_axes` and results to their `out_axes`). An op none of whose operands is batched is
//! copied unchanged; otherwise its batching rule (`rule`, one `match` arm per [`Op`])
//! emits the batched computation, following JAX's rules in `jax/_src/lax`:
//!
//! * elementwise ops, `select`, `clamp`, `convert`, `bitcast_convert`: unbatched operands
//!   are broadcast; scalar predicates and bounds stay scalar when unbatched;
//! * `broadcast_in_dim`, `reshape`, `transpose`, `slice`, `concatenate`, `pad`, `sort`,
//!   `reduce`, `reduce_window`: attributes shift by one dimension; `pad` with a batched
//!   padding value pads with zero and selects the per-example value through a mask;
//! * `dynamic_slice` / `dynamic_update_slice` with batched start indices become `gather` /
//!   `scatter` with batching dimensions (indices clamped first, as the originals clamp);
//! * `gather` / `scatter` use operand/index batching dimensions or an extra window dim;
//! * `dot_general` adds a batch dimension (or a free one when only one side is batched);
//! * `convolution` folds the batch into the feature or batch dimensions and group counts;
//! * `while` with a batched predicate runs while any example is still running and keeps
//!   finished examples unchanged through `select`; `case` with a batched index runs every
//!   branch and selects per example (out-of-range indices pick the last branch);
//! * `parameter`, `constant`, `iota` are never batched.
//!
//! Not supported, as in JAX: `reduce` / `reduce_window` whose *init values* are batched
//! (an [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) error).
//!
//! ```
//! use ferrax_ir::{batching, interp, BinaryOp, DType, Graph, Literal, Op, TensorType, Value};
//! // f(x, y) = x + y on f32[2]
//! let t = TensorType::new(DType::F32, [2]);
//! let mut g = Graph::new();
//! let x = g.add_parameter(t.clone());
//! let y = g.add_parameter(t.clone());
//! let s = g.add_node(Op::Binary(BinaryOp::Add), &[x, y], vec![t], None);
//! g.set_outputs(vec![Value::first(s)]);
//! // Map x over axis 1 (a [2, 3] input), broadcast y, results stacked on axis 0.
//! let v = batching::vmap_graph(&g, &[Some(1), None], 3, &[Some(0)])?;
//! let xs = Literal::from_vec(vec![0f32, 1., 2., 10., 11., 12.], [2, 3])?;
//! let ys = Literal::from_vec(vec![100f32, 200.], [2])?;
//! let out = interp::eval(&v, &[xs, ys])?;
//! assert_eq!(out[0].shape().dims(), &[3, 2]);
//! assert_eq!(out[0].to_vec::<f32>()?, vec![100., 210., 101., 211., 102., 212.]);
//! # Ok::<(), ferrax_ir::Error>(())
//! ```

use crate::{
    rules, BinaryOp, CompareDir, DType, DotDims, Error, GatherDims, Graph, Literal, Op, Region,
    Result, ScatterDims, Shape, TensorType, Value,
};
use std::collections::HashMap;
use std::sync::Arc;

/// A value of the batched graph and whether it carries the batch dimension (at dim 0).
#[derive(Clone, Copy, Debug)]
struct BVal {
    v: Value,
    batched: bool,
}

/// Emits nodes into a graph under construction, checking each through its shape rule.
struct Builder {
    g: Graph,
    n: usize,
    path: Option<Arc<str>>,
}

impl Builder {
    fn new(n: usize) -> Builder {
        Builder {
            g: Graph::new(),
            n,
            path: None,
        }
    }

    fn ty(&self, v: Value) -> TensorType {
        self.g.value_type(v).clone()
    }

    /// The batched version of an unbatched type.
    fn bt(&self, t: &TensorType) -> TensorType {
        let mut d = vec![self.n];
        d.extend_from_slice(&t.shape.0);
        TensorType::new(t.dtype, d)
    }

    fn add(&mut self, op: Op, ops: &[Value], declared: &[TensorType]) -> Result<Vec<Value>> {
        let types: Vec<TensorType> = ops.iter().map(|v| self.ty(*v)).collect();
        let outs = rules::infer(&op, &types, declared).map_err(|e| {
            Error::new(
                e.kind.clone(),
                "vmap",
                format!("batching rule of {} failed: {}", e.op, e.message),
            )
        })?;
        let k = outs.len();
        let id = self.g.add_node(op, ops, outs, self.path.clone());
        Ok((0..k)
            .map(|i| Value {
                node: id,
                output: i as u32,
            })
            .collect())
    }

    fn add1(&mut self, op: Op, ops: &[Value], declared: &[TensorType]) -> Result<Value> {
        let name = op.name();
        self.add(op, ops, declared)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid("vmap", format!("{name} produced no result")))
    }

    fn konst(&mut self, lit: Literal) -> Result<Value> {
        self.add1(Op::Constant(lit), &[], &[])
    }

    fn broadcast_in_dim(&mut self, v: Value, shape: Vec<usize>, dims: Vec<usize>) -> Result<Value> {
        let t = self.ty(v);
        if t.shape.0 == shape && dims.iter().enumerate().all(|(i, d)| i == *d) {
            return Ok(v);
        }
        self.add1(
            Op::BroadcastInDim { dims },
            &[v],
            &[TensorType::new(t.dtype, shape)],
        )
    }

    fn reshape(&mut self, v: Value, shape: Vec<usize>) -> Result<Value> {
        let t = self.ty(v);
        if t.shape.0 == shape {
            return Ok(v);
        }
        self.add1(Op::Reshape, &[v], &[TensorType::new(t.dtype, shape)])
    }

    fn transpose(&mut self, v: Value, perm: Vec<usize>) -> Result<Value> {
        if perm.iter().enumerate().all(|(i, p)| i == *p) {
            return Ok(v);
        }
        self.add1(Op::Transpose { perm }, &[v], &[])
    }

    /// Moves dimension `from` to position `to`.
    fn moveaxis(&mut self, v: Value, from: usize, to: usize) -> Result<Value> {
        let r = self.ty(v).shape.rank();
        let mut perm: Vec<usize> = (0..r).filter(|&i| i != from).collect();
        perm.insert(to.min(perm.len()), from);
        self.transpose(v, perm)
    }

    /// The value with the batch dimension at 0 (an unbatched value is broadcast).
    fn bcast(&mut self, x: BVal) -> Result<Value> {
        if x.batched {
            return Ok(x.v);
        }
        let t = self.ty(x.v);
        let r = t.shape.rank();
        let shape = self.bt(&t).shape.0;
        self.broadcast_in_dim(x.v, shape, (1..=r).collect())
    }

    /// For operands that may be scalars (select's predicate, clamp's bounds): an unbatched
    /// scalar stays as it is; anything else becomes batched of the full (unbatched) shape.
    fn scalar_or_full(&mut self, x: BVal, full: &Shape) -> Result<Value> {
        let t = self.ty(x.v);
        if !x.batched {
            if t.shape.rank() == 0 {
                return Ok(x.v);
            }
            return self.bcast(x);
        }
        if t.shape.rank() == 1 && full.rank() > 0 {
            let mut shape = vec![self.n];
            shape.extend_from_slice(&full.0);
            return self.broadcast_in_dim(x.v, shape, vec![0]);
        }
        Ok(x.v)
    }

    /// JAX's `_reshape_axis_into`: moves dimension `src` next to (before) dimension `dst`
    /// (numbered after `src` is removed) and merges the two.
    fn axis_into(&mut self, src: usize, dst: usize, v: Value) -> Result<Value> {
        let s = self.ty(v).shape.0;
        let mut perm: Vec<usize> = (0..s.len()).filter(|&i| i != src).collect();
        perm.insert(dst, src);
        let mut shape: Vec<usize> = s
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != src)
            .map(|(_, d)| *d)
            .collect();
        shape[dst] *= s[src];
        let t = self.transpose(v, perm)?;
        self.reshape(t, shape)
    }

    /// JAX's `_reshape_axis_out_of`: splits dimension `src` into `(size1, rest)`.
    fn axis_out_of(&mut self, src: usize, size1: usize, v: Value) -> Result<Value> {
        let mut s = self.ty(v).shape.0;
        if size1 == 0 || !s[src].is_multiple_of(size1) {
            return Err(Error::invalid(
                "vmap",
                format!("cannot split dimension of size {} by {size1}", s[src]),
            ));
        }
        let rest = s[src] / size1;
        s.splice(src..=src, [size1, rest]);
        self.reshape(v, s)
    }

    /// An integer scalar constant.
    fn int(&mut self, dtype: DType, v: i64) -> Result<Value> {
        self.konst(Literal::scalar_f64(dtype, v as f64))
    }

    fn finish(mut self, outs: Vec<Value>) -> Graph {
        self.g.set_outputs(outs);
        self.g.compact()
    }
}

/// Rewrites `g` to process a batch of `axis_size` examples: parameter `i` takes a batch
/// (leading dimension `axis_size`) when `in_batched[i]`, and is shared by all examples
/// otherwise. Returns the batched graph and, for each result, whether it is batched (then
/// its leading dimension is the batch); an unbatched result is the same for every example
/// and keeps its original type.
///
/// ```
/// use ferrax_ir::{batching, DType, Graph, Op, TensorType, UnaryOp, Value};
/// let t = TensorType::new(DType::F32, [4]);
/// let mut g = Graph::new();
/// let x = g.add_parameter(t.clone());
/// let y = g.add_parameter(t.clone());
/// let e = g.add_node(Op::Unary(UnaryOp::Exp), &[x], vec![t.clone()], None);
/// let n = g.add_node(Op::Unary(UnaryOp::Neg), &[y], vec![t], None);
/// g.set_outputs(vec![Value::first(e), Value::first(n)]);
/// let (b, batched) = batching::batch_graph(&g, &[true, false], 5)?;
/// assert_eq!(batched, vec![true, false]);
/// assert_eq!(b.param_types()[0].shape.dims(), &[5, 4]);
/// assert_eq!(b.output_types()[1].shape.dims(), &[4]);
/// # Ok::<(), ferrax_ir::Error>(())
/// ```
pub fn batch_graph(g: &Graph, in_batched: &[bool], axis_size: usize) -> Result<(Graph, Vec<bool>)> {
    let types = g.param_types();
    if in_batched.len() != types.len() {
        return Err(Error::invalid(
            "vmap",
            format!(
                "the graph takes {} parameters but {} batching flags were given",
                types.len(),
                in_batched.len()
            ),
        ));
    }
    let mut b = Builder::new(axis_size);
    let args = params(&mut b, &types, in_batched);
    let outs = batch_into(&mut b, g, &args)?;
    let flags = outs.iter().map(|o| o.batched).collect();
    Ok((b.finish(outs.iter().map(|o| o.v).collect()), flags))
}

/// `jax.vmap` of a graph: parameter `i` is mapped over its dimension `in_axes[i]` (its
/// type in the result has an extra dimension of size `axis_size` there), or shared by all
/// examples when `None`; result `j` gets the batch dimension at `out_axes[j]`. A result
/// that does not depend on any mapped input is broadcast to `out_axes[j]`, or left as it
/// is when `out_axes[j]` is `None` (as JAX does); `None` for a result that does depend on
/// a mapped input is an error.
///
/// Errors name `vmap` and the offending argument: wrong lengths of `in_axes`/`out_axes`, an
/// axis beyond the rank, an unmapped result for a batched output.
pub fn vmap_graph(
    g: &Graph,
    in_axes: &[Option<usize>],
    axis_size: usize,
    out_axes: &[Option<usize>],
) -> Result<Graph> {
    let types = g.param_types();
    if in_axes.len() != types.len() {
        return Err(Error::invalid(
            "vmap",
            format!(
                "in_axes has {} entries but the function takes {} arguments",
                in_axes.len(),
                types.len()
            ),
        ));
    }
    if out_axes.len() != g.outputs().len() {
        return Err(Error::invalid(
            "vmap",
            format!(
                "out_axes has {} entries but the function returns {} results",
                out_axes.len(),
                g.outputs().len()
            ),
        ));
    }
    let mut b = Builder::new(axis_size);
    let mut args = Vec::with_capacity(types.len());
    for (i, (t, ax)) in types.iter().zip(in_axes).enumerate() {
        match ax {
            None => args.push(BVal {
                v: b.g.add_parameter(t.clone()),
                batched: false,
            }),
            Some(a) => {
                let r = t.shape.rank();
                if *a > r {
                    return Err(Error::invalid(
                        "vmap",
                        format!(
                            "in_axes[{i}] = {a} is out of range for argument {i} \
                             (mapped rank {})",
                            r + 1
                        ),
                    ));
                }
                let mut d = t.shape.0.clone();
                d.insert(*a, axis_size);
                let p = b.g.add_parameter(TensorType::new(t.dtype, d));
                let v = b.moveaxis(p, *a, 0)?;
                args.push(BVal { v, batched: true });
            }
        }
    }
    let outs = batch_into(&mut b, g, &args)?;
    let mut res = Vec::with_capacity(outs.len());
    for (j, (o, ax)) in outs.iter().zip(out_axes).enumerate() {
        match ax {
            None if o.batched => {
                return Err(Error::invalid(
                    "vmap",
                    format!(
                        "out_axes[{j}] is None but result {j} depends on a mapped input \
                         (vmap has mapped output but out_axes is None)"
                    ),
                ))
            }
            None => res.push(o.v),
            Some(k) => {
                let t = b.ty(o.v);
                let r = if o.batched {
                    t.shape.rank() - 1
                } else {
                    t.shape.rank()
                };
                if *k > r {
                    return Err(Error::invalid(
                        "vmap",
                        format!(
                            "out_axes[{j}] = {k} is out of range for result {j} of rank {r} \
                             (mapped rank {})",
                            r + 1
                        ),
                    ));
                }
                let v = b.bcast(*o)?;
                res.push(b.moveaxis(v, 0, *k)?);
            }
        }
    }
    Ok(b.finish(res))
}

fn params(b: &mut Builder, types: &[TensorType], flags: &[bool]) -> Vec<BVal> {
    types
        .iter()
        .zip(flags)
        .map(|(t, &f)| {
            let ty = if f { b.bt(t) } else { t.clone() };
            BVal {
                v: b.g.add_parameter(ty),
                batched: f,
            }
        })
        .collect()
}

/// Emits the batched version of `g` into `b`, with `args` for its parameters.
fn batch_into(b: &mut Builder, g: &Graph, args: &[BVal]) -> Result<Vec<BVal>> {
    if args.len() != g.params().len() {
        return Err(Error::invalid(
            "vmap",
            format!(
                "graph takes {} parameters, got {}",
                g.params().len(),
                args.len()
            ),
        ));
    }
    let mut env: HashMap<Value, BVal> = HashMap::new();
    for (p, a) in g.params().iter().zip(args) {
        env.insert(Value::first(*p), *a);
    }
    let saved = b.path.clone();
    for id in g.topo_order() {
        let node = g.node(id);
        if matches!(node.op, Op::Parameter { .. }) {
            continue;
        }
        let ops: Vec<BVal> = g
            .operands(id)
            .iter()
            .map(|v| {
                env.get(v)
                    .copied()
                    .ok_or_else(|| Error::invalid("vmap", "dangling operand"))
            })
            .collect::<Result<_>>()?;
        b.path = node.path.clone().or_else(|| saved.clone());
        let outs = if ops.iter().any(|o| o.batched) {
            rule(b, &node.op, &node.outputs, &ops)?
        } else {
            let vals: Vec<Value> = ops.iter().map(|o| o.v).collect();
            b.add(node.op.clone(), &vals, &node.outputs)?
                .into_iter()
                .map(|v| BVal { v, batched: false })
                .collect()
        };
        if outs.len() != node.outputs.len() {
            return Err(Error::invalid(
                "vmap",
                format!(
                    "batching rule of {} gave the wrong result count",
                    node.op.name()
                ),
            ));
        }
        for (i, o) in outs.into_iter().enumerate() {
            env.insert(
                Value {
                    node: id,
                    output: i as u32,
                },
                o,
            );
        }
    }
    b.path = saved;
    g.outputs()
        .iter()
        .map(|v| {
            env.get(v)
                .copied()
                .ok_or_else(|| Error::invalid("vmap", "dangling output"))
        })
        .collect()
}

fn batched(v: Value) -> BVal {
    BVal { v, batched: true }
}

fn all_batched(vs: Vec<Value>) -> Vec<BVal> {
    vs.into_iter().map(batched).collect()
}

fn shift(dims: &[usize]) -> Vec<usize> {
    dims.iter().map(|d| d + 1).collect()
}

fn with0(dims: &[usize]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(shift(dims));
    v
}

/// Builds a region graph over parameters of `types` (batched where `flags`).
fn region(
    n: usize,
    types: &[TensorType],
    flags: &[bool],
    f: impl FnOnce(&mut Builder, &[BVal]) -> Result<Vec<Value>>,
) -> Result<Graph> {
    let mut rb = Builder::new(n);
    let ps = params(&mut rb, types, flags);
    let outs = f(&mut rb, &ps)?;
    Ok(rb.finish(outs))
}

/// `(a, b) -> op(a, b)` on scalars of `dtype`.
fn binary_region(dtype: DType, op: BinaryOp) -> Result<Region> {
    let s = TensorType::scalar(dtype);
    let g = region(0, &[s.clone(), s], &[false, false], |rb, p| {
        rb.add1(Op::Binary(op), &[p[0].v, p[1].v], &[])
            .map(|v| vec![v])
    })?;
    Ok(Arc::new(g))
}

/// `(current, update) -> update` on scalars of `dtype` (dynamic_update_slice as a scatter).
fn replace_region(dtype: DType) -> Result<Region> {
    let s = TensorType::scalar(dtype);
    let g = region(0, &[s.clone(), s], &[false, false], |_, p| Ok(vec![p[1].v]))?;
    Ok(Arc::new(g))
}

/// Start indices (some batched) as one `[n, r]` i32 index array, each start first clamped
/// into `[0, dims[i] - sizes[i]]` in its own dtype (as dynamic_slice clamps).
fn index_array(b: &mut Builder, starts: &[BVal], dims: &[usize], sizes: &[usize]) -> Result<Value> {
    let n = b.n;
    let mut cols = Vec::with_capacity(starts.len());
    for (i, s) in starts.iter().enumerate() {
        let dt = b.ty(s.v).dtype;
        let lo = b.int(dt, 0)?;
        let hi = b.int(dt, dims[i].saturating_sub(sizes[i]) as i64)?;
        let c = b.add1(Op::Clamp, &[lo, s.v, hi], &[])?;
        let c = if dt == DType::I32 {
            c
        } else {
            let t = b.ty(c);
            b.add1(Op::Convert, &[c], &[TensorType::new(DType::I32, t.shape)])?
        };
        let c = b.bcast(BVal {
            v: c,
            batched: s.batched,
        })?;
        cols.push(b.reshape(c, vec![n, 1])?);
    }
    b.add1(Op::Concatenate { dim: 1 }, &cols, &[])
}

/// The batching rule of `op` (whose unbatched result types are `outs`) for operands `ops`,
/// at least one of which is batched. Batched operands and results have the batch at dim 0.
fn rule(b: &mut Builder, op: &Op, outs: &[TensorType], ops: &[BVal]) -> Result<Vec<BVal>> {
    let n = b.n;
    let bouts: Vec<TensorType> = outs.iter().map(|t| b.bt(t)).collect();
    let one = |b: &mut Builder, op: Op, vals: &[Value], decl: &[TensorType]| -> Result<Vec<BVal>> {
        b.add1(op, vals, decl).map(|v| vec![batched(v)])
    };
    match op {
        Op::Parameter { .. } | Op::Constant(_) | Op::Iota { .. } => Err(Error::invalid(
            "vmap",
            format!("{} has no operands to batch", op.name()),
        )),
        Op::Unary(_) | Op::Convert | Op::BitcastConvert | Op::Reshape => {
            one(b, op.clone(), &[ops[0].v], &bouts)
        }
        Op::Binary(_) | Op::Compare(_) | Op::Concatenate { .. } | Op::Sort { .. } => {
            let vals: Vec<Value> = ops.iter().map(|o| b.bcast(*o)).collect::<Result<_>>()?;
            let op2 = match op {
                Op::Concatenate { dim } => Op::Concatenate { dim: dim + 1 },
                Op::Sort {
                    dim,
                    stable,
                    comparator,
                } => Op::Sort {
                    dim: dim + 1,
                    stable: *stable,
                    comparator: comparator.clone(),
                },
                o => o.clone(),
            };
            b.add(op2, &vals, &bouts).map(all_batched)
        }
        Op::Select => {
            let full = outs[0].shape.clone();
            let p = b.scalar_or_full(ops[0], &full)?;
            let t = b.bcast(ops[1])?;
            let f = b.bcast(ops[2])?;
            one(b, Op::Select, &[p, t, f], &bouts)
        }
        Op::Clamp => {
            let full = outs[0].shape.clone();
            let lo = b.scalar_or_full(ops[0], &full)?;
            let x = b.bcast(ops[1])?;
            let hi = b.scalar_or_full(ops[2], &full)?;
            one(b, Op::Clamp, &[lo, x, hi], &bouts)
        }
        Op::BroadcastInDim { dims } => one(
            b,
            Op::BroadcastInDim { dims: with0(dims) },
            &[ops[0].v],
            &bouts,
        ),
        Op::Transpose { perm } => one(b, Op::Transpose { perm: with0(perm) }, &[ops[0].v], &[]),
        Op::Slice {
            start,
            limit,
            strides,
        } => {
            let mut s = vec![0];
            s.extend(start);
            let mut l = vec![n];
            l.extend(limit);
            let mut st = vec![1];
            st.extend(strides);
            one(
                b,
                Op::Slice {
                    start: s,
                    limit: l,
                    strides: st,
                },
                &[ops[0].v],
                &[],
            )
        }
        Op::DynamicSlice { sizes } => dynamic_slice(b, sizes, ops),
        Op::DynamicUpdateSlice => dynamic_update_slice(b, ops),
        Op::Pad {
            low,
            high,
            interior,
        } => pad(b, low, high, interior, ops),
        Op::Gather(gd) => gather(b, gd, ops),
        Op::Scatter { dims, update } => scatter(b, dims, update, ops),
        Op::DotGeneral(d) => dot_general(b, d, &outs[0], ops),
        Op::Reduce { dims, body } => {
            let vals = reduce_operands(b, "reduce", ops)?;
            b.add(
                Op::Reduce {
                    dims: shift(dims),
                    body: body.clone(),
                },
                &vals,
                &[],
            )
            .map(all_batched)
        }
        Op::ReduceWindow { window, body } => {
            let vals = reduce_operands(b, "reduce_window", ops)?;
            let mut w = window.clone();
            w.window_dimensions.insert(0, 1);
            w.window_strides.insert(0, 1);
            w.base_dilations.insert(0, 1);
            w.window_dilations.insert(0, 1);
            w.padding.insert(0, (0, 0));
            b.add(
                Op::ReduceWindow {
                    window: w,
                    body: body.clone(),
                },
                &vals,
                &[],
            )
            .map(all_batched)
        }
        Op::Convolution(c) => convolution(b, c, &outs[0], ops),
        Op::While { cond, body } => while_loop(b, cond, body, outs, ops),
        Op::Case { branches } => case(b, branches, outs, ops),
    }
}

/// The operands of a (windowed) reduction: the inputs batched (broadcast where they are
/// not), the init values as they are (a batched init is refused).
fn reduce_operands(b: &mut Builder, op: &str, ops: &[BVal]) -> Result<Vec<Value>> {
    let k = ops.len() / 2;
    reject_batched_inits(op, &ops[k..])?;
    let mut vals: Vec<Value> = ops[..k]
        .iter()
        .map(|o| b.bcast(*o))
        .collect::<Result<_>>()?;
    vals.extend(ops[k..].iter().map(|o| o.v));
    Ok(vals)
}

fn reject_batched_inits(op: &str, inits: &[BVal]) -> Result<()> {
    if inits.iter().any(|i| i.batched) {
        return Err(Error::unsupported(
            "vmap",
            format!("{op} with a batched init value (depending on a mapped input) is not supported, as in JAX"),
        ));
    }
    Ok(())
}

fn dynamic_slice(b: &mut Builder, sizes: &[usize], ops: &[BVal]) -> Result<Vec<BVal>> {
    let n = b.n;
    let x = ops[0];
    let starts = &ops[1..];
    let xt = b.ty(x.v);
    let xdims: Vec<usize> = if x.batched {
        xt.shape.0[1..].to_vec()
    } else {
        xt.shape.0.clone()
    };
    let r = xdims.len();
    if !starts.iter().any(|s| s.batched) {
        // Only the operand is batched: slice the whole batch.
        let dt = starts
            .first()
            .map(|s| b.ty(s.v).dtype)
            .unwrap_or(DType::I32);
        let zero = b.int(dt, 0)?;
        let mut vals = vec![x.v, zero];
        vals.extend(starts.iter().map(|s| s.v));
        let mut sz = vec![n];
        sz.extend_from_slice(sizes);
        return b
            .add1(Op::DynamicSlice { sizes: sz }, &vals, &[])
            .map(|v| vec![batched(v)]);
    }
    let idx = index_array(b, starts, &xdims, sizes)?;
    let gd = if x.batched {
        // A batching dim's slice size is 1 (0 for an empty batch).
        let mut ss = vec![n.min(1)];
        ss.extend_from_slice(sizes);
        GatherDims {
            offset_dims: (1..=r).collect(),
            collapsed_slice_dims: vec![],
            operand_batching_dims: vec![0],
            start_indices_batching_dims: vec![0],
            start_index_map: (1..=r).collect(),
            index_vector_dim: 1,
            slice_sizes: ss,
            indices_are_sorted: false,
        }
    } else {
        GatherDims {
            offset_dims: (1..=r).collect(),
            start_index_map: (0..r).collect(),
            index_vector_dim: 1,
            slice_sizes: sizes.to_vec(),
            ..Default::default()
        }
    };
    b.add1(Op::Gather(gd), &[x.v, idx], &[])
        .map(|v| vec![batched(v)])
}

fn dynamic_update_slice(b: &mut Builder, ops: &[BVal]) -> Result<Vec<BVal>> {
    let x = b.bcast(ops[0])?;
    let u = b.bcast(ops[1])?;
    let starts = &ops[2..];
    let xt = b.ty(x);
    if !starts.iter().any(|s| s.batched) {
        let dt = starts
            .first()
            .map(|s| b.ty(s.v).dtype)
            .unwrap_or(DType::I32);
        let zero = b.int(dt, 0)?;
        let mut vals = vec![x, u, zero];
        vals.extend(starts.iter().map(|s| s.v));
        return b
            .add1(Op::DynamicUpdateSlice, &vals, &[])
            .map(|v| vec![batched(v)]);
    }
    let xdims = xt.shape.0[1..].to_vec();
    let udims = b.ty(u).shape.0[1..].to_vec();
    let r = xdims.len();
    let idx = index_array(b, starts, &xdims, &udims)?;
    let sd = ScatterDims {
        update_window_dims: (1..=r).collect(),
        inserted_window_dims: vec![],
        input_batching_dims: vec![0],
        scatter_indices_batching_dims: vec![0],
        scatter_dims_to_operand_dims: (1..=r).collect(),
        index_vector_dim: 1,
        indices_are_sorted: true,
        unique_indices: true,
    };
    let update = replace_region(xt.dtype)?;
    b.add1(Op::Scatter { dims: sd, update }, &[x, idx, u], &[])
        .map(|v| vec![batched(v)])
}

fn pad(
    b: &mut Builder,
    low: &[i64],
    high: &[i64],
    interior: &[usize],
    ops: &[BVal],
) -> Result<Vec<BVal>> {
    let mut lo = vec![0];
    lo.extend_from_slice(low);
    let mut hi = vec![0];
    hi.extend_from_slice(high);
    let mut inn = vec![0];
    inn.extend_from_slice(interior);
    let (x, pv) = (ops[0], ops[1]);
    let padb = Op::Pad {
        low: lo,
        high: hi,
        interior: inn,
    };
    if !pv.batched {
        return b.add1(padb, &[x.v, pv.v], &[]).map(|v| vec![batched(v)]);
    }
    // A batched padding value: pad with zero, then choose per example through a mask.
    let xv = b.bcast(x)?;
    let xt = b.ty(xv);
    let zero = b.konst(Literal::zeros(TensorType::scalar(xt.dtype)))?;
    let padded = b.add1(padb, &[xv, zero], &[])?;
    let pshape = b.ty(padded).shape.0;
    let t = b.konst(Literal::scalar(true))?;
    let ones = b.broadcast_in_dim(t, xt.shape.0[1..].to_vec(), vec![])?;
    let f = b.konst(Literal::scalar(false))?;
    let mask = b.add1(
        Op::Pad {
            low: low.to_vec(),
            high: high.to_vec(),
            interior: interior.to_vec(),
        },
        &[ones, f],
        &[],
    )?;
    let r = pshape.len() - 1;
    let mask = b.broadcast_in_dim(mask, pshape.clone(), (1..=r).collect())?;
    let pvb = b.broadcast_in_dim(pv.v, pshape, vec![0])?;
    b.add1(Op::Select, &[mask, padded, pvb], &[])
        .map(|v| vec![batched(v)])
}

fn gather(b: &mut Builder, gd: &GatherDims, ops: &[BVal]) -> Result<Vec<BVal>> {
    let (x, idx) = (ops[0], ops[1]);
    let g2 = match (x.batched, idx.batched) {
        (true, false) => {
            let mut ss = vec![b.n];
            ss.extend_from_slice(&gd.slice_sizes);
            GatherDims {
                offset_dims: with0(&gd.offset_dims),
                collapsed_slice_dims: shift(&gd.collapsed_slice_dims),
                operand_batching_dims: shift(&gd.operand_batching_dims),
                start_indices_batching_dims: gd.start_indices_batching_dims.clone(),
                start_index_map: shift(&gd.start_index_map),
                index_vector_dim: gd.index_vector_dim,
                slice_sizes: ss,
                indices_are_sorted: gd.indices_are_sorted,
            }
        }
        (false, true) => GatherDims {
            offset_dims: shift(&gd.offset_dims),
            collapsed_slice_dims: gd.collapsed_slice_dims.clone(),
            operand_batching_dims: gd.operand_batching_dims.clone(),
            start_indices_batching_dims: shift(&gd.start_indices_batching_dims),
            start_index_map: gd.start_index_map.clone(),
            index_vector_dim: gd.index_vector_dim + 1,
            slice_sizes: gd.slice_sizes.clone(),
            indices_are_sorted: gd.indices_are_sorted,
        },
        _ => {
            let mut ss = vec![b.n.min(1)];
            ss.extend_from_slice(&gd.slice_sizes);
            GatherDims {
                offset_dims: shift(&gd.offset_dims),
                collapsed_slice_dims: shift(&gd.collapsed_slice_dims),
                operand_batching_dims: with0(&gd.operand_batching_dims),
                start_indices_batching_dims: with0(&gd.start_indices_batching_dims),
                start_index_map: shift(&gd.start_index_map),
                index_vector_dim: gd.index_vector_dim + 1,
                slice_sizes: ss,
                indices_are_sorted: gd.indices_are_sorted,
            }
        }
    };
    b.add1(Op::Gather(g2), &[x.v, idx.v], &[])
        .map(|v| vec![batched(v)])
}

fn scatter(b: &mut Builder, sd: &ScatterDims, update: &Region, ops: &[BVal]) -> Result<Vec<BVal>> {
    let x = b.bcast(ops[0])?;
    let u = b.bcast(ops[2])?;
    let idx = ops[1];
    let s2 = if idx.batched {
        ScatterDims {
            update_window_dims: shift(&sd.update_window_dims),
            inserted_window_dims: shift(&sd.inserted_window_dims),
            input_batching_dims: with0(&sd.input_batching_dims),
            scatter_indices_batching_dims: with0(&sd.scatter_indices_batching_dims),
            scatter_dims_to_operand_dims: shift(&sd.scatter_dims_to_operand_dims),
            index_vector_dim: sd.index_vector_dim + 1,
            indices_are_sorted: sd.indices_are_sorted,
            unique_indices: sd.unique_indices,
        }
    } else {
        // The batch is one more window dimension (leading in both operand and updates).
        ScatterDims {
            update_window_dims: with0(&sd.update_window_dims),
            inserted_window_dims: shift(&sd.inserted_window_dims),
            input_batching_dims: shift(&sd.input_batching_dims),
            scatter_indices_batching_dims: sd.scatter_indices_batching_dims.clone(),
            scatter_dims_to_operand_dims: shift(&sd.scatter_dims_to_operand_dims),
            index_vector_dim: sd.index_vector_dim,
            indices_are_sorted: sd.indices_are_sorted,
            unique_indices: sd.unique_indices,
        }
    };
    b.add1(
        Op::Scatter {
            dims: s2,
            update: update.clone(),
        },
        &[x, idx.v, u],
        &[],
    )
    .map(|v| vec![batched(v)])
}

fn dot_general(b: &mut Builder, d: &DotDims, out: &TensorType, ops: &[BVal]) -> Result<Vec<BVal>> {
    let (l, r) = (ops[0], ops[1]);
    let (d2, bdim) = match (l.batched, r.batched) {
        (true, true) => (
            DotDims {
                lhs_batch: with0(&d.lhs_batch),
                rhs_batch: with0(&d.rhs_batch),
                lhs_contract: shift(&d.lhs_contract),
                rhs_contract: shift(&d.rhs_contract),
            },
            0,
        ),
        (true, false) => (
            DotDims {
                lhs_batch: shift(&d.lhs_batch),
                rhs_batch: d.rhs_batch.clone(),
                lhs_contract: shift(&d.lhs_contract),
                rhs_contract: d.rhs_contract.clone(),
            },
            // lhs dim 0 is the first lhs free dim: right after the batch dims.
            d.lhs_batch.len(),
        ),
        _ => {
            let lrank = b.ty(l.v).shape.rank();
            (
                DotDims {
                    lhs_batch: d.lhs_batch.clone(),
                    rhs_batch: shift(&d.rhs_batch),
                    lhs_contract: d.lhs_contract.clone(),
                    rhs_contract: shift(&d.rhs_contract),
                },
                // rhs dim 0 is the first rhs free dim: after batch and lhs free dims.
                lrank - d.lhs_contract.len(),
            )
        }
    };
    let t = rules::dot_general(&d2, &b.ty(l.v), &b.ty(r.v))?;
    let v = b.add1(
        Op::DotGeneral(d2),
        &[l.v, r.v],
        &[TensorType::new(out.dtype, t.shape)],
    )?;
    let v = b.moveaxis(v, bdim, 0)?;
    Ok(vec![batched(v)])
}

fn convolution(
    b: &mut Builder,
    c: &crate::ConvAttrs,
    out: &TensorType,
    ops: &[BVal],
) -> Result<Vec<BVal>> {
    let n = b.n;
    let (l, r) = (ops[0], ops[1]);
    let d = &c.dims;
    if n == 0 {
        // No examples: the result is empty (JAX does the same, reshapes would divide by 0).
        let z = b.konst(Literal::zeros(TensorType::scalar(out.dtype)))?;
        let shape = b.bt(out).shape.0;
        return b
            .broadcast_in_dim(z, shape, vec![])
            .map(|v| vec![batched(v)]);
    }
    let mut c2 = c.clone();
    let conv = |b: &mut Builder, c2: crate::ConvAttrs, lv: Value, rv: Value| {
        b.add1(Op::Convolution(c2), &[lv, rv], &[])
    };
    let (v, bdim) = match (l.batched, r.batched) {
        (true, true) => {
            let lv = if c.batch_group_count > 1 {
                c2.batch_group_count *= n;
                b.axis_into(0, d.input_batch, l.v)?
            } else {
                c2.feature_group_count *= n;
                b.axis_into(0, d.input_feature, l.v)?
            };
            let rv = b.axis_into(0, d.kernel_output_feature, r.v)?;
            let o = conv(b, c2, lv, rv)?;
            (b.axis_out_of(d.output_feature, n, o)?, d.output_feature)
        }
        (true, false) => {
            let lv = if c.batch_group_count == 1 {
                b.axis_into(0, d.input_batch, l.v)?
            } else {
                let x = b.axis_out_of(d.input_batch + 1, c.batch_group_count, l.v)?;
                let x = b.axis_into(0, d.input_batch + 1, x)?;
                b.axis_into(d.input_batch, d.input_batch, x)?
            };
            let o = conv(b, c2, lv, r.v)?;
            (b.axis_out_of(d.output_batch, n, o)?, d.output_batch)
        }
        _ => {
            let of = d.output_feature;
            if c.feature_group_count == 1 && c.batch_group_count == 1 {
                let rv = b.axis_into(0, d.kernel_output_feature, r.v)?;
                let o = conv(b, c2, l.v, rv)?;
                (b.axis_out_of(of, n, o)?, of)
            } else {
                let g = c.feature_group_count.max(c.batch_group_count);
                let kof = d.kernel_output_feature;
                let x = b.axis_out_of(kof + 1, g, r.v)?;
                let x = b.axis_into(0, kof + 1, x)?;
                let rv = b.axis_into(kof, kof, x)?;
                let o = conv(b, c2, l.v, rv)?;
                let o = b.axis_out_of(of, g, o)?;
                let o = b.axis_out_of(of + 1, n, o)?;
                (b.axis_into(of, of + 1, o)?, of)
            }
        }
    };
    let v = b.moveaxis(v, bdim, 0)?;
    Ok(vec![batched(v)])
}

fn while_loop(
    b: &mut Builder,
    cond: &Region,
    body: &Region,
    types: &[TensorType],
    ops: &[BVal],
) -> Result<Vec<BVal>> {
    let n = b.n;
    // Fixpoint: a carried value is batched if its init is, or the body makes it so.
    let mut flags: Vec<bool> = ops.iter().map(|o| o.batched).collect();
    let pred_batched = loop {
        let mut probe = Builder::new(n);
        let ps = params(&mut probe, types, &flags);
        let p = batch_into(&mut probe, cond, &ps)?;
        if p.first().is_some_and(|p| p.batched) {
            flags = vec![true; types.len()];
            break true;
        }
        let outs = batch_into(&mut probe, body, &ps)?;
        let next: Vec<bool> = flags
            .iter()
            .zip(&outs)
            .map(|(f, o)| *f || o.batched)
            .collect();
        if next == flags {
            break false;
        }
        flags = next;
    };
    let (cg, bg) = if pred_batched {
        let or = binary_region(DType::Bool, BinaryOp::Or)?;
        let cg = region(n, types, &flags, |rb, ps| {
            let p = batch_into(rb, cond, ps)?;
            let p = rb.bcast(p[0])?;
            let f = rb.konst(Literal::scalar(false))?;
            let any = rb.add1(
                Op::Reduce {
                    dims: vec![0],
                    body: or,
                },
                &[p, f],
                &[],
            )?;
            Ok(vec![any])
        })?;
        let bg = region(n, types, &flags, |rb, ps| {
            let p = batch_into(rb, cond, ps)?;
            let p = rb.bcast(p[0])?;
            let new = batch_into(rb, body, ps)?;
            let mut outs = Vec::with_capacity(new.len());
            for (nv, old) in new.iter().zip(ps) {
                let nv = rb.bcast(*nv)?;
                let shape = rb.ty(nv).shape.0;
                let pb = rb.broadcast_in_dim(p, shape, vec![0])?;
                outs.push(rb.add1(Op::Select, &[pb, nv, old.v], &[])?);
            }
            Ok(outs)
        })?;
        (cg, bg)
    } else {
        let cg = region(n, types, &flags, |rb, ps| {
            Ok(batch_into(rb, cond, ps)?.iter().map(|p| p.v).collect())
        })?;
        let bg = region(n, types, &flags, |rb, ps| {
            let new = batch_into(rb, body, ps)?;
            new.iter()
                .zip(&flags)
                .map(|(v, f)| if *f { rb.bcast(*v) } else { Ok(v.v) })
                .collect()
        })?;
        (cg, bg)
    };
    let inits: Vec<Value> = ops
        .iter()
        .zip(&flags)
        .map(|(o, f)| if *f { b.bcast(*o) } else { Ok(o.v) })
        .collect::<Result<_>>()?;
    let res = b.add(
        Op::While {
            cond: Arc::new(cg),
            body: Arc::new(bg),
        },
        &inits,
        &[],
    )?;
    Ok(res
        .into_iter()
        .zip(flags)
        .map(|(v, batched)| BVal { v, batched })
        .collect())
}

fn case(
    b: &mut Builder,
    branches: &[Region],
    outs: &[TensorType],
    ops: &[BVal],
) -> Result<Vec<BVal>> {
    let n = b.n;
    let idx = ops[0];
    let args = &ops[1..];
    if idx.batched {
        // Run every branch and pick per example (out of range: the last branch).
        let mut results: Vec<Vec<Value>> = Vec::with_capacity(branches.len());
        for br in branches {
            let r = batch_into(b, br, args)?;
            results.push(r.into_iter().map(|v| b.bcast(v)).collect::<Result<_>>()?);
        }
        let last = results
            .pop()
            .ok_or_else(|| Error::invalid("vmap", "case needs at least one branch"))?;
        let mut res = last;
        for (k, r) in results.iter().enumerate() {
            let kv = b.int(DType::I32, k as i64)?;
            let kv = b.broadcast_in_dim(kv, vec![n], vec![])?;
            let eq = b.add1(Op::Compare(CompareDir::Eq), &[idx.v, kv], &[])?;
            for (j, t) in outs.iter().enumerate() {
                let shape = b.bt(t).shape.0;
                let p = b.broadcast_in_dim(eq, shape, vec![0])?;
                res[j] = b.add1(Op::Select, &[p, r[j], res[j]], &[])?;
            }
        }
        return Ok(all_batched(res));
    }
    let types: Vec<TensorType> = args
        .iter()
        .map(|a| {
            let t = b.ty(a.v);
            if a.batched {
                TensorType::new(t.dtype, t.shape.0[1..].to_vec())
            } else {
                t
            }
        })
        .collect();
    let flags: Vec<bool> = args.iter().map(|a| a.batched).collect();
    let mut out_flags = vec![false; outs.len()];
    for br in branches {
        let mut probe = Builder::new(n);
        let ps = params(&mut probe, &types, &flags);
        for (f, o) in out_flags.iter_mut().zip(batch_into(&mut probe, br, &ps)?) {
            *f |= o.batched;
        }
    }
    let mut regions = Vec::with_capacity(branches.len());
    for br in branches {
        let g = region(n, &types, &flags, |rb, ps| {
            let r = batch_into(rb, br, ps)?;
            r.iter()
                .zip(&out_flags)
                .map(|(v, f)| if *f { rb.bcast(*v) } else { Ok(v.v) })
                .collect()
        })?;
        regions.push(Arc::new(g));
    }
    let vals: Vec<Value> = ops.iter().map(|o| o.v).collect();
    let res = b.add(Op::Case { branches: regions }, &vals, &[])?;
    Ok(res
        .into_iter()
        .zip(out_flags)
        .map(|(v, batched)| BVal { v, batched })
        .collect())
}
