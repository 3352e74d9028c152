//! Construction, `grow` and `type()`, and the memories instances bring: the rules and the
//! ledger's part of each, for i32 and i64 alike, as the static methods of [`Core`] JS calls.
//! The JS entry reads and converts the descriptor (it runs user code), calls `planCreate`, asks
//! the engine, then calls `commitCreate`: the ledger records a memory only once the engine has
//! made it, so a failed allocation leaves nothing to undo. Without a budget the engine is asked
//! first and one call (`createPlain`, `createMade`) checks and records.

use alloc::{string::String, vec::Vec};

use wasm_bindgen::prelude::*;

use super::core_class::Core;
use super::errors::{answer, js_error, Failure, JsResult};
use super::request::{self, flag};
use super::state::{self, ledger_quietly, memory64, with_ledger, with_ledger_light};
use super::values::{address_value, describe, label, to_u64, to_u64_opt};
use crate::rules::{
    check_grow, enforce_range_u32, AddressType, BudgetMode, CreatePlan, Entry, Error, Field,
    LabelSite, MemoryType, Operation, Origin, RequestedType,
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

/// The descriptor members and arguments error messages name, by the code JS passes.
pub const FIELDS: [Field; 3] = [Field::Initial, Field::Maximum, Field::Delta];

fn field(code: u8) -> Field {
    FIELDS
        .get(usize::from(code))
        .copied()
        .unwrap_or(Field::Delta)
}

#[wasm_bindgen]
impl Core {
    // ---- reading a descriptor (JS runs the conversions; the rules and messages are here) ----

    /// WebIDL enum conversion of `descriptor.address` (after ToString): `true` for "i64".
    #[wasm_bindgen(js_name = addressIs64)]
    pub fn address_is64(s: String) -> f64 {
        answer(|| match AddressType::parse(&s) {
            Some(a) => Ok(a == AddressType::I64),
            None => Err(js_error(Error::UnknownAddress(s))),
        })
    }

    /// `[EnforceRange] unsigned long` on a Number ToNumber produced that is not already an
    /// integer in range (JS skips the call for those): the truncated value, or the TypeError.
    #[wasm_bindgen(js_name = enforceU32)]
    pub fn enforce_u32(field_code: u8, x: f64) -> f64 {
        answer(|| {
            let v = enforce_range_u32(field(field_code), x, super::values::number_text)
                .map_err(js_error)?;
            Ok(f64::from(v))
        })
    }

    /// The u64 range of `AddressValueToU64` for i64, on the BigInt ToBigInt produced.
    #[wasm_bindgen(js_name = checkU64)]
    pub fn check_u64(field_code: u8, v: JsValue) -> f64 {
        answer(|| {
            to_u64(&v, field(field_code))?;
            Ok(())
        })
    }

    /// The TypeError for a descriptor that is neither an object nor undefined/null.
    #[wasm_bindgen(js_name = notObject)]
    pub fn not_object(v: JsValue) -> JsValue {
        js_error(Error::DescriptorNotObject(describe(&v)))
    }

    /// The TypeError for a missing `initial`.
    #[wasm_bindgen(js_name = missingInitial)]
    pub fn missing_initial() -> JsValue {
        js_error(Error::MissingInitial)
    }

    /// The RangeError for an allocation the engine refused in its own way.
    #[wasm_bindgen(js_name = allocationFailed)]
    pub fn allocation_failed(what: String) -> JsValue {
        js_error(Error::AllocationFailed(what))
    }

    // ---- construction ----

    /// Checks a construction (the request row's `is64` and `shared`; options, rules, memory64,
    /// budget) before the engine is asked; returns the maximum to give it. `sizes` (`[id,
    /// pages, ...]`) only under a budget.
    #[wasm_bindgen(js_name = planCreate)]
    pub fn plan_create(
        initial: JsValue,
        maximum: JsValue,
        options: JsValue,
        label: JsValue,
        sizes: Option<Vec<f64>>,
    ) -> JsResult<JsValue> {
        let r = request::Create::take();
        let (is64, shared) = (flag(r.is64), flag(r.shared));
        Ok(plan_create(
            is64, &initial, &maximum, shared, &options, &label, sizes,
        )?)
    }

    /// The common construction in one crossing, numbers only: an i32 memory the engine has
    /// already made from `{ initial, maximum, shared }` (`maximum` < 0: none), with no options,
    /// no budget in force and no stack to record. It is checked as [`Core::plan_create`] checks
    /// one (for i32 page counts the engines refuse exactly what the spec refuses, so this fails
    /// only where an engine is laxer) and entered; returns its ledger id. Positional, not a
    /// request row: five numbers on the hottest path, which wasm-bindgen passes as they are.
    #[wasm_bindgen(js_name = createPlain)]
    pub fn create_plain(id: u32, initial: f64, maximum: f64, shared: bool, created: f64) -> f64 {
        answer(|| create_plain(id, initial, maximum, shared, created).map_err(js_error))
    }

    /// Any other construction while no budget is in force (options and a label, i64, a stack
    /// to record), in one crossing (the request row: `id`, `is64`, `shared`, `created`): the
    /// engine has already made the memory (JS asks it first only when `newTarget` is its own
    /// constructor, so that is unobservable), and this checks what [`Core::plan_create`]
    /// checks, in its order and with its errors, then records it as [`Core::commit_create`]
    /// does. On an error nothing is recorded and JS drops the memory. Without a budget the plan
    /// never clamps, so the maximum the engine got is the one asked.
    #[wasm_bindgen(js_name = createMade)]
    pub fn create_made(
        initial: JsValue,
        maximum: JsValue,
        options: JsValue,
        label: JsValue,
        stack: Option<String>,
    ) -> f64 {
        answer(|| {
            let r = request::Create::take();
            let (is64, shared) = (flag(r.is64), flag(r.shared));
            let effective = plan_create(is64, &initial, &maximum, shared, &options, &label, None)?;
            let made = Made {
                id: r.id as u32,
                is64,
                shared,
                created: r.created,
            };
            Ok(commit_create(
                made, &initial, &maximum, &effective, &label, stack,
            )?)
        })
    }

    /// Enters a memory the engine made (the request row: `id`, handed out by the JS side,
    /// `is64`, `shared`, `created`); `effective` is what [`Core::plan_create`] returned,
    /// `stack` the caller's line when stacks are captured. Returns its ledger id.
    #[wasm_bindgen(js_name = commitCreate)]
    pub fn commit_create(
        initial: JsValue,
        maximum: JsValue,
        effective: JsValue,
        label: JsValue,
        stack: Option<String>,
    ) -> f64 {
        answer(|| {
            let r = request::Create::take();
            let made = Made {
                id: r.id as u32,
                is64: flag(r.is64),
                shared: flag(r.shared),
                created: r.created,
            };
            Ok(commit_create(
                made, &initial, &maximum, &effective, &label, stack,
            )?)
        })
    }

    // ---- grow, type() ----

    /// Checks `grow(delta)` of memory `id` (now `pages`) against its limits and the budget (with
    /// the current sizes of every memory, `sizes`, when one is in force). The engine is asked
    /// only if this passes.
    #[wasm_bindgen(js_name = planGrow)]
    pub fn plan_grow(id: u32, pages: f64, delta: JsValue, sizes: Option<Vec<f64>>) -> f64 {
        answer(|| {
            let delta = to_u64(&delta, Field::Delta)?;
            let current = pages as u64;
            if let Some(ty) = with_ledger_light(|l| l.get(id).map(|r| r.ty)) {
                check_grow(&ty, current, delta).map_err(js_error)?;
            }
            if let Some(sizes) = sizes {
                observe_sizes(&sizes);
            }
            with_ledger_light(|l| l.plan_grow(id, current, delta)).map_err(js_error)
        })
    }

    /// Records a `grow()` the engine did: memory `id` now has `pages`.
    #[wasm_bindgen(js_name = commitGrow)]
    pub fn commit_grow(id: u32, pages: f64) {
        let pages = pages as u64;
        let quiet = ledger_quietly(
            |l| l.plan_quiet_resize(id, pages),
            |l, r| l.apply_quiet_resize(r),
        );
        if quiet.is_none() {
            with_ledger_light(|l| l.commit_grow(id, pages));
        }
    }

    /// The engine's grow of memory `id` (`pages` pages) by `delta` threw `engine`: our message
    /// for a grow past the maximum, else the engine's error (allocation failure and the like)
    /// unchanged.
    #[wasm_bindgen(js_name = growError)]
    pub fn grow_error(id: u32, pages: f64, delta: JsValue, engine: JsValue) -> JsValue {
        let Ok(delta) = to_u64(&delta, Field::Delta) else {
            return engine;
        };
        let ty = with_ledger(|l| l.get(id).map(|r| r.ty));
        match ty.map(|ty| check_grow(&ty, pages as u64, delta)) {
            Some(Err(e)) => js_error(e),
            _ => engine,
        }
    }

    /// The engine refused `operation` (a construction, a grow or an instance, by its code in
    /// `layout().operations`) of `pages` pages (of memory `id`, -1: none) for want of memory:
    /// queues a `failure` event and returns what its error's message gets after the engine's
    /// words (see [`failure`]).
    pub fn failure(operation: u8, id: i32, pages: f64) -> String {
        failure(operation, id, pages)
    }

    /// `memory.type()`'s maximum (-1: none) for the memory with ledger id `id` (-1 for a memory
    /// the polyfill never saw: an error), now `pages` pages (its `minimum`). JS builds the
    /// dictionary (`{ address, maximum?, minimum, shared }`) with the address type and `shared`
    /// it tracks the memory with (the ones the ledger was given). A number, not a list: nothing
    /// to allocate.
    #[wasm_bindgen(js_name = typeOf)]
    pub fn type_of(id: i32, pages: f64) -> f64 {
        answer(|| {
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
            let ty = ty.ok_or(Error::UnknownMaximum).map_err(js_error)?;
            Ok(ty.maximum.map_or(-1.0, |m| m as f64))
        })
    }

    /// Sizes read from the engine, `[id, pages, ...]`.
    pub fn observe(sizes: Vec<f64>) {
        observe_sizes(&sizes);
    }

    // ---- memories instances bring ----

    /// Enters a memory a module exported (seen by `install()`'s instantiate hooks), described
    /// by the request row ([`request::Adopt`]: its maximum as made and as the module declared
    /// it, page counts exact in an f64 up to 2^53, -1 for none, read only when `maximumKnown`;
    /// `bounded` when the compile hooks lowered it to a hard budget; the instances holding it
    /// already, the one that exported it). `defined_by` is what the module's reading gave.
    /// Returns its ledger id. An engine-made memory can't be refused, but a budget it passes is
    /// reported.
    pub fn adopt(defined_by: Option<String>) -> u32 {
        let r = request::Adopt::take();
        let (id, instances) = (r.id as u32, r.instances as u32);
        let pages = r.pages as u64;
        let maximum_known = flag(r.maximum_known);
        // -1 (or anything negative) is "none"; the module's bytes gave whole page counts.
        let count = |x: f64| (maximum_known && x >= 0.0).then_some(x as u64);
        let ty = MemoryType {
            address: address(flag(r.is64)),
            minimum: pages,
            maximum: count(r.maximum),
            shared: flag(r.shared),
        };
        let plan = CreatePlan {
            requested_maximum: count(r.requested),
            bounded: flag(r.bounded),
            ..CreatePlan::adopted(ty, maximum_known)
        };
        let mut entry = Some(Entry {
            plan,
            pages,
            label: None,
            origin: Origin::Exported,
            created_ms: r.created,
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
                r.created,
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
    /// unknown (an import's type only bounds it). Returns its id; like an adopted memory it
    /// can't be refused, but a budget it passes is reported.
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

    /// An instance importing or exporting the ledgered memories `ids` was made (`made`), or
    /// garbage-collected.
    #[wasm_bindgen(js_name = countInstance)]
    pub fn count_instance(ids: Vec<u32>, made: bool) {
        with_ledger(|l| l.count_instance(&ids, made));
    }

    /// [`Core::count_instance`] of one memory (the common case), numbers only: nothing to
    /// allocate, and quiet (no stack room) when the ledger holds it.
    #[wasm_bindgen(js_name = countInstanceOf)]
    pub fn count_instance_of(id: u32, made: bool) {
        let quiet = ledger_quietly(
            |l| l.plan_quiet_count(id),
            |l, slot| l.apply_quiet_count(slot, made),
        );
        if quiet.is_none() {
            with_ledger(|l| l.count_instance(&[id], made));
        }
    }

    /// A ledgered memory was garbage-collected.
    pub fn collected(id: u32) {
        with_ledger_light(|l| l.collect(id));
    }
}

/// Everything a construction is checked against before the engine is asked: our options' label,
/// the JS API's rules in the spec's order, memory64 support, then the budget (with the current
/// sizes when one is in force). Returns the `maximum` to give the engine (`undefined` for none;
/// clamped under a hard budget).
fn plan_create(
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
    if state::reserved_budget().is_some() {
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

/// The numbers of a memory the engine made, from a [`request::Create`] row.
struct Made {
    id: u32,
    is64: bool,
    shared: bool,
    created: f64,
}

/// Enters a memory the engine has made under `made.id` (see `Ledger::next_id_at_least`);
/// returns its ledger id. `effective` is what [`plan_create`] returned; `stack` the caller's
/// line when stacks are captured.
fn commit_create(
    made: Made,
    initial: &JsValue,
    maximum: &JsValue,
    effective: &JsValue,
    label_value: &JsValue,
    stack: Option<String>,
) -> Result<u32, Failure> {
    let ty = MemoryType {
        address: address(made.is64),
        minimum: to_u64(initial, Field::Initial)?,
        maximum: to_u64_opt(effective, Field::Maximum)?,
        shared: made.shared,
    };
    let plan = CreatePlan {
        ty,
        requested_maximum: to_u64_opt(maximum, Field::Maximum)?,
        maximum_known: true,
        bounded: with_ledger_light(|l| l.budget().is_some_and(|b| b.mode == BudgetMode::Hard)),
    };
    let label = label(label_value, LabelSite::Options)?;
    Ok(with_ledger_light(|l| {
        l.next_id_at_least(made.id);
        l.commit_create(
            plan,
            ty.minimum,
            label,
            Origin::Constructed,
            made.created,
            stack,
            None,
        )
    }))
}

/// What the ledger knows when the engine refused `operation` (its code in [`Operation::ALL`],
/// which JS reads by name from `layout().operations`) of `pages` pages (the initial size, the
/// delta, or the memories an instance's module defines) on the memory with ledger id `id` (-1:
/// none) for want of memory: a `failure` event is queued, and the words its error's message gets
/// after the engine's own are returned ([`crate::rules::Failure::describe`]). An unknown code
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
                words.push_str(&crate::rules::concat(&[
                    "; the reservation model (measured on ",
                    profile.measured_on,
                    "): ",
                    &crate::rules::decimal(r.counted),
                    " live memories of an expected limit of ",
                    &crate::rules::decimal(limit),
                    ", the polyfill's own heap among them",
                    &r.reserved_bytes.map_or(String::new(), |b| {
                        crate::rules::concat(&["; ", &whole_size(b), " reserved"])
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
    crate::rules::concat(&[&crate::rules::decimal(n), unit])
}

/// What the reservation model says now, for a failure (`None` where it has no profile of this
/// engine): the bytes the live memories made here reserve, and how many memories like a
/// one-page i32 one the engine was expected to grant in all, against those it counts now.
fn reservation(l: &crate::rules::Ledger) -> Option<crate::rules::Reservation> {
    super::state::engine().profile()?;
    let room = super::ledger::headroom(l, &crate::rules::DEFAULT_TYPE);
    // The live memories the model counted: those made here and the polyfill's own heap.
    let counted = l.records().iter().filter(|r| r.origin.made_here()).count() as u64 + 1;
    Some(crate::rules::Reservation {
        reserved_bytes: super::ledger::reserved_bytes(l),
        counted,
        expected_limit: room.map(|room| counted.saturating_add(room.memories)),
    })
}

/// [`Core::create_plain`]'s checks and record.
fn create_plain(
    id: u32,
    initial: f64,
    maximum: f64,
    shared: bool,
    created: f64,
) -> Result<u32, Error> {
    let ty = RequestedType {
        address: AddressType::I32,
        initial: initial as u64,
        maximum: (maximum >= 0.0).then_some(maximum as u64),
        shared,
    }
    .validate()?;
    // What the plan would give with no budget in force (the quiet case).
    let entry = Entry {
        plan: CreatePlan::adopted(ty, true),
        pages: ty.minimum,
        label: None,
        origin: Origin::Constructed,
        created_ms: created,
        stack: None,
        defined_by: None,
        instances: 0,
    };
    let quiet = ledger_quietly(
        |l| l.plan_quiet_create(id, false),
        |l, id| {
            l.apply_quiet_create(id, entry);
            id
        },
    );
    if let Some(id) = quiet {
        return Ok(id);
    }
    with_ledger_light(|l| {
        let plan = l.plan_create(ty)?;
        l.next_id_at_least(id);
        let origin = Origin::Constructed;
        Ok(l.commit_create(plan, ty.minimum, None, origin, created, None, None))
    })
}
