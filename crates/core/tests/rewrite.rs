//! Property tests of the memory-maximum rewrite: modules built with wasm-encoder, results checked
//! with wasmparser (an independent reader and validator), never with the rewrite's own parser.
// Test code: the `unwrap`s are assertions; inputs come from the generators, not from callers.
#![cfg(not(target_arch = "wasm32"))]

use std::borrow::Cow;
use std::ops::Range;

use proptest::prelude::*;
use wasm_encoder as enc;
use wasm_memory_polyfill_core::*;
use wasmparser::{Parser, Payload, Validator, WasmFeatures};

/// The memories `bytes` exports (the core reads imports and exports in one pass).
fn exported(bytes: &[u8]) -> Option<Vec<ExportedMemory<'_>>> {
    module_memories(bytes).map(|(_, exports)| exports)
}

/// A memory type to generate; `page_size_log2` of `None` means the default 64 KiB pages.
#[derive(Debug, Clone, Copy)]
struct Mem {
    memory64: bool,
    shared: bool,
    minimum: u64,
    maximum: Option<u64>,
    page_size_log2: Option<u32>,
}

impl Mem {
    fn encoder(self) -> enc::MemoryType {
        enc::MemoryType {
            minimum: self.minimum,
            maximum: self.maximum,
            memory64: self.memory64,
            shared: self.shared,
            page_size_log2: self.page_size_log2,
        }
    }
}

/// The most pages a memory may have, as wasmparser's validator counts them.
fn page_limit(memory64: bool, page_size_log2: u32) -> u64 {
    let bits = if memory64 { 64 } else { 32 };
    let encodable = if memory64 {
        u64::MAX
    } else {
        u64::from(u32::MAX)
    };
    u64::try_from((1u128 << bits) >> page_size_log2)
        .unwrap_or(u64::MAX)
        .min(encodable)
}

/// `x` folded into `0..=hi`, small or anywhere by `scale`, so LEB128s of every length turn up.
fn fold(x: u64, hi: u64, scale: u8) -> u64 {
    let span = match scale {
        0 => 4,
        1 => 300,
        _ => u128::from(hi) + 1,
    }
    .min(u128::from(hi) + 1);
    (u128::from(x) % span) as u64
}

fn mem() -> impl Strategy<Value = Mem> {
    (
        any::<bool>(),
        any::<bool>(),
        prop_oneof![4 => Just(None), 1 => Just(Some(0u32)), 1 => Just(Some(16u32))],
        any::<bool>(),
        (any::<u64>(), 0u8..3),
        (any::<u64>(), 0u8..3),
    )
        .prop_map(
            |(memory64, shared, page_size_log2, has_max, (a, sa), (b, sb))| {
                let limit = page_limit(memory64, page_size_log2.unwrap_or(16));
                let minimum = fold(a, limit, sa);
                // A shared memory always declares a maximum.
                let maximum = (has_max || shared).then(|| minimum + fold(b, limit - minimum, sb));
                Mem {
                    memory64,
                    shared,
                    minimum,
                    maximum,
                    page_size_log2,
                }
            },
        )
}

/// A module to generate: memories (one maybe imported) plus sections that use them.
#[derive(Debug, Clone)]
struct Spec {
    imported: Option<Mem>,
    defined: Vec<Mem>,
    /// With no defined memories: whether to write an empty memory section anyway.
    empty_memory_section: bool,
    /// Where the custom section goes: first, right after the memory section, or last.
    custom_at: u8,
    custom: Vec<u8>,
    data: bool,
    names: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::option::weighted(0.25, mem()),
        // A few memories, or many: enough for a memory section of over 127 bytes (a two-byte size).
        prop_oneof![
            3 => proptest::collection::vec(mem(), 0..=4),
            1 => proptest::collection::vec(mem(), 20..=40),
        ],
        any::<bool>(),
        0u8..3,
        proptest::collection::vec(any::<u8>(), 0..20),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(imported, defined, empty_memory_section, custom_at, custom, data, names)| Spec {
                imported,
                defined,
                empty_memory_section,
                custom_at,
                custom,
                data,
                names,
            },
        )
}

