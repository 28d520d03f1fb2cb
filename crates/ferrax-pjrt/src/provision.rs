//! Finding, fetching and verifying PJRT plugins.
//!
//! * [`ensure_cpu_plugin`]: the pinned XLA CPU plugin (manifest
//!   `third_party/xla-cpu-pjrt.toml`), fetched with pip into a cache on first use,
//!   verified by SHA-256.
//! * [`locate_plugin`]: the plugin for a [`Platform`] (`FERRAX_PLATFORM=cpu|cuda|tpu`).
//!
//! Environment variables:
//!
//! | variable | effect |
//! |---|---|
//! | `FERRAX_PJRT_PLUGIN` | path of a plugin to use instead of any lookup or fetch |
//! | `FERRAX_PLATFORM` | `cpu` (default), `cuda` or `tpu` |
//! | `FERRAX_CACHE` | cache directory (default `~/.cache/ferrax`) |
//! | `FERRAX_PYTHON` | Python interpreter used for pip and site-packages (default `python3`) |

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use crate::error::{PjrtError, Result};

/// Environment variable naming a plugin to use directly.
pub const ENV_PLUGIN: &str = "FERRAX_PJRT_PLUGIN";
/// Environment variable selecting the platform.
pub const ENV_PLATFORM: &str = "FERRAX_PLATFORM";
/// Environment variable overriding the cache directory.
pub const ENV_CACHE: &str = "FERRAX_CACHE";
/// Environment variable overriding the Python interpreter.
pub const ENV_PYTHON: &str = "FERRAX_PYTHON";

const CPU_MANIFEST_TEXT: &str = include_str!("../../../third_party/xla-cpu-pjrt.toml");

/// A pinned plugin wheel: where it comes from and what it must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginManifest {
    /// Package name on the registry, e.g. `xla-cpu-pjrt`.
    pub name: String,
    /// Pinned version, e.g. `0.0.1`.
    pub version: String,
    /// The registry (`PyPI`).
    pub source: String,
    /// Authors of the package.
    pub authors: String,
    /// SPDX licence id.
    pub license: String,
    /// File name of the wheel.
    pub wheel: String,
    /// SHA-256 of the wheel (lower-case hex).
    pub wheel_sha256: String,
    /// Size of the wheel in bytes.
    pub wheel_size: u64,
    /// The only target the wheel is built for, e.g. `x86_64-linux`.
    pub target: String,
    /// Path of the plugin inside the wheel.
    pub member: String,
    /// SHA-256 of the plugin (lower-case hex).
    pub sha256: String,
    /// Size of the plugin in bytes.
    pub size: u64,
}

impl PluginManifest {
    /// Parses the manifest format: `key = "string"` or `key = 123` per line,
    /// `#` comments, blank lines.
    pub fn parse(text: &str) -> Result<PluginManifest> {
        let mut kv: Vec<(String, String)> = Vec::new();
        for (no, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || {
                PjrtError::Provision(format!(
                    "plugin manifest line {}: cannot parse {line:?}",
                    no + 1
                ))
            };
            let (k, v) = line.split_once('=').ok_or_else(bad)?;
            let k = k.trim();
            let v = v.trim();
            let value = if let Some(rest) = v.strip_prefix('"') {
                let end = rest.find('"').ok_or_else(bad)?;
                let tail = rest[end + 1..].trim();
                if !(tail.is_empty() || tail.starts_with('#')) {
                    return Err(bad());
                }
                rest[..end].to_string()
            } else {
                let num = v.split('#').next().unwrap_or("").trim();
                if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                num.to_string()
            };
            kv.push((k.to_string(), value));
        }
        let get = |key: &str| -> Result<String> {
            kv.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| PjrtError::Provision(format!("plugin manifest lacks `{key}`")))
        };
        let num = |key: &str| -> Result<u64> {
            get(key)?.parse::<u64>().map_err(|_| {
                PjrtError::Provision(format!("plugin manifest: `{key}` must be an integer"))
            })
        };
        let m = PluginManifest {
            name: get("name")?,
            version: get("version")?,
            source: get("source")?,
            authors: get("authors")?,
            license: get("license")?,
            wheel: get("wheel")?,
            wheel_sha256: get("wheel_sha256")?.to_ascii_lowercase(),
            wheel_size: num("wheel_size")?,
            target: get("target")?,
            member: get("member")?,
            sha256: get("sha256")?.to_ascii_lowercase(),
            size: num("size")?,
        };
        for (k, h) in [("sha256", &m.sha256), ("wheel_sha256", &m.wheel_sha256)] {
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(PjrtError::Provision(format!(
                    "plugin manifest: `{k}` is not a SHA-256 hex digest"
                )));
            }
        }
        Ok(m)
    }

    /// The pinned XLA CPU plugin (`third_party/xla-cpu-pjrt.toml`, embedded).
    pub fn cpu() -> Result<&'static PluginManifest> {
        static CPU: OnceLock<std::result::Result<PluginManifest, String>> = OnceLock::new();
        CPU.get_or_init(|| PluginManifest::parse(CPU_MANIFEST_TEXT).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| PjrtError::Provision(e.clone()))
    }

    /// `<name>-<version>`, the cache sub-directory.
    pub fn dir_name(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }

    /// File name of the plugin (last component of `member`).
    pub fn file_name(&self) -> &str {
        self.member.rsplit('/').next().unwrap_or(&self.member)
    }

    /// Where the plugin lives inside `cache`.
    pub fn cached_path(&self, cache: &Path) -> PathBuf {
        cache.join(self.dir_name()).join(self.file_name())
    }

    /// The `pip` requirement, `name==version`.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }
}

