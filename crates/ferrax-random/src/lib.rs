//! # ferrax-random
//!
//! JAX's `jax.random`, bit for bit: the threefry2x32 counter-based PRNG, keys, `split`,
//! `fold_in`, `bits` and the samplers, built as compositions of `ferrax-ir` primitive ops so
//! the XLA plugin computes the same bits JAX computes for the same seed.
//!
//! Functions mirror `jax.random` by name and argument order. Required arguments are
//! positional; optional ones are an `Option<DType>` where that is the only one, or a small
//! options struct with `Default` and builder methods (`UniformOpts::default().minval(-1.0)`).
//! Parameters that JAX takes as scalars or arrays are a [`Param`] (`0.5`, `3`, or a
//! [`Tensor`](ferrax_ir::Tensor)).
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax_random as random;
//!
//! let key = random::key(0);
//! let (k1, k2) = (random::fold_in(&key, 1)?, random::fold_in(&key, 2)?);
//! let x = random::normal(&k1, &[2, 3], None)?;                       // f32, shape [2, 3]
//! let u = random::uniform(&k2, &[4], random::UniformOpts::default().minval(-1.0))?;
//! let keys = random::split(&key, 3)?;                                 // batch shape [3]
//! assert_eq!(x.eval()?.shape(), &[2, 3]);
//! assert!(u.eval()?.to_vec::<f32>()?.iter().all(|v| (-1.0..1.0).contains(v)));
//! assert_eq!(random::key_data(&keys).shape(), &[3, 2]);
//! # Ok::<(), ferrax::Error>(())
//! ```
//!
//! ## Counter layouts and 64-bit mode
//!
//! [`config`] holds JAX's `jax_threefry_partitionable` (default `true`, JAX's default since
//! 0.5.0; `false` selects the legacy layout) and `jax_enable_x64` (seed handling and default
//! dtypes), each with a process-wide value and a scoped, thread-local override:
//!
//! ```
//! use ferrax_random::{config, key_data_of_seed};
//! let _legacy = config::threefry_partitionable_scope(false);
//! let _x64 = config::enable_x64_scope(true);
//! assert_eq!(key_data_of_seed(-1), [u32::MAX, u32::MAX]);
//! ```
//!
//! ## Exactness
//!
//! Keys, `split`, `fold_in`, `bits` and every integer path are exact by construction. Float
//! samplers emit the op graph JAX 0.10.2 emits (`scripts/golden_random.py` pins it), so the
//! XLA CPU plugin rounds as jaxlib does; the golden tests compare them bit for bit with the
//! real JAX, in both layouts and in 64-bit mode. What that takes beyond copying the ops:
//!
//! - `erf_inv` is decomposed as the StableHLO CHLO legalisation does ([`special::erf_inv`]);
//!   `nextafter`, `argmax`, `cumsum` (a `reduce_window`), `top_k` and `searchsorted` are
//!   composites too ([`special`]).
//! - threefry's rounds sit in a `while` loop, as in JAX's CPU lowering ([`threefry2x32`]):
//!   without the loop boundary XLA fuses the float code that consumes the bits differently
//!   and a reduction after `normal` (`maxwell`) rounds differently. What the loop does
//!   inside is free (the consumers only see its two u32 results): ferrax runs four rounds
//!   straight, then two iterations of eight constant-rotation rounds, which is faster than
//!   JAX's five iterations of four and gives the same bits.
//! - jaxlib's XLA rewrites `A / broadcast(B)` into `A * broadcast(1 / B)` and the plugin's
//!   does not, so that form is emitted where JAX divides by a broadcast parameter.
//! - jaxlib's XLA computes f32 `log1p(x)` as `log(1 + x)` for `|x| >= sqrt(2) - 1` (a
//!   rational approximation below); the plugin's is more accurate there and differs by 1-2
//!   ulp on ~9% of such inputs (which made ~0.4% of `normal` draws differ). `special::log1p`
//!   spells out jaxlib's split and rational function, and every sampler uses it. jaxlib
//!   computes f16 `log1p` in f32, so f16 goes through that f32 form.
//! - jaxlib computes f32 `pow(x, y)` with glibc's `powf`; the plugin's is correctly rounded,
//!   which differs on ~0.07% of arguments (it made `weibull_min` differ at n = 100,000).
//!   `special::pow` spells out glibc's algorithm, and every sampler uses it; where JAX's
//!   exponent is a constant of the program (a number), XLA's rewrites of `x ** 2`, `x ** 3`,
//!   `x ** -1`, `x ** 1` and `x ** 0` are spelled out too.
//! - Which JAX program is the reference matters: JAX's own results differ between an eager
//!   call (numbers reach the sampler's inner `jit` as run-time values) and a call inside a
//!   user's `jax.jit` (numbers are constants XLA folds). ferrax follows the jitted program:
//!   for keys `fold_in(key(s), c)`, s < 6, c < 3, both layouts, `beta(2, 3)`, `f(3, 5)` and
//!   `generalized_normal(1.5)` equal jitted JAX in 36 of 36 keys, while JAX's eager results
//!   differ from its jitted ones in 36, 33 and 30 of them (by 1-3 ulp).
//! - jaxlib's XLA hands every reduction of 4,096 or more elements (and the elementwise
//!   ops of that size around it) to YNNPACK, whose arithmetic differs from XLA's: no fused
//!   multiply-adds, its own summation order, bf16 without intermediate rounding. Below that
//!   size `maxwell`'s sum of squares is two multiply-adds, from it on `(x0² + x2²) + x1²`
//!   rounded term by term. `maxwell`, `double_sided_maxwell` and `ball` (three coordinates,
//!   `p` of 1, 2 or 3) switch at the same size (module `ynn`); golden cases on both sides,
//!   every float dtype.
//! - A `log` that jaxlib's XLA leaves alone in a kernel (`dirichlet`'s `log(V)`, which two
//!   fusions consume) is computed with the C library's `logf` on some lanes, depending on
//!   the array's size ([`special::log_libm`] spells glibc's algorithm out); LLVM makes a
//!   vectorised `x ** 0.5` with a constant exponent a square root (`generalized_normal`
//!   and `ball` with `p = 2`); XLA makes `g / (s ** (1 / p))` a product with
//!   `s ** -(1 / p)` (`ball`); and it folds the gamma sampler's `log(alpha - 1/3)` for a
//!   constant alpha of one value but not for a constant array (`dirichlet`), which the
//!   plugin's XLA would fold with a correctly rounded `log`.
//! - From 4,096 elements on, `dirichlet` follows jaxlib's YNNPACK fusions: the f32 and f64
//!   logs and exp are YNNPACK's polynomials and the sums its lane order (module `ynn`,
//!   golden test `tests/golden/ynn_unary.json`); in bf16 and f16 only the sum runs there,
//!   in f32. Golden cases `dirichlet_large` (last axes of 2 to 90, both sides of the
//!   threshold, f32, f64, bf16, f16). YNNPACK's polynomials use fused multiply-adds, which
//!   in f64 are emulated exactly (Dekker's product and a two-sum; the graph has no FMA op).
//!   `ball`'s sum of powers from 4,096 draws on is YNNPACK's too, for any `d` and `p`
//!   (YNNPACK's `pow` is the C library's `pow`/`powf`; `special::pow` spells `powf` out,
//!   and the plugin's f64 `pow` with a run-time exponent is the C library's), and from
//!   4,096 results on so are the exponential draw's `log1p` and the power `g ** (1 / p)`
//!   (a `pow` call even for p = 2). There bf16 is computed in f32 from the fusion's inputs
//!   to its result without rounding in between (YNNPACK's "excess precision": the bf16
//!   round trips of jaxlib's HLO are not performed). With one coordinate XLA keeps
//!   `ball`'s division by the norm. Golden cases `ball_sizes` (f32, f64, bf16, f16).
//! - bf16 and f16 in the gamma family (`gamma`, `loggamma`, `generalized_normal`, `beta`,
//!   `chisquare`, `f`, `t`, `dirichlet`, `ball`): `jnp.sum` adds f16 and bf16 in f32;
//!   jaxlib keeps some bf16 products and reciprocals in f32 (`dirichlet`'s normalisation,
//!   `ball`'s division); the plugin's XLA drops a bf16 round trip `f32(bf16(v))` that
//!   jaxlib performs, so a bf16 operand of a power is widened from its bits
//!   (`special::to_f32_exact`); and in f16 jaxlib's XLA applies its constant-power
//!   rewrites and folds `f`'s constants, which the plugin's does not. Golden family
//!   `low_precision`, and bf16/f16 cases in `dirichlet_sizes`, `dirichlet_large` and
//!   `ball_sizes`. (Before this, 1-3 ulp differences in up to half the elements.)
//! - Sums over a last axis of any length from 4,096 elements on follow YNNPACK's
//!   `sum_float_k1` exactly (f32 and f64; golden test `tests/golden/ynn_sum.json`), so f32
//!   `dirichlet` with long last axes is exact too (checked: last axes of 90, 100 and 200,
//!   3 keys each, every element equal; before, 336-1,948 of 5,000-6,000 differed).
//! - The counter layout changes the program's shapes, and with them what XLA rewrites and
//!   fuses: in the legacy layout `ball`'s draws are made flat, so with one coordinate
//!   XLA turns the division by the norm into a product with the opposite power (where
//!   it has not rewritten the power itself), and bf16 bits are cut from 32-bit words
//!   with a transpose, which keeps the exponential draw out of the YNNPACK fusion (XLA's
//!   bf16 `exponential` then). Golden cases `ball_sizes` in both layouts.
//! - Known remaining difference, measured against jitted jaxlib 0.10.2: a plain
//!   elementwise `log` over a short last dimension, where jaxlib's LLVM vectorises each
//!   column separately, packs some column pairs into 512-bit registers, and in those
//!   contracts the other product of XLA's `log` polynomial (`y·x³ + e·c` becomes
//!   `fma(e, c, y·x³)` instead of `fma(y, x³, e·c)`): in `rayleigh` of shape (400, 5),
//!   columns 0-3 round that way and column 4 as a 1-D array does; 3 of 8,000 elements
//!   differ by 1 ulp (4 keys; `scripts/check_rayleigh_columns.py`, a host model of both
//!   contractions, reproduces every element of jaxlib's output), while (2000,) is
//!   exact. (Checked: every golden case of `scripts/golden_random.py` re-run with a
//!   leading batch dimension of 400, and of `scripts/golden_random_samplers.py` with
//!   300, below 4,096-element reductions; that case was the only difference.)
//!   Where JAX's own results depend on how a sampler is embedded in a larger program, they
//!   can change here too (see the end of this section).
//! - JAX passes Python-number parameters (`minval`, `p`, `scale`, ...) to its jitted
//!   samplers as arguments of an inner `jit`; here they are constants, so most are made
//!   opaque to XLA's folding where that folding would change the result. Where jaxlib's
//!   XLA inlines the inner function and folds the number, ferrax folds it too:
//!   `weibull_min`'s concentration for f32, f16 and bf16 samples (`x ** (1 / 2)` is a
//!   square root in a vectorised loop; f64 keeps the C library's `pow`) and `wald`'s mean, whose multiply-adds are spelled out with jaxlib's contraction for
//!   two or more elements, so that they match with a constant key too (eager use, where
//!   XLA folds the whole sampler without contracting; before, 10-15% of such `wald` draws
//!   with a mean other than 1 and 1-4 in 5,000 `weibull_min(1.5, 2)` draws differed).
//!
//! Results can still change when a sampler is traced into a larger program: XLA's fusion
//! decisions, and with them FMA contraction and reduction order, depend on the whole
//! program, in JAX as here.
//!
//! ## Speed
//!
//! Measured with `benches/random_throughput.rs` against `scripts/bench_jax_random.py` on
//! the same 2-core x86-64 machine, 5 alternating rounds, medians (2026-11-22, seventh
//! session): `normal` of 1e6 f32 1.81 ms against JAX's 2.49 ms (0.73x), `bits` of 1e6 u32
//! 0.71 ms against 1.45 ms (0.49x), `split` into 1e6 keys 0.74 ms against 1.77 ms
//! (0.42x). Partitionable `bits`, `split` (and every sampler drawn from `bits`) hash in
//! one branch of a `case` whose index XLA cannot fold (`threefry::hash_combined`): one
//! kernel computes every hash once, combines the two words and writes the result, and
//! the consumers still read a materialised array as they do in JAX's program. `split`
//! packs each key as a u64 and reinterprets it as two u32 (a width-changing
//! `bitcast_convert`), which XLA compiles to 32-bit lanes with an interleaving store. The
//! pinned plugin's own `log1p` op evaluates its large branch as a scalar C-library `logf`
//! call per element, which kept `normal` at 1.3x JAX; `special::log1p` therefore spells
//! out both of jaxlib's branches as graph ops, so the samplers vectorise. Two samplers,
//! `maxwell` and `lognormal`, keep the plugin's op, because with a call-free loop the plugin
//! compiles their surrounding arithmetic differently from jaxlib (a re-associated vector
//! sum of squares; a width-2 `exp` that calls the C library).

#![warn(missing_docs)]

pub mod config;
mod discrete;
mod dist;
mod key;
mod lanes;
mod multivariate;
pub mod numerics;
mod param;
mod samplers;
pub mod special;
pub mod threefry;
mod ynn;

pub use dist::{
    bernoulli, categorical, cauchy, choice, double_sided_maxwell, exponential, geometric, gumbel,
    laplace, logistic, lognormal, maxwell, normal, pareto, permutation, rademacher, randint,
    rayleigh, triangular, truncated_normal, uniform, wald, weibull_min, BernoulliOpts,
    CategoricalOpts, ChoiceOpts, GumbelOpts, Mode, PermutationOpts, SampleOpts, UniformOpts,
};

pub use discrete::{binomial, multinomial, poisson};
pub use key::{
    bits, fold_in, key, key_data, key_data_of_seed, key_from_tensor, split, split_shape,
    wrap_key_data, Key,
};
pub use multivariate::{multivariate_normal, orthogonal, CovMethod, MultivariateNormalOpts};
pub use param::Param;
pub use samplers::{ball, beta, chisquare, dirichlet, f, gamma, generalized_normal, loggamma, t};
pub use threefry::threefry2x32;
