//! Run-time settings that change what the random functions compute, mirroring JAX's
//! `jax_threefry_partitionable` and `jax_enable_x64` flags.
//!
//! Each setting has a process-wide value (like `jax.config.update(...)`) and a
//! thread-local scoped override (like `with jax.threefry_partitionable(False): ...`): the
//! `*_scope` functions return a guard that sets the value for the current thread and
//! restores the previous one when dropped. Scopes nest.
//!
//! The settings are read when a random function is *traced*, as in JAX, where they are
//! part of the jit cache key: a program traced under one layout keeps it.
//!
//! ```
//! use ferrax_random::config;
//! assert!(config::threefry_partitionable()); // JAX's default since 0.5.0
//! {
//!     let _legacy = config::threefry_partitionable_scope(false);
//!     assert!(!config::threefry_partitionable());
//! }
//! assert!(config::threefry_partitionable());
//! ```

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

use ferrax_ir::DType;

static PARTITIONABLE: AtomicBool = AtomicBool::new(true);
static X64: AtomicBool = AtomicBool::new(false);

thread_local! {
    static PARTITIONABLE_OVERRIDE: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
    static X64_OVERRIDE: RefCell<Vec<bool>> = const { RefCell::new(Vec::new()) };
}

fn read(global: &AtomicBool, local: &'static std::thread::LocalKey<RefCell<Vec<bool>>>) -> bool {
    local
        .with(|s| s.borrow().last().copied())
        .unwrap_or_else(|| global.load(Ordering::SeqCst))
}

/// Whether random bits use JAX's partitionable counter layout
/// (`jax_threefry_partitionable`, default `true`). When `false`, the legacy layout of JAX
/// before 0.5.0 is used. The thread's innermost [`threefry_partitionable_scope`] wins over
/// the process-wide value.
pub fn threefry_partitionable() -> bool {
    read(&PARTITIONABLE, &PARTITIONABLE_OVERRIDE)
}

/// Sets the process-wide layout, like
/// `jax.config.update("jax_threefry_partitionable", value)`. Scoped overrides on any thread
/// still take precedence on that thread.
///
/// ```
/// use ferrax_random::config;
/// config::set_threefry_partitionable(true);
/// assert!(config::threefry_partitionable());
/// ```
pub fn set_threefry_partitionable(value: bool) {
    PARTITIONABLE.store(value, Ordering::SeqCst);
}

/// Whether 64-bit mode is on (`jax_enable_x64`, default `false`). It changes how
/// [`key`](crate::key) treats seeds (all 64 bits are kept) and the default dtypes of the
/// samplers (`f64`, `i64`, `u64` instead of `f32`, `i32`, `u32`).
pub fn enable_x64() -> bool {
    read(&X64, &X64_OVERRIDE)
}

/// Sets the process-wide 64-bit mode, like `jax.config.update("jax_enable_x64", value)`.
///
/// ```
/// use ferrax_random::config;
/// config::set_enable_x64(false);
/// assert!(!config::enable_x64());
/// ```
pub fn set_enable_x64(value: bool) {
    X64.store(value, Ordering::SeqCst);
}

/// Restores a thread-local override when dropped. Made by [`threefry_partitionable_scope`]
/// and [`enable_x64_scope`].
#[must_use = "the override ends when the guard is dropped"]
pub struct ScopeGuard {
    stack: &'static std::thread::LocalKey<RefCell<Vec<bool>>>,
    depth: usize,
    // Guards refer to this thread's stack: keep them on it.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl std::fmt::Debug for ScopeGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeGuard")
            .field("depth", &self.depth)
            .finish()
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        // Truncating (rather than popping) keeps the stack right even if guards are dropped
        // out of order: dropping an outer guard also ends the scopes opened inside it.
        self.stack.with(|s| s.borrow_mut().truncate(self.depth));
    }
}

fn push(stack: &'static std::thread::LocalKey<RefCell<Vec<bool>>>, value: bool) -> ScopeGuard {
    let depth = stack.with(|s| {
        let mut s = s.borrow_mut();
        s.push(value);
        s.len() - 1
    });
    ScopeGuard {
        stack,
        depth,
        _not_send: std::marker::PhantomData,
    }
}

/// Overrides the counter layout on this thread until the guard drops, like
/// `with jax.threefry_partitionable(value):`.
///
/// ```
/// use ferrax_random::config;
/// let legacy = config::threefry_partitionable_scope(false);
/// assert!(!config::threefry_partitionable());
/// drop(legacy);
/// assert!(config::threefry_partitionable());
/// ```
pub fn threefry_partitionable_scope(value: bool) -> ScopeGuard {
    push(&PARTITIONABLE_OVERRIDE, value)
}

/// Overrides 64-bit mode on this thread until the guard drops, like
/// `with jax.enable_x64(value):` (`jax.experimental.enable_x64`).
///
/// ```
/// use ferrax_random::{config, key_data_of_seed};
/// let _x64 = config::enable_x64_scope(true);
/// assert_eq!(key_data_of_seed(-1), [u32::MAX, u32::MAX]);
/// ```
pub fn enable_x64_scope(value: bool) -> ScopeGuard {
    push(&X64_OVERRIDE, value)
}

/// The default float dtype of the samplers: `f64` in 64-bit mode, else `f32`.
pub fn default_float_dtype() -> DType {
    if enable_x64() {
        DType::F64
    } else {
        DType::F32
    }
}

/// The default signed integer dtype (`randint`, `rademacher`, `geometric`, indices):
/// `i64` in 64-bit mode, else `i32`.
pub fn default_int_dtype() -> DType {
    if enable_x64() {
        DType::I64
    } else {
        DType::I32
    }
}

/// The default unsigned dtype of [`bits`](crate::bits): `u64` in 64-bit mode, else `u32`.
pub fn default_uint_dtype() -> DType {
    if enable_x64() {
        DType::U64
    } else {
        DType::U32
    }
}