/// Encodes `spec` as a valid module: per memory, a function that grows it and reads its size, an
/// export of the memory and the function, and (with `data`) an active segment into it.
fn build(spec: &Spec) -> Vec<u8> {
    let all: Vec<Mem> = spec.imported.iter().chain(&spec.defined).copied().collect();
    let n = all.len() as u32;
    let custom = enc::CustomSection {
        name: Cow::Borrowed("note"),
        data: Cow::Borrowed(&spec.custom),
    };
    let mut m = enc::Module::new();
    if spec.custom_at == 0 {
        m.section(&custom);
    }
    let mut types = enc::TypeSection::new();
    types.ty().function([], []);
    m.section(&types);
    if let Some(imported) = spec.imported {
        let mut imports = enc::ImportSection::new();
        imports.import("js", "mem", imported.encoder());
        m.section(&imports);
    }
    let mut functions = enc::FunctionSection::new();
    for _ in 0..n {
        functions.function(0);
    }
    m.section(&functions);
    if !spec.defined.is_empty() || spec.empty_memory_section {
        let mut memories = enc::MemorySection::new();
        for d in &spec.defined {
            memories.memory(d.encoder());
        }
        m.section(&memories);
    }
    if spec.custom_at == 1 {
        m.section(&custom);
    }
    let mut exports = enc::ExportSection::new();
    for i in 0..n {
        exports.export(&format!("m{i}"), enc::ExportKind::Memory, i);
        exports.export(&format!("f{i}"), enc::ExportKind::Func, i);
    }
    m.section(&exports);
    if spec.data {
        m.section(&enc::DataCountSection { count: n + 1 });
    }
    let mut code = enc::CodeSection::new();
    for (i, mem) in all.iter().enumerate() {
        let mut f = enc::Function::new([]);
        let mut ins = f.instructions();
        if mem.memory64 {
            ins.i64_const(1);
        } else {
            ins.i32_const(1);
        }
        ins.memory_grow(i as u32)
            .drop()
            .memory_size(i as u32)
            .drop()
            .end();
        code.function(&f);
    }
    m.section(&code);
    if spec.data {
        let mut data = enc::DataSection::new();
        for (i, mem) in all.iter().enumerate() {
            let offset = if mem.memory64 {
                enc::ConstExpr::i64_const(0)
            } else {
                enc::ConstExpr::i32_const(0)
            };
            data.active(i as u32, &offset, b"hi".iter().copied());
        }
        data.passive(b"passive".iter().copied());
        m.section(&data);
    }
    if spec.names {
        let mut names = enc::NameSection::new();
        let mut functions = enc::NameMap::new();
        let mut memories = enc::NameMap::new();
        for i in 0..n {
            functions.append(i, &format!("grow{i}"));
            memories.append(i, &format!("mem{i}"));
        }
        names.functions(&functions);
        names.memories(&memories);
        m.section(&names);
    }
    if spec.custom_at == 2 {
        m.section(&custom);
    }
    m.finish()
}

fn validate(bytes: &[u8]) -> Result<(), String> {
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Each section's id and body range, in order, as wasmparser reads them.
fn section_ranges(bytes: &[u8]) -> Vec<(u8, Range<usize>)> {
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Some((id, range)) = payload.unwrap().as_section() {
            out.push((id, range.start as usize..range.end as usize));
        }
    }
    out
}

/// Each section's id and body bytes, in order.
fn sections(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    section_ranges(bytes)
        .into_iter()
        .map(|(id, range)| (id, &bytes[range]))
        .collect()
}

/// The memory section's types, as wasmparser reads them.
fn memory_types(bytes: &[u8]) -> Vec<wasmparser::MemoryType> {
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::MemorySection(reader) = payload.unwrap() {
            return reader.into_iter().map(|m| m.unwrap()).collect();
        }
    }
    Vec::new()
}

