//! Modules `install()` sees compiled: the memories they export (so those enter the ledger with
//! their declared type) and, under a hard budget, the maxima of the memories they define,
//! lowered to the clamp a constructed memory would get.
//!
//! The JS entry hands over only the module's import, memory and export sections behind the
//! magic number (a few hundred bytes), so the code section of a large module is never copied
//! into the polyfill's heap.

use alloc::{string::String, vec::Vec};

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;

use super::errors::Failure;
use super::state::with_ledger;
use super::values::address_value;
use crate::core::{
    concat, decimal, defined_by, defined_memories, module_memories as memories_of, module_name,
    rewrite_memory_section, AddressType, Error,
};

/// `{ memories, section }` for a module's memory-type sections (`small`: the magic number and
/// the import, memory and export sections, as the JS entry cut them out). `memories` has one
/// `{ name, is64, maximum, requestedMaximum, shared, maximumKnown, bounded, definedBy }` per
/// exported memory (`maximum` as the engine will make it; `undefined` for none; `definedBy`
/// for a memory the module defines: the module name its "name" section gives (`names`: the
/// start of that section's payload, as the JS entry cut it), else `url`, the Response it was
/// streamed from). With `clamp` (a hard
/// budget under `install()`), `section` is the memory section to compile instead of the
/// module's own (id, size and body), or `undefined` when nothing changes. `imports` has one
/// `{ module, name, is64, shared }` per memory import. `undefined` for bytes
/// that can't be read: the engine will say why when it compiles them.
pub fn module_memories(
    small: &[u8],
    clamp: bool,
    names: Option<Vec<u8>>,
    url: Option<String>,
) -> Result<JsValue, Failure> {
    let Some((imported, exported)) = memories_of(small) else {
        return Ok(JsValue::UNDEFINED);
    };
    let by = defined_by(names.as_deref().and_then(module_name), url)
        .map_or(JsValue::UNDEFINED, |s| JsValue::from_str(&s));
    let mut section = JsValue::UNDEFINED;
    let mut caps: Vec<Option<u64>> = Vec::new();
    if clamp {
        let defined = defined_memories(small).unwrap_or_default();
        for d in &defined {
            // Only 64 KiB pages are budgeted (custom page sizes are left as declared).
            let what = concat(&[
                "compiling a module (its memory ",
                &decimal(d.index.into()),
                ")",
            ]);
            let cap = if d.page_size_log2 == 16 {
                with_ledger(|l| l.clamp_for(d.ty, &what))?
            } else {
                None
            };
            caps.push(cap);
        }
        // Only maxima that change are rewritten; a memory already declared within the clamp is
        // bounded as it stands.
        let changes: Vec<Option<u64>> = caps
            .iter()
            .zip(&defined)
            .map(|(cap, d)| cap.filter(|&c| Some(c) != d.ty.maximum))
            .collect();
        if changes.iter().any(Option::is_some) {
            let rewritten = rewrite_memory_section(small, &changes)
                // Unreachable in practice (the same reader just read these memories, and the caps
                // come from `clamp_for`); if it happens, refusing keeps the budget. A fixed message
                // keeps `BinaryError`'s formatting out of the wasm.
                .map_err(|_| {
                    Error::AllocationFailed(
                        "the module's memory section could not be rewritten to the budget".into(),
                    )
                })?;
            section = rewritten.map_or(JsValue::UNDEFINED, |s| Uint8Array::from(&s[..]).into());
        }
    }
    let list = Array::new();
    for m in exported {
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            // Our own fresh plain object: defining a property cannot fail.
            let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
        };
        let declared = m.ty.maximum;
        // A defined memory that was capped is made with the cap; a re-exported import never is.
        let cap = m
            .defined_index
            .and_then(|i| caps.get(i as usize).copied().flatten());
        let value =
            |v: Option<u64>| v.map_or(JsValue::UNDEFINED, |x| address_value(x, m.ty.address));
        set("name", m.name.into());
        set("is64", (m.ty.address == AddressType::I64).into());
        set("maximum", value(cap.or(declared)));
        set("requestedMaximum", value(declared));
        set("shared", m.ty.shared.into());
        set("maximumKnown", m.maximum_known.into());
        set("bounded", cap.is_some().into());
        if m.defined_index.is_some() {
            set("definedBy", by.clone());
        }
        list.push(&o);
    }
    // The memories it imports, so `install()` can ledger one it has never seen as `received`.
    let imports = Array::new();
    for m in imported {
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
        };
        set("module", m.module.into());
        set("name", m.name.into());
        set("is64", (m.ty.address == AddressType::I64).into());
        set("shared", m.ty.shared.into());
        imports.push(&o);
    }
    let out = Object::new();
    let _ = Reflect::set(&out, &"memories".into(), &list);
    let _ = Reflect::set(&out, &"imports".into(), &imports);
    let _ = Reflect::set(&out, &"section".into(), &section);
    Ok(out.into())
}
