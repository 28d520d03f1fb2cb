//! The `ferrax` command-line tool.
//!
//! ```text
//! ferrax plugin status            plugin path, platform, PJRT API version (loads it)
//! ferrax plugin fetch             fetch and verify the CPU plugin into the cache
//! ferrax plugin info              every plugin attribute and the devices
//! ferrax dump --out DIR [--example mlp|tiny]
//!                                 write the example's graph as DOT and StableHLO text
//! ```
//! `FERRAX_PLATFORM=cpu|cuda|tpu` and `FERRAX_PJRT_PLUGIN=/path.so` select the plugin.

use ferrax::prelude::*;
use ferrax::{pjrt, Platform, Runtime};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  ferrax plugin status|fetch|info
  ferrax dump --out DIR [--example mlp|tiny]
environment: FERRAX_PLATFORM=cpu|cuda|tpu, FERRAX_PJRT_PLUGIN=/path/plugin.so, FERRAX_CACHE=DIR";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrax: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("plugin") => plugin(args.get(1).map(String::as_str)),
        Some("dump") => dump(&args[1..]),
        Some("-h") | Some("--help") | Some("help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n{USAGE}")),
    }
}

fn platform() -> Result<Platform, String> {
    Platform::from_env().map_err(|e| e.to_string())
}

fn plugin(sub: Option<&str>) -> Result<(), String> {
    match sub {
        Some("fetch") => {
            let p = pjrt::ensure_cpu_plugin().map_err(|e| e.to_string())?;
            println!("cpu plugin: {}", p.display());
            Ok(())
        }
        Some("status") => {
            let rt = Runtime::for_platform(platform()?).map_err(|e| e.to_string())?;
            let (maj, min) = rt.plugin().api_version();
            println!("plugin:   {}", rt.plugin().path().display());
            println!("platform: {}", rt.client().platform_name());
            println!("pjrt api: {maj}.{min}");
            Ok(())
        }
        Some("info") => {
            let rt = Runtime::for_platform(platform()?).map_err(|e| e.to_string())?;
            let (maj, min) = rt.plugin().api_version();
            println!("plugin:           {}", rt.plugin().path().display());
            println!("platform:         {}", rt.client().platform_name());
            println!("platform version: {}", rt.client().platform_version());
            println!("pjrt api:         {maj}.{min}");
            for (k, v) in rt.plugin().attributes() {
                println!("attribute {k} = {v:?}");
            }
            for d in rt.client().devices().map_err(|e| e.to_string())? {
                println!("device {} ({})", d.id(), d.kind());
            }
            Ok(())
        }
        _ => Err(format!("expected `plugin status|fetch|info`\n{USAGE}")),
    }
}

fn mlp_graph(sizes: &[usize], batch: usize) -> ferrax::Result<ferrax::Graph> {
    let mut types = vec![TensorType::new(DType::F32, [batch, sizes[0]])];
    for w in sizes.windows(2) {
        types.push(TensorType::new(DType::F32, [w[0], w[1]]));
        types.push(TensorType::new(DType::F32, [w[1]]));
    }
    let n = sizes.len() - 1;
    ferrax::jit::trace_graph(&types, move |p: &[Tensor]| {
        let mut h = p[0].clone();
        for l in 0..n {
            let _s = ferrax::scope::enter(format!("Mlp.layer{}", l + 1));
            h = h.matmul(&p[1 + 2 * l])?.add(&p[2 + 2 * l])?;
            if l + 1 < n {
                h = h.maximum(&h.scalar_of(0.0)?)?;
            }
        }
        Ok(h)
    })
}

fn dump(args: &[String]) -> Result<(), String> {
    let mut out: Option<PathBuf> = None;
    let mut example = "mlp".to_string();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--out" => {
                out = args.get(i + 1).map(PathBuf::from);
                i += 2;
            }
            "--example" => {
                example = args.get(i + 1).cloned().unwrap_or_default();
                i += 2;
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let out = out.ok_or_else(|| format!("dump needs --out DIR\n{USAGE}"))?;
    let graph = match example.as_str() {
        "mlp" => mlp_graph(&[784, 512, 512, 10], 128),
        "tiny" => {
            let t = TensorType::new(DType::F32, [2, 3]);
            ferrax::jit::trace_graph(&[t.clone(), t], |x: &Tensor, y: &Tensor| {
                let s = x.add(y)?;
                Ok((s.clone(), s.matmul(&y.t()?)?))
            })
        }
        other => return Err(format!("unknown example `{other}` (mlp, tiny)")),
    }
    .map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let dot = ferrax::ir::dot::to_dot(&graph, &example);
    let text =
        ferrax::stablehlo::lower_with_locations(&graph, &example).map_err(|e| e.to_string())?;
    let dot_path = out.join(format!("{example}.dot"));
    let mlir_path = out.join(format!("{example}.mlir"));
    std::fs::write(&dot_path, dot)
        .map_err(|e| format!("cannot write {}: {e}", dot_path.display()))?;
    std::fs::write(&mlir_path, text)
        .map_err(|e| format!("cannot write {}: {e}", mlir_path.display()))?;
    println!("wrote {} and {}", dot_path.display(), mlir_path.display());
    Ok(())
}
