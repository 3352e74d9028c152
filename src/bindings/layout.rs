//! The layouts and constants the JS entry reads by name (`Core::layout`), as one JSON text that
//! the compiler writes: every value comes from its one definition (the core's constants, the
//! column and row names of the other binding modules), and the module carries the finished text
//! rather than the code that would write it at run time (about 1 KB gzip less).
//!
//! JS parses it once at load (no object is built here, so nothing on `Object.prototype` can see
//! or drop a member). Its members: `pageBytes`, `i64MaximumPages`, `typeSections` (the sections
//! the JS entry copies out of a module's bytes for the core to read), `memorySection`,
//! `customSection`, `startSection`, `magic` (what every module starts with), `nameSectionName`
//! (what the "name" section's payload starts with), `nameBytes` (the most bytes of a "name"
//! section it copies in), `maxText` (the longest text kept: label, definedBy), `columns` (a
//! snapshot row's, by name), `rowLength`, `totals`, `budget` (a snapshot's head, by name),
//! `fields` (the codes of error fields), `origins`, `madeHere` (per origin, whether the app-wide
//! view counts such a record, else it lists it as received), `heartbeatMs`, `realmTotals`,
//! `appTotals`, `events` (the event kinds by code), `eventLength`, `budgetFields` (by code),
//! `operations` (a `failure` event's, by code), `engines` (the reservation model's engine
//! families, by code), `watchMs` (the default interval of the watcher and of `share()`), `module`
//! (a module's reading's answer, see `super::modules`), `requests` (each request row's fields, by
//! name), `requestLength` (see `super::request`) and `failed` (what a function that can fail
//! answers when it did: see `super::errors::answer`).

use alloc::string::String;

use wasm_bindgen::prelude::*;

use super::core_class::Core;
use crate::rules::{
    BudgetField, Engine, Operation, Origin, CUSTOM_SECTION, DEFAULT_INTERVAL_MS, EXPORT_SECTION,
    HEARTBEAT_MS, I64_MAXIMUM_PAGES, IMPORT_SECTION, MAGIC_AND_VERSION, MAX_LABEL, MEMORY_SECTION,
    NAME_SECTION_BYTES, NAME_SECTION_NAME, PAGE_BYTES, START_SECTION,
};

#[wasm_bindgen]
impl Core {
    /// The layouts and constants JS reads by name, as JSON (see the module's comment).
    pub fn layout() -> String {
        // Checked here rather than trusted: the text is ASCII and whole names, so this never
        // answers "" (the layout test parses what it answers).
        String::from(core::str::from_utf8(&LAYOUT).unwrap_or_default())
    }
}

/// The text, exactly as long as it is.
static LAYOUT: [u8; LAYOUT_TEXT.len] = LAYOUT_TEXT.exact();

const LAYOUT_TEXT: Json = layout();

/// The whole numbers among the constants, as the compiler reads them (floats are cast here, in
/// constant items, so the builder itself never does float arithmetic).
const HEARTBEAT: i64 = HEARTBEAT_MS as i64;
const WATCH: i64 = DEFAULT_INTERVAL_MS as i64;
const FAILED: i64 = super::state::FAILED as i64;

/// The name of each of `all` by `f`, as an array (a `const fn` can't take a function pointer).
macro_rules! each {
    ($all:expr, $f:expr) => {{
        let all = $all;
        let mut out = [""; $all.len()];
        let mut i = 0;
        while i < all.len() {
            out[i] = $f(all[i]);
            i += 1;
        }
        out
    }};
}

const fn layout() -> Json {
    let mut module = Json::new()
        .indices("header", &super::modules::HEADER)
        .indices("exportRow", &super::modules::EXPORT_ROW)
        .indices("importRow", &super::modules::IMPORT_ROW)
        .indices("status", &super::modules::STATUSES);
    module = module.close();
    let mut requests = Json::new();
    let mut i = 0;
    while i < super::request::ROWS.len() {
        let (name, fields) = super::request::ROWS[i];
        requests = requests.indices(name, fields);
        i += 1;
    }
    requests = requests.close();
    let mut made_here = [0; Origin::ALL.len()];
    let mut o = 0;
    while o < made_here.len() {
        made_here[o] = Origin::ALL[o].made_here() as i64;
        o += 1;
    }
    Json::new()
        .num("pageBytes", PAGE_BYTES as i64)
        .num("i64MaximumPages", I64_MAXIMUM_PAGES as i64)
        .bytes(
            "typeSections",
            &[IMPORT_SECTION, MEMORY_SECTION, EXPORT_SECTION],
        )
        .num("memorySection", MEMORY_SECTION as i64)
        .num("customSection", CUSTOM_SECTION as i64)
        .num("startSection", START_SECTION as i64)
        .bytes("magic", MAGIC_AND_VERSION)
        .bytes("nameSectionName", NAME_SECTION_NAME)
        .num("nameBytes", NAME_SECTION_BYTES as i64)
        .num("maxText", MAX_LABEL as i64)
        .indices("columns", &super::ledger::COLUMNS)
        .num("rowLength", super::ledger::COLUMNS.len() as i64)
        .indices("totals", &super::ledger::TOTALS)
        .indices("budget", &super::ledger::BUDGET)
        .indices(
            "fields",
            &each!(super::memory::FIELDS, crate::rules::Field::as_str),
        )
        .names("origins", &each!(Origin::ALL, Origin::as_str))
        .nums("madeHere", &made_here)
        .num("heartbeatMs", HEARTBEAT)
        .names("realmTotals", &super::realms::TOTALS)
        .names("appTotals", &super::realms::APP_TOTALS)
        .names("events", &super::events::KINDS)
        .num("eventLength", super::events::EVENT_LENGTH as i64)
        .names(
            "budgetFields",
            &each!(BudgetField::ALL, BudgetField::as_str),
        )
        .names("operations", &each!(Operation::ALL, Operation::as_str))
        .names("engines", &each!(Engine::ALL, Engine::as_str))
        .num("watchMs", WATCH)
        .raw("module", &module)
        .raw("requests", &requests)
        .num("requestLength", super::request::REQUEST_LENGTH as i64)
        .num("failed", FAILED)
        .close()
}

