//! `Rngs` / `RngStream`: NNX's named random streams. Each stream is a key and a counter;
//! drawing a key is `fold_in(key, count)` followed by `count += 1`, exactly as Flax does,
//! so the same seeds give the same keys.

use crate::{AnyVariable, Module, PathPart, RngCount, RngKey, VarPath, VarValue};
use ferrax_ir::{DType, Error, Literal, Result, Tensor};
use ferrax_random as random;
use ferrax_random::Key;
use ferrax_runtime::Array;
use std::borrow::Cow;

/// One named stream: a key and a counter (both variables, so jit and vmap carry them).
#[derive(Clone, Debug)]
pub struct RngStream {
    tag: String,
    /// The stream's key data (u32 `[...batch, 2]`).
    pub key: RngKey,
    /// How many keys were drawn (u32 of the key's batch shape).
    pub count: RngCount,
}

fn zeros_u32(shape: &[usize]) -> Array {
    Array::zeros(shape.to_vec(), DType::U32)
}

impl RngStream {
    /// A stream seeded with `seed` (`jax.random.key(seed)`).
    pub fn from_seed(tag: impl Into<String>, seed: i64) -> RngStream {
        let data = random::key_data_of_seed(seed);
        let key = Array::from_vec(data.to_vec(), [2]).unwrap_or_else(|_| zeros_u32(&[2]));
        RngStream::from_key_array(tag, key)
    }

    fn from_key_array(tag: impl Into<String>, key: Array) -> RngStream {
        let batch = key.shape()[..key.shape().len().saturating_sub(1)].to_vec();
        let tag = tag.into();
        RngStream {
            key: RngKey::new(key).with_tag(&tag),
            count: RngCount::new(zeros_u32(&batch)).with_tag(&tag),
            tag,
        }
    }

    /// A stream starting from an existing key (any batch shape); the counter starts at 0.
    pub fn from_key(tag: impl Into<String>, key: &Key) -> Result<RngStream> {
        let data = random::key_data(key);
        let batch = key.shape().to_vec();
        let tag = tag.into();
        Ok(RngStream {
            key: RngKey::from_tensor(data).with_tag(&tag),
            count: RngCount::from_tensor(Tensor::constant(Literal::zeros(
                ferrax_ir::TensorType::new(DType::U32, batch),
            )))
            .with_tag(&tag),
            tag,
        })
    }

    /// The stream's name.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The stream's key (not advancing it).
    pub fn key(&self) -> Result<Key> {
        random::wrap_key_data(&self.key.value())
    }

    /// The next key: `fold_in(key, count)`, then `count += 1`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::Rngs;
    /// let mut rngs = Rngs::new().with("params", 0);
    /// let k = rngs.stream("params")?.next_key()?;
    /// let data = ferrax::random::key_data(&k).eval()?.to_vec::<u32>()?;
    /// assert_eq!(data, vec![1797259609, 2579123966]);
    /// # Ok::<(), ferrax::Error>(())
    /// ```
    pub fn next_key(&mut self) -> Result<Key> {
        let key = self.key()?;
        if key.ndim() != 0 {
            return Err(Error::shape(
                format!("RngStream '{}'", self.tag),
                format!(
                    "the stream's key has batch shape {:?}; draw keys from a split stream inside vmap",
                    key.shape()
                ),
            ));
        }
        match self.count.raw().clone() {
            VarValue::Array(a) => {
                // Eager: the counter is a host number; keep it on the host.
                let c = a.to_vec::<u32>()?.first().copied().unwrap_or(0);
                let next = random::fold_in(&key, Tensor::scalar(c))?;
                self.count = RngCount::new(Array::scalar(c.wrapping_add(1))).with_tag(&self.tag);
                Ok(next)
            }
            _ => {
                let c = self.count.value();
                let next = random::fold_in(&key, &c)?;
                self.count.set(c.add(&Tensor::scalar(1u32))?)?;
                Ok(next)
            }
        }
    }

    /// A new stream from `split(next_key(), k)` (batch shape `[k]`).
    pub fn split(&mut self, k: usize) -> Result<RngStream> {
        let key = random::split(&self.next_key()?, k)?;
        RngStream::from_key(self.tag.clone(), &key)
    }

