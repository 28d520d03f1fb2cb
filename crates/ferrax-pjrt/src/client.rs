//! Client, devices, executables, buffers and events: the safe layer over PJRT.

use std::ffi::c_void;
use std::fmt;
use std::ptr::{null, null_mut};
use std::sync::Arc;

use crate::error::{PjrtError, Result};
use crate::ffi;
use crate::plugin::{lossy, pjrt_call, Api, Plugin};
use crate::types::{checked_byte_len, type_string, ElementType};

/// Serialized `CompileOptionsProto` with
/// `executable_build_options { num_replicas: 1 num_partitions: 1 }` and the
/// `env_option_overrides` `xla_cpu_enable_fast_min_max: false` and
/// `xla_gpu_enable_fast_min_max: false`.
///
/// Never send empty options (or only one of the two fields): the XLA plugins
/// abort the whole process on a failed CHECK instead of returning an error.
///
/// The overrides make `maximum`/`minimum` follow the StableHLO spec (IEEE
/// 754-2019 `maximum`/`minimum`: NaN-propagating, `-0 < +0`), as in JAX: the CPU
/// plugin `xla-cpu-pjrt` 0.0.1 defaults to the fast forms, which return the first
/// operand when the second is NaN and ignore the sign of zero (found by the
/// differential tests, `tests/differential`).
pub const COMPILE_OPTIONS: [u8; 76] = compile_options();

const fn compile_options() -> [u8; 76] {
    let mut out = [0u8; 76];
    // executable_build_options (field 3) { num_replicas (4): 1, num_partitions (5): 1 }
    let head = [0x1a, 0x04, 0x20, 0x01, 0x28, 0x01];
    let cpu = bool_override_false(b"xla_cpu_enable_fast_min_max");
    let gpu = bool_override_false(b"xla_gpu_enable_fast_min_max");
    let mut i = 0;
    while i < 6 {
        out[i] = head[i];
        i += 1;
    }
    let mut k = 0;
    while k < 35 {
        out[6 + k] = cpu[k];
        out[41 + k] = gpu[k];
        k += 1;
    }
    out
}

/// One `env_option_overrides` map entry (field 7) `{ key: <key> value { bool_field: false } }`
/// for a 27-byte option name.
const fn bool_override_false(key: &[u8; 27]) -> [u8; 35] {
    let mut out = [0u8; 35];
    out[0] = 0x3a; // field 7, length-delimited
    out[1] = 33; // entry length
    out[2] = 0x0a; // key: field 1, length-delimited
    out[3] = 27;
    let mut i = 0;
    while i < 27 {
        out[4 + i] = key[i];
        i += 1;
    }
    out[31] = 0x12; // value: field 2 (OptionOverrideProto), length-delimited
    out[32] = 2;
    out[33] = 0x10; // bool_field: field 2, varint
    out[34] = 0; // false
    out
}

/// The expected type of one program input: element type and dimensions.
pub type ArgSpec = (ElementType, Vec<i64>);

pub(crate) struct ClientInner {
    plugin: Plugin,
    pub(crate) raw: *mut ffi::PJRT_Client,
    platform_name: String,
    platform_version: String,
    is_cpu: bool,
    devices: Vec<*mut ffi::PJRT_Device>,
    addressable: Vec<*mut ffi::PJRT_Device>,
}

// SAFETY: PJRT clients are thread-safe; the raw pointers are owned handles
// (client) or handles owned by the client (devices).
unsafe impl Send for ClientInner {}
unsafe impl Sync for ClientInner {}

impl Drop for ClientInner {
    fn drop(&mut self) {
        let mut a = ffi::ClientDestroyArgs::new();
        a.client = self.raw;
        let _ = pjrt_call!(&self.plugin.0.api, PJRT_Client_Destroy, &mut a);
    }
}

/// A PJRT client: the entry point for compiling programs and moving data.
///
/// Cheap to clone (an `Arc`); buffers, devices and executables hold a clone, so
/// the client lives as long as anything made from it.
#[derive(Clone)]
pub struct Client(pub(crate) Arc<ClientInner>);

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("platform", &self.0.platform_name)
            .field("version", &self.0.platform_version)
            .field("devices", &self.0.devices.len())
            .finish()
    }
}

