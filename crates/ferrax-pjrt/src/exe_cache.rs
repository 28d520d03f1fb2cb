//! Compiled programs kept across processes: `PJRT_Executable_Serialize` after a compile,
//! `PJRT_Executable_DeserializeAndLoad` instead of the next compile of the same program.
//!
//! Compiling is what dominates a fresh process's first program (a 784-512-512-10 MLP's
//! initialisation program takes 300 ms or more to compile and about 25 ms to load back on a
//! 2-core x86-64 machine), so
//! [`ExeCache`] stores each executable under the cache directory
//! (`$FERRAX_CACHE/executables`, default `~/.cache/ferrax/executables`).
//!
//! - The key is the SHA-256 of: a format tag, the plugin's identity (canonical path, file
//!   size and modification time, PJRT API version, platform name and version), the host
//!   CPU (the XLA CPU plugin compiles for the features of the machine it runs on and an
//!   executable loaded on a machine without them dies of SIGILL, so a cache directory
//!   shared between machines must never hand one machine's code to another), the compile
//!   options ([`COMPILE_OPTIONS`]) and the full program text. Anything that changes one of
//!   them (an updated plugin, another CPU, other options, another program) misses.
//! - An entry is `FERRAXEXE1\n`, the key, the payload length and the payload's SHA-256,
//!   then the payload. It is written to a temporary file and renamed, so readers never see
//!   a half-written entry. On load the header, key, length and checksum are checked
//!   before any byte reaches the plugin: a corrupt, truncated or misplaced entry is
//!   ignored, the program compiled again and the entry rewritten.
//! - A plugin without serialisation (an error from either call) just compiles; the cache
//!   never turns a working compile into a failure. I/O errors are ignored the same way.
//! - `FERRAX_COMPILE_CACHE=0` (or `off`, `false`, `no`) disables it;
//!   `FERRAX_COMPILE_CACHE_DIR` puts it elsewhere; `FERRAX_COMPILE_CACHE_MAX_MB` bounds its
//!   size (default 1024; least recently used entries go first; a process checks the bound on
//!   its first store and after each sixteenth of the bound it writes).
//!
//! ```
//! use ferrax_pjrt::{provision, CacheOutcome, Client, ExeCache, Plugin};
//! # fn main() -> ferrax_pjrt::Result<()> {
//! let client = Client::new(&Plugin::load(&provision::ensure_cpu_plugin()?)?)?;
//! let dir = std::env::temp_dir().join(format!("ferrax-doc-exe-cache-{}", std::process::id()));
//! let cache = ExeCache::in_dir(&dir);
//! let text = "func.func public @main(%x: tensor<3xf32>) -> tensor<3xf32> {
//!     %0 = stablehlo.add %x, %x : tensor<3xf32>
//!     return %0 : tensor<3xf32>
//!   }";
//! let (_, first) = cache.compile(&client, text, None)?;
//! let (_, second) = cache.compile(&client, text, None)?;
//! assert_eq!((first, second), (CacheOutcome::Stored, CacheOutcome::Hit));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::client::{ArgSpec, Client, LoadedExecutable, COMPILE_OPTIONS};
use crate::error::{PjrtError, Result};
use crate::ffi;
use crate::plugin::pjrt_call;

/// Environment variable that disables the persistent compile cache (`0`, `off`, `false`,
/// `no`).
pub const ENV_COMPILE_CACHE: &str = "FERRAX_COMPILE_CACHE";
/// Environment variable naming the persistent compile cache's directory (default
/// `<cache_dir>/executables`).
pub const ENV_COMPILE_CACHE_DIR: &str = "FERRAX_COMPILE_CACHE_DIR";
/// Environment variable bounding the persistent compile cache, in MiB (default 1024).
pub const ENV_COMPILE_CACHE_MAX_MB: &str = "FERRAX_COMPILE_CACHE_MAX_MB";

const MAGIC: &[u8; 11] = b"FERRAXEXE1\n";
const HEADER: usize = MAGIC.len() + 32 + 8 + 32;
const KEY_TAG: &[u8] = b"ferrax executable cache v1\0";

/// What [`ExeCache::compile`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from a stored entry; nothing was compiled.
    Hit,
    /// Compiled, and the executable stored for next time.
    Stored,
    /// Compiled; an entry existed but was rejected (the reason), and it was replaced.
    Replaced(String),
    /// Compiled; storing failed (the reason: serialisation unsupported, I/O error).
    NotStored(String),
}

/// A directory of serialized executables (see the module docs).
#[derive(Debug, Clone)]
pub struct ExeCache {
    dir: PathBuf,
    max_bytes: u64,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);
