//! What an engine reserves for a memory, and how much of that it has left to give.
//!
//! The failures users hit are rarely about pages: each memory reserves address space (a guard
//! region, so that code inside wasm needs no bounds checks), far more than its pages, and the
//! engine refuses a construction once its reservation runs out, or once it holds a fixed number
//! of such memories. This module is that model as data ([`PROFILES`]): per engine family, what
//! one memory reserves (by address type, sharing and declared maximum) and the engine's limit,
//! with the engine versions it was measured on. It is measured, not read from a specification:
//! `tests/limits/run.mjs` allocates memories natively until the engine refuses, in a task of its
//! own, and compares the count with the prediction. Engines it has no profile for get `None`
//! everywhere (reserved unknown, no headroom).
//!
//! Where the figures come from in the engines' sources (as far as they explain what was
//! measured): V8 reserves a fixed guard region per memory whatever its size (`backing-store.cc`,
//! the full guard size), which Chromium places inside its sandbox's fixed address space, and
//! Node (built without the sandbox) in the process's user address space; SpiderMonkey reserves
//! `HugeMappedSize` per 32-bit memory (`WasmMemory.h`) and counts such mappings against
//! `MaximumLiveMappedBuffers` (`ArrayBufferObject.cpp`); JavaScriptCore's shared memories
//! reserve their declared maximum, since they can never move.

use alloc::string::ToString;

use super::error::{concat, decimal, Error};
use super::ledger::{BudgetField, BudgetMode, Event};
use super::limits::{AddressType, MemoryType, PAGE_BYTES};

const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

/// The engine families the model tells apart. Their codes ([`Engine::code`]) are what the JS
/// entry passes once, at start, after detecting the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An engine without a profile: nothing is predicted.
    Unknown,
    /// V8 in Chromium: memories inside the V8 sandbox.
    Chromium,
    /// V8 before 13.6 without a sandbox (Node 20, Node 22).
    NodeV8Before13_6,
    /// V8 13.6 and later without a sandbox (Node 24, Node 26).
    NodeV8,
    /// SpiderMonkey in Firefox.
    Firefox,
    /// JavaScriptCore in WebKit (WebKitGTK, Safari).
    WebKit,
}

impl Engine {
    /// Every engine, in the order of [`Engine::code`].
    pub const ALL: [Engine; 6] = [
        Engine::Unknown,
        Engine::Chromium,
        Engine::NodeV8Before13_6,
        Engine::NodeV8,
        Engine::Firefox,
        Engine::WebKit,
    ];

    /// Its index in [`Engine::ALL`].
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The engine with code `code`; [`Engine::Unknown`] for any other number.
    pub fn from_code(code: u8) -> Engine {
        Engine::ALL
            .get(usize::from(code))
            .copied()
            .unwrap_or(Engine::Unknown)
    }

    /// The name the JS entry uses (`layout.engines`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Engine::Unknown => "unknown",
            Engine::Chromium => "chromium",
            Engine::NodeV8Before13_6 => "node-v8-before-13.6",
            Engine::NodeV8 => "node-v8",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }

    /// Its profile, if the model has one.
    pub fn profile(self) -> Option<&'static Profile> {
        PROFILES.iter().find(|p| p.engine == self)
    }
}

/// What an engine's reservations are limited by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// An address space of `space` bytes, of which `taken` are reserved already by the time a
    /// program starts (the engine's own heap and code; measured as `space` less what the probes
    /// were granted).
    Bytes {
        /// The address space memories are reserved in.
        space: u64,
        /// What the probes found taken in a fresh task.
        taken: u64,
    },
    /// A number of memories: only those with a reservation count (see [`Profile::i64_counts`]).
    Count {
        /// How many the probes were granted in a fresh task.
        memories: u64,
    },
    /// No limit was reached by the probes (they stop at a cap).
    Unknown,
}

/// One engine family's reservations, as measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The engine.
    pub engine: Engine,
    /// The engines and versions the figures were measured on.
    pub measured_on: &'static str,
    /// Bytes one i32 memory reserves whatever its size and maximum (`None`: see
    /// [`Profile::shared_pool`], or unknown).
    pub i32_bytes: Option<u64>,
    /// Bytes one i64 memory reserves (`None`: unknown, or no memory64).
    pub i64_bytes: Option<u64>,
    /// Where shared memories reserve their declared maximum from a pool of their own
    /// (JavaScriptCore): that pool.
    pub shared_pool: Option<SharedPool>,
    /// Whether i64 memories count against a [`Limit::Count`] (SpiderMonkey's don't: they
    /// reserve no huge mapping).
    pub i64_counts: bool,
    /// What runs out.
    pub limit: Limit,
}

