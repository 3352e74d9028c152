//! Wires the Rust hooks into the JS entry's `defineApi` and exports the result.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::js;
use super::memory::{construct, grow, memory_type};

thread_local! {
    static API: JsValue = build();
}

/// `{ Memory, install, isInstalled }`, built once per instance of this module.
#[wasm_bindgen(js_name = api)]
pub fn api() -> JsValue {
    API.with(Clone::clone)
}

fn build() -> JsValue {
    let hooks = Object::new();
    let set = |name: &str, f: JsValue| {
        // Our own fresh plain object: defining a property cannot fail.
        let _ = Reflect::set(&hooks, &JsValue::from_str(name), &f);
    };
    set(
        "construct",
        Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>::new(
            |d: JsValue, o: JsValue, t: JsValue| construct(&d, &o, &t).map_err(JsValue::from),
        )
        .into_js_value(),
    );
    set(
        "grow",
        Closure::<dyn Fn(JsValue, JsValue) -> Result<JsValue, JsValue>>::new(
            |m: JsValue, d: JsValue| grow(&m, &d).map_err(JsValue::from),
        )
        .into_js_value(),
    );
    set(
        "type",
        Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(|m: JsValue| {
            memory_type(&m).map_err(JsValue::from)
        })
        .into_js_value(),
    );
    set(
        "adopt",
        Closure::<dyn Fn(JsValue, JsValue)>::new(|m: JsValue, tuple: JsValue| {
            super::ledger::adopt_exported(&m, &tuple);
        })
        .into_js_value(),
    );
    set(
        "exportTypes",
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|bytes: JsValue| {
            super::modules::export_types(&bytes)
        })
        .into_js_value(),
    );
    js::define_api(&hooks)
}
