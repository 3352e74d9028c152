//! A bounded memory found at its budget clamp is reported once (`Event::Reached`); the facts of
//! an engine's refusal (`Ledger::failure`).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{drained, enter, i32_type as ty, text};
use wasm_memory_polyfill_core::*;

fn hard(total: Option<f64>, per: Option<f64>) -> Option<Budget> {
    parse_budget(total, per, None, Some("hard"), &text).ok()
}

fn make(l: &mut Ledger, initial: u64, maximum: Option<u64>) -> u32 {
    enter(l, ty(initial, maximum), Origin::Constructed)
}

fn reached(l: &mut Ledger) -> Vec<Event> {
    drained(l, |e| matches!(e, Event::Reached { .. }))
}

#[test]
fn a_bounded_memory_at_its_clamp_is_reported_once() {
    let mut l = Ledger::new();
    l.set_listening(true);
    l.set_budget(hard(None, Some(4.0)));
    let id = make(&mut l, 1, Some(100));
    l.observe(id, 3);
    assert!(reached(&mut l).is_empty(), "below the clamp");
    l.observe(id, 4);
    assert_eq!(
        reached(&mut l),
        vec![Event::Reached {
            id,
            budget: BudgetField::PerMemoryPages,
            clamp: 4,
            requested_maximum: Some(100),
        }]
    );
    l.observe(id, 4);
    l.commit_grow(id, 4); // grow(0) through JS
    l.snapshot_like();
    assert!(reached(&mut l).is_empty(), "once per memory");
}

/// What a snapshot does to the ledger: every size read again.
trait SnapshotLike {
    fn snapshot_like(&mut self);
}
impl SnapshotLike for Ledger {
    fn snapshot_like(&mut self) {
        let sizes: Vec<(u32, u64)> = self.records().iter().map(|r| (r.id, r.pages)).collect();
        for (id, pages) in sizes {
            self.observe(id, pages);
        }
    }
}

#[test]
fn a_memory_that_asked_for_no_maximum_names_none() {
    let mut l = Ledger::new();
    l.set_listening(true);
    l.set_budget(hard(Some(6.0), None));
    let id = make(&mut l, 2, None);
    l.commit_grow(id, 6);
    assert_eq!(
        reached(&mut l),
        vec![Event::Reached {
            id,
            budget: BudgetField::TotalPages,
            clamp: 6,
            requested_maximum: None,
        }]
    );
}

#[test]
fn a_memory_made_at_its_clamp_is_reported_when_made() {
    let mut l = Ledger::new();
    l.set_listening(true);
    l.set_budget(hard(Some(3.0), None));
    let id = make(&mut l, 3, Some(10));
    assert_eq!(reached(&mut l).len(), 1);
    l.observe(id, 3);
    assert!(reached(&mut l).is_empty());
}

#[test]
fn unbounded_memories_and_their_own_maxima_are_not_reported() {
    let mut l = Ledger::new();
    l.set_listening(true);
    // No budget: at its own maximum is not a budget's doing.
    let free = make(&mut l, 1, Some(2));
    l.observe(free, 2);
    // A soft budget clamps nothing.
    l.set_budget(parse_budget(Some(3.0), None, None, Some("soft"), &text).ok());
    let soft = make(&mut l, 1, Some(3));
    l.observe(soft, 3);
    // A hard budget larger than what it asked for: its own maximum, not the clamp.
    l.set_budget(hard(None, Some(50.0)));
    let own = make(&mut l, 1, Some(5));
    assert_eq!(l.get(own).and_then(|r| r.ty.maximum), Some(5));
    l.observe(own, 5);
    // A memory made before the hard budget is unbounded, however far it grows.
    l.set_budget(hard(None, Some(2.0)));
    l.observe(free, 2);
    let exported = {
        let plan = CreatePlan::adopted(ty(1, Some(9)), true);
        l.commit_create(plan, 1, None, Origin::Exported, 0.0, None, None)
    };
    l.observe(exported, 9);
    assert!(reached(&mut l).is_empty());
}

