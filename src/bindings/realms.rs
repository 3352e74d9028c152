//! `ledger.share()`'s view of the other realms, as JS reads it. The JS entry owns the channel, the
//! timers and the messages, gives each realm it hears a number, and hands over the numbers it
//! heard; the rule for what counts where, the heartbeats and the app budget are the core's
//! ([`crate::core::Realms`]). Only numbers cross: the names of the totals are [`TOTALS`] and
//! [`APP_TOTALS`], which JS reads from the layout.

use alloc::vec::Vec;

use super::state::{with_ledger, with_realms};
use super::values::describe;
use crate::core::{concat, decimal, Error, Heard, RealmTotals, Realms, MAX_LABEL, PAGE_BYTES};
use js_sys::JsString;
use wasm_bindgen::{JsCast, JsValue};

use super::errors::Failure;

/// The members of a realm's published totals, in [`RealmTotals::from_numbers`]'s order.
pub const TOTALS: [&str; 5] = ["live", "pages", "peak", "received", "receivedPages"];

/// The members of the app's totals, in [`app_totals`]'s order.
pub const APP_TOTALS: [&str; 6] = [
    "realms",
    "live",
    "livePages",
    "liveBytes",
    "peakTotalPages",
    "receivedPages",
];

fn own() -> RealmTotals {
    with_ledger(|l| RealmTotals::of(l))
}

/// This realm's totals as it publishes them, in [`TOTALS`]' order.
pub fn own_totals() -> Vec<f64> {
    let t = own();
    [t.live, t.pages, t.peak, t.received, t.received_pages]
        .map(|x| x as f64)
        .to_vec()
}

/// Checks `ledger.share({ name, interval })` (members read by JS); returns the interval in ms.
pub fn check_share(
    options: &JsValue,
    name: &JsValue,
    interval: &JsValue,
    has_channel: bool,
) -> Result<f64, Failure> {
    if !options.is_object() {
        return Err(Error::ShareOptions(describe(options)).into());
    }
    if !has_channel {
        return Err(Error::NoBroadcastChannel.into());
    }
    match name.dyn_ref::<JsString>().map(JsString::length) {
        Some(1..=MAX_LABEL) => {}
        Some(n) => {
            return Err(Error::ShareName(concat(&[
                "a string of ",
                &decimal(n.into()),
                " characters",
            ]))
            .into())
        }
        None => return Err(Error::ShareName(describe(name)).into()),
    }
    if interval.is_undefined() {
        return Ok(250.0);
    }
    match interval.as_f64() {
        Some(x) if Realms::valid_interval(x) => Ok(x),
        _ => Err(Error::ShareInterval(describe(interval)).into()),
    }
}

/// What realm `key` published (`totals` in [`TOTALS`]' order, another message promised within
/// `heartbeat` ms); whether it was taken (anything may post on the channel: numbers that are not
/// what they should be are ignored).
pub fn heard(key: u32, totals: &[f64], heartbeat: f64, now: f64) -> bool {
    let Some(t) = <[f64; 5]>::try_from(totals)
        .ok()
        .and_then(RealmTotals::from_numbers)
    else {
        return false;
    };
    with_realms(|r| r.heard(key, t, heartbeat, now)) != Heard::Ignored
}

/// Realm `key` said goodbye.
pub fn bye(key: u32) -> bool {
    with_realms(|r| r.bye(key))
}

/// Drops the realms overdue at `now` (all of them at infinity); returns their keys.
pub fn expire(now: f64) -> Vec<u32> {
    with_realms(|r| r.expire(now))
}

/// The app's totals over this realm and every realm heard from, in [`APP_TOTALS`]' order; a
/// crossing of the app budget is queued as a `budget` event.
pub fn app_totals() -> Vec<f64> {
    let own = own();
    let (t, event) = with_realms(|r| r.totals(own));
    if let Some(e) = event {
        with_ledger(|l| l.report(e));
    }
    [
        t.realms,
        t.live,
        t.pages,
        t.pages.saturating_mul(PAGE_BYTES),
        t.peak,
        t.received_pages,
    ]
    .map(|x| x as f64)
    .to_vec()
}
