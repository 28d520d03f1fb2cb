//! `split_rngs`, `fork_rngs` and `restore_rngs`: NNX's RNG-state rewrites for transforms.
//!
//! Each RNG stream inside a module tree (a `RngKey` at `….key` beside a `RngCount` at
//! `….count`, both tagged with the stream name) can be replaced by split or forked keys
//! before a transform such as [`crate::vmap`] maps over them, and put back afterwards.
//! Python's context manager and decorator forms become, in Rust:
//!
//! - [`split_rngs`] / [`fork_rngs`] return [`SplitBackups`]; [`restore_rngs`] puts them back;
//! - [`SplitRngs::scoped`] / [`ForkRngs::scoped`] return a guard that derefs to the node
//!   and restores when dropped; [`SplitRngs::with`] runs a closure and restores after;
//! - [`SplitRngs::wrap`] / [`ForkRngs::wrap`] wrap a function so its input's streams are
//!   split (or forked) for each call, like `@nnx.split_rngs(splits=5)`.
//!
//! Semantics follow Flax 0.12 (`_graph_updates_split_rngs`): a selected stream draws one key
//! (`fold_in(key, count)`, `count += 1`), the backup keeps the key and the advanced count,
//! the stream's key becomes `split(drawn, splits)` and its count zeros of the split shape.
//! A stream is selected when the filter accepts both its key and its count.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::nn::{self, Rngs, SplitRngs};
//! let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
//! let backups = nn::split_rngs(&mut rngs, &SplitRngs::new(5).only("params"))?;
//! assert_eq!(rngs.stream("params")?.key.shape()?, vec![5, 2]);   // 5 keys of 2 words
//! assert_eq!(rngs.stream("dropout")?.key.shape()?, vec![2]);     // a scalar key
//! nn::restore_rngs(&mut rngs, backups)?;
//! assert_eq!(rngs.stream("params")?.key.shape()?, vec![2]);
//! # Ok::<(), ferrax::Error>(())
//! ```

use crate::{materialize, Filter, Module, VarPath, VarValue};
use ferrax_ir::{DType, Error, Literal, Result, Tensor, TensorType};
use ferrax_random as random;
use std::ops::{Deref, DerefMut};

/// A split shape: an integer (`5`) or a tuple (`(2, 5)`).
pub trait IntoSplits {
    /// The shape.
    fn into_splits(self) -> Vec<usize>;
}
impl IntoSplits for usize {
    fn into_splits(self) -> Vec<usize> {
        vec![self]
    }
}
impl<const N: usize> IntoSplits for [usize; N] {
    fn into_splits(self) -> Vec<usize> {
        self.to_vec()
    }
}
impl IntoSplits for &[usize] {
    fn into_splits(self) -> Vec<usize> {
        self.to_vec()
    }
}
impl IntoSplits for Vec<usize> {
    fn into_splits(self) -> Vec<usize> {
        self
    }
}

/// The saved key and count of one stream, as [`split_rngs`] / [`fork_rngs`] found them
/// (after the draw that produced the new keys).
#[derive(Clone)]
struct StreamBackup {
    /// Dotted path of the stream (`rngs.params`).
    stream: String,
    key: VarValue,
    count: VarValue,
}

/// What [`split_rngs`] and [`fork_rngs`] replaced; [`restore_rngs`] puts it back.
#[must_use = "restore the streams with nn::restore_rngs, or use the scoped form"]
#[derive(Clone, Default)]
pub struct SplitBackups {
    backups: Vec<StreamBackup>,
}

impl SplitBackups {
    /// The paths of the streams that were replaced, in traversal order.
    pub fn streams(&self) -> Vec<&str> {
        self.backups.iter().map(|b| b.stream.as_str()).collect()
    }
    /// Number of streams replaced.
    pub fn len(&self) -> usize {
        self.backups.len()
    }
    /// True if nothing was replaced.
    pub fn is_empty(&self) -> bool {
        self.backups.is_empty()
    }
}

/// Options of [`split_rngs`] (`nnx.split_rngs(splits=..., only=..., squeeze=...)`).
#[derive(Clone, Debug)]
pub struct SplitRngs {
    splits: Vec<usize>,
    only: Filter,
    squeeze: bool,
}

impl SplitRngs {
    /// Split every stream into keys of shape `splits` (`5` or `[2, 5]`).
    pub fn new(splits: impl IntoSplits) -> SplitRngs {
        SplitRngs {
            splits: splits.into_splits(),
            only: Filter::All,
            squeeze: false,
        }
    }
    /// Only the streams the filter selects (a string selects a stream name).
    pub fn only(mut self, only: impl Into<Filter>) -> SplitRngs {
        self.only = only.into();
        self
    }
    /// Drop the split axis (only with `splits == 1`): the stream gets a fresh scalar key.
    pub fn squeeze(mut self, squeeze: bool) -> SplitRngs {
        self.squeeze = squeeze;
        self
    }

