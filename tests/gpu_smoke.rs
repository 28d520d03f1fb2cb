//! GPU smoke test: the tiny program and threefry's known answers on the CUDA PJRT plugin.
//! Skips (with the reason printed) where no CUDA plugin or GPU is present, as in CI.

use ferrax::prelude::*;
use ferrax::{Platform, Runtime};

#[test]
fn gpu_smoke() {
    let rt = match Runtime::for_platform(Platform::Cuda) {
        Ok(rt) => rt,
        Err(e) => {
            println!("skipping gpu_smoke: no CUDA PJRT plugin/device: {e}");
            return;
        }
    };
    println!(
        "platform {} ({}), plugin {}, PJRT API {:?}",
        rt.client().platform_name(),
        rt.client().platform_version(),
        rt.plugin().path().display(),
        rt.plugin().api_version()
    );
    for d in rt.client().devices().expect("devices") {
        println!("device {} {}", d.id(), d.kind());
    }
    let t = TensorType::new(DType::F32, [2, 3]);
    let g = ferrax::jit::trace_graph(&[t.clone(), t], |x: &Tensor, y: &Tensor| {
        x.add(y)?.matmul(&y.t()?)
    })
    .expect("trace");
    let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).expect("x");
    let y = Array::ones([2, 3], DType::F32);
    let out = ferrax::exec::run_graph(&rt, &g, &[x, y]).expect("run on gpu");
    let v = out[0].to_vec::<f32>().expect("read");
    println!("tiny program on GPU: {v:?}");
    assert_eq!(v, vec![9.0, 9.0, 18.0, 18.0]);

    let u = TensorType::scalar(DType::U32);
    let g = ferrax::jit::trace_graph(
        &[u.clone(), u.clone(), u.clone(), u],
        |a: &Tensor, b: &Tensor, c: &Tensor, d: &Tensor| ferrax_random::threefry2x32(a, b, c, d),
    )
    .expect("trace threefry");
    let args: Vec<Array> = [0x13198a2eu32, 0x03707344, 0x243f6a88, 0x85a308d3]
        .iter()
        .map(|&v| Array::scalar(v))
        .collect();
    let out = ferrax::exec::run_graph(&rt, &g, &args).expect("threefry on gpu");
    let (a, b) = (
        out[0].to_vec::<u32>().unwrap()[0],
        out[1].to_vec::<u32>().unwrap()[0],
    );
    println!("threefry on GPU: ({a:#010x}, {b:#010x})");
    assert_eq!((a, b), (0xc4923a9c, 0x483df7a0));
}