#[test]
fn found_while_nobody_listens_is_not_reported_later() {
    let mut l = Ledger::new();
    l.set_budget(hard(None, Some(2.0)));
    let id = make(&mut l, 1, None);
    l.observe(id, 2);
    assert!(l.get(id).is_some_and(|r| r.reached));
    l.set_listening(true);
    l.snapshot_like();
    assert!(reached(&mut l).is_empty());
}

#[test]
fn a_failure_names_the_largest_memories_and_those_no_instance_holds() {
    let mut l = Ledger::new();
    l.set_listening(true);
    let a = make(&mut l, 5, None);
    let b = make(&mut l, 9, None);
    let c = make(&mut l, 5, None);
    let d = make(&mut l, 1, None);
    l.count_instance(&[b], true);
    let _ = l.drain_events();
    let f = l.failure(Operation::Grow, Some(d), 7);
    assert_eq!(
        f,
        Failure {
            operation: Operation::Grow,
            id: Some(d),
            pages: 7,
            live: 4,
            without_instance: 3,
            live_pages: 20,
            largest: vec![(b, 9), (a, 5), (c, 5)],
            reservation: None,
        }
    );
    assert_eq!(l.drain_events(), vec![Event::Failure(f)]);
    assert_eq!(l.totals().live, 4, "nothing else changes");
    let empty = Ledger::new().failure(Operation::Construct, None, 1);
    assert!(empty.largest.is_empty() && empty.live == 0);
}

#[test]
fn a_failure_is_described_in_words() {
    let mut l = Ledger::new();
    let a = make(&mut l, 16, None);
    l.set_label(a, Some("big".into()));
    let plan = CreatePlan::adopted(ty(5, None), true);
    let b = l.commit_create(
        plan,
        5,
        None,
        Origin::Exported,
        0.0,
        None,
        Some("foo.wasm".into()),
    );
    l.count_instance(&[b], true);
    let c = make(&mut l, 3, None);
    let f = l.failure(Operation::Construct, None, 1);
    assert_eq!(
        l.describe_failure(&f),
        format!(" (the ledger: 3 live memories, 24 pages in all, 2 of them held by no live instance (if unreachable, waiting for the garbage collector); the largest: \"big\" 16 pages, #{b} (foo.wasm) 5 pages, #{c} 3 pages)")
    );
    let f = Ledger::new().failure(Operation::Construct, None, 1);
    assert_eq!(
        Ledger::new().describe_failure(&f),
        " (the ledger: 0 live memories, 0 pages in all)"
    );
}

#[test]
fn an_instance_refused_is_a_failure_with_its_own_code_and_the_same_words() {
    let mut l = Ledger::new();
    l.set_listening(true);
    let a = make(&mut l, 4, None);
    let _ = l.drain_events();
    let f = l.failure(Operation::Instantiate, None, 17);
    assert_eq!(
        (f.operation, f.id, f.pages, f.live),
        (Operation::Instantiate, None, 17, 1)
    );
    assert_eq!(f.largest, vec![(a, 4)]);
    assert_eq!(l.drain_events(), vec![Event::Failure(f.clone())]);
    assert_eq!(
        l.describe_failure(&f),
        format!(" (the ledger: 1 live memory, 4 pages in all, 1 held by no live instance (if unreachable, waiting for the garbage collector); the largest: #{a} 4 pages)")
    );
    for (i, op) in Operation::ALL.iter().enumerate() {
        assert_eq!(usize::from(op.code()), i);
        assert_eq!(Operation::from_code(op.code()), Some(*op));
    }
    assert_eq!(Operation::Instantiate.as_str(), "instantiate");
    assert_eq!(Operation::from_code(3), None);
    assert_eq!(Operation::from_code(u8::MAX), None);
}

#[test]
fn a_failure_carries_what_the_reservation_model_said() {
    let mut l = Ledger::new();
    l.set_listening(true);
    let reservation = Reservation {
        reserved_bytes: Some(16 << 30),
        counted: 2,
        expected_limit: Some(125),
    };
    let f = l.failure_with(Operation::Construct, None, 1, Some(reservation));
    assert_eq!(f.reservation, Some(reservation));
    assert_eq!(l.drain_events(), vec![Event::Failure(f)]);
    assert_eq!(l.failure(Operation::Construct, None, 1).reservation, None);
}
