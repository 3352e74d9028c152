//! The constructor, `grow` and `type()`: the Rust half of what `js/api.js` runs.
//!
//! The JS half reads the descriptor's members in the spec's order and runs the ECMAScript
//! conversions (Get, ToString, ToNumber), because each of those is a JS operation anyway; every
//! rule (the `AddressType` enum, `required`, `[EnforceRange]`, the limits, the budget) and every
//! error message is decided here. The common i32 path passes only numbers across the boundary
//! (a few nanoseconds a call); the rare i64 path passes the raw values and converts them here.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use super::descriptor::{bigint_to_u64, label_value, read_label, u64_to_address_value};
use super::errors::Failure;
use super::events::dispatch;
use super::js;
use super::keys::{address_name, with_keys};
use super::state::{capture_stacks, memory64, with_ledger};
use crate::core::{
    check_grow, enforce_range_u32, AddressType, Error, Field, MemoryType, Origin, RequestedType,
};

/// Under a budget, every memory's size is read from the engine before a request is checked:
/// code inside wasm may have grown any of them since the ledger last looked.
fn refresh_if_budgeted() {
    if with_ledger(|l| l.budget().is_some()) {
        super::ledger::refresh();
    }
}

fn field(code: u32) -> Field {
    match code {
        0 => Field::Initial,
        1 => Field::Maximum,
        _ => Field::Delta,
    }
}

fn maybe(x: f64) -> Option<u64> {
    // -1 (any negative) stands for "absent" on the numeric hooks.
    (x >= 0.0).then_some(x as u64)
}

/// WebIDL enum conversion of `descriptor.address` (after ToString): `true` for "i64".
pub fn address_is64(s: &str) -> Result<bool, Failure> {
    match AddressType::parse(s) {
        Some(a) => Ok(a == AddressType::I64),
        None => Err(Error::UnknownAddress(s.to_string()).into()),
    }
}

/// The error for a descriptor that is not an object (nor undefined/null).
pub fn not_object(v: &JsValue) -> JsValue {
    Error::DescriptorNotObject(js::describe(v)).into()
}

/// The spec's RangeError for an allocation the engine refused in its own way.
pub fn allocation_failed(what: &str) -> JsValue {
    Error::Engine(format!(
        "the engine could not allocate the memory (it said: {what})"
    ))
    .into()
}

/// The error for a missing `initial`.
pub fn missing_initial() -> JsValue {
    Error::MissingInitial.into()
}

/// `[EnforceRange] unsigned long` on a Number that ToNumber already produced.
pub fn enforce_u32(field_code: u32, x: f64) -> Result<f64, Failure> {
    Ok(f64::from(enforce_range_u32(
        field(field_code),
        x,
        super::descriptor::number_text,
    )?))
}

/// Validates our `options` (second constructor argument) before anything is made; returns the
/// label (a JS string) or undefined.
pub fn check_options(options: &JsValue, label: &JsValue) -> Result<JsValue, Failure> {
    Ok(read_label(options, label)?.map_or(JsValue::UNDEFINED, |s| JsValue::from_str(&s)))
}

thread_local! {
    // Totals before the last i32 `create`, to restore them if the engine then fails.
    static BEFORE_CREATE: std::cell::Cell<Option<(u32, crate::core::Totals)>> = const { std::cell::Cell::new(None) };
}

/// Multiplier of the id in [`create`]'s result: the effective maximum (at most 65536 for i32,
/// plus one) fits below it.
const ID_SCALE: f64 = 131_072.0;

/// The rules, the budget and the ledger entry for an i32 memory, in one call, before the engine
/// makes it. Returns `id * 131072 + (maximum + 1)`, where `maximum` is the one to give the engine
/// (clamped under a hard budget), or -1 for none: two numbers in one f64, so the constructor
/// crosses into wasm once on its success path. If the engine then fails, JS calls [`abandon`].
pub fn create(
    initial: f64,
    maximum: f64,
    shared: bool,
    created: f64,
    label: &JsValue,
) -> Result<f64, Failure> {
    let ty = RequestedType {
        address: AddressType::I32,
        initial: initial as u64,
        maximum: maybe(maximum),
        shared,
    }
    .validate()?;
    let label = label_value(label)?;
    refresh_if_budgeted();
    let stack = capture_stacks().then(js::caller_line);
    let planned = with_ledger(|l| {
        let before = l.totals();
        l.plan_create(ty).map(|plan| {
            let id = l.commit_create(plan, ty.minimum, label, Origin::Constructed, created, stack);
            (id, before, plan.ty.maximum)
        })
    });
    match planned {
        Ok((id, before, effective)) => {
            BEFORE_CREATE.with(|c| c.set(Some((id, before))));
            Ok(f64::from(id) * ID_SCALE + effective.map_or(0.0, |m| m as f64 + 1.0))
        }
        Err(e) => {
            dispatch(); // the refused-budget event
            Err(e.into())
        }
    }
}

/// The engine refused to make the memory [`create`] entered: take it out again.
pub fn abandon(id: u32) {
    if let Some((last, before)) = BEFORE_CREATE.with(|c| c.take()) {
        if last == id {
            with_ledger(|l| l.forget(id, before));
        }
    }
}

/// Delivers queued events (JS calls this only while someone listens).
pub fn deliver() {
    dispatch();
}

/// The u64 range check of `AddressValueToU64` for i64, on a BigInt JS made with ToBigInt.
pub fn check_u64(field_code: u32, v: &JsValue) -> Result<(), Failure> {
    bigint_to_u64(v, field(field_code)).map(drop)
}

