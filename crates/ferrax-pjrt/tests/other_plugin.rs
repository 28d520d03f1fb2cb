//! Optional: the same calls against another PJRT plugin, named by
//! FERRAX_TEST_EXTRA_PLUGIN (e.g. lammps-jax-pjrt-cpu 0.11.2, PJRT C API 0.115).
//! Skipped (passes with a note) when the variable is unset. Its own test binary,
//! because two XLA plugins should not share one process.

mod common;

use common::{f32_bytes, f32s, TINY};
use ferrax_pjrt::{Client, ElementType, Plugin};

#[test]
fn another_plugin_creates_compiles_and_executes() {
    let Some(path) = std::env::var_os("FERRAX_TEST_EXTRA_PLUGIN") else {
        println!("FERRAX_TEST_EXTRA_PLUGIN not set; skipping");
        return;
    };
    let p = Plugin::load(std::path::Path::new(&path)).expect("load");
    println!(
        "{}: PJRT C API {:?}, stablehlo {:?}",
        p.path().display(),
        p.api_version(),
        p.stablehlo_current_version()
    );
    let c = Client::new(&p).expect("client");
    println!(
        "platform {} devices {:?}",
        c.platform_name(),
        c.devices().expect("devices")
    );
    let exe = c.compile(TINY).expect("compile");
    let a = c
        .buffer_from_host(
            &f32_bytes(&[1., 2., 3., 4., 5., 6.]),
            ElementType::F32,
            &[2, 3],
            None,
        )
        .expect("a");
    let out = exe.execute(&[&a, &a]).expect("execute");
    assert_eq!(
        f32s(&out[0].to_host().expect("host")),
        vec![2., 4., 6., 8., 10., 12.]
    );
    assert_eq!(
        out[1].read_in_place(f32s).expect("read"),
        vec![28., 64., 64., 154.]
    );
}
