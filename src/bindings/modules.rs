//! Memory types of modules `install()` sees compiled, so exported memories are ledgered exactly.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::{
    exported_memories, is_memory_type_section, section_spans, AddressType, MemoryType,
};

/// `[exportName, [is64, minimum, maximum (-1 none, -2 unknown), shared, maximumKnown], ...]` for the memories `bytes` exports,
/// or `undefined` if the bytes can't be read (the engine will say why when it compiles them).
///
/// Only the import, memory and export sections are copied into linear memory: the code section
/// of a large module never is, so the polyfill's heap doesn't grow with the modules it sees.
pub fn export_types(bytes: &JsValue) -> JsValue {
    let Some(view) = bytes.dyn_ref::<Uint8Array>() else {
        return JsValue::UNDEFINED;
    };
    let len = view.length() as usize;
    let Some(spans) = section_spans(len, |i| view.get_index(i as u32)) else {
        return JsValue::UNDEFINED;
    };
    let mut small = vec![0u8; 8.min(len)];
    view.subarray(0, 8).copy_to(&mut small);
    for (id, start, end) in spans.into_iter().filter(|s| is_memory_type_section(s.0)) {
        small.push(id);
        let mut n = end - start;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            small.push(if n == 0 { b } else { b | 0x80 });
            if n == 0 {
                break;
            }
        }
        let at = small.len();
        small.resize(at + (end - start), 0);
        view.subarray(start as u32, end as u32)
            .copy_to(&mut small[at..]);
    }
    let Some(found) = exported_memories(&small) else {
        return JsValue::UNDEFINED;
    };
    // [name, tuple, name, tuple, ...]: an array, not an object, because export names are
    // arbitrary strings ("__proto__" included).
    let out = Array::new();
    for m in found {
        let ty = m.ty;
        // maximum: -1 for none, -2 for unknown (a re-exported import).
        let maximum = match (m.maximum_known, ty.maximum) {
            (false, _) => JsValue::from(-2),
            (true, None) => JsValue::from(-1),
            (true, Some(x)) => JsValue::from_f64(x as f64),
        };
        out.push(&JsValue::from_str(&m.name));
        out.push(&Array::of5(
            &JsValue::from(u8::from(ty.address == AddressType::I64)),
            &JsValue::from_f64(ty.minimum as f64),
            &maximum,
            &JsValue::from(ty.shared),
            &JsValue::from(m.maximum_known),
        ));
    }
    out.into()
}

/// Reads back a tuple made by [`export_types`]: the type and whether its maximum is known;
/// `None` if it isn't one.
pub fn type_from_tuple(t: &JsValue) -> Option<(MemoryType, bool)> {
    let a = t.dyn_ref::<Array>()?;
    let maximum = a.get(2).as_f64()?;
    let ty = MemoryType {
        address: if a.get(0).as_f64()? == 1.0 {
            AddressType::I64
        } else {
            AddressType::I32
        },
        minimum: a.get(1).as_f64()? as u64,
        maximum: (maximum >= 0.0).then_some(maximum as u64),
        shared: a.get(3).as_bool()?,
    };
    Some((ty, a.get(4).as_bool()?))
}
