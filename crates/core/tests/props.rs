//! Property tests of the core on the host: the ledger's arithmetic, budgets, the descriptor rules.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{drained, enter, i32_type, text};
use proptest::prelude::*;
use wasm_memory_polyfill_core::*;

/// The memories `bytes` exports (the core reads imports and exports in one pass).
fn exported(bytes: &[u8]) -> Option<Vec<ExportedMemory<'_>>> {
    module_memories(bytes).map(|(_, exports)| exports)
}

/// The live record at `pick` (wrapping around), if there is any.
fn picked(l: &Ledger, pick: usize) -> Option<Record> {
    let records = l.records();
    (!records.is_empty()).then(|| records[pick % records.len()].clone())
}

#[derive(Debug, Clone)]
enum Op {
    Create {
        initial: u64,
        maximum: Option<u64>,
        shared: bool,
    },
    Grow {
        pick: usize,
        delta: u64,
    },
    Observe {
        pick: usize,
        extra: u64,
    },
    Collect {
        pick: usize,
    },
    Budget(Option<Budget>),
}

fn op() -> impl Strategy<Value = Op> {
    let budget = prop_oneof![
        Just(None),
        (
            proptest::option::of(0u64..200),
            proptest::option::of(0u64..50),
            proptest::option::of(0u64..10),
            any::<bool>()
        )
            .prop_map(|(t, p, m, hard)| Some(Budget {
                total_pages: t,
                per_memory_pages: p,
                memories: m,
                mode: if hard {
                    BudgetMode::Hard
                } else {
                    BudgetMode::Soft
                },
            })),
    ];
    prop_oneof![
        4 => (0u64..40, proptest::option::of(0u64..80), any::<bool>())
            .prop_map(|(initial, maximum, shared)| Op::Create { initial, maximum, shared }),
        4 => (any::<usize>(), 0u64..30).prop_map(|(pick, delta)| Op::Grow { pick, delta }),
        1 => (any::<usize>(), 0u64..5).prop_map(|(pick, extra)| Op::Observe { pick, extra }),
        2 => any::<usize>().prop_map(|pick| Op::Collect { pick }),
        1 => budget.prop_map(Op::Budget),
    ]
}

fn snapshot(l: &Ledger) -> (Totals, Vec<Record>) {
    let mut records = l.records().to_vec();
    records.sort_by_key(|r| r.id);
    (l.totals(), records)
}