/// Room for the text while it is written; the compiler refuses the build (an index out of
/// bounds in a constant) should the layout ever outgrow it.
const ROOM: usize = 4096;

/// A JSON object written at compile time: each method takes the text so far and returns it
/// longer (by value: what a `const fn` can do on every toolchain this crate supports).
#[derive(Clone, Copy)]
struct Json {
    text: [u8; ROOM],
    len: usize,
}

impl Json {
    const fn new() -> Json {
        Json {
            text: [0; ROOM],
            len: 0,
        }
    }

    const fn byte(mut self, b: u8) -> Json {
        self.text[self.len] = b;
        self.len += 1;
        self
    }

    const fn str(mut self, s: &str) -> Json {
        let s = s.as_bytes();
        let mut i = 0;
        while i < s.len() {
            self = self.byte(s[i]);
            i += 1;
        }
        self
    }

    /// `"s"` (the names here need no escaping).
    const fn quoted(self, s: &str) -> Json {
        self.byte(b'"').str(s).byte(b'"')
    }

    /// A whole number in decimal.
    const fn number(mut self, x: i64) -> Json {
        if x < 0 {
            self = self.byte(b'-');
        }
        let mut n = x.unsigned_abs();
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 {
            count -= 1;
            self = self.byte(digits[count]);
        }
        self
    }

    /// A list's separator before item `i` (none before the first).
    const fn comma(self, i: usize) -> Json {
        if i > 0 {
            self.byte(b',')
        } else {
            self
        }
    }

    /// The next member's `"k":` (after `{` or `,`).
    const fn key(self, k: &str) -> Json {
        let open = if self.len == 0 { b'{' } else { b',' };
        self.byte(open).quoted(k).byte(b':')
    }

    const fn num(self, k: &str, x: i64) -> Json {
        self.key(k).number(x)
    }

    const fn nums(self, k: &str, xs: &[i64]) -> Json {
        let mut j = self.key(k).byte(b'[');
        let mut i = 0;
        while i < xs.len() {
            j = j.comma(i).number(xs[i]);
            i += 1;
        }
        j.byte(b']')
    }

    const fn bytes(self, k: &str, xs: &[u8]) -> Json {
        let mut wide = [0i64; ROOM / 8];
        let mut i = 0;
        while i < xs.len() {
            wide[i] = xs[i] as i64;
            i += 1;
        }
        self.nums(k, wide.split_at(xs.len()).0)
    }

    const fn names(self, k: &str, names: &[&str]) -> Json {
        let mut j = self.key(k).byte(b'[');
        let mut i = 0;
        while i < names.len() {
            j = j.comma(i).quoted(names[i]);
            i += 1;
        }
        j.byte(b']')
    }

    /// `"k":{"name":index,...}`.
    const fn indices(self, k: &str, names: &[&str]) -> Json {
        let mut inner = Json::new();
        let mut i = 0;
        while i < names.len() {
            inner = inner.num(names[i], i as i64);
            i += 1;
        }
        self.raw(k, &inner.close())
    }

    /// A member whose value is another object written here.
    const fn raw(self, k: &str, value: &Json) -> Json {
        let mut j = self.key(k);
        let mut i = 0;
        while i < value.len {
            j = j.byte(value.text[i]);
            i += 1;
        }
        j
    }

    /// Ends the object (`{}` when it has no member).
    const fn close(self) -> Json {
        if self.len == 0 {
            self.str("{}")
        } else {
            self.byte(b'}')
        }
    }

    /// The text alone, in an array of its own length.
    const fn exact<const N: usize>(&self) -> [u8; N] {
        let mut out = [0; N];
        let mut i = 0;
        while i < N {
            out[i] = self.text[i];
            i += 1;
        }
        out
    }
}
