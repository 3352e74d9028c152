//! Construction, `grow` and `type()`: the rules and the ledger's part of each, for i32 and i64
//! alike. The JS entry reads and converts the descriptor (it runs user code), calls [`plan_create`],
//! asks the engine, then calls [`commit_create`]: the ledger records a memory only once the engine
//! has made it, so a failed allocation leaves nothing to undo.

use alloc::{string::String, vec::Vec};

use wasm_bindgen::JsValue;

use super::errors::Failure;
use super::state::{ledger_quietly, memory64, with_ledger, with_ledger_light};
use super::values::{address_value, describe, label, to_u64, to_u64_opt};
use crate::core::{
    check_grow, AddressType, CreatePlan, Entry, Error, Field, LabelSite, MemoryType, Operation,
    Origin, RequestedType,
};

/// The address type of a memory: i64 when `is64`.
pub fn address(is64: bool) -> AddressType {
    if is64 {
        AddressType::I64
    } else {
        AddressType::I32
    }
}

/// Brings the ledger up to date with sizes read from the engine (`[id, pages, ...]`): under a
/// budget every request is checked against the true sizes, since code inside wasm grows
/// memories without telling anyone.
pub fn observe_sizes(sizes: &[f64]) {
    with_ledger(|l| {
        for pair in sizes.chunks_exact(2) {
            l.observe(pair[0] as u32, pair[1] as u64);
        }
    });
}

/// Everything a construction is checked against before the engine is asked: our options' label,
/// the JS API's rules in the spec's order, memory64 support, then the budget (with the current
/// sizes when one is in force). Returns the `maximum` to give the engine (`undefined` for none;
/// clamped under a hard budget).
#[allow(clippy::too_many_arguments)]
pub fn plan_create(
    is64: bool,
    initial: &JsValue,
    maximum: &JsValue,
    shared: bool,
    options: &JsValue,
    label_value: &JsValue,
    sizes: Option<Vec<f64>>,
) -> Result<JsValue, Failure> {
    check_options(options, label_value)?;
    let address = address(is64);
    let ty = RequestedType {
        address,
        initial: to_u64(initial, Field::Initial)?,
        maximum: to_u64_opt(maximum, Field::Maximum)?,
        shared,
    }
    .validate()?;
    if is64 && !memory64() {
        return Err(Error::NoMemory64.into());
    }
    if let Some(sizes) = sizes {
        observe_sizes(&sizes);
    }
    let plan = with_ledger_light(|l| l.plan_create(ty))?;
    if super::state::reserved_budget().is_some() {
        with_ledger(|l| super::ledger::check_reserved(l, &plan.ty, "construction"))?;
    }
    Ok(plan
        .ty
        .maximum
        .map_or(JsValue::UNDEFINED, |m| address_value(m, address)))
}

/// Our options (the constructor's second argument, which the native constructor ignores):
/// `undefined`/`null`, or an object whose `label` (read by JS) is a label.
fn check_options(options: &JsValue, label_value: &JsValue) -> Result<(), Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(());
    }
    if !options.is_object() && !options.is_function() {
        return Err(Error::OptionsNotObject(describe(options)));
    }
    label(label_value, LabelSite::Options).map(drop)
}

/// Enters a memory the engine has made under `id` (see `Ledger::next_id_at_least`); returns
/// its ledger id. `effective` is what
/// [`plan_create`] returned; `stack` the caller's line when stacks are captured.
#[allow(clippy::too_many_arguments)]
pub fn commit_create(
    id: u32,
    is64: bool,
    initial: &JsValue,
    maximum: &JsValue,
    effective: &JsValue,
    shared: bool,
    label_value: &JsValue,
    created: f64,
    stack: Option<String>,
) -> Result<u32, Failure> {
    let address = address(is64);
    let ty = MemoryType {
        address,
        minimum: to_u64(initial, Field::Initial)?,
        maximum: to_u64_opt(effective, Field::Maximum)?,
        shared,
    };
    let plan = CreatePlan {
        ty,
        requested_maximum: to_u64_opt(maximum, Field::Maximum)?,
        maximum_known: true,
        bounded: with_ledger_light(|l| {
            l.budget()
                .is_some_and(|b| b.mode == crate::core::BudgetMode::Hard)
        }),
    };
    let label = label(label_value, LabelSite::Options)?;
    Ok(with_ledger_light(|l| {
        l.next_id_at_least(id);
        l.commit_create(
            plan,
            ty.minimum,
            label,
            Origin::Constructed,
            created,
            stack,
            None,
        )
    }))
}