fn check_invariants(l: &Ledger) {
    let t = l.totals();
    let records = l.records();
    assert_eq!(
        t.live,
        records.len() as u64,
        "live count is the number of records"
    );
    assert_eq!(
        t.live_pages,
        records.iter().map(|r| r.pages).sum::<u64>(),
        "live pages is the sum of records"
    );
    assert_eq!(t.created - t.collected, t.live);
    assert!(
        t.peak_total_pages >= t.live_pages,
        "peak total never below current"
    );
    for r in records {
        assert!(r.peak >= r.pages, "peak never below current");
        if let Some(max) = r.ty.maximum {
            assert!(r.pages <= max, "never past the effective maximum");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn ledger_totals_always_equal_the_sum_of_records(ops in proptest::collection::vec(op(), 1..60)) {
        let mut l = Ledger::new();
        for op in ops {
            let before = snapshot(&l);
            match op {
                Op::Create { initial, maximum, shared } => {
                    let req = RequestedType { address: AddressType::I32, initial, maximum, shared };
                    let Ok(ty) = req.validate() else { continue };
                    match l.plan_create(ty) {
                        Ok(plan) => {
                            if let (Some(b), Some(max)) = (l.budget(), plan.ty.maximum) {
                                if b.mode == BudgetMode::Hard {
                                    if let Some(p) = b.per_memory_pages { prop_assert!(max <= p, "clamped to perMemoryPages"); }
                                    if let Some(t) = b.total_pages { prop_assert!(max + l.totals().live_pages <= t, "clamped to what totalPages leaves"); }
                                }
                            }
                            l.commit_create(plan, ty.minimum, None, Origin::Constructed, 0.0, None, None);
                        }
                        Err(e) => {
                            prop_assert_eq!(e.kind(), ErrorKind::Range);
                            prop_assert_eq!(snapshot(&l), before, "a refused construction changes nothing");
                        }
                    }
                }
                Op::Grow { pick, delta } => {
                    let Some(r) = picked(&l, pick) else { continue };
                    if check_grow(&r.ty, r.pages, delta).is_err() { continue }
                    match l.plan_grow(r.id, r.pages, delta) {
                        Ok(()) => l.commit_grow(r.id, r.pages + delta),
                        Err(e) => {
                            prop_assert_eq!(e.kind(), ErrorKind::Range);
                            prop_assert_eq!(snapshot(&l), before, "a refused grow changes nothing");
                        }
                    }
                }
                Op::Observe { pick, extra } => {
                    let Some(r) = picked(&l, pick) else { continue };
                    let cap = r.ty.maximum.unwrap_or(65_536);
                    l.observe(r.id, (r.pages + extra).min(cap));
                }
                Op::Collect { pick } => {
                    let Some(id) = picked(&l, pick).map(|r| r.id) else { continue };
                    l.collect(id);
                    prop_assert!(l.get(id).is_none());
                }
                Op::Budget(b) => l.set_budget(b),
            }
            check_invariants(&l);
        }
    }

    /// The bindings commit constructions, grows, size reads and instance counts without stack
    /// room when the core's plan finds them quiet: a ledger changed that way whenever it can be
    /// must equal one always changed the full way, events included (listeners come and go).
    #[test]
    fn quiet_commits_change_the_ledger_exactly_as_the_full_path(ops in proptest::collection::vec(op(), 1..60)) {
        let (mut full, mut quiet) = (Ledger::new(), Ledger::new());
        for (i, op) in ops.into_iter().enumerate() {
            let listening = i % 7 < 3;
            full.set_listening(listening);
            quiet.set_listening(listening);
            match op {
                Op::Create { initial, maximum, shared } => {
                    let req = RequestedType { address: AddressType::I32, initial, maximum, shared };
                    let Ok(ty) = req.validate() else { continue };
                    // As the bindings do: quiet first (what the plan gives without a budget).
                    let quiet_id = quiet.plan_quiet_create(0, false);
                    let full_plan = full.plan_create(ty);
                    match quiet_id {
                        Some(id) => {
                            let plan = CreatePlan::adopted(ty, true);
                            let entry = Entry { plan, pages: ty.minimum, label: None, origin: Origin::Constructed, created_ms: 1.0, stack: None, defined_by: None, instances: 0 };
                            quiet.apply_quiet_create(id, entry);
                        }
                        None => {
                            if let Ok(plan) = quiet.plan_create(ty) {
                                quiet.commit_create(plan, ty.minimum, None, Origin::Constructed, 1.0, None, None);
                            }
                        }
                    }
                    if let Ok(plan) = full_plan {
                        full.commit_create(plan, ty.minimum, None, Origin::Constructed, 1.0, None, None);
                    }
                }
                Op::Grow { pick, delta } | Op::Observe { pick, extra: delta } => {
                    let js = matches!(op, Op::Grow { .. });
                    let Some(r) = picked(&full, pick) else { continue };
                    let pages = (r.pages + delta).min(r.ty.maximum.unwrap_or(65_536));
                    if js { full.commit_grow(r.id, pages) } else { full.observe(r.id, pages) }
                    // An observed size the record already has changes nothing (the bindings' type()).
                    let unchanged = !js && pages == r.pages;
                    match quiet.plan_quiet_resize(r.id, pages).filter(|_| !unchanged) {
                        Some(plan) => {
                            quiet.apply_quiet_resize(plan);
                        }
                        None if js => quiet.commit_grow(r.id, pages),
                        None => quiet.observe(r.id, pages),
                    }
                    full.count_instance(&[r.id], js);
                    match quiet.plan_quiet_count(r.id) {
                        Some(slot) => quiet.apply_quiet_count(slot, js),
                        None => quiet.count_instance(&[r.id], js),
                    }
                }
                Op::Collect { pick } => {
                    let Some(id) = picked(&full, pick).map(|r| r.id) else { continue };
                    full.collect(id);
                    quiet.collect(id);
                }
                Op::Budget(b) => {
                    full.set_budget(b);
                    quiet.set_budget(b);
                }
            }
            prop_assert_eq!(snapshot(&quiet), snapshot(&full));
            prop_assert_eq!(quiet.drain_events(), full.drain_events());
            check_invariants(&quiet);
        }
    }

    #[test]
    fn a_hard_budget_set_first_holds_for_every_js_grow(total in 1u64..100, ops in proptest::collection::vec(op(), 1..60)) {
        let mut l = Ledger::new();
        l.set_budget(Some(Budget { total_pages: Some(total), per_memory_pages: None, memories: None, mode: BudgetMode::Hard }));
        for op in ops {
            match op {
                Op::Create { initial, maximum, shared } => {
                    let Ok(ty) = (RequestedType { address: AddressType::I32, initial, maximum, shared }).validate() else { continue };
                    if let Ok(plan) = l.plan_create(ty) {
                        l.commit_create(plan, ty.minimum, None, Origin::Constructed, 0.0, None, None);
                    }
                }
                Op::Grow { pick, delta } => {
                    let Some(r) = picked(&l, pick) else { continue };
                    if check_grow(&r.ty, r.pages, delta).is_ok() && l.plan_grow(r.id, r.pages, delta).is_ok() {
                        l.commit_grow(r.id, r.pages + delta);
                    }
                }
                Op::Collect { pick } => {
                    let Some(id) = picked(&l, pick).map(|r| r.id) else { continue };
                    l.collect(id);
                }
                _ => {}
            }
            prop_assert!(l.totals().live_pages <= total, "{} > {}", l.totals().live_pages, total);
        }
    }

    #[test]
    fn validate_follows_the_spec_rules(initial in 0u64..70_000, maximum in proptest::option::of(0u64..70_000), shared: bool) {
        let r = RequestedType { address: AddressType::I32, initial, maximum, shared }.validate();
        let expected = if maximum.is_some_and(|m| m < initial) {
            Some(ErrorKind::Range)
        } else if shared && maximum.is_none() {
            Some(ErrorKind::Type)
        } else if initial > 65_536 || maximum.is_some_and(|m| m > 65_536) {
            Some(ErrorKind::Range)
        } else {
            None
        };
        prop_assert_eq!(r.as_ref().err().map(Error::kind), expected);
        if let Ok(ty) = r {
            prop_assert_eq!((ty.minimum, ty.maximum, ty.shared), (initial, maximum, shared));
        }
    }

    #[test]
    fn enforce_range_matches_webidl(x in prop_oneof![any::<f64>(), -1e10f64..1e10, Just(-0.0), Just(4294967295.0), Just(4294967296.0)]) {
        let r = enforce_range_u32(Field::Initial, x, text);
        let t = x.trunc();
        if x.is_finite() && (0.0..=4294967295.0).contains(&t) {
            prop_assert_eq!(r, Ok(t as u32));
        } else {
            prop_assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::Type));
        }
    }

    #[test]
    fn module_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut with_header = b"\0asm\x01\0\0\0".to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = exported(&bytes);
        let _ = exported(&with_header);
        let _ = module_name_str(&bytes);
    }
}

