//! The ledger as JS sees it: `snapshot()`, `setBudget()`, `on()`, `label()`, `options()`.
//!
//! Everything handed out is a fresh copy: nothing returned here is a view of the module's own
//! linear memory, so no user object can reach the polyfill's heap.

use js_sys::{Array, Float64Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::descriptor::label_value;
use super::errors::Failure;
use super::events::{dispatch, Kind};
use super::js;
use super::state::{set_capture_stacks, with_ledger, with_listeners};
use crate::core::{
    parse_budget, AddressType, BudgetMode, CreatePlan, Error, ErrorKind, MemoryType, Origin, Record,
};

fn set(o: &Object, k: &str, v: JsValue) {
    // Our own fresh plain object: defining a property cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(k), &v);
}

fn num(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

fn bad(call: &'static str, message: String, kind: ErrorKind) -> Failure {
    Failure::Core(Error::BadLedgerArgument {
        call,
        message,
        kind,
    })
}

/// Enters a memory a module exported (seen by the instantiate hooks of `install()`), with its
/// declared type when the module's bytes were seen (`tuple` from `export_types`). Returns its id.
pub fn adopt_exported(pages: f64, shared: bool, tuple: &JsValue, created: f64) -> u32 {
    let pages = pages as u64;
    let declared = super::modules::type_from_tuple(tuple);
    let fallback = MemoryType {
        address: AddressType::I32,
        minimum: pages,
        maximum: None,
        shared,
    };
    let (declared_ty, maximum_known) = declared.unwrap_or((fallback, false));
    let ty = MemoryType {
        minimum: pages,
        shared,
        ..declared_ty
    };
    let id = with_ledger(|l| {
        let id = l.commit_create(
            CreatePlan::adopted(ty, maximum_known),
            pages,
            None,
            Origin::Exported,
            created,
            None,
        );
        // An engine-made memory can't be refused, but a budget it passes is still reported.
        l.report_over_budget(id);
        id
    });
    dispatch();
    id
}

/// Brings every record's size up to date from the engine.
pub fn refresh() {
    let sizes = js::read_sizes();
    with_ledger(|l| {
        for pair in sizes.chunks_exact(2) {
            l.observe(pair[0] as u32, pair[1] as u64);
        }
    });
    dispatch();
}

/// Numbers per record in the rows handed to `buildSnapshot` (js/api.js).
const ROW: usize = 10;

fn row(r: &Record, out: &mut Vec<f64>) {
    let opt = |v: Option<u64>| v.map_or(-1.0, |x| x as f64);
    out.extend_from_slice(&[
        f64::from(r.id),
        r.pages as f64,
        r.peak as f64,
        f64::from(r.grows),
        f64::from(u8::from(r.ty.shared)),
        f64::from(u8::from(r.ty.address == AddressType::I64)),
        if r.maximum_known {
            opt(r.ty.maximum)
        } else {
            -1.0
        },
        opt(r.requested_maximum),
        r.created_ms,
        f64::from(u8::from(r.origin == Origin::Exported)),
    ]);
}

/// `ledger.snapshot()`: a plain, JSON-serialisable object of totals, budget and every live memory.
///
/// The records go to JS as one `Float64Array` of numbers plus the few strings (labels, stacks),
/// and JS builds the objects: one boundary crossing for the ledger instead of one per field.
#[wasm_bindgen(js_name = ledgerSnapshot)]
pub fn snapshot() -> JsValue {
    refresh();
    let strings = Array::new();
    let (rows, totals, budget) = with_ledger(|l| {
        let mut rows = Vec::with_capacity(l.records().len() * ROW);
        for (i, r) in l.records().iter().enumerate() {
            row(r, &mut rows);
            if r.label.is_some() || r.stack.is_some() {
                strings.push(&JsValue::from(i as u32));
                strings.push(&r.label.as_deref().map_or(JsValue::NULL, JsValue::from_str));
                strings.push(&r.stack.as_deref().map_or(JsValue::NULL, JsValue::from_str));
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
    let budget = budget.map_or(JsValue::NULL, |b| {
        let bo = Object::new();
        set(&bo, "totalPages", b.total_pages.map_or(JsValue::NULL, num));
        set(
            &bo,
            "perMemoryPages",
            b.per_memory_pages.map_or(JsValue::NULL, num),
        );
        set(&bo, "memories", b.memories.map_or(JsValue::NULL, num));
        set(
            &bo,
            "mode",
            if b.mode == BudgetMode::Hard {
                "hard"
            } else {
                "soft"
            }
            .into(),
        );
        bo.into()
    });
    // `from` copies out of linear memory: JS never holds a view of the polyfill's heap.
    js::build_snapshot(
        &Float64Array::from(rows.as_slice()),
        &strings,
        &Float64Array::from(&t[..]),
        &budget,
    )
}

/// `ledger.snapshotArray()`: the cheap form for tools, one fresh `Float64Array` of
/// `[id, pages, peak, grows, shared (0|1), address (32|64)]` per live memory, row after row.
#[wasm_bindgen(js_name = ledgerSnapshotArray)]
pub fn snapshot_array() -> Float64Array {
    refresh();
    let rows: Vec<f64> = with_ledger(|l| {
        l.records()
            .iter()
            .flat_map(|r| {
                [
                    f64::from(r.id),
                    r.pages as f64,
                    r.peak as f64,
                    f64::from(r.grows),
                    f64::from(u8::from(r.ty.shared)),
                    if r.ty.address == AddressType::I64 {
                        64.0
                    } else {
                        32.0
                    },
                ]
            })
            .collect()
    });
    // `from` copies out of linear memory into a new JS-owned buffer.
    Float64Array::from(rows.as_slice())
}

fn optional_number(v: &JsValue, key: &str) -> Result<Option<f64>, Failure> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(x) => Ok(Some(x)),
        None => Err(bad(
            "setBudget",
            format!("{key} must be a number (got {})", js::describe(v)),
            ErrorKind::Type,
        )),
    }
}

/// `ledger.setBudget({ totalPages?, perMemoryPages?, memories?, mode? })`, or `null` to remove it.
///
/// The members are read by the JS entry (`js/surface.js`) and passed here already read, so a
/// getter that throws throws in JS and never crosses into wasm.
#[wasm_bindgen(js_name = ledgerSetBudget)]
pub fn set_budget(
    budget: JsValue,
    total: JsValue,
    per: JsValue,
    memories: JsValue,
    mode_value: JsValue,
) -> Result<(), JsValue> {
    if budget.is_undefined() || budget.is_null() {
        with_ledger(|l| l.set_budget(None));
        js::set_budgeted(false);
        return Ok(());
    }
    if !budget.is_object() {
        return Err(bad(
            "setBudget",
            format!(
                "the budget must be an object or null (got {})",
                js::describe(&budget)
            ),
            ErrorKind::Type,
        )
        .into());
    }
    let total = optional_number(&total, "totalPages")?;
    let per = optional_number(&per, "perMemoryPages")?;
    let memories = optional_number(&memories, "memories")?;
    let mode = if mode_value.is_undefined() {
        None
    } else {
        match mode_value.as_string() {
            Some(s) => Some(s),
            None => {
                return Err(bad(
                    "setBudget",
                    format!(
                        "mode must be \"hard\" or \"soft\" (got {})",
                        js::describe(&mode_value)
                    ),
                    ErrorKind::Type,
                )
                .into())
            }
        }
    };
    let parsed = parse_budget(
        total,
        per,
        memories,
        mode.as_deref(),
        &super::descriptor::number_text,
    )
    .map_err(Failure::Core)?;
    with_ledger(|l| l.set_budget(Some(parsed)));
    js::set_budgeted(true);
    Ok(())
}

/// `ledger.on(kind, listener)`: returns the function that unsubscribes.
#[wasm_bindgen(js_name = ledgerOn)]
pub fn on(kind: JsValue, listener: JsValue) -> Result<Function, JsValue> {
    let parsed = kind.as_string().as_deref().and_then(Kind::parse);
    let Some(kind) = parsed else {
        return Err(bad(
            "on",
            format!(
                "event must be \"create\", \"grow\", \"collect\" or \"budget\" (got {})",
                js::describe(&kind)
            ),
            ErrorKind::Type,
        )
        .into());
    };
    let Some(f) = listener.dyn_ref::<Function>() else {
        return Err(bad(
            "on",
            format!(
                "the listener must be a function (got {})",
                js::describe(&listener)
            ),
            ErrorKind::Type,
        )
        .into());
    };
    let token = with_listeners(|l| l.add(kind, f.clone()));
    with_ledger(|l| l.set_listening(true));
    js::set_listening(true);
    let off = Closure::<dyn Fn() -> bool>::new(move || {
        let (removed, any_left) = with_listeners(|l| (l.remove(token), !l.is_empty()));
        with_ledger(|l| l.set_listening(any_left));
        js::set_listening(any_left);
        removed
    });
    Ok(off.into_js_value().unchecked_into())
}

/// `ledger.label(memory, label)`: labels a ledgered memory (`null` clears it).
#[wasm_bindgen(js_name = ledgerLabel)]
pub fn label(memory: JsValue, label: JsValue) -> Result<(), JsValue> {
    let label = label_value(&label)?;
    let id = u32::try_from(js::id_of(&memory)).ok();
    let found = id.is_some_and(|id| with_ledger(|l| l.set_label(id, label)));
    if found {
        Ok(())
    } else {
        Err(bad(
            "label",
            "the first argument is not a memory in the ledger".into(),
            ErrorKind::Type,
        )
        .into())
    }
}

/// `ledger.options({ captureStacks })`: JS passes `captureStacks`.
#[wasm_bindgen(js_name = ledgerOptions)]
pub fn options(capture_stacks: JsValue) {
    // `options.captureStacks`, read by the JS entry.
    if !capture_stacks.is_undefined() {
        set_capture_stacks(capture_stacks.is_truthy());
    }
}

/// The ledger id of a memory, or -1 (for tools and tests).
#[wasm_bindgen(js_name = ledgerIdOf)]
pub fn id_of(memory: JsValue) -> i32 {
    js::id_of(&memory)
}
