//! Plugin files: hashes, fake wheels, files that are not plugins. No network.

use std::io::Write;
use std::path::{Path, PathBuf};

use ferrax_pjrt::provision::{self, PluginManifest};
use ferrax_pjrt::{PjrtError, Plugin};

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferrax-pjrt-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn sha_hex(data: &[u8], dir: &Path) -> String {
    let p = dir.join("hash-me");
    std::fs::write(&p, data).expect("write");
    provision::sha256_file(&p).expect("hash")
}

#[test]
fn sha256_known_value_and_mismatch() {
    let d = scratch("sha");
    let p = d.join("f.txt");
    std::fs::write(&p, b"abc").expect("write");
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert!(provision::verify_sha256(&p, abc).is_ok());
    assert!(provision::verify_sha256(&p, &abc.to_uppercase()).is_ok());
    let wrong = "00".repeat(32);
    let e = provision::verify_sha256(&p, &wrong).expect_err("mismatch");
    match &e {
        PjrtError::HashMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, &wrong);
            assert_eq!(actual, abc);
        }
        other => panic!("unexpected {other}"),
    }
    let msg = e.to_string();
    assert!(msg.contains(abc) && msg.contains(&wrong), "{msg}");
    assert!(provision::verify_sha256(&d.join("missing"), abc).is_err());
    let _ = std::fs::remove_dir_all(&d);
}

fn fake_wheel(dir: &Path, member: &str, content: &[u8]) -> PathBuf {
    let p = dir.join("fake.whl");
    let f = std::fs::File::create(&p).expect("create");
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file(member, opts).expect("start");
    z.write_all(content).expect("write");
    z.finish().expect("finish");
    p
}

fn manifest_for(dir: &Path, wheel: &Path, so: &[u8]) -> PluginManifest {
    let mut m = PluginManifest::cpu().expect("manifest").clone();
    m.name = "fake-plugin".into();
    m.version = "9.9.9".into();
    m.wheel = "fake.whl".into();
    m.wheel_sha256 = provision::sha256_file(wheel).expect("hash");
    m.member = "pkg/fake_plugin.so".into();
    m.sha256 = sha_hex(so, dir);
    m.size = so.len() as u64;
    m
}

#[test]
fn install_from_wheel_verifies_and_stamps() {
    let d = scratch("wheel-ok");
    let so = b"pretend this is a shared library".to_vec();
    let wheel = fake_wheel(&d, "pkg/fake_plugin.so", &so);
    let m = manifest_for(&d, &wheel, &so);
    let cache = d.join("cache");
    let dest = cache.join(m.dir_name());
    let p = provision::install_from_wheel(&wheel, &m, &dest).expect("install");
    assert_eq!(p, m.cached_path(&cache));
    assert_eq!(std::fs::read(&p).expect("read"), so);
    assert!(dest.join("fake_plugin.so.verified").is_file());
    // Present + stamped: ensure_plugin_in returns without fetching.
    let again = provision::ensure_plugin_in(&m, &cache).expect("cached");
    assert_eq!(again, p);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn install_from_wheel_rejects_wrong_contents() {
    let d = scratch("wheel-bad");
    let so = b"the real plugin".to_vec();
    let wheel = fake_wheel(&d, "pkg/fake_plugin.so", b"tampered contents");
    let mut m = manifest_for(&d, &wheel, &so);
    let dest = d.join("cache").join(m.dir_name());
    let e = provision::install_from_wheel(&wheel, &m, &dest).expect_err("mismatch");
    let msg = e.to_string();
    println!("{msg}");
    assert!(matches!(e, PjrtError::HashMismatch { .. }), "{msg}");
    assert!(msg.contains(&m.sha256), "{msg}");
    // Nothing (not even a partial file) is left behind.
    let left: Vec<_> = std::fs::read_dir(&dest).expect("dir").collect();
    assert!(left.is_empty(), "{left:?}");
    // A wheel with the wrong hash is refused before extraction.
    m.wheel_sha256 = "11".repeat(32);
    assert!(matches!(
        provision::install_from_wheel(&wheel, &m, &dest),
        Err(PjrtError::HashMismatch { .. })
    ));
    // A wheel without the member.
    let m2 = {
        let mut m2 = manifest_for(&d, &wheel, &so);
        m2.member = "pkg/other.so".into();
        m2
    };
    let e = provision::install_from_wheel(&wheel, &m2, &dest).expect_err("no member");
    assert!(e.to_string().contains("pkg/other.so"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_plugin_path() {
    let e = Plugin::load(Path::new("/nonexistent/dir/plugin.so")).expect_err("fails");
    let msg = e.to_string();
    assert!(matches!(e, PjrtError::Load { .. }), "{msg}");
    assert!(
        msg.contains("/nonexistent/dir/plugin.so") && msg.contains("FERRAX_PJRT_PLUGIN"),
        "{msg}"
    );
    let e = Plugin::load(Path::new("/")).expect_err("directory");
    assert!(matches!(e, PjrtError::Load { .. }), "{e}");
}

#[test]
fn text_file_is_not_a_plugin() {
    let d = scratch("text");
    let p = d.join("plugin.so");
    std::fs::write(&p, "not an ELF file\n").expect("write");
    let e = Plugin::load(&p).expect_err("fails");
    println!("{e}");
    assert!(matches!(e, PjrtError::Load { .. }), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn library_without_get_pjrt_api_is_not_a_plugin() {
    let candidates = [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/libc.so.6",
        "/lib/aarch64-linux-gnu/libc.so.6",
        "/usr/lib/libc.so.6",
    ];
    let Some(libc) = candidates.iter().map(Path::new).find(|p| p.is_file()) else {
        println!("no libc.so.6 found; skipping");
        return;
    };
    let e = Plugin::load(libc).expect_err("fails");
    let msg = e.to_string();
    println!("{msg}");
    assert!(matches!(e, PjrtError::NotAPlugin { .. }), "{msg}");
    assert!(
        msg.contains("GetPjrtApi") && msg.contains("FERRAX_PJRT_PLUGIN"),
        "{msg}"
    );
}

#[test]
fn cpu_plugin_cache_is_verified_and_stamped() {
    // Uses (and if needed fetches into) the normal cache, like every other test.
    let p = provision::ensure_cpu_plugin().expect("plugin");
    assert!(p.is_file());
    let t = std::time::Instant::now();
    let again = provision::ensure_cpu_plugin().expect("plugin");
    let dt = t.elapsed();
    println!("second ensure_cpu_plugin: {dt:?}");
    assert_eq!(p, again);
    if std::env::var_os(provision::ENV_PLUGIN).is_none() {
        assert!(
            dt < std::time::Duration::from_millis(200),
            "stamp should skip hashing: {dt:?}"
        );
    }
}
