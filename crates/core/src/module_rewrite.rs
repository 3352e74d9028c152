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

use super::limits::{AddressType, MemoryType};

const MAGIC_AND_VERSION: &[u8; 8] = b"\0asm\x01\0\0\0";
const MEMORY_SECTION: u8 = 5;
const HAS_MAXIMUM: u8 = 0x01;
const SHARED: u8 = 0x02;
const MEMORY64: u8 = 0x04;
const CUSTOM_PAGE_SIZE: u8 = 0x08;
/// The page size when the custom-page-sizes flag is absent: 64 KiB.
const DEFAULT_PAGE_SIZE_LOG2: u32 = 16;

/// One memory a module's memory section defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefinedMemory {
    /// Its index among the memories the module defines (imported memories come before these in
    /// the module's memory index space, and are not counted here).
    pub index: u32,
    /// Its declared type.
    pub ty: MemoryType,
    /// Log2 of its page size in bytes: 16 (64 KiB) unless the custom-page-sizes flag sets it.
    /// Its limits, and the caps for it, count pages of this size.
    pub page_size_log2: u32,
}

impl DefinedMemory {
    /// The most pages a memory of this address type and page size may have (the spec's limit,
    /// capped at what its limits' encoding can hold), so the highest cap allowed when the memory
    /// declares no maximum. For 64 KiB pages this is [`AddressType::page_limit`].
    pub fn page_limit(&self) -> u64 {
        let (bits, encodable) = match self.ty.address {
            AddressType::I32 => (32, u64::from(u32::MAX)),
            AddressType::I64 => (64, u64::MAX),
        };
        // The parser refuses exponents >= 64, so the shift is in range.
        let pages = (1u128 << bits) >> self.page_size_log2.min(63);
        u64::try_from(pages).unwrap_or(u64::MAX).min(encodable)
    }

    /// The highest cap allowed: the declared maximum, else the page limit.
    fn highest_cap(&self) -> u64 {
        self.ty.maximum.unwrap_or(self.page_limit())
    }
}

