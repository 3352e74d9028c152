//! The few parts of the wasm binary format the core reads: section headers, LEB128 numbers,
//! names and memory types. One reader serves both [`module_types`](crate::module_types) (what a
//! module imports and exports) and [`module_rewrite`](crate::module_rewrite) (lowering the
//! maxima it declares); every layout constant is here once. Malformed input is an error or
//! `None`, never a panic: the bindings run this on bytes any page hands them.

use super::limits::{AddressType, MemoryType};

/// The custom sections' id (the "name" section is one).
pub const CUSTOM_SECTION: u8 = 0;
/// The import section's id.
pub const IMPORT_SECTION: u8 = 2;
/// The memory section's id.
pub const MEMORY_SECTION: u8 = 5;
/// The export section's id.
pub const EXPORT_SECTION: u8 = 7;
/// The start section's id (a module with one runs code while an instance is made).
pub const START_SECTION: u8 = 8;
/// What the "name" custom section's payload starts with: its name, as a wasm name (length,
/// then UTF-8).
pub const NAME_SECTION_NAME: &[u8; 5] = b"\x04name";
/// The external kind of a memory, in imports and exports.
pub(crate) const MEMORY_KIND: u8 = 0x02;
/// What every core module starts with: the magic number and version 1.
pub const MAGIC_AND_VERSION: &[u8; 8] = b"\0asm\x01\0\0\0";
// A memory type's limit flags (the threads, memory64 and custom-page-sizes proposals add bits).
pub(crate) const HAS_MAXIMUM: u8 = 0x01;
pub(crate) const SHARED: u8 = 0x02;
pub(crate) const MEMORY64: u8 = 0x04;
pub(crate) const CUSTOM_PAGE_SIZE: u8 = 0x08;
// The prefixes of typed reference types (`ref null ht`, `ref ht`).
const REF_NULL: u8 = 0x63;
const REF: u8 = 0x64;
/// The page size when the custom-page-sizes flag is absent: 64 KiB.
pub(crate) const DEFAULT_PAGE_SIZE_LOG2: u32 = 16;

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
    pub(crate) fn highest_cap(&self) -> u64 {
        self.ty.maximum.unwrap_or(self.page_limit())
    }
}

/// What the reader was reading when the bytes went wrong, as [`BinaryError`] names it. A type,
/// not text: the shipped wasm drops these errors (the engine says why when it compiles the
/// bytes), so the names are linked only where the errors are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// a count.
    Count,
    /// an export's index.
    ExportIndex,
    /// an export's kind.
    ExportKind,
    /// a global's mutability.
    GlobalMutability,
    /// a global's type.
    GlobalType,
    /// a reference type's heap type.
    HeapType,
    /// an import's kind.
    ImportKind,
    /// the memory count.
    MemoryCount,
    /// a memory's limit flags.
    MemoryFlags,
    /// a memory's maximum.
    MemoryMaximum,
    /// a memory's minimum.
    MemoryMinimum,
    /// a memory's page size.
    MemoryPageSize,
    /// a name's length.
    NameLength,
    /// a section id.
    SectionId,
    /// a section size.
    SectionSize,
    /// a subsection id.
    SubsectionId,
    /// a subsection size.
    SubsectionSize,
    /// a table's limit flags.
    TableFlags,
    /// a table's maximum.
    TableMaximum,
    /// a table's minimum.
    TableMinimum,
    /// a table's reftype.
    TableRefType,
    /// a tag's attribute.
    TagAttribute,
    /// a tag's type index.
    TagTypeIndex,
    /// a type index.
    TypeIndex,
}

impl core::fmt::Display for Part {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Part::Count => "a count",
            Part::ExportIndex => "an export's index",
            Part::ExportKind => "an export's kind",
            Part::GlobalMutability => "a global's mutability",
            Part::GlobalType => "a global's type",
            Part::HeapType => "a reference type's heap type",
            Part::ImportKind => "an import's kind",
            Part::MemoryCount => "the memory count",
            Part::MemoryFlags => "a memory's limit flags",
            Part::MemoryMaximum => "a memory's maximum",
            Part::MemoryMinimum => "a memory's minimum",
            Part::MemoryPageSize => "a memory's page size",
            Part::NameLength => "a name's length",
            Part::SectionId => "a section id",
            Part::SectionSize => "a section size",
            Part::SubsectionId => "a subsection id",
            Part::SubsectionSize => "a subsection size",
            Part::TableFlags => "a table's limit flags",
            Part::TableMaximum => "a table's maximum",
            Part::TableMinimum => "a table's minimum",
            Part::TableRefType => "a table's reftype",
            Part::TagAttribute => "a tag's attribute",
            Part::TagTypeIndex => "a tag's type index",
            Part::TypeIndex => "a type index",
        })
    }
}

