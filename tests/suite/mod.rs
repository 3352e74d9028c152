//! The wasm-bindgen tests, shared by `tests/web.rs` (headless browsers) and `tests/node.rs`.
//! Every check runs the same input through our `Memory` and the engine's own
//! `WebAssembly.Memory`, and compares both with what the spec prescribes.

pub mod constructor;
pub mod ledger;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

/// `api().Memory`, `api().install`.
pub fn api_member(name: &str) -> JsValue {
    Reflect::get(
        &wasm_memory_polyfill::bindings::api::api(),
        &JsValue::from_str(name),
    )
    .expect("api member")
}

/// A JS value's property.
pub fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).expect("property")
}

/// A property as f64.
pub fn num(v: &JsValue, k: &str) -> f64 {
    get(v, k).as_f64().unwrap_or(f64::NAN)
}

/// A property as bool (false if missing).
pub fn flag(v: &JsValue, k: &str) -> bool {
    get(v, k).as_bool().unwrap_or(false)
}

/// A property as string ("" if not a string).
pub fn text(v: &JsValue, k: &str) -> String {
    get(v, k).as_string().unwrap_or_default()
}

/// The problems list of a fixture result, as Rust strings.
pub fn problems(v: &JsValue) -> Vec<String> {
    js_sys::Array::from(&get(v, "problems"))
        .iter()
        .filter_map(|p| p.as_string())
        .collect()
}

/// Bytes of a checked-in fixture module, as a JS Uint8Array.
pub fn module_bytes(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// Whether the engine has memory64.
pub fn memory64() -> bool {
    wasm_memory_polyfill::bindings::js::has_memory64()
}
