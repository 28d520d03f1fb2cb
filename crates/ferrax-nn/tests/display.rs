//! `nn::display`: the tree of a model's variables with Flax's per-module and total counts.
//! The numbers are those of Flax 0.12.8's repr of the same models (`nnx.display`):
//! `MLP( # RngState: 2 (12 B), Param: 85 (340 B), Total: 87 (352 B)`, `layer1=Linear( #
//! Param: 30 (120 B)`, `kernel=Param( # 20 (80 B)`, `RngKey( # 1 (8 B)`, `RngCount( # 1 (4 B)`.

use ferrax::nn::{self, BatchStat, Dropout, Linear, Param, Rngs};
use ferrax::prelude::*;

/// The randomness notebook's MLP (../shared/spec/nnx-randomness-notebook.txt).
#[derive(Module)]
struct Mlp {
    layer1: Linear,
    layer2: Linear,
}

/// The same with dropout: its forked `dropout` stream is RNG state.
#[derive(Module)]
struct MlpDropout {
    layer1: Linear,
    layer2: Linear,
    dropout: Dropout,
}

#[test]
fn notebook_mlp() {
    let mut rngs = Rngs::new().with("params", 0);
    let m = Mlp {
        layer1: Linear::new(2, 10, &mut rngs).unwrap(),
        layer2: Linear::new(10, 5, &mut rngs).unwrap(),
    };
    insta::assert_snapshot!(nn::display(&m));
}

#[test]
fn mlp_with_dropout_counts_rng_state_as_flax() {
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let m = MlpDropout {
        layer1: Linear::new(2, 10, &mut rngs).unwrap(),
        layer2: Linear::new(10, 5, &mut rngs).unwrap(),
        dropout: Dropout::new(0.5, &mut rngs).unwrap(),
    };
    let text = nn::display(&m);
    // Flax sorts attributes, so `dropout` (RngState) comes before `layer*` (Param).
    assert!(
        text.starts_with("MlpDropout # RngState: 2 (12 B), Param: 85 (340 B), Total: 87 (352 B)\n"),
        "{text}"
    );
    insta::assert_snapshot!(text);
    let counts = nn::param_counts(&m);
    assert_eq!(counts.len(), 2);
    assert_eq!(
        counts[1].1,
        nn::SizeBytes {
            size: 85,
            bytes: 340
        }
    );
}

#[derive(Module)]
struct Mixed {
    blocks: Vec<Linear>,
    mean: BatchStat,
    scale: Param,
}

#[test]
fn sequences_batch_stats_and_large_sizes() {
    let mut rngs = Rngs::seed(0);
    let m = Mixed {
        blocks: vec![
            Linear::new(300, 300, &mut rngs).unwrap(),
            Linear::new(300, 1, &mut rngs).unwrap(),
        ],
        mean: BatchStat::new(Array::zeros([3], DType::F32)),
        scale: Param::new(Array::ones([3], DType::BF16)),
    };
    insta::assert_snapshot!(nn::display(&m));
    // Rngs display on their own: two streams, each a key (8 B) and a count (4 B).
    let rngs = Rngs::new().with("params", 0).with("dropout", 1);
    assert!(nn::display(&rngs).starts_with("Rngs # RngState: 4 (24 B)\n"));
}
