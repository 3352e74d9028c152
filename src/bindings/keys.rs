//! Property names as JS strings, made once per module instance.
//!
//! Every `JsValue::from_str` copies the UTF-8 out of linear memory and decodes it into a new JS
//! string; on the constructor's path (four descriptor reads, one `type()` object) that decoding
//! costs more than the property accesses themselves, so the names are kept.

use wasm_bindgen::JsValue;

macro_rules! keys {
    ($($field:ident = $name:literal),* $(,)?) => {
        /// The cached names.
        pub struct Keys {
            $(
                #[doc = concat!("`\"", $name, "\"`")]
                pub $field: JsValue,
            )*
        }

        impl Keys {
            fn new() -> Self {
                Keys { $($field: JsValue::from_str($name)),* }
            }
        }
    };
}

keys! {
    address = "address",
    initial = "initial",
    maximum = "maximum",
    minimum = "minimum",
    shared = "shared",
    label = "label",
    i32 = "i32",
    i64 = "i64",
}

thread_local! {
    static KEYS: Keys = Keys::new();
}

/// Runs `f` with the cached names.
pub fn with_keys<R>(f: impl FnOnce(&Keys) -> R) -> R {
    KEYS.with(f)
}

/// The address type's name as a cached JS string.
pub fn address_name(k: &Keys, address: crate::core::AddressType) -> &JsValue {
    match address {
        crate::core::AddressType::I32 => &k.i32,
        crate::core::AddressType::I64 => &k.i64,
    }
}
