use ferrax::prelude::*;

#[derive(Module)]
enum Layer {
    A(ferrax::nn::Param),
    B,
}

fn main() {}