impl Client {
    /// Creates a client (`PJRT_Client_Create` with no options).
    pub fn new(plugin: &Plugin) -> Result<Client> {
        let api = &plugin.0.api;
        let mut a = ffi::ClientCreateArgs::new();
        pjrt_call!(api, PJRT_Client_Create, &mut a)?;
        if a.client.is_null() {
            return Err(PjrtError::Unexpected(
                "PJRT_Client_Create returned no client".into(),
            ));
        }
        // Own the handle right away so every early return destroys it.
        let mut inner = ClientInner {
            plugin: plugin.clone(),
            raw: a.client,
            platform_name: String::new(),
            platform_version: String::new(),
            is_cpu: false,
            devices: Vec::new(),
            addressable: Vec::new(),
        };

        let mut n = ffi::ClientPlatformNameArgs::new();
        n.client = inner.raw;
        pjrt_call!(api, PJRT_Client_PlatformName, &mut n)?;
        // SAFETY: string owned by the client, with its length.
        inner.platform_name = unsafe { lossy(n.platform_name, n.platform_name_size) };
        inner.is_cpu = inner.platform_name.eq_ignore_ascii_case("cpu");

        let mut v = ffi::ClientPlatformVersionArgs::new();
        v.client = inner.raw;
        pjrt_call!(api, PJRT_Client_PlatformVersion, &mut v)?;
        // SAFETY: as above.
        inner.platform_version = unsafe { lossy(v.platform_version, v.platform_version_size) };

        let mut d = ffi::ClientDevicesArgs::new();
        d.client = inner.raw;
        pjrt_call!(api, PJRT_Client_Devices, &mut d)?;
        // SAFETY: array of `num_devices` handles owned by the client.
        inner.devices = unsafe { ptr_list(d.devices, d.num_devices) };

        let mut ad = ffi::ClientAddressableDevicesArgs::new();
        ad.client = inner.raw;
        pjrt_call!(api, PJRT_Client_AddressableDevices, &mut ad)?;
        // SAFETY: as above.
        inner.addressable = unsafe { ptr_list(ad.addressable_devices, ad.num_addressable_devices) };

        Ok(Client(Arc::new(inner)))
    }

    #[inline]
    pub(crate) fn api(&self) -> &Api {
        &self.0.plugin.0.api
    }

    /// The plugin this client was created from.
    pub fn plugin(&self) -> &Plugin {
        &self.0.plugin
    }

    /// Platform name, e.g. `"cpu"`, `"cuda"`, `"tpu"`.
    pub fn platform_name(&self) -> &str {
        &self.0.platform_name
    }

    /// Platform version string reported by the plugin.
    pub fn platform_version(&self) -> &str {
        &self.0.platform_version
    }

    /// Whether this is the CPU platform (output buffers can be read in place).
    pub fn is_cpu(&self) -> bool {
        self.0.is_cpu
    }

    /// All devices visible to the runtime.
    pub fn devices(&self) -> Result<Vec<Device>> {
        self.0
            .devices
            .iter()
            .map(|&d| Device::from_raw(self, d))
            .collect()
    }

    /// The devices this process can address (the ones buffers can live on).
    pub fn addressable_devices(&self) -> Result<Vec<Device>> {
        self.0
            .addressable
            .iter()
            .map(|&d| Device::from_raw(self, d))
            .collect()
    }

    fn same_client(&self, other: &Client) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Compiles a StableHLO program given as MLIR text (program format `"mlir"`),
    /// for one replica and one partition.
    ///
    /// The input types are not known to the runtime afterwards, so `execute` can
    /// only check them when a signature is recorded: prefer
    /// [`Client::compile_with_signature`]; this method tries to read the signature
    /// of the public `main` function from the text (see
    /// [`parse_main_signature`]) and records it when it can.
    pub fn compile(&self, program: &str) -> Result<LoadedExecutable> {
        let sig = parse_main_signature(program);
        self.compile_inner(program, sig)
    }

    /// Compiles like [`Client::compile`] and records the expected input types, so
    /// that [`LoadedExecutable::execute`] checks argument count, element types and
    /// dimensions before anything reaches the plugin.
    pub fn compile_with_signature(
        &self,
        program: &str,
        inputs: &[ArgSpec],
    ) -> Result<LoadedExecutable> {
        for (i, (ty, dims)) in inputs.iter().enumerate() {
            checked_byte_len(*ty, dims).map_err(|e| {
                PjrtError::InvalidArgument(format!("compile_with_signature: input {i}: {e}"))
            })?;
        }
        self.compile_inner(program, Some(inputs.to_vec()))
    }

    fn compile_inner(&self, program: &str, sig: Option<Vec<ArgSpec>>) -> Result<LoadedExecutable> {
        let api = self.api();
        // The C struct takes a mutable pointer; give the plugin its own copy.
        let mut code: Vec<u8> = program.as_bytes().to_vec();
        let format = b"mlir";
        let mut prog = ffi::Program::new();
        prog.code = code.as_mut_ptr().cast();
        prog.code_size = code.len();
        prog.format = format.as_ptr().cast();
        prog.format_size = format.len();

        let mut a = ffi::ClientCompileArgs::new();
        a.client = self.0.raw;
        a.program = &prog;
        a.compile_options = COMPILE_OPTIONS.as_ptr().cast();
        a.compile_options_size = COMPILE_OPTIONS.len();
        pjrt_call!(api, PJRT_Client_Compile, &mut a)?;
        if a.executable.is_null() {
            return Err(PjrtError::Unexpected(
                "PJRT_Client_Compile returned no executable".into(),
            ));
        }
        self.wrap_loaded(a.executable, sig)
    }

