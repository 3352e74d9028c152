//! The ledger as JS reads it: snapshot rows, the budget, labels. Everything handed out is a fresh
//! copy: nothing returned here is a view of the module's own linear memory, so no user object
//! can reach the polyfill's heap.

use alloc::vec::Vec;

use js_sys::{Array, Float64Array, Object, Reflect};
use wasm_bindgen::JsValue;

use super::errors::Failure;
use super::state::{snapshot_rows, with_ledger, with_realms};
use super::values::{describe, label};
use crate::core::{
    parse_budget, parse_count, AddressType, BudgetField, BudgetMode, Error, Field, LabelSite,
    Origin, Record, EXPORT_SECTION, HEARTBEAT_MS, I64_MAXIMUM_PAGES, IMPORT_SECTION, MAX_LABEL,
    MEMORY_SECTION, NAME_SECTION_BYTES, PAGE_BYTES,
};

/// The columns of a snapshot row, in order: the one definition of the layout, which the JS
/// entry reads by name through [`layout`].
pub const COLUMNS: [&str; 12] = [
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
];

fn row(r: &Record, out: &mut Vec<f64>) {
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
    ]);
}

fn set(o: &Object, k: &str, v: JsValue) {
    // Our own fresh plain object: defining a property cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(k), &v);
}

/// The descriptor members and arguments error messages name, by the code JS passes.
pub const FIELDS: [Field; 3] = [Field::Initial, Field::Maximum, Field::Delta];

/// `{ pageBytes, columns: { id: 0, ... }, rowLength, fields: { initial: 0, ... }, origins,
/// nameBytes, maxText, madeHere, heartbeatMs, realmTotals, appTotals }`: the layouts and
/// constants the JS entry reads by name. `nameBytes`: the most bytes of a "name" section it copies in; `maxText`: the longest text
/// (label, definedBy) kept.
pub fn layout() -> JsValue {
    let o = Object::new();
    set(&o, "pageBytes", JsValue::from_f64(PAGE_BYTES as f64));
    set(
        &o,
        "i64MaximumPages",
        JsValue::from_f64(I64_MAXIMUM_PAGES as f64),
    );
    // The sections the JS entry copies out of a module's bytes for the core to read.
    let sections = [IMPORT_SECTION, MEMORY_SECTION, EXPORT_SECTION];
    let ids: Array = sections.iter().map(|&id| JsValue::from(id)).collect();
    set(&o, "typeSections", ids.into());
    set(&o, "memorySection", MEMORY_SECTION.into());
    set(&o, "nameBytes", JsValue::from(NAME_SECTION_BYTES as u32));
    set(&o, "maxText", JsValue::from(MAX_LABEL));
    let columns = Object::new();
    for (i, name) in COLUMNS.iter().enumerate() {
        set(&columns, name, JsValue::from(i as u32));
    }
    set(&o, "columns", columns.into());
    set(&o, "rowLength", JsValue::from(COLUMNS.len() as u32));
    let fields = Object::new();
    for (code, f) in FIELDS.iter().enumerate() {
        set(&fields, f.as_str(), JsValue::from(code as u32));
    }
    set(&o, "fields", fields.into());
    let origins: Array = Origin::ALL
        .iter()
        .map(|o| JsValue::from_str(o.as_str()))
        .collect();
    set(&o, "origins", origins.into());
    // Per origin, whether the app-wide view counts such a record (else it lists it as received).
    let made: Array = Origin::ALL
        .iter()
        .map(|o| JsValue::from_bool(o.made_here()))
        .collect();
    set(&o, "madeHere", made.into());
    set(&o, "heartbeatMs", JsValue::from_f64(HEARTBEAT_MS));
    let names = |list: &[&str]| -> JsValue {
        list.iter()
            .map(|k| JsValue::from_str(k))
            .collect::<Array>()
            .into()
    };
    // A module's reading: the answer's header, its rows and its statuses, each by name.
    let module = Object::new();
    let indices = |list: &[&str]| -> JsValue {
        let o = Object::new();
        for (i, name) in list.iter().enumerate() {
            set(&o, name, JsValue::from(i as u32));
        }
        o.into()
    };
    set(&module, "header", indices(&super::modules::HEADER));
    set(&module, "exportRow", indices(&super::modules::EXPORT_ROW));
    set(&module, "importRow", indices(&super::modules::IMPORT_ROW));
    set(&module, "status", indices(&super::modules::STATUSES));
    set(&o, "module", module.into());
    set(&o, "realmTotals", names(&super::realms::TOTALS));
    set(&o, "appTotals", names(&super::realms::APP_TOTALS));
    o.into()
}

