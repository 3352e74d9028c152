//! Listeners: `ledger.on(kind, fn)` and delivery of the core's queued events.
//!
//! Listeners run after the operation that caused the event has fully succeeded (or been fully
//! refused), with no borrow held; one that throws is reported (`reportError`, or the console) and
//! never breaks the operation, the ledger, or the other listeners.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::JsValue;

use super::state::{with_ledger, with_listeners};
use crate::core::Event;

/// The event kinds a listener can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A memory entered the ledger.
    Create,
    /// A memory grew.
    Grow,
    /// A memory was collected.
    Collect,
    /// A budget was passed or refused a request.
    Budget,
}

impl Kind {
    /// Parses `"create" | "grow" | "collect" | "budget"`.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "create" => Some(Kind::Create),
            "grow" => Some(Kind::Grow),
            "collect" => Some(Kind::Collect),
            "budget" => Some(Kind::Budget),
            _ => None,
        }
    }

    fn of(e: &Event) -> Kind {
        match e {
            Event::Create { .. } => Kind::Create,
            Event::Grow { .. } => Kind::Grow,
            Event::Collect { .. } => Kind::Collect,
            Event::Budget { .. } => Kind::Budget,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Grow => "grow",
            Kind::Collect => "collect",
            Kind::Budget => "budget",
        }
    }
}

/// Subscribed listeners, each with a token for unsubscribing.
#[derive(Default)]
pub struct Listeners {
    next: u32,
    list: Vec<(u32, Kind, Function)>,
}

impl Listeners {
    /// Adds a listener; returns its token.
    pub fn add(&mut self, kind: Kind, f: Function) -> u32 {
        let token = self.next;
        self.next = self.next.wrapping_add(1);
        self.list.push((token, kind, f));
        token
    }

    /// Removes a listener; `false` if it was already gone.
    pub fn remove(&mut self, token: u32) -> bool {
        let before = self.list.len();
        self.list.retain(|(t, _, _)| *t != token);
        self.list.len() != before
    }

    fn for_kind(&self, kind: Kind) -> Vec<Function> {
        self.list
            .iter()
            .filter(|(_, k, _)| *k == kind)
            .map(|(_, _, f)| f.clone())
            .collect()
    }

    /// Whether no listener is subscribed.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Delivers every queued event to its listeners.
pub fn dispatch() {
    let events = with_ledger(|l| {
        if l.has_events() {
            l.drain_events()
        } else {
            Vec::new()
        }
    });
    if events.is_empty() || with_listeners(|l| l.is_empty()) {
        return;
    }
    for event in events {
        let kind = Kind::of(&event);
        let targets = with_listeners(|l| l.for_kind(kind));
        if targets.is_empty() {
            continue;
        }
        let object = event_object(kind, &event);
        for f in targets {
            // A listener that throws must not break anything: its exception is reported, not rethrown.
            if let Err(e) = f.call1(&JsValue::UNDEFINED, &object) {
                super::js::report_listener_error(&e);
            }
        }
    }
}

fn event_object(kind: Kind, e: &Event) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: JsValue| {
        // Defining data properties on our own fresh plain object cannot fail.
        let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("type", kind.as_str().into());
    let num = |n: u64| JsValue::from_f64(n as f64);
    match *e {
        Event::Create { id, pages } | Event::Collect { id, pages } => {
            set("id", id.into());
            set("pages", num(pages));
        }
        Event::Grow { id, from, to } => {
            set("id", id.into());
            set("from", num(from));
            set("to", num(to));
        }
        Event::Budget {
            id,
            budget,
            limit,
            value,
            refused,
        } => {
            set("id", id.map_or(JsValue::NULL, JsValue::from));
            set("budget", budget.into());
            set("limit", num(limit));
            set("value", num(value));
            set("refused", refused.into());
        }
    }
    o.into()
}
