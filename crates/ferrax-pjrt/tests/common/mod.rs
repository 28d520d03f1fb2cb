//! Shared helpers for the integration tests: one plugin and one client per
//! process (a PJRT plugin is initialised once per process).
#![allow(dead_code)]

use std::sync::OnceLock;

use ferrax_pjrt::{provision, Client, Plugin};

/// The tiny program from the PJRT notes: (a + b, (a + b) . b^T), generic form.
pub const TINY: &str = r#""builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>):
    %0 = "stablehlo.add"(%arg0, %arg1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
    %1 = "stablehlo.dot_general"(%0, %arg1) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [1]>} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x2xf32>
    "func.return"(%0, %1) : (tensor<2x3xf32>, tensor<2x2xf32>) -> ()
  }) {function_type = (tensor<2x3xf32>, tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x2xf32>), sym_name = "main", sym_visibility = "public"} : () -> ()
}) {sym_name = "tiny"} : () -> ()"#;

pub fn plugin() -> Plugin {
    static P: OnceLock<Plugin> = OnceLock::new();
    P.get_or_init(|| {
        let path = provision::ensure_cpu_plugin().expect("CPU plugin available");
        Plugin::load(&path).expect("plugin loads")
    })
    .clone()
}

pub fn client() -> Client {
    static C: OnceLock<Client> = OnceLock::new();
    C.get_or_init(|| Client::new(&plugin()).expect("client"))
        .clone()
}

pub fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Resident set size in bytes, from /proc/self/statm.
pub fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}
