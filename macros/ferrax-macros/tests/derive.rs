//! `#[derive(Module)]` on the shapes of struct users write.

use ferrax::nn::{self, BatchStat, Param, Variable, VariableKind};
use ferrax::prelude::*;

fn p(shape: &[usize]) -> Param {
    Param::new(Array::zeros(shape.to_vec(), DType::F32))
}

#[derive(Module)]
struct Linear {
    kernel: Param,
    bias: Option<Param>,
    din: usize,
    dout: usize,
}

fn linear(i: usize, o: usize, bias: bool) -> Linear {
    Linear {
        kernel: p(&[i, o]),
        bias: bias.then(|| p(&[o])),
        din: i,
        dout: o,
    }
}

#[derive(Module)]
struct Mlp {
    layer1: Linear,
    layer2: Linear,
    name: String,
}

#[derive(Module)]
struct Stack {
    blocks: Vec<Linear>,
    pair: [Linear; 2],
    boxed: Box<Linear>,
}

#[derive(Module)]
struct Tuple(Linear, Param);

#[derive(Module)]
struct Generic<M> {
    inner: M,
    scale: Param,
}

#[derive(Module)]
struct WithSkip {
    w: Param,
    #[module(skip)]
    cache: std::collections::HashMap<String, u32>,
}

struct Ema;
impl VariableKind for Ema {
    const NAME: &'static str = "Ema";
}

#[derive(Module)]
struct Custom {
    avg: Variable<Ema>,
    stat: BatchStat,
}

#[derive(Module)]
struct Empty;

#[derive(Module)]
#[module(crate = "ferrax::nn")]
struct ExplicitCrate {
    w: Param,
}

fn paths<M: Module>(m: &M) -> Vec<String> {
    nn::variables(m).into_iter().map(|(p, _)| p).collect()
}

#[test]
fn named_fields_nested_in_declaration_order() {
    let m = Mlp {
        layer1: linear(2, 10, true),
        layer2: linear(10, 5, false),
        name: "mlp".into(),
    };
    assert_eq!(paths(&m), ["layer1.kernel", "layer1.bias", "layer2.kernel"]);
    assert_eq!(m.layer1.din + m.layer2.dout, 7);
}

#[test]
fn vec_array_box_and_tuple_structs() {
    let s = Stack {
        blocks: vec![linear(1, 1, false), linear(1, 1, true)],
        pair: [linear(1, 1, false), linear(1, 1, false)],
        boxed: Box::new(linear(1, 1, false)),
    };
    assert_eq!(
        paths(&s),
        [
            "blocks.0.kernel",
            "blocks.1.kernel",
            "blocks.1.bias",
            "pair.0.kernel",
            "pair.1.kernel",
            "boxed.kernel"
        ]
    );
    let t = Tuple(linear(1, 1, false), p(&[3]));
    assert_eq!(paths(&t), ["0.kernel", "1"]);
}

#[test]
fn generics_skip_custom_kinds_empty_and_crate_path() {
    let g = Generic {
        inner: linear(1, 2, true),
        scale: p(&[]),
    };
    assert_eq!(paths(&g), ["inner.kernel", "inner.bias", "scale"]);
    let w = WithSkip {
        w: p(&[1]),
        cache: Default::default(),
    };
    assert_eq!(paths(&w), ["w"]);
    assert!(w.cache.is_empty());
    let c = Custom {
        avg: Variable::new(Array::zeros([2], DType::F32)),
        stat: BatchStat::new(Array::zeros([2], DType::F32)),
    };
    let mut kinds = Vec::new();
    c.visit(&mut nn::VarPath::default(), &mut |p, v| {
        kinds.push((p.to_string(), v.kind_name()))
    });
    assert_eq!(
        kinds,
        [
            ("avg".to_string(), "Ema"),
            ("stat".to_string(), "BatchStat")
        ]
    );
    assert!(paths(&Empty).is_empty());
    assert_eq!(paths(&ExplicitCrate { w: p(&[1]) }), ["w"]);
}

#[test]
fn visit_mut_writes_back_and_state_round_trips() {
    let mut m = Mlp {
        layer1: linear(2, 3, true),
        layer2: linear(3, 1, true),
        name: String::new(),
    };
    let s = nn::State::of(&m).unwrap();
    let (params, rest) = s.split(&nn::Filter::PathPrefix("layer1".into()));
    assert_eq!(params.paths(), ["layer1.kernel", "layer1.bias"]);
    assert_eq!(rest.paths(), ["layer2.kernel", "layer2.bias"]);
    let mut ones = params.clone();
    for e in &mut ones.entries {
        e.value = Array::ones(e.value.shape().to_vec(), DType::F32);
    }
    ones.apply_to(&mut m).unwrap();
    assert_eq!(
        m.layer1.kernel.array().unwrap().to_vec::<f32>().unwrap(),
        vec![1.0; 6]
    );
    // Writing a path the module lacks, or the wrong type, is an error.
    let mut bad = ones.clone();
    bad.entries[0].path = "layer9.kernel".into();
    assert!(bad
        .apply_to(&mut m)
        .unwrap_err()
        .to_string()
        .contains("layer9.kernel"));
    let mut bad = ones;
    bad.entries[0].value = Array::ones([7], DType::F32);
    assert!(bad.apply_to(&mut m).is_err());
}

#[test]
fn construction_materialises_in_one_program() {
    let rt = ferrax::Runtime::default_runtime().unwrap();
    let before = rt.cache_len();
    let mk = |n: usize| {
        Param::from_tensor(
            Tensor::ones(DType::F32, [n, 3])
                .mul(&Tensor::full(DType::F32, [n, 3], n as f64))
                .unwrap(),
        )
    };
    let mut s = Stack {
        blocks: (1..=5)
            .map(|n| Linear {
                kernel: mk(n),
                bias: None,
                din: n,
                dout: 3,
            })
            .collect(),
        pair: [linear(1, 1, false), linear(1, 1, false)],
        boxed: Box::new(linear(1, 1, false)),
    };
    nn::materialize(&mut s).unwrap();
    assert!(
        rt.cache_len() <= before + 1,
        "one program for all pending parameters"
    );
    assert_eq!(
        s.blocks[4].kernel.array().unwrap().to_vec::<f32>().unwrap(),
        vec![5.0; 15]
    );
}
