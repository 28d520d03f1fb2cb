//! # ferrax-random
//!
//! JAX's counter-based PRNG, built as compositions of `ferrax-ir` primitive ops so the XLA
//! plugin computes the same bits JAX does. This first part holds the core block function,
//! [`threefry2x32`]; keys, `split`, `fold_in`, `bits` and the distributions build on it.

#![warn(missing_docs)]

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
    for (n, t) in [("k0", k0), ("k1", k1), ("x0", x0), ("x1", x1)] {
        u32_check(n, t)?;
    }
    let shape = ferrax_ir::rules::broadcast_shapes(
        "threefry2x32",
        &ferrax_ir::Shape(x0.shape().to_vec()),
        &ferrax_ir::Shape(x1.shape().to_vec()),
    )?;
    let b = |t: &Tensor| t.broadcast_to(shape.clone());
    let ks = [
        b(k0)?,
        b(k1)?,
        b(&k0.bitxor(k1)?.bitxor(&Tensor::scalar(PARITY))?)?,
    ];
    let mut x = [b(x0)?.add(&ks[0])?, b(x1)?.add(&ks[1])?];
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
