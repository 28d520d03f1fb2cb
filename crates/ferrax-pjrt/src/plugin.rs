//! Loading a PJRT plugin and calling into its function table.

use std::ffi::c_char;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use libloading::Library;

use crate::error::{ErrorCode, PjrtError, Result};
use crate::ffi::{self, PjrtApi};

/// Calls PJRT entry point `$slot` of `$api` (an [`Api`]) with `&mut $args`,
/// checking that the plugin's table contains the slot and turning a returned
/// `PJRT_Error*` into [`PjrtError::Plugin`] named after the slot.
macro_rules! pjrt_call {
    ($api:expr, $slot:ident, $args:expr) => {{
        let api: &$crate::plugin::Api = $api;
        match api.table_fn(
            ::std::mem::offset_of!($crate::ffi::PjrtApi, $slot),
            stringify!($slot),
        ) {
            Ok(table) => match table.$slot {
                Some(f) => {
                    // SAFETY: `f` comes from the plugin's table (slot in range,
                    // checked above) and `$args` is a live, initialised args
                    // struct of the type this entry point takes.
                    let err = unsafe { f($args) };
                    api.check(err, stringify!($slot))
                }
                None => Err(api.unsupported(stringify!($slot))),
            },
            Err(e) => Err(e),
        }
    }};
}
pub(crate) use pjrt_call;

/// A checked handle to a plugin's `PJRT_Api` table.
#[derive(Clone, Copy)]
pub(crate) struct Api {
    table: *const PjrtApi,
    pub(crate) major: i32,
    pub(crate) minor: i32,
}

// SAFETY: the table is immutable static data inside the plugin, which is never
// unloaded; the PJRT C API is thread-safe.
unsafe impl Send for Api {}
unsafe impl Sync for Api {}

impl Api {
    /// The table, if it holds the slot at `offset`.
    #[inline]
    pub(crate) fn table_fn(&self, offset: usize, call: &'static str) -> Result<&PjrtApi> {
        // SAFETY: `table` was checked non-null at load time and lives as long as
        // the (never unloaded) library.
        let t = unsafe { &*self.table };
        if t.has(offset) {
            Ok(t)
        } else {
            Err(self.unsupported(call))
        }
    }

    pub(crate) fn unsupported(&self, call: &'static str) -> PjrtError {
        PjrtError::Unsupported {
            call,
            major: self.major,
            minor: self.minor,
        }
    }

    /// Converts an owned `PJRT_Error*` (null = success) into a `Result`,
    /// destroying the error.
    pub(crate) fn check(&self, err: *mut ffi::PJRT_Error, call: &'static str) -> Result<()> {
        if err.is_null() {
            return Ok(());
        }
        Err(self.take_error(err, call))
    }

    /// Reads message and code of a non-null owned error and destroys it.
    pub(crate) fn take_error(&self, err: *mut ffi::PJRT_Error, call: &'static str) -> PjrtError {
        // SAFETY: see `table_fn`.
        let t = unsafe { &*self.table };
        let mut message = String::from("(no message)");
        if let Some(f) = t.PJRT_Error_Message {
            let mut a = ffi::ErrorMessageArgs::new();
            a.error = err;
            // SAFETY: valid error from this plugin; message lives as long as it.
            unsafe {
                f(&mut a);
                message = lossy(a.message, a.message_size);
            }
        }
        let mut code = ErrorCode::Unknown;
        if let Some(f) = t.PJRT_Error_GetCode {
            let mut a = ffi::ErrorGetCodeArgs::new();
            a.error = err;
            // SAFETY: as above. GetCode can itself fail; destroy that error too.
            let e2 = unsafe { f(&mut a) };
            if e2.is_null() {
                code = ErrorCode::from_raw(a.code);
            } else {
                self.destroy_error(e2);
            }
        }
        self.destroy_error(err);
        PjrtError::Plugin {
            call,
            code,
            message,
        }
    }

    fn destroy_error(&self, err: *mut ffi::PJRT_Error) {
        // SAFETY: see `table_fn`.
        let t = unsafe { &*self.table };
        if let Some(f) = t.PJRT_Error_Destroy {
            let mut a = ffi::ErrorDestroyArgs::new();
            a.error = err;
            // SAFETY: `err` is an owned error from this plugin, destroyed once.
            unsafe { f(&mut a) };
        }
    }
}

