//! Bad input anywhere in the user-facing API gives an error value, never a panic or abort.

use ferrax::prelude::*;
use ferrax::{ErrorKind, Runtime};

#[test]
fn deferred_operator_error_surfaces_at_eval() {
    let a = Tensor::zeros(DType::F32, [2, 3]);
    let b = Tensor::zeros(DType::F32, [4]);
    let c = (&a + &b) * 2.0;
    let e = c.eval().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Shape);
    assert!(e.to_string().contains("add"), "{e}");
}

#[test]
fn module_path_is_in_the_error() {
    let x = Tensor::zeros(DType::F32, [1, 7]);
    let w = Tensor::zeros(DType::F32, [10, 5]);
    let e =
        ferrax::scope::with("Mlp", || ferrax::scope::with("layer2", || x.matmul(&w))).unwrap_err();
    assert!(e.to_string().starts_with("Mlp.layer2 (dot_general)"), "{e}");
}

#[test]
fn jit_wrong_argument_count_is_an_error() {
    let mut f = ferrax::jit(|x: &Tensor, y: &Tensor| x.add(y));
    let a = Array::ones([2], DType::F32);
    let e = f.call(&[&a]).unwrap_err();
    assert!(e.to_string().contains("takes 2 arguments"), "{e}");
}

#[test]
fn jit_shape_error_inside_traced_function_is_an_error() {
    let mut f = ferrax::jit(|x: &Tensor, y: &Tensor| x.matmul(y));
    let a = Array::ones([2, 3], DType::F32);
    let e = f.call(&[&a, &a]).unwrap_err();
    assert!(e.to_string().contains("dot_general"), "{e}");
    // A new signature traces again; the same function works with fitting shapes.
    let b = Array::ones([3, 2], DType::F32);
    let z: Array = f.call(&[&a, &b]).unwrap();
    assert_eq!(z.to_vec::<f32>().unwrap(), vec![3.0; 4]);
}

#[test]
fn jit_retraces_per_signature_and_caches() {
    let mut f = ferrax::jit(|x: &Tensor| x.mul(x));
    for _ in 0..3 {
        let _: Array = f.call(&[&Array::ones([2], DType::F32)]).unwrap();
    }
    let _: Array = f.call(&[&Array::ones([3], DType::F32)]).unwrap();
    let _: Array = f.call(&[&Array::ones([3], DType::F64)]).unwrap();
    assert_eq!(f.num_compiled(), 3);
}

#[test]
fn array_read_as_wrong_type_is_an_error() {
    let a = Array::ones([2], DType::F32);
    assert!(a.to_vec::<i32>().is_err());
    assert!(Array::from_vec(vec![1.0f32, 2.0], [3]).is_err());
}

#[test]
fn program_the_plugin_rejects_carries_the_plugin_text() {
    let rt = Runtime::default_runtime().unwrap();
    let e = rt
        .client()
        .compile("module @m { func.func public @main() { \"stablehlo.nonsense\"() : () -> () } }")
        .unwrap_err();
    let s = e.to_string();
    assert!(s.contains("PJRT_Client_Compile"), "{s}");
    assert!(s.contains("nonsense"), "{s}");
}

#[test]
fn eval_of_a_traced_argument_is_an_error() {
    let mut seen = None;
    let mut f = ferrax::jit(|x: &Tensor| {
        seen = Some(x.eval().map(|_| ()));
        Ok(x.clone())
    });
    let _: Array = f.call(&[&Array::ones([2], DType::F32)]).unwrap();
    let e = seen.unwrap().unwrap_err();
    assert!(e.to_string().contains("traced argument"), "{e}");
}

#[test]
fn arrays_used_inside_jit_are_inputs_not_constants() {
    let w = Array::from_vec(vec![2.0f32, 3.0], [2]).unwrap();
    let mut f = ferrax::jit(|x: &Tensor| x.mul(&w.to_tensor()));
    let z: Array = f.call(&[&Array::ones([2], DType::F32)]).unwrap();
    assert_eq!(z.to_vec::<f32>().unwrap(), vec![2.0, 3.0]);
    let text = f.lower(&[&Array::ones([2], DType::F32)]).unwrap();
    assert_eq!(text.matches("tensor<2xf32>, %arg1").count(), 1, "{text}");
}
