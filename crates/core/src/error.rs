//! Every way a request can be refused, as one typed error.
//!
//! The core never builds a JS value: it says *which* error constructor the WebAssembly JS API
//! prescribes through [`Error::kind`], and the bindings turn that into a real `TypeError` or
//! `RangeError`. Messages start with the context and name the field, the value and the limit.

use alloc::string::String;

use core::fmt;

/// Which JavaScript error constructor the spec prescribes for an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A `TypeError`: the input has the wrong type or is outside its WebIDL range.
    Type,
    /// A `RangeError`: a well-formed request that limits, budgets or allocation refuse.
    Range,
}

/// The descriptor member (or argument) an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `descriptor.initial`
    Initial,
    /// `descriptor.maximum`
    Maximum,
    /// The `delta` argument of `grow`.
    Delta,
}

impl Field {
    /// Its name, as the descriptor spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Initial => "initial",
            Field::Maximum => "maximum",
            Field::Delta => "delta",
        }
    }
}

/// A refused construction, grow or ledger call.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The descriptor is neither an object nor `undefined`/`null`.
    DescriptorNotObject(String),
    /// `initial` is missing (WebIDL `required`).
    MissingInitial,
    /// `address` is not one of the `AddressType` enum values.
    UnknownAddress(String),
    /// An i32 value outside `[EnforceRange] unsigned long`.
    NotU32 {
        /// Which member or argument.
        field: Field,
        /// The value as JavaScript prints it.
        value: String,
    },
    /// An i64 value outside `0n ..= 2n**64n - 1n`.
    NotU64 {
        /// Which member or argument.
        field: Field,
        /// The value as JavaScript prints it.
        value: String,
    },
    /// `maximum < initial`.
    MaximumBelowInitial {
        /// The requested initial pages.
        initial: u64,
        /// The requested maximum pages.
        maximum: u64,
    },
    /// `shared: true` without a `maximum`.
    SharedWithoutMaximum,
    /// More pages than the address type allows.
    PageLimit {
        /// Which member or argument.
        field: Field,
        /// The requested pages.
        value: u64,
        /// The limit for the address type.
        limit: u64,
        /// `"i32"` or `"i64"`.
        address: &'static str,
    },
    /// `grow` past the memory's maximum (or the address-type limit when it has none).
    GrowPastMaximum {
        /// The requested delta.
        delta: u64,
        /// Pages before the grow.
        current: u64,
        /// The limit it would pass.
        maximum: u64,
    },
    /// `address: "i64"` on an engine without memory64.
    NoMemory64,
    /// The engine could not allocate the memory (the spec makes that a `RangeError`; some
    /// engines throw something else, which is passed on in the message).
    AllocationFailed(String),
    /// `type()` on a memory whose maximum the polyfill never learned.
    UnknownMaximum,
    /// A hard budget refuses the request.
    OverBudget {
        /// `"construction"` or `"grow(n)"`.
        what: String,
        /// The budget field that refuses: `totalPages`, `perMemoryPages` or `memories`.
        budget: &'static str,
        /// Its value.
        limit: u64,
        /// What the request would have made of it.
        detail: String,
    },
    /// The constructor's second argument (ours) is neither an object nor undefined/null.
    OptionsNotObject(String),
    /// A label that is not a string (nor undefined/null).
    LabelNotString(LabelSite, String),
    /// A label longer than [`MAX_LABEL`] UTF-16 code units.
    LabelTooLong(LabelSite, u32),
    /// `ledger.label()` on something that is not a memory in the ledger.
    NotInLedger,
    /// `ledger.setBudget()` with neither an object nor null.
    BudgetNotObject(String),
    /// A budget field that is not a number.
    BudgetNotNumber(&'static str, String),
    /// A budget field that is not a whole number in range.
    BudgetOutOfRange(&'static str, String),
    /// A budget mode other than "hard" or "soft".
    BudgetMode(String),
    /// `ledger.on()` with an unknown event kind.
    UnknownEvent(String),
    /// `ledger.on()` with a listener that is not a function.
    ListenerNotFunction(String),
    /// `ledger.watch()` with a bad interval.
    WatchInterval(String),
    /// `ledger.share()` with options that are not an object.
    ShareOptions(String),
    /// `ledger.share()` without a usable name.
    ShareName(String),
    /// `ledger.share()` with a bad interval.
    ShareInterval(String),
    /// `ledger.share()` where there is no `BroadcastChannel` to publish on.
    NoBroadcastChannel,
}

/// The longest label, in UTF-16 code units.
pub const MAX_LABEL: u32 = 256;

/// Where a label was given, so its error names the right call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelSite {
    /// `new Memory(descriptor, { label })`.
    Options,
    /// `ledger.label(memory, label)`.
    Ledger,
}

