use ferrax::prelude::*;

#[derive(Module)]
#[module(skip)]
struct M {
    a: ferrax::nn::Param,
}

fn main() {}
