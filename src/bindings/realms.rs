//! `ledger.share()`'s view of the other realms, as JS reads it. The JS entry owns the channel, the
//! timers and the messages, gives each realm it hears a number, and hands over the numbers it
//! heard; the rule for what counts where, the heartbeats and the app budget are the core's
//! ([`crate::rules::Realms`]). Only numbers cross: the names of the totals are [`TOTALS`] and
//! [`APP_TOTALS`], which JS reads from the layout.

use alloc::vec::Vec;

use js_sys::JsString;
use wasm_bindgen::prelude::*;

use super::core_class::Core;
use super::errors::{answer, js_error};
use super::state::{with_ledger, with_realms};
use super::values::describe;
use crate::rules::{
    concat, decimal, Error, Heard, RealmTotals, Realms, DEFAULT_INTERVAL_MS, MAX_LABEL, PAGE_BYTES,
};

/// The members of a realm's published totals, in [`RealmTotals::from_numbers`]'s order.
pub const TOTALS: [&str; 5] = ["live", "pages", "peak", "received", "receivedPages"];

/// The members of the app's totals, in [`Core::app_totals`]' order.
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

#[wasm_bindgen]
impl Core {
    /// Checks `ledger.share(options)` (`name`, `interval` read by JS; `hasChannel`: whether
    /// there is a `BroadcastChannel`); returns the interval in milliseconds.
    #[wasm_bindgen(js_name = checkShare)]
    pub fn check_share(
        options: JsValue,
        name: JsValue,
        interval: JsValue,
        has_channel: bool,
    ) -> f64 {
        answer(|| {
            if !options.is_object() {
                return Err(js_error(Error::ShareOptions(describe(&options))));
            }
            if !has_channel {
                return Err(js_error(Error::NoBroadcastChannel));
            }
            match name.dyn_ref::<JsString>().map(JsString::length) {
                Some(1..=MAX_LABEL) => {}
                Some(n) => {
                    let text = concat(&["a string of ", &decimal(n.into()), " characters"]);
                    return Err(js_error(Error::ShareName(text)));
                }
                None => return Err(js_error(Error::ShareName(describe(&name)))),
            }
            if interval.is_undefined() {
                return Ok(DEFAULT_INTERVAL_MS);
            }
            match interval.as_f64() {
                Some(x) if Realms::valid_interval(x) => Ok(x),
                _ => Err(js_error(Error::ShareInterval(describe(&interval)))),
            }
        })
    }

    /// This realm's totals as it publishes them, named by the layout's `realmTotals`
    /// ([`TOTALS`]).
    #[wasm_bindgen(js_name = realmTotals)]
    pub fn realm_totals() -> Vec<f64> {
        let t = own();
        [t.live, t.pages, t.peak, t.received, t.received_pages]
            .map(|x| x as f64)
            .to_vec()
    }

    /// What the realm JS numbered `key` published (`totals` named by the layout's
    /// `realmTotals`, another message promised within `heartbeat` ms); whether it was taken
    /// (anything may post on the channel: numbers that are not what they should be are
    /// ignored).
    #[wasm_bindgen(js_name = realmHeard)]
    pub fn realm_heard(key: u32, totals: Vec<f64>, heartbeat: f64, now: f64) -> bool {
        let Some(t) = <[f64; 5]>::try_from(totals.as_slice())
            .ok()
            .and_then(RealmTotals::from_numbers)
        else {
            return false;
        };
        with_realms(|r| r.heard(key, t, heartbeat, now)) != Heard::Ignored
    }

    /// Realm `key` said goodbye; whether it was in the view.
    #[wasm_bindgen(js_name = realmBye)]
    pub fn realm_bye(key: u32) -> bool {
        with_realms(|r| r.bye(key))
    }

    /// Drops the realms whose heartbeat is overdue at `now` (all of them at `Infinity`);
    /// returns their keys.
    #[wasm_bindgen(js_name = realmsExpire)]
    pub fn realms_expire(now: f64) -> Vec<u32> {
        with_realms(|r| r.expire(now))
    }

    /// The app's totals over this realm and every realm heard from, each memory counted where
    /// it was made, named by the layout's `appTotals` ([`APP_TOTALS`]); a crossing of
    /// `appPages` is queued as a `budget` event.
    #[wasm_bindgen(js_name = appTotals)]
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
}
