//! The `ferrax` binary: plugin status and dump, run as a user would.

use std::process::Command;

fn ferrax(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrax"))
        .args(args)
        .output()
        .expect("run ferrax");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn plugin_status_prints_path_platform_and_api_version() {
    let (ok, out, err) = ferrax(&["plugin", "status"]);
    assert!(ok, "{err}");
    assert!(out.contains("plugin:"), "{out}");
    assert!(out.contains("platform: cpu"), "{out}");
    assert!(out.contains("pjrt api: 0."), "{out}");
}

#[test]
fn dump_writes_dot_and_stablehlo() {
    let dir = std::env::temp_dir().join(format!("ferrax-dump-{}", std::process::id()));
    let (ok, out, err) = ferrax(&["dump", "--out", dir.to_str().unwrap(), "--example", "mlp"]);
    assert!(ok, "{err}");
    assert!(out.contains("wrote"), "{out}");
    let dot = std::fs::read_to_string(dir.join("mlp.dot")).unwrap();
    let mlir = std::fs::read_to_string(dir.join("mlp.mlir")).unwrap();
    assert!(dot.starts_with("digraph \"mlp\""), "{dot}");
    assert!(dot.contains("dot_general"), "{dot}");
    assert!(mlir.contains("func.func public @main"), "{mlir}");
    assert!(mlir.contains("stablehlo.dot_general"), "{mlir}");
    assert!(mlir.contains("loc(\"Mlp.layer2\")"), "{mlir}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_usage_is_an_error_not_a_panic() {
    let (ok, _, err) = ferrax(&["dump"]);
    assert!(!ok);
    assert!(err.contains("dump needs --out"), "{err}");
    let (ok, _, err) = ferrax(&["frobnicate"]);
    assert!(!ok);
    assert!(err.contains("unknown command"), "{err}");
    let (ok, _, err) = ferrax(&["dump", "--out", "/tmp/x", "--example", "nope"]);
    assert!(!ok);
    assert!(err.contains("unknown example"), "{err}");
}

#[test]
fn bad_platform_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrax"))
        .args(["plugin", "status"])
        .env("FERRAX_PLATFORM", "abacus")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("abacus"), "{err}");
}

#[test]
fn bad_plugin_path_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrax"))
        .args(["plugin", "status"])
        .env("FERRAX_PJRT_PLUGIN", "/nonexistent/plugin.so")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/plugin.so"), "{err}");
}