#[test]
fn budget_parsing_names_the_field_and_the_limit() {
    let e = parse_budget(Some(-1.0), None, None, None, &text).unwrap_err();
    assert!(
        e.to_string().contains("totalPages") && e.to_string().contains("2^53"),
        "{e}"
    );
    assert_eq!(e.kind(), ErrorKind::Range);
    let e = parse_budget(None, None, None, Some("medium"), &text).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Type);
    assert!(e.to_string().contains("medium"));
    assert!(parse_budget(Some(1.5), None, None, None, &text).is_err());
    assert_eq!(
        parse_budget(None, Some(10.0), Some(3.0), Some("soft"), &text).map(|b| b.mode),
        Ok(BudgetMode::Soft)
    );
}

#[test]
fn a_soft_budget_succeeds_and_queues_a_budget_event() {
    let mut l = Ledger::new();
    l.set_listening(true);
    l.set_budget(parse_budget(Some(2.0), None, None, Some("soft"), &text).ok());
    let ty = i32_type(3, None);
    let plan = l.plan_create(ty).expect("soft budgets allow");
    assert_eq!(plan.ty.maximum, None, "soft budgets never clamp");
    l.commit_create(plan, 3, None, Origin::Constructed, 0.0, None, None);
    let events = l.drain_events();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Budget {
                budget: BudgetField::TotalPages,
                refused: false,
                value: 3,
                limit: 2,
                ..
            }
        )),
        "{events:?}"
    );
    let budget_events = events
        .iter()
        .filter(|e| matches!(e, Event::Budget { .. }))
        .count();
    assert_eq!(budget_events, 1, "one crossing, one event: {events:?}");
}

