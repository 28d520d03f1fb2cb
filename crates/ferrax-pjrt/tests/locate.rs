//! CUDA / TPU plugin discovery through Python's package directories (one test:
//! it changes the environment). Uses fake plugin files; nothing is loaded.

use ferrax_pjrt::provision::{self, Platform};

#[test]
fn finds_installed_gpu_and_tpu_plugins_or_says_what_to_install() {
    let dir = std::env::temp_dir().join(format!("ferrax-locate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let site = dir.join("site");
    std::fs::create_dir_all(&site).expect("dir");
    std::env::remove_var(provision::ENV_PLUGIN);
    std::env::set_var(provision::ENV_CACHE, dir.join("cache"));
    std::env::remove_var(provision::ENV_PYTHON);
    // Python puts PYTHONPATH entries on sys.path, which the lookup scans.
    std::env::set_var("PYTHONPATH", &site);

    let have_python = std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success());

    // Nothing installed (unless this machine really has them): clear advice.
    if let Err(e) = provision::locate_plugin(Platform::Cuda) {
        let e = e.to_string();
        println!("{e}");
        assert!(
            e.contains("pip install jax-cuda12-pjrt jax-cuda12-plugin"),
            "{e}"
        );
        assert!(e.contains("FERRAX_PJRT_PLUGIN"), "{e}");
    }
    if let Err(e) = provision::locate_plugin(Platform::Tpu) {
        let e = e.to_string();
        println!("{e}");
        assert!(
            e.contains("pip install libtpu") && e.contains("FERRAX_PJRT_PLUGIN"),
            "{e}"
        );
    }

    if have_python {
        let cuda = site.join("jax_plugins/xla_cuda12/xla_cuda_plugin.so");
        std::fs::create_dir_all(cuda.parent().expect("parent")).expect("mkdir");
        std::fs::write(&cuda, b"fake").expect("write");
        let tpu = site.join("libtpu/libtpu.so");
        std::fs::create_dir_all(tpu.parent().expect("parent")).expect("mkdir");
        std::fs::write(&tpu, b"fake").expect("write");
        let found = provision::locate_plugin(Platform::Cuda).expect("cuda");
        assert!(found.ends_with("xla_cuda_plugin.so"), "{found:?}");
        let found = provision::locate_plugin(Platform::Tpu).expect("tpu");
        assert!(found.ends_with("libtpu/libtpu.so"), "{found:?}");
    }

    // A wheel unpacked in the cache is found as well.
    std::env::set_var("PYTHONPATH", dir.join("empty"));
    let unpacked =
        dir.join("cache/jax-cuda13-pjrt-0.9.0/jax_plugins/xla_cuda13/xla_cuda_plugin.so");
    std::fs::create_dir_all(unpacked.parent().expect("parent")).expect("mkdir");
    std::fs::write(&unpacked, b"fake").expect("write");
    let found = provision::locate_plugin(Platform::Cuda).expect("cuda in cache");
    println!("{}", found.display());
    assert!(found.ends_with("xla_cuda_plugin.so"), "{found:?}");

    // FERRAX_PJRT_PLUGIN wins for every platform.
    std::env::set_var(provision::ENV_PLUGIN, &unpacked);
    assert_eq!(
        provision::locate_plugin(Platform::Tpu).expect("override"),
        unpacked
    );
    std::env::remove_var(provision::ENV_PLUGIN);

    std::env::remove_var("PYTHONPATH");
    let _ = std::fs::remove_dir_all(&dir);
}
