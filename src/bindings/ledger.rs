//! The ledger as JS reads it: snapshot rows, the budget, labels. Everything handed out is numbers
//! or text (a snapshot's rows JS reads in place, through a view of this module's memory it never
//! hands to anyone: no user object can reach the polyfill's heap), and JS builds the objects:
//! nothing here calls into JS while it holds the ledger.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use super::core_class::Core;
use super::errors::{answer, js_error, Failure};
use super::state::{self, with_ledger, with_realms};
use super::values::{describe, label};
use crate::rules::{
    parse_budget, parse_count, AddressType, BudgetField, BudgetMode, Error, Event, Headroom,
    LabelSite, Ledger, MemoryType, Profile, Realms, Record, DEFAULT_INTERVAL_MS, DEFAULT_TYPE,
};

/// The columns of a snapshot row, in order: the one definition of the layout, which the JS
/// entry reads by name through [`layout`].
pub const COLUMNS: [&str; 13] = [
    "id",
    "pages",
    "peak",
    "grows",
    "shared",
    "is64",
    "maximum",
    "requestedMaximum",
    "createdAt",
    "origin",
    "bounded",
    "instances",
    "reserved",
];

fn row(r: &Record, profile: Option<&Profile>, out: &mut Vec<f64>) {
    // -1 stands for "none" in the numeric columns.
    let opt = |v: Option<u64>| v.map_or(-1.0, |x| x as f64);
    let flag = |b: bool| f64::from(u8::from(b));
    out.extend_from_slice(&[
        f64::from(r.id),
        r.pages as f64,
        r.peak as f64,
        f64::from(r.grows),
        flag(r.ty.shared),
        flag(r.ty.address == AddressType::I64),
        if r.maximum_known {
            opt(r.ty.maximum)
        } else {
            -1.0
        },
        opt(r.requested_maximum),
        r.created_ms,
        f64::from(r.origin.code()),
        flag(r.bounded),
        f64::from(r.instances),
        opt(profile.and_then(|p| p.reserved(&r.ty, r.maximum_known))),
    ]);
}

#[wasm_bindgen]
impl Core {
    /// `ledger.headroom(type)`: `[memories, bytes]` the engine is expected to still grant
    /// memories of this type in this realm, or `[]` where no limit is known. `maximum`: pages,
    /// -1 for none.
    pub fn headroom(is64: bool, shared: bool, maximum: f64) -> Vec<f64> {
        let ty = MemoryType {
            address: super::memory::address(is64),
            minimum: 1,
            // Saturating casts: NaN is 0, anything larger the largest.
            maximum: (maximum >= 0.0).then_some(maximum as u64),
            shared,
        };
        with_ledger(|l| headroom(l, &ty))
            .map_or_else(Vec::new, |h| alloc::vec![h.memories as f64, h.bytes as f64])
    }

    /// Makes room for `pairs` sizes in the snapshot's input (see [`snapshot_input`]).
    #[wasm_bindgen(js_name = snapshotInput)]
    pub fn snapshot_input(pairs: u32) -> u32 {
        snapshot_input(pairs)
    }

    /// Takes `pairs` sizes from the input and writes a snapshot's numbers in place; returns
    /// where they start (see [`snapshot_rows`]).
    #[wasm_bindgen(js_name = snapshotRows)]
    pub fn snapshot_rows(pairs: u32) -> u32 {
        snapshot_rows(pairs)
    }

    /// The texts of the last snapshot, one after the other.
    #[wasm_bindgen(js_name = snapshotTexts)]
    pub fn snapshot_texts() -> String {
        snapshot_texts()
    }

    /// `ledger.snapshotArray()`.
    #[wasm_bindgen(js_name = snapshotArray)]
    pub fn snapshot_array() -> Vec<f64> {
        snapshot_array()
    }

    /// `ledger.setBudget()` with its members read by JS; returns the budget in force in this
    /// realm: 0 none, 1 soft, 2 hard (`appPages` is app-wide and only reported). One number, so
    /// JS learns both at once.
    #[wasm_bindgen(js_name = setBudget)]
    pub fn set_budget(
        budget: JsValue,
        total: JsValue,
        per: JsValue,
        memories: JsValue,
        mode: JsValue,
        app: JsValue,
        reserved: JsValue,
    ) -> f64 {
        answer(|| {
            let members = BudgetMembers {
                total,
                per,
                memories,
                mode,
                app,
                reserved,
            };
            set_budget(&budget, &members)?;
            Ok(with_ledger(|l| match l.budget() {
                None => 0u8,
                Some(b) if b.mode == BudgetMode::Hard => 2,
                Some(_) => 1,
            }))
        })
    }