/// `grow(delta)` of ledgered memory `id`, now `pages` pages: its limits, then the budget (with
/// the current sizes of every memory when one is in force). The engine is asked only if this
/// passes.
pub fn plan_grow(
    id: u32,
    pages: f64,
    delta: &JsValue,
    sizes: Option<Vec<f64>>,
) -> Result<(), Failure> {
    let delta = to_u64(delta, Field::Delta)?;
    let current = pages as u64;
    if let Some(ty) = with_ledger_light(|l| l.get(id).map(|r| r.ty)) {
        check_grow(&ty, current, delta)?;
    }
    if let Some(sizes) = sizes {
        observe_sizes(&sizes);
    }
    Ok(with_ledger_light(|l| l.plan_grow(id, current, delta))?)
}

/// The engine's grow threw: our message for a grow past the maximum, else the engine's error
/// (allocation failure and the like) unchanged.
pub fn grow_error(id: u32, pages: f64, delta: &JsValue, engine: JsValue) -> JsValue {
    let Ok(delta) = to_u64(delta, Field::Delta) else {
        return engine;
    };
    let ty = with_ledger(|l| l.get(id).map(|r| r.ty));
    match ty.map(|ty| check_grow(&ty, pages as u64, delta)) {
        Some(Err(e)) => super::errors::js_error(e),
        _ => engine,
    }
}

/// `memory.type()`'s maximum (-1: none) for the memory with ledger id `id` (-1 for a memory
/// the polyfill never saw: an error), now `pages` pages (its `minimum`). JS builds the dictionary
/// (`{ address, maximum?, minimum, shared }`) with the address type and `shared` it tracks the
/// memory with (the ones the ledger was given). A number, not a list: nothing to allocate.
pub fn type_of(id: i32, pages: f64) -> Result<f64, Failure> {
    let pages = pages as u64;
    let ty = u32::try_from(id).ok().and_then(|id| {
        // Quiet (no stack room) when the size is as recorded, or grew quietly.
        let quiet = ledger_quietly(
            |l| {
                let r = l.get(id)?;
                let ty = r.maximum_known.then_some(r.ty);
                let resize = match r.pages == pages {
                    true => None,
                    false => Some(l.plan_quiet_resize(id, pages)?),
                };
                Some((resize, ty))
            },
            |l, (resize, ty)| {
                if let Some(r) = resize {
                    l.apply_quiet_resize(r);
                }
                ty
            },
        );
        quiet.unwrap_or_else(|| {
            with_ledger_light(|l| {
                l.observe(id, pages);
                l.get(id).filter(|r| r.maximum_known).map(|r| r.ty)
            })
        })
    });
    let ty = ty.ok_or(Error::UnknownMaximum)?;
    Ok(ty.maximum.map_or(-1.0, |m| m as f64))
}

/// Enters a memory a module exported (seen by `install()`'s instantiate hooks). `declared` is
/// its maximum as made and `requested` as the module declared it (page counts, -1 for none),
/// read only when `maximum_known`; `bounded` whether the compile hooks lowered it to a hard
/// budget; `defined_by` what the module's reading gave ([`super::modules::module_memories`]);
/// `instances` the instances holding it already (the one that exported it). Returns its id. An
/// engine-made memory can't be refused, but a budget it passes is reported.
#[allow(clippy::too_many_arguments)]
pub fn adopt(
    id: u32,
    pages: f64,
    shared: bool,
    is64: bool,
    declared: f64,
    requested: f64,
    maximum_known: bool,
    bounded: bool,
    created: f64,
    defined_by: Option<String>,
    instances: u32,
) -> u32 {
    let pages = pages as u64;
    // -1 (or anything negative) is "none"; the module's bytes gave whole page counts.
    let count = |x: f64| (maximum_known && x >= 0.0).then_some(x as u64);
    let ty = MemoryType {
        address: address(is64),
        minimum: pages,
        maximum: count(declared),
        shared,
    };
    let plan = CreatePlan {
        requested_maximum: count(requested),
        bounded,
        ..CreatePlan::adopted(ty, maximum_known)
    };
    let mut entry = Some(Entry {
        plan,
        pages,
        label: None,
        origin: Origin::Exported,
        created_ms: created,
        stack: None,
        defined_by,
        instances,
    });
    let quiet = ledger_quietly(
        |l| l.plan_quiet_create(id, plan.bounded),
        |l, id| {
            if let Some(entry) = entry.take() {
                l.apply_quiet_create(id, entry);
            }
            id
        },
    );
    if let Some(id) = quiet {
        return id;
    }
    let defined_by = entry.and_then(|e| e.defined_by);
    with_ledger(|l| {
        // A `reservedBytes` budget it passes is reported (the engine made it: never refused).
        super::ledger::report_reserved_passed(
            l,
            &ty,
            "an instance (the memory its module defines)",
        );
        l.next_id_at_least(id);
        let id = l.commit_create(
            plan,
            pages,
            None,
            Origin::Exported,
            created,
            None,
            defined_by,
        );
        for _ in 0..instances {
            l.count_instance(&[id], true);
        }
        id
    })
}