/// Why a module's memory maxima could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    /// The bytes do not start with a core wasm module's magic number and version.
    #[error("not a wasm module: the bytes do not start with \"\\0asm\" and version 1")]
    NotAModule,
    /// The bytes end inside something.
    #[error("{what} at byte {offset} is cut off: the module or its section ends first")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A LEB128 number runs past its longest encoding or overflows its type.
    #[error("{what} at byte {offset} is not a valid LEB128 number (too long or too large)")]
    BadLeb {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// A section's size runs past the end of the module.
    #[error("section {id} at byte {offset} says it has {size} bytes, but only {available} remain")]
    SectionPastEnd {
        /// The section id.
        id: u8,
        /// Where the section starts (its id byte).
        offset: usize,
        /// The size it declares.
        size: u64,
        /// The bytes left after its header.
        available: usize,
    },
    /// A second memory section: which of them the caps are for would be a guess.
    #[error("a second memory section at byte {offset}")]
    SecondMemorySection {
        /// Where it starts.
        offset: usize,
    },
    /// A memory's limit flags set bits that no proposal defines.
    #[error("defined memory {index} at byte {offset} has unknown limit flags {flags:#04x}")]
    UnknownFlags {
        /// Its index among defined memories.
        index: u32,
        /// Where its flags byte is.
        offset: usize,
        /// The flags byte.
        flags: u8,
    },
    /// A custom page size of 2^64 bytes or more.
    #[error("defined memory {index} has a page size of 2^{log2} bytes, which no memory can have")]
    BadPageSize {
        /// Its index among defined memories.
        index: u32,
        /// The page size exponent.
        log2: u64,
    },
    /// The memory section has bytes after its last memory.
    #[error("the memory section has {extra} bytes after its last memory, at byte {offset}")]
    TrailingBytes {
        /// Where they start.
        offset: usize,
        /// How many.
        extra: usize,
    },
    /// More caps than the module defines memories.
    #[error("{given} caps given, but the module defines {defined} memories")]
    TooManyCaps {
        /// Caps given.
        given: usize,
        /// Memories the module defines.
        defined: usize,
    },
    /// A cap below the memory's minimum or above its declared maximum (or page limit).
    #[error("cap {cap} for defined memory {index} is outside {minimum}..={highest} (its minimum to its maximum or page limit)")]
    CapOutOfRange {
        /// Its index among defined memories.
        index: u32,
        /// The cap asked for.
        cap: u64,
        /// Its declared minimum.
        minimum: u64,
        /// Its declared maximum, or the page limit when it declares none.
        highest: u64,
    },
}

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
pub fn rewrite_memory_maxima(bytes: &[u8], caps: &[Option<u64>]) -> Result<Vec<u8>, RewriteError> {
    let section = read_module(bytes)?;
    let defined = section.as_ref().map_or(0, |s| s.entries.len());
    if caps.len() > defined {
        return Err(RewriteError::TooManyCaps {
            given: caps.len(),
            defined,
        });
    }
    let Some(section) = section else {
        return Ok(bytes.to_vec());
    };
    let mut body = section.count.to_vec();
    for (entry, cap) in section
        .entries
        .iter()
        .zip(caps.iter().chain(std::iter::repeat(&None)))
    {
        let Some(cap) = *cap else {
            body.extend_from_slice(entry.bytes);
            continue;
        };
        let memory = &entry.memory;
        if cap < memory.ty.minimum || cap > memory.highest_cap() {
            return Err(RewriteError::CapOutOfRange {
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
    // Caps equal to the declared maxima change nothing; keep even a padded section header then.
    if body == section.body {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    out.extend_from_slice(section.before);
    out.push(MEMORY_SECTION);
    write_leb(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    out.extend_from_slice(section.after);
    Ok(out)
}

/// The memory section of a module, as slices of its bytes.
struct MemorySection<'a> {
    /// Everything before the section's id byte.
    before: &'a [u8],
    /// The section's body (after its id and size).
    body: &'a [u8],
    /// The encoded memory count that starts the body.
    count: &'a [u8],
    entries: Vec<Entry<'a>>,
    /// Everything after the section.
    after: &'a [u8],
}

/// One memory type in the memory section.
struct Entry<'a> {
    memory: DefinedMemory,
    /// All of its encoding.
    bytes: &'a [u8],
    flags: u8,
    /// The encoded minimum, kept as it was.
    minimum: &'a [u8],
    /// The encoded page size exponent (empty without the custom-page-sizes flag), kept as it was.
    page_size: &'a [u8],
}

/// Walks the section headers and reads the memory section, if there is one.
fn read_module(bytes: &[u8]) -> Result<Option<MemorySection<'_>>, RewriteError> {
    if bytes.get(..8) != Some(&MAGIC_AND_VERSION[..]) {
        return Err(RewriteError::NotAModule);
    }
    let mut r = Reader { bytes, pos: 8 };
    let mut found = None;
    while r.pos < bytes.len() {
        let start = r.pos;
        let id = r.byte("a section id")?;
        let size = r.leb(u64::from(u32::MAX), "a section size")?;
        let available = bytes.len().saturating_sub(r.pos);
        let body = r.take(size).ok_or(RewriteError::SectionPastEnd {
            id,
            offset: start,
            size,
            available,
        })?;
        if id != MEMORY_SECTION {
            continue;
        }
        if found.is_some() {
            return Err(RewriteError::SecondMemorySection { offset: start });
        }
        // Read the body alone, so nothing can run past its end; offsets stay the module's.
        let body_start = r.pos - body.len();
        let mut s = Reader {
            bytes: bytes.get(..r.pos).unwrap_or_default(),
            pos: body_start,
        };
        // At most u32::MAX, so the cast is exact.
        let n = s.leb(u64::from(u32::MAX), "the memory count")? as u32;
        let count = s.since(body_start);
        // No capacity from the count: a huge count in a short section must fail, not allocate.
        let mut entries = Vec::new();
        for index in 0..n {
            entries.push(s.memory(index)?);
        }
        if s.pos != r.pos {
            return Err(RewriteError::TrailingBytes {
                offset: s.pos,
                extra: r.pos - s.pos,
            });
        }
        found = Some(MemorySection {
            before: bytes.get(..start).unwrap_or_default(),
            body,
            count,
            entries,
            after: bytes.get(r.pos..).unwrap_or_default(),
        });
    }
    Ok(found)
}

/// A cursor over a module's bytes; positions are the module's own offsets.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self, what: &'static str) -> Result<u8, RewriteError> {
        let b = *self.bytes.get(self.pos).ok_or(RewriteError::Truncated {
            what,
            offset: self.pos,
        })?;
        self.pos += 1;
        Ok(b)
    }

    /// An unsigned LEB128 number of at most `max`, in at most the 10 bytes a u64 takes.
    fn leb(&mut self, max: u64, what: &'static str) -> Result<u64, RewriteError> {
        let offset = self.pos;
        let bad = RewriteError::BadLeb { what, offset };
        let mut result: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self
                .byte(what)
                .map_err(|_| RewriteError::Truncated { what, offset })?;
            if shift == 63 && b > 1 {
                return Err(bad); // bits past the 64th
            }
            result |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return if result <= max { Ok(result) } else { Err(bad) };
            }
        }
        Err(bad)
    }

    /// The next `n` bytes, or `None` if fewer remain.
    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(usize::try_from(n).ok()?)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// The bytes from `start` to the cursor.
    fn since(&self, start: usize) -> &'a [u8] {
        self.bytes.get(start..self.pos).unwrap_or_default()
    }

    /// A memory type: flags, minimum, maximum if flagged, page size exponent if flagged.
    fn memory(&mut self, index: u32) -> Result<Entry<'a>, RewriteError> {
        let start = self.pos;
        let flags = self.byte("a memory's limit flags")?;
        if flags & !(HAS_MAXIMUM | SHARED | MEMORY64 | CUSTOM_PAGE_SIZE) != 0 {
            return Err(RewriteError::UnknownFlags {
                index,
                offset: start,
                flags,
            });
        }
        let min_start = self.pos;
        let minimum = self.leb(u64::MAX, "a memory's minimum")?;
        let minimum_bytes = self.since(min_start);
        let maximum = if flags & HAS_MAXIMUM != 0 {
            Some(self.leb(u64::MAX, "a memory's maximum")?)
        } else {
            None
        };
        let page_start = self.pos;
        let page_size_log2 = if flags & CUSTOM_PAGE_SIZE != 0 {
            let log2 = self.leb(u64::from(u32::MAX), "a memory's page size")?;
            if log2 >= 64 {
                return Err(RewriteError::BadPageSize { index, log2 });
            }
            log2 as u32 // below 64, so the cast is exact
        } else {
            DEFAULT_PAGE_SIZE_LOG2
        };
        let address = if flags & MEMORY64 != 0 {
            AddressType::I64
        } else {
            AddressType::I32
        };
        Ok(Entry {
            memory: DefinedMemory {
                index,
                ty: MemoryType {
                    address,
                    minimum,
                    maximum,
                    shared: flags & SHARED != 0,
                },
                page_size_log2,
            },
            bytes: self.since(start),
            flags,
            minimum: minimum_bytes,
            page_size: self.since(page_start),
        })
    }
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
        use RewriteError::*;
        let cases: &[(Vec<u8>, RewriteError)] = &[
            (b"\0asm\x02\0\0\0".to_vec(), NotAModule),
            (b"\0as".to_vec(), NotAModule),
            (
                module(&[(5, b"\x01\x00")]),
                Truncated {
                    what: "a memory's minimum",
                    offset: 12,
                },
            ),
            // A section size of 11 LEB bytes, and one past u32.
            (
                [&MAGIC_AND_VERSION[..], b"\x05", &[0xff; 10], b"\x00"].concat(),
                BadLeb {
                    what: "a section size",
                    offset: 9,
                },
            ),
            (
                [&MAGIC_AND_VERSION[..], b"\x05\x80\x80\x80\x80\x10"].concat(),
                BadLeb {
                    what: "a section size",
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
                    what: "a memory's limit flags",
                    offset: 15,
                },
            ),
            // A minimum past u64.
            (
                module(&[(5, &[&[1u8, 0][..], &[0xff; 9], &[0x02]].concat())]),
                BadLeb {
                    what: "a memory's minimum",
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