    /// Splits `node`'s streams and returns a guard that derefs to `node` and restores the
    /// streams when dropped (the `with nnx.split_rngs(...)` form).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Rngs, SplitRngs};
    /// let mut rngs = Rngs::new().with("params", 0);
    /// {
    ///     let mut split = SplitRngs::new([2, 5]).scoped(&mut rngs)?;
    ///     assert_eq!(split.stream("params")?.key.shape()?, vec![2, 5, 2]);
    /// }
    /// assert_eq!(rngs.stream("params")?.key.shape()?, vec![2]);
    /// # Ok::<(), ferrax::Error>(())
    /// ```
    pub fn scoped<'a, M: Module + ?Sized>(&self, node: &'a mut M) -> Result<RngGuard<'a, M>> {
        RngGuard::new(node, |n| split_rngs(n, self))
    }

    /// Runs `f` on `node` with its streams split, restoring them afterwards (also when `f`
    /// fails).
    pub fn with<M: Module + ?Sized, R>(
        &self,
        node: &mut M,
        f: impl FnOnce(&mut M) -> Result<R>,
    ) -> Result<R> {
        self.scoped(node)?.run(f)
    }

    /// Wraps `f` so that each call splits its input's streams and restores them after
    /// (the decorator form `@nnx.split_rngs(splits=5)`).
    pub fn wrap<M: Module + ?Sized, R>(
        self,
        mut f: impl FnMut(&mut M) -> Result<R>,
    ) -> impl FnMut(&mut M) -> Result<R> {
        move |node: &mut M| self.with(node, &mut f)
    }
}

/// Options of [`fork_rngs`] (`nnx.fork_rngs(split=...)`): for each rule in order, every
/// stream the filter selects is forked, to a scalar key or split to the given shape.
#[derive(Clone, Debug)]
pub struct ForkRngs {
    rules: Vec<(Filter, Option<Vec<usize>>)>,
}

impl Default for ForkRngs {
    fn default() -> Self {
        ForkRngs::new()
    }
}

impl ForkRngs {
    /// Fork every stream to a fresh scalar key (`split=None`).
    pub fn new() -> ForkRngs {
        ForkRngs {
            rules: vec![(Filter::All, None)],
        }
    }
    /// Fork every stream and split it to `splits` (`split=5`).
    pub fn split(splits: impl IntoSplits) -> ForkRngs {
        ForkRngs {
            rules: vec![(Filter::All, Some(splits.into_splits()))],
        }
    }
    /// Per-filter rules (`split={filter: splits | None, ...}`), applied in order; a stream
    /// selected by several rules is forked once per rule, as in Flax.
    pub fn rules(rules: Vec<(Filter, Option<Vec<usize>>)>) -> ForkRngs {
        ForkRngs { rules }
    }

    /// The scoped form: a guard that restores the streams when dropped.
    pub fn scoped<'a, M: Module + ?Sized>(&self, node: &'a mut M) -> Result<RngGuard<'a, M>> {
        RngGuard::new(node, |n| fork_rngs(n, self))
    }

    /// Runs `f` on `node` with its streams forked, restoring them afterwards.
    pub fn with<M: Module + ?Sized, R>(
        &self,
        node: &mut M,
        f: impl FnOnce(&mut M) -> Result<R>,
    ) -> Result<R> {
        self.scoped(node)?.run(f)
    }

    /// Wraps `f` so that each call forks its input's streams and restores them after.
    pub fn wrap<M: Module + ?Sized, R>(
        self,
        mut f: impl FnMut(&mut M) -> Result<R>,
    ) -> impl FnMut(&mut M) -> Result<R> {
        move |node: &mut M| self.with(node, &mut f)
    }
}

/// A node whose streams are split or forked until the guard is dropped (or
/// [`RngGuard::restore`] is called). Derefs to the node.
pub struct RngGuard<'a, M: Module + ?Sized> {
    node: &'a mut M,
    backups: Option<SplitBackups>,
}

impl<'a, M: Module + ?Sized> RngGuard<'a, M> {
    fn new(node: &'a mut M, apply: impl FnOnce(&mut M) -> Result<SplitBackups>) -> Result<Self> {
        let backups = apply(node)?;
        Ok(RngGuard {
            node,
            backups: Some(backups),
        })
    }

    /// Runs `f` on the node, then restores (also when `f` fails).
    fn run<R>(mut self, f: impl FnOnce(&mut M) -> Result<R>) -> Result<R> {
        let out = f(&mut self);
        self.restore()?;
        out
    }

