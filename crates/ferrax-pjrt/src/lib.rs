//! Run StableHLO programs through a PJRT plugin.
//!
//! `ferrax-pjrt` is the runtime layer of ferrax. It knows nothing about graphs:
//! it takes program text (StableHLO MLIR, pretty or generic form) and bytes, and
//! gives back bytes.
//!
//! * [`Plugin`]: a PJRT plugin shared library, loaded through hand-written
//!   `repr(C)` bindings of the PJRT C API (layouts of API 0.81; also works with
//!   newer plugins, tested with 0.115). Loaded and initialised once per process.
//! * [`Client`]: compiles programs ([`Client::compile`]) and uploads host data
//!   ([`Client::buffer_from_host`]).
//! * [`LoadedExecutable::execute`]: runs a program on [`Buffer`]s, checking the
//!   arguments against the program's signature first.
//! * [`Buffer::to_host`] copies results back; [`Buffer::read_in_place`] reads
//!   CPU results without a copy.
//! * [`provision`]: finds the plugin — the pinned XLA CPU plugin is fetched with
//!   pip into `~/.cache/ferrax` on first use and verified by SHA-256;
//!   `FERRAX_PJRT_PLUGIN`, `FERRAX_PLATFORM=cpu|cuda|tpu` and `FERRAX_CACHE`
//!   change that.
//!
//! All handles free their PJRT object on drop, keep what they depend on alive
//! (buffers and executables hold their client, clients hold their plugin), and
//! are `Send + Sync`. Errors are values ([`PjrtError`]); plugin errors keep the
//! plugin's own message and the name of the failing call.
//!
//! # Example
//!
//! ```
//! use ferrax_pjrt::{provision, Client, ElementType, Plugin};
//!
//! # fn main() -> ferrax_pjrt::Result<()> {
//! let plugin = Plugin::load(&provision::ensure_cpu_plugin()?)?;
//! let client = Client::new(&plugin)?;
//! let exe = client.compile(
//!     "func.func public @main(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
//!        %0 = stablehlo.add %x, %y : tensor<3xf32>
//!        return %0 : tensor<3xf32>
//!      }",
//! )?;
//!
//! let bytes = |v: [f32; 3]| v.iter().flat_map(|f| f.to_le_bytes()).collect::<Vec<u8>>();
//! let x = client.buffer_from_host(&bytes([1.0, 2.0, 3.0]), ElementType::F32, &[3], None)?;
//! let y = client.buffer_from_host(&bytes([10.0, 20.0, 30.0]), ElementType::F32, &[3], None)?;
//!
//! let out = exe.execute(&[&x, &y])?;
//! let sum: Vec<f32> = out[0].read_in_place(|b| {
//!     b.chunks_exact(4)
//!         .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
//!         .collect()
//! })?;
//! assert_eq!(sum, [11.0, 22.0, 33.0]);
//!
//! // Arguments are checked before they reach the plugin.
//! assert!(exe.execute(&[&x]).is_err());
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod client;
mod error;
pub mod exe_cache;
mod ffi;
mod plugin;
pub mod provision;
mod types;

pub use client::{
    parse_main_signature, ArgSpec, Buffer, Client, Device, Event, Executable, LoadedExecutable,
    COMPILE_OPTIONS,
};
pub use error::{ErrorCode, PjrtError, Result};
pub use exe_cache::{CacheOutcome, ExeCache};
pub use plugin::{AttrValue, Plugin};
pub use provision::{ensure_cpu_plugin, locate_plugin, verify_sha256, Platform};
pub use types::{checked_byte_len, ElementType};
