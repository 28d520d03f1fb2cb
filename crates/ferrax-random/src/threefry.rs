//! The Threefry-2x32 block function and the two ways JAX lays counters out for it.

use ferrax_ir::{DType, Error, Result, Tensor};

/// Threefry's key-schedule parity constant.
const PARITY: u32 = 0x1BD1_1BDA;
/// Rotation amounts: even groups use the first four, odd groups the last four.
const ROTATIONS: [[u32; 4]; 2] = [[13, 15, 26, 6], [17, 29, 16, 24]];

fn rotl(x: &Tensor, r: u32) -> Result<Tensor> {
    let left = x.shift_left(&Tensor::scalar(r).broadcast_to(x.shape().to_vec())?)?;
    let right = x.shift_right_logical(&Tensor::scalar(32 - r).broadcast_to(x.shape().to_vec())?)?;
    left.bitor(&right)
}

fn u32_check(name: &str, t: &Tensor) -> Result<()> {
    t.check()?;
    if t.dtype() != DType::U32 {
        return Err(Error::dtype(
            "threefry2x32",
            format!("{name} must be u32, got {}", t.dtype()),
        ));
    }
    Ok(())
}

/// The Threefry-2x32 block function (20 rounds), elementwise over `x0, x1` with key words
/// `k0, k1` (u32 scalars or arrays broadcastable to the counters' shape). Returns the two
/// output words.
///
/// Emitted as JAX lowers it on CPU: a `while` loop of five iterations of four rounds, the
/// key schedule and the rotation set rotating through the loop. The loop boundary matters
/// beyond the integer bits: XLA fuses the float code that consumes the bits differently
/// without it (a reduction after `normal` then rounds differently from JAX's).
/// [`threefry2x32_unrolled`] is the straight-line form, the same bits.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::threefry2x32;
/// let z = Tensor::scalar(0u32);
/// let (a, b) = threefry2x32(&z, &z, &z, &z)?;
/// assert_eq!(a.eval()?.to_vec::<u32>()?, vec![0x6b200159]);
/// assert_eq!(b.eval()?.to_vec::<u32>()?, vec![0x99ba4efe]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn threefry2x32(
    k0: &Tensor,
    k1: &Tensor,
    x0: &Tensor,
    x1: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let (shape, ks, x) = prologue(k0, k1, x0, x1)?;
    let init = [
        Tensor::scalar(0i32),
        x[0].clone(),
        x[1].clone(),
        ks[1].clone(),
        ks[2].clone(),
        ks[0].clone(),
    ];
    let out = Tensor::while_loop(
        &init,
        |v| v[0].lt(&Tensor::scalar(5i32)),
        |v| {
            let (i, mut a, mut b) = (&v[0], v[1].clone(), v[2].clone());
            let even = i.rem(&Tensor::scalar(2i32))?.eq(&Tensor::scalar(0i32))?;
            for (&r0, &r1) in ROTATIONS[0].iter().zip(&ROTATIONS[1]) {
                let r = Tensor::select(&even, &Tensor::scalar(r0), &Tensor::scalar(r1))?;
                a = a.add(&b)?;
                b = rotl_t(&b, &r)?.bitxor(&a)?;
            }
            let inject = i.add(&Tensor::scalar(1i32))?.convert(DType::U32)?;
            a = a.add(&v[3].broadcast_to(shape.clone())?)?;
            b = b
                .add(&v[4].broadcast_to(shape.clone())?)?
                .add(&inject.broadcast_to(shape.clone())?)?;
            Ok(vec![
                i.add(&Tensor::scalar(1i32))?,
                a,
                b,
                v[4].clone(),
                v[5].clone(),
                v[3].clone(),
            ])
        },
    )?;
    Ok((out[1].clone(), out[2].clone()))
}

fn rotl_t(x: &Tensor, r: &Tensor) -> Result<Tensor> {
    let s = x.shape().to_vec();
    let left = x.shift_left(&r.broadcast_to(s.clone())?)?;
    let right = x.shift_right_logical(&Tensor::scalar(32u32).sub(r)?.broadcast_to(s)?)?;
    left.bitor(&right)
}

type Prologue = (ferrax_ir::Shape, [Tensor; 3], [Tensor; 2]);

/// Checks the operands, broadcasts the counters and injects the first key words. The key
/// words stay scalars when they are (they are broadcast where used).
fn prologue(k0: &Tensor, k1: &Tensor, x0: &Tensor, x1: &Tensor) -> Result<Prologue> {
    for (n, t) in [("k0", k0), ("k1", k1), ("x0", x0), ("x1", x1)] {
        u32_check(n, t)?;
    }
    let shape = ferrax_ir::rules::broadcast_shapes(
        "threefry2x32",
        &ferrax_ir::Shape(x0.shape().to_vec()),
        &ferrax_ir::Shape(x1.shape().to_vec()),
    )?;
    let scalar_keys = k0.rank() == 0 && k1.rank() == 0;
    let b = |t: &Tensor| -> Result<Tensor> {
        if scalar_keys {
            Ok(t.clone())
        } else {
            t.broadcast_to(shape.clone())
        }
    };
    let ks = [
        b(k0)?,
        b(k1)?,
        b(&k0.bitxor(k1)?.bitxor(&Tensor::scalar(PARITY))?)?,
    ];
    let x = [
        x0.broadcast_to(shape.clone())?
            .add(&ks[0].broadcast_to(shape.clone())?)?,
        x1.broadcast_to(shape.clone())?
            .add(&ks[1].broadcast_to(shape.clone())?)?,
    ];
    Ok((shape, ks, x))
}

