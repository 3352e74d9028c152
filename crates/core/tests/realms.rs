//! The app-wide view of the realms: counting each memory once, where it was made; goodbyes and
//! heartbeats; the app budget; and input from other realms that is not what it should be.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{enter, memory_type};
use proptest::prelude::*;
use wasm_memory_polyfill_core::*;

/// A memory of `pages` (a shared one with a maximum of 100, as sharing needs one).
fn memory(l: &mut Ledger, pages: u64, shared: bool, origin: Origin) -> u32 {
    enter(l, memory_type(pages, shared.then_some(100), shared), origin)
}

fn totals(l: &Ledger) -> RealmTotals {
    RealmTotals::of(l)
}

#[test]
fn a_shared_memory_received_by_two_workers_is_counted_once_where_it_was_made() {
    // The page makes a 2-page memory and a 5-page shared one and posts the shared one to two
    // workers; each worker makes 3 pages of its own and meets the shared memory as an import.
    let mut page = Ledger::new();
    memory(&mut page, 2, false, Origin::Constructed);
    let shared = memory(&mut page, 5, true, Origin::Constructed);
    let mut workers: Vec<Ledger> = (0..2).map(|_| Ledger::new()).collect();
    for w in &mut workers {
        memory(w, 3, false, Origin::Exported);
        memory(w, 5, true, Origin::Received);
        assert_eq!(w.received(), (1, 5));
        assert_eq!(
            w.totals().live_pages,
            8,
            "a realm's own ledger holds what it received"
        );
    }
    // A worker grows the shared memory to 7 pages: every realm reads 7 from the engine.
    page.observe(shared, 7);
    for w in &mut workers {
        let id = w
            .records()
            .iter()
            .find(|r| r.origin == Origin::Received)
            .unwrap()
            .id;
        w.observe(id, 7);
    }
    let mut view = Realms::new();
    for (i, w) in workers.iter().enumerate() {
        assert_eq!(view.heard(i as u32, totals(w), 1000.0, 0.0), Heard::New);
    }
    let (app, _) = view.totals(totals(&page));
    assert_eq!(app.realms, 3);
    assert_eq!(
        app.pages,
        2 + 7 + 3 + 3,
        "the shared memory once, in the page"
    );
    assert_eq!(app.live, 4);
    assert_eq!(
        (app.received, app.received_pages),
        (2, 14),
        "held twice elsewhere, in no total"
    );
}

#[test]
fn a_realm_that_says_goodbye_or_misses_its_heartbeats_leaves_the_view() {
    let mut view = Realms::new();
    let t = RealmTotals {
        live: 1,
        pages: 4,
        peak: 4,
        received: 0,
        received_pages: 0,
    };
    view.heard(1, t, 1000.0, 0.0);
    view.heard(2, t, 1000.0, 0.0);
    view.heard(3, t, 5000.0, 0.0);
    assert_eq!(view.heard(1, t, 1000.0, 500.0), Heard::Known);
    assert!(view.bye(2));
    assert!(!view.bye(2), "once");
    // a was last heard at 500 with a 1 s heartbeat: overdue after 4 missed heartbeats.
    assert!(view.expire(4000.0).is_empty());
    assert_eq!(view.expire(4501.0), vec![1]);
    assert_eq!(
        view.keys().collect::<Vec<_>>(),
        vec![3],
        "c promised a 5 s heartbeat"
    );
    assert_eq!(view.expire(20_001.0), vec![3]);
    view.heard(1, t, 1000.0, 0.0);
    assert_eq!(
        view.expire(f64::INFINITY),
        vec![1],
        "stopping forgets every realm"
    );
    let (app, _) = view.totals(RealmTotals::default());
    assert_eq!((app.realms, app.pages), (1, 0));
}