/// A PJRT platform to run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Platform {
    /// The XLA CPU plugin (default; fetched on first use).
    #[default]
    Cpu,
    /// NVIDIA GPUs through the JAX CUDA PJRT plugin.
    Cuda,
    /// Google TPUs through libtpu.
    Tpu,
}

impl FromStr for Platform {
    type Err = PjrtError;
    fn from_str(s: &str) -> Result<Platform> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(Platform::Cpu),
            "cuda" | "gpu" => Ok(Platform::Cuda),
            "tpu" => Ok(Platform::Tpu),
            other => Err(PjrtError::Provision(format!(
                "unknown platform {other:?} (from {ENV_PLATFORM}?): expected cpu, cuda or tpu"
            ))),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Platform::Cpu => "cpu",
            Platform::Cuda => "cuda",
            Platform::Tpu => "tpu",
        })
    }
}

impl Platform {
    /// Reads `FERRAX_PLATFORM`; unset or empty means [`Platform::Cpu`], an unknown
    /// value is an error.
    pub fn from_env() -> Result<Platform> {
        match std::env::var(ENV_PLATFORM) {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(Platform::Cpu),
            Err(std::env::VarError::NotUnicode(v)) => Err(PjrtError::Provision(format!(
                "{ENV_PLATFORM}={v:?} is not valid UTF-8: expected cpu, cuda or tpu"
            ))),
        }
    }
}

/// The plugin path for the platform in `FERRAX_PLATFORM` (default CPU).
pub fn default_plugin_path() -> Result<PathBuf> {
    locate_plugin(Platform::from_env()?)
}

/// The plugin for `platform`: `FERRAX_PJRT_PLUGIN` if set; otherwise the pinned
/// CPU plugin ([`ensure_cpu_plugin`]), an installed CUDA plugin or libtpu.
pub fn locate_plugin(platform: Platform) -> Result<PathBuf> {
    if let Some(p) = plugin_override()? {
        return Ok(p);
    }
    match platform {
        Platform::Cpu => ensure_cpu_plugin(),
        Platform::Cuda => find_cuda_plugin(),
        Platform::Tpu => find_tpu_plugin(),
    }
}

/// `FERRAX_PJRT_PLUGIN`, checked to exist.
fn plugin_override() -> Result<Option<PathBuf>> {
    match std::env::var_os(ENV_PLUGIN) {
        Some(p) if !p.is_empty() => {
            let path = PathBuf::from(p);
            if path.is_file() {
                Ok(Some(path))
            } else {
                Err(PjrtError::Provision(format!(
                    "{ENV_PLUGIN}={} does not name an existing file; point it at a PJRT \
                     plugin (.so) or unset it to use the CPU plugin ferrax fetches",
                    path.display()
                )))
            }
        }
        _ => Ok(None),
    }
}

/// The cache directory: `$FERRAX_CACHE`, else `$HOME/.cache/ferrax`.
pub fn cache_dir() -> Result<PathBuf> {
    cache_dir_from(std::env::var_os(ENV_CACHE), std::env::var_os("HOME"))
}

