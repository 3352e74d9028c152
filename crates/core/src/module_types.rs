//! The memory types a wasm module's binary declares, read straight from its bytes.
//!
//! No engine ships type reflection yet, so when `install()` sees a module's bytes (compile,
//! `new Module`, `instantiate(bytes)`) it reads the memory section, the memory imports and the
//! exports here, and memories the module exports enter the ledger with their real maximum.
//! Malformed input is never a panic: it yields `None`, and the engine reports its own error.

use alloc::vec::Vec;

use super::limits::MemoryType;
use super::wasm_binary::{
    Part, Reader, EXPORT_SECTION, IMPORT_SECTION, MAGIC_AND_VERSION, MEMORY_KIND, MEMORY_SECTION,
};

/// A memory a module exports, by export name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedMemory<'a> {
    /// The export name (borrowed from the module's bytes: nothing is copied for the many
    /// imports and exports that are not memories).
    pub name: &'a str,
    /// Its declared type (minimum as declared, not as grown).
    pub ty: MemoryType,
    /// Whether `ty.maximum` is the memory's: false when the module re-exports a memory it
    /// imports, whose import type gives the address type and sharing exactly (imports must match
    /// them) but only bounds the limits.
    pub maximum_known: bool,
    /// Its index among the memories the module defines (as `defined_memories` counts them), or
    /// `None` for a re-exported import.
    pub defined_index: Option<u32>,
}

/// A memory a module imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMemory<'a> {
    /// The import's module name (`"env"`).
    pub module: &'a str,
    /// The import's name (`"memory"`).
    pub name: &'a str,
    /// Its import type: the address type and sharing are exact (the memory passed in must
    /// match them); the limits only bound the memory's.
    pub ty: MemoryType,
}