#[test]
fn the_app_budget_is_reported_once_per_crossing_and_never_refuses() {
    let mut view = Realms::new();
    view.set_app_budget(Some(10));
    let own = |pages| RealmTotals {
        live: 1,
        pages,
        peak: pages,
        received: 0,
        received_pages: 0,
    };
    assert_eq!(view.totals(own(4)).1, None);
    let w = 7;
    view.heard(w, own(5), 1000.0, 0.0);
    assert_eq!(view.totals(own(4)).1, None, "9 pages: under");
    view.heard(w, own(7), 1000.0, 1.0);
    let (app, event) = view.totals(own(4));
    assert_eq!(app.pages, 11);
    assert_eq!(
        event,
        Some(Event::Budget {
            id: None,
            budget: BudgetField::AppPages,
            limit: 10,
            value: 11,
            refused: false
        })
    );
    assert_eq!(BudgetField::AppPages.as_str(), "appPages");
    assert_eq!(view.totals(own(5)).1, None, "still above: no new event");
    view.bye(w);
    assert_eq!(view.totals(own(5)).1, None, "under again");
    view.heard(w, own(9), 1000.0, 2.0);
    assert!(view.totals(own(5)).1.is_some(), "a new crossing");
    let (app, _) = view.totals(own(1));
    assert_eq!(app.peak, 14, "the most seen");
    view.set_app_budget(None);
    assert_eq!(view.totals(own(50)).1, None);
}

#[test]
fn malformed_messages_are_ignored() {
    let mut view = Realms::new();
    let t = RealmTotals::default();
    assert_eq!(view.heard(1, t, f64::NAN, 0.0), Heard::Ignored);
    assert_eq!(view.heard(1, t, 1.0, 0.0), Heard::Ignored);
    assert_eq!(view.heard(1, t, 3e9, 0.0), Heard::Ignored);
    assert_eq!(view.heard(1, t, 1000.0, f64::INFINITY), Heard::Ignored);
    assert_eq!(view.keys().count(), 0);
    assert_eq!(
        RealmTotals::from_numbers([1.0, 2.0, 2.0, 0.0, 0.0]).map(|t| t.pages),
        Some(2)
    );
    assert_eq!(RealmTotals::from_numbers([1.0, 2.5, 2.0, 0.0, 0.0]), None);
    assert_eq!(RealmTotals::from_numbers([1.0, -1.0, 2.0, 0.0, 0.0]), None);
    assert_eq!(
        RealmTotals::from_numbers([1.0, 2.0, 2.0, 2.0, 0.0]),
        None,
        "received > live"
    );
    assert_eq!(
        RealmTotals::from_numbers([1.0, 2.0, 2.0, 1.0, 3.0]),
        None,
        "received pages > pages"
    );
    assert_eq!(
        RealmTotals::from_numbers([f64::NAN, 2.0, 2.0, 0.0, 0.0]),
        None
    );
    assert_eq!(RealmTotals::from_numbers([1e300, 2.0, 2.0, 0.0, 0.0]), None);
}

#[test]
fn the_version_moves_with_every_change_a_snapshot_shows() {
    let mut l = Ledger::new();
    let v0 = l.version();
    let id = memory(&mut l, 1, false, Origin::Constructed);
    let v1 = l.version();
    assert!(v1 > v0);
    l.observe(id, 1);
    assert_eq!(l.version(), v1, "the same size: no change");
    l.observe(id, 2);
    let v2 = l.version();
    assert!(v2 > v1);
    assert!(l.set_label(id, Some("x".into())));
    let v3 = l.version();
    assert!(v3 > v2);
    l.collect(id);
    assert!(l.version() > v3);
    assert_eq!(
        Origin::ALL.map(Origin::as_str),
        ["constructed", "exported", "received"]
    );
    assert!(Origin::ALL
        .iter()
        .enumerate()
        .all(|(i, o)| usize::from(o.code()) == i));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the realms hold, the app's pages are exactly the pages made in them, and adding
    /// what they received gives the sum of every realm's own ledger.
    #[test]
    fn app_totals_are_what_the_realms_made(realms in proptest::collection::vec(
        proptest::collection::vec((0u64..50, 0u8..3), 0..8), 1..6)
    ) {
        let ledgers: Vec<Ledger> = realms.iter().map(|mems| {
            let mut l = Ledger::new();
            for &(pages, origin) in mems {
                memory(&mut l, pages, origin == 2, Origin::ALL[usize::from(origin)]);
            }
            l
        }).collect();
        let mut view = Realms::new();
        for (i, l) in ledgers.iter().enumerate().skip(1) {
            view.heard(i as u32, totals(l), 1000.0, 0.0);
        }
        let (app, _) = view.totals(totals(&ledgers[0]));
        let made: u64 = realms.iter().flatten().filter(|m| m.1 != 2).map(|m| m.0).sum();
        let all: u64 = ledgers.iter().map(|l| l.totals().live_pages).sum();
        prop_assert_eq!(app.pages, made);
        prop_assert_eq!(app.pages + app.received_pages, all);
        prop_assert_eq!(app.realms, realms.len() as u64);
    }
}
