//! `ledger.share()`'s view of the other realms, as JS reads it. The JS entry owns the channel and
//! the timers and hands over what it hears; the rule for what counts where, the heartbeats and
//! the app budget are the core's ([`crate::core::Realms`]).

use js_sys::{Array, JsString, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::errors::Failure;
use super::state::{with_ledger, with_realms};
use super::values::describe;
use crate::core::{Error, Heard, RealmTotals, Realms, MAX_LABEL, PAGE_BYTES};

/// The members of a realm's published totals, in [`RealmTotals::from_numbers`]'s order: the one
/// definition of that shape, written by [`own_totals`] and read by [`heard`].
pub const TOTALS: [&str; 5] = ["live", "pages", "peak", "received", "receivedPages"];

fn set(o: &Object, k: &str, v: JsValue) {
    // Our own fresh plain object: defining a property cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(k), &v);
}

fn own() -> RealmTotals {
    with_ledger(|l| {
        let t = l.totals();
        let (received, received_pages) = l.received();
        RealmTotals {
            live: t.live,
            pages: t.live_pages,
            peak: t.peak_total_pages,
            received,
            received_pages,
        }
    })
}

/// This realm's totals, `{ live, pages, peak, received, receivedPages }`, as it publishes them.
pub fn own_totals() -> JsValue {
    totals_object(own())
}

fn totals_object(t: RealmTotals) -> JsValue {
    let o = Object::new();
    let values = [t.live, t.pages, t.peak, t.received, t.received_pages];
    for (k, v) in TOTALS.iter().zip(values) {
        set(&o, k, JsValue::from_f64(v as f64));
    }
    o.into()
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
        Some(n) => return Err(Error::ShareName(format!("a string of {n} characters")).into()),
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

/// What another realm published: its totals as a fresh object of the numbers checked, or
/// `undefined` for a message that is not one (anything may post on the channel).
pub fn heard(key: &JsValue, totals: &JsValue, heartbeat: &JsValue, now: f64) -> JsValue {
    let (Some(key), Some(heartbeat)) = (key.as_string(), heartbeat.as_f64()) else {
        return JsValue::UNDEFINED;
    };
    if !totals.is_object() {
        return JsValue::UNDEFINED;
    }
    let mut n = [f64::NAN; 5];
    for (x, k) in n.iter_mut().zip(TOTALS) {
        // A getter on a posted object can't exist (structured clones are plain data), but a
        // failed read is just a malformed message.
        *x = Reflect::get(totals, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN);
    }
    let Some(t) = RealmTotals::from_numbers(n) else {
        return JsValue::UNDEFINED;
    };
    match with_realms(|r| r.heard(&key, t, heartbeat, now)) {
        Heard::New | Heard::Known => totals_object(t),
        Heard::Ignored => JsValue::UNDEFINED,
    }
}

/// Realm `key` said goodbye.
pub fn bye(key: &JsValue) -> bool {
    key.as_string().is_some_and(|k| with_realms(|r| r.bye(&k)))
}

/// Drops the realms overdue at `now`; returns their keys.
pub fn expire(now: f64) -> Array {
    with_realms(|r| r.expire(now))
        .into_iter()
        .map(|k| JsValue::from(k.as_str()))
        .collect()
}

/// `{ realms, live, livePages, liveBytes, peakTotalPages, receivedPages }` over this
/// realm and every realm heard from; a crossing of the app budget is queued as a `budget` event.
pub fn app_totals() -> JsValue {
    let own = own();
    let (t, event) = with_realms(|r| r.totals(own));
    if let Some(e) = event {
        with_ledger(|l| l.report(e));
    }
    let o = Object::new();
    let num = |x: u64| JsValue::from_f64(x as f64);
    set(&o, "realms", num(t.realms));
    set(&o, "live", num(t.live));
    set(&o, "livePages", num(t.pages));
    set(&o, "liveBytes", num(t.pages.saturating_mul(PAGE_BYTES)));
    set(&o, "peakTotalPages", num(t.peak));
    set(&o, "receivedPages", num(t.received_pages));
    o.into()
}
