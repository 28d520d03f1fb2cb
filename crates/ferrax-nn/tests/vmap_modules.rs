//! Module-level `vmap` and `scan` (`nnx.vmap` / `nnx.scan`), with `StateAxes` and
//! `split_rngs`: the spec's vmapped `create_model` in its three forms, checked bit for bit
//! against the real Flax (scripts/golden_nnx_transforms.py) in both counter layouts.

use ferrax::nn::{self, Dropout, Filter, Linear, Rngs, ScanAxes, ScanAxis, SplitRngs, StateAxes};
use ferrax::prelude::*;
use ferrax::random::config;
use serde_json::Value;

#[derive(Module)]
struct Model {
    linear: Linear,
    dropout: Dropout,
}

impl Model {
    fn new(rngs: &mut Rngs) -> ferrax::Result<Model> {
        Ok(Model {
            linear: Linear::new(2, 3, rngs)?,
            dropout: Dropout::new(0.5, rngs)?,
        })
    }
    fn forward(&mut self, x: &Tensor) -> ferrax::Result<Tensor> {
        let h = self.linear.forward(x)?;
        self.dropout.forward(&h)
    }
}

/// `nnx.StateAxes({(nnx.Param, 'params'): 0, ...: None})`
fn spec_axes() -> StateAxes {
    StateAxes::new()
        .with(
            Filter::Any(vec![Filter::Kind("Param"), "params".into()]),
            Some(0),
        )
        .with(Filter::All, None)
}

mod common;
use common::{check_bits as check_var, f32_array, golden};

fn check_model(m: &Model, want: &Value, what: &str) {
    check_var(
        &m.linear.kernel.array().unwrap(),
        &want["linear.kernel"],
        &format!("{what} kernel"),
    );
    check_var(
        &m.linear.bias.as_ref().unwrap().array().unwrap(),
        &want["linear.bias"],
        &format!("{what} bias"),
    );
    let s = m.dropout.rngs.as_ref().unwrap();
    check_var(
        &s.key.array().unwrap(),
        &want["dropout.rngs.key"],
        &format!("{what} dropout key"),
    );
    check_var(
        &s.count.array().unwrap(),
        &want["dropout.rngs.count"],
        &format!("{what} dropout count"),
    );
}

fn check_rngs(rngs: &mut Rngs, want: &Value, what: &str) {
    for name in ["params", "dropout"] {
        let s = rngs.stream(name).unwrap();
        check_var(
            &s.key.array().unwrap(),
            &want[name]["key"],
            &format!("{what} {name} key"),
        );
        check_var(
            &s.count.array().unwrap(),
            &want[name]["count"],
            &format!("{what} {name} count"),
        );
    }
}

type Create = Box<dyn FnMut(&mut Rngs, &[Tensor]) -> ferrax::Result<(Model, Vec<Tensor>)>>;

fn create_model() -> nn::ModuleVmap<Rngs, Model, Create> {
    let f: Create = Box::new(|r: &mut Rngs, _: &[Tensor]| Ok((Model::new(r)?, vec![])));
    nn::vmap(f)
        .in_axes(spec_axes(), &[])
        .out_axes(spec_axes(), &[])
}

