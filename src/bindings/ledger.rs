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
use super::state::{on_collect, set_capture_stacks, with_ledger, with_listeners};
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
/// declared type when the module's bytes were seen (`tuple` from `export_types`).
pub fn adopt_exported(memory: &JsValue, tuple: &JsValue) {
    let (Ok(pages), Ok(shared)) = (js::pages_of(memory), js::is_shared(memory)) else {
        return; // not a memory after all: nothing to ledger
    };
    let pages = pages as u64;
    let declared = super::modules::type_from_tuple(tuple);
    let ty = MemoryType {
        minimum: pages,
        shared,
        ..declared.unwrap_or(MemoryType {
            address: AddressType::I32,
            minimum: pages,
            maximum: None,
            shared,
        })
    };
    let id = with_ledger(|l| {
        let id = l.commit_create(
            CreatePlan::adopted(ty, declared.is_some()),
            pages,
            None,
            Origin::Exported,
            js::now(),
            None,
        );
        // An engine-made memory can't be refused, but a budget it passes is still reported.
        l.report_over_budget(id);
        id
    });
    js::track(memory, id, &on_collect());
    dispatch();
}

/// Brings every record's size up to date from the engine.
fn refresh() {
    let sizes = js::read_sizes();
    with_ledger(|l| {
        for pair in sizes.chunks_exact(2) {
            l.observe(pair[0] as u32, pair[1] as u64);
        }
    });
    dispatch();
}

fn record_object(r: &Record) -> Object {
    let o = Object::new();
    set(&o, "id", r.id.into());
    set(
        &o,
        "label",
        r.label.as_deref().map_or(JsValue::NULL, JsValue::from_str),
    );
    set(&o, "address", r.ty.address.as_str().into());
    set(&o, "shared", r.ty.shared.into());
    set(&o, "pages", num(r.pages));
    set(&o, "bytes", num(r.pages * 65_536));
    set(&o, "peak", num(r.peak));
    set(&o, "grows", r.grows.into());
    set(
        &o,
        "maximum",
        if r.maximum_known {
            r.ty.maximum.map_or(JsValue::NULL, num)
        } else {
            JsValue::NULL
        },
    );
    set(
        &o,
        "requestedMaximum",
        r.requested_maximum.map_or(JsValue::NULL, num),
    );
    set(&o, "createdAt", r.created_ms.into());
    set(&o, "origin", r.origin.as_str().into());
    set(
        &o,
        "stack",
        r.stack.as_deref().map_or(JsValue::NULL, JsValue::from_str),
    );
    o
}

/// `ledger.snapshot()`: a plain, JSON-serialisable object of totals, budget and every live memory.
#[wasm_bindgen(js_name = ledgerSnapshot)]
pub fn snapshot() -> JsValue {
    refresh();
    let o = Object::new();
    let memories = Array::new();
    let (totals, budget) = with_ledger(|l| {
        for r in l.records() {
            memories.push(&record_object(r));
        }
        (l.totals(), l.budget())
    });
    set(&o, "live", num(totals.live));
    set(&o, "livePages", num(totals.live_pages));
    set(&o, "liveBytes", num(totals.live_pages * 65_536));
    set(&o, "peakTotalPages", num(totals.peak_total_pages));
    set(&o, "created", num(totals.created));
    set(&o, "collected", num(totals.collected));
    set(
        &o,
        "budget",
        budget.map_or(JsValue::NULL, |b| {
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
        }),
    );
    set(&o, "memories", memories.into());
    o.into()
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

fn optional_number(o: &JsValue, key: &str) -> Result<Option<f64>, Failure> {
    let v = Reflect::get(o, &JsValue::from_str(key))?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(x) => Ok(Some(x)),
        None => Err(bad(
            "setBudget",
            format!("{key} must be a number (got {})", js::describe(&v)),
            ErrorKind::Type,
        )),
    }
}

/// `ledger.setBudget({ totalPages?, perMemoryPages?, memories?, mode? })`, or `null` to remove it.
#[wasm_bindgen(js_name = ledgerSetBudget)]
pub fn set_budget(budget: JsValue) -> Result<(), JsValue> {
    if budget.is_undefined() || budget.is_null() {
        with_ledger(|l| l.set_budget(None));
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
    let total = optional_number(&budget, "totalPages")?;
    let per = optional_number(&budget, "perMemoryPages")?;
    let memories = optional_number(&budget, "memories")?;
    let mode_value = Reflect::get(&budget, &JsValue::from_str("mode"))?;
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
    let off = Closure::<dyn Fn() -> bool>::new(move || with_listeners(|l| l.remove(token)));
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

/// `ledger.options({ captureStacks })`.
#[wasm_bindgen(js_name = ledgerOptions)]
pub fn options(options: JsValue) -> Result<(), JsValue> {
    let v = Reflect::get(&options, &JsValue::from_str("captureStacks"))?;
    if !v.is_undefined() {
        set_capture_stacks(v.is_truthy());
    }
    Ok(())
}

/// The ledger id of a memory, or -1 (for tools and tests).
#[wasm_bindgen(js_name = ledgerIdOf)]
pub fn id_of(memory: JsValue) -> i32 {
    js::id_of(&memory)
}
