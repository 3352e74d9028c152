//! Per-realm state of the bindings: the ledger and what the JS entry told us once.
//!
//! wasm32 here is single-threaded per instance (each worker loads its own copy of the module,
//! and so has its own ledger), so `thread_local!` + `RefCell` is the whole story. Nothing here
//! calls into JS while a borrow is held.

use std::cell::{Cell, RefCell};

use crate::core::{Ledger, Realms};

thread_local! {
    static LEDGER: RefCell<Ledger> = RefCell::new(Ledger::new());
    static REALMS: RefCell<Realms> = RefCell::new(Realms::new());
    static MEMORY64: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` on the ledger. `f` must not call into JS, which is what makes the `borrow_mut`
/// unable to fail.
pub fn with_ledger<R>(f: impl FnOnce(&mut Ledger) -> R) -> R {
    LEDGER.with(|l| f(&mut l.borrow_mut()))
}

/// Runs `f` on the view of the other realms (`ledger.share()`); like [`with_ledger`], `f` must
/// not call into JS (nor into `with_realms` again).
pub fn with_realms<R>(f: impl FnOnce(&mut Realms) -> R) -> R {
    REALMS.with(|r| f(&mut r.borrow_mut()))
}

/// Whether the engine has memory64 (the JS entry detects it once, at start).
pub fn memory64() -> bool {
    MEMORY64.with(Cell::get)
}

/// Records whether the engine has memory64.
pub fn set_memory64(on: bool) {
    MEMORY64.with(|c| c.set(on));
}
