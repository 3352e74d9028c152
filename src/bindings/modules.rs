//! Modules `install()` sees compiled: the memories they import and export (so those enter the
//! ledger with their declared type) and, under a hard budget, the maxima of the memories they
//! define, lowered to the clamp a constructed memory would get.
//!
//! Only numbers cross here. JS writes what the core reads into two buffers of this module's
//! memory, through views of its own: [`input`] (the module's import, memory and export sections
//! behind the magic number, as the JS entry cut them out, then the start of its "name"
//! section's payload, then the URL of the Response it was streamed from, as UTF-8) and
//! [`sizes`] (`[id, pages, ...]`, read from the engine just before). It reads the answer from
//! the buffer [`read`] returns: f64 rows laid out by [`HEADER`], [`EXPORT_ROW`] and
//! [`IMPORT_ROW`] (by name in `layout().module`), names as byte ranges of the input, which JS
//! decodes itself. So no JS value is made or read on the way (wasm-bindgen's glue would copy
//! bytes with `Uint8Array.prototype.set`, which a page can replace), and nothing here calls into
//! JS while the ledger is borrowed: nothing here calls into JS at all. The code section of a
//! large module is never copied in.

use alloc::vec::Vec;

use wasm_bindgen::JsValue;

use super::errors::js_error;
use super::memory::observe_sizes;
use super::state::{with_ledger, with_module_io, ModuleIo};
use crate::core::{
    concat, decimal, defined_by_prefix, defined_memories, module_memories as memories_of,
    module_name_str, rewrite_memory_section, AddressType, Clamp, Error,
};

/// The fields that start the answer, in order (`length`: of the whole answer, in f64s).
pub const HEADER: [&str; 10] = [
    "length", "status", "known", "exports", "imports", "section", "by", "byStart", "byLength",
    "byCut",
];
const LENGTH: usize = 0;
const STATUS: usize = 1;
const KNOWN: usize = 2;
const EXPORTS: usize = 3;
const IMPORTS: usize = 4;
const SECTION: usize = 5;
const BY: usize = 6;
const BY_START: usize = 7;
const BY_LENGTH: usize = 8;
const BY_CUT: usize = 9;

/// One row per memory the module exports, after the header. `maximum` is the one the engine
/// will make it with (the clamp, for a capped memory), `requestedMaximum` the declared one
/// (-1: none); `defined`: the module defines it (its `definedBy` is then the header's `by`).
pub const EXPORT_ROW: [&str; 9] = [
    "nameStart",
    "nameLength",
    "is64",
    "maximum",
    "requestedMaximum",
    "shared",
    "maximumKnown",
    "bounded",
    "defined",
];

/// One row per memory the module imports, after the export rows; then the memory section to
/// compile instead of the module's own (id, size and body; one byte per f64), `section` long.
pub const IMPORT_ROW: [&str; 6] = [
    "moduleStart",
    "moduleLength",
    "nameStart",
    "nameLength",
    "is64",
    "shared",
];

/// What to compile, the header's `status`: the bytes as they are; with the memory section
/// rewritten; nothing, because the budget leaves a memory less than its minimum (JS then has
/// the refusal reported by [`refusal`] if the engine accepts the module); nothing, because the
/// memory section can't be read or rewritten to the budget (the same).
pub const STATUSES: [&str; 4] = ["asIs", "rewritten", "refused", "unbounded"];
const AS_IS: f64 = 0.0;
const REWRITTEN: f64 = 1.0;
const REFUSED: f64 = 2.0;
const UNBOUNDED: f64 = 3.0;

/// Where the header's `by` points: nowhere, or the module's name or the URL (both in the input).
const BY_NONE: f64 = 0.0;
const BY_TEXT: f64 = 1.0;

/// Makes the input `len` bytes long (zeroed) and returns where it starts in this module's
/// memory, or 0 when the memory can't be had (JS then reads nothing).
pub fn input(len: u32) -> u32 {
    with_module_io(|io| reserve(&mut io.input, len, 0))
}

/// Makes the sizes `len` numbers long; returns where they start, or 0 (as [`input`]).
pub fn sizes(len: u32) -> u32 {
    with_module_io(|io| reserve(&mut io.sizes, len, 0.0))
}

fn reserve<T: Copy>(v: &mut Vec<T>, len: u32, zero: T) -> u32 {
    let len = len as usize;
    v.clear();
    if v.try_reserve_exact(len).is_err() {
        return 0;
    }
    v.resize(len, zero);
    v.as_ptr() as u32
}