/// Why a module's bytes could not be read (or its memory maxima rewritten).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinaryError {
    /// The bytes do not start with a core wasm module's magic number and version.
    #[error("not a wasm module: the bytes do not start with \"\\0asm\" and version 1")]
    NotAModule,
    /// The bytes end inside something.
    #[error("{what} at byte {offset} is cut off: the module or its section ends first")]
    Truncated {
        /// What was being read.
        what: Part,
        /// Where it starts.
        offset: usize,
    },
    /// A LEB128 number runs past its longest encoding or overflows its type.
    #[error("{what} at byte {offset} is not a valid LEB128 number (too long or too large)")]
    BadLeb {
        /// What was being read.
        what: Part,
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

/// One memory type in the memory section.
pub(crate) struct MemoryEntry<'a> {
    pub(crate) memory: DefinedMemory,
    /// All of its encoding.
    pub(crate) bytes: &'a [u8],
    pub(crate) flags: u8,
    /// The encoded minimum, kept as it was.
    pub(crate) minimum: &'a [u8],
    /// The encoded page size exponent (empty without the custom-page-sizes flag), kept as it was.
    pub(crate) page_size: &'a [u8],
}

/// A cursor over a module's bytes; positions are the module's own offsets.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn byte(&mut self, what: Part) -> Result<u8, BinaryError> {
        let b = *self.bytes.get(self.pos).ok_or(BinaryError::Truncated {
            what,
            offset: self.pos,
        })?;
        self.pos += 1;
        Ok(b)
    }

    /// An unsigned LEB128 number of at most `max`, in at most the 10 bytes a u64 takes.
    pub(crate) fn leb(&mut self, max: u64, what: Part) -> Result<u64, BinaryError> {
        let offset = self.pos;
        let bad = BinaryError::BadLeb { what, offset };
        let mut result: u64 = 0;
        for shift in (0..70).step_by(7) {
            let b = self
                .byte(what)
                .map_err(|_| BinaryError::Truncated { what, offset })?;
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
    pub(crate) fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(usize::try_from(n).ok()?)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// The bytes from `start` to the cursor.
    pub(crate) fn since(&self, start: usize) -> &'a [u8] {
        self.bytes.get(start..self.pos).unwrap_or_default()
    }

    /// A memory type: flags, minimum, maximum if flagged, page size exponent if flagged.
    pub(crate) fn memory(&mut self, index: u32) -> Result<MemoryEntry<'a>, BinaryError> {
        let start = self.pos;
        let flags = self.byte(Part::MemoryFlags)?;
        if flags & !(HAS_MAXIMUM | SHARED | MEMORY64 | CUSTOM_PAGE_SIZE) != 0 {
            return Err(BinaryError::UnknownFlags {
                index,
                offset: start,
                flags,
            });
        }
        let min_start = self.pos;
        let minimum = self.leb(u64::MAX, Part::MemoryMinimum)?;
        let minimum_bytes = self.since(min_start);
        let maximum = if flags & HAS_MAXIMUM != 0 {
            Some(self.leb(u64::MAX, Part::MemoryMaximum)?)
        } else {
            None
        };
        let page_start = self.pos;
        let page_size_log2 = if flags & CUSTOM_PAGE_SIZE != 0 {
            let log2 = self.leb(u64::from(u32::MAX), Part::MemoryPageSize)?;
            if log2 >= 64 {
                return Err(BinaryError::BadPageSize { index, log2 });
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
        Ok(MemoryEntry {
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

    /// An unsigned LEB128 number that fits in a u32.
    pub(crate) fn u32(&mut self, what: Part) -> Result<u32, BinaryError> {
        // At most u32::MAX, so the cast is exact.
        Ok(self.leb(u64::from(u32::MAX), what)? as u32)
    }

    /// A name: a u32 length, then that many bytes of UTF-8.
    pub(crate) fn name(&mut self) -> Option<&'a str> {
        let n = self.u32(Part::NameLength).ok()?;
        core::str::from_utf8(self.take(u64::from(n))?).ok()
    }

    /// Skips an import's description of `kind` (function, table, global or tag).
    pub(crate) fn skip_import_desc(&mut self, kind: u8) -> Option<()> {
        match kind {
            0x00 => {
                self.u32(Part::TypeIndex).ok()?;
            }
            0x01 => {
                self.value_type(Part::TableRefType)?;
                let flags = self.byte(Part::TableFlags).ok()?;
                self.leb(u64::MAX, Part::TableMinimum).ok()?;
                if flags & HAS_MAXIMUM != 0 {
                    self.leb(u64::MAX, Part::TableMaximum).ok()?;
                }
            }
            0x03 => {
                self.value_type(Part::GlobalType)?;
                self.byte(Part::GlobalMutability).ok()?;
            }
            0x04 => {
                self.byte(Part::TagAttribute).ok()?;
                self.u32(Part::TagTypeIndex).ok()?;
            }
            _ => return None,
        }
        Some(())
    }

    /// Skips a value type (a table's is a reference type): one byte, or, for the typed
    /// references of the function-references and GC proposals (`ref null ht`, `ref ht`: what
    /// Kotlin/Wasm, Dart and other GC languages import), the prefix and a heap type, a signed
    /// LEB128 of at most 33 bits (an abstract heap type, or a type index).
    fn value_type(&mut self, what: Part) -> Option<()> {
        let b = self.byte(what).ok()?;
        if b == REF_NULL || b == REF {
            for _ in 0..5 {
                if self.byte(Part::HeapType).ok()? & 0x80 == 0 {
                    return Some(());
                }
            }
            return None;
        }
        Some(())
    }
}
