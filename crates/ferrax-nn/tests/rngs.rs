//! `Rngs` / `RngStream` against the real Flax (scripts/golden_nnx_rngs.py) and the spec's
//! call sequences and error text.

use ferrax::nn::{self, Rngs};
use ferrax::prelude::*;
use ferrax::random;

fn kd(k: &random::Key) -> Vec<u64> {
    random::key_data(k)
        .eval()
        .unwrap()
        .to_vec::<u32>()
        .unwrap()
        .into_iter()
        .map(u64::from)
        .collect()
}

fn golden() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/golden/nnx_rngs.json"
    ))
    .expect("run scripts/golden_nnx_rngs.py");
    serde_json::from_str(&text).expect("json")
}

fn u64s(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn build(streams: &serde_json::Value) -> Rngs {
    let mut r = Rngs::new();
    for s in streams.as_array().unwrap() {
        r = r.with(s[0].as_str().unwrap(), s[1].as_i64().unwrap());
    }
    r
}

#[test]
fn call_sequences_match_flax() {
    let g = golden();
    for case in g["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("calls").is_some())
    {
        let mut rngs = build(&case["streams"]);
        for call in case["calls"].as_array().unwrap() {
            let name = call[0].as_str().unwrap();
            let key = match name {
                "__call__" => rngs.next_key().unwrap(),
                "params" => rngs.params().unwrap(),
                "dropout" => rngs.dropout().unwrap(),
                other => rngs.stream(other).unwrap().next_key().unwrap(),
            };
            assert_eq!(kd(&key), u64s(&call[1]), "stream {name}");
        }
    }
}

#[test]
fn fork_and_split_match_flax() {
    let g = golden();
    let cases = g["cases"].as_array().unwrap();
    let fork = cases.iter().find(|c| c.get("fork_then").is_some()).unwrap();
    let mut rngs = build(&fork["streams"]);
    let mut forked = rngs.stream("params").unwrap().fork().unwrap();
    assert_eq!(kd(&forked.next_key().unwrap()), u64s(&fork["fork_then"]));
    assert_eq!(kd(&rngs.params().unwrap()), u64s(&fork["after_fork"]));

    let split = cases
        .iter()
        .find(|c| c.get("split4_key_data").is_some())
        .unwrap();
    let mut rngs = build(&split["streams"]);
    let s = rngs.stream("params").unwrap().split(4).unwrap();
    assert_eq!(s.key().unwrap().shape(), &[4]);
    assert_eq!(kd(&s.key().unwrap()), u64s(&split["split4_key_data"]));
}

#[test]
fn params_zero_first_key_is_the_documented_value() {
    let mut rngs = Rngs::new().with("params", 0);
    assert_eq!(kd(&rngs.params().unwrap()), vec![1797259609, 2579123966]);
}

#[test]
fn unknown_stream_without_default_is_the_flax_error() {
    let mut rngs = Rngs::new().with("params", 0).with("dropout", 1);
    let e = rngs.stream("unkown_stream").unwrap_err();
    assert_eq!(
        e.message,
        "No RngStream named 'unkown_stream' found in Rngs."
    );
    assert!(rngs.next_key().is_err());
}

#[test]
fn rngs_state_is_keys_and_counts_that_advance() {
    let mut rngs = Rngs::seed(0).with("params", 1);
    let names: Vec<String> = nn::variables(&rngs).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        names,
        ["default.key", "default.count", "params.key", "params.count"]
    );
    rngs.params().unwrap();
    rngs.params().unwrap();
    let s = nn::State::of(&rngs).unwrap();
    assert_eq!(
        s.get("params.count").unwrap().to_vec::<u32>().unwrap(),
        vec![2]
    );
    assert_eq!(
        s.get("default.count").unwrap().to_vec::<u32>().unwrap(),
        vec![0]
    );
}

#[test]
fn drawing_from_a_split_stream_is_an_error() {
    let mut rngs = Rngs::new().with("params", 0);
    let mut s = rngs.stream("params").unwrap().split(3).unwrap();
    assert!(s.next_key().unwrap_err().to_string().contains("vmap"));
}