    /// A new stream from the next key (`fork`).
    pub fn fork(&mut self) -> Result<RngStream> {
        let key = self.next_key()?;
        RngStream::from_key(self.tag.clone(), &key)
    }

    /// A new stream whose key is the next key broadcast to batch shape `shape`.
    pub fn broadcast(&mut self, shape: &[usize]) -> Result<RngStream> {
        let key = self.next_key()?;
        let data = random::key_data(&key);
        let mut full = shape.to_vec();
        full.push(2);
        let b = data.broadcast_to(full)?;
        RngStream::from_key(self.tag.clone(), &random::wrap_key_data(&b)?)
    }
}

impl Module for RngStream {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        path.push(PathPart::Field(Cow::Borrowed("key")));
        f(path, &self.key);
        path.pop();
        path.push(PathPart::Field(Cow::Borrowed("count")));
        f(path, &self.count);
        path.pop();
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        path.push(PathPart::Field(Cow::Borrowed("key")));
        f(path, &mut self.key);
        path.pop();
        path.push(PathPart::Field(Cow::Borrowed("count")));
        f(path, &mut self.count);
        path.pop();
    }
}

/// Named random streams (`nnx.Rngs`). A `default` stream, if present, serves every name
/// that has no stream of its own.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::Rngs;
/// let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
/// let e = rngs.stream("unkown_stream").unwrap_err();
/// assert_eq!(e.message, "No RngStream named 'unkown_stream' found in Rngs.");
/// let mut rngs = Rngs::seed(0).with("params", 1);    // nnx.Rngs(0, params=1)
/// let a = rngs.next_key()?;                         // 'default'
/// let b = rngs.stream("dropout")?.next_key()?;      // falls back to 'default'
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Rngs {
    streams: Vec<RngStream>,
}

impl Rngs {
    /// No streams yet (add them with [`Rngs::with`]).
    pub fn new() -> Rngs {
        Rngs::default()
    }

    /// A `default` stream seeded with `seed` (`nnx.Rngs(seed)`).
    pub fn seed(seed: i64) -> Rngs {
        Rngs::new().with("default", seed)
    }

    /// Adds (or replaces) stream `name` seeded with `seed`.
    pub fn with(mut self, name: &str, seed: i64) -> Rngs {
        self.set_stream(RngStream::from_seed(name, seed));
        self
    }

    /// Adds (or replaces) stream `name` starting from `key`.
    pub fn with_key(mut self, name: &str, key: &Key) -> Result<Rngs> {
        self.set_stream(RngStream::from_key(name, key)?);
        Ok(self)
    }

    fn set_stream(&mut self, s: RngStream) {
        match self.streams.iter_mut().find(|x| x.tag == s.tag) {
            Some(x) => *x = s,
            None => self.streams.push(s),
        }
    }

    /// The stream `name`, or `default` if there is none of that name.
    pub fn stream(&mut self, name: &str) -> Result<&mut RngStream> {
        let i = match self.streams.iter().position(|s| s.tag == name) {
            Some(i) => i,
            None => self
                .streams
                .iter()
                .position(|s| s.tag == "default")
                .ok_or_else(|| {
                    Error::invalid(
                        "Rngs",
                        format!("No RngStream named '{name}' found in Rngs."),
                    )
                })?,
        };
        Ok(&mut self.streams[i])
    }

    /// True if a stream of exactly this name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.streams.iter().any(|s| s.tag == name)
    }

    /// Stream names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.streams.iter().map(|s| s.tag.as_str()).collect()
    }

    /// The streams.
    pub fn streams(&self) -> &[RngStream] {
        &self.streams
    }

    /// A key from the `default` stream (`rngs()`).
    pub fn next_key(&mut self) -> Result<Key> {
        self.stream("default")?.next_key()
    }

    /// A key from the `params` stream (`rngs.params()`).
    pub fn params(&mut self) -> Result<Key> {
        self.stream("params")?.next_key()
    }

    /// A key from the `dropout` stream (`rngs.dropout()`).
    pub fn dropout(&mut self) -> Result<Key> {
        self.stream("dropout")?.next_key()
    }

    /// New `Rngs` whose every stream is forked (`rngs.fork()`).
    pub fn fork(&mut self) -> Result<Rngs> {
        let streams = self
            .streams
            .iter_mut()
            .map(|s| s.fork())
            .collect::<Result<_>>()?;
        Ok(Rngs { streams })
    }

    /// New `Rngs` whose every stream is split into `k` (`rngs.split(k)`).
    pub fn split(&mut self, k: usize) -> Result<Rngs> {
        let streams = self
            .streams
            .iter_mut()
            .map(|s| s.split(k))
            .collect::<Result<_>>()?;
        Ok(Rngs { streams })
    }
}

