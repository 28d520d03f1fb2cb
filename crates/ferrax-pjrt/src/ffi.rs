//! Hand-written `repr(C)` mirror of the parts of the PJRT C API that ferrax uses.
//!
//! Layouts follow PJRT C API version 0.81 (`PJRT_API_MINOR 81`). Every `*_Args`
//! struct starts with `struct_size` and `extension_start`; the plugin compares
//! `struct_size` against its own layout and rejects structs that are smaller, so
//! these must be at least as new as the newest plugin loaded. The `struct_size`
//! we pass is `offsetof(last field) + sizeof(last field)`, as the C header's
//! `PJRT_STRUCT_SIZE` computes it. Every struct is created zeroed, so fields a
//! newer plugin might read are null / zero / false.
//!
//! The function table [`PjrtApi`] is spelled out slot by slot; the slots ferrax
//! does not call are opaque pointers so that the offsets of the ones it does call
//! are right. Offsets are checked at compile time at the bottom of this file.

#![allow(non_snake_case, non_camel_case_types, dead_code)]

use std::ffi::{c_char, c_int, c_void};
use std::mem::{offset_of, size_of};

/// Opaque handle types (never dereferenced on the Rust side).
#[repr(C)]
pub struct PJRT_Error {
    _p: [u8; 0],
}
#[repr(C)]
pub struct PJRT_Event {
    _p: [u8; 0],
}
#[repr(C)]
pub struct PJRT_Client {
    _p: [u8; 0],
}
#[repr(C)]
pub struct PJRT_Device {
    _p: [u8; 0],
}
#[repr(C)]
pub struct PJRT_DeviceDescription {
    _p: [u8; 0],
}
#[repr(C)]
pub struct PJRT_Executable {
    _p: [u8; 0],
}
#[repr(C)]
pub struct PJRT_LoadedExecutable {
    _p: [u8; 0],
}
#[repr(C)]
pub struct PJRT_Buffer {
    _p: [u8; 0],
}

/// `PJRT_Extension_Base*`: ferrax never passes extensions.
pub type ExtPtr = *mut c_void;
/// A slot of the function table ferrax does not call.
pub type Opaque = *const c_void;
/// A PJRT entry point: takes its args struct, returns an owned error or null.
pub type ApiFn<A> = Option<unsafe extern "C" fn(*mut A) -> *mut PJRT_Error>;
/// The two entry points that return nothing (error destroy / message).
pub type VoidFn<A> = Option<unsafe extern "C" fn(*mut A)>;

/// Signature of the exported `GetPjrtApi` symbol.
pub type GetPjrtApiFn = unsafe extern "C" fn() -> *const PjrtApi;

// C enums are `int` on every platform PJRT supports.
pub type PJRT_Error_Code = c_int;
pub type PJRT_NamedValue_Type = c_int;
pub type PJRT_Buffer_Type = c_int;
pub type PJRT_HostBufferSemantics = c_int;

pub const NAMED_VALUE_STRING: PJRT_NamedValue_Type = 0;
pub const NAMED_VALUE_INT64: PJRT_NamedValue_Type = 1;
pub const NAMED_VALUE_INT64_LIST: PJRT_NamedValue_Type = 2;
pub const NAMED_VALUE_FLOAT: PJRT_NamedValue_Type = 3;
pub const NAMED_VALUE_BOOL: PJRT_NamedValue_Type = 4;

pub const HOST_BUFFER_IMMUTABLE_ONLY_DURING_CALL: PJRT_HostBufferSemantics = 0;
pub const HOST_BUFFER_IMMUTABLE_UNTIL_TRANSFER_COMPLETES: PJRT_HostBufferSemantics = 1;