    /// Takes ownership of a loaded executable the plugin returned (non-null) and reads the
    /// executable behind it and its output count.
    pub(crate) fn wrap_loaded(
        &self,
        raw: *mut ffi::PJRT_LoadedExecutable,
        sig: Option<Vec<ArgSpec>>,
    ) -> Result<LoadedExecutable> {
        let api = self.api();
        let mut exe = LoadedExecutable {
            client: self.clone(),
            raw,
            executable: None,
            num_outputs: 0,
            signature: sig.map(Arc::from),
        };

        let mut g = ffi::LoadedExecutableGetExecutableArgs::new();
        g.loaded_executable = exe.raw;
        pjrt_call!(api, PJRT_LoadedExecutable_GetExecutable, &mut g)?;
        if g.executable.is_null() {
            return Err(PjrtError::Unexpected(
                "PJRT_LoadedExecutable_GetExecutable returned no executable".into(),
            ));
        }
        let executable = Executable {
            client: self.clone(),
            raw: g.executable,
        };
        exe.num_outputs = executable.num_outputs()?;
        exe.executable = Some(executable);
        Ok(exe)
    }

    /// Copies host data to a new device buffer.
    ///
    /// `data` is the dense row-major bytes of an array of `ty` with `dims`
    /// (`dims = []` is a scalar; a zero dimension gives an empty array). Its length
    /// is checked against the shape before the plugin is called. The call returns
    /// once the plugin no longer reads `data`. `device` defaults to the first
    /// addressable device.
    pub fn buffer_from_host(
        &self,
        data: &[u8],
        ty: ElementType,
        dims: &[i64],
        device: Option<&Device>,
    ) -> Result<Buffer> {
        let expected = checked_byte_len(ty, dims)?;
        if data.len() != expected {
            return Err(PjrtError::DataLength {
                context: "buffer_from_host",
                shape: type_string(ty, dims),
                expected,
                got: data.len(),
            });
        }
        let dev = match device {
            Some(d) => {
                if !self.same_client(&d.client) {
                    return Err(PjrtError::InvalidArgument(
                        "buffer_from_host: the device belongs to another client".into(),
                    ));
                }
                if !d.addressable {
                    return Err(PjrtError::InvalidArgument(format!(
                        "buffer_from_host: device {} is not addressable",
                        d.id
                    )));
                }
                d.raw
            }
            None => *self.0.addressable.first().ok_or_else(|| {
                PjrtError::InvalidArgument("the client has no addressable device".into())
            })?,
        };
        let api = self.api();
        let mut a = ffi::ClientBufferFromHostBufferArgs::new();
        a.client = self.0.raw;
        a.data = data.as_ptr().cast::<c_void>();
        a.ty = ty.to_pjrt();
        a.dims = dims.as_ptr();
        a.num_dims = dims.len();
        a.host_buffer_semantics = ffi::HOST_BUFFER_IMMUTABLE_UNTIL_TRANSFER_COMPLETES;
        a.device = dev;
        pjrt_call!(api, PJRT_Client_BufferFromHostBuffer, &mut a)?;
        // Own both outputs before anything can fail.
        let done = Event::wrap(self, a.done_with_host_buffer);
        let raw = a.buffer;
        if raw.is_null() {
            return Err(PjrtError::Unexpected(
                "PJRT_Client_BufferFromHostBuffer returned no buffer".into(),
            ));
        }
        let buf = Buffer {
            client: self.clone(),
            raw,
            ty,
            dims: dims.to_vec(),
        };
        // `data` is borrowed only for this call: wait until the plugin is done.
        if let Some(ev) = done {
            ev.await_ready()?;
        }
        Ok(buf)
    }
}

/// Copies a plugin-owned array of handles.
///
/// # Safety
/// `p` must be null or point to `n` handles.
unsafe fn ptr_list<T>(p: *const *mut T, n: usize) -> Vec<*mut T> {
    if p.is_null() || n == 0 {
        return Vec::new();
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(p, n) }.to_vec()
}

/// A device of a [`Client`] (a CPU, a GPU, a TPU core).
#[derive(Clone)]
pub struct Device {
    client: Client,
    raw: *mut ffi::PJRT_Device,
    id: i32,
    kind: String,
    addressable: bool,
}

// SAFETY: device handles are owned by the (thread-safe) client, which we keep alive.
unsafe impl Send for Device {}
unsafe impl Sync for Device {}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("addressable", &self.addressable)
            .finish()
    }
}