#[test]
fn a_hard_budget_clamps_the_maximum_so_wasm_cannot_pass_it() {
    let mut l = Ledger::new();
    l.set_budget(parse_budget(Some(10.0), Some(6.0), None, None, &text).ok());
    let ty = i32_type(1, None);
    let plan = l.plan_create(ty).unwrap();
    assert_eq!(
        plan.ty.maximum,
        Some(6),
        "min(perMemoryPages, totalPages - live)"
    );
    assert_eq!(plan.requested_maximum, None);
    l.commit_create(plan, 1, None, Origin::Constructed, 0.0, None, None);
    let ty = i32_type(2, Some(100));
    assert_eq!(l.plan_create(ty).unwrap().ty.maximum, Some(6));
    let ty = i32_type(7, None);
    let e = l.plan_create(ty).unwrap_err();
    assert!(e.to_string().contains("perMemoryPages = 6"), "{e}");
}

#[test]
fn without_listeners_nothing_is_queued() {
    let mut l = Ledger::new();
    let ty = i32_type(1, None);
    let plan = l.plan_create(ty).unwrap();
    let id = l.commit_create(plan, 1, None, Origin::Constructed, 0.0, None, None);
    l.commit_grow(id, 2);
    assert!(l.drain_events().is_empty());
    l.set_listening(true);
    l.commit_grow(id, 3);
    assert_eq!(
        l.drain_events(),
        vec![Event::Grow {
            id,
            from: 2,
            to: 3,
            source: GrowSource::Js
        }]
    );
}

fn one_memory(l: &mut Ledger, initial: u64) -> u32 {
    enter(l, i32_type(initial, None), Origin::Exported)
}

fn budget_events(l: &mut Ledger) -> Vec<Event> {
    drained(l, |e| matches!(e, Event::Budget { .. }))
}