/// Reads the input (`small`, `names` and `url` bytes long, in that order) and returns where the
/// answer starts in this module's memory (valid until the next call). `clamp` (a hard budget
/// under `install()`): the ledger first takes the `sizes` (count of numbers) JS read, then caps
/// the memories the module defines. Bytes that can't be read give `known` 0: the engine will
/// say why when it compiles them, and what it accepts is ledgered from the module itself.
pub fn read(small: u32, names: u32, url: u32, sizes: u32, clamp: bool) -> u32 {
    with_module_io(|io| {
        let ModuleIo {
            input,
            sizes: size_rows,
            output,
        } = io;
        output.clear();
        output.resize(HEADER.len(), 0.0);
        if clamp {
            observe_sizes(size_rows.get(..sizes as usize).unwrap_or_default());
        }
        let small_end = small as usize;
        let names_end = small_end.saturating_add(names as usize);
        let url_end = names_end.saturating_add(url as usize);
        let whole: &[u8] = input;
        let (Some(bytes), Some(name), Some(link)) = (
            whole.get(..small_end),
            whole.get(small_end..names_end),
            whole.get(names_end..url_end),
        ) else {
            return finish(output);
        };
        let at = |s: &str| (s.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize) as f64;

        // Under a hard budget: the cap of each memory the module defines (64 KiB pages only:
        // custom page sizes are left as declared), and the memory section rewritten to them.
        let mut caps: Vec<Option<u64>> = Vec::new();
        let mut section = None;
        if clamp {
            let Some(defined) = defined_memories(bytes) else {
                output[STATUS] = UNBOUNDED;
                return finish(output);
            };
            let mut refused = false;
            with_ledger(|l| {
                for d in &defined {
                    caps.push(match (d.page_size_log2 == 16, l.peek_clamp(d.ty)) {
                        (true, Clamp::To(cap)) => Some(cap),
                        (true, Clamp::Refused) => {
                            refused = true;
                            None
                        }
                        _ => None,
                    });
                }
            });
            if refused {
                output[STATUS] = REFUSED;
                return finish(output);
            }
            // Only maxima that change are rewritten; a memory already declared within the
            // clamp is bounded as it stands.
            let changes: Vec<Option<u64>> = caps
                .iter()
                .zip(&defined)
                .map(|(cap, d)| cap.filter(|&c| Some(c) != d.ty.maximum))
                .collect();
            if changes.iter().any(Option::is_some) {
                match rewrite_memory_section(bytes, &changes) {
                    Ok(Some(s)) => section = Some(s),
                    // Unreachable in practice (the same reader just read these memories, and the
                    // caps come from the ledger); if it happens, the budget can't be held.
                    _ => {
                        output[STATUS] = UNBOUNDED;
                        return finish(output);
                    }
                }
            }
        }

        if let Some((text, cut)) =
            defined_by_prefix(module_name_str(name), core::str::from_utf8(link).ok())
        {
            output[BY] = BY_TEXT;
            output[BY_START] = at(text);
            output[BY_LENGTH] = text.len() as f64;
            output[BY_CUT] = f64::from(u8::from(cut));
        } else {
            output[BY] = BY_NONE;
        }
        if let Some((imported, exported)) = memories_of(bytes) {
            output[KNOWN] = 1.0;
            output[EXPORTS] = exported.len() as f64;
            output[IMPORTS] = imported.len() as f64;
            let flag = |b: bool| f64::from(u8::from(b));
            let pages = |v: Option<u64>| v.map_or(-1.0, |x| x as f64);
            for m in &exported {
                // A defined memory that was capped is made with the cap; a re-exported import
                // never is.
                let cap = m
                    .defined_index
                    .and_then(|i| caps.get(i as usize).copied().flatten());
                output.extend_from_slice(&[
                    at(m.name),
                    m.name.len() as f64,
                    flag(m.ty.address == AddressType::I64),
                    pages(cap.or(m.ty.maximum)),
                    pages(m.ty.maximum),
                    flag(m.ty.shared),
                    flag(m.maximum_known),
                    flag(cap.is_some()),
                    flag(m.defined_index.is_some()),
                ]);
            }
            // The memories it imports, so `install()` can ledger one it has never seen as
            // `received`.
            for m in &imported {
                output.extend_from_slice(&[
                    at(m.module),
                    m.module.len() as f64,
                    at(m.name),
                    m.name.len() as f64,
                    flag(m.ty.address == AddressType::I64),
                    flag(m.ty.shared),
                ]);
            }
        }
        if let Some(s) = section {
            output[STATUS] = REWRITTEN;
            output[SECTION] = s.len() as f64;
            output.extend(s.iter().map(|&b| f64::from(b)));
        } else {
            output[STATUS] = AS_IS;
        }
        finish(output)
    })
}

/// Sets the answer's length; returns where it starts.
fn finish(output: &mut [f64]) -> u32 {
    let length = output.len() as f64;
    if let Some(first) = output.get_mut(LENGTH) {
        *first = length;
    }
    output.as_ptr() as u32
}

/// The refusal for the module [`read`] last read (`small` bytes of the input) when it answered
/// `refused` or `unbounded`, reported as a construction's is (a `budget` event): JS asks for it
/// once the engine has accepted the module. A `RangeError`.
pub fn refusal(small: u32) -> JsValue {
    let error = with_module_io(|io| {
        // A fixed message keeps `BinaryError`'s formatting out of the wasm.
        let unbounded = || {
            Error::AllocationFailed(
                "the module's memory section could not be rewritten to the budget".into(),
            )
        };
        let Some(defined) = io.input.get(..small as usize).and_then(defined_memories) else {
            return unbounded();
        };
        with_ledger(|l| {
            for d in defined.iter().filter(|d| d.page_size_log2 == 16) {
                let what = concat(&[
                    "compiling a module (its memory ",
                    &decimal(d.index.into()),
                    ")",
                ]);
                if let Err(e) = l.clamp_for(d.ty, &what) {
                    return e;
                }
            }
            unbounded()
        })
    });
    js_error(error)
}
