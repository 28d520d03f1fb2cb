//! PRNG keys and the key operations of `jax.random`: `key`, `key_data`, `wrap_key_data`,
//! `fold_in`, `split` and `bits`, in both counter layouts (see [`crate::config`]).

use ferrax_ir::{DType, Error, Result, Tensor, TensorType};

use crate::config;
use crate::param::Param;
use crate::threefry::{hash_combined, hash_counts, iota_2x32_shape, threefry2x32};

/// An array of threefry2x32 PRNG keys: a u32 tensor of shape `[...batch, 2]`, like a JAX
/// key array of shape `batch` (`jax.random.key(0)` has batch shape `()`).
///
/// Keys come from [`key`] (an integer seed), [`key_from_tensor`] (a traced seed),
/// [`wrap_key_data`] (raw key data), [`split`] and [`fold_in`]. The samplers take a single
/// key (batch shape `[]`), as in JAX.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let k = random::key(42);
/// assert_eq!(k.shape(), &[] as &[usize]);
/// let ks = random::split(&k, 3)?;
/// assert_eq!(ks.shape(), &[3]);
/// assert_eq!(random::key_data(&ks).shape(), &[3, 2]);
/// let k1 = ks.get(1)?;
/// let x = random::normal(&k1, &[2], None)?;
/// assert_eq!(x.eval()?.shape(), &[2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Key {
    data: Tensor,
}

impl Key {
    /// The batch shape (the key data's shape without its trailing 2).
    pub fn shape(&self) -> &[usize] {
        let s = self.data.shape();
        &s[..s.len().saturating_sub(1)]
    }

    /// The number of batch dimensions.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// The raw u32 key data, shape `[...batch, 2]` (same as [`key_data`]).
    pub fn data(&self) -> &Tensor {
        &self.data
    }

    /// Key `i` along the first batch dimension (`keys[i]`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax_random as random;
    /// let ks = random::split(&random::key(0), 2)?;
    /// let k0 = ks.get(0)?;
    /// assert_eq!(k0.shape(), &[] as &[usize]);
    /// assert!(ks.get(2).is_err());
    /// # Ok::<(), ferrax::Error>(())
    /// ```
    pub fn get(&self, i: usize) -> Result<Key> {
        let s = self.data.shape().to_vec();
        if s.len() < 2 {
            return Err(Error::invalid(
                "Key::get",
                "cannot index a single key (batch shape ())",
            ));
        }
        if i >= s[0] {
            return Err(Error::invalid(
                "Key::get",
                format!("index {i} is out of bounds for axis 0 with size {}", s[0]),
            ));
        }
        let mut start = vec![0; s.len()];
        let mut limit = s.clone();
        start[0] = i;
        limit[0] = i + 1;
        let d = self
            .data
            .slice(&start, &limit, &vec![1; s.len()])?
            .reshape(s[1..].to_vec())?;
        Ok(Key { data: d })
    }

    /// All keys along the first batch dimension, like `list(keys)` (so
    /// `let [a, b] = ...` style unpacking of `split(key)` works through a `Vec`).
    ///
    /// ```
    /// use ferrax_random as random;
    /// let ks = random::split(&random::key(0), 2)?.unstack()?;
    /// assert_eq!(ks.len(), 2);
    /// # Ok::<(), ferrax::Error>(())
    /// ```
    pub fn unstack(&self) -> Result<Vec<Key>> {
        let n = self.shape().first().copied().ok_or_else(|| {
            Error::invalid(
                "Key::unstack",
                "cannot unstack a single key (batch shape ())",
            )
        })?;
        (0..n).map(|i| self.get(i)).collect()
    }

    /// The two key words of a single key as u32 scalars; errors for a key array, naming
    /// `op` the way JAX does.
    pub(crate) fn words(&self, op: &str) -> Result<(Tensor, Tensor)> {
        self.data.check()?;
        if self.ndim() != 0 {
            return Err(Error::shape(
                op,
                format!(
                    "{op} accepts a single key, but was given a key array of shape {:?} != (). \
                     Use vmap for batching.",
                    self.shape()
                ),
            ));
        }
        let k0 = self
            .data
            .slice(&[0], &[1], &[1])?
            .reshape(Vec::<usize>::new())?;
        let k1 = self
            .data
            .slice(&[1], &[2], &[1])?
            .reshape(Vec::<usize>::new())?;
        Ok((k0, k1))
    }
}