static WRITTEN_SINCE_TRIM: AtomicU64 = AtomicU64::new(0);
static TRIMMED_ONCE: AtomicBool = AtomicBool::new(false);

impl ExeCache {
    /// The cache of this process's environment: `$FERRAX_COMPILE_CACHE_DIR`, else
    /// `<cache_dir>/executables`; `None` when `FERRAX_COMPILE_CACHE` disables it or no
    /// cache directory can be chosen.
    pub fn from_env() -> Option<ExeCache> {
        if let Some(v) = std::env::var_os(ENV_COMPILE_CACHE) {
            let v = v.to_string_lossy().trim().to_ascii_lowercase();
            if matches!(v.as_str(), "0" | "off" | "false" | "no") {
                return None;
            }
        }
        let dir = match std::env::var_os(ENV_COMPILE_CACHE_DIR).filter(|d| !d.is_empty()) {
            Some(d) => PathBuf::from(d),
            None => crate::provision::cache_dir().ok()?.join("executables"),
        };
        let mut c = ExeCache::in_dir(dir);
        if let Some(mb) = std::env::var(ENV_COMPILE_CACHE_MAX_MB)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            c.max_bytes = mb.saturating_mul(1 << 20);
        }
        Some(c)
    }

    /// A cache in `dir` (created on the first store), bounded to 1 GiB.
    pub fn in_dir(dir: impl Into<PathBuf>) -> ExeCache {
        ExeCache {
            dir: dir.into(),
            max_bytes: 1 << 30,
        }
    }

    /// The same cache bounded to `bytes` (entries are removed, least recently used first,
    /// when a store goes past it).
    pub fn with_max_bytes(mut self, bytes: u64) -> ExeCache {
        self.max_bytes = bytes;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of `program` compiled by `client` with [`COMPILE_OPTIONS`] (SHA-256).
    pub fn key(&self, client: &Client, program: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(KEY_TAG);
        let field = |h: &mut Sha256, b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        field(&mut h, plugin_identity(client).as_bytes());
        field(&mut h, host_cpu().as_bytes());
        field(&mut h, &COMPILE_OPTIONS);
        field(&mut h, program.as_bytes());
        h.finalize().into()
    }

    /// The file an entry of `key` lives in.
    pub fn entry_path(&self, key: &[u8; 32]) -> PathBuf {
        self.dir.join(format!("{}.pjrt", hex(key)))
    }

    /// Loads `program` from the cache, or compiles it (like
    /// [`Client::compile_with_signature`] when `signature` is given, else
    /// [`Client::compile`]) and stores the result. Errors are compile errors only.
    pub fn compile(
        &self,
        client: &Client,
        program: &str,
        signature: Option<&[ArgSpec]>,
    ) -> Result<(LoadedExecutable, CacheOutcome)> {
        let key = self.key(client, program);
        let path = self.entry_path(&key);
        let compile = || match signature {
            Some(s) => client.compile_with_signature(program, s),
            None => client.compile(program),
        };
        let rejected = match fs::read(&path) {
            Ok(bytes) => match check_entry(&bytes, &key) {
                Ok(payload) => {
                    let sig = match signature {
                        Some(s) => Some(s.to_vec()),
                        None => crate::client::parse_main_signature(program),
                    };
                    match client.deserialize_executable(payload, sig) {
                        Ok(exe) => {
                            touch(&path);
                            return Ok((exe, CacheOutcome::Hit));
                        }
                        Err(e) => Some(format!("the plugin could not load it: {e}")),
                    }
                }
                Err(why) => Some(why),
            },
            Err(_) => None,
        };
        let exe = compile()?;
        let stored = exe
            .serialize()
            .and_then(|payload| self.store(&key, &payload));
        let outcome = match (stored, rejected) {
            (Err(e), _) => CacheOutcome::NotStored(e.to_string()),
            (Ok(()), Some(why)) => CacheOutcome::Replaced(why),
            (Ok(()), None) => CacheOutcome::Stored,
        };
        Ok((exe, outcome))
    }

    /// Writes an entry atomically (temporary file, then rename), then trims the cache.
    fn store(&self, key: &[u8; 32], payload: &[u8]) -> Result<()> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| PjrtError::io(format!("creating {}", self.dir.display()), e))?;
        let path = self.entry_path(key);
        let tmp = self.dir.join(format!(
            ".{}.tmp-{}-{}",
            hex(key),
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(MAGIC)?;
            f.write_all(key)?;
            f.write_all(&(payload.len() as u64).to_le_bytes())?;
            f.write_all(&Sha256::digest(payload))?;
            f.write_all(payload)?;
            f.sync_data()?;
            drop(f);
            fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(PjrtError::io(format!("writing {}", path.display()), e));
        }
        // Listing the directory costs a stat per entry: do it on this process's first store
        // and then after every sixteenth of the bound written (so concurrent processes can
        // overshoot the bound by that much each, never more).
        let written = WRITTEN_SINCE_TRIM.fetch_add(payload.len() as u64, Ordering::Relaxed);
        if !TRIMMED_ONCE.swap(true, Ordering::Relaxed) || written >= self.max_bytes / 16 {
            WRITTEN_SINCE_TRIM.store(0, Ordering::Relaxed);
            self.trim();
        }
        Ok(())
    }

    /// Removes the least recently used entries while the cache is over its bound (run by a
    /// store now and then; call it to enforce the bound now).
    pub fn trim(&self) {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "pjrt"))
            .filter_map(|e| {
                let md = e.metadata().ok()?;
                Some((md.modified().unwrap_or(UNIX_EPOCH), md.len(), e.path()))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        if total <= self.max_bytes {
            return;
        }
        entries.sort();
        for (_, len, p) in entries {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&p).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    }
}