#[test]
fn vmapped_create_model_matches_flax_in_three_forms_and_both_layouts() {
    let g = golden("nnx_transforms.json");
    for (layout, partitionable) in [("default", true), ("legacy", false)] {
        let _scope = config::threefry_partitionable_scope(partitionable);
        let cases = g["layouts"][layout].as_array().unwrap();
        let case = cases
            .iter()
            .find(|c| c["op"] == "vmap_create_model")
            .unwrap();
        let split = SplitRngs::new(5).only("params");

        // 1. backups + restore_rngs
        let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
        let backups = nn::split_rngs(&mut rngs, &split).unwrap();
        let (model, _) = create_model().call(&mut rngs, &[]).unwrap();
        check_rngs(
            &mut rngs,
            &case["rngs_after_vmap"],
            &format!("{layout} after vmap"),
        );
        nn::restore_rngs(&mut rngs, backups).unwrap();
        check_rngs(
            &mut rngs,
            &case["rngs_restored"],
            &format!("{layout} restored"),
        );
        check_model(&model, &case["model"], layout);
        assert_eq!(
            model.dropout.rngs.as_ref().unwrap().key.shape().unwrap(),
            vec![2]
        ); // key.shape == ()

        // 2. scoped (guard), and the closure form
        let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
        let model = {
            let mut guard = split.scoped(&mut rngs).unwrap();
            create_model().call(&mut guard, &[]).unwrap().0
        };
        check_model(&model, &case["model"], &format!("{layout} scoped"));
        check_rngs(
            &mut rngs,
            &case["rngs_restored"],
            &format!("{layout} scoped restored"),
        );
        let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
        let mut create = create_model();
        let (model, _) = split.with(&mut rngs, |r| create.call(r, &[])).unwrap();
        check_model(&model, &case["model"], &format!("{layout} closure"));

        // 3. wrapped function (the decorator form)
        let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
        let mut create = create_model();
        let mut wrapped = split.clone().wrap(move |r: &mut Rngs| create.call(r, &[]));
        let (mut model, _) = wrapped(&mut rngs).unwrap();
        check_model(&model, &case["model"], &format!("{layout} wrapped"));
        check_rngs(
            &mut rngs,
            &case["rngs_restored"],
            &format!("{layout} wrapped restored"),
        );

        // The vmapped forward over the stacked parameters, dropout shared (one mask).
        let fwd_case = cases.iter().find(|c| c["op"] == "vmap_forward").unwrap();
        let x = f32_array(&fwd_case["x"]);
        let mut fwd = nn::vmap(|m: &mut Model, a: &[Tensor]| Ok(((), vec![m.forward(&a[0])?])))
            .in_axes(spec_axes(), &[None])
            .out_axes(StateAxes::all(None), &[Some(0)]);
        let (_, ys) = fwd.call(&mut model, &[x.to_tensor()]).unwrap();
        check_var(
            &ys[0].eval().unwrap(),
            &fwd_case["y"],
            &format!("{layout} forward y"),
        );
        check_model(
            &model,
            &fwd_case["model_after"],
            &format!("{layout} after forward"),
        );
    }
}

#[test]
fn vmap_errors_name_the_variable() {
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let _b = nn::split_rngs(&mut rngs, &SplitRngs::new(5).only("params")).unwrap();
    // No rule for the dropout stream.
    let only_params = StateAxes::new().with(
        Filter::Any(vec![Filter::Kind("Param"), "params".into()]),
        Some(0),
    );
    let e = nn::vmap(|r: &mut Rngs, _: &[Tensor]| Ok((Model::new(r)?, vec![])))
        .in_axes(only_params, &[])
        .out_axes(spec_axes(), &[])
        .call(&mut rngs, &[])
        .err()
        .expect("missing rule");
    assert!(
        e.to_string().contains("dropout.key") && e.to_string().contains("StateAxes"),
        "{e}"
    );
    // Output params declared shared although they differ per example.
    let e = nn::vmap(|r: &mut Rngs, _: &[Tensor]| Ok((Model::new(r)?, vec![])))
        .in_axes(spec_axes(), &[])
        .out_axes(StateAxes::all(None), &[])
        .call(&mut rngs, &[])
        .err()
        .expect("batched output with axis None");
    assert!(
        e.to_string().contains("linear.kernel") && e.to_string().contains("None"),
        "{e}"
    );
    // The input module is left as it was after an error.
    assert_eq!(
        rngs.stream("params").unwrap().key.shape().unwrap(),
        vec![5, 2]
    );
    assert!(rngs.stream("params").unwrap().key.array().is_ok());
    // Mismatched batch sizes between state and arguments.
    let mut model = nn::vmap(|r: &mut Rngs, _: &[Tensor]| Ok((Model::new(r)?, vec![])))
        .in_axes(spec_axes(), &[])
        .out_axes(spec_axes(), &[])
        .call(&mut rngs, &[])
        .unwrap()
        .0;
    let e = nn::vmap(|m: &mut Model, a: &[Tensor]| Ok(((), vec![m.linear.forward(&a[0])?])))
        .in_axes(spec_axes(), &[Some(0)])
        .call(&mut model, &[Tensor::ones(DType::F32, [4, 2])])
        .expect_err("5 vs 4");
    assert!(
        e.to_string().contains("vmap") && e.to_string().contains("size"),
        "{e}"
    );
}

