//! The Threefry-2x32 block function and the two ways JAX lays counters out for it.

use ferrax_ir::{DType, Error, Result, Tensor, TensorType};

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
/// Emitted as the first group of four rounds in straight-line code followed by a `while`
/// loop of two iterations of eight rounds (two groups, so the rotation amounts are
/// constants). Bit for bit what [`threefry2x32_jax_loop`] (JAX's CPU lowering: five
/// iterations of four rounds) and [`threefry2x32_unrolled`] compute.
///
/// Why a loop at all: the bits do not depend on it, but the float code that consumes them
/// does. XLA fuses its consumers into whatever produces the counters' hash; behind a loop
/// they are fused as in JAX's program (inputs read from the loop's results), in straight
/// line code they are not, and a reduction after `normal` (`maxwell`) then rounds
/// differently from JAX's. The consumers only see the loop's results, two u32 arrays, so
/// what the loop does inside is free: two iterations of eight constant-rotation rounds
/// make two passes over the state instead of five, and XLA emits each rotation as one
/// vector rotate instead of two variable shifts and an `or`. A loop of one iteration
/// would not do: XLA inlines it when the trip count is a constant. (Carrying the pair as
/// one u64 array would halve the integer work, which XLA duplicates into the two output
/// fusions, but the unpacking then lands in the consumers' fusion and changes how XLA
/// vectorises it: one `maxwell` golden vector moved by 1 ulp.) Where the caller only
/// needs one combination of the two words and the key is not a constant, the crate uses
/// `hash_combined` instead, which avoids both costs.
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
    let (shape, ks, mut x) = prologue(k0, k1, x0, x1)?;
    let full = |t: &Tensor| t.broadcast_to(shape.clone());
    // Group 0, then its key injection: ks[1], ks[2] + 1.
    for &r in &ROTATIONS[0] {
        x[0] = x[0].add(&x[1])?;
        x[1] = rotl(&x[1], r)?.bitxor(&x[0])?;
    }
    x[0] = x[0].add(&full(&ks[1])?)?;
    x[1] = x[1]
        .add(&full(&ks[2])?)?
        .add(&full(&Tensor::scalar(1u32))?)?;
    // Loop state: (i, x0, x1, ks[(g+1)%3], ks[(g+2)%3], ks[g%3]) for the next group g = 2i+1.
    let init = [
        Tensor::scalar(0i32),
        x[0].clone(),
        x[1].clone(),
        ks[2].clone(),
        ks[0].clone(),
        ks[1].clone(),
    ];
    let out = Tensor::while_loop(
        &init,
        |v| v[0].lt(&Tensor::scalar(2i32)),
        |v| {
            let (i, mut a, mut b) = (&v[0], v[1].clone(), v[2].clone());
            let mut sched = [v[3].clone(), v[4].clone(), v[5].clone()];
            // Groups 2i+1 (odd rotations) and 2i+2 (even ones); group g injects g + 1.
            let g1 = i.mul(&Tensor::scalar(2i32))?.add(&Tensor::scalar(1i32))?;
            for (h, rot) in [&ROTATIONS[1], &ROTATIONS[0]].into_iter().enumerate() {
                for &r in rot {
                    a = a.add(&b)?;
                    b = rotl(&b, r)?.bitxor(&a)?;
                }
                let inject = g1.add(&Tensor::scalar(h as i32 + 1))?.convert(DType::U32)?;
                a = a.add(&full(&sched[0])?)?;
                b = b.add(&full(&sched[1])?)?.add(&full(&inject)?)?;
                sched.rotate_left(1);
            }
            let [s0, s1, s2] = sched;
            Ok(vec![i.add(&Tensor::scalar(1i32))?, a, b, s0, s1, s2])
        },
    )?;
    Ok((out[1].clone(), out[2].clone()))
}

/// [`threefry2x32`] as JAX 0.10.2 lowers it on CPU: a `while` loop of five iterations of
/// four rounds, the key schedule and the rotation set rotating through the loop. The same
/// bits as [`threefry2x32`]; kept as the reference form (XLA compiles it to the same
/// program as JAX's own StableHLO for `random_bits`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax_random::threefry::threefry2x32_jax_loop;
/// let z = Tensor::scalar(0u32);
/// let (a, _) = threefry2x32_jax_loop(&z, &z, &z, &z)?;
/// assert_eq!(a.eval()?.to_vec::<u32>()?, vec![0x6b200159]);
/// # Ok::<(), ferrax::Error>(())
/// ```
pub fn threefry2x32_jax_loop(
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
/// the XLA CPU plugin it compiles and runs fastest, but XLA then fuses the consumers of
/// the bits into it, differently from JAX's program, which changes the rounding of
/// reductions over the samples (see [`threefry2x32`]).
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
    let (shape, ks, x) = prologue(k0, k1, x0, x1)?;
    let [a, c] = rounds(&shape, &ks, x)?;
    Ok((a, c))
}

