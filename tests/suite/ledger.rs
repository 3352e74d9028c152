//! The ledger, budgets, events and install() for exported memories.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use super::*;

#[wasm_bindgen(module = "/tests/fixtures/ledger.js")]
extern "C" {
    #[wasm_bindgen(js_name = countsAfterCreateAndGrow)]
    fn js_counts_after_create_and_grow(memory: &JsValue, ledger: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = hardBudget)]
    fn hard_budget(memory: &JsValue, ledger: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = wasmGrowAgainstClamp)]
    fn wasm_grow_against_clamp(
        memory: &JsValue,
        ledger: &JsValue,
        bytes: &js_sys::Uint8Array,
    ) -> JsValue;
    #[wasm_bindgen(js_name = wasmGrowThenConstruct)]
    fn wasm_grow_then_construct(
        memory: &JsValue,
        ledger: &JsValue,
        bytes: &js_sys::Uint8Array,
    ) -> JsValue;
    #[wasm_bindgen(js_name = softBudgetAndEvents)]
    fn soft_budget_and_events(memory: &JsValue, ledger: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = badInput)]
    fn bad_input(memory: &JsValue, ledger: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = exportedMemoriesAreLedgered)]
    fn exported_memories_are_ledgered(
        install: &JsValue,
        ledger: &JsValue,
        bytes: &js_sys::Uint8Array,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = moduleDefinedMemoryBudgets)]
    fn module_defined_memory_budgets(install: &JsValue, ledger: &JsValue) -> js_sys::Promise;
    #[wasm_bindgen(js_name = snapshotArrayIsACopy)]
    fn snapshot_array_is_a_copy(memory: &JsValue, ledger: &JsValue) -> JsValue;
}

const GROWER_WASM: &[u8] = include_bytes!("../fixtures/grower.wasm");
const EXPORTER_WASM: &[u8] = include_bytes!("../fixtures/exporter.wasm");

/// The `ledger` object exactly as the package entries build it (src/js/api.js).
fn ledger() -> JsValue {
    api_member("ledger")
}

#[wasm_bindgen_test]
fn counts_after_create_and_grow() {
    let r = js_counts_after_create_and_grow(&api_member("Memory"), &ledger());
    assert_eq!(num(&r, "liveDelta"), 2.0);
    assert_eq!(num(&r, "createdDelta"), 2.0);
    assert_eq!(num(&r, "pagesDelta"), 6.0, "2 + 3 grown + 1");
    assert_eq!(text(&r, "label"), "decoder");
    assert_eq!(num(&r, "pages"), 5.0);
    assert_eq!(num(&r, "peak"), 5.0);
    assert_eq!(num(&r, "grows"), 1.0);
    assert_eq!(num(&r, "maximum"), 8.0);
    assert_eq!(text(&r, "origin"), "constructed");
    assert_eq!(text(&r, "relabel"), "renamed");
    assert!(flag(&r, "json"), "snapshot is plain JSON data");
}

#[wasm_bindgen_test]
fn a_hard_budget_refuses_every_way_past_it() {
    let r = hard_budget(&api_member("Memory"), &ledger());
    let tb = text(&r, "tooBig");
    assert!(
        tb.starts_with("RangeError") && tb.contains("totalPages"),
        "{tb}"
    );
    assert!(
        flag(&r, "unchanged"),
        "a refused construction leaves the ledger unchanged"
    );
    assert_eq!(
        num(&r, "clampedMax"),
        5.0,
        "maximum clamped to what the budget leaves"
    );
    for k in [
        "growPast",
        "growCallPast",
        "nativeGrowCall",
        "viaSubclass",
        "viaReflect",
    ] {
        // (the via* constructions come after the budget is used up)
        let v = text(&r, k);
        assert!(v.starts_with("RangeError"), "{k}: {v}");
    }
    assert_eq!(num(&r, "growOk"), 2.0);
    assert!(num(&r, "refusedEvents") >= 1.0);
}

#[wasm_bindgen_test]
fn wasm_cannot_grow_past_a_clamped_maximum() {
    let r = wasm_grow_against_clamp(&api_member("Memory"), &ledger(), &module_bytes(GROWER_WASM));
    assert_eq!(
        num(&r, "past"),
        -1.0,
        "memory.grow inside wasm is refused by the engine"
    );
    assert_eq!(num(&r, "within"), 1.0);
    assert_eq!(
        num(&r, "pages"),
        3.0,
        "the ledger reads sizes from the engine"
    );
    assert_eq!(num(&r, "peak"), 3.0);
    assert_eq!(
        num(&r, "grows"),
        1.0,
        "a grow inside wasm is seen when sizes are read"
    );
    assert_eq!(num(&r, "maximum"), 3.0);
    assert!(get(&r, "requestedMaximum").is_null());
    assert_eq!(
        text(&r, "type"),
        r#"{"address":"i32","maximum":3,"minimum":3,"shared":false}"#
    );
}

