//! Bindings: JS values in, core calls, real JS errors out. Only this layer knows wasm-bindgen.

pub mod api;
pub mod descriptor;
pub mod errors;
pub mod events;
pub mod js;
pub mod keys;
pub mod ledger;
pub mod memory;
pub mod modules;
pub mod state;