/// Checks an entry's header against `key` and its payload against its checksum.
fn check_entry<'a>(bytes: &'a [u8], key: &[u8; 32]) -> std::result::Result<&'a [u8], String> {
    if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a ferrax executable entry".into());
    }
    let mut at = MAGIC.len();
    if &bytes[at..at + 32] != key {
        return Err("the entry belongs to another key".into());
    }
    at += 32;
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[at..at + 8]);
    let len = u64::from_le_bytes(len);
    at += 8;
    let sum = &bytes[at..at + 32];
    at += 32;
    let payload = &bytes[at..];
    if payload.len() as u64 != len {
        return Err(format!(
            "truncated entry ({} of {len} payload bytes)",
            payload.len()
        ));
    }
    if Sha256::digest(payload).as_slice() != sum {
        return Err("the payload's checksum does not match".into());
    }
    Ok(payload)
}

/// Marks an entry as recently used (best effort).
fn touch(path: &Path) {
    if let Ok(f) = fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// What identifies the plugin binary without hashing it (259 MB for the CPU plugin): its
/// canonical path, size and modification time, its API version and the platform.
fn plugin_identity(client: &Client) -> String {
    let plugin = client.plugin();
    let path = plugin.path();
    let (len, mtime) = match fs::metadata(path) {
        Ok(md) => (
            md.len(),
            md.modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        ),
        Err(_) => (0, 0),
    };
    let (major, minor) = plugin.api_version();
    format!(
        "path={} size={len} mtime={mtime} api={major}.{minor} platform={} version={}",
        path.display(),
        client.platform_name(),
        client.platform_version()
    )
}

/// The host CPU as code generation sees it: architecture, and on x86-64 the raw CPUID
/// feature leaves, the features the OS enables (what `is_x86_feature_detected!` reports)
/// and the brand string.
fn host_cpu() -> String {
    let mut s = format!(
        "arch={} os={}",
        std::env::consts::ARCH,
        std::env::consts::OS
    );
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__cpuid, __cpuid_count};
        // SAFETY: CPUID exists on every x86-64 processor; leaves above the maximum the
        // processor reports are not queried. (Safe functions in newer Rust.)
        #[allow(unused_unsafe)]
        unsafe {
            let max = __cpuid(0).eax;
            let l1 = __cpuid(1);
            // Leaf 1 EBX holds the APIC id, which differs between cores: left out.
            s.push_str(&format!(" l1={:x}.{:x}.{:x}", l1.eax, l1.ecx, l1.edx));
            if max >= 7 {
                let l7 = __cpuid_count(7, 0);
                let l71 = __cpuid_count(7, 1);
                s.push_str(&format!(
                    " l7={:x}.{:x}.{:x}.{:x}",
                    l7.ebx, l7.ecx, l7.edx, l71.eax
                ));
            }
            let ext = __cpuid(0x8000_0000).eax;
            if ext >= 0x8000_0001 {
                let e1 = __cpuid(0x8000_0001);
                s.push_str(&format!(" e1={:x}.{:x}", e1.ecx, e1.edx));
            }
            if ext >= 0x8000_0004 {
                let mut brand = Vec::with_capacity(48);
                for leaf in 0x8000_0002u32..=0x8000_0004 {
                    let r = __cpuid(leaf);
                    for w in [r.eax, r.ebx, r.ecx, r.edx] {
                        brand.extend_from_slice(&w.to_le_bytes());
                    }
                }
                s.push_str(&format!(
                    " brand={}",
                    String::from_utf8_lossy(&brand).trim()
                ));
            }
        }
        macro_rules! detected {
            ($($f:tt),*) => {$(
                if std::arch::is_x86_feature_detected!($f) {
                    s.push(' ');
                    s.push_str($f);
                }
            )*};
        }
        detected!(
            "sse3",
            "ssse3",
            "sse4.1",
            "sse4.2",
            "popcnt",
            "avx",
            "avx2",
            "fma",
            "f16c",
            "bmi1",
            "bmi2",
            "lzcnt",
            "avx512f",
            "avx512cd",
            "avx512bw",
            "avx512dq",
            "avx512vl",
            "avx512ifma",
            "avx512vbmi",
            "avx512vbmi2",
            "avx512vnni",
            "avx512bitalg",
            "avx512vpopcntdq",
            "avx512bf16",
            "avx512fp16",
            "gfni",
            "vaes",
            "vpclmulqdq",
            "xsave",
            "xsaveopt",
            "xsavec",
            "xsaves"
        );
    }
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl LoadedExecutable {
    /// The plugin's serialisation of this executable (`PJRT_Executable_Serialize`):
    /// platform- and version-specific bytes that [`Client::deserialize_executable`] of the
    /// same plugin loads back.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let exe = self.executable.as_ref().ok_or_else(|| {
            PjrtError::Unexpected("the executable has no PJRT_Executable view".into())
        })?;
        let api = self.client.api();
        let mut a = ffi::ExecutableSerializeArgs::new();
        a.executable = exe.raw;
        pjrt_call!(api, PJRT_Executable_Serialize, &mut a)?;
        let bytes = if a.serialized_bytes.is_null() || a.serialized_bytes_size == 0 {
            Vec::new()
        } else {
            // SAFETY: the plugin returned `serialized_bytes_size` bytes, alive until the
            // deleter runs below.
            unsafe {
                std::slice::from_raw_parts(a.serialized_bytes.cast::<u8>(), a.serialized_bytes_size)
            }
            .to_vec()
        };
        if let Some(del) = a.serialized_executable_deleter {
            if !a.serialized_executable.is_null() {
                // SAFETY: the deleter the plugin gave for this object, called once.
                unsafe { del(a.serialized_executable) };
            }
        }
        if bytes.is_empty() {
            return Err(PjrtError::Unexpected(
                "PJRT_Executable_Serialize returned no bytes".into(),
            ));
        }
        Ok(bytes)
    }
}

