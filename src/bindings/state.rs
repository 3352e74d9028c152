//! Per-realm state of the bindings: the ledger, the other realms, and what the JS entry told us
//! once.
//!
//! wasm32 without the atomics feature has no threads: each worker instantiates its own copy of
//! the module (and so has its own ledger). The state therefore lives in plain `static`s through
//! [`OneThread`], which the build refuses to compile with atomics.
//!
//! Every exported function may be abandoned at any instruction: a JS exception (a stack
//! overflow at a wasm function's entry, most often) unwinds through wasm frames without running
//! a Rust destructor, so a `RefCell` borrow would stay taken and trap every later call. So each
//! piece of state sits in a [`Slot`] whose `busy` flag is set while a call holds it: a call that
//! finds it set knows the one before was abandoned (no call into JS is ever made while a slot is
//! held, so nothing can re-enter), counts it, and goes on. Before taking a slot, [`stack_room`]
//! makes sure the engine's stack has room for the deepest work done while holding it, so the
//! abandoning happens before the state is touched, not in the middle of a change. The hot
//! paths skip the room when their change is quiet ([`ledger_quietly`]): planned by reading
//! only, then written with no call in between, so there is no middle to be cut short in.

use core::cell::{Cell, UnsafeCell};
use core::hint::black_box;

use alloc::string::String;
use alloc::vec::Vec;

use crate::rules::{Error, Ledger, Realms};

#[cfg(target_feature = "atomics")]
compile_error!(
    "the bindings keep their state in statics that assume one thread: build without atomics"
);

/// A value this instance's one thread owns.
struct OneThread<T>(T);

// SAFETY: without the atomics target feature (refused above) a wasm32 instance runs on exactly
// one thread, so the value is never shared between threads.
unsafe impl<T> Sync for OneThread<T> {}

/// State one call at a time holds, and the flag that tells an abandoned call from none.
struct Slot<T> {
    busy: Cell<bool>,
    value: UnsafeCell<Option<T>>,
}

impl<T> Slot<T> {
    const fn new() -> Self {
        Slot {
            busy: Cell::new(false),
            value: UnsafeCell::new(None),
        }
    }

    fn with<R>(&self, room: Room, make: fn() -> T, f: impl FnOnce(&mut T) -> R) -> R {
        // Room once, by the outermost slot a call takes: it covers whatever the call does while
        // it holds that slot, inner slots and allocations included.
        if HELD.0.get() == 0 {
            stack_room(room as u32);
        }
        if self.busy.replace(true) {
            ABANDONED.0.set(ABANDONED.0.get().wrapping_add(1));
        }
        HELD.0.set(HELD.0.get().wrapping_add(1));
        // SAFETY: one thread (see `OneThread`), and `f` never calls into JS, so nothing runs
        // between here and the end of `f` that could take this slot again: when `busy` was
        // already set, the call that set it was abandoned (a JS exception unwound its frames,
        // which never run again), so this is the only live reference.
        let value = unsafe { &mut *self.value.get() };
        let r = f(value.get_or_insert_with(make));
        self.busy.set(false);
        HELD.0.set(HELD.0.get().wrapping_sub(1));
        r
    }
}

impl<T> Slot<T> {
    /// A change that takes no stack room: `plan` only reads (a stack overflow may cut it
    /// short anywhere: nothing has changed yet) and returns what to change, or `None` for a
    /// change that isn't quiet (the caller then takes [`Slot::with`]); `apply` writes it and
    /// must make no call (only `#[inline(always)]` code that sets fields), so that nothing can
    /// cut it short half done. The `busy` flag still marks the writing, so a sweep that found a
    /// call abandoned there would count it ([`abandoned`]).
    #[inline(always)]
    fn quietly<P, R>(
        &self,
        plan: impl FnOnce(&T) -> Option<P>,
        apply: impl FnOnce(&mut T, P) -> R,
    ) -> Option<R> {
        if HELD.0.get() != 0 {
            return None; // inside another slot's call: that one's room covers the full path
        }
        // SAFETY: as in `with`: one thread, and neither closure calls into JS, so this is the
        // only live reference (a call that left `busy` set was abandoned and never runs again).
        let value = unsafe { &mut *self.value.get() };
        let value = value.as_mut()?;
        let p = plan(value)?;
        if self.busy.replace(true) {
            ABANDONED.0.set(ABANDONED.0.get().wrapping_add(1));
        }
        let r = apply(value, p);
        self.busy.set(false);
        Some(r)
    }
}

