//! The wasm-bindgen tests, shared by `tests/web.rs` (headless browsers) and `tests/node.rs`.
//! Every check runs the same input through our `Memory` and the engine's own
//! `WebAssembly.Memory`, and compares both with what the spec prescribes.

pub mod constructor;
pub mod hot_paths;
pub mod ledger;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

// The package's JS entry layer (src/js), loaded as snippets: two bindings used here, and one of
// every module of the layer (listed by build.rs from the folder: wasm-bindgen copies only the
// snippet files named, and they import each other side by side).
#[wasm_bindgen(module = "/src/js/api.js")]
extern "C" {
    #[wasm_bindgen(js_name = createApi)]
    fn create_api(core: &JsValue) -> JsValue;
}
#[wasm_bindgen(module = "/src/js/engine.js")]
extern "C" {
    #[wasm_bindgen(js_name = hasMemory64)]
    fn has_memory64() -> bool;
}
mod layer {
    use wasm_bindgen::prelude::*;
    include!(concat!(env!("OUT_DIR"), "/layer_files.rs"));
}

use wasm_memory_polyfill::bindings::core_class::Core;

thread_local! {
    static API: JsValue = {
        layer::keep();
        // createApi takes the class of static methods, as the package's entries hand it over.
        let class = Reflect::get(&JsValue::from(Core::token()), &JsValue::from_str("constructor"))
            .expect("the class of a Core");
        create_api(&class)
    };
}

/// `createApi(core).Memory`, `.install`, `.ledger`: the package's API, over this test's core.
pub fn api_member(name: &str) -> JsValue {
    API.with(|api| Reflect::get(api, &JsValue::from_str(name)).expect("api member"))
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
    has_memory64()
}