/// The key data `jax.random.key(seed)` holds for an integer seed under the current
/// [`config::enable_x64`] setting: with x64, `[seed >> 32, seed & 0xffffffff]` of the
/// 64-bit two's-complement seed; without it JAX keeps only the low 32 bits,
/// `[0, seed & 0xffffffff]`.
///
/// ```
/// use ferrax_random::{config, key_data_of_seed};
/// assert_eq!(key_data_of_seed(42), [0, 42]);
/// assert_eq!(key_data_of_seed(-1), [0, u32::MAX]);
/// assert_eq!(key_data_of_seed((1 << 40) + 3), [0, 3]);
/// let _x64 = config::enable_x64_scope(true);
/// assert_eq!(key_data_of_seed((1 << 40) + 3), [256, 3]);
/// ```
pub fn key_data_of_seed(seed: i64) -> [u32; 2] {
    let lo = seed as u64 as u32;
    if config::enable_x64() {
        [((seed as u64) >> 32) as u32, lo]
    } else {
        [0, lo]
    }
}

/// `jax.random.key(seed)`: a single PRNG key from an integer seed (see
/// [`key_data_of_seed`] for how 64-bit mode treats seeds beyond 32 bits).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let k = random::key(0);
/// assert_eq!(random::key_data(&k).eval()?.to_vec::<u32>()?, vec![0, 0]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn key(seed: i64) -> Key {
    let d = key_data_of_seed(seed);
    Key {
        data: Tensor::from_result(Tensor::from_vec(d.to_vec(), [2])),
    }
}

/// `jax.random.key(seed)` for a traced integer scalar `seed` (any integer dtype). Signed
/// seeds narrower than 32 bits are sign-extended; 64-bit seeds keep their high word only
/// with [`config::enable_x64`] (JAX would have narrowed them to 32 bits otherwise).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let k = random::key_from_tensor(&Tensor::scalar(-1i8))?;
/// assert_eq!(random::key_data(&k).eval()?.to_vec::<u32>()?, vec![0, u32::MAX]);
/// assert!(random::key_from_tensor(&Tensor::scalar(1.5f32)).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn key_from_tensor(seed: &Tensor) -> Result<Key> {
    seed.check()?;
    if !seed.dtype().is_int() {
        return Err(Error::dtype(
            "key",
            format!("PRNG key seed must be an integer; got {}", seed.dtype()),
        ));
    }
    if seed.rank() != 0 {
        return Err(Error::shape(
            "key",
            format!(
                "key accepts a scalar seed, but was given an array of shape {:?} != (). \
                 Use vmap for batching",
                seed.shape()
            ),
        ));
    }
    let lo = seed.convert(DType::U32)?;
    let hi = if seed.dtype().bit_width() == 64 && config::enable_x64() {
        seed.bitcast(DType::U64)?
            .shift_right_logical(&Tensor::scalar(32u64))?
            .convert(DType::U32)?
    } else {
        Tensor::scalar(0u32)
    };
    let data = Tensor::concatenate(&[hi.reshape([1])?, lo.reshape([1])?], 0)?;
    Ok(Key { data })
}

/// `jax.random.key_data(keys)`: the u32 key data, shape `[...batch, 2]`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let d = random::key_data(&random::key(7));
/// assert_eq!(d.eval()?.to_vec::<u32>()?, vec![0, 7]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn key_data(keys: &Key) -> Tensor {
    keys.data.clone()
}

/// `jax.random.wrap_key_data(data)`: a key array from u32 data of shape `[...batch, 2]`.
/// Errors if the dtype is not u32 or the last dimension is not 2.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let d = Tensor::from_vec(vec![0u32, 1, 2, 3, 4, 5], [3, 2])?;
/// let ks = random::wrap_key_data(&d)?;
/// assert_eq!(ks.shape(), &[3]);
/// let bad = Tensor::from_vec(vec![0u32, 1, 2], [3])?;
/// assert!(random::wrap_key_data(&bad).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn wrap_key_data(data: &Tensor) -> Result<Key> {
    data.check()?;
    if data.rank() < 1 {
        return Err(Error::shape(
            "wrap_key_data",
            format!(
                "invalid PRNG key data: expected key_data.ndim >= 1; got ndim={}",
                data.rank()
            ),
        ));
    }
    if data.shape()[data.rank() - 1] != 2 {
        return Err(Error::shape(
            "wrap_key_data",
            format!(
                "invalid PRNG key data: expected key_data.shape to end with (2,); got shape={:?}",
                data.shape()
            ),
        ));
    }
    if data.dtype() != DType::U32 {
        return Err(Error::dtype(
            "wrap_key_data",
            format!(
                "invalid PRNG key data: expected key_data.dtype = u32; got dtype={}",
                data.dtype()
            ),
        ));
    }
    Ok(Key { data: data.clone() })
}

