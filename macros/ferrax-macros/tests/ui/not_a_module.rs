use ferrax::prelude::*;
use ferrax::nn::Param;

struct Tokenizer;

#[derive(Module)]
struct M {
    w: Param,
    tok: Tokenizer,
}

fn main() {}