/// Enters a memory this realm met but did not make (an import, or a re-exported import, its
/// ledger did not hold: a shared memory another realm made and posted here). Its maximum is
/// unknown (an import's type only bounds it). Returns its id; like an adopted memory it can't
/// be refused, but a budget it passes is reported.
pub fn receive(id: u32, pages: f64, shared: bool, is64: bool, created: f64) -> u32 {
    let pages = pages as u64;
    let ty = MemoryType {
        address: address(is64),
        minimum: pages,
        maximum: None,
        shared,
    };
    let plan = CreatePlan::adopted(ty, false);
    with_ledger(|l| {
        l.next_id_at_least(id);
        l.commit_create(plan, pages, None, Origin::Received, created, None, None)
    })
}

/// What the ledger knows when the engine refused `operation` (its code in [`Operation::ALL`],
/// which JS reads by name from `layout().operations`) of `pages` pages (the initial size, the
/// delta, or the memories an instance's module defines) on the memory with ledger id `id` (-1:
/// none) for want of memory: a `failure` event is queued, and the words its error's message gets
/// after the engine's own are returned ([`crate::core::Failure::describe`]). An unknown code
/// queues nothing and returns no words.
pub fn failure(operation: u8, id: i32, pages: f64) -> String {
    let Some(operation) = Operation::from_code(operation) else {
        return String::new();
    };
    // A whole count of pages (the cast saturates: NaN is 0, anything larger the largest).
    let pages = pages as u64;
    let id = u32::try_from(id).ok();
    with_ledger(|l| {
        let reservation = reservation(l);
        let f = l.failure_with(operation, id, pages, reservation);
        let mut words = l.describe_failure(&f);
        // The reservation model's expectation, inside the parentheses the description ends with.
        let profile = super::state::engine().profile();
        if let (Some(r), Some(limit), Some(profile)) = (
            reservation,
            reservation.and_then(|r| r.expected_limit),
            profile,
        ) {
            if words.ends_with(')') {
                words.pop();
                words.push_str(&crate::core::concat(&[
                    "; the reservation model (measured on ",
                    profile.measured_on,
                    "): ",
                    &crate::core::decimal(r.counted),
                    " live memories of an expected limit of ",
                    &crate::core::decimal(limit),
                    ", the polyfill's own heap among them",
                    &r.reserved_bytes.map_or(String::new(), |b| {
                        crate::core::concat(&["; ", &whole_size(b), " reserved"])
                    }),
                    ")",
                ]));
            }
        }
        words
    })
}

/// `bytes` in whole units for a message: "1000 GiB", "512 MiB", "64 KiB" (rounded down).
fn whole_size(bytes: u64) -> String {
    let (n, unit) = match bytes {
        b if b >= 1 << 30 => (b >> 30, " GiB"),
        b if b >= 1 << 20 => (b >> 20, " MiB"),
        b => (b >> 10, " KiB"),
    };
    crate::core::concat(&[&crate::core::decimal(n), unit])
}

/// What the reservation model says now, for a failure (`None` where it has no profile of this
/// engine): the bytes the live memories made here reserve, and how many memories like a
/// one-page i32 one the engine was expected to grant in all, against those it counts now.
fn reservation(l: &crate::core::Ledger) -> Option<crate::core::Reservation> {
    super::state::engine().profile()?;
    let room = super::ledger::headroom(l, &crate::core::DEFAULT_TYPE);
    // The live memories the model counted: those made here and the polyfill's own heap.
    let counted = l.records().iter().filter(|r| r.origin.made_here()).count() as u64 + 1;
    Some(crate::core::Reservation {
        reserved_bytes: super::ledger::reserved_bytes(l),
        counted,
        expected_limit: room.map(|room| counted.saturating_add(room.memories)),
    })
}
