//! Builds a 784-512-512-10 MLP from `Rngs(params=0)` (all initialisations in one compiled
//! program) and prints how long it took inside this process; `scripts/bench_construct.py`
//! times the whole fresh process against Flax NNX.

use ferrax::nn::{self, Linear, Rngs};
use ferrax::prelude::*;

#[derive(Module)]
struct Mlp {
    layers: Vec<Linear>,
}

fn main() -> ferrax::Result<()> {
    let t0 = std::time::Instant::now();
    let mut rngs = Rngs::new().with("params", 0);
    let sizes = [784, 512, 512, 10];
    let layers = sizes
        .windows(2)
        .map(|w| Linear::new(w[0], w[1], &mut rngs))
        .collect::<ferrax::Result<_>>()?;
    let mut m = Mlp { layers };
    nn::materialize(&mut m)?;
    let n: usize = nn::variables(&m).len();
    println!(
        "constructed {n} parameters in {:.1} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
