//! Turning failures into real JavaScript errors.

use js_sys::{RangeError, TypeError};
use wasm_bindgen::JsValue;

use super::state;
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

/// What a function returns when it can fail: its value, or the JS error to throw.
pub type JsResult<T> = Result<T, JsValue>;

/// A value an exported function answers with as one number (see [`answer`]).
pub trait Number {
    /// The value as the number that crosses.
    fn number(self) -> f64;
}

impl Number for () {
    fn number(self) -> f64 {
        0.0
    }
}

impl Number for bool {
    fn number(self) -> f64 {
        f64::from(u8::from(self))
    }
}

impl Number for u8 {
    fn number(self) -> f64 {
        self.into()
    }
}

impl Number for u32 {
    fn number(self) -> f64 {
        self.into()
    }
}

impl Number for f64 {
    fn number(self) -> f64 {
        self
    }
}

/// What an exported function that can fail returns: its value as a number, or
/// [`state::FAILED`] with the error kept for `takePending`, which `rust.js`'s wrapper calls and
/// throws. Every call of such a function would otherwise cross back as an array (wasm-bindgen
/// returns a `Result` as several values, which the engine hands JS as a new array), one per
/// `grow()` and construction, and each export would carry its own glue and shims.
pub fn answer<T: Number>(f: impl FnOnce() -> JsResult<T>) -> f64 {
    match f() {
        Ok(v) => v.number(),
        Err(e) => state::failed(e),
    }
}