/// `e: source: source...` in one line (libloading keeps dlerror() in the source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

/// Copies a (pointer, length) string out of the plugin, replacing invalid UTF-8.
///
/// # Safety
/// `ptr` must be null or point to `len` readable bytes.
pub(crate) unsafe fn lossy(ptr: *const c_char, len: usize) -> String {
    if ptr.is_null() || len == 0 {
        return String::new();
    }
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    String::from_utf8_lossy(bytes).into_owned()
}

/// The value of a plugin attribute (`PJRT_NamedValue`).
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A string.
    String(String),
    /// A 64-bit integer.
    Int64(i64),
    /// A list of 64-bit integers (e.g. a version triple).
    Int64List(Vec<i64>),
    /// A 32-bit float.
    Float(f32),
    /// A boolean.
    Bool(bool),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::String(s) => write!(f, "{s:?}"),
            AttrValue::Int64(v) => write!(f, "{v}"),
            AttrValue::Int64List(v) => write!(f, "{v:?}"),
            AttrValue::Float(v) => write!(f, "{v}"),
            AttrValue::Bool(v) => write!(f, "{v}"),
        }
    }
}

pub(crate) struct PluginInner {
    pub(crate) api: Api,
    path: PathBuf,
    attributes: Vec<(String, AttrValue)>,
    /// Kept so the library stays mapped; plugins live in the registry for the
    /// whole process, so this is never dropped in practice.
    _lib: Library,
}

/// A loaded and initialised PJRT plugin (a shared library exporting `GetPjrtApi`).
///
/// Cheap to clone (an `Arc`). Loading the same file twice returns the same plugin:
/// a process-wide registry keyed by canonical path ensures each plugin is opened
/// and `PJRT_Plugin_Initialize`d once, and is never unloaded.
#[derive(Clone)]
pub struct Plugin(pub(crate) Arc<PluginInner>);

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.0.path)
            .field("api_version", &self.api_version())
            .finish()
    }
}

static REGISTRY: Mutex<Vec<Plugin>> = Mutex::new(Vec::new());