    /// Whether a hard budget is in force (the compile hooks rewrite modules only then).
    #[wasm_bindgen(js_name = hardBudget)]
    pub fn hard_budget() -> bool {
        with_ledger(|l| l.budget().is_some_and(|b| b.mode == BudgetMode::Hard))
    }

    /// A number that changes whenever a snapshot would (lets `share()` skip unchanged states).
    #[wasm_bindgen(js_name = ledgerVersion)]
    pub fn ledger_version() -> f64 {
        with_ledger(|l| l.version() as f64)
    }

    /// `ledger.label(memory, label)` for the memory with ledger `id` (-1: not in the ledger).
    pub fn label(id: i32, label_value: JsValue) -> f64 {
        answer(|| {
            let value = label(&label_value, LabelSite::Ledger).map_err(js_error)?;
            let found = u32::try_from(id)
                .ok()
                .is_some_and(|id| with_ledger(|l| l.set_label(id, value)));
            if found {
                Ok(())
            } else {
                Err(js_error(Error::NotInLedger))
            }
        })
    }

    /// Checks `ledger.watch({ interval })`; returns the interval in milliseconds.
    #[wasm_bindgen(js_name = checkInterval)]
    pub fn check_interval(interval: JsValue) -> f64 {
        answer(|| {
            if interval.is_undefined() {
                return Ok(DEFAULT_INTERVAL_MS);
            }
            match interval.as_f64() {
                Some(x) if Realms::valid_interval(x) => Ok(x),
                _ => Err(js_error(Error::WatchInterval(describe(&interval)))),
            }
        })
    }
}

/// What the engine is expected to still grant memories of type `ty` in this realm
/// ([`Profile::headroom`]): the live memories made here count, and the polyfill's own heap (a
/// memory too, of [`DEFAULT_TYPE`]'s kind). `None` where the engine has no profile or the model
/// knows no limit.
pub fn headroom(l: &Ledger, ty: &MemoryType) -> Option<Headroom> {
    let profile = state::engine().profile()?;
    let own = core::iter::once((&DEFAULT_TYPE, true));
    let live = l
        .records()
        .iter()
        .filter(|r| r.origin.made_here())
        .map(|r| (&r.ty, r.maximum_known));
    profile.headroom(ty, live.chain(own))
}

/// The `reservedBytes` budget on a construction of type `ty` (the type the engine is to be
/// given): past it, a `budget` event is queued, and under a hard budget the construction is
/// refused. Nothing is checked where the engine has no profile or `ty`'s reservation is unknown.
pub fn check_reserved(l: &mut Ledger, ty: &MemoryType, what: &str) -> Result<(), Error> {
    let Some((event, error)) = reserved_verdict(l, ty, what) else {
        return Ok(());
    };
    if let Some(e) = event {
        l.report(e);
    }
    error.map_or(Ok(()), Err)
}

/// Reports (never refuses) a memory of type `ty` the engine has made already (an instance's)
/// that passes the `reservedBytes` budget: a `budget` event with `refused: false`, hard or soft.
pub fn report_reserved_passed(l: &mut Ledger, ty: &MemoryType, what: &str) {
    if let Some((Some(mut event), _)) = reserved_verdict(l, ty, what) {
        if let Event::Budget { refused, .. } = &mut event {
            *refused = false;
        }
        l.report(event);
    }
}

/// Whether a hard `reservedBytes` budget refuses a memory of type `ty` now (nothing reported:
/// the compile hooks ask first, see [`super::modules`]).
pub fn reserved_refuses(l: &Ledger, ty: &MemoryType) -> bool {
    reserved_verdict(l, ty, "").is_some_and(|(_, error)| error.is_some())
}

/// [`crate::rules::check_reserved`] with this realm's budget, engine profile and live memories;
/// `None` where there is no such budget or the model doesn't know the reservations.
fn reserved_verdict(
    l: &Ledger,
    ty: &MemoryType,
    what: &str,
) -> Option<(Option<Event>, Option<Error>)> {
    let (limit, budget) = (state::reserved_budget()?, l.budget()?);
    let profile = state::engine().profile()?;
    let (adding, now) = (profile.reserved(ty, true)?, reserved_bytes(l)?);
    Some(crate::rules::check_reserved(
        limit,
        budget.mode,
        now,
        adding,
        what,
    ))
}