/// Defines a `repr(C)` args struct plus `STRUCT_SIZE` (end of its last field)
/// and `new()` (zeroed, with `struct_size` filled in).
macro_rules! pjrt_struct {
    ($(#[$m:meta])* pub struct $name:ident { $(pub $f:ident : $t:ty,)* }) => {
        $(#[$m])*
        #[repr(C)]
        pub struct $name {
            $(pub $f: $t,)*
        }
        impl $name {
            /// `PJRT_STRUCT_SIZE(T, last_field)`: the end of the last field.
            pub const STRUCT_SIZE: usize = {
                let mut end = 0usize;
                $(
                    let e = offset_of!($name, $f) + size_of::<$t>();
                    if e > end { end = e; }
                )*
                end
            };
            /// A zeroed struct with `struct_size` set.
            #[inline]
            pub fn new() -> Self {
                // SAFETY: every field is a raw pointer, an integer, a bool, an
                // `Option` of a function pointer or a union of those: all-zero
                // bytes are a valid value for each.
                let mut v: Self = unsafe { std::mem::zeroed() };
                v.struct_size = Self::STRUCT_SIZE;
                v
            }
        }
    };
}

pjrt_struct! {
    pub struct PjrtApiVersion {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub major_version: c_int,
        pub minor_version: c_int,
    }
}

pjrt_struct! {
    pub struct ErrorDestroyArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub error: *mut PJRT_Error,
    }
}

pjrt_struct! {
    pub struct ErrorMessageArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub error: *const PJRT_Error,
        pub message: *const c_char,
        pub message_size: usize,
    }
}

pjrt_struct! {
    pub struct ErrorGetCodeArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub error: *const PJRT_Error,
        pub code: PJRT_Error_Code,
    }
}

/// The value of a `PJRT_NamedValue` (a C anonymous union).
#[repr(C)]
#[derive(Clone, Copy)]
pub union NamedValueUnion {
    pub string_value: *const c_char,
    pub int64_value: i64,
    pub int64_array_value: *const i64,
    pub float_value: f32,
    pub bool_value: bool,
    /// The byte a C `bool` member occupies (read this, not `bool_value`).
    pub bool_byte: u8,
}

pjrt_struct! {
    pub struct NamedValue {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub name: *const c_char,
        pub name_size: usize,
        pub ty: PJRT_NamedValue_Type,
        pub value: NamedValueUnion,
        pub value_size: usize,
    }
}

pjrt_struct! {
    pub struct PluginInitializeArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
    }
}

pjrt_struct! {
    pub struct PluginAttributesArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub attributes: *const NamedValue,
        pub num_attributes: usize,
    }
}

pjrt_struct! {
    pub struct EventDestroyArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub event: *mut PJRT_Event,
    }
}

pjrt_struct! {
    pub struct EventIsReadyArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub event: *mut PJRT_Event,
        pub is_ready: bool,
    }
}

pjrt_struct! {
    pub struct EventErrorArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub event: *mut PJRT_Event,
    }
}

pjrt_struct! {
    pub struct EventAwaitArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub event: *mut PJRT_Event,
    }
}

pjrt_struct! {
    pub struct ClientCreateArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub create_options: *const NamedValue,
        pub num_options: usize,
        pub kv_get_callback: Opaque,
        pub kv_get_user_arg: *mut c_void,
        pub kv_put_callback: Opaque,
        pub kv_put_user_arg: *mut c_void,
        pub client: *mut PJRT_Client,
        pub kv_try_get_callback: Opaque,
        pub kv_try_get_user_arg: *mut c_void,
    }
}

pjrt_struct! {
    pub struct ClientDestroyArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub client: *mut PJRT_Client,
    }
}

pjrt_struct! {
    pub struct ClientPlatformNameArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub client: *mut PJRT_Client,
        pub platform_name: *const c_char,
        pub platform_name_size: usize,
    }
}

pjrt_struct! {
    pub struct ClientPlatformVersionArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub client: *mut PJRT_Client,
        pub platform_version: *const c_char,
        pub platform_version_size: usize,
    }
}

pjrt_struct! {
    pub struct ClientDevicesArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub client: *mut PJRT_Client,
        pub devices: *const *mut PJRT_Device,
        pub num_devices: usize,
    }
}

pjrt_struct! {
    pub struct ClientAddressableDevicesArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub client: *mut PJRT_Client,
        pub addressable_devices: *const *mut PJRT_Device,
        pub num_addressable_devices: usize,
    }
}

pjrt_struct! {
    pub struct Program {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub code: *mut c_char,
        pub code_size: usize,
        pub format: *const c_char,
        pub format_size: usize,
    }
}

pjrt_struct! {
    pub struct ClientCompileArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub client: *mut PJRT_Client,
        pub program: *const Program,
        pub compile_options: *const c_char,
        pub compile_options_size: usize,
        pub executable: *mut PJRT_LoadedExecutable,
    }
}