/// The whole construction for an i64 (memory64) memory, from the BigInts JS converted (and
/// [`check_u64`] checked): the same rules, budget and ledger as i32.
pub fn construct64(
    initial: &JsValue,
    maximum: &JsValue,
    shared: bool,
    label: &JsValue,
    new_target: &JsValue,
) -> Result<JsValue, Failure> {
    let initial = bigint_to_u64(initial, Field::Initial)?;
    let maximum = if maximum.is_undefined() {
        None
    } else {
        Some(bigint_to_u64(maximum, Field::Maximum)?)
    };
    let label = label_value(label)?;
    let ty = RequestedType {
        address: AddressType::I64,
        initial,
        maximum,
        shared,
    }
    .validate()?;
    if !memory64() {
        return Err(Error::Engine(
            "this engine has no memory64, so it cannot make an address: \"i64\" memory".into(),
        )
        .into());
    }
    refresh_if_budgeted();
    let plan = with_ledger(|l| l.plan_create(ty));
    let plan = match plan {
        Ok(plan) => plan,
        Err(e) => {
            dispatch();
            return Err(e.into());
        }
    };
    let max = plan.ty.maximum.map_or(JsValue::UNDEFINED, |m| {
        u64_to_address_value(m, AddressType::I64)
    });
    let memory = js::native_construct(
        &u64_to_address_value(plan.ty.minimum, AddressType::I64),
        &max,
        plan.ty.shared,
        true,
        new_target,
    )?;
    let stack = capture_stacks().then(js::caller_line);
    let id = with_ledger(|l| {
        l.commit_create(
            plan,
            plan.ty.minimum,
            label,
            Origin::Constructed,
            js::now(),
            stack,
        )
    });
    js::track(&memory, id, true);
    dispatch();
    Ok(memory)
}

/// `grow(delta)` under a budget: checks the grow against it, knowing the current size.
pub fn plan_grow(id: u32, pages: f64, delta: f64) -> Result<(), Failure> {
    refresh_if_budgeted();
    let r = with_ledger(|l| l.plan_grow(id, pages as u64, delta as u64));
    if r.is_err() {
        dispatch();
    }
    Ok(r?)
}

/// When the engine's grow threw: our message for a grow past the maximum, else the engine's error.
pub fn grow_error(id: u32, pages: f64, delta: f64, engine: JsValue) -> JsValue {
    let ty = with_ledger(|l| l.get(id).map(|r| r.ty));
    match ty.map(|ty| check_grow(&ty, pages as u64, delta as u64)) {
        Some(Err(e)) => e.into(),
        _ => engine,
    }
}

/// After `grow(delta)`: the engine grew the memory to `pages`.
pub fn grown(id: u32, pages: f64) {
    with_ledger(|l| l.commit_grow(id, pages as u64));
    dispatch();
}

/// `grow(delta)` on a ledgered i64 memory: BigInt conversion, limits, budget, then the engine.
pub fn grow64(memory: &JsValue, id: u32, delta: &JsValue) -> Result<JsValue, Failure> {
    let delta = bigint_to_u64(delta, Field::Delta)?;
    let Some(ty) = with_ledger(|l| l.get(id).map(|r| r.ty)) else {
        return Ok(js::native_grow(
            memory,
            &u64_to_address_value(delta, AddressType::I64),
        )?);
    };
    let current = js::pages_of(memory)? as u64;
    check_grow(&ty, current, delta)?;
    refresh_if_budgeted();
    if let Err(e) = with_ledger(|l| l.plan_grow(id, current, delta)) {
        dispatch();
        return Err(e.into());
    }
    let old = js::native_grow(memory, &u64_to_address_value(delta, AddressType::I64))?;
    with_ledger(|l| l.commit_grow(id, current + delta));
    dispatch();
    Ok(old)
}

/// A memory was garbage-collected.
pub fn collected(id: u32) {
    with_ledger(|l| l.collect(id));
    dispatch();
}

/// `memory.type()`: `{ address, maximum?, minimum, shared }` (a WebIDL dictionary, so its members
/// come out in lexicographic order), with `minimum` the current size read from the engine.
pub fn memory_type(memory: &JsValue) -> Result<JsValue, Failure> {
    // The engine's buffer getter is the brand check: a TypeError for anything but a memory.
    let pages = js::pages_of(memory)? as u64;
    let id = u32::try_from(js::id_of(memory)).ok();
    let ty = id.and_then(|id| {
        with_ledger(|l| {
            l.observe(id, pages);
            l.get(id).filter(|r| r.maximum_known).map(|r| r.ty)
        })
    });
    dispatch();
    let Some(ty) = ty else {
        return Err(Error::Engine(
            "type(): this memory was made by the engine before install() (or by a module whose \
             bytes the polyfill never saw), so its maximum is unknown to the polyfill"
                .into(),
        )
        .into());
    };
    Ok(type_object(&MemoryType {
        minimum: pages,
        ..ty
    }))
}

/// The plain object `type()` returns.
pub fn type_object(ty: &MemoryType) -> JsValue {
    let o = Object::new();
    with_keys(|k| {
        let set = |key: &JsValue, v: JsValue| {
            // Our own fresh plain object: defining a property cannot fail.
            let _ = Reflect::set(&o, key, &v);
        };
        set(&k.address, address_name(k, ty.address).clone());
        if let Some(m) = ty.maximum {
            set(&k.maximum, u64_to_address_value(m, ty.address));
        }
        set(&k.minimum, u64_to_address_value(ty.minimum, ty.address));
        set(&k.shared, ty.shared.into());
    });
    o.into()
}
