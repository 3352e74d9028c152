//! Lowers the declared maximum of the memories a module defines, leaving every other byte alone.
//!
//! Code inside wasm grows its memories without calling JS, so a hard budget is enforced by a
//! clamped `maximum` that makes the engine itself refuse the grow. A memory made with
//! `new Memory(...)` gets that clamp at construction; a memory the *module* defines only gets it
//! if the engine is handed a module whose memory section (id 5) says so. That is what this does:
//! the compile hooks read [`defined_memories`], plan each one with the ledger, and pass the caps
//! to [`rewrite_memory_maxima`]. Imported memories are the importer's business and never change.
//!
//! Only the limits of capped memories are rewritten; the count, the uncapped memories, every other
//! section (custom and name sections included) and their order are copied byte for byte, so
//! nothing but the memory section's own bytes can differ. Malformed input is an error, never a
//! panic: the bindings run this on bytes that any page hands them.

use alloc::vec::Vec;

use super::wasm_binary::{
    BinaryError, DefinedMemory, MemoryEntry, Part, Reader, HAS_MAXIMUM, MAGIC_AND_VERSION,
    MEMORY_SECTION,
};

/// The memories `bytes`' memory section defines, in order; `None` if the bytes can't be read.
pub fn defined_memories(bytes: &[u8]) -> Option<Vec<DefinedMemory>> {
    let section = read_module(bytes).ok()?;
    Some(section.map_or_else(Vec::new, |s| {
        s.entries.into_iter().map(|e| e.memory).collect()
    }))
}

/// Gives defined memory `i` the maximum `caps[i]` where that is `Some`, and leaves it as declared
/// where it is `None` or past the end of `caps`.
///
/// A cap must lie between the memory's declared minimum and its declared maximum (or
/// [`DefinedMemory::page_limit`] when it declares none); one outside is an error. A memory that
/// had no maximum gets the has-maximum flag; its minimum, sharing, address type and page size
/// bytes stay as they were. Returns the input unchanged when nothing changes (no memory section,
/// no caps, or caps equal to the declared maxima).
pub fn rewrite_memory_maxima(bytes: &[u8], caps: &[Option<u64>]) -> Result<Vec<u8>, BinaryError> {
    let Some((before, section, after)) = rewrite(bytes, caps)? else {
        return Ok(bytes.to_vec());
    };
    let mut out = Vec::with_capacity(bytes.len() + 16);
    out.extend_from_slice(before);
    out.extend_from_slice(&section);
    out.extend_from_slice(after);
    Ok(out)
}

/// The memory section alone (its id, size and body) as [`rewrite_memory_maxima`] would write
/// it, or `None` when `bytes` has no memory section (caps must then be empty). What the compile
/// hooks splice into the module in place of its own, which they cut out.
pub fn rewrite_memory_section(
    bytes: &[u8],
    caps: &[Option<u64>],
) -> Result<Option<Vec<u8>>, BinaryError> {
    Ok(rewrite(bytes, caps)?.map(|(_, section, _)| section))
}

/// What comes before the memory section, the section rewritten (id, size and body), and what
/// comes after it; `None` when there is no memory section.
#[allow(clippy::type_complexity)]
fn rewrite<'a>(
    bytes: &'a [u8],
    caps: &[Option<u64>],
) -> Result<Option<(&'a [u8], Vec<u8>, &'a [u8])>, BinaryError> {
    let section = read_module(bytes)?;
    let defined = section.as_ref().map_or(0, |s| s.entries.len());
    if caps.len() > defined {
        return Err(BinaryError::TooManyCaps {
            given: caps.len(),
            defined,
        });
    }
    let Some(section) = section else {
        return Ok(None);
    };
    let mut body = section.count.to_vec();
    for (entry, cap) in section
        .entries
        .iter()
        .zip(caps.iter().chain(core::iter::repeat(&None)))
    {
        let Some(cap) = *cap else {
            body.extend_from_slice(entry.bytes);
            continue;
        };
        let memory = &entry.memory;
        if cap < memory.ty.minimum || cap > memory.highest_cap() {
            return Err(BinaryError::CapOutOfRange {
                index: memory.index,
                cap,
                minimum: memory.ty.minimum,
                highest: memory.highest_cap(),
            });
        }
        body.push(entry.flags | HAS_MAXIMUM);
        body.extend_from_slice(entry.minimum);
        write_leb(&mut body, cap);
        body.extend_from_slice(entry.page_size);
    }
    let (before, after) = (section.before, section.after);
    // Caps equal to the declared maxima change nothing; keep even a padded section header then.
    if body == section.body {
        return Ok(Some((before, section.whole.to_vec(), after)));
    }
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(MEMORY_SECTION);
    write_leb(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    Ok(Some((before, out, after)))
}

/// The memory section of a module, as slices of its bytes.
struct MemorySection<'a> {
    /// Everything before the section's id byte.
    before: &'a [u8],
    /// The section as it stands: id, size and body.
    whole: &'a [u8],
    /// The section's body (after its id and size).
    body: &'a [u8],
    /// The encoded memory count that starts the body.
    count: &'a [u8],
    entries: Vec<MemoryEntry<'a>>,
    /// Everything after the section.
    after: &'a [u8],
}

