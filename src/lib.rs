//! A spec-exact, drop-in `WebAssembly.Memory` with a ledger of every memory, budgets and
//! `install()`.
//!
//! Layers, each using only the one below it (docs/layout.md names every file):
//! 1. [`rules`] (`crates/core`): memory types, the JS API's rules, the ledger, the reservation
//!    model. No JS types, `no_std`.
//! 2. [`bindings`] (wasm32 only): the core as a library JS calls (`Core`): numbers, strings and
//!    real `TypeError`/`RangeError`s in and out; Rust never calls back into JS.
//! 3. `src/js/`: the JS entry: the `Memory` function, `install()`'s hooks, the weak tracking and
//!    the public `ledger`, on built-ins captured at load.
//! 4. `js/` and `scripts/build.sh`: the package's entries, bundled into `pkg/`; `www/`: the demo.
#![deny(missing_docs)]
#![cfg_attr(not(feature = "std"), no_std)]
extern crate alloc;

pub use wasm_memory_polyfill_core as rules;

#[cfg(target_arch = "wasm32")]
pub mod bindings;

// lol_alloc's free list instead of the default dlmalloc (or talc, used before): the smallest
// wasm of the three (the build prints its size; talc cost 1.4 KB gzip more, dlmalloc more
// still) for the few small allocations the core makes (records, label strings, event queues,
// a module's sections while they are read). A free list sorted by address, coalesced on free:
// each call walks it, so its cost grows with the holes the freed texts of collected records
// leave, which the engines' limit on live memories bounds (docs/costs.md measures a churn of
// labelled memories against talc). `AssumeSingleThreaded` is sound
// because the module runs on one thread: wasm-bindgen modules without the atomics feature are
// not shared.
//
// Wrapped so that every allocation first makes sure the engine's stack has room for it
// (`bindings::state::stack_room`): an allocation abandoned half-way by a stack overflow (the glue
// allocates for strings and arrays before a call starts) would leave the allocator's free list
// half-updated.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: Guarded =
    Guarded(unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) });

#[cfg(target_arch = "wasm32")]
struct Guarded(lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator>);

// SAFETY: each method delegates to lol_alloc's (a sound allocator) after a call that only uses stack.
#[cfg(target_arch = "wasm32")]
unsafe impl core::alloc::GlobalAlloc for Guarded {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        bindings::state::allocation_room();
        self.0.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: core::alloc::Layout) {
        bindings::state::allocation_room();
        self.0.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: core::alloc::Layout) -> *mut u8 {
        bindings::state::allocation_room();
        self.0.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: core::alloc::Layout, size: usize) -> *mut u8 {
        bindings::state::allocation_room();
        self.0.realloc(ptr, layout, size)
    }
}

// Without std (the shipped build) a panic traps. None is reachable from a caller's input: every
// such path returns a typed error instead (see the core's `Error`).
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