impl Module for Rngs {
    fn visit(&self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &dyn AnyVariable)) {
        for s in &self.streams {
            path.push(PathPart::Field(Cow::Owned(s.tag.clone())));
            s.visit(path, f);
            path.pop();
        }
    }
    fn visit_mut(&mut self, path: &mut VarPath, f: &mut dyn FnMut(&VarPath, &mut dyn AnyVariable)) {
        for s in &mut self.streams {
            path.push(PathPart::Field(Cow::Owned(s.tag.clone())));
            s.visit_mut(path, f);
            path.pop();
        }
    }
}

/// How [`reseed`] fits a new scalar key to a stream whose key is not a scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReseedPolicy {
    /// Error for non-scalar stream keys (Flax's default, `'scalars_only'`).
    ScalarsOnly,
    /// Split the new key to the stream key's shape (`'match_shape'`).
    MatchShape,
}

/// `nnx.reseed(node, stream=seed, ...)`: gives every RNG stream in `m` whose tag is named in
/// `seeds` the key `Rngs(**seeds)[tag]()` (so `fold_in(key(seed), 0)` for the first such
/// stream, not `key(seed)`) and a zero count.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Dropout, ReseedPolicy, Rngs};
/// let mut d = Dropout::new(0.5, &mut Rngs::new().with("dropout", 42))?;
/// let x = Tensor::ones(DType::F32, [8]);
/// let y1 = d.forward(&x)?.eval()?;
/// nn::reseed(&mut d, &[("dropout", 42)], ReseedPolicy::ScalarsOnly)?;
/// let y2 = d.forward(&x)?.eval()?;
/// assert_eq!(y1.to_vec::<f32>()?, y2.to_vec::<f32>()?);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn reseed<M: Module + ?Sized>(
    m: &mut M,
    seeds: &[(&str, i64)],
    policy: ReseedPolicy,
) -> Result<()> {
    let mut rngs = Rngs::new();
    for (name, seed) in seeds {
        rngs = rngs.with(name, *seed);
    }
    let mut err: Option<Error> = None;
    let mut pending_shape: Option<Vec<usize>> = None;
    m.visit_mut(&mut VarPath::default(), &mut |path, v| {
        if err.is_some() {
            return;
        }
        let Some(tag) = v.tag().map(str::to_owned) else { return };
        if !seeds.iter().any(|(n, _)| *n == tag) {
            return;
        }
        let result = (|| -> Result<()> {
            match v.kind_name() {
                "RngKey" => {
                    let ty = v.var_value().ty()?;
                    let shape = ty.shape.0[..ty.shape.rank().saturating_sub(1)].to_vec();
                    let key = rngs.stream(&tag)?.next_key()?;
                    let stream_path = path.to_string();
                    let stream_path = stream_path.strip_suffix(".key").unwrap_or(&stream_path).to_string();
                    let key = if shape.is_empty() {
                        key
                    } else if policy == ReseedPolicy::MatchShape {
                        random::split_shape(&key, &shape)?
                    } else {
                        return Err(Error::invalid(
                            "reseed",
                            format!(
                                "Cannot reseed stream at path '{stream_path}' because it has a non-scalar key, \
                                 found key with shape {shape:?}. If all your multi-dimensional keys have unique \
                                 values on all dimensions, use ReseedPolicy::MatchShape."
                            ),
                        ));
                    };
                    v.set_var_value(VarValue::Tensor(random::key_data(&key)));
                    pending_shape = Some(shape);
                }
                "RngCount" => {
                    let shape = match pending_shape.take() {
                        Some(s) => s,
                        None => v.var_value().ty()?.shape.0,
                    };
                    v.set_var_value(VarValue::Array(zeros_u32(&shape)));
                }
                _ => {}
            }
            Ok(())
        })();
        if let Err(e) = result {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    crate::materialize(m)
}
