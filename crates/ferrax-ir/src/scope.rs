//! The module-path scope stack: ops traced inside `scope("layer2", ..)` record `Mlp.layer2`.

use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    static PATH: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Guard returned by [`enter`]; pops the scope when dropped.
#[must_use = "the scope ends when the guard is dropped"]
pub struct ScopeGuard {
    depth: usize,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        PATH.with(|p| p.borrow_mut().truncate(self.depth));
    }
}

/// Pushes a path component (`"Mlp"`, `"layer2"`) until the guard drops.
///
/// ```
/// use ferrax_ir::scope;
/// let _a = scope::enter("Mlp");
/// {
///     let _b = scope::enter("layer2");
///     assert_eq!(scope::current_path().as_deref(), Some("Mlp.layer2"));
/// }
/// assert_eq!(scope::current_path().as_deref(), Some("Mlp"));
/// ```
pub fn enter(name: impl Into<String>) -> ScopeGuard {
    PATH.with(|p| {
        let mut p = p.borrow_mut();
        let depth = p.len();
        p.push(name.into());
        ScopeGuard { depth }
    })
}

/// Runs `f` inside a named scope.
pub fn with<R>(name: impl Into<String>, f: impl FnOnce() -> R) -> R {
    let _g = enter(name);
    f()
}

/// The current dotted path, or `None` at top level.
pub fn current_path() -> Option<String> {
    PATH.with(|p| {
        let p = p.borrow();
        if p.is_empty() {
            None
        } else {
            Some(p.join("."))
        }
    })
}

/// The current path as a shared string (what graph nodes store).
pub fn current_path_arc() -> Option<Arc<str>> {
    current_path().map(Arc::from)
}
