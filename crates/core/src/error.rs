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
    /// `address: "i64"` on an engine without memory64.
    #[error("Memory: this engine has no memory64, so it cannot make an address: \"i64\" memory")]
    NoMemory64,
    /// The engine could not allocate the memory (the spec makes that a `RangeError`; some
    /// engines throw something else, which is passed on in the message).
    #[error("Memory: the engine could not allocate the memory (it said: {0})")]
    AllocationFailed(String),
    /// `type()` on a memory whose maximum the polyfill never learned.
    #[error("Memory: type(): this memory was made by the engine before install() (or by a module whose bytes the polyfill never saw), so its maximum is unknown to the polyfill")]
    UnknownMaximum,
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
    /// The constructor's second argument (ours) is neither an object nor undefined/null.
    #[error("Memory: options must be an object (got {0})")]
    OptionsNotObject(String),
    /// A label that is not a string (nor undefined/null).
    #[error("{0}: label must be a string (got {1})")]
    LabelNotString(LabelSite, String),
    /// A label longer than [`MAX_LABEL`] UTF-16 code units.
    #[error("{0}: label must be at most 256 characters (got {1})")]
    LabelTooLong(LabelSite, u32),
    /// `ledger.label()` on something that is not a memory in the ledger.
    #[error("ledger.label: the first argument is not a memory in the ledger")]
    NotInLedger,
    /// `ledger.setBudget()` with neither an object nor null.
    #[error("ledger.setBudget: the budget must be an object or null (got {0})")]
    BudgetNotObject(String),
    /// A budget field that is not a number.
    #[error("ledger.setBudget: {0} must be a number (got {1})")]
    BudgetNotNumber(&'static str, String),
    /// A budget field that is not a whole number in range.
    #[error("ledger.setBudget: {0} must be a whole number from 0 to 2^53 - 1 (got {1})")]
    BudgetOutOfRange(&'static str, String),
    /// A budget mode other than "hard" or "soft".
    #[error("ledger.setBudget: mode must be \"hard\" or \"soft\" (got {0})")]
    BudgetMode(String),
    /// `ledger.on()` with an unknown event kind.
    #[error("ledger.on: event must be \"create\", \"grow\", \"collect\" or \"budget\" (got {0})")]
    UnknownEvent(String),
    /// `ledger.on()` with a listener that is not a function.
    #[error("ledger.on: the listener must be a function (got {0})")]
    ListenerNotFunction(String),
    /// `ledger.watch()` with a bad interval.
    #[error(
        "ledger.watch: interval must be a number of milliseconds from 10 to 2^31 - 1 (got {0})"
    )]
    WatchInterval(String),
    /// `ledger.share()` with options that are not an object.
    #[error("ledger.share: options must be an object with a name (got {0})")]
    ShareOptions(String),
    /// `ledger.share()` without a usable name.
    #[error("ledger.share: name must be a string of 1 to 256 characters (got {0})")]
    ShareName(String),
    /// `ledger.share()` with a bad interval.
    #[error(
        "ledger.share: interval must be a number of milliseconds from 10 to 2^31 - 1 (got {0})"
    )]
    ShareInterval(String),
    /// `ledger.share()` where there is no `BroadcastChannel` to publish on.
    #[error("ledger.share: this environment has no BroadcastChannel to share the ledger on")]
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

impl fmt::Display for LabelSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LabelSite::Options => "Memory: options",
            LabelSite::Ledger => "ledger.label",
        })
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
}