/// Walks the section headers and reads the memory section, if there is one.
fn read_module(bytes: &[u8]) -> Result<Option<MemorySection<'_>>, BinaryError> {
    if bytes.get(..8) != Some(&MAGIC_AND_VERSION[..]) {
        return Err(BinaryError::NotAModule);
    }
    let mut r = Reader { bytes, pos: 8 };
    let mut found = None;
    while r.pos < bytes.len() {
        let start = r.pos;
        let id = r.byte(Part::SectionId)?;
        let size = r.leb(u64::from(u32::MAX), Part::SectionSize)?;
        let available = bytes.len().saturating_sub(r.pos);
        let body = r.take(size).ok_or(BinaryError::SectionPastEnd {
            id,
            offset: start,
            size,
            available,
        })?;
        if id != MEMORY_SECTION {
            continue;
        }
        if found.is_some() {
            return Err(BinaryError::SecondMemorySection { offset: start });
        }
        // Read the body alone, so nothing can run past its end; offsets stay the module's.
        let body_start = r.pos - body.len();
        let mut s = Reader {
            bytes: bytes.get(..r.pos).unwrap_or_default(),
            pos: body_start,
        };
        // At most u32::MAX, so the cast is exact.
        let n = s.leb(u64::from(u32::MAX), Part::MemoryCount)? as u32;
        let count = s.since(body_start);
        // No capacity from the count: a huge count in a short section must fail, not allocate.
        let mut entries = Vec::new();
        for index in 0..n {
            entries.push(s.memory(index)?);
        }
        if s.pos != r.pos {
            return Err(BinaryError::TrailingBytes {
                offset: s.pos,
                extra: r.pos - s.pos,
            });
        }
        found = Some(MemorySection {
            before: bytes.get(..start).unwrap_or_default(),
            whole: bytes.get(start..r.pos).unwrap_or_default(),
            body,
            count,
            entries,
            after: bytes.get(r.pos..).unwrap_or_default(),
        });
    }
    Ok(found)
}

/// Appends `n` as unsigned LEB128, in the fewest bytes.
fn write_leb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