#[wasm_bindgen_test]
fn a_budget_sees_grows_made_inside_wasm_before_it_decides() {
    let r = wasm_grow_then_construct(&api_member("Memory"), &ledger(), &module_bytes(GROWER_WASM));
    assert_eq!(num(&r, "grew"), 1.0);
    let next = text(&r, "next");
    assert!(
        next.starts_with("RangeError") && next.contains("totalPages"),
        "{next}"
    );
    assert_eq!(num(&r, "pages"), 4.0);
}

#[wasm_bindgen_test]
fn soft_budgets_report_and_listeners_cannot_break_anything() {
    let r = soft_budget_and_events(&api_member("Memory"), &ledger());
    assert_eq!(
        num(&r, "made"),
        131_072.0,
        "soft: the construction and grow succeed"
    );
    assert_eq!(text(&r, "seen"), "budget,create,grow");
    let already_passed = if num(&r, "liveBefore") > 0.0 {
        "budget"
    } else {
        ""
    };
    assert_eq!(text(&r, "atSet"), already_passed);
    assert!(!flag(&r, "removedAgain"), "unsubscribing twice is harmless");
}

#[wasm_bindgen_test]
fn bad_ledger_input_is_a_clear_error_and_changes_nothing() {
    let r = bad_input(&api_member("Memory"), &ledger());
    let expect = [
        ("negativeTotal", "RangeError", "totalPages"),
        ("fractionPer", "RangeError", "perMemoryPages"),
        ("stringMemories", "TypeError", "memories"),
        ("badMode", "TypeError", "medium"),
        ("notObject", "TypeError", "budget"),
        ("badKind", "TypeError", "nope"),
        ("badListener", "TypeError", "listener"),
        ("labelNonMemory", "TypeError", "not a memory"),
        ("labelNumber", "TypeError", "string"),
        ("labelLong", "TypeError", "256"),
        ("optionsLabel", "TypeError", "string"),
    ];
    for (k, ctor, word) in expect {
        let v = text(&r, k);
        assert!(v.starts_with(ctor) && v.contains(word), "{k}: {v}");
    }
    assert!(flag(&r, "unchanged"));
}

#[wasm_bindgen_test]
async fn exported_memories_are_ledgered_after_install() {
    let p = exported_memories_are_ledgered(
        &api_member("install"),
        &ledger(),
        &module_bytes(EXPORTER_WASM),
    );
    let r = JsFuture::from(p).await.expect("instantiate");
    assert_eq!(
        num(&r, "ledgered"),
        2.0,
        "instantiate and new Instance each export one memory"
    );
    assert!(flag(&r, "distinct"));
    assert_eq!(text(&r, "origin"), "exported");
    assert_eq!(num(&r, "pages"), 5.0, "2 declared + 3 grown inside wasm");
    assert_eq!(num(&r, "maximum"), 10.0, "read from the module's bytes");
    assert_eq!(
        text(&r, "type"),
        r#"{"address":"i32","maximum":10,"minimum":5,"shared":false}"#
    );
    assert!(flag(&r, "instanceLedgered"));
    assert!(flag(&r, "protoNative"));
}

#[wasm_bindgen_test]
fn snapshot_arrays_are_copies() {
    let r = snapshot_array_is_a_copy(&api_member("Memory"), &ledger());
    for k in ["rowsMatch", "ownBuffer", "untouched", "hasOurs"] {
        assert!(flag(&r, k), "{k}");
    }
}

#[wasm_bindgen_test]
async fn budgets_hold_for_memories_modules_define_and_grow_inside_wasm() {
    let r = JsFuture::from(module_defined_memory_budgets(
        &api_member("install"),
        &ledger(),
    ))
    .await
    .expect("runs");
    // Soft: the grow inside wasm succeeds, a snapshot finds it and reports the crossing once.
    assert_eq!(num(&r, "softOld"), 1.0);
    assert_eq!(num(&r, "softPages"), 10.0);
    assert_eq!(num(&r, "softEvents"), 1.0, "one budget event per crossing");
    // Hard: the module is compiled with its memory's maximum lowered to the budget's clamp.
    assert_eq!(num(&r, "hardMaximum"), 4.0);
    assert!(
        get(&r, "hardRequested").is_null(),
        "declared without maximum"
    );
    assert!(flag(&r, "hardBounded"));
    assert_eq!(
        num(&r, "hardGrowPast"),
        -1.0,
        "the engine refuses the grow inside wasm"
    );
    assert_eq!(num(&r, "hardGrowWithin"), 1.0);
    let refused = text(&r, "refused");
    assert!(
        refused.starts_with("RangeError") && refused.contains("totalPages"),
        "{refused}"
    );
}