impl Client {
    /// Loads an executable that [`LoadedExecutable::serialize`] produced with the same
    /// plugin (`PJRT_Executable_DeserializeAndLoad`, with [`COMPILE_OPTIONS`]).
    /// `signature` is recorded for argument checks as in
    /// [`Client::compile_with_signature`].
    ///
    /// Only pass bytes that came from `serialize` of this plugin build: the plugin does not
    /// promise to reject other bytes gracefully ([`ExeCache`] checks a SHA-256 first).
    pub fn deserialize_executable(
        &self,
        bytes: &[u8],
        signature: Option<Vec<ArgSpec>>,
    ) -> Result<LoadedExecutable> {
        let api = self.api();
        let mut a = ffi::ExecutableDeserializeAndLoadArgs::new();
        a.client = self.0.raw;
        a.serialized_executable = bytes.as_ptr().cast();
        a.serialized_executable_size = bytes.len();
        a.overridden_serialized_compile_options = COMPILE_OPTIONS.as_ptr().cast();
        a.overridden_serialized_compile_options_size = COMPILE_OPTIONS.len();
        pjrt_call!(api, PJRT_Executable_DeserializeAndLoad, &mut a)?;
        if a.loaded_executable.is_null() {
            return Err(PjrtError::Unexpected(
                "PJRT_Executable_DeserializeAndLoad returned no executable".into(),
            ));
        }
        self.wrap_loaded(a.loaded_executable, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_checked_before_use() {
        let key = [7u8; 32];
        let payload = b"payload bytes";
        let mut e = MAGIC.to_vec();
        e.extend_from_slice(&key);
        e.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        e.extend_from_slice(&Sha256::digest(payload));
        e.extend_from_slice(payload);
        assert_eq!(check_entry(&e, &key), Ok(&payload[..]));
        assert!(check_entry(&e, &[8u8; 32])
            .unwrap_err()
            .contains("another key"));
        assert!(check_entry(&e[..e.len() - 1], &key)
            .unwrap_err()
            .contains("truncated"));
        let mut bad = e.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(check_entry(&bad, &key).unwrap_err().contains("checksum"));
        assert!(check_entry(b"short", &key).is_err());
    }
}
