//! The runtime: one PJRT plugin and client per platform, loaded on first use, plus the
//! compile caches: in memory (graph fingerprint + input types + plugin identity ->
//! executable) and on disk across processes ([`ferrax_pjrt::ExeCache`]: SHA-256 of the
//! program text, compile options and plugin identity -> serialized executable; disable it
//! with `FERRAX_COMPILE_CACHE=0`).

use crate::{pjrt_error, Error, Result};
use ferrax_ir::{DType, Graph};
use ferrax_pjrt::{Client, ElementType, ExeCache, LoadedExecutable, Platform, Plugin};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A loaded plugin, its client and its compile caches.
///
/// A program compiled once is kept in memory for the life of the process, and its
/// executable is stored on disk (`$FERRAX_CACHE/executables`, default
/// `~/.cache/ferrax/executables`) so that the next process loads it instead of compiling
/// again: a fresh process building a 784-512-512-10 MLP spends about 25 ms loading its
/// initialisation program instead of 300 ms or more compiling it. Entries are keyed by the
/// SHA-256 of the program text, the compile options, the plugin's identity and the host
/// CPU (XLA compiles for the features of the machine it runs on), checked
/// against a checksum before use, and recompiled when anything does not match. Set
/// `FERRAX_COMPILE_CACHE=0` to turn the disk cache off (`FERRAX_COMPILE_CACHE_MAX_MB`
/// bounds it, default 1024).
pub struct Runtime {
    platform: Platform,
    plugin: Plugin,
    client: Client,
    cache: Mutex<HashMap<u64, Arc<Compiled>>>,
    disk: Option<ExeCache>,
    disk_hits: std::sync::atomic::AtomicUsize,
}

/// A compiled program and the types it takes and returns.
pub struct Compiled {
    /// The executable.
    pub exe: LoadedExecutable,
    /// Input types, in order.
    pub inputs: Vec<ferrax_ir::TensorType>,
    /// Output types, in order.
    pub outputs: Vec<ferrax_ir::TensorType>,
    /// The StableHLO text it was compiled from.
    pub text: String,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Runtime({:?}, {}, {})",
            self.platform,
            self.client.platform_name(),
            self.plugin.path().display()
        )
    }
}

static RUNTIMES: Mutex<Vec<(Platform, Arc<Runtime>)>> = Mutex::new(Vec::new());
static DEFAULT: OnceLock<Mutex<Option<Platform>>> = OnceLock::new();

/// Sets the platform [`Runtime::default`] uses (otherwise `FERRAX_PLATFORM`, else cpu).
pub fn set_default_platform(p: Platform) {
    let m = DEFAULT.get_or_init(|| Mutex::new(None));
    if let Ok(mut g) = m.lock() {
        *g = Some(p);
    }
}

fn default_platform() -> Result<Platform> {
    if let Some(m) = DEFAULT.get() {
        if let Ok(g) = m.lock() {
            if let Some(p) = *g {
                return Ok(p);
            }
        }
    }
    Platform::from_env().map_err(pjrt_error("platform"))
}

impl Runtime {
    /// The runtime of the default platform, loading its plugin on first use.
    pub fn default_runtime() -> Result<Arc<Runtime>> {
        Runtime::for_platform(default_platform()?)
    }

    /// The runtime of `platform`, loading its plugin on first use (the CPU plugin is fetched
    /// and cached if needed; `FERRAX_PJRT_PLUGIN` overrides the path).
    pub fn for_platform(platform: Platform) -> Result<Arc<Runtime>> {
        let mut all = RUNTIMES
            .lock()
            .map_err(|_| Error::runtime("runtime", "runtime registry poisoned"))?;
        if let Some((_, r)) = all.iter().find(|(p, _)| *p == platform) {
            return Ok(r.clone());
        }
        let path = ferrax_pjrt::locate_plugin(platform).map_err(pjrt_error("locate_plugin"))?;
        let plugin = Plugin::load(&path).map_err(pjrt_error("load_plugin"))?;
        let client = Client::new(&plugin).map_err(pjrt_error("client"))?;
        let rt = Arc::new(Runtime {
            platform,
            plugin,
            client,
            cache: Mutex::new(HashMap::new()),
            disk: ExeCache::from_env(),
            disk_hits: std::sync::atomic::AtomicUsize::new(0),
        });
        all.push((platform, rt.clone()));
        Ok(rt)
    }

    /// The platform.
    pub fn platform(&self) -> Platform {
        self.platform
    }
    /// The plugin.
    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }
    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Number of programs in the compile cache.
    pub fn cache_len(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// The on-disk executable cache, `None` when `FERRAX_COMPILE_CACHE=0` disables it.
    pub fn disk_cache(&self) -> Option<&ExeCache> {
        self.disk.as_ref()
    }

    /// Number of programs this runtime loaded from the disk cache instead of compiling.
    pub fn disk_cache_hits(&self) -> usize {
        self.disk_hits.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Compiles `graph` (already optimised), or returns the cached executable for a graph
    /// with the same fingerprint.
    pub fn compile(&self, graph: &Graph) -> Result<Arc<Compiled>> {
        let key = graph.fingerprint();
        if let Some(c) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(c);
        }
        let text = ferrax_stablehlo::lower(graph, "ferrax")?;
        let inputs = graph.param_types();
        let sig: Vec<(ElementType, Vec<i64>)> = inputs
            .iter()
            .map(|t| {
                (
                    element_type(t.dtype),
                    t.shape.0.iter().map(|&d| d as i64).collect(),
                )
            })
            .collect();
        let exe = match &self.disk {
            Some(disk) => {
                let (exe, outcome) = disk
                    .compile(&self.client, &text, Some(&sig))
                    .map_err(pjrt_error("compile"))?;
                if outcome == ferrax_pjrt::CacheOutcome::Hit {
                    self.disk_hits
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                exe
            }
            None => self
                .client
                .compile_with_signature(&text, &sig)
                .map_err(pjrt_error("compile"))?,
        };
        let c = Arc::new(Compiled {
            exe,
            inputs,
            outputs: graph.output_types(),
            text,
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, c.clone());
        }
        Ok(c)
    }
}

/// The PJRT element type of a dtype.
pub fn element_type(d: DType) -> ElementType {
    match d {
        DType::Bool => ElementType::Pred,
        DType::I8 => ElementType::S8,
        DType::I16 => ElementType::S16,
        DType::I32 => ElementType::S32,
        DType::I64 => ElementType::S64,
        DType::U8 => ElementType::U8,
        DType::U16 => ElementType::U16,
        DType::U32 => ElementType::U32,
        DType::U64 => ElementType::U64,
        DType::F16 => ElementType::F16,
        DType::BF16 => ElementType::BF16,
        DType::F32 => ElementType::F32,
        DType::F64 => ElementType::F64,
    }
}