impl Plugin {
    /// Loads (or returns the already loaded) PJRT plugin at `path`.
    ///
    /// Checks that the library exports `GetPjrtApi`, that the API major version is
    /// 0, calls `PJRT_Plugin_Initialize` once, and reads the plugin attributes.
    pub fn load(path: &Path) -> Result<Plugin> {
        let canonical = std::fs::canonicalize(path).map_err(|e| PjrtError::Load {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if !canonical.is_file() {
            return Err(PjrtError::Load {
                path: path.to_path_buf(),
                reason: "not a regular file".into(),
            });
        }
        let mut reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = reg.iter().find(|p| p.0.path == canonical) {
            return Ok(p.clone());
        }
        let plugin = Plugin::open(canonical)?;
        reg.push(plugin.clone());
        Ok(plugin)
    }

    fn open(path: PathBuf) -> Result<Plugin> {
        // SAFETY: loading a library runs its initialisers; that is the point of a
        // plugin and cannot be made safe from here.
        let lib = unsafe { Library::new(&path) }.map_err(|e| PjrtError::Load {
            path: path.clone(),
            reason: error_chain(&e),
        })?;
        // SAFETY: the symbol, if present, has the documented PJRT signature.
        let get: ffi::GetPjrtApiFn = match unsafe { lib.get::<ffi::GetPjrtApiFn>(c"GetPjrtApi") } {
            Ok(sym) => *sym,
            Err(_) => return Err(PjrtError::NotAPlugin { path }),
        };
        // SAFETY: calling the plugin's exported accessor.
        let table = unsafe { get() };
        if table.is_null() {
            return Err(PjrtError::Load {
                path,
                reason: "GetPjrtApi returned a null table".into(),
            });
        }
        // SAFETY: non-null; the header part is present in every version.
        let header = unsafe { &*table };
        if header.struct_size < ffi::FIRST_SLOT_OFFSET {
            return Err(PjrtError::Load {
                path,
                reason: format!("PJRT_Api table too small ({} bytes)", header.struct_size),
            });
        }
        let major = header.pjrt_api_version.major_version;
        let minor = header.pjrt_api_version.minor_version;
        if major != 0 {
            return Err(PjrtError::UnsupportedApiVersion { path, major, minor });
        }
        let api = Api {
            table,
            major,
            minor,
        };
        let mut init = ffi::PluginInitializeArgs::new();
        match pjrt_call!(&api, PJRT_Plugin_Initialize, &mut init) {
            Ok(()) | Err(PjrtError::Unsupported { .. }) => {}
            Err(e) => return Err(e),
        }
        let attributes = read_attributes(&api)?;
        Ok(Plugin(Arc::new(PluginInner {
            api,
            path,
            attributes,
            _lib: lib,
        })))
    }

    /// Loads the plugin for the configured platform: `FERRAX_PJRT_PLUGIN`, else
    /// `FERRAX_PLATFORM` (default CPU, fetched on first use); see
    /// [`crate::provision::default_plugin_path`].
    pub fn load_default() -> Result<Plugin> {
        Plugin::load(&crate::provision::default_plugin_path()?)
    }

    /// The PJRT C API version the plugin was built with, `(major, minor)`.
    pub fn api_version(&self) -> (i32, i32) {
        (self.0.api.major, self.0.api.minor)
    }

    /// The canonical path the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// The plugin attributes (`PJRT_Plugin_Attributes`), in the plugin's order.
    pub fn attributes(&self) -> Vec<(String, AttrValue)> {
        self.0.attributes.clone()
    }

    /// One attribute by name.
    pub fn attribute(&self, name: &str) -> Option<&AttrValue> {
        self.0
            .attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The newest StableHLO version the plugin accepts (attribute
    /// `stablehlo_current_version`), e.g. `[1, 13, 3]`.
    pub fn stablehlo_current_version(&self) -> Option<[u32; 3]> {
        self.version_attr("stablehlo_current_version")
    }

    /// The oldest StableHLO version the plugin accepts (attribute
    /// `stablehlo_minimum_version`).
    pub fn stablehlo_minimum_version(&self) -> Option<[u32; 3]> {
        self.version_attr("stablehlo_minimum_version")
    }

    fn version_attr(&self, name: &str) -> Option<[u32; 3]> {
        match self.attribute(name)? {
            AttrValue::Int64List(v) if v.len() == 3 => Some([
                u32::try_from(v[0]).ok()?,
                u32::try_from(v[1]).ok()?,
                u32::try_from(v[2]).ok()?,
            ]),
            _ => None,
        }
    }
}

fn read_attributes(api: &Api) -> Result<Vec<(String, AttrValue)>> {
    let mut a = ffi::PluginAttributesArgs::new();
    match pjrt_call!(api, PJRT_Plugin_Attributes, &mut a) {
        Ok(()) => {}
        Err(PjrtError::Unsupported { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    let mut out = Vec::with_capacity(a.num_attributes);
    if a.attributes.is_null() {
        return Ok(out);
    }
    for i in 0..a.num_attributes {
        // SAFETY: the plugin returned an array of `num_attributes` named values
        // that live for the whole process.
        let nv = unsafe { &*a.attributes.add(i) };
        // SAFETY: name / value pointers come with their sizes from the plugin.
        let name = unsafe { lossy(nv.name, nv.name_size) };
        let value = unsafe {
            match nv.ty {
                ffi::NAMED_VALUE_STRING => {
                    AttrValue::String(lossy(nv.value.string_value, nv.value_size))
                }
                ffi::NAMED_VALUE_INT64 => AttrValue::Int64(nv.value.int64_value),
                ffi::NAMED_VALUE_INT64_LIST => {
                    let p = nv.value.int64_array_value;
                    if p.is_null() || nv.value_size == 0 {
                        AttrValue::Int64List(Vec::new())
                    } else {
                        AttrValue::Int64List(std::slice::from_raw_parts(p, nv.value_size).to_vec())
                    }
                }
                ffi::NAMED_VALUE_FLOAT => AttrValue::Float(nv.value.float_value),
                ffi::NAMED_VALUE_BOOL => AttrValue::Bool(nv.value.bool_byte != 0),
                _ => continue,
            }
        };
        out.push((name, value));
    }
    Ok(out)
}