pjrt_struct! {
    pub struct ClientBufferFromHostBufferArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub client: *mut PJRT_Client,
        pub data: *const c_void,
        pub ty: PJRT_Buffer_Type,
        pub dims: *const i64,
        pub num_dims: usize,
        pub byte_strides: *const i64,
        pub num_byte_strides: usize,
        pub host_buffer_semantics: PJRT_HostBufferSemantics,
        pub device: *mut PJRT_Device,
        pub memory: *mut c_void,
        pub device_layout: *mut c_void,
        pub done_with_host_buffer: *mut PJRT_Event,
        pub buffer: *mut PJRT_Buffer,
    }
}

pjrt_struct! {
    pub struct DeviceGetDescriptionArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub device: *mut PJRT_Device,
        pub device_description: *mut PJRT_DeviceDescription,
    }
}

pjrt_struct! {
    pub struct DeviceIsAddressableArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub device: *mut PJRT_Device,
        pub is_addressable: bool,
    }
}

pjrt_struct! {
    pub struct DeviceDescriptionIdArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub device_description: *mut PJRT_DeviceDescription,
        pub id: c_int,
    }
}

pjrt_struct! {
    pub struct DeviceDescriptionKindArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub device_description: *mut PJRT_DeviceDescription,
        pub device_kind: *const c_char,
        pub device_kind_size: usize,
    }
}

pjrt_struct! {
    pub struct DeviceDescriptionDebugStringArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub device_description: *mut PJRT_DeviceDescription,
        pub debug_string: *const c_char,
        pub debug_string_size: usize,
    }
}

pjrt_struct! {
    pub struct ExecutableDestroyArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub executable: *mut PJRT_Executable,
    }
}

pjrt_struct! {
    pub struct ExecutableNameArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub executable: *mut PJRT_Executable,
        pub executable_name: *const c_char,
        pub executable_name_size: usize,
    }
}

pjrt_struct! {
    pub struct ExecutableNumOutputsArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub executable: *mut PJRT_Executable,
        pub num_outputs: usize,
    }
}

pjrt_struct! {
    pub struct ExecutableOutputElementTypesArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub executable: *mut PJRT_Executable,
        pub output_types: *mut PJRT_Buffer_Type,
        pub num_output_types: usize,
    }
}

pjrt_struct! {
    pub struct ExecutableOutputDimensionsArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub executable: *mut PJRT_Executable,
        pub num_outputs: usize,
        pub dims: *const i64,
        pub dim_sizes: *const usize,
    }
}

pjrt_struct! {
    pub struct LoadedExecutableDestroyArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub executable: *mut PJRT_LoadedExecutable,
    }
}

/// Opaque owner of the bytes `PJRT_Executable_Serialize` returns.
#[repr(C)]
pub struct PJRT_SerializedExecutable {
    _p: [u8; 0],
}

pjrt_struct! {
    pub struct ExecutableSerializeArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub executable: *const PJRT_Executable,
        pub serialized_bytes: *const c_char,
        pub serialized_bytes_size: usize,
        pub serialized_executable: *mut PJRT_SerializedExecutable,
        pub serialized_executable_deleter: Option<unsafe extern "C" fn(*mut PJRT_SerializedExecutable)>,
    }
}

pjrt_struct! {
    /// The 0.81 layout plus one trailing pointer (`load_options` in later headers),
    /// always null: a plugin accepts a struct larger than its own layout, and a newer
    /// plugin that has the field then reads null (its default) instead of rejecting a
    /// struct that is too small.
    pub struct ExecutableDeserializeAndLoadArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub client: *mut PJRT_Client,
        pub serialized_executable: *const c_char,
        pub serialized_executable_size: usize,
        pub loaded_executable: *mut PJRT_LoadedExecutable,
        pub overridden_serialized_compile_options: *const c_char,
        pub overridden_serialized_compile_options_size: usize,
        pub load_options: *mut c_void,
    }
}

pjrt_struct! {
    pub struct LoadedExecutableGetExecutableArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub loaded_executable: *mut PJRT_LoadedExecutable,
        pub executable: *mut PJRT_Executable,
    }
}