static LEDGER: OneThread<Slot<Ledger>> = OneThread(Slot::new());
static REALMS: OneThread<Slot<Realms>> = OneThread(Slot::new());
static MEMORY64: OneThread<Cell<bool>> = OneThread(Cell::new(false));
static ABANDONED: OneThread<Cell<u32>> = OneThread(Cell::new(0));
/// Slots held now. Left above 0 only by a call abandoned while holding one (which the room
/// below is there to prevent); [`recover`] puts it back to 0 before the next call.
static HELD: OneThread<Cell<u32>> = OneThread(Cell::new(0));
static TEXTS: OneThread<Slot<String>> = OneThread(Slot::new());
static MODULE_IO: OneThread<Slot<ModuleIo>> = OneThread(Slot::new());
static SNAPSHOT_IO: OneThread<Slot<SnapshotIo>> = OneThread(Slot::new());
/// The error of the last call that answered [`FAILED`] (see `errors::answer`).
static PENDING: OneThread<Cell<Option<wasm_bindgen::JsValue>>> = OneThread(Cell::new(None));

/// What a function that can fail answers in place of its number when it failed (its error
/// waits in [`PENDING`]): none of them answers it otherwise (their answers are -1, meaning
/// none, or more). `rust.js` reads it as `layout().failed`.
pub const FAILED: f64 = -2.0;

/// Keeps `error` for [`take_pending`]; returns [`FAILED`].
pub fn failed(error: wasm_bindgen::JsValue) -> f64 {
    PENDING.0.set(Some(error));
    FAILED
}

/// The error the last call that answered [`FAILED`] kept (`undefined` if none).
pub fn take_pending() -> wasm_bindgen::JsValue {
    PENDING.0.take().unwrap_or(wasm_bindgen::JsValue::UNDEFINED)
}

/// The numbers a snapshot crosses in and out by (see `ledger::snapshot_rows`): JS writes
/// `sizes` and reads `rows` through its own view of this module's memory. Kept between calls, so
/// a snapshot allocates only when the ledger has grown past the largest one before.
#[derive(Default)]
pub struct SnapshotIo {
    /// `[id, pages, ...]` read from the engine.
    pub sizes: Vec<f64>,
    /// The answer.
    pub rows: Vec<f64>,
}

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

impl ModuleIo {
    fn new() -> Self {
        ModuleIo {
            input: Vec::new(),
            output: Vec::new(),
            refusal: None,
        }
    }
}

/// Wasm frames the outermost slot a call takes stacks up before taking it. The engine checks
/// its stack at each wasm function's entry, so if these fit, the (shallower) work done while
/// holding the slot fits too, inner slots and allocations included. Room costs time (about
/// 10 ns a frame), so the per-memory operations on the hot paths take less than the rest.
/// `tests/js/hostile.test.mjs` (Node) and `tests/hostile/run.mjs` (Chromium, Firefox) sweep
/// every stack depth and check that no call is ever abandoned while it holds a slot
/// ([`abandoned`] stays 0). Firefox needs the most: there `type()` was abandoned with 12
/// frames and held with 20, `snapshot()` was abandoned with 20 and 28 (once in two runs) and
/// holds with 40.
#[derive(Clone, Copy)]
#[repr(u32)]
pub enum Room {
    /// Record, check or grow one memory, or read its type: construction, `grow`, `type()`.
    Light = 24,
    /// Everything else: snapshots, budgets, events, labels, modules, other realms.
    Deep = 40,
}

/// Wasm frames an allocation made outside any slot (the glue's, for a string or an array it
/// passes in) stacks up before the allocator changes anything. Inside a slot, the slot's room
/// covers it.
const ALLOCATION_FRAMES: u32 = 12;

/// Makes room for an allocation (see [`ALLOCATION_FRAMES`]).
pub fn allocation_room() {
    if HELD.0.get() == 0 {
        stack_room(ALLOCATION_FRAMES);
    }
}

/// Uses the engine's stack `frames` wasm frames deep (frames that pass their arguments through
/// `black_box`, so none is inlined or turned into a loop), so that a stack overflow happens
/// here, before anything changes, rather than in the middle of a change.
#[inline(never)]
pub fn stack_room(frames: u32) {
    #[inline(never)]
    fn frame(n: u32, a: u64, b: u64, c: u64, d: u64) -> u64 {
        if n == 0 {
            return a ^ b ^ c ^ d;
        }
        let next = frame(
            black_box(n - 1),
            black_box(b),
            black_box(c),
            black_box(d),
            a,
        );
        black_box(next).wrapping_add(u64::from(n))
    }
    black_box(frame(black_box(frames), 1, 2, 3, 4));
}

/// Runs `f`, which takes several slots one after the other, with the room for all of them made
/// once, first (the slots it takes then make none of their own). `f` must not call into JS.
pub fn with_room<R>(room: Room, f: impl FnOnce() -> R) -> R {
    if HELD.0.get() == 0 {
        stack_room(room as u32);
    }
    HELD.0.set(HELD.0.get().wrapping_add(1));
    let r = f();
    HELD.0.set(HELD.0.get().wrapping_sub(1));
    r
}