/// The 20 rounds in straight-line code on counters whose first key words are already
/// injected (as [`prologue`] leaves them).
fn rounds(shape: &ferrax_ir::Shape, ks: &[Tensor; 3], mut x: [Tensor; 2]) -> Result<[Tensor; 2]> {
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
    Ok(x)
}

/// `combine(threefry2x32(k0, k1, x0, x1))` for counters `(x0, x1) = counters()`: the hash's
/// two output words combined into one array of type `out` (`b1 ^ b2` for JAX's 32-bit
/// random bits, for example). The same values as [`threefry2x32`] followed by `combine`,
/// emitted to run faster.
///
/// When the key is not a constant of the program, the hash runs in one branch of a
/// two-way `case` whose index XLA cannot see at compile time (it derives from the key but
/// always picks the hash; the other branch gives zeros and never runs). The consumers
/// then read the `case`'s result, so XLA fuses them as in JAX's program (which reads a
/// `while` loop's results), as with [`threefry2x32`]. Inside the branch the counters, the
/// 20 rounds and `combine` are one kernel that computes every hash once and writes one
/// array; [`threefry2x32`]'s loop instead carries both words through two trips, and XLA
/// computes the rounds once per word. (A one-trip `while` loop with a trip count XLA
/// cannot fold also works, but XLA then copies the hoisted result into the loop state,
/// a whole extra pass over the output.) With a constant key XLA would pick the branch,
/// inline it and fuse the consumers into the hash, so a constant key gets
/// [`threefry2x32`] followed by `combine`.
pub(crate) fn hash_combined(
    k0: &Tensor,
    k1: &Tensor,
    counters: impl FnOnce() -> Result<(Tensor, Tensor)>,
    combine: impl FnOnce(&Tensor, &Tensor) -> Result<Tensor>,
    out: TensorType,
) -> Result<Tensor> {
    let Some(first) = runtime_word(k0, k1)? else {
        let (x0, x1) = counters()?;
        let (a, b) = threefry2x32(k0, k1, &x0, &x1)?;
        return combine(&a, &b);
    };
    // 1 | (word >> 31) is 1 at run time, but not a constant to XLA.
    let index = Tensor::scalar(1u32)
        .bitor(&first.shift_right_logical(&Tensor::scalar(31u32))?)?
        .convert(DType::I32)?;
    // `case` checks that `combine` gives `out`, the type of the zeros branch.
    let res = Tensor::case(
        &index,
        &[],
        vec![
            Box::new(move |_: &[Tensor]| Ok(vec![Tensor::zeros(out.dtype, out.shape)])),
            Box::new(|_: &[Tensor]| {
                let (x0, x1) = counters()?;
                let (shape, ks, x) = prologue(k0, k1, &x0, &x1)?;
                let [a, b] = rounds(&shape, &ks, x)?;
                Ok(vec![combine(&a, &b)?])
            }),
        ],
    )?;
    res.into_iter()
        .next()
        .ok_or_else(|| Error::invalid("threefry2x32", "the hash branch lost its result"))
}

