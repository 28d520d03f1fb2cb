//! The persistent executable cache against the real CPU plugin: serialize / load back,
//! entries checked before use (corrupt, truncated, misplaced and foreign files are
//! recompiled and replaced, never handed to the plugin), the environment switch.

mod common;

use common::{client, f32_bytes, f32s, TINY};
use ferrax_pjrt::exe_cache::{ENV_COMPILE_CACHE, ENV_COMPILE_CACHE_DIR};
use ferrax_pjrt::{CacheOutcome, ElementType, ExeCache, LoadedExecutable};
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferrax-exe-cache-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs TINY on a = [0..6], b = ones and checks both results.
fn check_tiny(exe: &LoadedExecutable) {
    let c = client();
    let a = c
        .buffer_from_host(
            &f32_bytes(&[0., 1., 2., 3., 4., 5.]),
            ElementType::F32,
            &[2, 3],
            None,
        )
        .unwrap();
    let b = c
        .buffer_from_host(&f32_bytes(&[1.; 6]), ElementType::F32, &[2, 3], None)
        .unwrap();
    let out = exe.execute(&[&a, &b]).unwrap();
    assert_eq!(f32s(&out[0].to_host().unwrap()), [1., 2., 3., 4., 5., 6.]);
    assert_eq!(f32s(&out[1].to_host().unwrap()), [6., 6., 15., 15.]);
    // The signature travels with a loaded executable too.
    assert!(exe.execute(&[&a]).is_err());
}

#[test]
fn serialize_and_load_back_runs_the_same_program() {
    let c = client();
    let exe = c.compile(TINY).unwrap();
    let bytes = exe.serialize().unwrap();
    assert!(bytes.len() > 100, "{} bytes", bytes.len());
    let sig = ferrax_pjrt::parse_main_signature(TINY);
    let back = c.deserialize_executable(&bytes, sig).unwrap();
    assert_eq!(back.num_outputs(), 2);
    check_tiny(&back);
}

#[test]
fn stored_then_hit_then_every_bad_entry_is_replaced() {
    let c = client();
    let dir = temp_dir("entries");
    let cache = ExeCache::in_dir(&dir);
    let path = cache.entry_path(&cache.key(&c, TINY));

    let (exe, o) = cache.compile(&c, TINY, None).unwrap();
    assert_eq!(o, CacheOutcome::Stored);
    check_tiny(&exe);
    assert!(path.exists());
    let good = std::fs::read(&path).unwrap();

    let (exe, o) = cache.compile(&c, TINY, None).unwrap();
    assert_eq!(o, CacheOutcome::Hit);
    check_tiny(&exe);

    let replaced = |bytes: Vec<u8>, why: &str| {
        std::fs::write(&path, bytes).unwrap();
        let (exe, o) = cache.compile(&c, TINY, None).unwrap();
        match o {
            CacheOutcome::Replaced(r) => assert!(r.contains(why), "{r}"),
            o => panic!("expected a replaced entry ({why}), got {o:?}"),
        }
        check_tiny(&exe);
        // Rewritten: the next lookup hits.
        assert_eq!(cache.compile(&c, TINY, None).unwrap().1, CacheOutcome::Hit);
    };
    // One flipped payload bit.
    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 10] ^= 0x10;
    replaced(flipped, "checksum");
    // Cut short.
    replaced(good[..good.len() / 2].to_vec(), "truncated");
    // Not an entry at all.
    replaced(b"garbage".to_vec(), "not a ferrax executable entry");
    // A valid entry of another program, under this program's name.
    let other = TINY.replace("sym_name = \"tiny\"", "sym_name = \"other\"");
    let (_, o) = cache.compile(&c, &other, None).unwrap();
    assert_eq!(o, CacheOutcome::Stored);
    let other_entry = std::fs::read(cache.entry_path(&cache.key(&c, &other))).unwrap();
    replaced(other_entry, "another key");

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_depend_on_the_program_text() {
    let c = client();
    let cache = ExeCache::in_dir(temp_dir("keys"));
    let k = cache.key(&c, TINY);
    assert_eq!(k, cache.key(&c, TINY));
    assert_ne!(k, cache.key(&c, &format!("{TINY} ")));
}

#[test]
fn a_compile_error_is_still_an_error() {
    let c = client();
    let dir = temp_dir("errors");
    let cache = ExeCache::in_dir(&dir);
    assert!(cache.compile(&c, "not a program", None).is_err());
    assert!(!cache.entry_path(&cache.key(&c, "not a program")).exists());
}

#[test]
fn the_environment_switch_disables_it() {
    // Only this test touches FERRAX_COMPILE_CACHE(_DIR) in this test binary.
    let old = std::env::var_os(ENV_COMPILE_CACHE);
    let old_dir = std::env::var_os(ENV_COMPILE_CACHE_DIR);
    for off in ["0", "off", "false", "no", "OFF"] {
        std::env::set_var(ENV_COMPILE_CACHE, off);
        assert!(ExeCache::from_env().is_none(), "{off}");
    }
    std::env::set_var(ENV_COMPILE_CACHE, "1");
    std::env::remove_var(ENV_COMPILE_CACHE_DIR);
    let on = ExeCache::from_env();
    std::env::set_var(ENV_COMPILE_CACHE_DIR, "/some/where");
    let elsewhere = ExeCache::from_env();
    for (k, v) in [(ENV_COMPILE_CACHE, old), (ENV_COMPILE_CACHE_DIR, old_dir)] {
        match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        }
    }
    assert!(on.expect("enabled").dir().ends_with("executables"));
    assert_eq!(
        elsewhere.expect("enabled").dir(),
        std::path::Path::new("/some/where")
    );
}

#[test]
fn the_least_recently_used_entries_go_when_the_bound_is_passed() {
    let c = client();
    let dir = temp_dir("trim");
    let probe = ExeCache::in_dir(&dir);
    probe.compile(&c, TINY, None).unwrap();
    let first = probe.entry_path(&probe.key(&c, TINY));
    let size = std::fs::metadata(&first).unwrap().len();
    // Room for one entry and a half: storing a second one evicts the older.
    let cache = ExeCache::in_dir(&dir).with_max_bytes(size * 3 / 2);
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .append(true)
        .open(&first)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let other = TINY.replace("sym_name = \"tiny\"", "sym_name = \"newer\"");
    assert_eq!(
        cache.compile(&c, &other, None).unwrap().1,
        CacheOutcome::Stored
    );
    assert!(!first.exists());
    assert!(cache.entry_path(&cache.key(&c, &other)).exists());
    let _ = std::fs::remove_dir_all(&dir);
}
