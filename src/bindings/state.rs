//! Per-realm state of the bindings: the ledger, the listeners and what was detected once.
//!
//! wasm32 here is single-threaded per instance (each worker loads its own copy of the module,
//! and so has its own ledger), so `thread_local!` + `RefCell` is the whole story. No borrow is
//! ever held across a call into JS, which could re-enter (a `valueOf` that makes a memory).

use std::cell::{Cell, RefCell};

use super::events::Listeners;
use super::js;
use crate::core::Ledger;

thread_local! {
    static LEDGER: RefCell<Ledger> = RefCell::new(Ledger::new());
    static LISTENERS: RefCell<Listeners> = RefCell::new(Listeners::default());
    static MEMORY64: bool = js::has_memory64();
    static CAPTURE_STACKS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` on the ledger. `f` must not call into JS (see the module docs), which is what makes
/// the `borrow_mut` unable to fail.
pub fn with_ledger<R>(f: impl FnOnce(&mut Ledger) -> R) -> R {
    LEDGER.with(|l| f(&mut l.borrow_mut()))
}

/// Runs `f` on the listeners; the same rule as [`with_ledger`] applies.
pub fn with_listeners<R>(f: impl FnOnce(&mut Listeners) -> R) -> R {
    LISTENERS.with(|l| f(&mut l.borrow_mut()))
}

/// Whether the engine has memory64 (detected once).
pub fn memory64() -> bool {
    MEMORY64.with(|m| *m)
}

/// Whether constructions record a stack line (opt-in: it costs an `Error().stack`).
pub fn capture_stacks() -> bool {
    CAPTURE_STACKS.with(Cell::get)
}

/// Turns stack capture on or off.
pub fn set_capture_stacks(on: bool) {
    CAPTURE_STACKS.with(|c| c.set(on));
}