pjrt_struct! {
    pub struct ExecuteOptions {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub send_callbacks: *mut c_void,
        pub recv_callbacks: *mut c_void,
        pub num_send_ops: usize,
        pub num_recv_ops: usize,
        pub launch_id: c_int,
        pub non_donatable_input_indices: *const i64,
        pub num_non_donatable_input_indices: usize,
        pub context: *mut c_void,
        pub call_location: *const c_char,
        pub num_tasks: usize,
        pub task_ids: *mut c_int,
        pub incarnation_ids: *mut i64,
    }
}

pjrt_struct! {
    pub struct LoadedExecutableExecuteArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub executable: *mut PJRT_LoadedExecutable,
        pub options: *mut ExecuteOptions,
        pub argument_lists: *const *const *mut PJRT_Buffer,
        pub num_devices: usize,
        pub num_args: usize,
        pub output_lists: *const *mut *mut PJRT_Buffer,
        pub device_complete_events: *mut *mut PJRT_Event,
        pub execute_device: *mut PJRT_Device,
    }
}

pjrt_struct! {
    pub struct BufferDestroyArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub buffer: *mut PJRT_Buffer,
    }
}

pjrt_struct! {
    pub struct BufferElementTypeArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub buffer: *mut PJRT_Buffer,
        pub ty: PJRT_Buffer_Type,
    }
}

pjrt_struct! {
    pub struct BufferDimensionsArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub buffer: *mut PJRT_Buffer,
        pub dims: *const i64,
        pub num_dims: usize,
    }
}

pjrt_struct! {
    pub struct BufferOnDeviceSizeInBytesArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub buffer: *mut PJRT_Buffer,
        pub on_device_size_in_bytes: usize,
    }
}

pjrt_struct! {
    pub struct BufferDeviceArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub buffer: *mut PJRT_Buffer,
        pub device: *mut PJRT_Device,
    }
}

pjrt_struct! {
    pub struct BufferToHostBufferArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub src: *mut PJRT_Buffer,
        pub host_layout: *mut c_void,
        pub dst: *mut c_void,
        pub dst_size: usize,
        pub event: *mut PJRT_Event,
    }
}

pjrt_struct! {
    pub struct BufferIsOnCpuArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub buffer: *mut PJRT_Buffer,
        pub is_on_cpu: bool,
    }
}

pjrt_struct! {
    pub struct BufferReadyEventArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub buffer: *mut PJRT_Buffer,
        pub event: *mut PJRT_Event,
    }
}

pjrt_struct! {
    pub struct BufferUnsafePointerArgs {
        pub struct_size: usize,
        pub extension_start: ExtPtr,
        pub buffer: *mut PJRT_Buffer,
        pub buffer_pointer: usize,
    }
}