impl PartialEq for Device {
    fn eq(&self, other: &Device) -> bool {
        self.raw == other.raw
    }
}

impl Device {
    fn from_raw(client: &Client, raw: *mut ffi::PJRT_Device) -> Result<Device> {
        let api = client.api();
        let mut g = ffi::DeviceGetDescriptionArgs::new();
        g.device = raw;
        pjrt_call!(api, PJRT_Device_GetDescription, &mut g)?;
        let desc = g.device_description;

        let mut i = ffi::DeviceDescriptionIdArgs::new();
        i.device_description = desc;
        pjrt_call!(api, PJRT_DeviceDescription_Id, &mut i)?;

        let mut k = ffi::DeviceDescriptionKindArgs::new();
        k.device_description = desc;
        pjrt_call!(api, PJRT_DeviceDescription_Kind, &mut k)?;
        // SAFETY: string owned by the description, with its length.
        let kind = unsafe { lossy(k.device_kind, k.device_kind_size) };

        let addressable = client.0.addressable.contains(&raw);
        Ok(Device {
            client: client.clone(),
            raw,
            id: i.id,
            kind,
            addressable,
        })
    }

    /// The device id (unique within the client).
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The device kind, e.g. `"cpu"` or a GPU model name.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether this process can place buffers on the device.
    pub fn is_addressable(&self) -> bool {
        self.addressable
    }
}

/// A compiled program, ready to run on the client's devices
/// (`PJRT_LoadedExecutable`).
pub struct LoadedExecutable {
    pub(crate) client: Client,
    pub(crate) raw: *mut ffi::PJRT_LoadedExecutable,
    pub(crate) executable: Option<Executable>,
    pub(crate) num_outputs: usize,
    pub(crate) signature: Option<Arc<[ArgSpec]>>,
}

// SAFETY: PJRT executables may be executed concurrently from several threads.
unsafe impl Send for LoadedExecutable {}
unsafe impl Sync for LoadedExecutable {}

impl Drop for LoadedExecutable {
    fn drop(&mut self) {
        // Release the PJRT_Executable view first.
        self.executable = None;
        let mut a = ffi::LoadedExecutableDestroyArgs::new();
        a.executable = self.raw;
        let _ = pjrt_call!(self.client.api(), PJRT_LoadedExecutable_Destroy, &mut a);
    }
}

impl fmt::Debug for LoadedExecutable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedExecutable")
            .field("num_outputs", &self.num_outputs)
            .field("signature", &self.signature)
            .finish()
    }
}

impl LoadedExecutable {
    /// Number of outputs per execution.
    pub fn num_outputs(&self) -> usize {
        self.num_outputs
    }

    /// The recorded input signature, if known.
    pub fn signature(&self) -> Option<&[ArgSpec]> {
        self.signature.as_deref()
    }

    /// The client this executable was compiled by.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The underlying `PJRT_Executable` (metadata: outputs, name).
    pub fn executable(&self) -> Option<&Executable> {
        self.executable.as_ref()
    }

    /// Checks `args` against the recorded signature without running anything.
    pub fn check_args(&self, args: &[&Buffer]) -> Result<()> {
        for (i, b) in args.iter().enumerate() {
            if !self.client.same_client(&b.client) {
                return Err(PjrtError::InvalidArgument(format!(
                    "execute: argument {i} belongs to another client"
                )));
            }
        }
        if let Some(sig) = &self.signature {
            if sig.len() != args.len() {
                return Err(PjrtError::ArgumentCount {
                    expected: sig.len(),
                    got: args.len(),
                });
            }
            for (i, ((ty, dims), b)) in sig.iter().zip(args).enumerate() {
                if *ty != b.ty || dims.as_slice() != b.dims.as_slice() {
                    return Err(PjrtError::ArgumentMismatch {
                        index: i,
                        expected: type_string(*ty, dims),
                        got: type_string(b.ty, &b.dims),
                    });
                }
            }
        }
        Ok(())
    }

