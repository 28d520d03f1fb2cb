//! 100,000 jitted calls with flat memory: RSS is printed at the start and the end.

use ferrax::prelude::*;

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4
}

#[test]
fn hundred_thousand_jit_calls_keep_memory_flat() {
    let mut f = ferrax::jit(|x: &Tensor, y: &Tensor| x.add(y)?.matmul(&y.t()?));
    let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).unwrap();
    let y = Array::ones([2, 3], DType::F32);
    // Warm up: compile, first allocations of the plugin's thread pools and arenas.
    for _ in 0..2_000 {
        let z: Array = f.call(&[&x, &y]).unwrap();
        assert_eq!(z.to_vec::<f32>().unwrap()[0], 9.0);
    }
    let start = rss_kib();
    let mut check = 0.0f32;
    for i in 0..100_000 {
        // Fresh host inputs every 1000 calls exercise host->device copies too.
        let xi = if i % 1000 == 0 {
            Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]).unwrap()
        } else {
            x.clone()
        };
        let z: Array = f.call(&[&xi, &y]).unwrap();
        check += z.to_vec::<f32>().unwrap()[3];
    }
    let end = rss_kib();
    println!(
        "RSS start {start} KiB, end {end} KiB, growth {} KiB",
        end as i64 - start as i64
    );
    assert_eq!(check, 1_800_000.0);
    assert_eq!(f.num_compiled(), 1);
    assert!(
        end < start + 16 * 1024,
        "RSS grew from {start} KiB to {end} KiB over 100,000 calls"
    );
}
