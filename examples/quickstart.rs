//! Quickstart: trace a small computation, run it through the XLA CPU plugin, print it.
//!
//! `cargo run --release --example quickstart` (fetches the CPU PJRT plugin on first use).

use ferrax::prelude::*;

fn main() -> ferrax::Result<()> {
    // A traced computation: nothing runs until `eval`.
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
    let w = Tensor::from_vec(vec![0.5f32, -1.0, 0.25, 2.0, -0.5, 1.0], [3, 2])?;
    let y = x.matmul(&w)?.tanh()?;
    println!("tanh(x @ w) =\n{}", y.eval()?);

    // jit: traced once per input signature, then the compiled program runs directly.
    let mut f = ferrax::jit(|a: &Tensor, b: &Tensor| {
        let s = a.add(b)?;
        s.matmul(&b.t()?)
    });
    let a = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?;
    let b = Array::ones([2, 3], DType::F32);
    let z: Array = f.call(&[&a, &b])?;
    println!("(a + b) @ b.T =\n{z}");

    // Shape errors are values naming the op.
    if let Err(e) = x.matmul(&x) {
        println!("error as expected: {e}");
    }
    Ok(())
}