    /// Runs the program once on one device (single replica, single partition).
    ///
    /// Arguments are checked against the signature first (see
    /// [`LoadedExecutable::check_args`]); inputs are never donated, so they stay
    /// valid. Outputs may still be computing when this returns: reading them
    /// (`to_host`, `read_in_place`, `await_ready`) waits.
    pub fn execute(&self, args: &[&Buffer]) -> Result<Vec<Buffer>> {
        self.check_args(args)?;
        let api = self.client.api();
        let raw_args: Vec<*mut ffi::PJRT_Buffer> = args.iter().map(|b| b.raw).collect();
        let arg_lists: [*const *mut ffi::PJRT_Buffer; 1] = [raw_args.as_ptr()];
        let mut outs: Vec<*mut ffi::PJRT_Buffer> = vec![null_mut(); self.num_outputs];
        let out_lists: [*mut *mut ffi::PJRT_Buffer; 1] = [outs.as_mut_ptr()];
        // Never let the runtime donate (consume) an input we only borrowed.
        let keep: Vec<i64> = (0..args.len() as i64).collect();

        let mut opts = ffi::ExecuteOptions::new();
        opts.non_donatable_input_indices = if keep.is_empty() {
            null()
        } else {
            keep.as_ptr()
        };
        opts.num_non_donatable_input_indices = keep.len();

        let mut a = ffi::LoadedExecutableExecuteArgs::new();
        a.executable = self.raw;
        a.options = &mut opts;
        a.argument_lists = arg_lists.as_ptr();
        a.num_devices = 1;
        a.num_args = raw_args.len();
        a.output_lists = out_lists.as_ptr();
        let res = pjrt_call!(api, PJRT_LoadedExecutable_Execute, &mut a);

        // Own every output the plugin produced, even on error, so Drop frees them.
        let mut owned = Vec::with_capacity(outs.len());
        let mut first_err = res.err();
        for &raw in &outs {
            if raw.is_null() {
                continue;
            }
            match Buffer::from_raw(&self.client, raw) {
                Ok(b) => owned.push(b),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e);
        }
        if owned.len() != self.num_outputs {
            return Err(PjrtError::Unexpected(format!(
                "PJRT_LoadedExecutable_Execute produced {} of {} outputs",
                owned.len(),
                self.num_outputs
            )));
        }
        Ok(owned)
    }
}

/// Compiled-program metadata (`PJRT_Executable`).
pub struct Executable {
    pub(crate) client: Client,
    pub(crate) raw: *mut ffi::PJRT_Executable,
}

// SAFETY: read-only metadata handle of a thread-safe runtime.
unsafe impl Send for Executable {}
unsafe impl Sync for Executable {}

impl Drop for Executable {
    fn drop(&mut self) {
        let mut a = ffi::ExecutableDestroyArgs::new();
        a.executable = self.raw;
        let _ = pjrt_call!(self.client.api(), PJRT_Executable_Destroy, &mut a);
    }
}

impl Executable {
    /// Number of outputs (`PJRT_Executable_NumOutputs`).
    pub fn num_outputs(&self) -> Result<usize> {
        let mut a = ffi::ExecutableNumOutputsArgs::new();
        a.executable = self.raw;
        pjrt_call!(self.client.api(), PJRT_Executable_NumOutputs, &mut a)?;
        Ok(a.num_outputs)
    }

    /// The program name (`PJRT_Executable_Name`).
    pub fn name(&self) -> Result<String> {
        let mut a = ffi::ExecutableNameArgs::new();
        a.executable = self.raw;
        pjrt_call!(self.client.api(), PJRT_Executable_Name, &mut a)?;
        // SAFETY: string owned by the executable, with its length.
        Ok(unsafe { lossy(a.executable_name, a.executable_name_size) })
    }

    /// Output element types (`PJRT_Executable_OutputElementTypes`).
    pub fn output_element_types(&self) -> Result<Vec<ElementType>> {
        let mut a = ffi::ExecutableOutputElementTypesArgs::new();
        a.executable = self.raw;
        pjrt_call!(
            self.client.api(),
            PJRT_Executable_OutputElementTypes,
            &mut a
        )?;
        if a.output_types.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: array of `num_output_types` owned by the executable.
        let raw = unsafe { std::slice::from_raw_parts(a.output_types, a.num_output_types) };
        raw.iter()
            .map(|&t| {
                ElementType::from_pjrt(t).ok_or_else(|| {
                    PjrtError::Unexpected(format!("unsupported output element type {t}"))
                })
            })
            .collect()
    }

    /// Output dimensions (`PJRT_Executable_OutputDimensions`), one list per output.
    pub fn output_dims(&self) -> Result<Vec<Vec<i64>>> {
        let mut a = ffi::ExecutableOutputDimensionsArgs::new();
        a.executable = self.raw;
        pjrt_call!(self.client.api(), PJRT_Executable_OutputDimensions, &mut a)?;
        if a.dim_sizes.is_null() || a.num_outputs == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: `dim_sizes` has `num_outputs` entries and `dims` their sum,
        // owned by the executable.
        let sizes = unsafe { std::slice::from_raw_parts(a.dim_sizes, a.num_outputs) };
        let total: usize = sizes.iter().sum();
        let dims: &[i64] = if total == 0 || a.dims.is_null() {
            &[]
        } else {
            // SAFETY: see above.
            unsafe { std::slice::from_raw_parts(a.dims, total) }
        };
        let mut out = Vec::with_capacity(sizes.len());
        let mut at = 0;
        for &n in sizes {
            let end = (at + n).min(dims.len());
            out.push(dims[at.min(end)..end].to_vec());
            at = end;
        }
        Ok(out)
    }
}

