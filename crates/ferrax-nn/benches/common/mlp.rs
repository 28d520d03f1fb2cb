//! The MLP the NNX benches share: `Linear` layers with `relu` between them, built eagerly
//! and materialised (one init program).

use ferrax::nn::{self, Linear, Rngs};
use ferrax::prelude::*;

#[derive(Module, Clone)]
pub struct Mlp {
    pub layers: Vec<Linear>,
}

impl Mlp {
    pub fn new(sizes: &[usize], rngs: &mut Rngs) -> ferrax::Result<Mlp> {
        let layers = sizes
            .windows(2)
            .map(|w| Linear::new(w[0], w[1], rngs))
            .collect::<ferrax::Result<_>>()?;
        let mut m = Mlp { layers };
        nn::materialize(&mut m)?;
        Ok(m)
    }
    pub fn forward(&self, x: &Tensor) -> ferrax::Result<Tensor> {
        let n = self.layers.len();
        let mut h = x.clone();
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward(&h)?;
            if i + 1 < n {
                h = nn::relu(&h)?;
            }
        }
        Ok(h)
    }
}