    /// Restores now, reporting errors (dropping the guard restores and ignores them).
    pub fn restore(mut self) -> Result<()> {
        match self.backups.take() {
            Some(b) => restore_rngs(self.node, b),
            None => Ok(()),
        }
    }
    /// Keeps the split streams: the guard will not restore them.
    pub fn keep(mut self) -> SplitBackups {
        self.backups.take().unwrap_or_default()
    }
}

impl<M: Module + ?Sized> Deref for RngGuard<'_, M> {
    type Target = M;
    fn deref(&self) -> &M {
        self.node
    }
}

impl<M: Module + ?Sized> DerefMut for RngGuard<'_, M> {
    fn deref_mut(&mut self) -> &mut M {
        self.node
    }
}

impl<M: Module + ?Sized> Drop for RngGuard<'_, M> {
    fn drop(&mut self) {
        if let Some(b) = self.backups.take() {
            // Restoring only writes saved values back by path; the one failure mode (the
            // node's structure changed under the guard) cannot be reported from drop.
            let _ = restore_rngs(self.node, b);
        }
    }
}

/// One RNG stream found in a module tree.
struct Found {
    path: String,
    key: VarValue,
    count: VarValue,
    key_ok: bool,
    count_ok: bool,
}

/// Finds every stream (a `RngKey` at `P.key` followed by a `RngCount` at `P.count`) and
/// whether `filter` accepts its key and its count.
fn find_streams<M: Module + ?Sized>(node: &M, filter: &Filter) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut open: Option<(String, VarValue, bool)> = None;
    node.visit(&mut VarPath::default(), &mut |p, v| {
        let path = p.to_string();
        let ok = filter.matches_var(&path, v.kind_name(), v.tag());
        match v.kind_name() {
            "RngKey" => {
                let prefix = path.strip_suffix(".key").unwrap_or(&path).to_string();
                open = Some((prefix, v.var_value().clone(), ok));
            }
            "RngCount" => {
                if let Some((prefix, key, key_ok)) = open.take() {
                    if path.strip_suffix(".count") == Some(prefix.as_str()) {
                        found.push(Found {
                            path: prefix,
                            key,
                            count: v.var_value().clone(),
                            key_ok,
                            count_ok: ok,
                        });
                    }
                }
            }
            _ => open = None,
        }
    });
    found
}

/// Draws one key from a stream's (key, count): `fold_in(key, count)`; the count advanced.
fn draw(s: &Found, op: &str) -> Result<(random::Key, VarValue)> {
    let key = random::wrap_key_data(&s.key.to_tensor())?;
    if key.ndim() != 0 {
        return Err(Error::shape(
            format!("{} ({op})", s.path),
            format!(
                "the stream's key is already split (batch shape {:?}); {op} needs a scalar key",
                key.shape()
            ),
        ));
    }
    let next_count = match &s.count {
        VarValue::Array(a) => {
            let c = a.to_vec::<u32>()?.first().copied().unwrap_or(0);
            let drawn = random::fold_in(&key, Tensor::scalar(c))?;
            return Ok((
                drawn,
                VarValue::Array(ferrax_runtime::Array::scalar(c.wrapping_add(1))),
            ));
        }
        VarValue::Tensor(t) => t.add(&Tensor::scalar(1u32))?,
    };
    let drawn = random::fold_in(&key, s.count.to_tensor())?;
    Ok((drawn, VarValue::Tensor(next_count)))
}

fn zeros_count(shape: Vec<usize>) -> VarValue {
    VarValue::Array(ferrax_runtime::Array::from_literal(Literal::zeros(
        TensorType::new(DType::U32, shape),
    )))
}

/// Writes `(key, count)` into the stream at each path.
fn write_streams<M: Module + ?Sized>(
    node: &mut M,
    updates: &[(String, VarValue, VarValue)],
    op: &str,
) -> Result<()> {
    let mut seen = vec![0u8; updates.len()];
    node.visit_mut(&mut VarPath::default(), &mut |p, v| {
        let path = p.to_string();
        for (i, (stream, key, count)) in updates.iter().enumerate() {
            if v.kind_name() == "RngKey" && path.strip_suffix(".key") == Some(stream) {
                v.set_var_value(key.clone());
                seen[i] |= 1;
            } else if v.kind_name() == "RngCount" && path.strip_suffix(".count") == Some(stream) {
                v.set_var_value(count.clone());
                seen[i] |= 2;
            }
        }
    });
    if let Some(i) = seen.iter().position(|s| *s != 3) {
        return Err(Error::invalid(
            op,
            format!("the node has no RNG stream at `{}`", updates[i].0),
        ));
    }
    Ok(())
}