/// A PJRT event: completion of an asynchronous operation.
pub struct Event {
    client: Client,
    raw: *mut ffi::PJRT_Event,
}

// SAFETY: events are thread-safe handles.
unsafe impl Send for Event {}
unsafe impl Sync for Event {}

impl Drop for Event {
    fn drop(&mut self) {
        let mut a = ffi::EventDestroyArgs::new();
        a.event = self.raw;
        let _ = pjrt_call!(self.client.api(), PJRT_Event_Destroy, &mut a);
    }
}

impl Event {
    fn wrap(client: &Client, raw: *mut ffi::PJRT_Event) -> Option<Event> {
        (!raw.is_null()).then(|| Event {
            client: client.clone(),
            raw,
        })
    }

    /// Blocks until the event is ready; returns the operation's error, if any.
    pub fn await_ready(&self) -> Result<()> {
        let mut a = ffi::EventAwaitArgs::new();
        a.event = self.raw;
        pjrt_call!(self.client.api(), PJRT_Event_Await, &mut a)
    }

    /// Whether the event is ready (without blocking).
    pub fn is_ready(&self) -> Result<bool> {
        let mut a = ffi::EventIsReadyArgs::new();
        a.event = self.raw;
        pjrt_call!(self.client.api(), PJRT_Event_IsReady, &mut a)?;
        Ok(a.is_ready)
    }

    /// The operation's error, if the event is ready and failed. `Ok(None)` if it
    /// is not ready yet or succeeded.
    pub fn error(&self) -> Result<Option<PjrtError>> {
        if !self.is_ready()? {
            return Ok(None);
        }
        let mut a = ffi::EventErrorArgs::new();
        a.event = self.raw;
        Ok(pjrt_call!(self.client.api(), PJRT_Event_Error, &mut a).err())
    }
}

/// An array on a device (`PJRT_Buffer`).
pub struct Buffer {
    client: Client,
    raw: *mut ffi::PJRT_Buffer,
    ty: ElementType,
    dims: Vec<i64>,
}

// SAFETY: PJRT buffers are thread-safe; ferrax never donates or mutates them.
unsafe impl Send for Buffer {}
unsafe impl Sync for Buffer {}

impl Drop for Buffer {
    fn drop(&mut self) {
        let mut a = ffi::BufferDestroyArgs::new();
        a.buffer = self.raw;
        let _ = pjrt_call!(self.client.api(), PJRT_Buffer_Destroy, &mut a);
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Buffer({})", type_string(self.ty, &self.dims))
    }
}

impl Buffer {
    /// Takes ownership of `raw` (destroyed on every path) and reads its type.
    fn from_raw(client: &Client, raw: *mut ffi::PJRT_Buffer) -> Result<Buffer> {
        let api = client.api();
        let mut b = Buffer {
            client: client.clone(),
            raw,
            ty: ElementType::U8,
            dims: Vec::new(),
        };
        let mut t = ffi::BufferElementTypeArgs::new();
        t.buffer = raw;
        pjrt_call!(api, PJRT_Buffer_ElementType, &mut t)?;
        b.ty = ElementType::from_pjrt(t.ty).ok_or_else(|| {
            PjrtError::Unexpected(format!(
                "output buffer has element type {} (PJRT_Buffer_Type), which ferrax does not support",
                t.ty
            ))
        })?;
        let mut d = ffi::BufferDimensionsArgs::new();
        d.buffer = raw;
        pjrt_call!(api, PJRT_Buffer_Dimensions, &mut d)?;
        if !d.dims.is_null() && d.num_dims > 0 {
            // SAFETY: `num_dims` entries owned by the buffer.
            b.dims = unsafe { std::slice::from_raw_parts(d.dims, d.num_dims) }.to_vec();
        }
        Ok(b)
    }

    /// Element type.
    pub fn element_type(&self) -> ElementType {
        self.ty
    }

    /// Dimensions (empty for a scalar).
    pub fn dims(&self) -> &[i64] {
        &self.dims
    }

    /// Number of elements.
    pub fn element_count(&self) -> usize {
        self.dims.iter().map(|&d| d.max(0) as usize).product()
    }

    /// Size of the dense host representation in bytes.
    pub fn byte_len(&self) -> Result<usize> {
        checked_byte_len(self.ty, &self.dims)
    }

    /// The client that owns this buffer.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The event that becomes ready when the buffer's contents are computed.
    pub fn ready_event(&self) -> Result<Event> {
        let mut a = ffi::BufferReadyEventArgs::new();
        a.buffer = self.raw;
        pjrt_call!(self.client.api(), PJRT_Buffer_ReadyEvent, &mut a)?;
        Event::wrap(&self.client, a.event)
            .ok_or_else(|| PjrtError::Unexpected("PJRT_Buffer_ReadyEvent returned no event".into()))
    }

