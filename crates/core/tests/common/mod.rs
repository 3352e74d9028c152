//! What the core's host tests share: the inputs they build their cases from (fixed inputs, so
//! the `unwrap`s can't fail).
#![allow(dead_code)] // each test file uses some of these

use wasm_memory_polyfill_core::*;

/// A refused number as a message prints it (the bindings ask JavaScript for its text).
pub fn text(x: f64) -> String {
    format!("{x}")
}

/// A valid i32 memory type.
pub fn memory_type(initial: u64, maximum: Option<u64>, shared: bool) -> MemoryType {
    RequestedType {
        address: AddressType::I32,
        initial,
        maximum,
        shared,
    }
    .validate()
    .unwrap()
}

/// A valid unshared i32 memory type.
pub fn i32_type(initial: u64, maximum: Option<u64>) -> MemoryType {
    memory_type(initial, maximum, false)
}

/// A memory of type `ty` entered in `l` as `origin` (planned, then committed at its minimum, as
/// the bindings do); returns its id.
pub fn enter(l: &mut Ledger, ty: MemoryType, origin: Origin) -> u32 {
    let plan = l.plan_create(ty).unwrap();
    l.commit_create(plan, ty.minimum, None, origin, 0.0, None, None)
}

/// The events queued so far that `keep` selects (all are drained).
pub fn drained(l: &mut Ledger, keep: fn(&Event) -> bool) -> Vec<Event> {
    l.drain_events().into_iter().filter(keep).collect()
}