#[test]
fn scan_over_stacked_layers_and_carried_rngs() -> ferrax::Result<()> {
    // Three stacked Linear layers (built with vmap), applied in sequence by scan: equals
    // applying each layer by hand.
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let mut create = nn::vmap(|r: &mut Rngs, _: &[Tensor]| Ok((Linear::new(3, 3, r)?, vec![])))
        .in_axes(spec_axes(), &[])
        .out_axes(spec_axes(), &[]);
    let (mut layers, _) = SplitRngs::new(3)
        .only("params")
        .with(&mut rngs, |r| create.call(r, &[]))?;
    let kernel = layers.kernel.array()?;
    let x = Array::from_vec(vec![0.5f32, -1.0, 2.0], [1, 3])?;
    let mut fwd = nn::scan(|l: &mut Linear, c: &[Tensor], _: &[Tensor]| {
        let y = nn::relu(&l.forward(&c[0])?)?;
        Ok((vec![y.clone()], vec![y]))
    })
    .state_axes(ScanAxes::new().with(Filter::All, ScanAxis::Scan(0)));
    let (c, ys) = fwd.call(&mut layers, &[x.to_tensor()], &[])?;
    assert_eq!(ys[0].shape(), &[3, 1, 3]);
    // By hand.
    let bias = layers.bias.as_ref().unwrap().array()?;
    let mut h = x.to_tensor();
    for i in 0..3 {
        let k = kernel
            .to_tensor()
            .slice(&[i, 0, 0], &[i + 1, 3, 3], &[1, 1, 1])?
            .reshape([3, 3])?;
        let b = bias
            .to_tensor()
            .slice(&[i, 0], &[i + 1, 3], &[1, 1])?
            .reshape([1, 3])?;
        h = nn::relu(&h.matmul(&k)?.add(&b.broadcast_to([1, 3])?)?)?;
    }
    let want = h.eval()?.to_vec::<f32>()?;
    let got = c[0].eval()?.to_vec::<f32>()?;
    for (a, b) in got.iter().zip(&want) {
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
    // The stacked parameters are written back unchanged.
    assert_eq!(
        layers.kernel.array()?.to_vec::<f32>()?,
        kernel.to_vec::<f32>()?
    );

    // RNG state carried: a Dropout's stream advances once per step.
    let mut d = Dropout::new(0.5, &mut Rngs::new().with("dropout", 7))?;
    let mut steps = nn::scan(|d: &mut Dropout, c: &[Tensor], _: &[Tensor]| {
        Ok((c.to_vec(), vec![d.forward(&Tensor::ones(DType::F32, [4]))?]))
    })
    .opts(ScanOpts::length(4));
    let (_, masks) = steps.call(&mut d, &[], &[])?;
    assert_eq!(masks[0].shape(), &[4, 4]);
    assert_eq!(
        d.rngs.as_ref().unwrap().count.array()?.to_vec::<u32>()?,
        vec![4]
    );
    // Broadcast state that the body updates is an error naming it.
    let mut d = Dropout::new(0.5, &mut Rngs::new().with("dropout", 7))?;
    let e = nn::scan(|d: &mut Dropout, c: &[Tensor], _: &[Tensor]| {
        Ok((c.to_vec(), vec![d.forward(&Tensor::ones(DType::F32, [4]))?]))
    })
    .state_axes(ScanAxes::new().with(Filter::All, ScanAxis::Broadcast))
    .opts(ScanOpts::length(2))
    .call(&mut d, &[], &[])
    .expect_err("broadcast rng updated");
    assert!(
        e.to_string().contains("rngs.count") && e.to_string().contains("broadcast"),
        "{e}"
    );
    Ok(())
}

#[test]
fn scanned_dropout_matches_flax_carried_and_split() {
    let g = golden("nnx_transforms.json");
    for (layout, partitionable) in [("default", true), ("legacy", false)] {
        let _scope = config::threefry_partitionable_scope(partitionable);
        let cases = g["layouts"][layout].as_array().unwrap();
        let xs = Tensor::ones(DType::F32, [4, 5]);
        for (op, split) in [("scan_dropout_carry", false), ("scan_dropout_split", true)] {
            let case = cases.iter().find(|c| c["op"] == op).unwrap();
            let seed = case["seed"].as_i64().unwrap();
            let mut d = Dropout::new(0.5, &mut Rngs::new().with("dropout", seed)).unwrap();
            let axes = if split {
                let _keep = nn::split_rngs(&mut d, &SplitRngs::new(4)).unwrap();
                ScanAxes::new().with(Filter::All, ScanAxis::Scan(0))
            } else {
                ScanAxes::new() // carried
            };
            let (_, ys) = nn::scan(|d: &mut Dropout, c: &[Tensor], x: &[Tensor]| {
                Ok((c.to_vec(), vec![d.forward(&x[0])?]))
            })
            .state_axes(axes)
            .call(&mut d, &[], std::slice::from_ref(&xs))
            .unwrap();
            check_var(
                &ys[0].eval().unwrap(),
                &case["ys"],
                &format!("{layout} {op} ys"),
            );
            let s = d.rngs.as_ref().unwrap();
            check_var(
                &s.key.array().unwrap(),
                &case["after"]["key"],
                &format!("{layout} {op} key"),
            );
            check_var(
                &s.count.array().unwrap(),
                &case["after"]["count"],
                &format!("{layout} {op} count"),
            );
        }
    }
}

/// The README's "Transforms" snippet, kept compiling and true.
#[test]
fn readme_transforms_snippet() -> ferrax::Result<()> {
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let axes = StateAxes::new()
        .with(
            Filter::Any(vec![Filter::Kind("Param"), "params".into()]),
            Some(0),
        )
        .with(Filter::All, None);
    let mut create = nn::vmap(|r: &mut Rngs, _: &[Tensor]| Ok((Linear::new(2, 3, r)?, vec![])))
        .in_axes(axes.clone(), &[])
        .out_axes(axes, &[]);
    let (layers, _) = SplitRngs::new(5)
        .only("params")
        .with(&mut rngs, |r| create.call(r, &[]))?;
    assert_eq!(layers.kernel.shape()?, vec![5, 2, 3]);

    let mut norms = ferrax::vmap(
        |a: &[Tensor]| Ok(vec![(&a[0] * &a[0]).sum(&[0])?]),
        &[Some(0)],
        &[Some(0)],
    );
    let n = norms.call(&[Tensor::ones(DType::F32, [4, 3])])?;
    assert_eq!(n[0].eval()?.to_vec::<f32>()?, vec![3.0; 4]);
    let (total, running) = Tensor::scan(
        |c, x| {
            let s = c[0].add(&x[0])?;
            Ok((vec![s.clone()], vec![s]))
        },
        &[Tensor::scalar(0.0f32)],
        &[Tensor::ones(DType::F32, [5])],
        ScanOpts::default(),
    )?;
    assert_eq!(total[0].eval()?.to_vec::<f32>()?, vec![5.0]);
    assert_eq!(
        running[0].eval()?.to_vec::<f32>()?,
        vec![1.0, 2.0, 3.0, 4.0, 5.0]
    );
    Ok(())
}