/// `jax.random.fold_in(key, data)`: a new key that is a deterministic function of `key`
/// and the 32-bit message `data` (a non-negative integer below 2^32, or a traced integer
/// scalar, converted to u32). The same in both counter layouts.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let k = random::fold_in(&random::key(0), 0)?;
/// // nnx.Rngs(params=0).params() draws exactly this key.
/// assert_eq!(random::key_data(&k).eval()?.to_vec::<u32>()?, vec![1797259609, 2579123966]);
/// assert!(random::fold_in(&random::key(0), -1).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn fold_in(key: &Key, data: impl Into<Param>) -> Result<Key> {
    let (k0, k1) = key.words("fold_in")?;
    let msg = match data.into() {
        Param::Int(v) => {
            if !(0..=u32::MAX as i64).contains(&v) {
                return Err(Error::invalid(
                    "fold_in",
                    format!("Python integer {v} out of bounds for uint32"),
                ));
            }
            Tensor::scalar(v as u32)
        }
        Param::Float(v) => {
            return Err(Error::dtype(
                "fold_in",
                format!("fold_in data must be an integer, got {v}"),
            ))
        }
        Param::Tensor(t) => {
            t.check()?;
            if t.rank() != 0 {
                return Err(Error::shape(
                    "fold_in",
                    format!(
                        "fold_in accepts a scalar, but was given an array of shape {:?} != (). \
                         Use vmap for batching.",
                        t.shape()
                    ),
                ));
            }
            if !(t.dtype().is_int() || t.dtype().is_bool()) {
                return Err(Error::dtype(
                    "fold_in",
                    format!("fold_in data must be an integer, got {}", t.dtype()),
                ));
            }
            t.convert(DType::U32)?
        }
    };
    // threefry_2x32(key, threefry_seed(msg)) with the seed [0, msg]: one block.
    let (a, b) = threefry2x32(&k0, &k1, &Tensor::scalar(0u32), &msg)?;
    let data = Tensor::concatenate(&[a.reshape([1])?, b.reshape([1])?], 0)?;
    Ok(Key { data })
}

/// `jax.random.split(key, num)`: `num` new keys, batch shape `[num]`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let ks = random::split(&random::key(0), 2)?;
/// assert_eq!(random::key_data(&ks).shape(), &[2, 2]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn split(key: &Key, num: usize) -> Result<Key> {
    split_shape(key, &[num])
}

/// `jax.random.split(key, shape)`: keys of batch shape `shape` (JAX's tuple form of `num`).
///
/// Partitionable layout: key `i` (row-major) is `threefry2x32(key, hi(i), lo(i))`, so
/// `split(k, n)[i] == fold_in(k, i)`. Legacy layout: the hash of `0..2n`, reshaped.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let ks = random::split_shape(&random::key(0), &[2, 3])?;
/// assert_eq!(ks.shape(), &[2, 3]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn split_shape(key: &Key, shape: &[usize]) -> Result<Key> {
    let (k0, k1) = key.words("split")?;
    let n: usize = shape.iter().product();
    let mut out_shape = shape.to_vec();
    out_shape.push(2);
    if n == 0 {
        return Ok(Key {
            data: Tensor::zeros(DType::U32, out_shape),
        });
    }
    let data = if config::threefry_partitionable() {
        // Key i is the pair (a_i, b_i). Packed as the u64 `a | b << 32` and reinterpreted
        // as two u32 (least significant first), XLA computes each hash once and LLVM
        // writes the pairs interleaved from the 32-bit lanes; a concatenation of the two
        // words would compute every hash twice (once per output column).
        hash_combined(
            &k0,
            &k1,
            || iota_2x32_shape(shape),
            |a, b| {
                let high = b.convert(DType::U64)?.shift_left(&Tensor::scalar(32u64))?;
                high.bitor(&a.convert(DType::U64)?)?.bitcast(DType::U32)
            },
            TensorType::new(DType::U32, out_shape.clone()),
        )?
    } else {
        let count = Tensor::iota(DType::U32, [2 * n], 0)?;
        hash_counts(&k0, &k1, &count)?.reshape(out_shape)?
    };
    Ok(Key { data })
}

