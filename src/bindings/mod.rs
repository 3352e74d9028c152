//! Bindings: the core as a library JavaScript calls. Only this layer knows wasm-bindgen.
//!
//! One direction: the JS entry (`src/js/`) owns every engine object and calls the static
//! methods of [`core_class::Core`], each defined in the module that does its work; they take
//! and return plain values (numbers, BigInts, strings, a request row of numbers: see
//! [`request`]) and turn the core's typed errors into `TypeError`/`RangeError`. Rust never
//! calls back into user code or through a table of JS closures; it imports nothing but js-sys.

pub mod core_class;
pub mod errors;
pub mod events;
pub mod layout;
pub mod ledger;
pub mod memory;
pub mod modules;
pub mod realms;
pub mod request;
pub mod state;
pub mod values;
