//! The core's queued events as numbers for the JS entry, which holds the listeners, builds each
//! event object (an object literal: no setter on `Object.prototype` sees or drops a member) and
//! calls them: Rust never calls a listener, nor into JS while it holds the ledger.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::*;

use super::core_class::Core;
use super::errors::{answer, js_error};
use super::state::{self, with_ledger};
use super::values::describe;
use crate::rules::{Error, Event, GrowSource, Ledger, FAILURE_LARGEST};

/// The event kinds a listener can subscribe to, as `ledger.on` spells them; an event's code is
/// its index here.
pub const KINDS: [&str; 5] = ["create", "grow", "collect", "budget", "failure"];

/// Numbers per event in [`Core::drain_events`]' rows: `[kind, id (-1: none), a, b, c, d, ...]`,
/// where
/// - create, collect: `a` = pages;
/// - grow: `a` = from, `b` = to, `c` = source (0: js, 1: wasm);
/// - budget: `a` = the budget field's code, `b` = limit, `c` = value, `d` = 0 (passed),
///   1 (refused) or 2 (reached: a bounded memory at its clamp, `b` = `c` = the clamp), and for
///   reached only `e` = the maximum it asked for (-1: none), `f`, `g` = its label's and
///   definedBy's lengths (-1: none);
/// - failure: `a` = the operation's code, `b` = the pages asked for, `c` = live memories,
///   `d` = those no live instance holds, `e` = live pages, `f` = how many largest follow (at
///   most [`FAILURE_LARGEST`]), `g` = the bytes the live memories reserve and `h` = the
///   engine's expected limit, by the reservation model (-1: unknown), then per largest `[id,
///   pages, label's length, definedBy's length]`.
///
/// The texts whose lengths a row gives follow one another, row after row, in
/// [`Core::event_texts`] (JS takes them after the rows, only when some row has any).
pub const EVENT_LENGTH: usize = 10 + 4 * FAILURE_LARGEST;

#[wasm_bindgen]
impl Core {
    /// Checks `ledger.on(kind, listener)`'s arguments.
    #[wasm_bindgen(js_name = checkListener)]
    pub fn check_listener(kind: JsValue, listener: JsValue) -> f64 {
        answer(|| {
            if !kind
                .as_string()
                .is_some_and(|k| KINDS.contains(&k.as_str()))
            {
                return Err(js_error(Error::UnknownEvent(describe(&kind))));
            }
            if !listener.is_function() {
                return Err(js_error(Error::ListenerNotFunction(describe(&listener))));
            }
            Ok(())
        })
    }

    /// Whether anyone listens (without listeners the ledger queues nothing).
    #[wasm_bindgen(js_name = setListening)]
    pub fn set_listening(on: bool) {
        with_ledger(|l| l.set_listening(on));
    }

    /// Takes the queued events, oldest first, as rows of [`EVENT_LENGTH`] numbers; their texts
    /// are kept for [`Core::event_texts`].
    #[wasm_bindgen(js_name = drainEvents)]
    pub fn drain_events() -> Vec<f64> {
        let (out, texts) = with_ledger(|l| {
            let events = l.drain_events();
            let mut out = Vec::with_capacity(events.len() * EVENT_LENGTH);
            let mut texts = String::new();
            for e in &events {
                out.extend_from_slice(&row(l, e, &mut texts));
            }
            (out, texts)
        });
        if !texts.is_empty() {
            state::put_texts(texts);
        }
        out
    }

    /// The texts of the rows [`Core::drain_events`] gave last, one after the other (their
    /// lengths are in the rows; see [`EVENT_LENGTH`]); taken.
    #[wasm_bindgen(js_name = eventTexts)]
    pub fn event_texts() -> String {
        state::take_texts()
    }
}

/// Appends memory `id`'s label and definedBy to `texts`; their lengths in UTF-16 code units
/// (-1: none).
fn names(l: &Ledger, id: u32, texts: &mut String) -> [f64; 2] {
    let r = l.get(id);
    let mut len = |t: Option<&String>| {
        t.map_or(-1.0, |s| {
            texts.push_str(s);
            s.encode_utf16().count() as f64
        })
    };
    let label = len(r.and_then(|r| r.label.as_ref()));
    [label, len(r.and_then(|r| r.defined_by.as_ref()))]
}

fn row(l: &Ledger, e: &Event, texts: &mut String) -> [f64; EVENT_LENGTH] {
    let n = |x: u64| x as f64;
    let mut out = [0.0; EVENT_LENGTH];
    let fill: &[f64] = match e {
        Event::Create { id, pages } => &[0.0, (*id).into(), n(*pages)],
        Event::Grow {
            id,
            from,
            to,
            source,
        } => {
            let wasm = f64::from(u8::from(*source == GrowSource::Wasm));
            &[1.0, (*id).into(), n(*from), n(*to), wasm]
        }
        Event::Collect { id, pages } => &[2.0, (*id).into(), n(*pages)],
        Event::Budget {
            id,
            budget,
            limit,
            value,
            refused,
        } => &[
            3.0,
            id.map_or(-1.0, f64::from),
            budget.code().into(),
            n(*limit),
            n(*value),
            f64::from(u8::from(*refused)),
        ],
        Event::Reached {
            id,
            budget,
            clamp,
            requested_maximum,
        } => {
            let [label, defined_by] = names(l, *id, texts);
            &[
                3.0,
                (*id).into(),
                budget.code().into(),
                n(*clamp),
                n(*clamp),
                2.0,
                requested_maximum.map_or(-1.0, n),
                label,
                defined_by,
            ]
        }
        Event::Failure(f) => {
            let head = [
                4.0,
                f.id.map_or(-1.0, f64::from),
                f.operation.code().into(),
                n(f.pages),
                n(f.live),
                n(f.without_instance),
                n(f.live_pages),
                f.largest.len() as f64,
                f.reservation.and_then(|r| r.reserved_bytes).map_or(-1.0, n),
                f.reservation.and_then(|r| r.expected_limit).map_or(-1.0, n),
            ];
            for (slot, x) in out.iter_mut().zip(head) {
                *slot = x;
            }
            for (i, &(id, pages)) in f.largest.iter().take(FAILURE_LARGEST).enumerate() {
                let [label, defined_by] = names(l, id, texts);
                let at = 10 + 4 * i;
                for (slot, x) in
                    out.iter_mut()
                        .skip(at)
                        .zip([id.into(), n(pages), label, defined_by])
                {
                    *slot = x;
                }
            }
            return out;
        }
    };
    for (slot, &x) in out.iter_mut().zip(fill) {
        *slot = x;
    }
    out
}
