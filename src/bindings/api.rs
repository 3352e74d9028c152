//! Wires the Rust hooks into the JS entry's `defineApi` and exports the result.
//!
//! The hooks are closures (a wasm-bindgen snippet can't import the module's own exports); the
//! ones on the hot paths take and return only numbers, which cross the boundary almost for free.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::js;
use super::memory as m;

thread_local! {
    static API: JsValue = build();
}

/// `{ Memory, install, isInstalled }`, built once per instance of this module.
#[wasm_bindgen(js_name = api)]
pub fn api() -> JsValue {
    API.with(Clone::clone)
}

macro_rules! hook {
    ($hooks:ident, $name:literal, |$($arg:ident : $ty:ty),*| -> Result<$ret:ty> $body:expr) => {
        hook!(@set $hooks, $name, Closure::<dyn Fn($($ty),*) -> Result<$ret, JsValue>>::new(
            move |$($arg: $ty),*| $body.map_err(JsValue::from)
        ));
    };
    ($hooks:ident, $name:literal, |$($arg:ident : $ty:ty),*| -> $ret:ty, $body:expr) => {
        hook!(@set $hooks, $name, Closure::<dyn Fn($($ty),*) -> $ret>::new(move |$($arg: $ty),*| $body));
    };
    ($hooks:ident, $name:literal, |$($arg:ident : $ty:ty),*| $body:expr) => {
        hook!(@set $hooks, $name, Closure::<dyn Fn($($ty),*)>::new(move |$($arg: $ty),*| $body));
    };
    ($hooks:ident, $name:literal, || -> $ret:ty, $body:expr) => {
        hook!(@set $hooks, $name, Closure::<dyn Fn() -> $ret>::new(move || $body));
    };
    ($hooks:ident, $name:literal, || $body:expr) => {
        hook!(@set $hooks, $name, Closure::<dyn Fn()>::new(move || $body));
    };
    (@set $hooks:ident, $name:literal, $closure:expr) => {
        // Our own fresh plain object: defining a property cannot fail.
        let _ = Reflect::set(&$hooks, &JsValue::from_str($name), &$closure.into_js_value());
    };
}

fn build() -> JsValue {
    let hooks = Object::new();
    // construction
    hook!(hooks, "addressIs64", |s: String| -> Result<bool> m::address_is64(&s));
    hook!(hooks, "notObject", |v: JsValue| -> JsValue, m::not_object(&v));
    hook!(hooks, "missingInitial", | | -> JsValue, m::missing_initial());
    hook!(hooks, "u32", |field: u32, x: f64| -> Result<f64> m::enforce_u32(field, x));
    hook!(hooks, "checkOptions", |o: JsValue, label: JsValue| -> Result<JsValue> m::check_options(&o, &label));
    hook!(hooks, "create", |initial: f64, maximum: f64, shared: bool, created: f64, label: JsValue| -> Result<f64>
        m::create(initial, maximum, shared, created, &label));
    hook!(hooks, "abandon", |id: u32| m::abandon(id));
    hook!(hooks, "deliver", || m::deliver());
    hook!(hooks, "allocationFailed", |what: String| -> JsValue, m::allocation_failed(&what));
    hook!(hooks, "u64", |field: u32, v: JsValue| -> Result<()> m::check_u64(field, &v));
    hook!(hooks, "construct64", |i: JsValue, x: JsValue, shared: bool, o: JsValue, t: JsValue| -> Result<JsValue>
        m::construct64(&i, &x, shared, &o, &t));
    // grow
    hook!(hooks, "planGrow", |id: u32, pages: f64, delta: f64| -> Result<()> m::plan_grow(id, pages, delta));
    hook!(hooks, "growError", |id: u32, pages: f64, delta: f64, e: JsValue| -> JsValue, m::grow_error(id, pages, delta, e));
    hook!(hooks, "grown", |id: u32, pages: f64| m::grown(id, pages));
    hook!(hooks, "grow64", |memory: JsValue, id: u32, delta: JsValue| -> Result<JsValue> m::grow64(&memory, id, &delta));
    // type(), the ledger's side of tracking, install()'s hooks
    hook!(hooks, "type", |memory: JsValue| -> Result<JsValue> m::memory_type(&memory));
    hook!(hooks, "collected", |id: u32| m::collected(id));
    hook!(hooks, "adopt", |pages: f64, shared: bool, tuple: JsValue, created: f64| -> u32,
        super::ledger::adopt_exported(pages, shared, &tuple, created));
    hook!(hooks, "exportTypes", |bytes: JsValue| -> JsValue, super::modules::export_types(&bytes));
    js::define_api(&hooks)
}
