//! Imports from the hand-written JS (`js/`): ECMAScript conversions and the engine's own
//! memory operations. Everything that can run user code or throw is imported with `catch`,
//! so a JS exception comes back as `Err` instead of unwinding through Rust frames.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/webidl.js")]
extern "C" {
    /// A short description of a value for messages; runs no user code.
    pub fn describe(v: &JsValue) -> String;
}

#[wasm_bindgen(module = "/js/api.js")]
extern "C" {
    /// `Reflect.construct(NativeMemory, [checked], newTarget)` (the i64 path).
    #[wasm_bindgen(catch, js_name = nativeConstruct)]
    pub fn native_construct(
        initial: &JsValue,
        maximum: &JsValue,
        shared: bool,
        is64: bool,
        new_target: &JsValue,
    ) -> Result<JsValue, JsValue>;

    /// The engine's own `grow`, called on `memory`.
    #[wasm_bindgen(catch, js_name = nativeGrowCall)]
    pub fn native_grow(memory: &JsValue, delta: &JsValue) -> Result<JsValue, JsValue>;

    /// Current pages via the engine's `buffer` getter; a TypeError for a non-memory.
    #[wasm_bindgen(catch, js_name = pagesOf)]
    pub fn pages_of(memory: &JsValue) -> Result<f64, JsValue>;

    /// Whether the engine validates memory64 modules.
    #[wasm_bindgen(js_name = hasMemory64)]
    pub fn has_memory64() -> bool;

    /// Reports an exception a ledger listener threw, without rethrowing it.
    #[wasm_bindgen(js_name = reportListenerError)]
    pub fn report_listener_error(error: &JsValue);

    /// `Date.now()`.
    pub fn now() -> f64;

    /// The caller's stack line.
    #[wasm_bindgen(js_name = callerLine)]
    pub fn caller_line() -> String;

    /// Tells the JS hot paths whether a budget is in force.
    #[wasm_bindgen(js_name = setBudgeted)]
    pub fn set_budgeted(on: bool);

    /// Tells the JS hot paths whether anyone listens to ledger events.
    #[wasm_bindgen(js_name = setListening)]
    pub fn set_listening(on: bool);

    /// Tracks a memory weakly under a ledger id.
    #[wasm_bindgen(js_name = track)]
    pub fn track(memory: &JsValue, id: u32, is64: bool);

    /// Builds `snapshot()`'s plain objects from the rows and strings the ledger hands out.
    #[wasm_bindgen(js_name = buildSnapshot)]
    pub fn build_snapshot(
        rows: &js_sys::Float64Array,
        strings: &js_sys::Array,
        totals: &js_sys::Float64Array,
        budget: &JsValue,
    ) -> JsValue;

    /// The ledger id of a memory, or -1.
    #[wasm_bindgen(js_name = idOf)]
    pub fn id_of(memory: &JsValue) -> i32;

    /// `[id, pages, id, pages, ...]` for every live tracked memory.
    #[wasm_bindgen(js_name = readSizes)]
    pub fn read_sizes() -> Vec<f64>;

    /// Builds `{ Memory, install, isInstalled }` around the Rust hooks.
    #[wasm_bindgen(js_name = defineApi)]
    pub fn define_api(hooks: &JsValue) -> JsValue;
}