/// Runs `f` on the ledger. `f` must not call into JS (see the module's comment).
pub fn with_ledger<R>(f: impl FnOnce(&mut Ledger) -> R) -> R {
    LEDGER.0.with(Room::Deep, Ledger::new, f)
}

/// [`with_ledger`] for the hot per-memory operations (see [`Room::Light`]): record, check or
/// grow one memory, or read its type.
pub fn with_ledger_light<R>(f: impl FnOnce(&mut Ledger) -> R) -> R {
    LEDGER.0.with(Room::Light, Ledger::new, f)
}

/// Runs a quiet change of the ledger (see [`Slot::quietly`]): `plan` reads, `apply` writes
/// with no call. `None` when the change isn't quiet (or the ledger not yet made): the caller
/// then takes [`with_ledger_light`].
#[inline(always)]
pub fn ledger_quietly<P, R>(
    plan: impl FnOnce(&Ledger) -> Option<P>,
    apply: impl FnOnce(&mut Ledger, P) -> R,
) -> Option<R> {
    LEDGER.0.quietly(plan, apply)
}

/// Runs `f` on the view of the other realms (`ledger.share()`); like [`with_ledger`], `f` must
/// not call into JS (nor into `with_realms` again).
pub fn with_realms<R>(f: impl FnOnce(&mut Realms) -> R) -> R {
    REALMS.0.with(Room::Deep, Realms::new, f)
}

/// Runs `f` on the module-reading buffers; like [`with_ledger`], `f` must not call into JS (it
/// may take the ledger: another slot).
pub fn with_module_io<R>(f: impl FnOnce(&mut ModuleIo) -> R) -> R {
    MODULE_IO.0.with(Room::Deep, ModuleIo::new, f)
}

/// Runs `f` on the snapshot's buffers; like [`with_ledger`], `f` must not call into JS (it may
/// take the ledger: another slot).
pub fn with_snapshot_io<R>(f: impl FnOnce(&mut SnapshotIo) -> R) -> R {
    SNAPSHOT_IO.0.with(Room::Deep, SnapshotIo::default, f)
}

/// Keeps the texts of the last snapshot until JS takes them (see `ledger::snapshot`).
pub fn put_texts(texts: String) {
    TEXTS.0.with(Room::Deep, String::new, |t| *t = texts);
}

/// The texts [`put_texts`] kept ("" once taken).
pub fn take_texts() -> String {
    TEXTS.0.with(Room::Deep, String::new, core::mem::take)
}

/// After a call cut short by a JS exception (the JS side calls this before the next call, once
/// none is running): no slot is held any more. A slot it left busy is counted as abandoned
/// when it is next taken.
pub fn recover() {
    HELD.0.set(0);
}

/// How many calls were found abandoned while holding a slot (for the hostile-input tests).
pub fn abandoned() -> u32 {
    ABANDONED.0.get()
}

/// Whether the engine has memory64 (the JS entry detects it once, at start).
pub fn memory64() -> bool {
    MEMORY64.0.get()
}

/// Records whether the engine has memory64.
pub fn set_memory64(on: bool) {
    MEMORY64.0.set(on);
}

static ENGINE: OneThread<Cell<u8>> = OneThread(Cell::new(0));

/// The engine family the JS entry detected at start (see [`crate::rules::Engine`]), for the
/// reservation model.
pub fn engine() -> crate::rules::Engine {
    crate::rules::Engine::from_code(ENGINE.0.get())
}

/// Records the engine family by its code ([`crate::rules::Engine::code`]; any other: unknown).
pub fn set_engine(code: u8) {
    ENGINE.0.set(code);
}

static RESERVED_BUDGET: OneThread<Cell<Option<u64>>> = OneThread(Cell::new(None));

/// The `reservedBytes` budget in force (its mode is the ledger's budget's).
pub fn reserved_budget() -> Option<u64> {
    RESERVED_BUDGET.0.get()
}

/// Sets (or with `None` removes) the `reservedBytes` budget.
pub fn set_reserved_budget(limit: Option<u64>) {
    RESERVED_BUDGET.0.set(limit);
}

/// Numbers in the request row (see [`super::request`]): the longest request's.
pub const REQUEST_LENGTH: usize = 10;

static REQUEST: OneThread<UnsafeCell<[f64; REQUEST_LENGTH]>> =
    OneThread(UnsafeCell::new([0.0; REQUEST_LENGTH]));

/// Where the request row starts in this module's memory (JS writes it through a view of its own).
pub fn request_at() -> u32 {
    REQUEST.0.get() as u32
}

/// The request row as JS last wrote it, copied.
#[inline(always)]
pub fn request() -> [f64; REQUEST_LENGTH] {
    // SAFETY: one thread (see `OneThread`); JS writes the row only between calls, so nothing
    // writes it while this reads, and no reference to it outlives this copy.
    unsafe { *REQUEST.0.get() }
}