/// Caps for `memories` from seeds: none, the minimum, the highest allowed, or anything between
/// (none when nothing is allowed: corrupt bytes can declare a maximum below the minimum).
fn caps_for(memories: &[DefinedMemory], seeds: &[(u8, u64)]) -> Vec<Option<u64>> {
    memories
        .iter()
        .zip(seeds)
        .map(|(m, &(kind, x))| {
            let lo = m.ty.minimum;
            let hi = m.ty.maximum.unwrap_or(m.page_limit());
            match kind {
                _ if hi < lo => None,
                0 => None,
                1 => Some(lo),
                2 => Some(hi),
                _ => Some(lo + fold(x, hi - lo, 2)),
            }
        })
        .collect()
}

fn seeds() -> impl Strategy<Value = Vec<(u8, u64)>> {
    proptest::collection::vec((0u8..4, any::<u64>()), 0..=40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rewrites_only_the_capped_limits(spec in spec(), seeds in seeds()) {
        let bytes = build(&spec);
        prop_assert_eq!(validate(&bytes), Ok(()));
        let memories = defined_memories(&bytes).unwrap();
        prop_assert_eq!(memories.len(), spec.defined.len());
        let caps = caps_for(&memories, &seeds);
        let out = rewrite_memory_maxima(&bytes, &caps).unwrap();

        // (1) The engine would take it.
        prop_assert_eq!(validate(&out), Ok(()));
        // (2) Every section but the memory section is byte-identical, and the order is the same.
        let (before, after) = (sections(&bytes), sections(&out));
        prop_assert_eq!(
            before.iter().map(|s| s.0).collect::<Vec<_>>(),
            after.iter().map(|s| s.0).collect::<Vec<_>>()
        );
        for (b, a) in before.iter().zip(&after) {
            if b.0 != 5 {
                prop_assert_eq!(b, a);
            }
        }
        // (3) Limits: the minimum as declared, the maximum capped or as declared; flags kept.
        let (old, new) = (memory_types(&bytes), memory_types(&out));
        prop_assert_eq!(old.len(), new.len());
        for (i, (o, n)) in old.iter().zip(&new).enumerate() {
            let cap = caps.get(i).copied().flatten();
            prop_assert_eq!(n.initial, o.initial);
            prop_assert_eq!(n.maximum, cap.or(o.maximum));
            prop_assert_eq!((n.memory64, n.shared, n.page_size_log2), (o.memory64, o.shared, o.page_size_log2));
        }
        // Our own reader agrees with wasmparser's.
        let read = defined_memories(&out).unwrap();
        for (r, n) in read.iter().zip(&new) {
            prop_assert_eq!((r.ty.minimum, r.ty.maximum), (n.initial, n.maximum));
        }
        // Rewriting the result with no caps changes nothing.
        prop_assert_eq!(&rewrite_memory_maxima(&out, &[]).unwrap(), &out);
        // The section alone (what the compile hooks splice in) is the new module's memory
        // section, as wasmparser finds it there.
        let alone = rewrite_memory_section(&bytes, &caps).unwrap();
        let found = section_ranges(&out).into_iter().find(|s| s.0 == 5);
        match (alone, found) {
            (Some(section), Some((_, range))) => {
                // `section_ranges` gives the body; the section alone starts with its id and size.
                prop_assert!(section.ends_with(&out[range.clone()]));
                prop_assert_eq!(section[0], 5);
                let start = range.start - (section.len() - range.len());
                prop_assert_eq!(&out[start..range.end], &section[..]);
            }
            (None, None) => {}
            (alone, found) => prop_assert!(false, "section alone {:?}, in the module {:?}", alone, found),
        }
    }

    #[test]
    fn no_caps_give_back_the_same_bytes(spec in spec()) {
        let bytes = build(&spec);
        prop_assert_eq!(rewrite_memory_maxima(&bytes, &[]).unwrap(), bytes.clone());
        let nones = vec![None; spec.defined.len()];
        prop_assert_eq!(rewrite_memory_maxima(&bytes, &nones).unwrap(), bytes);
    }

    #[test]
    fn caps_out_of_range_are_errors(spec in spec(), pick in any::<usize>(), above in any::<bool>()) {
        let bytes = build(&spec);
        let memories = defined_memories(&bytes).unwrap();
        prop_assume!(!memories.is_empty());
        let m = memories[pick % memories.len()];
        let hi = m.ty.maximum.unwrap_or(m.page_limit());
        let bad = if above { hi.checked_add(1) } else { m.ty.minimum.checked_sub(1) };
        prop_assume!(bad.is_some());
        let mut caps = vec![None; memories.len()];
        caps[m.index as usize] = bad;
        let is_range_error = matches!(
            rewrite_memory_maxima(&bytes, &caps),
            Err(BinaryError::CapOutOfRange { .. })
        );
        prop_assert!(is_range_error);
    }

    // (5) Truncated or corrupted bytes: an error or a module, never a panic. Half the
    // corruptions land in the memory section, where the rewrite reads.
    #[test]
    fn corrupt_bytes_never_panic(
        spec in spec(),
        seeds in seeds(),
        edits in proptest::collection::vec((any::<bool>(), any::<usize>(), any::<u8>()), 1..4),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let mut bytes = build(&spec);
        let original_caps = caps_for(&defined_memories(&bytes).unwrap(), &seeds);
        let memory_section = section_ranges(&bytes).into_iter().find(|s| s.0 == 5).map(|s| s.1);
        for (in_memory, at, value) in edits {
            let at = match &memory_section {
                Some(body) if in_memory && !body.is_empty() => body.start + at % body.len(),
                _ => at % bytes.len(),
            };
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }

        let _ = rewrite_memory_maxima(&bytes, &original_caps);
        let read = defined_memories(&bytes);
        // The reader and the rewrite agree on what is readable.
        prop_assert_eq!(read.is_some(), rewrite_memory_maxima(&bytes, &[]).is_ok());
        if let Some(memories) = read {
            // Caps in range for what the bytes now declare always succeed, and a module the
            // engine takes stays one it takes.
            let out = rewrite_memory_maxima(&bytes, &caps_for(&memories, &seeds)).unwrap();
            if validate(&bytes).is_ok() {
                prop_assert_eq!(validate(&out), Ok(()));
            }
        }
    }
}

#[test]
fn a_hand_written_module_gets_its_cap() {
    let bytes = wat::parse_str(
        r#"(module (memory (export "memory") 1)
            (func (export "g") (param i32) (result i32) local.get 0 memory.grow))"#,
    )
    .unwrap();
    let out = rewrite_memory_maxima(&bytes, &[Some(4)]).unwrap();
    assert_eq!(validate(&out), Ok(()));
    let read = defined_memories(&out).unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].index, 0);
    assert_eq!(read[0].ty.minimum, 1);
    assert_eq!(read[0].ty.maximum, Some(4));
    assert_eq!(read[0].page_size_log2, 16);
    // The export still reports the memory, now with its cap.
    assert_eq!(exported(&out).unwrap()[0].ty.maximum, Some(4));
}

#[test]
fn an_imported_memory_is_not_a_defined_one() {
    let bytes = wat::parse_str(
        r#"(module (import "js" "mem" (memory 1)) (memory 2) (memory i64 3 9 shared))"#,
    )
    .unwrap();
    let read = defined_memories(&bytes).unwrap();
    assert_eq!(read.iter().map(|m| m.index).collect::<Vec<_>>(), [0, 1]);
    let out = rewrite_memory_maxima(&bytes, &[Some(2), Some(5)]).unwrap();
    assert_eq!(validate(&out), Ok(()));
    let types = memory_types(&out);
    assert_eq!(types[0].maximum, Some(2));
    assert_eq!(
        (types[1].maximum, types[1].shared, types[1].memory64),
        (Some(5), true, true)
    );
}