impl LabelSite {
    /// The call it names in a message.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelSite::Options => "Memory: options",
            LabelSite::Ledger => "ledger.label",
        }
    }
}

impl Error {
    /// The JavaScript error constructor the spec (or, for ledger calls, WebIDL practice) prescribes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::DescriptorNotObject(_)
            | Error::MissingInitial
            | Error::UnknownAddress(_)
            | Error::NotU32 { .. }
            | Error::NotU64 { .. }
            | Error::SharedWithoutMaximum
            | Error::OptionsNotObject(_)
            | Error::LabelNotString(..)
            | Error::LabelTooLong(..)
            | Error::NotInLedger
            | Error::BudgetNotObject(_)
            | Error::BudgetNotNumber(..)
            | Error::BudgetMode(_)
            | Error::UnknownEvent(_)
            | Error::ListenerNotFunction(_)
            | Error::ShareOptions(_)
            | Error::ShareName(_)
            | Error::NoBroadcastChannel => ErrorKind::Type,
            Error::MaximumBelowInitial { .. }
            | Error::PageLimit { .. }
            | Error::GrowPastMaximum { .. }
            | Error::NoMemory64
            | Error::AllocationFailed(_)
            | Error::UnknownMaximum
            | Error::OverBudget { .. }
            | Error::BudgetOutOfRange(..)
            | Error::WatchInterval(_)
            | Error::ShareInterval(_) => ErrorKind::Range,
        }
    }

    /// The message: the context, the field, the value and the limit.
    pub fn message(&self) -> String {
        let mut m = Message(String::new());
        match self {
            Error::DescriptorNotObject(v) => m.t("Memory: the descriptor must be an object (got ").t(v).t(")"),
            Error::MissingInitial => m.t("Memory: descriptor.initial is required"),
            Error::UnknownAddress(v) => m.t("Memory: descriptor.address \"").t(v).t("\" is not a valid AddressType (\"i32\" or \"i64\")"),
            Error::NotU32 { field, value } => m.t("Memory: ").t(field.as_str()).t(" ").t(value).t(" is not an integer from 0 to 4294967295 ([EnforceRange] unsigned long)"),
            Error::NotU64 { field, value } => m.t("Memory: ").t(field.as_str()).t(" ").t(value).t(" is not a BigInt from 0n to 18446744073709551615n (u64)"),
            Error::MaximumBelowInitial { initial, maximum } => m.t("Memory: maximum ").n(*maximum).t(" is below initial ").n(*initial),
            Error::SharedWithoutMaximum => m.t("Memory: a shared memory needs a maximum (shared: true, maximum missing)"),
            Error::PageLimit { field, value, limit, address } => m.t("Memory: ").t(field.as_str()).t(" ").n(*value).t(" is above the ").n(*limit).t("-page limit of an ").t(address).t(" memory"),
            Error::GrowPastMaximum { delta, current, maximum } => m.t("Memory: grow(").n(*delta).t(") on a memory of ").n(*current).t(" pages would pass its maximum of ").n(*maximum).t(" pages"),
            Error::NoMemory64 => m.t("Memory: this engine has no memory64, so it cannot make an address: \"i64\" memory"),
            Error::AllocationFailed(v) => m.t("Memory: the engine could not allocate the memory (it said: ").t(v).t(")"),
            Error::UnknownMaximum => m.t("Memory: type(): this memory was made by the engine before install() (or by a module whose bytes the polyfill never saw), so its maximum is unknown to the polyfill"),
            Error::OverBudget { what, budget, limit, detail } => m.t("Memory: ").t(what).t(" would exceed the hard budget ").t(budget).t(" = ").n(*limit).t(" (").t(detail).t(")"),
            Error::OptionsNotObject(v) => m.t("Memory: options must be an object (got ").t(v).t(")"),
            Error::LabelNotString(site, v) => m.t(site.as_str()).t(": label must be a string (got ").t(v).t(")"),
            Error::LabelTooLong(site, n) => m.t(site.as_str()).t(": label must be at most 256 characters (got ").n(u64::from(*n)).t(")"),
            Error::NotInLedger => m.t("ledger.label: the first argument is not a memory in the ledger"),
            Error::BudgetNotObject(v) => m.t("ledger.setBudget: the budget must be an object or null (got ").t(v).t(")"),
            Error::BudgetNotNumber(name, v) => m.t("ledger.setBudget: ").t(name).t(" must be a number (got ").t(v).t(")"),
            Error::BudgetOutOfRange(name, v) => m.t("ledger.setBudget: ").t(name).t(" must be a whole number from 0 to 2^53 - 1 (got ").t(v).t(")"),
            Error::BudgetMode(v) => m.t("ledger.setBudget: mode must be \"hard\" or \"soft\" (got ").t(v).t(")"),
            Error::UnknownEvent(v) => m.t("ledger.on: event must be \"create\", \"grow\", \"collect\", \"budget\" or \"failure\" (got ").t(v).t(")"),
            Error::ListenerNotFunction(v) => m.t("ledger.on: the listener must be a function (got ").t(v).t(")"),
            Error::WatchInterval(v) => m.t("ledger.watch: interval must be a number of milliseconds from 10 to 2^31 - 1 (got ").t(v).t(")"),
            Error::ShareOptions(v) => m.t("ledger.share: options must be an object with a name (got ").t(v).t(")"),
            Error::ShareName(v) => m.t("ledger.share: name must be a string of 1 to 256 characters (got ").t(v).t(")"),
            Error::ShareInterval(v) => m.t("ledger.share: interval must be a number of milliseconds from 10 to 2^31 - 1 (got ").t(v).t(")"),
            Error::NoBroadcastChannel => m.t("ledger.share: this environment has no BroadcastChannel to share the ledger on"),
        };
        m.0
    }
}