#[test]
fn a_size_read_that_crosses_a_budget_reports_it_once_per_crossing() {
    // Growth inside wasm is found by a size read (observe): it must be held to the budget's
    // reporting like a grow() call, once per crossing, not on every read while above.
    let mut l = Ledger::new();
    l.set_listening(true);
    let id = one_memory(&mut l, 1);
    l.set_budget(parse_budget(Some(4.0), None, None, Some("soft"), &text).ok());
    assert!(budget_events(&mut l).is_empty());
    l.observe(id, 10);
    let events = l.drain_events();
    assert!(events.contains(&Event::Grow {
        id,
        from: 1,
        to: 10,
        source: GrowSource::Wasm
    }));
    assert!(
        events.contains(&Event::Budget {
            id: Some(id),
            budget: BudgetField::TotalPages,
            limit: 4,
            value: 10,
            refused: false
        }),
        "{events:?}"
    );
    l.observe(id, 11);
    l.observe(id, 12);
    assert!(
        budget_events(&mut l).is_empty(),
        "still above: no new event"
    );
    // Below again (the memory is collected), then above again: a new crossing.
    l.collect(id);
    let id = one_memory(&mut l, 2);
    assert!(budget_events(&mut l).is_empty());
    l.observe(id, 5);
    assert_eq!(budget_events(&mut l).len(), 1);
}

#[test]
fn a_hard_budget_reports_growth_it_could_not_bound() {
    let mut l = Ledger::new();
    l.set_listening(true);
    let id = one_memory(&mut l, 1);
    l.set_budget(parse_budget(Some(4.0), Some(3.0), None, Some("hard"), &text).ok());
    l.observe(id, 9); // an exported memory of a module compiled before the budget
    let fields: Vec<BudgetField> = budget_events(&mut l)
        .into_iter()
        .filter_map(|e| match e {
            Event::Budget {
                budget,
                refused: false,
                ..
            } => Some(budget),
            _ => None,
        })
        .collect();
    assert_eq!(
        fields,
        vec![BudgetField::PerMemoryPages, BudgetField::TotalPages]
    );
}

#[test]
fn a_budget_already_passed_is_accepted_and_reported() {
    let mut l = Ledger::new();
    l.set_listening(true);
    one_memory(&mut l, 3);
    one_memory(&mut l, 3);
    l.set_budget(parse_budget(Some(5.0), None, Some(1.0), Some("hard"), &text).ok());
    assert_eq!(l.budget().map(|b| b.total_pages), Some(Some(5)));
    let events = budget_events(&mut l);
    assert_eq!(events.len(), 2, "totalPages and memories: {events:?}");
}

#[test]
fn clamp_for_gives_a_module_memory_the_constructors_clamp() {
    let mut l = Ledger::new();
    one_memory(&mut l, 3);
    let declared = i32_type(1, None);
    assert_eq!(l.clamp_for(declared, "compile"), Ok(None), "no budget");
    l.set_budget(parse_budget(Some(10.0), Some(6.0), None, Some("hard"), &text).ok());
    assert_eq!(l.clamp_for(declared, "compile"), Ok(Some(6)));
    l.set_budget(parse_budget(Some(5.0), None, None, Some("hard"), &text).ok());
    assert_eq!(
        l.clamp_for(declared, "compile"),
        Ok(Some(2)),
        "totalPages - live"
    );
    let big = MemoryType {
        minimum: 4,
        ..declared
    };
    let e = l.clamp_for(big, "compiling a module").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Range);
    assert!(e.to_string().contains("totalPages = 5"), "{e}");
    l.set_budget(parse_budget(Some(5.0), None, None, Some("soft"), &text).ok());
    assert_eq!(
        l.clamp_for(big, "compile"),
        Ok(None),
        "soft budgets never clamp"
    );
}

#[test]
fn peek_clamp_agrees_with_clamp_for_and_reports_nothing() {
    let mut l = Ledger::new();
    l.set_listening(true);
    one_memory(&mut l, 3);
    let _ = l.drain_events();
    let declared = i32_type(1, None);
    assert_eq!(l.peek_clamp(declared), Clamp::Unbudgeted, "no budget");
    for (total, per, mode) in [
        (Some(10.0), Some(6.0), "hard"),
        (Some(5.0), None, "hard"),
        (Some(3.0), None, "hard"),
        (Some(5.0), None, "soft"),
    ] {
        l.set_budget(parse_budget(total, per, None, Some(mode), &text).ok());
        let _ = l.drain_events();
        for minimum in 0..8 {
            let ty = MemoryType {
                minimum,
                ..declared
            };
            let peeked = l.peek_clamp(ty);
            assert!(budget_events(&mut l).is_empty(), "a peek reports nothing");
            match l.clamp_for(ty, "compile") {
                Ok(None) => assert_eq!(peeked, Clamp::Unbudgeted),
                Ok(Some(cap)) => assert_eq!(peeked, Clamp::To(cap)),
                Err(_) => {
                    assert_eq!(peeked, Clamp::Refused);
                    assert_eq!(budget_events(&mut l).len(), 1, "clamp_for reports it");
                }
            }
        }
    }
}