    /// Waits until the buffer is computed; returns the computation's error if it
    /// failed.
    pub fn await_ready(&self) -> Result<()> {
        self.ready_event()?.await_ready()
    }

    /// Bytes the buffer occupies on its device.
    pub fn on_device_size_in_bytes(&self) -> Result<usize> {
        let mut a = ffi::BufferOnDeviceSizeInBytesArgs::new();
        a.buffer = self.raw;
        pjrt_call!(self.client.api(), PJRT_Buffer_OnDeviceSizeInBytes, &mut a)?;
        Ok(a.on_device_size_in_bytes)
    }

    /// The device the buffer lives on.
    pub fn device(&self) -> Result<Device> {
        let mut a = ffi::BufferDeviceArgs::new();
        a.buffer = self.raw;
        pjrt_call!(self.client.api(), PJRT_Buffer_Device, &mut a)?;
        Device::from_raw(&self.client, a.device)
    }

    /// Copies the buffer to host memory (`PJRT_Buffer_ToHostBuffer`), dense,
    /// row-major. Waits for the buffer to be ready.
    pub fn to_host(&self) -> Result<Vec<u8>> {
        let mut v = vec![0u8; self.byte_len()?];
        self.copy_to_host(&mut v)?;
        Ok(v)
    }

    /// Like [`Buffer::to_host`] into a caller-provided slice of exactly
    /// [`Buffer::byte_len`] bytes.
    pub fn copy_to_host(&self, dst: &mut [u8]) -> Result<()> {
        let n = self.byte_len()?;
        if dst.len() != n {
            return Err(PjrtError::DataLength {
                context: "copy_to_host",
                shape: type_string(self.ty, &self.dims),
                expected: n,
                got: dst.len(),
            });
        }
        if n == 0 {
            // Nothing to copy, but surface a failed computation.
            return self.await_ready();
        }
        let mut a = ffi::BufferToHostBufferArgs::new();
        a.src = self.raw;
        a.dst = dst.as_mut_ptr().cast();
        a.dst_size = n;
        let res = pjrt_call!(self.client.api(), PJRT_Buffer_ToHostBuffer, &mut a);
        // Wait for the copy before `dst` can be touched again, even on error.
        let ev = Event::wrap(&self.client, a.event);
        res?;
        match ev {
            Some(ev) => ev.await_ready(),
            None => Ok(()),
        }
    }

    /// Calls `f` with the buffer's bytes (dense, row-major).
    ///
    /// On the CPU platform this waits for the buffer and reads device memory in
    /// place (`PJRT_Buffer_UnsafePointer`), with no copy; elsewhere it copies to
    /// the host first. The slice is valid only inside `f`.
    pub fn read_in_place<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        if !self.client.is_cpu() {
            let v = self.to_host()?;
            return Ok(f(&v));
        }
        self.await_ready()?;
        let n = self.byte_len()?;
        if n == 0 {
            return Ok(f(&[]));
        }
        let mut p = ffi::BufferUnsafePointerArgs::new();
        p.buffer = self.raw;
        let ptr = match pjrt_call!(self.client.api(), PJRT_Buffer_UnsafePointer, &mut p) {
            Ok(()) => p.buffer_pointer,
            Err(PjrtError::Unsupported { .. }) => 0,
            Err(e) => return Err(e),
        };
        if ptr == 0 || self.on_device_size_in_bytes()? < n {
            let v = self.to_host()?;
            return Ok(f(&v));
        }
        // SAFETY: on the CPU platform the pointer addresses the buffer's host
        // memory, at least `n` bytes (checked above), computed (awaited above),
        // and alive while `self` is borrowed. Inputs are never donated by
        // `execute`, so nothing writes to it concurrently.
        let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, n) };
        Ok(f(bytes))
    }
}