/// A message being written. By hand, not with `core::fmt`: that would put kilobytes of
/// formatting machinery into the wasm.
struct Message(String);

impl Message {
    fn t(&mut self, text: &str) -> &mut Self {
        self.0.push_str(text);
        self
    }

    fn n(&mut self, n: u64) -> &mut Self {
        self.t(&decimal(n))
    }
}

/// `parts` joined, for a message (smaller in the wasm than `[..].concat()` or `format!`).
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `n` in decimal, as JavaScript prints an integer.
pub fn decimal(mut n: u64) -> String {
    // Filled from the end, iterators not indices: no bounds-check panic in the wasm.
    let mut digits = [0u8; 20];
    let mut used = 0;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        used += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits
        .iter()
        .skip(digits.len() - used)
        .map(|&d| char::from(d))
        .collect()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::{decimal, Error, Field, LabelSite};
    use std::prelude::rust_2021::*;

    #[test]
    fn decimal_prints_integers_as_javascript_does() {
        for n in [0, 7, 10, 65_536, 4_294_967_295, u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn messages_fill_in_fields_values_and_limits() {
        let cases = [
            (
                Error::PageLimit { field: Field::Maximum, value: 65_537, limit: 65_536, address: "i32" },
                "Memory: maximum 65537 is above the 65536-page limit of an i32 memory",
            ),
            (
                Error::GrowPastMaximum { delta: 2, current: 1, maximum: 2 },
                "Memory: grow(2) on a memory of 1 pages would pass its maximum of 2 pages",
            ),
            (
                Error::MaximumBelowInitial { initial: 10, maximum: 0 },
                "Memory: maximum 0 is below initial 10",
            ),
            (
                Error::NotU32 { field: Field::Delta, value: "-1".into() },
                "Memory: delta -1 is not an integer from 0 to 4294967295 ([EnforceRange] unsigned long)",
            ),
            (
                Error::OverBudget { what: "grow(3)".into(), budget: "totalPages", limit: 8, detail: "it would make it 11".into() },
                "Memory: grow(3) would exceed the hard budget totalPages = 8 (it would make it 11)",
            ),
            (
                Error::LabelTooLong(LabelSite::Options, 300),
                "Memory: options: label must be at most 256 characters (got 300)",
            ),
            (
                Error::LabelNotString(LabelSite::Ledger, "5".into()),
                "ledger.label: label must be a string (got 5)",
            ),
            (Error::MissingInitial, "Memory: descriptor.initial is required"),
        ];
        for (error, message) in cases {
            assert_eq!(error.message(), message);
            assert_eq!(error.to_string(), message);
        }
    }
}
