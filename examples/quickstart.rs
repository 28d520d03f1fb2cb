//! Quickstart: the NNX randomness notebook's MLP (Linear 2->10, relu, Linear 10->5) built
//! from `Rngs(params=0)` and applied to `ones((1, 2))`; prints exactly what Flax prints:
//! `[[-0.15895452 -1.1049775 1.2165147 0.62828314 0.571608]]`.
//!
//! `cargo run --release --example quickstart` (fetches the CPU PJRT plugin on first use).

use ferrax::nn::{self, Linear, Rngs};
use ferrax::prelude::*;

#[derive(Module)]
struct Mlp {
    layer1: Linear,
    layer2: Linear,
}

impl Mlp {
    fn new(din: usize, dhidden: usize, dout: usize, rngs: &mut Rngs) -> ferrax::Result<Mlp> {
        let mut m = Mlp {
            layer1: Linear::new(din, dhidden, rngs)?,
            layer2: Linear::new(dhidden, dout, rngs)?,
        };
        // All pending initialisations run in one compiled program.
        nn::materialize(&mut m)?;
        Ok(m)
    }

    fn forward(&mut self, x: &Tensor) -> ferrax::Result<Tensor> {
        let h = ferrax::scope::with("Mlp.layer1", || self.layer1.forward(x))?;
        let h = nn::relu(&h)?;
        ferrax::scope::with("Mlp.layer2", || self.layer2.forward(&h))
    }
}

fn main() -> ferrax::Result<()> {
    let mut rngs = Rngs::new().with("params", 0);
    let mut model = Mlp::new(2, 10, 5, &mut rngs)?;
    let mut step = ferrax::jit(|m: &mut Mlp, x: &Tensor| m.forward(x));
    let y: Array = step.call(&mut model, &Array::ones([1, 2], DType::F32))?;
    println!("{y}");
    Ok(())
}
