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

    /// A new stream from `split(next_key(), shape)` (`stream.split((2, 3))`: batch shape
    /// `shape`).
    pub fn split_shape(&mut self, shape: &[usize]) -> Result<RngStream> {
        let key = random::split_shape(&self.next_key()?, shape)?;
        RngStream::from_key(self.tag.clone(), &key)
    }

    /// A copy of this stream's key with a zero count, as Flax's `Rngs(stream=old_stream)`
    /// makes it (what `Rngs::split`/`broadcast` give streams they leave alone).
    pub fn restarted(&self) -> Result<RngStream> {
        match self.key.raw() {
            VarValue::Array(a) => Ok(RngStream::from_key_array(self.tag.clone(), a.clone())),
            VarValue::Tensor(_) => RngStream::from_key(self.tag.clone(), &self.key()?),
        }
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

    /// New `Rngs` whose every stream is split to batch shape `shape` (`rngs.split((2, 5))`).
    pub fn split_shape(&mut self, shape: &[usize]) -> Result<Rngs> {
        let streams = self
            .streams
            .iter_mut()
            .map(|s| s.split_shape(shape))
            .collect::<Result<_>>()?;
        Ok(Rngs { streams })
    }

    /// `rngs.split({filter: shape_or_none, ...})`: each stream takes the first rule whose
    /// filter selects it (filters see the stream's tag, as Flax's `WithTag`; `Filter::All`
    /// is `...`) and is split to that batch shape; a `None` rule or no matching rule keeps
    /// the stream's key. As in Flax, every stream of the result starts at count 0.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Filter, Rngs};
    /// let mut rngs = Rngs::new().with("params", 1).with("dropout", 2).with("noise", 3);
    /// let new = rngs.split_by(&[
    ///     (Filter::Tag("params".into()), Some(vec![5])),
    ///     (Filter::Tag("dropout".into()), None),
    ///     (Filter::All, Some(vec![2, 5])),
    /// ])?;
    /// let shapes: Vec<Vec<usize>> =
    ///     new.streams().iter().map(|s| s.key().map(|k| k.shape().to_vec())).collect::<ferrax::Result<_>>()?;
    /// assert_eq!(shapes, vec![vec![5], vec![], vec![2, 5]]);
    /// # Ok::<(), ferrax::Error>(())
    /// ```
    pub fn split_by(&mut self, rules: &[(crate::Filter, Option<Vec<usize>>)]) -> Result<Rngs> {
        self.per_stream(rules, |s, shape| s.split_shape(shape))
    }

    /// New `Rngs` whose every stream's next key is broadcast to batch shape `shape`
    /// (`rngs.broadcast(k)`): all elements hold the same key.
    pub fn broadcast(&mut self, shape: &[usize]) -> Result<Rngs> {
        let streams = self
            .streams
            .iter_mut()
            .map(|s| s.broadcast(shape))
            .collect::<Result<_>>()?;
        Ok(Rngs { streams })
    }

    /// `rngs.broadcast({filter: shape_or_none, ...})`, with the rules of [`Rngs::split_by`].
    pub fn broadcast_by(&mut self, rules: &[(crate::Filter, Option<Vec<usize>>)]) -> Result<Rngs> {
        self.per_stream(rules, |s, shape| s.broadcast(shape))
    }

    fn per_stream(
        &mut self,
        rules: &[(crate::Filter, Option<Vec<usize>>)],
        mut op: impl FnMut(&mut RngStream, &[usize]) -> Result<RngStream>,
    ) -> Result<Rngs> {
        let mut streams = Vec::with_capacity(self.streams.len());
        for s in &mut self.streams {
            let rule = rules
                .iter()
                .find(|(f, _)| f.matches_var("", "RngStream", Some(s.tag.as_str())));
            streams.push(match rule {
                Some((_, Some(shape))) => op(s, shape)?,
                _ => s.restarted()?,
            });
        }
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

// ---------------------------------------------------------------------------------------
// Sampling methods: `rngs.params.normal(shape)` / `rngs.normal(shape)` as in Flax, where each
// method draws one key (`next_key`, i.e. `fold_in(key, count)`, `count += 1`) and calls the
// `jax.random` function of the same name with it.
// ---------------------------------------------------------------------------------------

use ferrax_random::{
    BernoulliOpts, CategoricalOpts, ChoiceOpts, GumbelOpts, MultivariateNormalOpts, Param,
    PermutationOpts, SampleOpts, UniformOpts,
};

macro_rules! random_methods {
    ($ty:ty, $src:literal) => {
        /// Sampling with a drawn key: each method is the `jax.random` function of the same
        /// name (see `ferrax_random`, same arguments less the key), called with
        #[doc = concat!($src, ".")]
        impl $ty {
            /// Initialises a weight with `init` and the next key (Flax's keyless
            /// initialiser methods, `rngs.lecun_normal()(shape)`).
            pub fn init(
                &mut self,
                init: &crate::init::Initializer,
                shape: &[usize],
                dtype: DType,
            ) -> Result<Tensor> {
                init(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.bits`.
            pub fn bits(&mut self, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
                random::bits(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.uniform`.
            pub fn uniform(&mut self, shape: &[usize], opts: UniformOpts) -> Result<Tensor> {
                random::uniform(&self.next_key()?, shape, opts)
            }
            /// `jax.random.randint`.
            pub fn randint(
                &mut self,
                shape: &[usize],
                minval: impl Into<Param>,
                maxval: impl Into<Param>,
                dtype: Option<DType>,
            ) -> Result<Tensor> {
                random::randint(&self.next_key()?, shape, minval, maxval, dtype)
            }
            /// `jax.random.permutation`.
            pub fn permutation(
                &mut self,
                x: impl Into<Param>,
                opts: PermutationOpts,
            ) -> Result<Tensor> {
                random::permutation(&self.next_key()?, x, opts)
            }
            /// `jax.random.choice`.
            pub fn choice(
                &mut self,
                a: impl Into<Param>,
                shape: &[usize],
                opts: ChoiceOpts,
            ) -> Result<Tensor> {
                random::choice(&self.next_key()?, a, shape, opts)
            }
            /// `jax.random.normal`.
            pub fn normal(&mut self, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
                random::normal(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.multivariate_normal`.
            pub fn multivariate_normal(
                &mut self,
                mean: &Tensor,
                cov: &Tensor,
                opts: MultivariateNormalOpts,
            ) -> Result<Tensor> {
                random::multivariate_normal(&self.next_key()?, mean, cov, opts)
            }
            /// `jax.random.truncated_normal`.
            pub fn truncated_normal(
                &mut self,
                lower: impl Into<Param>,
                upper: impl Into<Param>,
                opts: SampleOpts,
            ) -> Result<Tensor> {
                random::truncated_normal(&self.next_key()?, lower, upper, opts)
            }
            /// `jax.random.bernoulli`.
            pub fn bernoulli(
                &mut self,
                p: impl Into<Param>,
                opts: BernoulliOpts,
            ) -> Result<Tensor> {
                random::bernoulli(&self.next_key()?, p, opts)
            }
            /// `jax.random.beta`.
            pub fn beta(
                &mut self,
                a: impl Into<Param>,
                b: impl Into<Param>,
                opts: SampleOpts,
            ) -> Result<Tensor> {
                random::beta(&self.next_key()?, a, b, opts)
            }
            /// `jax.random.cauchy`.
            pub fn cauchy(&mut self, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
                random::cauchy(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.dirichlet`.
            pub fn dirichlet(&mut self, alpha: &Tensor, opts: SampleOpts) -> Result<Tensor> {
                random::dirichlet(&self.next_key()?, alpha, opts)
            }
            /// `jax.random.exponential`.
            pub fn exponential(&mut self, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
                random::exponential(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.gamma`.
            pub fn gamma(&mut self, a: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
                random::gamma(&self.next_key()?, a, opts)
            }
            /// `jax.random.loggamma`.
            pub fn loggamma(&mut self, a: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
                random::loggamma(&self.next_key()?, a, opts)
            }
            /// `jax.random.poisson`.
            pub fn poisson(&mut self, lam: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
                random::poisson(&self.next_key()?, lam, opts)
            }
            /// `jax.random.gumbel`.
            pub fn gumbel(&mut self, shape: &[usize], opts: GumbelOpts) -> Result<Tensor> {
                random::gumbel(&self.next_key()?, shape, opts)
            }
            /// `jax.random.categorical`.
            pub fn categorical(
                &mut self,
                logits: &Tensor,
                opts: CategoricalOpts,
            ) -> Result<Tensor> {
                random::categorical(&self.next_key()?, logits, opts)
            }
            /// `jax.random.laplace`.
            pub fn laplace(&mut self, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
                random::laplace(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.logistic`.
            pub fn logistic(&mut self, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
                random::logistic(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.pareto`.
            pub fn pareto(&mut self, b: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
                random::pareto(&self.next_key()?, b, opts)
            }
            /// `jax.random.t`.
            pub fn t(&mut self, df: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
                random::t(&self.next_key()?, df, opts)
            }
            /// `jax.random.chisquare`.
            pub fn chisquare(&mut self, df: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
                random::chisquare(&self.next_key()?, df, opts)
            }
            /// `jax.random.f`.
            pub fn f(
                &mut self,
                dfnum: impl Into<Param>,
                dfden: impl Into<Param>,
                opts: SampleOpts,
            ) -> Result<Tensor> {
                random::f(&self.next_key()?, dfnum, dfden, opts)
            }
            /// `jax.random.rademacher`.
            pub fn rademacher(&mut self, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
                random::rademacher(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.maxwell`.
            pub fn maxwell(&mut self, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
                random::maxwell(&self.next_key()?, shape, dtype)
            }
            /// `jax.random.double_sided_maxwell`.
            pub fn double_sided_maxwell(
                &mut self,
                loc: impl Into<Param>,
                scale: impl Into<Param>,
                shape: &[usize],
                dtype: Option<DType>,
            ) -> Result<Tensor> {
                random::double_sided_maxwell(&self.next_key()?, loc, scale, shape, dtype)
            }
            /// `jax.random.weibull_min`.
            pub fn weibull_min(
                &mut self,
                scale: impl Into<Param>,
                concentration: impl Into<Param>,
                shape: &[usize],
                dtype: Option<DType>,
            ) -> Result<Tensor> {
                random::weibull_min(&self.next_key()?, scale, concentration, shape, dtype)
            }
            /// `jax.random.orthogonal`.
            pub fn orthogonal(
                &mut self,
                n: usize,
                shape: &[usize],
                dtype: Option<DType>,
                m: Option<usize>,
            ) -> Result<Tensor> {
                random::orthogonal(&self.next_key()?, n, shape, dtype, m)
            }
            /// `jax.random.generalized_normal`.
            pub fn generalized_normal(
                &mut self,
                p: impl Into<Param>,
                shape: &[usize],
                dtype: Option<DType>,
            ) -> Result<Tensor> {
                random::generalized_normal(&self.next_key()?, p, shape, dtype)
            }
            /// `jax.random.ball`.
            pub fn ball(
                &mut self,
                d: usize,
                p: impl Into<Param>,
                shape: &[usize],
                dtype: Option<DType>,
            ) -> Result<Tensor> {
                random::ball(&self.next_key()?, d, p, shape, dtype)
            }
            /// `jax.random.rayleigh`.
            pub fn rayleigh(
                &mut self,
                scale: impl Into<Param>,
                opts: SampleOpts,
            ) -> Result<Tensor> {
                random::rayleigh(&self.next_key()?, scale, opts)
            }
            /// `jax.random.wald`.
            pub fn wald(&mut self, mean: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
                random::wald(&self.next_key()?, mean, opts)
            }
            /// `jax.random.geometric`.
            pub fn geometric(&mut self, p: impl Into<Param>, opts: SampleOpts) -> Result<Tensor> {
                random::geometric(&self.next_key()?, p, opts)
            }
            /// `jax.random.triangular`.
            pub fn triangular(
                &mut self,
                left: impl Into<Param>,
                mode: impl Into<Param>,
                right: impl Into<Param>,
                opts: SampleOpts,
            ) -> Result<Tensor> {
                random::triangular(&self.next_key()?, left, mode, right, opts)
            }
            /// `jax.random.lognormal`.
            pub fn lognormal(
                &mut self,
                sigma: impl Into<Param>,
                opts: SampleOpts,
            ) -> Result<Tensor> {
                random::lognormal(&self.next_key()?, sigma, opts)
            }
            /// `jax.random.binomial`.
            pub fn binomial(
                &mut self,
                n: impl Into<Param>,
                p: impl Into<Param>,
                opts: SampleOpts,
            ) -> Result<Tensor> {
                random::binomial(&self.next_key()?, n, p, opts)
            }
            /// `jax.random.multinomial`.
            pub fn multinomial(
                &mut self,
                n: impl Into<Param>,
                p: &Tensor,
                opts: SampleOpts,
            ) -> Result<Tensor> {
                random::multinomial(&self.next_key()?, n, p, opts)
            }
        }
    };
}

random_methods!(
    RngStream,
    "the stream's next key (Flax's `rngs.params.normal((2, 3))` is \
     `rngs.stream(\"params\")?.normal(&[2, 3], None)`)"
);
random_methods!(
    Rngs,
    "a key of the `default` stream (Flax's `rngs.normal((2, 3))` is \
     `rngs.normal(&[2, 3], None)`; an error if there is no `default` stream)"
);
