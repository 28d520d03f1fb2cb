//! 100,000 upload + execute + read calls must not grow memory.

mod common;

use common::{client, f32_bytes, rss_bytes, TINY};
use ferrax_pjrt::ElementType;

#[test]
fn hundred_thousand_executions_do_not_leak() {
    let c = client();
    let exe = c.compile(TINY).expect("compile");
    let data = f32_bytes(&[1., 2., 3., 4., 5., 6.]);
    let step = || {
        let a = c
            .buffer_from_host(&data, ElementType::F32, &[2, 3], None)
            .expect("a");
        let b = c
            .buffer_from_host(&data, ElementType::F32, &[2, 3], None)
            .expect("b");
        let out = exe.execute(&[&a, &b]).expect("execute");
        out[1].read_in_place(|bytes| bytes[0]).expect("read")
    };
    for _ in 0..2_000 {
        std::hint::black_box(step());
    }
    let n = 100_000;
    let before = rss_bytes();
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(step());
    }
    let dt = t.elapsed();
    let after = rss_bytes();
    let growth = after as i64 - before as i64;
    println!(
        "{n} calls in {dt:?} ({:.2} us/call); RSS {:.1} MB -> {:.1} MB (growth {:.2} MB)",
        dt.as_secs_f64() * 1e6 / n as f64,
        before as f64 / 1e6,
        after as f64 / 1e6,
        growth as f64 / 1e6
    );
    assert!(growth < 8_000_000, "RSS grew by {growth} bytes");
}
