//! threefry2x32 composed of graph ops, run through the PJRT CPU plugin, against the known
//! answers in shared/notes/threefry.md (the Random123 / JAX test vectors).

use ferrax::prelude::*;
use ferrax_random::threefry2x32;

fn run(k: (u32, u32), x: (u32, u32)) -> (u32, u32) {
    let t = |v: u32| Tensor::scalar(v);
    let (a, b) = threefry2x32(&t(k.0), &t(k.1), &t(x.0), &t(x.1)).unwrap();
    let out = ferrax::eval_many(&[a, b]).unwrap();
    (
        out[0].to_vec::<u32>().unwrap()[0],
        out[1].to_vec::<u32>().unwrap()[0],
    )
}

#[test]
fn known_answer_zeros() {
    assert_eq!(run((0, 0), (0, 0)), (0x6b200159, 0x99ba4efe));
}

#[test]
fn known_answer_ones() {
    assert_eq!(
        run((0xffffffff, 0xffffffff), (0xffffffff, 0xffffffff)),
        (0x1cb996fc, 0xbb002be7)
    );
}

#[test]
fn known_answer_pi() {
    assert_eq!(
        run((0x13198a2e, 0x03707344), (0x243f6a88, 0x85a308d3)),
        (0xc4923a9c, 0x483df7a0)
    );
}

#[test]
fn known_answers_vectorised_and_as_program_inputs() {
    // Keys and counters as arrays fed at run time (program inputs, not constants), so the
    // plugin, not the host constant folder, computes every round.
    let k0 = Array::from_vec(vec![0u32, 0xffffffff, 0x13198a2e], [3]).unwrap();
    let k1 = Array::from_vec(vec![0u32, 0xffffffff, 0x03707344], [3]).unwrap();
    let x0 = Array::from_vec(vec![0u32, 0xffffffff, 0x243f6a88], [3]).unwrap();
    let x1 = Array::from_vec(vec![0u32, 0xffffffff, 0x85a308d3], [3]).unwrap();
    let mut f =
        ferrax::jit(|a: &Tensor, b: &Tensor, c: &Tensor, d: &Tensor| threefry2x32(a, b, c, d));
    let (y0, y1) = f.call(&[&k0, &k1, &x0, &x1]).unwrap();
    assert_eq!(
        y0.to_vec::<u32>().unwrap(),
        vec![0x6b200159, 0x1cb996fc, 0xc4923a9c]
    );
    assert_eq!(
        y1.to_vec::<u32>().unwrap(),
        vec![0x99ba4efe, 0xbb002be7, 0x483df7a0]
    );
}

#[test]
fn wrong_dtype_is_an_error() {
    let f = Tensor::scalar(0f32);
    let u = Tensor::scalar(0u32);
    let e = threefry2x32(&f, &u, &u, &u).unwrap_err();
    assert!(e.to_string().contains("k0 must be u32"), "{e}");
}
