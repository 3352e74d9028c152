//! The app-wide view: what the other realms (the page, workers) publish about their ledgers.
//!
//! Each realm has its own ledger. A realm that shares publishes its totals; every sharing realm
//! keeps here the latest totals heard from each of the others, drops a realm that says goodbye
//! or misses its heartbeats, and sums them into the app's totals.
//!
//! **Counted once, where it was made.** A shared memory posted from one realm to another is one
//! memory, but no JavaScript API gives it an identity that can be compared across realms (each
//! realm gets its own `WebAssembly.Memory` and `SharedArrayBuffer` objects for it, and the
//! polyfill never writes into user memory to tag it). So the app's totals add up what each realm
//! *made* (its records with origin `constructed` or `exported`); what a realm *received*
//! (origin `received`: an import, or a re-exported import, its ledger did not hold) is reported
//! apart and never added, since the realm that made it counts it if it shares. Every memory made
//! in a realm is made there only, so nothing is ever counted twice; a memory whose maker doesn't
//! share (or made it before the polyfill saw it) is in no total, only in `received`.

use alloc::vec::Vec;

use super::ledger::{whole, BudgetField, Event};

/// How many heartbeats a realm may miss before the others drop it.
pub const MISSED_HEARTBEATS: f64 = 4.0;

/// The least time between two heartbeats, in milliseconds: a realm publishes at least every
/// `max(interval, HEARTBEAT_MS)`, even when nothing changed (and at most every `interval`).
pub const HEARTBEAT_MS: f64 = 1000.0;

/// The shortest and longest intervals of `ledger.share` and `ledger.watch`, in milliseconds
/// (the longest is the most a timer takes: 2^31 - 1).
pub const INTERVAL_MS: (f64, f64) = (10.0, 2_147_483_647.0);

/// The interval of `ledger.share` and `ledger.watch` when none is given, in milliseconds.
pub const DEFAULT_INTERVAL_MS: f64 = 250.0;

/// A realm's totals, as it publishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RealmTotals {
    /// Live memories in its ledger (received ones included).
    pub live: u64,
    /// Their pages.
    pub pages: u64,
    /// The most pages its ledger has held at once.
    pub peak: u64,
    /// Of `live`, the memories it received (made elsewhere).
    pub received: u64,
    /// Their pages.
    pub received_pages: u64,
}

impl RealmTotals {
    /// A ledger's totals as its realm publishes them.
    pub fn of(ledger: &super::ledger::Ledger) -> Self {
        let t = ledger.totals();
        let (received, received_pages) = ledger.received();
        Self {
            live: t.live,
            pages: t.live_pages,
            peak: t.peak_total_pages,
            received,
            received_pages,
        }
    }

    /// The totals from `[live, pages, peak, received, receivedPages]` as another realm sent
    /// them; `None` unless each is a whole number and the received part fits in the whole.
    pub fn from_numbers(n: [f64; 5]) -> Option<Self> {
        if !n.iter().all(|&x| whole(x)) {
            return None;
        }
        let [live, pages, peak, received, received_pages] = n.map(|x| x as u64);
        (received <= live && received_pages <= pages).then_some(RealmTotals {
            live,
            pages,
            peak,
            received,
            received_pages,
        })
    }

    /// `(memories, pages)` it made: what it adds to the app's totals.
    pub fn made(&self) -> (u64, u64) {
        (
            self.live.saturating_sub(self.received),
            self.pages.saturating_sub(self.received_pages),
        )
    }
}

/// Sums over every realm heard from, this one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppTotals {
    /// Realms in the view.
    pub realms: u64,
    /// Memories made in them (each counted once, where it was made).
    pub live: u64,
    /// Their pages.
    pub pages: u64,
    /// The most `pages` has been, as seen from this realm while it shares.
    pub peak: u64,
    /// Memories the realms hold but did not make: in no total (see the module's notes).
    pub received: u64,
    /// Their pages, summed per realm that holds them.
    pub received_pages: u64,
}

