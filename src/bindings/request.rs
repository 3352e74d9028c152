//! The request rows: the numbers of an operation that has many (a construction, an instance's
//! memory, a module's reading), named once here. JS writes them into one row of f64s in this
//! module's memory, through a `Float64Array` view of its own, immediately before the call (no
//! user code runs between, so nothing can write another request over it), and the export
//! reads the row instead of a long list of positional arguments. Numbers cross that way as
//! cheaply as arguments do (wasm-bindgen passes an `f64` argument as it is, but a slice by
//! allocating and copying), and each field has one name on both sides: `layout().requests`
//! gives JS every row's fields by name, and [`REQUEST_LENGTH`] its length.
//!
//! Values that need JS to stay exact (a BigInt page count, a label, a stack line) are still
//! arguments.

pub use super::state::REQUEST_LENGTH;

/// Declares a request row: a struct of named `f64` fields, their JS names in order ([`NAMES`]),
/// and [`take`], which reads the row JS wrote.
macro_rules! row {
    ($(#[$meta:meta])* $name:ident { $($(#[doc = $doc:literal])* $field:ident = $js:literal,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[doc = $doc])* pub $field: f64,)*
        }

        impl $name {
            /// The fields' names as JS reads them from the layout, in the row's order.
            pub const NAMES: &'static [&'static str] = &[$($js),*];

            /// The row as JS last wrote it.
            #[inline(always)]
            pub fn take() -> Self {
                // The row is never shorter than a request (checked below), so `next` always
                // has a number; 0 is only a fallback the compiler can see.
                let row = super::state::request();
                let mut at = row.iter().copied();
                $name { $($field: at.next().unwrap_or(0.0),)* }
            }
        }

        const _: () = assert!($name::NAMES.len() <= REQUEST_LENGTH);
    };
}

row! {
    /// A construction (`planCreate`, `createMade`, `commitCreate`); its page counts are
    /// arguments (BigInts for i64, exact only as JS values).
    Create {
        /// The ledger id JS handed out (unused by `planCreate`).
        id = "id",
        /// 1 for an i64 memory, else 0.
        is64 = "is64",
        /// 1 for a shared memory, else 0.
        shared = "shared",
        /// When it was made, in ms since the epoch (unused by `planCreate`).
        created = "created",
    }
}

row! {
    /// A memory a module exported (`adopt`); its `definedBy` text is the argument.
    Adopt {
        /// The ledger id JS handed out.
        id = "id",
        /// Its size now, in pages.
        pages = "pages",
        /// 1 for a shared memory, else 0.
        shared = "shared",
        /// 1 for an i64 memory, else 0.
        is64 = "is64",
        /// The maximum it was made with, in pages (-1: none; read only when `maximumKnown`).
        maximum = "maximum",
        /// The maximum its module declared, in pages (-1: none; read only when `maximumKnown`).
        requested = "requested",
        /// 1 when the module's bytes were read, so the two maxima are known.
        maximum_known = "maximumKnown",
        /// 1 when the compile hooks lowered its maximum to a hard budget.
        bounded = "bounded",
        /// When it was met, in ms since the epoch.
        created = "created",
        /// The instances holding it already (the one that exported it).
        instances = "instances",
    }
}

row! {
    /// A module's reading (`moduleMemories`): where its parts are in the module input (see
    /// [`super::modules`]) and what to do.
    Module {
        /// The length of the sections the core reads, behind the magic number.
        small = "small",
        /// The length of the "name" section's payload after them.
        names = "names",
        /// The length of the URL's UTF-8 after that.
        url = "url",
        /// Where the sizes read from the engine start, in bytes from the input's start.
        sizes_at = "sizesAt",
        /// How many f64s of sizes there are (`[id, pages, ...]`).
        sizes = "sizes",
        /// 1 under a hard budget: the memories the module defines are capped.
        clamp = "clamp",
        /// 1 to report a refusal and keep it for `moduleRefusal`.
        report = "report",
    }
}

/// Every request row's name and fields, for the layout.
pub const ROWS: [(&str, &[&str]); 3] = [
    ("create", Create::NAMES),
    ("adopt", Adopt::NAMES),
    ("module", Module::NAMES),
];

/// A row's flag: any number but 0 is set.
#[inline(always)]
pub fn flag(x: f64) -> bool {
    x != 0.0
}
