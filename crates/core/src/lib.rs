//! The core of wasm-memory-polyfill: memory types, their rules, the ledger and budgets, and the
//! memory types of wasm modules. Plain Rust with no JS types (this crate has no wasm-bindgen
//! dependency, so the compiler keeps the layers apart), tested on the host with `cargo test`.
#![deny(missing_docs)]
// `no_std` (with `alloc`): without std's panic and formatting machinery the wasm is kilobytes
// smaller, and nothing here needs an OS. Host tests still have std.
#![no_std]
extern crate alloc;
#[cfg(test)]
extern crate std;

mod error;
mod id_index;
mod ledger;
mod limits;
mod module_types;

pub use error::{concat, decimal, Error, ErrorKind, Field, LabelSite, MAX_LABEL};
pub use ledger::{
    parse_budget, parse_count, whole, Budget, BudgetField, BudgetMode, Clamp, CreatePlan, Entry,
    Event, Failure, GrowSource, Ledger, Operation, Origin, Record, Reservation, Resize, Totals,
    FAILURE_LARGEST,
};
mod realms;
mod reserve;
pub use limits::{
    check_grow, enforce_range_u32, exact_u32, AddressType, MemoryType, RequestedType,
    I64_MAXIMUM_PAGES, PAGE_BYTES,
};
pub use module_types::{
    defined_by_prefix, module_memories, module_name_str, ExportedMemory, ImportedMemory,
    NAME_SECTION_BYTES,
};
pub use realms::{
    AppTotals, Heard, RealmTotals, Realms, DEFAULT_INTERVAL_MS, HEARTBEAT_MS, INTERVAL_MS,
    MISSED_HEARTBEATS,
};
pub use reserve::{
    check_reserved, Engine, Headroom, Limit, Profile, SharedPool, DEFAULT_TYPE, PROFILES,
};
mod module_rewrite;
pub use module_rewrite::{defined_memories, rewrite_memory_maxima, rewrite_memory_section};
mod wasm_binary;
pub use wasm_binary::{
    BinaryError, DefinedMemory, Part, CUSTOM_SECTION, EXPORT_SECTION, IMPORT_SECTION,
    MAGIC_AND_VERSION, MEMORY_SECTION, NAME_SECTION_NAME, START_SECTION,
};
