//! Turning failures into real JavaScript errors.

use js_sys::{RangeError, TypeError};
use wasm_bindgen::JsValue;

use crate::rules::{Error, ErrorKind};

/// Why a bound call failed: a refusal of ours, or an exception user code (a getter, `valueOf`,
/// a Proxy trap) or the engine threw, which is passed on as the very same value.
#[derive(Debug)]
pub enum Failure {
    /// A refusal the core decided on.
    Core(Error),
    /// An exception thrown by JS, passed through unchanged.
    Thrown(JsValue),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl From<JsValue> for Failure {
    fn from(v: JsValue) -> Self {
        Failure::Thrown(v)
    }
}

/// The real JavaScript error for a refusal: a `TypeError` or `RangeError`, as the core says.
pub fn js_error(e: Error) -> JsValue {
    let message = e.message();
    match e.kind() {
        ErrorKind::Type => TypeError::new(&message).into(),
        ErrorKind::Range => RangeError::new(&message).into(),
    }
}

impl From<Failure> for JsValue {
    fn from(f: Failure) -> JsValue {
        match f {
            Failure::Core(e) => js_error(e),
            Failure::Thrown(v) => v,
        }
    }
}

/// What an exported function returns when it can fail: its value, or the JS error to throw.
pub type JsResult<T> = Result<T, JsValue>;
