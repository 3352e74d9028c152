//! Every way a request can be refused, as one typed error.
//!
//! The core never builds a JS value: it says *which* error constructor the WebAssembly JS API
//! prescribes through [`Error::kind`], and the bindings turn that into a real `TypeError` or
//! `RangeError`. Messages start with the context and name the field, the value and the limit.

use std::fmt;

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

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Initial => "initial",
            Field::Maximum => "maximum",
            Field::Delta => "delta",
        })
    }
}

/// A refused construction, grow or ledger call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The descriptor is neither an object nor `undefined`/`null`.
    #[error("Memory: the descriptor must be an object (got {0})")]
    DescriptorNotObject(String),
    /// `initial` is missing (WebIDL `required`).
    #[error("Memory: descriptor.initial is required")]
    MissingInitial,
    /// `address` is not one of the `AddressType` enum values.
    #[error("Memory: descriptor.address \"{0}\" is not a valid AddressType (\"i32\" or \"i64\")")]
    UnknownAddress(String),
    /// An i32 value outside `[EnforceRange] unsigned long`.
    #[error("Memory: {field} {value} is not an integer from 0 to 4294967295 ([EnforceRange] unsigned long)")]
    NotU32 {
        /// Which member or argument.
        field: Field,
        /// The value as JavaScript prints it.
        value: String,
    },
    /// An i64 value outside `0n ..= 2n**64n - 1n`.
    #[error("Memory: {field} {value} is not a BigInt from 0n to 18446744073709551615n (u64)")]
    NotU64 {
        /// Which member or argument.
        field: Field,
        /// The value as JavaScript prints it.
        value: String,
    },
    /// `maximum < initial`.
    #[error("Memory: maximum {maximum} is below initial {initial}")]
    MaximumBelowInitial {
        /// The requested initial pages.
        initial: u64,
        /// The requested maximum pages.
        maximum: u64,
    },
    /// `shared: true` without a `maximum`.
    #[error("Memory: a shared memory needs a maximum (shared: true, maximum missing)")]
    SharedWithoutMaximum,
    /// More pages than the address type allows.
    #[error("Memory: {field} {value} is above the {limit}-page limit of an {address} memory")]
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
    #[error("Memory: grow({delta}) on a memory of {current} pages would pass its maximum of {maximum} pages")]
    GrowPastMaximum {
        /// The requested delta.
        delta: u64,
        /// Pages before the grow.
        current: u64,
        /// The limit it would pass.
        maximum: u64,
    },
    /// The engine cannot make what was asked (a feature it lacks, or allocation failed).
    #[error("Memory: {0}")]
    Engine(String),
    /// A hard budget refuses the request.
    #[error("Memory: {what} would exceed the hard budget {budget} = {limit} ({detail})")]
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
    /// A bad argument to a ledger call (`setBudget`, `label`, `on`).
    #[error("ledger.{call}: {message}")]
    BadLedgerArgument {
        /// The call, e.g. `setBudget`.
        call: &'static str,
        /// What is wrong, naming the field and the limit.
        message: String,
        /// Which constructor the error takes.
        kind: ErrorKind,
    },
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
            | Error::SharedWithoutMaximum => ErrorKind::Type,
            Error::MaximumBelowInitial { .. }
            | Error::PageLimit { .. }
            | Error::GrowPastMaximum { .. }
            | Error::Engine(_)
            | Error::OverBudget { .. } => ErrorKind::Range,
            Error::BadLedgerArgument { kind, .. } => *kind,
        }
    }
}
