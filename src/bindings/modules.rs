//! Modules `install()` sees compiled: the memories they import and export (so those enter the
//! ledger with their declared type) and, under a hard budget, the maxima of the memories they
//! define, lowered to the clamp a constructed memory would get.
//!
//! Only numbers cross here. JS writes what the core reads into a buffer of this module's memory
//! ([`Core::module_input`]), through a view of its own: the module's import, memory and export
//! sections behind the magic number (as the JS entry cut them out), the start of its "name"
//! section's payload, the URL of the Response it was streamed from as UTF-8, and the sizes it
//! read from the engine (`[id, pages, ...]`, as f64s); where each part is, in the request row
//! ([`request::Module`]). It reads the answer from the buffer [`Core::module_memories`]
//! returns: f64 rows laid out by [`HEADER`], [`EXPORT_ROW`] and [`IMPORT_ROW`] (by name in
//! `layout().module`), names as byte ranges of the input, which JS decodes itself. So no JS
//! value is made or read on the way (wasm-bindgen's glue would copy bytes with
//! `Uint8Array.prototype.set`, which a page can replace), and nothing here calls into JS while
//! the ledger is borrowed. The code section of a large module is never copied in.

use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use super::core_class::Core;
use super::errors::js_error;
use super::request::{self, flag};
use super::state::{with_ledger, with_module_io, ModuleIo};
use crate::rules::{
    concat, decimal, defined_by_prefix, defined_memories, module_memories as memories_of,
    module_name_str, rewrite_memory_section, AddressType, Clamp, Error, PAGE_BYTES,
};

