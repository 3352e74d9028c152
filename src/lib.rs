//! A spec-exact, drop-in `WebAssembly.Memory` with a ledger of every memory, budgets and
//! `install()`.
//!
//! Layers, each using only the one below it (see DESIGN.md):
//! 1. [`core`]: memory types, the JS API's rules, the ledger. No JS types.
//! 2. [`bindings`] (wasm32 only): WebIDL reading of JS values, real `TypeError`/`RangeError`s,
//!    the engine's own constructor, the ledger's JS face.
//! 3. `js/`: the `Memory` class, `install()` and weak bookkeeping, loaded as wasm-bindgen snippets.
#![deny(missing_docs)]
#![cfg_attr(not(feature = "std"), no_std)]
extern crate alloc;

pub use wasm_memory_polyfill_core as core;

#[cfg(target_arch = "wasm32")]
pub mod bindings;

// talc instead of the default dlmalloc: about 5 KB less wasm for the few small allocations the
// core makes (records, label strings, event queues). `AssumeUnlockable` is sound here because
// the module runs on one thread: wasm-bindgen modules without the atomics feature are not shared.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };

/// Traps: what a panic does in the shipped build, without a panic's message and location.
#[cfg(target_arch = "wasm32")]
pub(crate) fn trap() -> ! {
    ::core::arch::wasm32::unreachable()
}

// Without std (the shipped build) a panic traps. None is reachable from a caller's input: every
// such path returns a typed error instead (see the core's `Error`).
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo) -> ! {
    trap()
}
