//! The real first-use path: pip download of the pinned wheel into an empty cache
//! (FERRAX_CACHE pointing at a temporary directory), from two threads at once.
//! Needs network access to PyPI; takes a few seconds and ~330 MB of scratch space.

use std::path::PathBuf;

use ferrax_pjrt::provision::{self, PluginManifest};

#[test]
fn fetches_the_pinned_cpu_plugin_into_an_empty_cache() {
    let cache: PathBuf =
        std::env::temp_dir().join(format!("ferrax-fetch-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    // This binary holds only this test, so changing the environment is safe.
    std::env::set_var(provision::ENV_CACHE, &cache);
    std::env::remove_var(provision::ENV_PLUGIN);

    let t = std::time::Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(provision::ensure_cpu_plugin))
        .collect();
    let paths: Vec<PathBuf> = threads
        .into_iter()
        .map(|h| h.join().expect("thread").expect("fetch"))
        .collect();
    println!("fetched in {:?}", t.elapsed());
    let m = PluginManifest::cpu().expect("manifest");
    assert_eq!(paths[0], m.cached_path(&cache));
    assert_eq!(paths[0], paths[1]);
    assert!(provision::verify_sha256(&paths[0], &m.sha256).is_ok());
    // No temporary files left; a lock file and the stamp may be.
    let leftovers: Vec<String> = std::fs::read_dir(&cache)
        .expect("cache")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Second call: stamp hit, no hashing.
    let t = std::time::Instant::now();
    let again = provision::ensure_cpu_plugin().expect("cached");
    println!("cached lookup in {:?}", t.elapsed());
    assert_eq!(again, paths[0]);

    // A corrupted cache entry is detected, replaced and re-verified.
    std::fs::write(&again, b"corrupted").expect("corrupt");
    let fixed = provision::ensure_cpu_plugin().expect("re-fetch");
    assert_eq!(fixed, again);
    assert!(provision::verify_sha256(&fixed, &m.sha256).is_ok());

    let _ = std::fs::remove_dir_all(&cache);
}
