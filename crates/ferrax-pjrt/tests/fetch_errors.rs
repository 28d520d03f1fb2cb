//! Each way the first-use fetch can fail gives an error that says what to do.
//! One test (it changes the environment), no network: the package index is an
//! unreachable local port.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use ferrax_pjrt::provision;

fn fake_python(dir: &Path, stderr: &str) -> std::path::PathBuf {
    let p = dir.join("fake-python");
    std::fs::write(&p, format!("#!/bin/sh\necho '{stderr}' >&2\nexit 1\n")).expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

#[test]
fn fetch_failures_explain_what_to_do() {
    let dir = std::env::temp_dir().join(format!("ferrax-fetch-errors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let cache = dir.join("cache");
    std::env::remove_var(provision::ENV_PLUGIN);
    std::env::set_var(provision::ENV_CACHE, &cache);

    // FERRAX_PJRT_PLUGIN pointing nowhere.
    std::env::set_var(provision::ENV_PLUGIN, dir.join("missing.so"));
    let e = provision::ensure_cpu_plugin()
        .expect_err("missing override")
        .to_string();
    println!("{e}\n");
    assert!(
        e.contains("FERRAX_PJRT_PLUGIN") && e.contains("missing.so"),
        "{e}"
    );
    std::env::remove_var(provision::ENV_PLUGIN);

    // No Python.
    std::env::set_var(provision::ENV_PYTHON, dir.join("no-such-python"));
    let e = provision::ensure_cpu_plugin()
        .expect_err("no python")
        .to_string();
    println!("{e}\n");
    assert!(
        e.contains("was not found") && e.contains("FERRAX_PJRT_PLUGIN"),
        "{e}"
    );

    // Python without pip.
    let py = fake_python(&dir, "/usr/bin/python3: No module named pip");
    std::env::set_var(provision::ENV_PYTHON, &py);
    let e = provision::ensure_cpu_plugin()
        .expect_err("no pip")
        .to_string();
    println!("{e}\n");
    assert!(
        e.contains("pip is not installed") && e.contains("FERRAX_PJRT_PLUGIN"),
        "{e}"
    );

    // Registry unreachable (real pip, index on a closed local port).
    std::env::set_var(provision::ENV_PYTHON, "python3");
    std::env::set_var("PIP_INDEX_URL", "http://127.0.0.1:9/simple");
    std::env::set_var("PIP_RETRIES", "0");
    std::env::set_var("PIP_TIMEOUT", "2");
    std::env::set_var("PIP_NO_CACHE_DIR", "1");
    match provision::ensure_cpu_plugin() {
        Err(e) => {
            let e = e.to_string();
            println!("{e}\n");
            if !e.contains("was not found") {
                assert!(
                    e.contains("network or package index") && e.contains("FERRAX_PJRT_PLUGIN"),
                    "{e}"
                );
            }
        }
        Ok(p) => panic!("fetched {p:?} from an unreachable index"),
    }
    // Nothing half-done is left in the cache.
    let partial: Vec<_> = std::fs::read_dir(&cache)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    assert!(partial.is_empty(), "{partial:?}");
    assert!(!cache.join("xla-cpu-pjrt-0.0.1/xla_cpu_pjrt.so").exists());

    // A bad FERRAX_PLATFORM value.
    std::env::set_var(provision::ENV_PLATFORM, "quantum");
    let e = provision::Platform::from_env()
        .expect_err("bad platform")
        .to_string();
    assert!(
        e.contains("quantum") && e.contains("cpu, cuda or tpu"),
        "{e}"
    );
    std::env::remove_var(provision::ENV_PLATFORM);

    let _ = std::fs::remove_dir_all(&dir);
}