// Tests only: the `unwrap`s below are assertions on fixed inputs; no caller input reaches them.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{AddressType, MemoryType};
    use std::prelude::rust_2021::*;

    /// A module from `(id, body)` sections, in the order given.
    fn module(sections: &[(u8, &[u8])]) -> Vec<u8> {
        let mut out = MAGIC_AND_VERSION.to_vec();
        for (id, body) in sections {
            out.push(*id);
            write_leb(&mut out, body.len() as u64);
            out.extend_from_slice(body);
        }
        out
    }

    fn leb(n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_leb(&mut out, n);
        out
    }

    const CUSTOM: (u8, &[u8]) = (0, b"\x04note\x01\x02\x03");
    const TYPES: (u8, &[u8]) = (1, b"\x01\x60\x00\x00");

    #[test]
    fn no_memory_section_is_unchanged() {
        let bytes = module(&[TYPES, CUSTOM]);
        assert_eq!(rewrite_memory_maxima(&bytes, &[]), Ok(bytes.clone()));
        assert_eq!(defined_memories(&bytes), Some(vec![]));
        let e = rewrite_memory_maxima(&bytes, &[Some(1)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "1 caps given, but the module defines 0 memories"
        );
    }

    #[test]
    fn adds_or_lowers_a_maximum_and_copies_the_rest_in_any_order() {
        // Memory section last, after a custom section: not a valid order, but only bytes matter here.
        // Memories: i32 min 1 no max; i64 shared 2..1000; i32 min 3 no max, left alone.
        let memories = b"\x03\x00\x01\x07\x02\xe8\x07\x00\x03";
        let bytes = module(&[TYPES, CUSTOM, (5, memories)]);
        let out = rewrite_memory_maxima(&bytes, &[Some(4), Some(200)]).unwrap();
        let want = module(&[
            TYPES,
            CUSTOM,
            (5, b"\x03\x01\x01\x04\x07\x02\xc8\x01\x00\x03"),
        ]);
        assert_eq!(out, want);
        let read = defined_memories(&out).unwrap();
        assert_eq!(read.len(), 3);
        assert_eq!(read[0].ty.maximum, Some(4));
        assert_eq!(
            (read[1].ty.address, read[1].ty.shared),
            (AddressType::I64, true)
        );
        assert_eq!((read[1].ty.minimum, read[1].ty.maximum), (2, Some(200)));
        assert_eq!((read[2].index, read[2].ty.maximum), (2, None));
        // Caps equal to what is declared give back the very same bytes.
        assert_eq!(
            rewrite_memory_maxima(&bytes, &[None, Some(1000), None]),
            Ok(bytes)
        );
    }

    #[test]
    fn the_section_size_may_grow_a_byte() {
        // 63 memories of 2 bytes (flags 0, min 0) plus the count: 127 bytes, a one-byte size.
        let mut memories = vec![63];
        memories.extend([0, 0].repeat(63));
        let bytes = module(&[(5, &memories), CUSTOM]);
        assert_eq!(bytes[9], 127);
        let out = rewrite_memory_maxima(&bytes, &[Some(1)]).unwrap();
        assert_eq!(&out[8..11], &[5, 0x80, 0x01], "size 128 takes two bytes");
        assert_eq!(out.len(), bytes.len() + 2);
        assert!(out.ends_with(&module(&[CUSTOM])[8..]));
        assert_eq!(defined_memories(&out).unwrap()[0].ty.maximum, Some(1));
    }

    #[test]
    fn a_custom_page_size_is_kept_and_sets_the_limit() {
        // i32, page size 2^0, min 10, no max: the limit is 2^32 - 1 one-byte pages.
        let bytes = module(&[(5, b"\x01\x08\x0a\x00")]);
        let read = defined_memories(&bytes).unwrap();
        assert_eq!(
            (read[0].page_size_log2, read[0].page_limit()),
            (0, u64::from(u32::MAX))
        );
        let out = rewrite_memory_maxima(&bytes, &[Some(70_000)]).unwrap();
        let mut want = vec![1, 0x09, 0x0a];
        want.extend(leb(70_000));
        want.push(0);
        assert_eq!(out, module(&[(5, &want)]));
        assert!(rewrite_memory_maxima(&bytes, &[Some(1 << 32)]).is_err());
    }

    #[test]
    fn page_limits_match_the_address_types_for_64k_pages() {
        for address in [AddressType::I32, AddressType::I64] {
            let m = DefinedMemory {
                index: 0,
                ty: MemoryType {
                    address,
                    minimum: 0,
                    maximum: None,
                    shared: false,
                },
                page_size_log2: 16,
            };
            assert_eq!(m.page_limit(), address.page_limit());
        }
    }

    #[test]
    fn caps_out_of_range_are_errors() {
        // i32 2..=10, and i32 min 1 with no maximum.
        let bytes = module(&[(5, b"\x02\x01\x02\x0a\x00\x01")]);
        let e = rewrite_memory_maxima(&bytes, &[Some(1)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cap 1 for defined memory 0 is outside 2..=10 (its minimum to its maximum or page limit)"
        );
        assert!(rewrite_memory_maxima(&bytes, &[Some(11)]).is_err());
        assert!(rewrite_memory_maxima(&bytes, &[None, Some(65_537)]).is_err());
        assert!(rewrite_memory_maxima(&bytes, &[None, Some(65_536)]).is_ok());
        assert!(rewrite_memory_maxima(&bytes, &[None, None, None]).is_err());
    }

    #[test]
    fn malformed_bytes_are_errors() {
        use BinaryError::*;
        let cases: &[(Vec<u8>, BinaryError)] = &[
            (b"\0asm\x02\0\0\0".to_vec(), NotAModule),
            (b"\0as".to_vec(), NotAModule),
            (
                module(&[(5, b"\x01\x00")]),
                Truncated {
                    what: Part::MemoryMinimum,
                    offset: 12,
                },
            ),
            // A section size of 11 LEB bytes, and one past u32.
            (
                [&MAGIC_AND_VERSION[..], b"\x05", &[0xff; 10], b"\x00"].concat(),
                BadLeb {
                    what: Part::SectionSize,
                    offset: 9,
                },
            ),
            (
                [&MAGIC_AND_VERSION[..], b"\x05\x80\x80\x80\x80\x10"].concat(),
                BadLeb {
                    what: Part::SectionSize,
                    offset: 9,
                },
            ),
            (
                [&MAGIC_AND_VERSION[..], b"\x05\x05\x01\x00"].concat(),
                SectionPastEnd {
                    id: 5,
                    offset: 8,
                    size: 5,
                    available: 2,
                },
            ),
            (
                module(&[(5, b"\x01\x10\x00")]),
                UnknownFlags {
                    index: 0,
                    offset: 11,
                    flags: 0x10,
                },
            ),
            (
                module(&[(5, b"\x01\x08\x00\x40")]),
                BadPageSize { index: 0, log2: 64 },
            ),
            (
                module(&[(5, b"\x01\x00\x00\x00")]),
                TrailingBytes {
                    offset: 13,
                    extra: 1,
                },
            ),
            (
                module(&[(5, b"\x00"), (5, b"\x00")]),
                SecondMemorySection { offset: 11 },
            ),
            // A huge count in a short section fails on the bytes, not on an allocation.
            (
                module(&[(5, b"\xff\xff\xff\xff\x0f")]),
                Truncated {
                    what: Part::MemoryFlags,
                    offset: 15,
                },
            ),
            // A minimum past u64.
            (
                module(&[(5, &[&[1u8, 0][..], &[0xff; 9], &[0x02]].concat())]),
                BadLeb {
                    what: Part::MemoryMinimum,
                    offset: 12,
                },
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                rewrite_memory_maxima(bytes, &[]).as_ref(),
                Err(want),
                "{bytes:x?}"
            );
            assert_eq!(defined_memories(bytes), None);
            assert!(!want.to_string().is_empty());
        }
    }
}