/// The fields that start the answer, in order (`length`: of the whole answer, in f64s;
/// `defined`: how many memories the module defines, -1 when its bytes can't be read;
/// `definedPages`: their declared minima in all, in 64 KiB pages, what an instance asks for).
pub const HEADER: [&str; 12] = [
    "length",
    "status",
    "known",
    "exports",
    "imports",
    "section",
    "by",
    "byStart",
    "byLength",
    "byCut",
    "defined",
    "definedPages",
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
const DEFINED: usize = 10;
const DEFINED_PAGES: usize = 11;

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
/// rewritten; nothing, because the budget leaves a memory less than its minimum (JS then reads
/// the module again with `report`, once the engine has accepted it, and throws
/// [`Core::module_refusal`]); nothing, because the memory section can't be read or rewritten to the budget (the same).
pub const STATUSES: [&str; 4] = ["asIs", "rewritten", "refused", "unbounded"];
const AS_IS: f64 = 0.0;
const REWRITTEN: f64 = 1.0;
const REFUSED: f64 = 2.0;
const UNBOUNDED: f64 = 3.0;

/// The header's `by` when the module's name or the URL (both in the input) gives `definedBy`
/// (0: nothing does).
const BY_TEXT: f64 = 1.0;

#[wasm_bindgen]
impl Core {
    /// Makes the module-reading input `len` bytes long (zeroed) and returns where it starts in
    /// this module's memory.
    #[wasm_bindgen(js_name = moduleInput)]
    pub fn module_input(len: u32) -> u32 {
        with_module_io(|io| {
            io.input.clear();
            io.input.resize(len as usize, 0);
            io.input.as_ptr() as u32
        })
    }

    /// Reads the input as the request row ([`request::Module`]) lays it out (`small`, `names`
    /// and `url` bytes long, in that order; `sizes` numbers from byte `sizesAt`) and returns
    /// where the answer starts in this module's memory (valid until the next call; laid out by
    /// `layout().module`). `clamp` (a hard budget under `install()`): the ledger first takes
    /// the sizes, then caps the memories the module defines, with its memory section rewritten
    /// to the caps; `report`: a refusal is reported (a `budget` event) and kept for
    /// [`Core::module_refusal`]. Bytes that can't be read give `known` 0: the engine will say
    /// why when it compiles them, and what it accepts is ledgered from the module itself.
    #[wasm_bindgen(js_name = moduleMemories)]
    pub fn module_memories() -> u32 {
        let r = request::Module::take();
        read(&r)
    }

    /// The `RangeError` for the module [`Core::module_memories`] last read with `report` when it
    /// answered `refused` or `unbounded` (JS throws it once the engine has accepted the module).
    #[wasm_bindgen(js_name = moduleRefusal)]
    pub fn module_refusal() -> JsValue {
        let error = with_module_io(|io| io.refusal.take()).unwrap_or_else(|| {
            // A fixed message keeps `BinaryError`'s formatting out of the wasm.
            Error::AllocationFailed(
                "the module's memory section could not be rewritten to the budget".into(),
            )
        });
        js_error(error)
    }
}

/// [`Core::module_memories`] of request `r`.
fn read(r: &request::Module) -> u32 {
    let (clamp, report) = (flag(r.clamp), flag(r.report));
    let spans = Spans {
        small: r.small as u32,
        names: r.names as u32,
        url: r.url as u32,
    };
    let (sizes_at, sizes) = (r.sizes_at as usize, r.sizes as usize);
    with_module_io(|io| {
        let ModuleIo {
            input,
            output,
            refusal,
        } = io;
        // The header is filled in here (constant indices: no bounds check, no panic site) and
        // copied in front of the rows at the end.
        let mut header = [0.0; HEADER.len()];
        output.clear();
        output.resize(HEADER.len(), 0.0);
        *refusal = None;
        if clamp {
            let rows = input.get(sizes_at..sizes_at.saturating_add(sizes.saturating_mul(8)));
            let number = |b: &[u8]| <[u8; 8]>::try_from(b).map_or(0.0, f64::from_le_bytes);
            with_ledger(|l| {
                for pair in rows.unwrap_or_default().chunks_exact(16) {
                    let (id, pages) = pair.split_at(8);
                    l.observe(number(id) as u32, number(pages) as u64);
                }
            });
        }
        header[STATUS] = fill(input, spans, clamp, report, refusal, &mut header, output);
        header[LENGTH] = output.len() as f64;
        for (slot, value) in output.iter_mut().zip(header) {
            *slot = value;
        }
        output.as_ptr() as u32
    })
}

/// The lengths of the input's parts.
struct Spans {
    small: u32,
    names: u32,
    url: u32,
}

/// The answer's rows after the header, and its header fields; returns the status.
fn fill(
    whole: &[u8],
    spans: Spans,
    clamp: bool,
    report: bool,
    refusal: &mut Option<Error>,
    header: &mut [f64; HEADER.len()],
    output: &mut Vec<f64>,
) -> f64 {
    let small_end = spans.small as usize;
    let names_end = small_end.saturating_add(spans.names as usize);
    let url_end = names_end.saturating_add(spans.url as usize);
    let (Some(bytes), Some(name), Some(link)) = (
        whole.get(..small_end),
        whole.get(small_end..names_end),
        whole.get(names_end..url_end),
    ) else {
        return AS_IS;
    };
    let at = |s: &str| (s.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize) as f64;

    // Under a hard budget: the cap of each memory the module defines (64 KiB pages only: custom
    // page sizes are left as declared), and the memory section rewritten to them.
    let defined = defined_memories(bytes);
    header[DEFINED] = defined.as_ref().map_or(-1.0, |d| d.len() as f64);
    // In 64 KiB pages, rounded up (a custom page size counts its own).
    header[DEFINED_PAGES] = defined.as_ref().map_or(0.0, |d| {
        d.iter()
            .map(|m| {
                let bytes = 1u64
                    .checked_shl(m.page_size_log2)
                    .map_or(u64::MAX, |size| m.ty.minimum.saturating_mul(size));
                bytes.div_ceil(PAGE_BYTES)
            })
            .fold(0u64, u64::saturating_add) as f64
    });
    let mut caps: Vec<Option<u64>> = Vec::new();
    let mut section = None;
    if clamp {
        let Some(defined) = defined else {
            return UNBOUNDED;
        };
        let mut refused = false;
        with_ledger(|l| {
            for d in &defined {
                // A hard `reservedBytes` budget the memory's reservation would pass refuses the
                // module as a hard page budget does (reported the same way, once accepted).
                let clamp = match l.peek_clamp(d.ty) {
                    Clamp::To(_) if super::ledger::reserved_refuses(l, &d.ty) => Clamp::Refused,
                    c => c,
                };
                caps.push(match (d.page_size_log2 == 16, clamp) {
                    (true, Clamp::To(cap)) => Some(cap),
                    (true, Clamp::Refused) if !refused => {
                        refused = true;
                        if report {
                            // As a construction's refusal is reported: the `budget` event, now.
                            let what = concat(&[
                                "compiling a module (its memory ",
                                &decimal(d.index.into()),
                                ")",
                            ]);
                            *refusal = match l.clamp_for(d.ty, &what) {
                                Err(e) => Some(e),
                                Ok(_) => super::ledger::check_reserved(l, &d.ty, &what).err(),
                            };
                        }
                        None
                    }
                    _ => None,
                });
            }
        });
        if refused {
            return REFUSED;
        }
        // Only maxima that change are rewritten; a memory already declared within the clamp is
        // bounded as it stands.
        let changes: Vec<Option<u64>> = caps
            .iter()
            .zip(&defined)
            .map(|(cap, d)| cap.filter(|&c| Some(c) != d.ty.maximum))
            .collect();
        if changes.iter().any(Option::is_some) {
            // `None` or an error is unreachable in practice (the same reader just read these
            // memories, and the caps come from the ledger); if it happens, the budget can't be
            // held.
            let Ok(Some(s)) = rewrite_memory_section(bytes, &changes) else {
                return UNBOUNDED;
            };
            section = Some(s);
        }
    }

    if let Some((text, cut)) =
        defined_by_prefix(module_name_str(name), core::str::from_utf8(link).ok())
    {
        header[BY] = BY_TEXT;
        header[BY_START] = at(text);
        header[BY_LENGTH] = text.len() as f64;
        header[BY_CUT] = f64::from(u8::from(cut));
    }
    if let Some((imported, exported)) = memories_of(bytes) {
        header[KNOWN] = 1.0;
        header[EXPORTS] = exported.len() as f64;
        header[IMPORTS] = imported.len() as f64;
        let flag = |b: bool| f64::from(u8::from(b));
        let pages = |v: Option<u64>| v.map_or(-1.0, |x| x as f64);
        for m in &exported {
            // A defined memory that was capped is made with the cap; a re-exported import never
            // is.
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
    let Some(s) = section else {
        return AS_IS;
    };
    header[SECTION] = s.len() as f64;
    output.extend(s.iter().map(|&b| f64::from(b)));
    REWRITTEN
}
