//! The core: memory types, their rules, and the ledger. Plain Rust with no JS types, tested on
//! the host with `cargo test`.

mod error;
mod ledger;
mod limits;
mod module_types;

pub use error::{Error, ErrorKind, Field};
pub use ledger::{
    parse_budget, Budget, BudgetMode, CreatePlan, Event, Ledger, Origin, Record, Totals,
};
pub use limits::{
    check_grow, enforce_range_u32, AddressType, MemoryType, RequestedType, PAGE_BYTES,
};
pub use module_types::{exported_memories, is_memory_type_section, section_spans, ExportedMemory};
