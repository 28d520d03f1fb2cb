use ferrax::prelude::*;
use ferrax::nn::Param;

// Every problem is reported, not only the first.
#[derive(Module)]
#[module(static)]
struct M {
    #[module(frozen)]
    a: Param,
    #[module(skip = true)]
    b: Param,
    #[module(crate = "x")]
    c: Param,
}

fn main() {}