/// The `PJRT_Api` function table as of API 0.81 (118 entry points). A plugin
/// reports its own table size in `struct_size`; slots past it must not be read
/// (see [`PjrtApi::has`]).
#[repr(C)]
pub struct PjrtApi {
    pub struct_size: usize,
    pub extension_start: ExtPtr,
    pub pjrt_api_version: PjrtApiVersion,
    pub PJRT_Error_Destroy: VoidFn<ErrorDestroyArgs>, // slot 0
    pub PJRT_Error_Message: VoidFn<ErrorMessageArgs>, // slot 1
    pub PJRT_Error_GetCode: ApiFn<ErrorGetCodeArgs>,  // slot 2
    pub PJRT_Plugin_Initialize: ApiFn<PluginInitializeArgs>, // slot 3
    pub PJRT_Plugin_Attributes: ApiFn<PluginAttributesArgs>, // slot 4
    pub PJRT_Event_Destroy: ApiFn<EventDestroyArgs>,  // slot 5
    pub PJRT_Event_IsReady: ApiFn<EventIsReadyArgs>,  // slot 6
    pub PJRT_Event_Error: ApiFn<EventErrorArgs>,      // slot 7
    pub PJRT_Event_Await: ApiFn<EventAwaitArgs>,      // slot 8
    pub PJRT_Event_OnReady: Opaque,                   // slot 9
    pub PJRT_Client_Create: ApiFn<ClientCreateArgs>,  // slot 10
    pub PJRT_Client_Destroy: ApiFn<ClientDestroyArgs>, // slot 11
    pub PJRT_Client_PlatformName: ApiFn<ClientPlatformNameArgs>, // slot 12
    pub PJRT_Client_ProcessIndex: Opaque,             // slot 13
    pub PJRT_Client_PlatformVersion: ApiFn<ClientPlatformVersionArgs>, // slot 14
    pub PJRT_Client_Devices: ApiFn<ClientDevicesArgs>, // slot 15
    pub PJRT_Client_AddressableDevices: ApiFn<ClientAddressableDevicesArgs>, // slot 16
    pub PJRT_Client_LookupDevice: Opaque,             // slot 17
    pub PJRT_Client_LookupAddressableDevice: Opaque,  // slot 18
    pub PJRT_Client_AddressableMemories: Opaque,      // slot 19
    pub PJRT_Client_Compile: ApiFn<ClientCompileArgs>, // slot 20
    pub PJRT_Client_DefaultDeviceAssignment: Opaque,  // slot 21
    pub PJRT_Client_BufferFromHostBuffer: ApiFn<ClientBufferFromHostBufferArgs>, // slot 22
    pub PJRT_DeviceDescription_Id: ApiFn<DeviceDescriptionIdArgs>, // slot 23
    pub PJRT_DeviceDescription_ProcessIndex: Opaque,  // slot 24
    pub PJRT_DeviceDescription_Attributes: Opaque,    // slot 25
    pub PJRT_DeviceDescription_Kind: ApiFn<DeviceDescriptionKindArgs>, // slot 26
    pub PJRT_DeviceDescription_DebugString: ApiFn<DeviceDescriptionDebugStringArgs>, // slot 27
    pub PJRT_DeviceDescription_ToString: Opaque,      // slot 28
    pub PJRT_Device_GetDescription: ApiFn<DeviceGetDescriptionArgs>, // slot 29
    pub PJRT_Device_IsAddressable: ApiFn<DeviceIsAddressableArgs>, // slot 30
    pub PJRT_Device_LocalHardwareId: Opaque,          // slot 31
    pub PJRT_Device_AddressableMemories: Opaque,      // slot 32
    pub PJRT_Device_DefaultMemory: Opaque,            // slot 33
    pub PJRT_Device_MemoryStats: Opaque,              // slot 34
    pub PJRT_Memory_Id: Opaque,                       // slot 35
    pub PJRT_Memory_Kind: Opaque,                     // slot 36
    pub PJRT_Memory_DebugString: Opaque,              // slot 37
    pub PJRT_Memory_ToString: Opaque,                 // slot 38
    pub PJRT_Memory_AddressableByDevices: Opaque,     // slot 39
    pub PJRT_Executable_Destroy: ApiFn<ExecutableDestroyArgs>, // slot 40
    pub PJRT_Executable_Name: ApiFn<ExecutableNameArgs>, // slot 41
    pub PJRT_Executable_NumReplicas: Opaque,          // slot 42
    pub PJRT_Executable_NumPartitions: Opaque,        // slot 43
    pub PJRT_Executable_NumOutputs: ApiFn<ExecutableNumOutputsArgs>, // slot 44
    pub PJRT_Executable_SizeOfGeneratedCodeInBytes: Opaque, // slot 45
    pub PJRT_Executable_GetCostAnalysis: Opaque,      // slot 46
    pub PJRT_Executable_OutputMemoryKinds: Opaque,    // slot 47
    pub PJRT_Executable_OptimizedProgram: Opaque,     // slot 48
    pub PJRT_Executable_Serialize: ApiFn<ExecutableSerializeArgs>, // slot 49
    pub PJRT_LoadedExecutable_Destroy: ApiFn<LoadedExecutableDestroyArgs>, // slot 50
    pub PJRT_LoadedExecutable_GetExecutable: ApiFn<LoadedExecutableGetExecutableArgs>, // slot 51
    pub PJRT_LoadedExecutable_AddressableDevices: Opaque, // slot 52
    pub PJRT_LoadedExecutable_Delete: Opaque,         // slot 53
    pub PJRT_LoadedExecutable_IsDeleted: Opaque,      // slot 54
    pub PJRT_LoadedExecutable_Execute: ApiFn<LoadedExecutableExecuteArgs>, // slot 55
    pub PJRT_Executable_DeserializeAndLoad: ApiFn<ExecutableDeserializeAndLoadArgs>, // slot 56
    pub PJRT_LoadedExecutable_Fingerprint: Opaque,    // slot 57
    pub PJRT_Buffer_Destroy: ApiFn<BufferDestroyArgs>, // slot 58
    pub PJRT_Buffer_ElementType: ApiFn<BufferElementTypeArgs>, // slot 59
    pub PJRT_Buffer_Dimensions: ApiFn<BufferDimensionsArgs>, // slot 60
    pub PJRT_Buffer_UnpaddedDimensions: Opaque,       // slot 61
    pub PJRT_Buffer_DynamicDimensionIndices: Opaque,  // slot 62
    pub PJRT_Buffer_GetMemoryLayout: Opaque,          // slot 63
    pub PJRT_Buffer_OnDeviceSizeInBytes: ApiFn<BufferOnDeviceSizeInBytesArgs>, // slot 64
    pub PJRT_Buffer_Device: ApiFn<BufferDeviceArgs>,  // slot 65
    pub PJRT_Buffer_Memory: Opaque,                   // slot 66
    pub PJRT_Buffer_Delete: Opaque,                   // slot 67
    pub PJRT_Buffer_IsDeleted: Opaque,                // slot 68
    pub PJRT_Buffer_CopyToDevice: Opaque,             // slot 69
    pub PJRT_Buffer_ToHostBuffer: ApiFn<BufferToHostBufferArgs>, // slot 70
    pub PJRT_Buffer_IsOnCpu: ApiFn<BufferIsOnCpuArgs>, // slot 71
    pub PJRT_Buffer_ReadyEvent: ApiFn<BufferReadyEventArgs>, // slot 72
    pub PJRT_Buffer_UnsafePointer: ApiFn<BufferUnsafePointerArgs>, // slot 73
    pub PJRT_Buffer_IncreaseExternalReferenceCount: Opaque, // slot 74
    pub PJRT_Buffer_DecreaseExternalReferenceCount: Opaque, // slot 75
    pub PJRT_Buffer_OpaqueDeviceMemoryDataPointer: Opaque, // slot 76
    pub PJRT_CopyToDeviceStream_Destroy: Opaque,      // slot 77
    pub PJRT_CopyToDeviceStream_AddChunk: Opaque,     // slot 78
    pub PJRT_CopyToDeviceStream_TotalBytes: Opaque,   // slot 79
    pub PJRT_CopyToDeviceStream_GranuleSize: Opaque,  // slot 80
    pub PJRT_CopyToDeviceStream_CurrentBytes: Opaque, // slot 81
    pub PJRT_TopologyDescription_Create: Opaque,      // slot 82
    pub PJRT_TopologyDescription_Destroy: Opaque,     // slot 83
    pub PJRT_TopologyDescription_PlatformName: Opaque, // slot 84
    pub PJRT_TopologyDescription_PlatformVersion: Opaque, // slot 85
    pub PJRT_TopologyDescription_GetDeviceDescriptions: Opaque, // slot 86
    pub PJRT_TopologyDescription_Serialize: Opaque,   // slot 87
    pub PJRT_TopologyDescription_Attributes: Opaque,  // slot 88
    pub PJRT_Compile: Opaque,                         // slot 89
    pub PJRT_Executable_OutputElementTypes: ApiFn<ExecutableOutputElementTypesArgs>, // slot 90
    pub PJRT_Executable_OutputDimensions: ApiFn<ExecutableOutputDimensionsArgs>, // slot 91
    pub PJRT_Buffer_CopyToMemory: Opaque,             // slot 92
    pub PJRT_Client_CreateViewOfDeviceBuffer: Opaque, // slot 93
    pub PJRT_Executable_Fingerprint: Opaque,          // slot 94
    pub PJRT_Client_TopologyDescription: Opaque,      // slot 95
    pub PJRT_Executable_GetCompiledMemoryStats: Opaque, // slot 96
    pub PJRT_Memory_Kind_Id: Opaque,                  // slot 97
    pub PJRT_ExecuteContext_Create: Opaque,           // slot 98
    pub PJRT_ExecuteContext_Destroy: Opaque,          // slot 99
    pub PJRT_Buffer_CopyRawToHost: Opaque,            // slot 100
    pub PJRT_AsyncHostToDeviceTransferManager_Destroy: Opaque, // slot 101
    pub PJRT_AsyncHostToDeviceTransferManager_TransferData: Opaque, // slot 102
    pub PJRT_Client_CreateBuffersForAsyncHostToDevice: Opaque, // slot 103
    pub PJRT_AsyncHostToDeviceTransferManager_RetrieveBuffer: Opaque, // slot 104
    pub PJRT_AsyncHostToDeviceTransferManager_Device: Opaque, // slot 105
    pub PJRT_AsyncHostToDeviceTransferManager_BufferCount: Opaque, // slot 106
    pub PJRT_AsyncHostToDeviceTransferManager_BufferSize: Opaque, // slot 107
    pub PJRT_AsyncHostToDeviceTransferManager_SetBufferError: Opaque, // slot 108
    pub PJRT_AsyncHostToDeviceTransferManager_AddMetadata: Opaque, // slot 109
    pub PJRT_Client_DmaMap: Opaque,                   // slot 110
    pub PJRT_Client_DmaUnmap: Opaque,                 // slot 111
    pub PJRT_Client_CreateUninitializedBuffer: Opaque, // slot 112
    pub PJRT_Client_UpdateGlobalProcessInfo: Opaque,  // slot 113
    pub PJRT_TopologyDescription_Deserialize: Opaque, // slot 114
    pub PJRT_Client_CreateAliasBuffer: Opaque,        // slot 115
    pub PJRT_Client_FulfillAliasBuffer: Opaque,       // slot 116
    pub PJRT_LoadedExecutable_GetDeviceAssignment: Opaque, // slot 117
}

