//! The core's queued events as plain objects for the JS entry, which holds the listeners and
//! calls them: Rust never calls a listener.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

use super::state::with_ledger;
use crate::core::{Event, GrowSource};

/// The event kinds a listener can subscribe to, as `ledger.on` spells them.
pub const KINDS: [&str; 4] = ["create", "grow", "collect", "budget"];

/// Whether `s` is one of [`KINDS`].
pub fn is_kind(s: &str) -> bool {
    KINDS.contains(&s)
}

/// Takes the queued events, as `{ type, id, ... }` objects in the order they happened.
pub fn drain() -> Array {
    let events = with_ledger(|l| l.drain_events());
    events.iter().map(event_object).collect()
}

fn event_object(e: &Event) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: JsValue| {
        // Defining data properties on our own fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    let num = |n: u64| JsValue::from_f64(n as f64);
    match *e {
        Event::Create { id, pages } => {
            set("type", KINDS[0].into());
            set("id", id.into());
            set("pages", num(pages));
        }
        Event::Grow {
            id,
            from,
            to,
            source,
        } => {
            set("type", KINDS[1].into());
            set("id", id.into());
            set("from", num(from));
            set("to", num(to));
            let source = match source {
                GrowSource::Js => "js",
                GrowSource::Wasm => "wasm",
            };
            set("source", source.into());
        }
        Event::Collect { id, pages } => {
            set("type", KINDS[2].into());
            set("id", id.into());
            set("pages", num(pages));
        }
        Event::Budget {
            id,
            budget,
            limit,
            value,
            refused,
        } => {
            set("type", KINDS[3].into());
            set("id", id.map_or(JsValue::NULL, JsValue::from));
            set("budget", budget.as_str().into());
            set("limit", num(limit));
            set("value", num(value));
            set("refused", refused.into());
        }
    }
    o.into()
}
