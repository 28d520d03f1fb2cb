//! `split_rngs` / `fork_rngs` / `restore_rngs` against the real Flax
//! (scripts/golden_nnx_transforms.py), in both counter layouts, and the spec's key shapes
//! in the three forms (backups + restore, scoped guard / closure, wrapped function).

use ferrax::nn::{self, Filter, ForkRngs, Rngs, SplitRngs};
use ferrax::prelude::*;
use ferrax::random::config;
use serde_json::Value;

mod common;
use common::{check_bits, golden, shaped_bits, usizes};

/// Key data (JAX's `key_data`, with the word axis) and count of both streams.
fn check_streams(rngs: &mut Rngs, want: &Value, what: &str) {
    for name in ["params", "dropout"] {
        let s = rngs.stream(name).unwrap();
        let (key, count) = (s.key.array().unwrap(), s.count.array().unwrap());
        check_bits(&key, &want[name]["key"], &format!("{what}: {name} key"));
        check_bits(
            &count,
            &want[name]["count"],
            &format!("{what}: {name} count"),
        );
    }
}

fn layouts() -> Vec<(&'static str, bool)> {
    vec![("default", true), ("legacy", false)]
}

#[test]
fn split_and_fork_match_flax_in_both_layouts() {
    let g = golden("nnx_transforms.json");
    for (layout, partitionable) in layouts() {
        let _scope = config::threefry_partitionable_scope(partitionable);
        for case in g["layouts"][layout].as_array().unwrap() {
            let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
            let backups = match case["op"].as_str().unwrap() {
                "split_rngs" => {
                    let splits = usizes(&case["splits"]);
                    let mut opts =
                        SplitRngs::new(splits).squeeze(case["squeeze"].as_bool().unwrap());
                    if let Some(only) = case["only"].as_str() {
                        opts = opts.only(only);
                    }
                    let b = nn::split_rngs(&mut rngs, &opts).unwrap();
                    check_streams(&mut rngs, &case["split"], &format!("{layout} {case:.80}"));
                    b
                }
                "fork_rngs" => {
                    let opts = match case["split"].as_u64() {
                        Some(n) => ForkRngs::split(n as usize),
                        None => ForkRngs::new(),
                    };
                    let b = nn::fork_rngs(&mut rngs, &opts).unwrap();
                    check_streams(&mut rngs, &case["forked"], &format!("{layout} fork"));
                    b
                }
                _ => continue,
            };
            nn::restore_rngs(&mut rngs, backups).unwrap();
            check_streams(&mut rngs, &case["restored"], &format!("{layout} restored"));
            if let Some(next) = case.get("next_params_after_restore") {
                let k = rngs.params().unwrap();
                let data = ferrax::random::key_data(&k).eval().unwrap();
                assert_eq!(data.to_vec::<u32>().unwrap(), shaped_bits(next).1);
            }
        }
    }
}

fn key_shape(rngs: &mut Rngs, name: &str) -> Vec<usize> {
    let s = rngs.stream(name).unwrap().key.shape().unwrap();
    s[..s.len() - 1].to_vec()
}

#[test]
fn spec_key_shapes() -> ferrax::Result<()> {
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let _b = nn::split_rngs(&mut rngs, &SplitRngs::new(5))?;
    assert_eq!(
        (
            key_shape(&mut rngs, "params"),
            key_shape(&mut rngs, "dropout")
        ),
        (vec![5], vec![5])
    );

    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let _b = nn::split_rngs(&mut rngs, &SplitRngs::new([2, 5]))?;
    assert_eq!(key_shape(&mut rngs, "params"), vec![2, 5]);
    assert_eq!(key_shape(&mut rngs, "dropout"), vec![2, 5]);

    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let _b = nn::split_rngs(&mut rngs, &SplitRngs::new(5).only("params"))?;
    assert_eq!(key_shape(&mut rngs, "params"), vec![5]);
    assert_eq!(key_shape(&mut rngs, "dropout"), Vec::<usize>::new());
    Ok(())
}

#[test]
fn scoped_closure_and_wrapped_forms_restore() -> ferrax::Result<()> {
    let opts = SplitRngs::new(5).only("params");
    let reference = {
        let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
        let b = nn::split_rngs(&mut rngs, &opts)?;
        nn::restore_rngs(&mut rngs, b)?;
        rngs.stream("params")?.key.array()?.to_vec::<u32>()?
    };
    // Guard.
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    {
        let mut g = opts.scoped(&mut rngs)?;
        assert_eq!(key_shape(&mut g, "params"), vec![5]);
    }
    assert_eq!(key_shape(&mut rngs, "params"), Vec::<usize>::new());
    assert_eq!(
        rngs.stream("params")?.key.array()?.to_vec::<u32>()?,
        reference
    );
    // Closure, restoring even when the closure fails.
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let seen = opts.with(&mut rngs, |r| Ok(key_shape(r, "params")))?;
    assert_eq!(seen, vec![5]);
    let err = opts.with(&mut rngs, |_| -> ferrax::Result<()> {
        Err(ferrax::Error::invalid("user", "boom"))
    });
    assert!(err.is_err());
    assert_eq!(key_shape(&mut rngs, "params"), Vec::<usize>::new());
    // Wrapped function.
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let mut f = opts.clone().wrap(|r: &mut Rngs| Ok(key_shape(r, "params")));
    assert_eq!(f(&mut rngs)?, vec![5]);
    assert_eq!(key_shape(&mut rngs, "params"), Vec::<usize>::new());
    assert_eq!(
        rngs.stream("params")?.key.array()?.to_vec::<u32>()?,
        reference
    );
    // A fork the same ways.
    let mut rngs = Rngs::new().with("params", 0);
    ForkRngs::new().with(&mut rngs, |r| {
        assert_eq!(key_shape(r, "params"), Vec::<usize>::new());
        Ok(())
    })?;
    Ok(())
}

#[test]
fn errors_not_panics() {
    let mut rngs = Rngs::new().with("params", 0);
    let e = nn::split_rngs(&mut rngs, &SplitRngs::new(5).squeeze(true))
        .err()
        .expect("squeeze with splits=5 must fail");
    assert!(e.to_string().contains("squeeze"), "{e}");
    // Splitting an already split stream asks for a scalar key.
    let _b = nn::split_rngs(&mut rngs, &SplitRngs::new(5)).unwrap();
    let e = nn::split_rngs(&mut rngs, &SplitRngs::new(2))
        .err()
        .expect("nested split must fail");
    assert!(
        e.to_string().contains("params") && e.to_string().contains("split_rngs"),
        "{e}"
    );
    // A filter that selects nothing is fine and restores to nothing.
    let b = nn::split_rngs(&mut rngs, &SplitRngs::new(2).only(Filter::Nothing)).unwrap();
    assert!(b.is_empty());
}