/// What hearing from a realm did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A realm not in the view until now (the others publish at once, so it learns of them).
    New,
    /// An update from a realm in the view.
    Known,
    /// A message that is not one: ignored.
    Ignored,
}

struct Other {
    key: u32,
    totals: RealmTotals,
    expires_ms: f64,
}

/// The other realms of the app, as last heard, and the app-wide budget.
#[derive(Default)]
pub struct Realms {
    others: Vec<Other>,
    app_pages: Option<u64>,
    over_app: bool,
    peak: u64,
}

impl Realms {
    /// No other realm, no app budget.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `interval_ms` is an accepted publishing interval.
    pub fn valid_interval(interval_ms: f64) -> bool {
        (INTERVAL_MS.0..=INTERVAL_MS.1).contains(&interval_ms)
    }

    /// Records what realm `key` (a number the caller gives each realm it hears) published at
    /// `now_ms`, promising to publish again within `heartbeat_ms`. Malformed input (from any
    /// script that posts on the channel) is ignored.
    pub fn heard(
        &mut self,
        key: u32,
        totals: RealmTotals,
        heartbeat_ms: f64,
        now_ms: f64,
    ) -> Heard {
        if !Self::valid_interval(heartbeat_ms) || !now_ms.is_finite() {
            return Heard::Ignored;
        }
        let expires_ms = now_ms + heartbeat_ms * MISSED_HEARTBEATS;
        match self.others.iter_mut().find(|o| o.key == key) {
            Some(o) => {
                o.totals = totals;
                o.expires_ms = expires_ms;
                Heard::Known
            }
            None => {
                self.others.push(Other {
                    key,
                    totals,
                    expires_ms,
                });
                Heard::New
            }
        }
    }

    /// Drops realm `key` (it said goodbye); whether it was in the view.
    pub fn bye(&mut self, key: u32) -> bool {
        let before = self.others.len();
        self.others.retain(|o| o.key != key);
        self.others.len() != before
    }

    /// Drops the realms whose heartbeat is overdue at `now_ms` (every one at infinity: this
    /// realm stopped sharing); returns their keys.
    pub fn expire(&mut self, now_ms: f64) -> Vec<u32> {
        let mut gone = Vec::new();
        self.others.retain(|o| {
            let keep = o.expires_ms >= now_ms;
            if !keep {
                gone.push(o.key);
            }
            keep
        });
        gone
    }

    /// The keys of the realms in the view, this one not included.
    pub fn keys(&self) -> impl Iterator<Item = u32> + '_ {
        self.others.iter().map(|o| o.key)
    }

    /// Sets (or with `None` removes) the app-wide budget: `appPages`.
    pub fn set_app_budget(&mut self, pages: Option<u64>) {
        self.app_pages = pages;
        self.over_app = false;
    }

    /// The app-wide budget in force.
    pub fn app_budget(&self) -> Option<u64> {
        self.app_pages
    }

    /// The app's totals: this realm's (`own`) and every other's, each memory counted where it
    /// was made. With an app budget, returns the `budget` event for a crossing of it (once per
    /// crossing: falling back under it re-arms it); it never refuses anything.
    pub fn totals(&mut self, own: RealmTotals) -> (AppTotals, Option<Event>) {
        let mut t = AppTotals::default();
        for r in core::iter::once(&own).chain(self.others.iter().map(|o| &o.totals)) {
            let (live, pages) = r.made();
            t.realms += 1;
            t.live = t.live.saturating_add(live);
            t.pages = t.pages.saturating_add(pages);
            t.received = t.received.saturating_add(r.received);
            t.received_pages = t.received_pages.saturating_add(r.received_pages);
        }
        self.peak = self.peak.max(t.pages);
        t.peak = self.peak;
        let over = self.app_pages.is_some_and(|limit| t.pages > limit);
        let event = match self.app_pages {
            Some(limit) if over && !self.over_app => Some(Event::Budget {
                id: None,
                budget: BudgetField::AppPages,
                limit,
                value: t.pages,
                refused: false,
            }),
            _ => None,
        };
        self.over_app = over;
        (t, event)
    }
}