/// The memories `bytes` imports and those it exports, read in one pass.
#[allow(clippy::type_complexity)]
pub fn module_memories(bytes: &[u8]) -> Option<(Vec<ImportedMemory<'_>>, Vec<ExportedMemory<'_>>)> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(8)? != MAGIC_AND_VERSION {
        return None;
    }
    // Each memory in index order, with whether the module defines it (else it imports it).
    let mut memories: Vec<(MemoryType, bool)> = Vec::new();
    let mut imported: u32 = 0;
    let mut exports = Vec::new();
    let mut imports = Vec::new();
    while r.pos < bytes.len() {
        let id = r.byte(Part::SectionId).ok()?;
        let size = r.u32(Part::SectionSize).ok()?;
        let body = r.take(u64::from(size))?;
        let mut s = Reader {
            bytes: body,
            pos: 0,
        };
        let count = |s: &mut Reader| s.u32(Part::Count).ok();
        match id {
            IMPORT_SECTION => {
                for _ in 0..count(&mut s)? {
                    let module = s.name()?;
                    let name = s.name()?;
                    let kind = s.byte(Part::ImportKind).ok()?;
                    if kind == MEMORY_KIND {
                        let ty = s.memory(imported).ok()?.memory.ty;
                        memories.push((ty, false));
                        imports.push(ImportedMemory { module, name, ty });
                        imported += 1;
                    } else {
                        s.skip_import_desc(kind)?;
                    }
                }
            }
            MEMORY_SECTION => {
                for index in 0..count(&mut s)? {
                    memories.push((s.memory(index).ok()?.memory.ty, true));
                }
            }
            EXPORT_SECTION => {
                for _ in 0..count(&mut s)? {
                    let name = s.name()?;
                    let kind = s.byte(Part::ExportKind).ok()?;
                    let index = s.u32(Part::ExportIndex).ok()?;
                    if kind == MEMORY_KIND {
                        let (ty, defined) = *memories.get(index as usize)?;
                        exports.push(ExportedMemory {
                            name,
                            ty,
                            maximum_known: defined,
                            defined_index: index.checked_sub(imported).filter(|_| defined),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    Some((imports, exports))
}

/// The most bytes of a module's "name" custom section the JS entry hands over: enough for a
/// module name of [`MAX_LABEL`](crate::MAX_LABEL) UTF-16 code units (at most 3 UTF-8 bytes
/// each) behind the subsection's id and two LEB128 sizes. The function, local and other names
/// that follow it (megabytes in a large module) are never copied.
pub const NAME_SECTION_BYTES: usize = 3 * crate::MAX_LABEL as usize + 11;

/// The module name a "name" custom section gives (its subsection 0), from the section's payload
/// after the section's own name ("name"), or as much of it as the caller copied.
///
/// Subsections come in order of their id, so the module name, when there is one, is the first.
/// `None` when there is none, when it does not fit in `payload`, or when the bytes are
/// malformed (a bad LEB128, a size past the end, a name that is not UTF-8 or does not fill its
/// subsection): engines ignore a malformed name section, and so does the ledger.
///
/// ```
/// # use wasm_memory_polyfill_core::module_name_str;
/// // subsection 0, 6 bytes: the name "codec" (length 5)
/// assert_eq!(module_name_str(b"\x00\x06\x05codec"), Some("codec"));
/// assert_eq!(module_name_str(b"\x01\x06\x05codec"), None); // function names only
/// ```
///
/// Borrowed from `payload`: the bindings hand JS its place in the bytes, not a copy.
pub fn module_name_str(payload: &[u8]) -> Option<&str> {
    let mut r = Reader {
        bytes: payload,
        pos: 0,
    };
    if r.byte(Part::SubsectionId).ok()? != 0 {
        return None;
    }
    let size = r.u32(Part::SubsectionSize).ok()?;
    let mut s = Reader {
        bytes: r.take(u64::from(size))?,
        pos: 0,
    };
    let name = s.name()?;
    (s.pos == size as usize).then_some(name)
}

/// What the ledger records as `definedBy` for a memory a module defines: the module's name
/// (non-empty), else the URL of the Response it was streamed from (non-empty), cut to
/// [`MAX_LABEL`](crate::MAX_LABEL) UTF-16 code units (a `data:` URL can be megabytes).
///
/// Returns the text it keeps, borrowed (the module name, else the URL, cut at a character
/// boundary to at most [`MAX_LABEL`](crate::MAX_LABEL) UTF-16 code units), and whether it was
/// cut (the record then ends it with '…').
pub fn defined_by_prefix<'a>(
    name: Option<&'a str>,
    url: Option<&'a str>,
) -> Option<(&'a str, bool)> {
    let text = name
        .filter(|s| !s.is_empty())
        .or(url.filter(|s| !s.is_empty()))?;
    // Char by char, with no string slicing: the wasm then carries no slicing panic.
    let mut units = 0;
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > crate::MAX_LABEL as usize {
            return Some((text.get(..at).unwrap_or_default(), true));
        }
    }
    Some((text, false))
}

// Host only: the tests compile WAT with the `wat` crate.
// (The `expect`s below are test assertions on fixed inputs; no caller input reaches them.)
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::limits::AddressType;
    use std::prelude::rust_2021::*;

    // Readers the shipped core doesn't need (the bindings read both lists in one pass, and JS
    // walks the section headers itself), kept for the tests.
    /// The sections worth reading for memory types: imports (2), memories (5) and exports (7).
    fn is_memory_type_section(id: u8) -> bool {
        matches!(id, IMPORT_SECTION | MEMORY_SECTION | EXPORT_SECTION)
    }

    /// Walks a module's section headers through `byte_at`, so a caller holding the bytes elsewhere
    /// (a JS `Uint8Array`) can copy just the sections [`is_memory_type_section`] names instead of the
    /// whole module. Returns `(id, body_start, body_end)` per section, or `None` if the headers are bad.
    fn section_spans(
        len: usize,
        mut byte_at: impl FnMut(usize) -> u8,
    ) -> Option<Vec<(u8, usize, usize)>> {
        if len < 8 {
            return None;
        }
        let mut spans = Vec::new();
        let mut pos = 8;
        while pos < len {
            let id = byte_at(pos);
            pos += 1;
            let mut size: u64 = 0;
            let mut shift = 0;
            loop {
                if pos >= len || shift > 28 {
                    return None;
                }
                let b = byte_at(pos);
                pos += 1;
                size |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            let end = pos.checked_add(usize::try_from(size).ok()?)?;
            if end > len {
                return None;
            }
            spans.push((id, pos, end));
            pos = end;
        }
        Some(spans)
    }

    /// The memories `bytes` exports, with their declared types; `None` if the bytes can't be read.
    fn exported_memories(bytes: &[u8]) -> Option<Vec<ExportedMemory<'_>>> {
        module_memories(bytes).map(|(_, exports)| exports)
    }

    /// The memories `bytes` imports, in import order; `None` if the bytes can't be read.
    fn imported_memories(bytes: &[u8]) -> Option<Vec<ImportedMemory<'_>>> {
        module_memories(bytes).map(|(imports, _)| imports)
    }

    fn module_name(payload: &[u8]) -> Option<String> {
        module_name_str(payload).map(String::from)
    }

    fn defined_by(name: Option<String>, url: Option<String>) -> Option<String> {
        let (text, cut) = defined_by_prefix(name.as_deref(), url.as_deref())?;
        let mut out = String::with_capacity(text.len() + 3);
        out.push_str(text);
        if cut {
            out.push('…');
        }
        Some(out)
    }

    fn wasm(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).expect("valid wat")
    }

    #[test]
    fn reads_exported_memories_with_their_limits() {
        let bytes = wasm(
            r#"(module (memory (export "memory") 2 10) (memory (export "other") i64 1) (memory 0 1 shared))"#,
        );
        let found = exported_memories(&bytes).expect("parses");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "memory");
        let i32_2_10 = MemoryType {
            address: AddressType::I32,
            minimum: 2,
            maximum: Some(10),
            shared: false,
        };
        assert_eq!(found[0].ty, i32_2_10);
        assert!(found[0].maximum_known);
        let i64_1 = MemoryType {
            address: AddressType::I64,
            minimum: 1,
            maximum: None,
            shared: false,
        };
        assert_eq!(found[1].ty, i64_1);
    }

    #[test]
    fn a_reexported_import_has_no_declared_type() {
        // The import's limits only bound the memory passed in; its real type is that memory's.
        let bytes = wasm(
            r#"(module (import "js" "f" (func)) (import "js" "mem" (memory 1 4 shared))
                (memory 3) (export "first" (memory 0)) (export "second" (memory 1)))"#,
        );
        let found = exported_memories(&bytes).expect("parses");
        assert!(!found[0].maximum_known);
        assert!(
            found[0].ty.shared,
            "sharing and address type are exact: imports must match them"
        );
        assert!(found[1].maximum_known);
        assert_eq!(found[1].ty.minimum, 3);
    }

    #[test]
    fn imports_of_typed_references_are_skipped() {
        // What GC languages (Kotlin/Wasm, Dart) import: globals and tables of `(ref null $t)`
        // and `(ref extern)`, whose types take more than one byte, before the memory import.
        let bytes = wasm(
            r#"(module (type $t (struct)) (import "js" "g" (global (ref null $t)))
                (import "js" "h" (global (mut (ref extern))))
                (import "js" "t" (table 1 (ref null func)))
                (import "js" "u" (table 1 2 (ref null $t)))
                (import "env" "memory" (memory 2 8)) (memory 1 4)
                (export "m" (memory 1)))"#,
        );
        let (imports, exports) = module_memories(&bytes).expect("parses");
        assert_eq!(imports.len(), 1);
        assert_eq!((imports[0].module, imports[0].name), ("env", "memory"));
        assert_eq!(imports[0].ty.maximum, Some(8));
        assert_eq!(exports.len(), 1);
        assert_eq!(exports[0].defined_index, Some(0));
        assert_eq!(exports[0].ty.maximum, Some(4));
        for cut in 0..bytes.len() {
            let _ = module_memories(&bytes[..cut]); // never a panic
        }
    }

    #[test]
    fn reads_imported_memories_in_import_order() {
        let bytes = wasm(
            r#"(module (import "js" "f" (func)) (import "env" "memory" (memory 1 4 shared))
                (import "env" "other" (memory i64 0)) (memory 3) (export "m" (memory 0)))"#,
        );
        let found = imported_memories(&bytes).expect("parses");
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].module, found[0].name), ("env", "memory"));
        assert!(found[0].ty.shared);
        assert_eq!(found[0].ty.address, AddressType::I32);
        assert_eq!(found[1].name, "other");
        assert_eq!(found[1].ty.address, AddressType::I64);
        let none = wasm(r#"(module (memory (export "m") 1))"#);
        assert_eq!(imported_memories(&none), Some(vec![]));
        for cut in 0..bytes.len() {
            let _ = imported_memories(&bytes[..cut]); // never a panic
        }
        assert_eq!(imported_memories(b"\0asm\x01\0\0\0\x02\x05\x01\x00"), None);
    }

    #[test]
    fn the_fixtures_parse() {
        let exporter = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/exporter.wasm"
        ))
        .expect("fixture");
        let found = exported_memories(&exporter).expect("parses");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ty.maximum, Some(10));
        let mdn = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/memory.wasm"
        ))
        .expect("fixture");
        assert_eq!(exported_memories(&mdn), Some(vec![]));
    }

    #[test]
    fn section_spans_cover_the_module() {
        let bytes = wasm(r#"(module (memory (export "m") 1 2) (func (export "f")))"#);
        let spans = section_spans(bytes.len(), |i| bytes[i]).expect("spans");
        assert_eq!(spans.last().map(|s| s.2), Some(bytes.len()));
        // Rebuilding a module from only the memory-type sections gives the same answer.
        let mut small = bytes[..8].to_vec();
        for (id, start, end) in spans.into_iter().filter(|s| is_memory_type_section(s.0)) {
            small.push(id);
            small.extend(leb(end - start));
            small.extend_from_slice(&bytes[start..end]);
        }
        assert_eq!(exported_memories(&small), exported_memories(&bytes));
    }

    fn leb(mut n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    #[test]
    fn garbage_is_none_never_a_panic() {
        assert_eq!(exported_memories(b""), None);
        assert_eq!(exported_memories(b"\0asm\x01\0\0\0\x05\xff"), None);
        let good = wasm(r#"(module (memory (export "m") 1 2))"#);
        for cut in 0..good.len() {
            let _ = exported_memories(&good[..cut]);
        }
    }

    /// A "name" custom section's payload (after its own name), built from its parts.
    fn name_payload(module: Option<&str>, functions: &[(u32, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(m) = module {
            let mut content = leb(m.len());
            content.extend_from_slice(m.as_bytes());
            out.push(0);
            out.extend(leb(content.len()));
            out.extend(content);
        }
        if !functions.is_empty() {
            let mut content = leb(functions.len());
            for (i, n) in functions {
                content.extend(leb(*i as usize));
                content.extend(leb(n.len()));
                content.extend_from_slice(n.as_bytes());
            }
            out.push(1);
            out.extend(leb(content.len()));
            out.extend(content);
        }
        out
    }

    /// The payload of the "name" section of `bytes` (after the section's own name).
    fn name_section_of(bytes: &[u8]) -> Option<Vec<u8>> {
        let spans = section_spans(bytes.len(), |i| bytes[i])?;
        spans.into_iter().find_map(|(id, start, end)| {
            let body = &bytes[start..end];
            (id == 0 && body.starts_with(b"\x04name")).then(|| body[5..].to_vec())
        })
    }

    #[test]
    fn the_module_name_comes_from_subsection_0() {
        let p = name_payload(Some("codec"), &[(0, "main"), (1, "helper")]);
        assert_eq!(module_name(&p), Some("codec".into()));
        // What a compiler writes: `(module $codec ...)` in WAT gives the same subsection.
        let bytes = wasm(r#"(module $codec (func $main) (memory (export "m") 1))"#);
        let payload = name_section_of(&bytes).expect("wat writes a name section");
        assert_eq!(module_name(&payload), Some("codec".into()));
        // Only a prefix is copied from JS: the module name is in it, the rest is cut.
        assert_eq!(
            module_name(&p[..p.len() - 3]),
            Some("codec".into()),
            "a cut in the function names does not matter"
        );
        let long = "€".repeat(crate::MAX_LABEL as usize);
        let p = name_payload(Some(&long), &[]);
        assert!(p.len() <= NAME_SECTION_BYTES);
        assert_eq!(module_name(&p), Some(long));
        assert_eq!(
            module_name(&name_payload(Some(""), &[])),
            Some(String::new())
        );
    }

    #[test]
    fn defined_by_is_the_name_else_the_url_cut_to_the_label_limit() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(defined_by(s("codec"), s("https://x/a.wasm")), s("codec"));
        assert_eq!(
            defined_by(s(""), s("https://x/a.wasm")),
            s("https://x/a.wasm")
        );
        assert_eq!(defined_by(None, s("")), None);
        assert_eq!(defined_by(None, None), None);
        let url = format!("data:application/wasm;base64,{}", "A".repeat(5000));
        let cut = defined_by(None, Some(url)).expect("a url");
        assert_eq!(cut.encode_utf16().count(), crate::MAX_LABEL as usize + 1);
        assert!(cut.ends_with('…'));
        // A cut never splits a character (a surrogate pair counts 2 units).
        let astral = "𝄞".repeat(200);
        let cut = defined_by(Some(astral), None).expect("a name");
        assert_eq!(cut.chars().count(), 129);
    }

    #[test]
    fn defined_by_prefix_borrows_what_defined_by_keeps() {
        let url = "https://x/".to_string() + &"é".repeat(300);
        let (text, cut) = defined_by_prefix(None, Some(&url)).expect("a url");
        assert!(cut);
        assert!(url.starts_with(text));
        assert_eq!(text.encode_utf16().count(), crate::MAX_LABEL as usize);
        assert_eq!(
            defined_by(None, Some(url.clone())),
            Some(format!("{text}…"))
        );
        assert_eq!(
            defined_by_prefix(Some("codec"), Some("u")),
            Some(("codec", false))
        );
        assert_eq!(defined_by_prefix(Some(""), Some("")), None);
        let p = name_payload(Some("codec"), &[(0, "main")]);
        let name = module_name_str(&p).expect("a name");
        assert_eq!(name, "codec");
        assert_eq!(name.as_ptr(), p[3..].as_ptr(), "borrowed from the payload");
    }

    #[test]
    fn no_module_name_is_none() {
        assert_eq!(module_name(&name_payload(None, &[(0, "f")])), None);
        assert_eq!(module_name(&[]), None);
        let bytes = wasm(r#"(module (func $f) (memory (export "m") 1))"#);
        let payload = name_section_of(&bytes).expect("function names only");
        assert_eq!(module_name(&payload), None);
        let bare = wasm(r#"(module (memory (export "m") 1))"#);
        assert_eq!(name_section_of(&bare), None, "no names at all: no section");
    }

    #[test]
    fn a_malformed_name_section_is_none_never_a_panic() {
        let good = name_payload(Some("codec"), &[(0, "main")]);
        // Every cut inside the module name subsection loses the name.
        for cut in 0..8 {
            assert_eq!(module_name(&good[..cut]), None, "cut at {cut}");
        }
        // Not UTF-8.
        assert_eq!(module_name(b"\x00\x03\x02\xff\xfe"), None);
        // The name is shorter than its subsection (trailing bytes), or longer.
        assert_eq!(module_name(b"\x00\x05\x02ab\x00"), None);
        assert_eq!(module_name(b"\x00\x02\x05codec"), None);
        // Sizes that overflow u32 or never end.
        assert_eq!(module_name(b"\x00\xff\xff\xff\xff\x7f"), None);
        assert_eq!(module_name(b"\x00\x80\x80\x80\x80\x80\x80"), None);
        assert_eq!(module_name(b"\x00\x06\xff\xff\xff\xff\x0f"), None);
        // Nothing in any input panics.
        for a in 0..=255u8 {
            for b in [0u8, 1, 2, 0x7f, 0x80, 0xff] {
                let _ = module_name(&[0, a, b, b'x', a]);
                let _ = module_name(&[a, b, 1, b'y']);
            }
        }
    }
}