/// `[rows, strings, totals, budget]` for `ledger.snapshot()`: one Float64Array of
/// [`COLUMNS`] per record (reused by the next call: read it before calling again),
/// `[rowIndex, label, stack, definedBy]` quadruples for the records that have strings, `[live, livePages, peakTotalPages, created, collected]`, and the budget (or null).
pub fn snapshot() -> Array {
    let strings = Array::new();
    let app_pages = with_realms(|r| r.app_budget());
    let (rows, totals, budget) = with_ledger(|l| {
        let mut rows = Vec::with_capacity(l.records().len() * COLUMNS.len());
        for (i, r) in l.records().iter().enumerate() {
            row(r, &mut rows);
            let texts = [&r.label, &r.stack, &r.defined_by];
            if texts.iter().any(|t| t.is_some()) {
                strings.push(&JsValue::from(i as u32));
                for t in texts {
                    strings.push(&t.as_deref().map_or(JsValue::NULL, JsValue::from_str));
                }
            }
        }
        (rows, l.totals(), l.budget())
    });
    let t = [
        totals.live as f64,
        totals.live_pages as f64,
        totals.peak_total_pages as f64,
        totals.created as f64,
        totals.collected as f64,
    ];
    let num = |n: Option<u64>| n.map_or(JsValue::NULL, |x| JsValue::from_f64(x as f64));
    let budget = if budget.is_none() && app_pages.is_none() {
        JsValue::NULL
    } else {
        let o = Object::new();
        set(&o, "totalPages", num(budget.and_then(|b| b.total_pages)));
        set(
            &o,
            "perMemoryPages",
            num(budget.and_then(|b| b.per_memory_pages)),
        );
        set(&o, "memories", num(budget.and_then(|b| b.memories)));
        // `appPages` alone sets no budget in this realm, and is only ever reported: "soft".
        let hard = budget.is_some_and(|b| b.mode == BudgetMode::Hard);
        set(&o, "mode", if hard { "hard" } else { "soft" }.into());
        set(&o, "appPages", num(app_pages));
        o.into()
    };
    // The rows are copied out of linear memory (JS never holds a view of the polyfill's heap)
    // into one Float64Array kept for the next snapshot: a fresh one per call is a megabyte for
    // 10 000 memories, and allocating it (fresh pages) costs V8 more than the copy. The JS entry
    // reads it at once and never hands it out.
    let len = rows.len() as u32;
    let all = snapshot_rows(len, |len| {
        Float64Array::new_with_length(len.max(1024).next_power_of_two())
    });
    let rows_out = all.subarray(0, len);
    rows_out.copy_from(&rows);
    Array::of4(
        &rows_out.into(),
        &strings,
        &Float64Array::from(&t[..]).into(),
        &budget,
    )
}

/// `ledger.snapshotArray()`: `[id, pages, peak, grows, shared (0|1), address (32|64)]` per live
/// memory, row after row, in a fresh Float64Array.
pub fn snapshot_array() -> Float64Array {
    let rows: Vec<f64> = with_ledger(|l| {
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
    });
    Float64Array::from(rows.as_slice())
}

fn optional_number(v: &JsValue, field: &'static str) -> Result<Option<f64>, Error> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_f64()
        .map(Some)
        .ok_or_else(|| Error::BudgetNotNumber(field, describe(v)))
}

/// `ledger.setBudget(budget)` with its members read by JS. Returns whether a budget is now in
/// force. A budget the live memories already pass is accepted and reported.
pub fn set_budget(
    budget: &JsValue,
    total: &JsValue,
    per: &JsValue,
    memories: &JsValue,
    mode: &JsValue,
    app: &JsValue,
) -> Result<bool, Failure> {
    if budget.is_undefined() || budget.is_null() {
        with_ledger(|l| l.set_budget(None));
        with_realms(|r| r.set_app_budget(None));
        return Ok(false);
    }
    if !budget.is_object() {
        return Err(Error::BudgetNotObject(describe(budget)).into());
    }
    let total = optional_number(total, "totalPages")?;
    let per = optional_number(per, "perMemoryPages")?;
    let memories = optional_number(memories, "memories")?;
    let app = optional_number(app, "appPages")?;
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
    // `appPages` alone sets no budget in this realm: it is app-wide, and only ever reported.
    let realm = app.is_none() || total.is_some() || per.is_some() || memories.is_some();
    with_ledger(|l| l.set_budget(realm.then_some(parsed)));
    with_realms(|r| r.set_app_budget(app));
    Ok(realm)
}

/// `ledger.label(memory, label)` for the memory with ledger `id` (-1: not in the ledger).
pub fn set_label(id: i32, value: &JsValue) -> Result<(), Failure> {
    let value = label(value, LabelSite::Ledger)?;
    let found = u32::try_from(id)
        .ok()
        .is_some_and(|id| with_ledger(|l| l.set_label(id, value)));
    if found {
        Ok(())
    } else {
        Err(Error::NotInLedger.into())
    }
}