/// A u32 scalar of the key that is not a constant of the program (`k0`, or its first
/// element), or `None` when both key words are constants (or empty).
fn runtime_word(k0: &Tensor, k1: &Tensor) -> Result<Option<Tensor>> {
    u32_check("k0", k0)?;
    u32_check("k1", k1)?;
    let (k, n) = if !k0.is_constant() {
        (k0, k0.shape().iter().product::<usize>())
    } else if !k1.is_constant() {
        (k1, k1.shape().iter().product::<usize>())
    } else {
        return Ok(None);
    };
    if n == 0 {
        return Ok(None);
    }
    if k.rank() == 0 {
        return Ok(Some(k.clone()));
    }
    let first = k
        .reshape([n])?
        .slice(&[0], &[1], &[1])?
        .reshape(Vec::<usize>::new())?;
    Ok(Some(first))
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

#[cfg(test)]
mod tests {
    use super::*;
    use ferrax::prelude::*;

    type Form = fn(&Tensor, &Tensor, &Tensor, &Tensor) -> Result<(Tensor, Tensor)>;

    fn words(seed: u32, n: usize) -> Tensor {
        // Any spread of counters will do; a multiplicative hash covers high and low bits.
        let v: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_add(seed).wrapping_mul(0x9E37_79B9))
            .collect();
        Tensor::from_vec(v, [n]).expect("counters")
    }

    fn run(form: Form, k: (&Tensor, &Tensor), x: (&Tensor, &Tensor)) -> Vec<Vec<u32>> {
        let (a, b) = form(k.0, k.1, x.0, x.1).expect("trace");
        [a, b]
            .iter()
            .map(|t| t.eval().and_then(|a| a.to_vec::<u32>()).expect("run"))
            .collect()
    }

    /// The emitted form, JAX's loop form and the straight-line form agree bit for bit,
    /// with scalar keys and with one key per counter (the lanes of `vmap`).
    #[test]
    fn every_form_gives_the_same_bits() {
        let forms: [(&str, Form); 2] = [
            ("jax_loop", threefry2x32_jax_loop),
            ("unrolled", threefry2x32_unrolled),
        ];
        let (x0, x1) = (words(1, 1001), words(7, 1001));
        let scalar = (
            Tensor::scalar(0x1319_8a2eu32),
            Tensor::scalar(0x0370_7344u32),
        );
        let lanes = (words(3, 1001), words(5, 1001));
        for (kind, k) in [("scalar keys", &scalar), ("lane keys", &lanes)] {
            let want = run(threefry2x32, (&k.0, &k.1), (&x0, &x1));
            for (name, f) in forms {
                assert_eq!(run(f, (&k.0, &k.1), (&x0, &x1)), want, "{name}, {kind}");
            }
        }
    }

    /// `hash_combined` gives `combine(threefry2x32(..))` with constant keys (the plain
    /// path) and with keys fed at run time (the `case` branch), for scalar and lane keys,
    /// combined into u32 (`b1 ^ b2`), into u64 (`b1 << 32 | b2`) and into u32 pairs (that
    /// u64 reinterpreted, as `split` writes keys).
    #[test]
    fn combined_hash_matches_the_plain_hash() {
        type Combine = fn(&Tensor, &Tensor) -> Result<Tensor>;
        let xor: Combine = |a, b| a.bitxor(b);
        let pack: Combine = |a, b| {
            let h = a.convert(DType::U64)?.shift_left(&Tensor::scalar(32u64))?;
            h.bitor(&b.convert(DType::U64)?)
        };
        let pairs: Combine = |a, b| {
            let h = b.convert(DType::U64)?.shift_left(&Tensor::scalar(32u64))?;
            h.bitor(&a.convert(DType::U64)?)?.bitcast(DType::U32)
        };
        let n = 1001;
        let scalar = (
            Tensor::scalar(0x1319_8a2eu32),
            Tensor::scalar(0x0370_7344u32),
        );
        let lanes = (words(3, n), words(5, n));
        for (kind, k) in [("scalar keys", &scalar), ("lane keys", &lanes)] {
            let combines = [
                (DType::U32, vec![n], xor),
                (DType::U64, vec![n], pack),
                (DType::U32, vec![n, 2], pairs),
            ];
            for (dtype, shape, combine) in combines {
                let ty = TensorType::new(dtype, shape);
                let (a, b) = threefry2x32(&k.0, &k.1, &words(1, n), &words(7, n)).expect("hash");
                let want = combine(&a, &b).and_then(|t| t.eval()).expect("plain");
                let counters = || Ok((words(1, n), words(7, n)));
                let constant = hash_combined(&k.0, &k.1, counters, combine, ty.clone())
                    .and_then(|t| t.eval())
                    .expect("constant keys");
                let (k0, k1) = (k.0.eval().expect("k0"), k.1.eval().expect("k1"));
                let mut f = ferrax::jit(move |a: &Tensor, b: &Tensor| {
                    hash_combined(a, b, || Ok((words(1, n), words(7, n))), combine, ty.clone())
                });
                let runtime = f.call(&[&k0, &k1]).expect("run-time keys");
                for (form, got) in [("constant", constant), ("run-time", runtime)] {
                    assert_eq!(
                        got.to_bytes().expect("bytes"),
                        want.to_bytes().expect("bytes"),
                        "{kind}, {dtype}, {form}"
                    );
                }
            }
        }
    }

    #[test]
    fn known_answers() {
        let m = Tensor::scalar(u32::MAX);
        let (a, b) = threefry2x32(&m, &m, &m, &m).expect("trace");
        assert_eq!(a.eval().unwrap().to_vec::<u32>().unwrap(), [0x1cb996fc]);
        assert_eq!(b.eval().unwrap().to_vec::<u32>().unwrap(), [0xbb002be7]);
        let k = (
            Tensor::scalar(0x1319_8a2eu32),
            Tensor::scalar(0x0370_7344u32),
        );
        let x = (
            Tensor::scalar(0x243f_6a88u32),
            Tensor::scalar(0x85a3_08d3u32),
        );
        let (a, b) = threefry2x32(&k.0, &k.1, &x.0, &x.1).expect("trace");
        assert_eq!(a.eval().unwrap().to_vec::<u32>().unwrap(), [0xc4923a9c]);
        assert_eq!(b.eval().unwrap().to_vec::<u32>().unwrap(), [0x483df7a0]);
    }
}
