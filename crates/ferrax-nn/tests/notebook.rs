//! The NNX randomness notebook (../shared/spec/nnx-randomness-notebook.txt): its MLP built
//! from `Rngs(params=0)` prints exactly the notebook's numbers, and the Linear kernel equals
//! `lecun_normal(fold_in(key(0), 0), (3, 2))` (shared/notes/threefry.md).

use ferrax::nn::{self, init, Linear, Rngs};
use ferrax::prelude::*;
use ferrax::random;

#[derive(Module)]
struct Mlp {
    layer1: Linear,
    layer2: Linear,
}

#[test]
fn notebook_mlp_prints_flax_numbers() {
    let mut rngs = Rngs::new().with("params", 0);
    let mut m = Mlp {
        layer1: Linear::new(2, 10, &mut rngs).unwrap(),
        layer2: Linear::new(10, 5, &mut rngs).unwrap(),
    };
    nn::materialize(&mut m).unwrap();
    // Two `params` keys per Linear (kernel, bias), even though bias_init is zeros.
    assert_eq!(
        nn::State::of(&rngs)
            .unwrap()
            .get("params.count")
            .unwrap()
            .to_vec::<u32>()
            .unwrap(),
        vec![4]
    );
    let x = Array::ones([1, 2], DType::F32);
    let mut f = ferrax::jit(|x: &Tensor| {
        let h = nn::relu(&m.layer1.forward(x)?)?;
        m.layer2.forward(&h)
    });
    let y: Array = f.call(&[&x]).unwrap();
    assert_eq!(
        y.to_string(),
        "[[-0.15895452 -1.1049775 1.2165147 0.62828314 0.571608]]"
    );
}

#[test]
fn linear_kernel_is_lecun_normal_of_the_first_params_key() {
    let mut rngs = Rngs::new().with("params", 0);
    let l = Linear::new(3, 2, &mut rngs).unwrap();
    let k = random::fold_in(&random::key(0), 0u32).unwrap();
    let want = (init::lecun_normal())(&k, &[3, 2], DType::F32)
        .unwrap()
        .eval()
        .unwrap();
    let got = l.kernel.array().unwrap();
    let bits = |a: &Array| {
        a.to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&got), bits(&want));
}

#[test]
fn linear_wrong_feature_count_names_the_module_path() {
    let mut rngs = Rngs::new().with("params", 0);
    let m = Mlp {
        layer1: Linear::new(2, 10, &mut rngs).unwrap(),
        layer2: Linear::new(10, 5, &mut rngs).unwrap(),
    };
    let h = Tensor::ones(DType::F32, [1, 7]);
    let e = ferrax::scope::with("Mlp.layer2", || m.layer2.forward(&h)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Mlp.layer2 (Linear 10->5): input has 7 features, expected 10"
    );
}

#[test]
fn dropout_rate_out_of_range_is_an_error() {
    let mut rngs = Rngs::new().with("dropout", 0);
    assert!(nn::Dropout::new(-0.1, &mut rngs).is_err());
    assert!(nn::Dropout::new(f64::NAN, &mut rngs).is_err());
    assert!(nn::Dropout::new(0.5, &mut Rngs::new().with("params", 0)).is_err());
}
