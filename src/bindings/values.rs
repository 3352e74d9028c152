//! JS values to core values and back: `AddressValue`s, labels, and how a value prints in a
//! message. Uses js-sys only; runs no user code (every value here is a primitive the JS entry
//! already converted, or one we only inspect).

use alloc::string::String;

use js_sys::{BigInt, JsString, Number, JSON};
use wasm_bindgen::{JsCast, JsValue};

use super::errors::Failure;
use crate::rules::{concat, exact_u32, AddressType, Error, Field, LabelSite, MAX_LABEL};

/// What a value is, for error messages: strings quoted, numbers and BigInts as JavaScript prints
/// them, objects by type only (printing one could run user code).
pub fn describe(v: &JsValue) -> String {
    if v.is_null() {
        return "null".into();
    }
    if v.is_undefined() {
        return "undefined".into();
    }
    if let Some(x) = v.as_f64() {
        return number_text(x);
    }
    if v.is_string() {
        return JSON::stringify(v).map_or_else(|_| String::new(), String::from);
    }
    if let Some(b) = v.dyn_ref::<BigInt>() {
        return b
            .to_string(10)
            .map_or_else(|_| String::new(), |s| concat(&[&String::from(s), "n"]));
    }
    if let Some(b) = v.as_bool() {
        return if b { "true" } else { "false" }.into();
    }
    let kind = v.js_typeof().as_string().unwrap_or_default();
    concat(&["a value of type ", &kind])
}

/// How JavaScript prints a Number (`String(x)`), for error messages; the wasm carries no float
/// formatting code of its own.
pub fn number_text(x: f64) -> String {
    Number::from(x)
        .to_string_with_radix(10)
        .map_or_else(|_| String::new(), String::from)
}

/// The core value of an `AddressValue` the JS entry converted and range-checked: a Number for
/// i32 (an integer from 0 to 2^32 - 1), a BigInt for i64 (checked by `checkU64`).
pub fn to_u64(v: &JsValue, field: Field) -> Result<u64, Failure> {
    if let Some(x) = v.as_f64().and_then(exact_u32) {
        return Ok(x.into());
    }
    u64::try_from(v.clone()).map_err(|_| {
        Failure::Core(Error::NotU64 {
            field,
            value: describe(v),
        })
    })
}

/// An optional `AddressValue`: `undefined` for none.
pub fn to_u64_opt(v: &JsValue, field: Field) -> Result<Option<u64>, Failure> {
    if v.is_undefined() {
        Ok(None)
    } else {
        to_u64(v, field).map(Some)
    }
}

/// The JS value an `AddressValue` takes for an address type: a Number for i32, a BigInt for i64.
pub fn address_value(v: u64, address: AddressType) -> JsValue {
    match address {
        // Page counts of an i32 memory are at most 2^16, exact as f64.
        AddressType::I32 => JsValue::from_f64(v as f64),
        AddressType::I64 => BigInt::from(v).into(),
    }
}

/// A label: a string of at most [`MAX_LABEL`] UTF-16 code units, or undefined/null for none.
pub fn label(v: &JsValue, site: LabelSite) -> Result<Option<String>, Error> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.dyn_ref::<JsString>() {
        Some(s) if s.length() <= MAX_LABEL => Ok(Some(String::from(s))),
        Some(s) => Err(Error::LabelTooLong(site, s.length())),
        None => Err(Error::LabelNotString(site, describe(v))),
    }
}
