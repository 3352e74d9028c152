//! The memory type: address type, limits, sharing, and the rules the JS API puts on them.
//!
//! Order matters, because the first failing rule decides the error constructor. This follows
//! the threads proposal's `Memory(descriptor)` steps (which the merged spec's "valid memtype"
//! check agrees with wherever the two overlap): `maximum < initial` is a `RangeError`, then
//! `shared` without `maximum` is a `TypeError`, then the page limit of the address type (in the
//! spec, the memtype validity / allocation step) is a `RangeError`. V8 checks the page limit
//! first, so `{ initial: 70000, shared: true }` is a `RangeError` there; the spec and Firefox say
//! `TypeError`, and so do we.

use alloc::string::String;

use super::error::{Error, Field};

/// Bytes in a WebAssembly page.
pub const PAGE_BYTES: u64 = 65_536;

/// The largest i64 `maximum` every engine with memory64 can be asked for on the spec's terms:
/// the spec's own tests allow 2^37 - 1 pages (2^53 bytes) and Firefox takes them, while V8
/// refuses anything above its own limit (262 144). Up to this, the JS entry makes such a memory
/// without a maximum on V8 (it can never grow past V8's limit anyway) and keeps the one asked for.
pub const I64_MAXIMUM_PAGES: u64 = (1 << 37) - 1;

/// The `AddressType` of the memory64 JS API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressType {
    /// 32-bit addresses; sizes are `[EnforceRange] unsigned long` Numbers.
    I32,
    /// 64-bit addresses (memory64); sizes are BigInts.
    I64,
}

impl AddressType {
    /// Parses the WebIDL enum value; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "i32" => Some(AddressType::I32),
            "i64" => Some(AddressType::I64),
            _ => None,
        }
    }

    /// The enum value as JavaScript spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::I32 => "i32",
            AddressType::I64 => "i64",
        }
    }

    /// The most pages a valid memory type of this address type may have (core spec, "valid memtype").
    pub fn page_limit(self) -> u64 {
        match self {
            AddressType::I32 => 1 << 16,
            AddressType::I64 => 1 << 48,
        }
    }
}

/// 2^32: the first Number past the range of an `unsigned long`.
const U32_END: f64 = 4_294_967_296.0;

/// `x` if it is a whole Number in the range of an `unsigned long` (0 to 2^32 - 1): what
/// [`enforce_range_u32`] gives back unchanged, so what the JS entry passes on without asking.
pub fn exact_u32(x: f64) -> Option<u32> {
    // In range first, so the cast is exact and the comparison tells a fraction.
    ((0.0..U32_END).contains(&x) && f64::from(x as u32) == x).then_some(x as u32)
}

/// WebIDL `ConvertToInt(x, 32, "unsigned")` with `[EnforceRange]`, after `ToNumber` has run.
///
/// NaN and ±Infinity are refused, the value is truncated towards zero (so `-0.5` is `0`), and
/// anything outside `0 ..= 2^32 - 1` is refused. Every refusal is a `TypeError`. `text` says how
/// the refused number prints: the bindings ask JavaScript, so the message shows exactly what a
/// user would (and the wasm carries no float formatting code).
pub fn enforce_range_u32(
    field: Field,
    x: f64,
    text: impl FnOnce(f64) -> String,
) -> Result<u32, Error> {
    // Truncated, `x` is in range exactly when -1 < x < 2^32 (NaN fails both comparisons);
    // the cast then truncates towards zero, as ConvertToInt does.
    if x > -1.0 && x < U32_END {
        return Ok(x as u32);
    }
    Err(Error::NotU32 {
        field,
        value: text(x),
    })
}

/// The descriptor after WebIDL conversion, before the limit rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestedType {
    /// `descriptor.address`, `"i32"` when absent.
    pub address: AddressType,
    /// `descriptor.initial`, in pages.
    pub initial: u64,
    /// `descriptor.maximum`, in pages, if present.
    pub maximum: Option<u64>,
    /// `descriptor.shared`, `false` when absent.
    pub shared: bool,
}

/// A valid memory type: what `type()` reports and what the engine is asked to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryType {
    /// The address type.
    pub address: AddressType,
    /// Pages at creation (`type().minimum` reports the current size instead).
    pub minimum: u64,
    /// The maximum, if any.
    pub maximum: Option<u64>,
    /// Whether the memory is shared.
    pub shared: bool,
}