fn finish<M: Module + ?Sized>(
    node: &mut M,
    updates: Vec<(String, VarValue, VarValue)>,
    eager: bool,
    op: &str,
) -> Result<()> {
    write_streams(node, &updates, op)?;
    if eager {
        // Eager streams stay concrete: all new keys are computed in one program.
        materialize(node)?;
    }
    Ok(())
}

/// `nnx.split_rngs(node, splits=..., only=..., squeeze=...)`: replaces the key of every
/// selected stream by `split(stream(), splits)` and its count by zeros of that shape.
/// Returns the backups for [`restore_rngs`]. [`SplitRngs::scoped`], [`SplitRngs::with`]
/// and [`SplitRngs::wrap`] are the scoped and wrapping forms.
pub fn split_rngs<M: Module + ?Sized>(node: &mut M, opts: &SplitRngs) -> Result<SplitBackups> {
    if opts.squeeze && opts.splits != [1] {
        return Err(Error::invalid(
            "split_rngs",
            format!(
                "squeeze=true is only supported for splits=1, got {:?}",
                opts.splits
            ),
        ));
    }
    let found = find_streams(node, &opts.only);
    let mut updates = Vec::new();
    let mut backups = Vec::new();
    let mut eager = true;
    for s in found.iter().filter(|s| s.key_ok && s.count_ok) {
        eager &= matches!((&s.key, &s.count), (VarValue::Array(_), VarValue::Array(_)));
        let (drawn, count_after) = draw(s, "split_rngs")?;
        backups.push(StreamBackup {
            stream: s.path.clone(),
            key: s.key.clone(),
            count: count_after,
        });
        let mut key = random::split_shape(&drawn, &opts.splits)?;
        let count_shape = if opts.squeeze {
            key = key.get(0)?;
            Vec::new()
        } else {
            opts.splits.clone()
        };
        updates.push((
            s.path.clone(),
            VarValue::Tensor(random::key_data(&key)),
            zeros_count(count_shape),
        ));
    }
    finish(node, updates, eager, "split_rngs")?;
    Ok(SplitBackups { backups })
}

/// `nnx.fork_rngs(node, split=...)`: gives every selected stream a forked key (the stream's
/// next key, split to the rule's shape if it has one) and a zero count. Returns the
/// backups for [`restore_rngs`].
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, ForkRngs, Rngs};
/// let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
/// let before = ferrax::random::key_data(&rngs.stream("params")?.key()?).eval()?;
/// let backups = nn::fork_rngs(&mut rngs, &ForkRngs::new())?;
/// let forked = ferrax::random::key_data(&rngs.stream("params")?.key()?).eval()?;
/// assert_ne!(before.to_vec::<u32>()?, forked.to_vec::<u32>()?);
/// nn::restore_rngs(&mut rngs, backups)?;
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn fork_rngs<M: Module + ?Sized>(node: &mut M, opts: &ForkRngs) -> Result<SplitBackups> {
    let mut all_backups = Vec::new();
    for (filter, splits) in &opts.rules {
        let found = find_streams(node, filter);
        let mut updates = Vec::new();
        let mut eager = true;
        for s in found.iter().filter(|s| s.key_ok && s.count_ok) {
            eager &= matches!((&s.key, &s.count), (VarValue::Array(_), VarValue::Array(_)));
            let (drawn, count_after) = draw(s, "fork_rngs")?;
            all_backups.push(StreamBackup {
                stream: s.path.clone(),
                key: s.key.clone(),
                count: count_after,
            });
            let (key, shape) = match splits {
                Some(sp) => (random::split_shape(&drawn, sp)?, sp.clone()),
                None => (drawn, Vec::new()),
            };
            updates.push((
                s.path.clone(),
                VarValue::Tensor(random::key_data(&key)),
                zeros_count(shape),
            ));
        }
        finish(node, updates, eager, "fork_rngs")?;
    }
    Ok(SplitBackups {
        backups: all_backups,
    })
}

/// `nnx.restore_rngs(backups)`: puts back the keys and counts [`split_rngs`] or
/// [`fork_rngs`] replaced in `node` (the backups hold the counts after the draw, as Flax's
/// do, so a restored stream does not repeat the key it gave away).
pub fn restore_rngs<M: Module + ?Sized>(node: &mut M, backups: SplitBackups) -> Result<()> {
    // In order, so a stream saved twice (forked by two rules) ends with the later backup,
    // as Flax's in-order restore does.
    let updates: Vec<_> = backups
        .backups
        .into_iter()
        .map(|b| (b.stream, b.key, b.count))
        .collect();
    write_streams(node, &updates, "restore_rngs")
}
