//! Per-realm state of the bindings: the ledger, the other realms, what the JS entry told us
//! once, and the snapshot's reusable rows.
//!
//! wasm32 without the atomics feature has no threads: each worker instantiates its own copy of
//! the module (and so has its own ledger). The state therefore lives in plain `static`s through
//! [`OneThread`], which the build refuses to compile with atomics. Nothing here calls into JS
//! while a borrow is held, so no borrow can fail.

use ::core::cell::{Cell, RefCell, RefMut};

use alloc::vec::Vec;

use js_sys::Float64Array;

use crate::core::{Error, Ledger, Realms};

#[cfg(target_feature = "atomics")]
compile_error!(
    "the bindings keep their state in statics that assume one thread: build without atomics"
);

/// A value this instance's one thread owns.
struct OneThread<T>(T);

// SAFETY: without the atomics target feature (refused above) a wasm32 instance runs on exactly
// one thread, so the value is never shared between threads.
unsafe impl<T> Sync for OneThread<T> {}

static LEDGER: OneThread<RefCell<Option<Ledger>>> = OneThread(RefCell::new(None));
static REALMS: OneThread<RefCell<Option<Realms>>> = OneThread(RefCell::new(None));
static MEMORY64: OneThread<Cell<bool>> = OneThread(Cell::new(false));
static SNAPSHOT_ROWS: OneThread<RefCell<Option<Float64Array>>> = OneThread(RefCell::new(None));
static MODULE_IO: OneThread<RefCell<ModuleIo>> = OneThread(RefCell::new(ModuleIo {
    input: Vec::new(),
    output: Vec::new(),
    refusal: None,
}));

/// The buffers through which a module's reading crosses (see [`super::modules`]): JS writes
/// `input` and reads `output`, through its own views of this module's memory.
pub struct ModuleIo {
    /// The bytes the core reads (and the sizes read from the engine just before).
    pub input: Vec<u8>,
    /// The answer, as rows of numbers.
    pub output: Vec<f64>,
    /// The budget's refusal of the module last read, once reported.
    pub refusal: Option<Error>,
}

/// The cell's value, borrowed mutably. The callers never call into JS while they hold it, so it
/// can't already be borrowed; if it ever were, the module traps, as a panic would, without
/// carrying `RefCell`'s panic message and location.
fn borrow<T>(cell: &RefCell<T>) -> RefMut<'_, T> {
    cell.try_borrow_mut().unwrap_or_else(|_| crate::trap())
}

/// Runs `f` on the ledger. `f` must not call into JS, which is what makes the borrow unable
/// to fail.
pub fn with_ledger<R>(f: impl FnOnce(&mut Ledger) -> R) -> R {
    f(borrow(&LEDGER.0).get_or_insert_with(Ledger::new))
}

/// Runs `f` on the view of the other realms (`ledger.share()`); like [`with_ledger`], `f` must
/// not call into JS (nor into `with_realms` again).
pub fn with_realms<R>(f: impl FnOnce(&mut Realms) -> R) -> R {
    f(borrow(&REALMS.0).get_or_insert_with(Realms::new))
}

/// Runs `f` on the module-reading buffers; like [`with_ledger`], `f` must not call into JS.
pub fn with_module_io<R>(f: impl FnOnce(&mut ModuleIo) -> R) -> R {
    f(&mut borrow(&MODULE_IO.0))
}

/// Whether the engine has memory64 (the JS entry detects it once, at start).
pub fn memory64() -> bool {
    MEMORY64.0.get()
}

/// Records whether the engine has memory64.
pub fn set_memory64(on: bool) {
    MEMORY64.0.set(on);
}

/// The Float64Array the snapshot copies its rows into (reused from call to call while it is
/// large enough; `make(len)` makes a new one otherwise).
pub fn snapshot_rows(len: u32, make: impl FnOnce(u32) -> Float64Array) -> Float64Array {
    let mut slot = borrow(&SNAPSHOT_ROWS.0);
    match &*slot {
        Some(rows) if rows.length() >= len => rows.clone(),
        _ => {
            let rows = make(len);
            *slot = Some(rows.clone());
            rows
        }
    }
}