/// [`cache_dir`] with the two environment values passed in (for tests).
pub fn cache_dir_from(ferrax_cache: Option<OsString>, home: Option<OsString>) -> Result<PathBuf> {
    if let Some(c) = ferrax_cache.filter(|c| !c.is_empty()) {
        return Ok(PathBuf::from(c));
    }
    if let Some(h) = home.filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h).join(".cache").join("ferrax"));
    }
    Err(PjrtError::Provision(format!(
        "cannot choose a cache directory: neither {ENV_CACHE} nor HOME is set; set \
         {ENV_CACHE}=/some/dir (or {ENV_PLUGIN}=/path/to/plugin.so)"
    )))
}

/// Path of the pinned XLA CPU plugin, fetching it on first use.
///
/// `FERRAX_PJRT_PLUGIN` wins if set. Otherwise the plugin is looked up in the
/// cache ([`cache_dir`]) and verified (SHA-256, remembered in a stamp file), or
/// fetched: one progress line on stderr, `python3 -m pip download`, unzip,
/// verify, atomic rename. Concurrent callers (threads or processes) fetch once.
pub fn ensure_cpu_plugin() -> Result<PathBuf> {
    if let Some(p) = plugin_override()? {
        return Ok(p);
    }
    ensure_cpu_plugin_in(&cache_dir()?)
}

/// [`ensure_cpu_plugin`] with an explicit cache directory, ignoring
/// `FERRAX_PJRT_PLUGIN`.
pub fn ensure_cpu_plugin_in(cache: &Path) -> Result<PathBuf> {
    ensure_plugin_in(PluginManifest::cpu()?, cache)
}

/// Fetches (if needed) and verifies the plugin described by `manifest` into
/// `cache`, returning its path.
pub fn ensure_plugin_in(manifest: &PluginManifest, cache: &Path) -> Result<PathBuf> {
    let target = manifest.cached_path(cache);
    // Fast path: present and stamped as verified.
    if stamp_is_valid(&target, manifest) {
        return Ok(target);
    }
    check_target(manifest)?;
    let dir = cache.join(manifest.dir_name());
    fs::create_dir_all(&dir)
        .map_err(|e| PjrtError::io(format!("creating cache directory {}", dir.display()), e))?;
    let lock_path = cache.join(format!("{}.lock", manifest.dir_name()));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| PjrtError::io(format!("opening lock file {}", lock_path.display()), e))?;
    lock.lock()
        .map_err(|e| PjrtError::io(format!("locking {}", lock_path.display()), e))?;
    // Someone may have finished while we waited.
    if stamp_is_valid(&target, manifest) {
        return Ok(target);
    }
    if target.exists() {
        match verify_sha256(&target, &manifest.sha256) {
            Ok(()) => {
                write_stamp(&target, manifest);
                return Ok(target);
            }
            Err(PjrtError::HashMismatch { actual, .. }) => {
                eprintln!(
                    "ferrax: cached {} has SHA-256 {actual}, expected {}; fetching it again",
                    target.display(),
                    manifest.sha256
                );
                remove_quietly(&target);
                remove_quietly(&stamp_path(&target));
            }
            Err(e) => return Err(e),
        }
    }
    eprintln!(
        "ferrax: fetching CPU PJRT plugin {} {} ({} MB) into {} ...",
        manifest.name,
        manifest.version,
        (manifest.wheel_size + 500_000) / 1_000_000,
        display_home(cache)
    );
    let tmp = TempDir::new(cache, "fetch")?;
    let wheel = pip_download(manifest, tmp.path())?;
    let path = install_from_wheel(&wheel, manifest, &dir)?;
    drop(tmp);
    drop(lock);
    Ok(path)
}

