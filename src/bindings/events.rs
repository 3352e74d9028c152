//! The core's queued events as numbers for the JS entry, which holds the listeners, builds each
//! event object (an object literal: no setter on `Object.prototype` sees or drops a member) and
//! calls them: Rust never calls a listener, nor into JS while it holds the ledger.

use alloc::vec::Vec;

use super::state::with_ledger;
use crate::core::{Event, GrowSource};

/// The event kinds a listener can subscribe to, as `ledger.on` spells them; an event's code is
/// its index here.
pub const KINDS: [&str; 4] = ["create", "grow", "collect", "budget"];

/// Numbers per event in [`drain`]'s rows: `[kind, id (-1: none), a, b, c, d]`, where
/// - create, collect: `a` = pages;
/// - grow: `a` = from, `b` = to, `c` = source (0: js, 1: wasm);
/// - budget: `a` = the budget field's code, `b` = limit, `c` = value, `d` = refused (0|1).
pub const EVENT_LENGTH: usize = 6;

/// Whether `s` is one of [`KINDS`].
pub fn is_kind(s: &str) -> bool {
    KINDS.contains(&s)
}

/// Takes the queued events, oldest first, as rows of [`EVENT_LENGTH`] numbers.
pub fn drain() -> Vec<f64> {
    with_ledger(|l| {
        let events = l.drain_events();
        let mut out = Vec::with_capacity(events.len() * EVENT_LENGTH);
        for e in &events {
            out.extend_from_slice(&row(e));
        }
        out
    })
}

fn row(e: &Event) -> [f64; EVENT_LENGTH] {
    let n = |x: u64| x as f64;
    match *e {
        Event::Create { id, pages } => [0.0, id.into(), n(pages), 0.0, 0.0, 0.0],
        Event::Grow {
            id,
            from,
            to,
            source,
        } => {
            let wasm = f64::from(u8::from(source == GrowSource::Wasm));
            [1.0, id.into(), n(from), n(to), wasm, 0.0]
        }
        Event::Collect { id, pages } => [2.0, id.into(), n(pages), 0.0, 0.0, 0.0],
        Event::Budget {
            id,
            budget,
            limit,
            value,
            refused,
        } => [
            3.0,
            id.map_or(-1.0, f64::from),
            budget.code().into(),
            n(limit),
            n(value),
            f64::from(u8::from(refused)),
        ],
    }
}