/// Splits a single key into two (the samplers' internal `_split(key)`).
pub(crate) fn split2(key: &Key) -> Result<(Key, Key)> {
    let ks = split(key, 2)?;
    Ok((ks.get(0)?, ks.get(1)?))
}

/// JAX's `random_bits(key, bit_width, shape)` for a single key: uniform unsigned integers
/// of `bit_width` (8, 16, 32 or 64) bits, in the current layout.
pub(crate) fn random_bits(
    key: &Key,
    bit_width: usize,
    shape: &[usize],
    op: &str,
) -> Result<Tensor> {
    let (k0, k1) = key.words(op)?;
    let dtype = match bit_width {
        8 => DType::U8,
        16 => DType::U16,
        32 => DType::U32,
        64 => DType::U64,
        _ => {
            return Err(Error::dtype(
                op,
                "requires 8-, 16-, 32- or 64-bit field width.",
            ))
        }
    };
    let size: usize = shape.iter().product();
    if size == 0 {
        return Ok(Tensor::zeros(dtype, shape.to_vec()));
    }
    if config::threefry_partitionable() {
        return hash_combined(
            &k0,
            &k1,
            || iota_2x32_shape(shape),
            |b1, b2| match bit_width {
                64 => {
                    let h = b1.convert(DType::U64)?;
                    let l = b2.convert(DType::U64)?;
                    h.shift_left(&Tensor::scalar(32u64))?.bitor(&l)
                }
                32 => b1.bitxor(b2),
                _ => b1.bitxor(b2)?.convert(dtype),
            },
            TensorType::new(dtype, shape.to_vec()),
        );
    }
    // Legacy layout: ceil(bit_width * size / 32) words hashed from a flat iota.
    let words = (bit_width as u128 * size as u128).div_ceil(32);
    if words > u32::MAX as u128 {
        return Err(Error::unsupported(
            op,
            "the legacy threefry layout draws more than 2^32-1 words in blocks of sub-keys; \
             arrays that large are not supported",
        ));
    }
    let words = words as usize;
    let bits = hash_counts(&k0, &k1, &Tensor::iota(DType::U32, [words], 0)?)?;
    let out = match bit_width {
        64 => {
            let h = bits.slice(&[0], &[size], &[1])?.convert(DType::U64)?;
            let l = bits
                .slice(&[size], &[2 * size], &[1])?
                .convert(DType::U64)?;
            h.shift_left(&Tensor::scalar(32u64))?.bitor(&l)?
        }
        32 => bits,
        _ => {
            // View each word as little-endian sub-words: word-major, low sub-word first.
            let per = 32 / bit_width;
            let shifts = Tensor::iota(DType::U32, [per, 1], 0)?
                .mul(&Tensor::scalar(bit_width as u32))?
                .broadcast_to([per, words])?;
            let sub = bits
                .reshape([1, words])?
                .broadcast_to([per, words])?
                .shift_right_logical(&shifts)?
                .bitand(&Tensor::scalar(((1u64 << bit_width) - 1) as u32))?;
            sub.transpose(&[1, 0])?
                .reshape([words * per])?
                .convert(dtype)?
                .slice(&[0], &[size], &[1])?
        }
    };
    out.reshape(shape.to_vec())
}

/// `jax.random.bits(key, shape, dtype)`: uniform random unsigned integers. `dtype` is one
/// of u8, u16, u32, u64 (`None`: u32, or u64 with [`config::enable_x64`]).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random as random;
/// let b = random::bits(&random::key(0), &[4], Some(DType::U8))?;
/// assert_eq!(b.dtype(), DType::U8);
/// assert!(random::bits(&random::key(0), &[4], Some(DType::I32)).is_err());
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn bits(key: &Key, shape: &[usize], dtype: Option<DType>) -> Result<Tensor> {
    let dtype = dtype.unwrap_or_else(config::default_uint_dtype);
    if !dtype.is_unsigned_int() {
        return Err(Error::dtype(
            "bits",
            format!("dtype argument to `bits` must be an unsigned int dtype, got {dtype}"),
        ));
    }
    random_bits(key, dtype.bit_width(), shape, "bits")
}