#[test]
fn instances_count_up_and_down_and_never_below_zero() {
    let mut l = Ledger::new();
    let a = one_memory(&mut l, 1);
    let b = one_memory(&mut l, 1);
    let count = |l: &Ledger, id| l.get(id).map(|r| r.instances);
    l.count_instance(&[a, b], true);
    l.count_instance(&[a], true);
    assert_eq!((count(&l, a), count(&l, b)), (Some(2), Some(1)));
    l.count_instance(&[a, b], false);
    l.count_instance(&[b, 999], false); // an unknown id, a count already at zero
    assert_eq!((count(&l, a), count(&l, b)), (Some(1), Some(0)));
    l.collect(a);
    l.count_instance(&[a], false); // the memory went first: ignored
    assert_eq!(count(&l, a), None);
}

/// Quiet commits are taken when nothing but numbers change, and only then: with a listener, a
/// budget, a bounded memory or a full record list the full path (events, checks) runs.
#[test]
fn quiet_commits_only_when_nothing_but_numbers_change() {
    let mut l = Ledger::new();
    let id = one_memory(&mut l, 1);
    assert!(
        l.plan_quiet_resize(id, 2).is_some(),
        "a grow with no listener or budget"
    );
    assert!(l.plan_quiet_resize(id, 0).is_none(), "never a shrink");
    assert!(l.plan_quiet_count(id).is_some());
    assert!(
        l.plan_quiet_resize(id + 100, 2).is_none(),
        "an unknown memory"
    );
    l.set_listening(true);
    assert!(
        l.plan_quiet_resize(id, 2).is_none(),
        "a listener hears grows"
    );
    assert!(
        l.plan_quiet_create(0, false).is_none(),
        "a listener hears creations"
    );
    l.set_listening(false);
    l.set_budget(Some(Budget {
        total_pages: Some(100),
        per_memory_pages: None,
        memories: None,
        mode: BudgetMode::Soft,
    }));
    assert!(
        l.plan_quiet_resize(id, 2).is_none(),
        "a budget checks grows"
    );
    assert!(
        l.plan_quiet_create(0, false).is_none(),
        "a budget checks creations"
    );
    l.set_budget(None);
    assert!(
        l.plan_quiet_create(0, true).is_none(),
        "a bounded memory may be at its clamp"
    );
    // The record list has room only after it has grown once past its first allocation.
    let mut quiet = 0;
    for _ in 0..20 {
        let next = l.plan_quiet_create(0, false);
        quiet += usize::from(next.is_some());
        one_memory(&mut l, 1);
    }
    assert!(
        quiet >= 10,
        "most creations find room in the record list ({quiet} of 20)"
    );
    let id = l
        .plan_quiet_create(0, false)
        .map(|id| (id, l.records().len()));
    if let Some((id, n)) = id {
        let plan = CreatePlan::adopted(i32_type(3, None), true);
        let entry = Entry {
            plan,
            pages: 3,
            label: None,
            origin: Origin::Constructed,
            created_ms: 0.0,
            stack: None,
            defined_by: None,
            instances: 2,
        };
        l.apply_quiet_create(id, entry);
        assert_eq!(l.records().len(), n + 1);
        assert_eq!(l.get(id).map(|r| (r.pages, r.instances)), Some((3, 2)));
    }
}