/// Bytes reserved by the live memories made here whose reservation the model knows (`None`
/// where the engine has no profile).
pub fn reserved_bytes(l: &Ledger) -> Option<u64> {
    let profile = state::engine().profile()?;
    Some(
        l.records()
            .iter()
            .filter(|r| r.origin.made_here())
            .filter_map(|r| profile.reserved(&r.ty, r.maximum_known))
            .fold(0u64, u64::saturating_add),
    )
}

/// The totals that open a snapshot, in order (after them: the budget, see [`snapshot_rows`]).
pub const TOTALS: [&str; 8] = [
    "live",
    "livePages",
    "peakTotalPages",
    "created",
    "collected",
    "reservedBytes",
    "headroomMemories",
    "headroomBytes",
];

/// The budget's numbers in a snapshot, in order: `has` (0: none, and the rest is -1), then the
/// limits (-1: not set) and `hard` (0|1).
pub const BUDGET: [&str; 7] = [
    "has",
    "totalPages",
    "perMemoryPages",
    "memories",
    "hard",
    "appPages",
    "reservedBytes",
];

/// Makes the snapshot's input room for `pairs` `[id, pages]` pairs (sizes JS reads from the
/// engine and writes in place, through its own view of this module's memory); returns where it
/// starts, counted in f64s from address 0. The room stays until a larger one is asked for.
pub fn snapshot_input(pairs: u32) -> u32 {
    state::with_snapshot_io(|io| {
        io.sizes.clear();
        io.sizes.resize(pairs as usize * 2, 0.0);
        io.sizes.as_ptr() as u32 / 8
    })
}

/// `ledger.snapshot()`'s numbers, in one call: first the ledger takes the first `pairs` sizes of
/// the input ([`snapshot_input`]: what changed since they were last sent), then the answer is
/// written in place and where it starts (in f64s from address 0) returned; JS reads it through
/// its view of this module's memory, with no copy, before its next call into the core. The
/// answer: the [`TOTALS`], the [`BUDGET`], the number of rows, a row of [`COLUMNS`] per record,
/// the number of records with texts, and for each `[rowIndex, label, stack, definedBy]`, each
/// text as its length in UTF-16 code units (-1: none). The texts themselves, one after the
/// other, are [`snapshot_texts`]'s (JS calls it next, only when there are any).
pub fn snapshot_rows(pairs: u32) -> u32 {
    state::with_room(state::Room::Deep, || {
        let app_pages = with_realms(|r| r.app_budget());
        let texts = state::with_snapshot_io(|io| {
            let state::SnapshotIo { sizes, rows } = io;
            let n = (pairs as usize * 2).min(sizes.len());
            with_ledger(|l| {
                for pair in sizes[..n].chunks_exact(2) {
                    l.observe(pair[0] as u32, pair[1] as u64);
                }
                write_snapshot(l, app_pages, rows)
            })
        });
        state::put_texts(texts);
        state::with_snapshot_io(|io| io.rows.as_ptr() as u32 / 8)
    })
}

/// Writes a snapshot's numbers into `out` (see [`snapshot_rows`]); returns its texts.
fn write_snapshot(l: &Ledger, app_pages: Option<u64>, out: &mut Vec<f64>) -> String {
    let records = l.records();
    out.clear();
    out.reserve(TOTALS.len() + BUDGET.len() + 2 + records.len() * COLUMNS.len());
    let t = l.totals();
    out.extend_from_slice(&[
        t.live as f64,
        t.live_pages as f64,
        t.peak_total_pages as f64,
        t.created as f64,
        t.collected as f64,
    ]);
    let num = |n: Option<u64>| n.map_or(-1.0, |x| x as f64);
    let room = headroom(l, &DEFAULT_TYPE);
    out.extend_from_slice(&[
        num(reserved_bytes(l)),
        num(room.map(|h| h.memories)),
        num(room.map(|h| h.bytes)),
    ]);
    let budget = l.budget();
    if budget.is_none() && app_pages.is_none() {
        out.extend_from_slice(&[0.0, -1.0, -1.0, -1.0, 0.0, -1.0, -1.0]);
    } else {
        // `appPages` alone sets no budget in this realm, and is only ever reported: "soft".
        let hard = budget.is_some_and(|b| b.mode == BudgetMode::Hard);
        out.extend_from_slice(&[
            1.0,
            num(budget.and_then(|b| b.total_pages)),
            num(budget.and_then(|b| b.per_memory_pages)),
            num(budget.and_then(|b| b.memories)),
            f64::from(u8::from(hard)),
            num(app_pages),
            num(state::reserved_budget()),
        ]);
    }
    out.push(records.len() as f64);
    let mut texts = String::new();
    let marks_at = out.len() + records.len() * COLUMNS.len();
    let profile = state::engine().profile();
    for r in records {
        row(r, profile, out);
    }
    // The marks after the rows: a count, then four numbers per record that has a text.
    out.push(0.0);
    let mut with_text = 0.0;
    for (i, r) in records.iter().enumerate() {
        let fields = [&r.label, &r.stack, &r.defined_by];
        if fields.iter().any(|t| t.is_some()) {
            with_text += 1.0;
            out.push(i as f64);
            for t in fields {
                out.push(t.as_deref().map_or(-1.0, |s| {
                    texts.push_str(s);
                    s.encode_utf16().count() as f64
                }));
            }
        }
    }
    if let Some(count) = out.get_mut(marks_at) {
        *count = with_text;
    }
    texts
}

