//! A tour of ferrax's `jax.random`: keys, `split`, `fold_in`, raw bits and a few
//! distributions, in both of JAX's counter layouts. Every number printed here is what JAX
//! 0.10.2 prints for the same calls.
//!
//!     cargo run -p ferrax-random --example rng_tour

use ferrax::prelude::*;
use ferrax_random::{self as random, config, CategoricalOpts, SampleOpts, UniformOpts};

fn show(name: &str, t: &Tensor) -> ferrax::Result<()> {
    let a = t.eval()?;
    println!("{name:<34} {a}");
    Ok(())
}

fn main() -> ferrax::Result<()> {
    // key(0) holds [0, 0]; fold_in(key, 0) is the first key an `nnx.Rngs(0)` stream hands out.
    let key = random::key(0);
    show("key_data(key(0))", &random::key_data(&key))?;
    show(
        "key_data(fold_in(key, 0))",
        &random::key_data(&random::fold_in(&key, 0)?),
    )?;

    // split: in the default (partitionable) layout split(k, n)[i] == fold_in(k, i).
    let keys = random::split(&key, 3)?;
    show("key_data(split(key, 3))", &random::key_data(&keys))?;
    let (k1, k2) = (keys.get(1)?, keys.get(2)?);

    // Raw bits and the basic samplers.
    show("bits(k1, [4])", &random::bits(&k1, &[4], None)?)?;
    show(
        "bits(k1, [4], u8)",
        &random::bits(&k1, &[4], Some(DType::U8))?,
    )?;
    show(
        "uniform(k1, [3], -1..1)",
        &random::uniform(&k1, &[3], UniformOpts::default().minval(-1.0).maxval(1.0))?,
    )?;
    show("normal(k2, [2, 3])", &random::normal(&k2, &[2, 3], None)?)?;
    show(
        "truncated_normal(k2, -2, 2, [4])",
        &random::truncated_normal(&k2, -2.0, 2.0, SampleOpts::default().shape(&[4]))?,
    )?;
    show(
        "randint(k1, [6], 0, 10)",
        &random::randint(&k1, &[6], 0, 10, None)?,
    )?;
    show(
        "permutation(k2, 8)",
        &random::permutation(&k2, 8, Default::default())?,
    )?;
    let logits = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 3.0], [4])?;
    show(
        "categorical(k1, logits, [5])",
        &random::categorical(&k1, &logits, CategoricalOpts::default().shape(&[5]))?,
    )?;
    show(
        "gumbel(k2, [3])",
        &random::gumbel(&k2, &[3], Default::default())?,
    )?;
    show(
        "exponential(k1, [3], bf16)",
        &random::exponential(&k1, &[3], Some(DType::BF16))?,
    )?;

    // The legacy layout (jax_threefry_partitionable=False), scoped to a block.
    {
        let _legacy = config::threefry_partitionable_scope(false);
        show(
            "legacy: key_data(split(key, 3))",
            &random::key_data(&random::split(&key, 3)?),
        )?;
        show(
            "legacy: normal(key, [3])",
            &random::normal(&key, &[3], None)?,
        )?;
    }

    // 64-bit mode: seeds keep all 64 bits and samplers default to f64.
    {
        let _x64 = config::enable_x64_scope(true);
        let big = random::key((1 << 40) + 3);
        show("x64: key_data(key(2^40 + 3))", &random::key_data(&big))?;
        show(
            "x64: uniform(key, [2])",
            &random::uniform(&big, &[2], Default::default())?,
        )?;
    }
    Ok(())
}