/// Verifies the wheel, extracts `manifest.member` from it into `dest_dir`,
/// verifies the plugin's SHA-256 and renames it into place atomically (with a
/// verification stamp). A mismatch deletes the extracted file and reports both
/// hashes.
pub fn install_from_wheel(
    wheel: &Path,
    manifest: &PluginManifest,
    dest_dir: &Path,
) -> Result<PathBuf> {
    verify_sha256(wheel, &manifest.wheel_sha256)?;
    let file = File::open(wheel)
        .map_err(|e| PjrtError::io(format!("opening wheel {}", wheel.display()), e))?;
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file)).map_err(|e| {
        PjrtError::Provision(format!(
            "{} is not a valid wheel (zip): {e}",
            wheel.display()
        ))
    })?;
    let mut member = zip.by_name(&manifest.member).map_err(|e| {
        PjrtError::Provision(format!(
            "wheel {} has no {}: {e}",
            wheel.display(),
            manifest.member
        ))
    })?;
    fs::create_dir_all(dest_dir)
        .map_err(|e| PjrtError::io(format!("creating {}", dest_dir.display()), e))?;
    let target = dest_dir.join(manifest.file_name());
    let partial = dest_dir.join(format!(
        ".{}.partial-{}",
        manifest.file_name(),
        std::process::id()
    ));
    let result = (|| -> Result<String> {
        let out = File::create(&partial)
            .map_err(|e| PjrtError::io(format!("creating {}", partial.display()), e))?;
        let mut w = HashingWriter {
            inner: io::BufWriter::with_capacity(1 << 20, out),
            hasher: Sha256::new(),
        };
        io::copy(&mut member, &mut w)
            .map_err(|e| PjrtError::io(format!("extracting {}", manifest.member), e))?;
        let HashingWriter { inner, hasher } = w;
        let out = inner
            .into_inner()
            .map_err(|e| PjrtError::io(format!("writing {}", partial.display()), e.into_error()))?;
        out.sync_all()
            .map_err(|e| PjrtError::io(format!("writing {}", partial.display()), e))?;
        Ok(hex(&hasher.finalize()))
    })();
    let actual = match result {
        Ok(h) => h,
        Err(e) => {
            remove_quietly(&partial);
            return Err(e);
        }
    };
    if actual != manifest.sha256 {
        remove_quietly(&partial);
        return Err(PjrtError::HashMismatch {
            path: target,
            expected: manifest.sha256.clone(),
            actual,
        });
    }
    fs::rename(&partial, &target).map_err(|e| {
        remove_quietly(&partial);
        PjrtError::io(format!("moving the plugin to {}", target.display()), e)
    })?;
    write_stamp(&target, manifest);
    Ok(target)
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f =
        File::open(path).map_err(|e| PjrtError::io(format!("opening {}", path.display()), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| PjrtError::io(format!("reading {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Checks that `path` hashes to `expected` (hex, any case); a mismatch is
/// [`PjrtError::HashMismatch`] with both values.
pub fn verify_sha256(path: &Path, expected: &str) -> Result<()> {
    let actual = sha256_file(path)?;
    let expected = expected.trim().to_ascii_lowercase();
    if actual == expected {
        Ok(())
    } else {
        Err(PjrtError::HashMismatch {
            path: path.to_path_buf(),
            expected,
            actual,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

// ---- verification stamp ------------------------------------------------------

fn stamp_path(target: &Path) -> PathBuf {
    let mut s = target.as_os_str().to_owned();
    s.push(".verified");
    PathBuf::from(s)
}

/// `size=<bytes> mtime=<secs>.<nanos> sha256=<hex>` of the file now.
fn stamp_text(target: &Path, manifest: &PluginManifest) -> Option<String> {
    let md = fs::metadata(target).ok()?;
    let mtime = md.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(format!(
        "size={} mtime={}.{:09} sha256={}\n",
        md.len(),
        mtime.as_secs(),
        mtime.subsec_nanos(),
        manifest.sha256
    ))
}

fn stamp_is_valid(target: &Path, manifest: &PluginManifest) -> bool {
    let Some(now) = stamp_text(target, manifest) else {
        return false;
    };
    match fs::read_to_string(stamp_path(target)) {
        Ok(saved) => {
            saved == now && fs::metadata(target).map(|m| m.len()).ok() == Some(manifest.size)
        }
        Err(_) => false,
    }
}

/// Best effort: without a stamp the next start just hashes again.
fn write_stamp(target: &Path, manifest: &PluginManifest) {
    if let Some(text) = stamp_text(target, manifest) {
        let stamp = stamp_path(target);
        let tmp = PathBuf::from(format!("{}.tmp-{}", stamp.display(), std::process::id()));
        if fs::write(&tmp, text).is_ok() && fs::rename(&tmp, &stamp).is_err() {
            remove_quietly(&tmp);
        }
    }
}

// ---- pip ---------------------------------------------------------------------

fn python() -> OsString {
    std::env::var_os(ENV_PYTHON)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| OsString::from("python3"))
}

fn manual_hint(m: &PluginManifest) -> String {
    format!(
        "install the plugin by hand: run `pip download --no-deps --only-binary=:all: {req}` \
         on a machine with network access, unzip `{member}` from the wheel {wheel}, and set \
         {ENV_PLUGIN}=/path/to/{file}",
        req = m.requirement(),
        member = m.member,
        wheel = m.wheel,
        file = m.file_name()
    )
}

fn check_target(m: &PluginManifest) -> Result<()> {
    let here = format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS);
    if here != m.target {
        return Err(PjrtError::Provision(format!(
            "the pinned CPU plugin {} {} is built for {} only, this machine is {here}; \
             set {ENV_PLUGIN}=/path/to/a PJRT plugin built for this machine",
            m.name, m.version, m.target
        )));
    }
    Ok(())
}

/// Runs `python3 -m pip download` into `dir` and returns the wheel's path.
fn pip_download(m: &PluginManifest, dir: &Path) -> Result<PathBuf> {
    let py = python();
    let out = Command::new(&py)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args([
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ])
        .arg("-d")
        .arg(dir)
        .arg(m.requirement())
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(PjrtError::Provision(format!(
                "cannot fetch the CPU PJRT plugin: `{}` was not found. Install Python 3 with \
                 pip, set {ENV_PYTHON} to a Python interpreter, or {}",
                py.to_string_lossy(),
                manual_hint(m)
            )))
        }
        Err(e) => {
            return Err(PjrtError::Provision(format!(
                "cannot fetch the CPU PJRT plugin: running `{}` failed: {e}. {}",
                py.to_string_lossy(),
                manual_hint(m)
            )))
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        let said = tail.join("\n    ");
        let msg = if stderr.contains("No module named pip") {
            format!(
                "cannot fetch the CPU PJRT plugin: pip is not installed for `{}`. Install it \
                 (`{} -m ensurepip --user`, or your system's python3-pip package), or {}",
                py.to_string_lossy(),
                py.to_string_lossy(),
                manual_hint(m)
            )
        } else if is_network_error(&stderr) {
            format!(
                "cannot fetch the CPU PJRT plugin: pip could not download {} from {} (is the \
                 network or package index reachable? proxies: HTTPS_PROXY, PIP_INDEX_URL). pip \
                 said:\n    {said}\n{}",
                m.requirement(),
                m.source,
                manual_hint(m)
            )
        } else {
            format!(
                "cannot fetch the CPU PJRT plugin: `{} -m pip download {}` failed ({}). pip \
                 said:\n    {said}\n{}",
                py.to_string_lossy(),
                m.requirement(),
                out.status,
                manual_hint(m)
            )
        };
        return Err(PjrtError::Provision(msg));
    }
    let wheel = dir.join(&m.wheel);
    if wheel.is_file() {
        return Ok(wheel);
    }
    // pip may have picked another file name; take the one wheel it saved.
    let found = fs::read_dir(dir)
        .map_err(|e| PjrtError::io(format!("reading {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"));
    found.ok_or_else(|| {
        PjrtError::Provision(format!(
            "pip reported success but saved no wheel in {}. {}",
            dir.display(),
            manual_hint(m)
        ))
    })
}

fn is_network_error(stderr: &str) -> bool {
    [
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Name or service not known",
        "NewConnectionError",
        "ConnectionError",
        "Connection refused",
        "Max retries exceeded",
        "Could not fetch URL",
        "ProxyError",
        "SSLError",
        "timed out",
        "No matching distribution found",
        "Could not find a version that satisfies",
    ]
    .iter()
    .any(|s| stderr.contains(s))
}

// ---- CUDA / TPU lookup ---------------------------------------------------------

/// Directories Python searches for packages (site-packages, user site, sys.path).
fn python_package_dirs() -> Vec<PathBuf> {
    let script = "import site, sys\n\
                  ds = []\n\
                  try:\n    ds += site.getsitepackages()\nexcept Exception:\n    pass\n\
                  try:\n    ds.append(site.getusersitepackages())\nexcept Exception:\n    pass\n\
                  ds += sys.path\n\
                  print('\\n'.join(d for d in ds if d))\n";
    let out = Command::new(python()).arg("-c").arg(script).output();
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Ok(o) = out {
        if o.status.success() {
            for line in String::from_utf8_lossy(&o.stdout).lines() {
                let p = PathBuf::from(line.trim());
                if p.is_dir() && !dirs.contains(&p) {
                    dirs.push(p);
                }
            }
        }
    }
    dirs
}

/// `<dir>/jax_plugins/xla_cuda1*/xla_cuda_plugin.so`, newest CUDA first.
fn cuda_plugin_in(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir.join("jax_plugins"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("xla_cuda1"))
        .map(|e| e.path().join("xla_cuda_plugin.so"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}

fn find_cuda_plugin() -> Result<PathBuf> {
    let mut dirs = python_package_dirs();
    // Wheels unpacked in the cache: <cache>/jax-cuda1*/ (optionally one level deeper).
    if let Ok(cache) = cache_dir() {
        if let Ok(rd) = fs::read_dir(&cache) {
            for e in rd.filter_map(|e| e.ok()) {
                if e.file_name().to_string_lossy().starts_with("jax-cuda1") {
                    dirs.push(e.path());
                    if let Ok(sub) = fs::read_dir(e.path()) {
                        dirs.extend(sub.filter_map(|s| s.ok()).map(|s| s.path()));
                    }
                }
            }
        }
    }
    for d in &dirs {
        if let Some(p) = cuda_plugin_in(d) {
            return Ok(p);
        }
    }
    Err(PjrtError::Provision(format!(
        "no CUDA PJRT plugin found (looked for jax_plugins/xla_cuda12|13/xla_cuda_plugin.so \
         in {} Python package directories and in the ferrax cache). Install it with \
         `pip install jax-cuda12-pjrt jax-cuda12-plugin` (or the cuda13 packages), or set \
         {ENV_PLUGIN}=/path/to/xla_cuda_plugin.so",
        dirs.len()
    )))
}

fn find_tpu_plugin() -> Result<PathBuf> {
    let dirs = python_package_dirs();
    for d in &dirs {
        let p = d.join("libtpu").join("libtpu.so");
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(PjrtError::Provision(format!(
        "no TPU PJRT plugin found (looked for libtpu/libtpu.so in {} Python package \
         directories). Install it with `pip install libtpu`, or set \
         {ENV_PLUGIN}=/path/to/libtpu.so",
        dirs.len()
    )))
}

// ---- small helpers -------------------------------------------------------------

fn remove_quietly(p: &Path) {
    let _ = fs::remove_file(p);
}

fn display_home(p: &Path) -> String {
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        if let Ok(rest) = p.strip_prefix(&home) {
            return format!("~/{}", rest.display());
        }
    }
    p.display().to_string()
}

/// A directory removed (recursively) on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(parent: &Path, tag: &str) -> Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p = parent.join(format!(".{tag}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&p)
            .map_err(|e| PjrtError::io(format!("creating {}", p.display()), e))?;
        Ok(TempDir(p))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_manifest_parses() {
        let m = PluginManifest::cpu().expect("embedded manifest");
        assert_eq!(m.name, "xla-cpu-pjrt");
        assert_eq!(m.version, "0.0.1");
        assert_eq!(m.license, "Apache-2.0");
        assert_eq!(m.file_name(), "xla_cpu_pjrt.so");
        assert_eq!(
            m.cached_path(Path::new("/c")),
            Path::new("/c/xla-cpu-pjrt-0.0.1/xla_cpu_pjrt.so")
        );
        assert_eq!(m.size, 259284552);
    }

    #[test]
    fn manifest_errors() {
        assert!(PluginManifest::parse("name = \"x\"").is_err());
        assert!(PluginManifest::parse("garbage line").is_err());
        assert!(PluginManifest::parse("size = 12a").is_err());
    }

    #[test]
    fn platform_parsing() {
        assert_eq!("cpu".parse::<Platform>().ok(), Some(Platform::Cpu));
        assert_eq!("CUDA".parse::<Platform>().ok(), Some(Platform::Cuda));
        assert_eq!("tpu".parse::<Platform>().ok(), Some(Platform::Tpu));
        let e = "metal".parse::<Platform>().err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("expected cpu, cuda or tpu")));
    }

    #[test]
    fn cache_dir_resolution() {
        let p = cache_dir_from(Some("/x".into()), Some("/home/u".into())).ok();
        assert_eq!(p, Some(PathBuf::from("/x")));
        let p = cache_dir_from(None, Some("/home/u".into())).ok();
        assert_eq!(p, Some(PathBuf::from("/home/u/.cache/ferrax")));
        let p = cache_dir_from(Some("".into()), Some("/home/u".into())).ok();
        assert_eq!(p, Some(PathBuf::from("/home/u/.cache/ferrax")));
        assert!(cache_dir_from(None, None).is_err());
    }

    #[test]
    fn hex_digest() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
