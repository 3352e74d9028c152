//! The reservation model (`reserve.rs`): its predictions are the counts measured in
//! `tests/limits/run.mjs`. The `unwrap`s are assertions on fixed inputs.
#![cfg(not(target_arch = "wasm32"))]

use wasm_memory_polyfill_core::{
    AddressType, Engine, Headroom, MemoryType, DEFAULT_TYPE, PROFILES,
};

const GIB: u64 = 1 << 30;

fn ty(address: AddressType, maximum: Option<u64>, shared: bool) -> MemoryType {
    MemoryType {
        address,
        minimum: 1,
        maximum,
        shared,
    }
}

#[test]
fn every_engine_but_unknown_has_one_profile() {
    for e in Engine::ALL {
        let n = PROFILES.iter().filter(|p| p.engine == e).count();
        assert_eq!(n, usize::from(e != Engine::Unknown), "{e:?}");
        assert_eq!(Engine::from_code(e.code()), e);
    }
    assert_eq!(Engine::from_code(200), Engine::Unknown);
}

#[test]
fn chromium_predicts_what_was_measured() {
    let p = Engine::Chromium.profile().unwrap();
    let none = core::iter::empty();
    assert_eq!(p.headroom(&DEFAULT_TYPE, none).unwrap().memories, 125);
    let i64 = ty(AddressType::I64, None, false);
    assert_eq!(p.headroom(&i64, core::iter::empty()).unwrap().memories, 62);
    let shared = ty(AddressType::I32, Some(1), true);
    let live = [DEFAULT_TYPE; 5];
    let h = p.headroom(&shared, live.iter().map(|t| (t, true))).unwrap();
    assert_eq!(h.memories, 120);
}

#[test]
fn firefox_counts_i32_memories_only() {
    let p = Engine::Firefox.profile().unwrap();
    let live = [DEFAULT_TYPE, ty(AddressType::I64, None, false)];
    let h = p
        .headroom(&DEFAULT_TYPE, live.iter().map(|t| (t, true)))
        .unwrap();
    assert_eq!(h.memories, 998);
    assert_eq!(
        p.headroom(
            &ty(AddressType::I64, None, false),
            live.iter().map(|t| (t, true))
        ),
        None
    );
}

#[test]
fn webkit_shared_memories_reserve_their_maximum() {
    let p = Engine::WebKit.profile().unwrap();
    let shared = ty(AddressType::I32, Some(65_536), true);
    assert_eq!(p.reserved(&shared, true), Some(4 * GIB));
    assert_eq!(p.reserved(&shared, false), None);
    assert_eq!(p.reserved(&DEFAULT_TYPE, true), None);
    assert_eq!(p.headroom(&shared, core::iter::empty()), None);
}

#[test]
fn an_unknown_live_reservation_leaves_no_headroom() {
    let p = Engine::Chromium.profile().unwrap();
    // Chromium knows every type; a profile that doesn't (WebKit) has no byte limit anyway,
    // so check the arithmetic with more memories than fit.
    let live = [DEFAULT_TYPE; 200];
    let h = p
        .headroom(&DEFAULT_TYPE, live.iter().map(|t| (t, true)))
        .unwrap();
    assert_eq!(
        h,
        Headroom {
            memories: 0,
            bytes: 0
        }
    );
}
