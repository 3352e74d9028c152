//! The constructor, `grow` and `type()`, as the JS entry's hooks call them.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use super::descriptor::{address_value_to_u64, read_descriptor, read_label, u64_to_address_value};
use super::errors::Failure;
use super::events::dispatch;
use super::js;
use super::keys::{address_name, with_keys};
use super::state::{capture_stacks, memory64, on_collect, with_ledger};
use crate::core::{check_grow, AddressType, Error, Field, MemoryType, Origin, RequestedType};

/// `new Memory(descriptor, options)`: read, validate, budget, then make the engine memory with
/// `new_target`'s prototype and enter it in the ledger.
pub fn construct(
    descriptor: &JsValue,
    options: &JsValue,
    new_target: &JsValue,
) -> Result<JsValue, Failure> {
    let requested: RequestedType = read_descriptor(descriptor)?;
    let label = read_label(options)?;
    let ty = requested.validate()?;
    if ty.address == AddressType::I64 && !memory64() {
        return Err(Error::Engine(
            "this engine has no memory64, so it cannot make an address: \"i64\" memory".into(),
        )
        .into());
    }
    let plan = with_ledger(|l| l.plan_create(ty));
    let plan = match plan {
        Ok(plan) => plan,
        Err(e) => {
            dispatch(); // the budget event
            return Err(e.into());
        }
    };
    let maximum = plan
        .ty
        .maximum
        .map_or(JsValue::UNDEFINED, |m| u64_to_address_value(m, ty.address));
    let memory = js::native_construct(
        &u64_to_address_value(plan.ty.minimum, ty.address),
        &maximum,
        plan.ty.shared,
        ty.address == AddressType::I64,
        new_target,
    )?;
    js::fix_buffer_of(&memory)?;
    let stack = capture_stacks().then(js::caller_line);
    let created = js::now();
    let id = with_ledger(|l| {
        l.commit_create(
            plan,
            plan.ty.minimum,
            label,
            Origin::Constructed,
            created,
            stack,
        )
    });
    js::track(&memory, id, &on_collect());
    dispatch();
    Ok(memory)
}

/// `memory.grow(delta)`: the spec's conversion for the memory's address type, the limit and the
/// budget checked with messages that name the numbers, then the engine's own grow.
pub fn grow(memory: &JsValue, delta: &JsValue) -> Result<JsValue, Failure> {
    let id = js::id_of(memory);
    let ty = u32::try_from(id)
        .ok()
        .and_then(|id| with_ledger(|l| l.get(id).map(|r| (id, r.ty))));
    let Some((id, ty)) = ty else {
        // Not a memory we ledger (or not a memory at all): the engine does the brand check,
        // the conversion and the grow exactly as it would without us.
        return Ok(js::native_grow(memory, delta)?);
    };
    let delta = address_value_to_u64(delta, ty.address, Field::Delta)?;
    let current = js::pages_of(memory)? as u64;
    check_grow(&ty, current, delta)?;
    if let Err(e) = with_ledger(|l| l.plan_grow(id, current, delta)) {
        dispatch();
        return Err(e.into());
    }
    let old = js::native_grow(memory, &u64_to_address_value(delta, ty.address))?;
    js::fix_buffer_of(memory)?;
    with_ledger(|l| l.commit_grow(id, current + delta));
    dispatch();
    Ok(old)
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
            l.get(id).map(|r| r.ty)
        })
    });
    dispatch();
    let Some(ty) = ty else {
        return Err(Error::Engine(
            "type(): this memory was made by the engine before install() (or by a module compiled \
             before it), so its maximum is unknown to the polyfill"
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