/// The measured profiles (`tests/limits/run.mjs` measures them again and compares).
pub const PROFILES: [Profile; 5] = [
    // 125 i32 memories (shared or not, any maximum) and 62 i64 ones in a fresh worker.
    Profile {
        engine: Engine::Chromium,
        measured_on: "Chromium 156.0.8078.129",
        i32_bytes: Some(8 * GIB),
        i64_bytes: Some(16 * GIB),
        shared_pool: None,
        i64_counts: true,
        limit: Limit::Bytes {
            space: TIB,
            taken: 24 * GIB,
        },
    },
    // 13 086 (Node 20) and 13 089 (Node 22) i32 memories, shared or not, any maximum.
    Profile {
        engine: Engine::NodeV8Before13_6,
        measured_on: "Node 20.20.2 (V8 11.3), Node 22.23.3 (V8 12.4)",
        i32_bytes: Some(10 * GIB),
        i64_bytes: None,
        shared_pool: None,
        i64_counts: true,
        limit: Limit::Bytes {
            space: 128 * TIB,
            taken: 200 * GIB,
        },
    },
    // 16 361 to 16 368 i32 memories and 8 172 to 8 175 i64 ones.
    Profile {
        engine: Engine::NodeV8,
        measured_on: "Node 24 (V8 13.6), Node 26 (V8 14.6)",
        i32_bytes: Some(8 * GIB),
        i64_bytes: Some(16 * GIB),
        shared_pool: None,
        i64_counts: true,
        limit: Limit::Bytes {
            space: 128 * TIB,
            taken: 160 * GIB,
        },
    },
    // 999 i32 memories (shared or not, any maximum) in a fresh worker; i64 ones: no limit
    // within 20 000.
    Profile {
        engine: Engine::Firefox,
        measured_on: "Firefox 153.8.0",
        i32_bytes: Some(4 * GIB + 32 * (1 << 20) + PAGE_BYTES),
        i64_bytes: None,
        shared_pool: None,
        i64_counts: false,
        limit: Limit::Count { memories: 999 },
    },
    // Non-shared memories: no limit within 20 000. Shared ones, each probe in a fresh page: 502
    // of 1 024 pages, 253 of 2 048, 131 of 4 096, 64 of 8 192 (their maxima add up to 32 GiB),
    // then 39 of 16 384, 23 of 32 768 and 15 of 65 536: 7 more than the pool holds. With the
    // package loaded first, 34 to 37 of 16 384 (across runs) and 13 or 14 of 65 536: its own
    // heap (a memory its module defines) takes 2 to 5 GiB of the pool, modelled as 3.
    Profile {
        engine: Engine::WebKit,
        measured_on: "WebKitGTK 2.50.6",
        i32_bytes: None,
        i64_bytes: None,
        shared_pool: Some(SharedPool {
            bytes: 32 * GIB,
            own_heap: 3 * GIB,
            large_pages: 16_384,
            large_extra: 7,
        }),
        i64_counts: true,
        limit: Limit::Unknown,
    },
];

/// The pool JavaScriptCore's shared memories reserve their maximum from (see [`PROFILES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedPool {
    /// Bytes of declared maxima the pool holds.
    pub bytes: u64,
    /// What the polyfill's own heap takes of it.
    pub own_heap: u64,
    /// The maximum, in pages, from which a shared memory is "large".
    pub large_pages: u64,
    /// How many large shared memories are granted beyond the pool.
    pub large_extra: u64,
}

impl Profile {
    /// Bytes a memory of type `ty` reserves, if known. `maximum_known`: whether `ty.maximum`
    /// is the maximum the engine was given (false for a memory a module we never read exports).
    pub fn reserved(&self, ty: &MemoryType, maximum_known: bool) -> Option<u64> {
        if ty.shared && self.shared_pool.is_some() {
            let max = ty.maximum.filter(|_| maximum_known)?;
            return max.checked_mul(PAGE_BYTES);
        }
        match ty.address {
            AddressType::I32 => self.i32_bytes,
            AddressType::I64 => self.i64_bytes,
        }
    }

