//! WebIDL conversions of descriptor values: `AddressValueToU64`, `U64ToAddressValue`, labels.
//!
//! The members themselves are read by `js/api.js` in the spec's order (`address`, `initial`,
//! `maximum`, `shared`, each getter once, nothing else; `initial` and `maximum` are
//! `AddressValue` = `any`, so they are converted only after all four are read).

use js_sys::BigInt;
use wasm_bindgen::{JsCast, JsValue};

use super::errors::Failure;
use super::js;
use crate::core::{AddressType, Error, Field};

/// How JavaScript prints a Number (`String(x)`), for error messages.
pub fn number_text(x: f64) -> String {
    js::describe(&JsValue::from_f64(x))
}

/// The second half of `AddressValueToU64(v, "i64")`: the u64 range, on a BigInt that ToBigInt
/// (run in JS, js/api.js, so user code never throws through wasm) produced. Anything else that
/// reaches here is refused the same way.
pub fn bigint_to_u64(v: &JsValue, field: Field) -> Result<u64, Failure> {
    u64::try_from(v.clone()).map_err(|_| {
        Failure::Core(Error::NotU64 {
            field,
            value: js::describe(v),
        })
    })
}

/// The JS value an `AddressValue` takes for an address type: a Number for i32, a BigInt for i64.
pub fn u64_to_address_value(v: u64, address: AddressType) -> JsValue {
    match address {
        // Page counts of an i32 memory are at most 2^16, exact as f64.
        AddressType::I32 => JsValue::from_f64(v as f64),
        AddressType::I64 => BigInt::from(v).into(),
    }
}

/// Our own options (the constructor's second argument, which the native constructor ignores):
/// `{ label?: string }`. Read only when given, so a plain descriptor call reads nothing extra.
/// `label` is `options.label`, already read by the JS entry (so a throwing getter never crosses
/// into wasm).
pub fn read_label(options: &JsValue, label: &JsValue) -> Result<Option<String>, Failure> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() {
        return Err(bad_label(format!(
            "options must be an object (got {})",
            js::describe(options)
        )));
    }
    label_value(label)
}

/// A label: a string of at most 256 UTF-16 code units, or undefined/null for none.
pub fn label_value(label: &JsValue) -> Result<Option<String>, Failure> {
    if label.is_undefined() || label.is_null() {
        return Ok(None);
    }
    match label.dyn_ref::<js_sys::JsString>() {
        Some(s) if s.length() <= 256 => Ok(Some(String::from(s))),
        Some(s) => Err(bad_label(format!(
            "label must be at most 256 characters (got {})",
            s.length()
        ))),
        None => Err(bad_label(format!(
            "label must be a string (got {})",
            js::describe(label)
        ))),
    }
}

fn bad_label(message: String) -> Failure {
    Failure::Core(Error::BadLedgerArgument {
        call: "label",
        message,
        kind: crate::core::ErrorKind::Type,
    })
}