/// The texts of the last [`snapshot_rows`], one after the other (see there); taken, so a second call
/// gives "".
pub fn snapshot_texts() -> String {
    state::take_texts()
}

/// `ledger.snapshotArray()`: `[id, pages, peak, grows, shared (0|1), address (32|64)]` per live
/// memory, row after row.
pub fn snapshot_array() -> Vec<f64> {
    with_ledger(|l| {
        l.records()
            .iter()
            .flat_map(|r| {
                let bits = if r.ty.address == AddressType::I64 {
                    64.0
                } else {
                    32.0
                };
                [
                    f64::from(r.id),
                    r.pages as f64,
                    r.peak as f64,
                    f64::from(r.grows),
                    f64::from(u8::from(r.ty.shared)),
                    bits,
                ]
            })
            .collect()
    })
}

fn optional_number(v: &JsValue, field: &'static str) -> Result<Option<f64>, Error> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_f64()
        .map(Some)
        .ok_or_else(|| Error::BudgetNotNumber(field, describe(v)))
}

/// `ledger.setBudget(budget)`'s members, each read once by JS.
struct BudgetMembers {
    total: JsValue,
    per: JsValue,
    memories: JsValue,
    mode: JsValue,
    app: JsValue,
    reserved: JsValue,
}

/// `ledger.setBudget(budget)` with its members read by JS (`reservedBytes`: see
/// [`check_reserved`]). Returns whether a budget is now in force. A budget the live memories
/// already pass is accepted and reported.
fn set_budget(budget: &JsValue, members: &BudgetMembers) -> Result<bool, Failure> {
    let BudgetMembers {
        total,
        per,
        memories,
        mode,
        app,
        reserved,
    } = members;
    if budget.is_undefined() || budget.is_null() {
        with_ledger(|l| l.set_budget(None));
        with_realms(|r| r.set_app_budget(None));
        state::set_reserved_budget(None);
        return Ok(false);
    }
    if !budget.is_object() {
        return Err(Error::BudgetNotObject(describe(budget)).into());
    }
    let total = optional_number(total, "totalPages")?;
    let per = optional_number(per, "perMemoryPages")?;
    let memories = optional_number(memories, "memories")?;
    let app = optional_number(app, "appPages")?;
    let reserved = optional_number(reserved, "reservedBytes")?;
    let mode = if mode.is_undefined() {
        None
    } else {
        Some(
            mode.as_string()
                .ok_or_else(|| Error::BudgetMode(describe(mode)))?,
        )
    };
    let text = &super::values::number_text;
    let parsed = parse_budget(total, per, memories, mode.as_deref(), text)?;
    let app = parse_count(BudgetField::AppPages, app, text)?;
    let reserved = parse_count(BudgetField::ReservedBytes, reserved, text)?;
    // `appPages` alone sets no budget in this realm: it is app-wide, and only ever reported.
    let realm = app.is_none()
        || total.is_some()
        || per.is_some()
        || memories.is_some()
        || reserved.is_some();
    with_ledger(|l| l.set_budget(realm.then_some(parsed)));
    state::set_reserved_budget(reserved);
    with_realms(|r| r.set_app_budget(app));
    Ok(realm)
}