    /// Whether a memory of type `ty` counts against a [`Limit::Count`].
    fn counts(&self, ty: &MemoryType) -> bool {
        ty.address == AddressType::I32 || self.i64_counts
    }

    /// What the engine is expected to still grant memories of type `ty`, given the live ones
    /// (`(type, maximum known)`, the polyfill's own heap among them): `None` where no limit is
    /// known, or what `ty` reserves is unknown.
    pub fn headroom<'a>(
        &self,
        ty: &MemoryType,
        live: impl Iterator<Item = (&'a MemoryType, bool)>,
    ) -> Option<Headroom> {
        let each = self.reserved(ty, true)?;
        if let (true, Some(pool)) = (ty.shared, self.shared_pool) {
            return pool.headroom(ty, each, live);
        }
        match self.limit {
            Limit::Bytes { space, taken } => {
                let mut used = taken;
                for (t, known) in live {
                    // A live memory whose reservation is unknown: the model can't tell.
                    used = used.saturating_add(self.reserved(t, known)?);
                }
                let bytes = space.saturating_sub(used);
                Some(Headroom {
                    memories: bytes.checked_div(each).unwrap_or(0),
                    bytes,
                })
            }
            Limit::Count { memories } => {
                if !self.counts(ty) {
                    return None;
                }
                let counted = live.filter(|(t, _)| self.counts(t)).count() as u64;
                let left = memories.saturating_sub(counted);
                Some(Headroom {
                    memories: left,
                    bytes: left.saturating_mul(each),
                })
            }
            Limit::Unknown => None,
        }
    }
}

impl SharedPool {
    /// Shared memories of type `ty` (each reserving `each` bytes) still granted: the large
    /// live ones take the extra places first, every other one its maximum from the pool.
    fn headroom<'a>(
        &self,
        ty: &MemoryType,
        each: u64,
        live: impl Iterator<Item = (&'a MemoryType, bool)>,
    ) -> Option<Headroom> {
        let large = |t: &MemoryType| t.maximum.is_some_and(|m| m >= self.large_pages);
        let mut used = self.own_heap;
        let mut extra = self.large_extra;
        for (t, known) in live.filter(|(t, _)| t.shared) {
            if large(t) && extra > 0 {
                extra -= 1;
                continue;
            }
            let max = t.maximum.filter(|_| known)?;
            used = used.saturating_add(max.saturating_mul(PAGE_BYTES));
        }
        let bytes = self.bytes.saturating_sub(used);
        let mut memories = bytes.checked_div(each).unwrap_or(u64::MAX);
        if large(ty) {
            memories = memories.saturating_add(extra);
        }
        Some(Headroom { memories, bytes })
    }
}

/// What an engine is expected to still grant ([`Profile::headroom`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headroom {
    /// Memories of the type asked about.
    pub memories: u64,
    /// Bytes of address space (for a count limit: the memories left times what one reserves).
    pub bytes: u64,
}

/// The type of the memory `headroom` is reported for when no type is asked about: an i32
/// memory of one page, neither shared nor with a maximum.
pub const DEFAULT_TYPE: MemoryType = MemoryType {
    address: AddressType::I32,
    minimum: 1,
    maximum: None,
    shared: false,
};

/// The `reservedBytes` budget's verdict on `what` (a construction, a module's memory) that would
/// reserve `adding` bytes more than the `reserved` the live memories reserve now, under a budget
/// of `limit` bytes (`mode`: hard or soft, the budget's): the `budget` event to queue (none
/// while under it), and for a hard budget, the refusal.
pub fn check_reserved(
    limit: u64,
    mode: BudgetMode,
    reserved: u64,
    adding: u64,
    what: &str,
) -> (Option<Event>, Option<Error>) {
    let value = reserved.saturating_add(adding);
    if value <= limit || adding == 0 {
        return (None, None);
    }
    let refused = mode == BudgetMode::Hard;
    let event = Event::Budget {
        id: None,
        budget: BudgetField::ReservedBytes,
        limit,
        value,
        refused,
    };
    let error = refused.then(|| Error::OverBudget {
        what: what.to_string(),
        budget: BudgetField::ReservedBytes.as_str(),
        limit,
        detail: concat(&["it would make it ", &decimal(value)]),
    });
    (Some(event), error)
}