/// Offset of the first function slot: struct_size + extension_start + the
/// 24-byte `PJRT_Api_Version`.
pub const FIRST_SLOT_OFFSET: usize = 40;

impl PjrtApi {
    /// Whether the plugin's table is long enough to hold the slot at `offset`.
    #[inline]
    pub fn has(&self, offset: usize) -> bool {
        offset + size_of::<Opaque>() <= self.struct_size
    }
}

// Compile-time layout checks against the C header (x86-64 / aarch64 LP64).
const _: () = {
    assert!(size_of::<PjrtApiVersion>() == 24);
    assert!(PjrtApiVersion::STRUCT_SIZE == 24);
    assert!(offset_of!(PjrtApi, PJRT_Error_Destroy) == FIRST_SLOT_OFFSET);
    assert!(offset_of!(PjrtApi, PJRT_Client_Create) == FIRST_SLOT_OFFSET + 10 * 8);
    assert!(offset_of!(PjrtApi, PJRT_Client_Compile) == FIRST_SLOT_OFFSET + 20 * 8);
    assert!(offset_of!(PjrtApi, PJRT_Client_BufferFromHostBuffer) == FIRST_SLOT_OFFSET + 22 * 8);
    assert!(offset_of!(PjrtApi, PJRT_Executable_NumOutputs) == FIRST_SLOT_OFFSET + 44 * 8);
    assert!(offset_of!(PjrtApi, PJRT_LoadedExecutable_Execute) == FIRST_SLOT_OFFSET + 55 * 8);
    assert!(offset_of!(PjrtApi, PJRT_Buffer_Destroy) == FIRST_SLOT_OFFSET + 58 * 8);
    assert!(offset_of!(PjrtApi, PJRT_Buffer_UnsafePointer) == FIRST_SLOT_OFFSET + 73 * 8);
    assert!(offset_of!(PjrtApi, PJRT_Executable_OutputDimensions) == FIRST_SLOT_OFFSET + 91 * 8);
    assert!(
        offset_of!(PjrtApi, PJRT_LoadedExecutable_GetDeviceAssignment)
            == FIRST_SLOT_OFFSET + 117 * 8
    );
    assert!(size_of::<PjrtApi>() == FIRST_SLOT_OFFSET + 118 * 8);
    // Struct sizes as the 0.81 header's PJRT_STRUCT_SIZE gives them (checked
    // once with a C compiler against the header).
    assert!(PjrtApiVersion::STRUCT_SIZE == 24);
    assert!(ErrorDestroyArgs::STRUCT_SIZE == 24);
    assert!(ErrorMessageArgs::STRUCT_SIZE == 40);
    assert!(ErrorGetCodeArgs::STRUCT_SIZE == 28);
    assert!(NamedValue::STRUCT_SIZE == 56);
    assert!(PluginInitializeArgs::STRUCT_SIZE == 16);
    assert!(PluginAttributesArgs::STRUCT_SIZE == 32);
    assert!(EventDestroyArgs::STRUCT_SIZE == 24);
    assert!(EventIsReadyArgs::STRUCT_SIZE == 25);
    assert!(EventErrorArgs::STRUCT_SIZE == 24);
    assert!(EventAwaitArgs::STRUCT_SIZE == 24);
    assert!(ClientCreateArgs::STRUCT_SIZE == 88);
    assert!(ClientDestroyArgs::STRUCT_SIZE == 24);
    assert!(ClientPlatformNameArgs::STRUCT_SIZE == 40);
    assert!(ClientPlatformVersionArgs::STRUCT_SIZE == 40);
    assert!(ClientDevicesArgs::STRUCT_SIZE == 40);
    assert!(ClientAddressableDevicesArgs::STRUCT_SIZE == 40);
    assert!(Program::STRUCT_SIZE == 48);
    assert!(ClientCompileArgs::STRUCT_SIZE == 56);
    assert!(ClientBufferFromHostBufferArgs::STRUCT_SIZE == 120);
    assert!(DeviceGetDescriptionArgs::STRUCT_SIZE == 32);
    assert!(DeviceIsAddressableArgs::STRUCT_SIZE == 25);
    assert!(DeviceDescriptionIdArgs::STRUCT_SIZE == 28);
    assert!(DeviceDescriptionKindArgs::STRUCT_SIZE == 40);
    assert!(DeviceDescriptionDebugStringArgs::STRUCT_SIZE == 40);
    assert!(ExecutableDestroyArgs::STRUCT_SIZE == 24);
    assert!(ExecutableNameArgs::STRUCT_SIZE == 40);
    assert!(ExecutableNumOutputsArgs::STRUCT_SIZE == 32);
    assert!(ExecutableOutputElementTypesArgs::STRUCT_SIZE == 40);
    assert!(ExecutableOutputDimensionsArgs::STRUCT_SIZE == 48);
    assert!(LoadedExecutableDestroyArgs::STRUCT_SIZE == 24);
    assert!(LoadedExecutableGetExecutableArgs::STRUCT_SIZE == 32);
    assert!(ExecuteOptions::STRUCT_SIZE == 112);
    assert!(LoadedExecutableExecuteArgs::STRUCT_SIZE == 80);
    assert!(BufferDestroyArgs::STRUCT_SIZE == 24);
    assert!(BufferElementTypeArgs::STRUCT_SIZE == 28);
    assert!(BufferDimensionsArgs::STRUCT_SIZE == 40);
    assert!(BufferOnDeviceSizeInBytesArgs::STRUCT_SIZE == 32);
    assert!(BufferDeviceArgs::STRUCT_SIZE == 32);
    assert!(BufferToHostBufferArgs::STRUCT_SIZE == 56);
    assert!(BufferIsOnCpuArgs::STRUCT_SIZE == 25);
    assert!(BufferReadyEventArgs::STRUCT_SIZE == 32);
    assert!(BufferUnsafePointerArgs::STRUCT_SIZE == 32);
    assert!(ExecutableSerializeArgs::STRUCT_SIZE == 56);
    // 64 in the 0.81 header (ends at the compile-options size), plus `load_options`.
    assert!(offset_of!(ExecutableDeserializeAndLoadArgs, load_options) == 64);
    assert!(ExecutableDeserializeAndLoadArgs::STRUCT_SIZE == 72);
    assert!(offset_of!(PjrtApi, PJRT_Executable_Serialize) == FIRST_SLOT_OFFSET + 49 * 8);
    assert!(offset_of!(PjrtApi, PJRT_Executable_DeserializeAndLoad) == FIRST_SLOT_OFFSET + 56 * 8);
    assert!(offset_of!(NamedValue, value) == 40);
    assert!(offset_of!(ClientBufferFromHostBufferArgs, host_buffer_semantics) == 72);
};