/// [`threefry2x32`] with the 20 rounds unrolled into straight-line code: the same bits. On
/// the XLA CPU plugin it compiles faster and runs faster (about 1.6x at 10^6 counters),
/// but XLA then fuses the consumers of the bits differently from JAX's program, which
/// changes the rounding of reductions over the samples.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::threefry::threefry2x32_unrolled;
/// let z = Tensor::scalar(0u32);
/// let (a, _) = threefry2x32_unrolled(&z, &z, &z, &z)?;
/// assert_eq!(a.eval()?.to_vec::<u32>()?, vec![0x6b200159]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn threefry2x32_unrolled(
    k0: &Tensor,
    k1: &Tensor,
    x0: &Tensor,
    x1: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let (shape, ks, mut x) = prologue(k0, k1, x0, x1)?;
    let ks = [
        ks[0].broadcast_to(shape.clone())?,
        ks[1].broadcast_to(shape.clone())?,
        ks[2].broadcast_to(shape.clone())?,
    ];
    for group in 0..5usize {
        for &r in &ROTATIONS[group % 2] {
            x[0] = x[0].add(&x[1])?;
            x[1] = rotl(&x[1], r)?.bitxor(&x[0])?;
        }
        let inject = Tensor::scalar(group as u32 + 1).broadcast_to(shape.clone())?;
        x[0] = x[0].add(&ks[(group + 1) % 3])?;
        x[1] = x[1].add(&ks[(group + 2) % 3])?.add(&inject)?;
    }
    let [a, c] = x;
    Ok((a, c))
}

/// JAX's `threefry_2x32(keypair, count)`: hashes a u32 counter array of any shape with a
/// scalar key pair. The counters are flattened, padded with one zero when their number is
/// odd, and the first half is hashed against the second half; the two output halves are
/// concatenated, the padding dropped and the result reshaped like `count`. This is the
/// legacy (`jax_threefry_partitionable=False`) layout and also what `fold_in` uses.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::threefry::hash_counts;
/// let z = Tensor::scalar(0u32);
/// let c = Tensor::from_vec(vec![0u32, 0], [2])?;
/// let h = hash_counts(&z, &z, &c)?;
/// assert_eq!(h.eval()?.to_vec::<u32>()?, vec![0x6b200159, 0x99ba4efe]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn hash_counts(k0: &Tensor, k1: &Tensor, count: &Tensor) -> Result<Tensor> {
    u32_check("count", count)?;
    let shape = count.shape().to_vec();
    let n: usize = shape.iter().product();
    if n == 0 {
        return Ok(Tensor::zeros(DType::U32, shape));
    }
    let mut flat = count.reshape([n])?;
    let odd = n % 2 == 1;
    if odd {
        flat = Tensor::concatenate(&[flat, Tensor::zeros(DType::U32, [1])], 0)?;
    }
    let half = flat.shape()[0] / 2;
    let x0 = flat.slice(&[0], &[half], &[1])?;
    let x1 = flat.slice(&[half], &[2 * half], &[1])?;
    let (y0, y1) = threefry2x32(k0, k1, &x0, &x1)?;
    let mut out = Tensor::concatenate(&[y0, y1], 0)?;
    if odd {
        out = out.slice(&[0], &[n], &[1])?;
    }
    out.reshape(shape)
}

/// JAX's `iota_2x32_shape(shape)`: the row-major index of every element of `shape` as a
/// 64-bit count, split into `(high, low)` u32 words of that shape.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::threefry::iota_2x32_shape;
/// let (hi, lo) = iota_2x32_shape(&[2, 3])?;
/// assert_eq!(hi.eval()?.to_vec::<u32>()?, vec![0; 6]);
/// assert_eq!(lo.eval()?.to_vec::<u32>()?, vec![0, 1, 2, 3, 4, 5]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn iota_2x32_shape(shape: &[usize]) -> Result<(Tensor, Tensor)> {
    let n: u128 = shape.iter().map(|&d| d as u128).product();
    if shape.is_empty() {
        let z = Tensor::scalar(0u32);
        return Ok((z.clone(), z));
    }
    if n <= u32::MAX as u128 + 1 {
        let lo = Tensor::iota(DType::U32, [n as usize], 0)?.reshape(shape.to_vec())?;
        return Ok((Tensor::zeros(DType::U32, shape.to_vec()), lo));
    }
    if n > u64::MAX as u128 {
        return Err(Error::unsupported(
            "random_bits",
            "random bits array of size exceeding 2 ** 64",
        ));
    }
    let idx = Tensor::iota(DType::U64, [n as usize], 0)?.reshape(shape.to_vec())?;
    let hi = idx
        .shift_right_logical(&Tensor::scalar(32u64))?
        .convert(DType::U32)?;
    Ok((hi, idx.convert(DType::U32)?))
}