impl RequestedType {
    /// Applies the JS API's rules, in the spec's order (see the module docs).
    pub fn validate(self) -> Result<MemoryType, Error> {
        if let Some(maximum) = self.maximum {
            if maximum < self.initial {
                return Err(Error::MaximumBelowInitial {
                    initial: self.initial,
                    maximum,
                });
            }
        }
        if self.shared && self.maximum.is_none() {
            return Err(Error::SharedWithoutMaximum);
        }
        let limit = self.address.page_limit();
        let over = |field, value| Error::PageLimit {
            field,
            value,
            limit,
            address: self.address.as_str(),
        };
        if self.initial > limit {
            return Err(over(Field::Initial, self.initial));
        }
        if let Some(maximum) = self.maximum {
            if maximum > limit {
                return Err(over(Field::Maximum, maximum));
            }
        }
        Ok(MemoryType {
            address: self.address,
            minimum: self.initial,
            maximum: self.maximum,
            shared: self.shared,
        })
    }
}

/// Checks `grow(delta)` on a memory of `current` pages against its type's limits.
///
/// Returns the new size. The engine would refuse the same grows with a `RangeError`; checking
/// here first lets the message name the numbers and keeps the ledger from seeing a failed grow.
pub fn check_grow(ty: &MemoryType, current: u64, delta: u64) -> Result<u64, Error> {
    let limit = ty.maximum.unwrap_or(ty.address.page_limit());
    match current.checked_add(delta) {
        Some(wanted) if wanted <= limit => Ok(wanted),
        _ => Err(Error::GrowPastMaximum {
            delta,
            current,
            maximum: limit,
        }),
    }
}

// Tests only: the `unwrap`s below are assertions on fixed inputs; no caller input reaches them.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::prelude::rust_2021::*;

    fn req(initial: u64, maximum: Option<u64>, shared: bool) -> RequestedType {
        RequestedType {
            address: AddressType::I32,
            initial,
            maximum,
            shared,
        }
    }

    fn text(x: f64) -> String {
        format!("{x}")
    }

    #[test]
    fn exact_u32_is_what_enforce_range_leaves_unchanged() {
        for x in [0.0, -0.0, 1.0, 65_536.0, 4_294_967_295.0] {
            assert_eq!(exact_u32(x), Some(x as u32));
            assert_eq!(
                enforce_range_u32(Field::Initial, x, text).ok(),
                exact_u32(x)
            );
        }
        for x in [0.5, -1.0, 4_294_967_296.0, f64::NAN, f64::INFINITY] {
            assert_eq!(exact_u32(x), None);
        }
    }

    #[test]
    fn enforce_range_truncates_and_refuses_like_webidl() {
        assert_eq!(enforce_range_u32(Field::Initial, 1.9, text), Ok(1));
        assert_eq!(enforce_range_u32(Field::Initial, -0.9, text), Ok(0));
        assert_eq!(enforce_range_u32(Field::Initial, -0.0, text), Ok(0));
        assert_eq!(
            enforce_range_u32(Field::Initial, 4294967295.5, text),
            Ok(u32::MAX)
        );
        for bad in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            4294967296.0,
        ] {
            let e = enforce_range_u32(Field::Maximum, bad, text).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Type, "{bad}");
            assert!(e.to_string().contains("maximum"), "{e}");
        }
    }

    #[test]
    fn rule_order_follows_the_spec_not_v8() {
        // maximum < initial beats everything else.
        let e = req(70_000, Some(1), true).validate().unwrap_err();
        assert!(matches!(e, Error::MaximumBelowInitial { .. }));
        // shared without maximum is a TypeError even when initial is over the limit.
        let e = req(70_000, None, true).validate().unwrap_err();
        assert_eq!(e, Error::SharedWithoutMaximum);
        assert_eq!(e.kind(), ErrorKind::Type);
        // then the page limit.
        let e = req(65_537, None, false).validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Range);
        assert!(
            e.to_string().contains("65537") && e.to_string().contains("65536"),
            "{e}"
        );
        assert!(req(65_536, Some(65_536), true).validate().is_ok());
    }

    #[test]
    fn grow_past_maximum_names_the_numbers() {
        let ty = req(1, Some(2), false).validate().unwrap();
        assert_eq!(check_grow(&ty, 1, 1), Ok(2));
        let e = check_grow(&ty, 2, 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Range);
        assert!(e.to_string().contains("maximum of 2"), "{e}");
        let unbounded = req(0, None, false).validate().unwrap();
        assert!(check_grow(&unbounded, 0, 65_537).is_err());
        assert!(check_grow(&unbounded, 0, u64::MAX).is_err());
    }
}