/// Reads the input types of the public `main` function from StableHLO text.
///
/// Understands the pretty form (`func.func public @main(%arg0: tensor<2x3xf32>
/// {attrs}, ...)`) and the generic form (`function_type = (tensor<...>, ...) ->
/// ...` next to `sym_name = "main"`). Returns `None` when the text has another
/// shape (dynamic dimensions, tuples, tokens, unknown element types), in which
/// case nothing is checked on our side.
pub fn parse_main_signature(text: &str) -> Option<Vec<ArgSpec>> {
    // Pretty form.
    if let Some(pos) = text.find("@main(") {
        let rest = &text[pos + "@main(".len()..];
        let inner = balanced_prefix(rest)?;
        let mut specs = Vec::new();
        for part in split_top_level(inner) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let colon = part.find(':')?;
            let ty = part[colon + 1..].trim();
            specs.push(parse_tensor_type(ty)?);
        }
        return Some(specs);
    }
    // Generic form: the function_type of the op whose sym_name is "main".
    let mut search = text;
    while let Some(pos) = search.find("function_type = (") {
        let after = &search[pos + "function_type = (".len()..];
        let inner = balanced_prefix(after)?;
        // The attribute dict this function_type belongs to ends at the next '}'
        // at depth 0; look for sym_name = "main" in the surrounding dict.
        let dict_end = after.find("} :").unwrap_or(after.len());
        let dict_start = search[..pos].rfind('{').unwrap_or(0);
        let dict = &search[dict_start..pos + "function_type = (".len() + dict_end];
        if dict.contains("sym_name = \"main\"") {
            let mut specs = Vec::new();
            for part in split_top_level(inner) {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                specs.push(parse_tensor_type(part)?);
            }
            return Some(specs);
        }
        search = after;
    }
    None
}

/// The text up to the `)` matching an already consumed `(`.
fn balanced_prefix(s: &str) -> Option<&str> {
    let mut depth = 1i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '<' | '{' | '[' => depth += 1,
            ')' | '>' | '}' | ']' => {
                depth -= 1;
                if depth == 0 {
                    return (c == ')').then(|| &s[..i]);
                }
            }
            '-' if s[i..].starts_with("->") => {
                // `->` inside a nested function type: skip the '>'.
                depth += 1;
            }
            _ => {}
        }
    }
    None
}

/// Splits on commas not nested in brackets.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = s.as_bytes();
    for (i, c) in s.char_indices() {
        match c {
            '(' | '<' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            '>' if i == 0 || bytes[i - 1] != b'-' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Parses `tensor<2x3xf32>` (optionally followed by an attribute dict or `loc`).
fn parse_tensor_type(s: &str) -> Option<ArgSpec> {
    let s = s.trim();
    let body = s.strip_prefix("tensor<")?;
    let end = body.find('>')?;
    let body = &body[..end];
    // An encoding (`tensor<4xf32, #enc>`) is not supported.
    if body.contains(',') {
        return None;
    }
    let parts: Vec<&str> = body.split('x').collect();
    let (elem, dims) = parts.split_last()?;
    let mut out = Vec::with_capacity(dims.len());
    for d in dims {
        out.push(d.trim().parse::<i64>().ok()?);
    }
    let ty = match elem.trim() {
        "i1" => ElementType::Pred,
        "i8" | "si8" => ElementType::S8,
        "i16" | "si16" => ElementType::S16,
        "i32" | "si32" => ElementType::S32,
        "i64" | "si64" => ElementType::S64,
        "ui8" => ElementType::U8,
        "ui16" => ElementType::U16,
        "ui32" => ElementType::U32,
        "ui64" => ElementType::U64,
        "f16" => ElementType::F16,
        "f32" => ElementType::F32,
        "f64" => ElementType::F64,
        "bf16" => ElementType::BF16,
        _ => return None,
    };
    Some((ty, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pretty_main() {
        let t = "module @m {\n  func.func public @main(%arg0: tensor<2x3xf32> {mhlo.sharding = \"{replicated}\"}, %arg1: tensor<i32>, %arg2: tensor<0x4xbf16>) -> (tensor<2x3xf32> {jax.result_info = \"\"}) {\n";
        let s = parse_main_signature(t).expect("parsed");
        assert_eq!(
            s,
            vec![
                (ElementType::F32, vec![2, 3]),
                (ElementType::S32, vec![]),
                (ElementType::BF16, vec![0, 4]),
            ]
        );
        assert_eq!(
            parse_main_signature("func.func @main() -> tensor<f32> {"),
            Some(vec![])
        );
    }

    #[test]
    fn parses_generic_main() {
        let t = r#""builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xui32>):
    "func.return"(%arg0) : (tensor<2x3xf32>) -> ()
  }) {function_type = (tensor<2x3xf32>, tensor<2x3xui32>) -> (tensor<2x3xf32>), sym_name = "main", sym_visibility = "public"} : () -> ()
}) {sym_name = "tiny"} : () -> ()"#;
        let s = parse_main_signature(t).expect("parsed");
        assert_eq!(
            s,
            vec![
                (ElementType::F32, vec![2, 3]),
                (ElementType::U32, vec![2, 3])
            ]
        );
    }

    #[test]
    fn unknown_shapes_give_none() {
        assert_eq!(
            parse_main_signature("func.func public @main(%arg0: tensor<?x3xf32>) {"),
            None
        );
        assert_eq!(
            parse_main_signature("func.func public @main(%arg0: tensor<2xcomplex<f32>>) {"),
            None
        );
        assert_eq!(parse_main_signature("nothing here"), None);
    }
}
