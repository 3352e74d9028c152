//! The hot paths (issues #10 and #13): a construction crosses into the core once where nothing
//! can be refused before the engine is asked, a construction the core refuses after the engine
//! made the memory leaves the ledger as it was, with the full path's error, and what the hooks
//! learn on a module's first instance gives every later instance its true size.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

use super::*;

#[wasm_bindgen(module = "/tests/fixtures/hot-paths.js")]
extern "C" {
    #[wasm_bindgen(js_name = constructionCrossings)]
    fn construction_crossings(memory: &JsValue, ledger: &JsValue, memory64: bool) -> JsValue;
    #[wasm_bindgen(js_name = refusedAfterTheEngine)]
    fn refused_after_the_engine(memory: &JsValue, ledger: &JsValue, memory64: bool) -> JsValue;
    #[wasm_bindgen(js_name = instancesOfOneModule)]
    fn instances_of_one_module(
        install: &JsValue,
        ledger: &JsValue,
        memory64: bool,
    ) -> js_sys::Promise;
}

#[wasm_bindgen_test]
fn a_construction_crosses_once_unless_a_budget_can_refuse_it() {
    let r = construction_crossings(&api_member("Memory"), &api_member("ledger"), memory64());
    assert_eq!(text(&r, "plain"), "createPlain");
    assert_eq!(text(&r, "labelled"), "createMade");
    assert_eq!(
        text(&r, "i32"),
        "createMade",
        "an explicit address is read in JS"
    );
    if memory64() {
        assert_eq!(text(&r, "i64"), "createMade");
    }
    assert_eq!(text(&r, "stacks"), "createMade");
    assert_eq!(
        text(&r, "budgeted"),
        "planCreate commitCreate",
        "under a budget the core plans before the engine allocates"
    );
    assert!(flag(&r, "ledgered"));
    assert_eq!(text(&r, "label"), "x");
}

#[wasm_bindgen_test]
fn a_construction_refused_after_the_engine_changes_nothing() {
    let cases = js_sys::Array::from(&refused_after_the_engine(
        &api_member("Memory"),
        &api_member("ledger"),
        memory64(),
    ));
    assert!(cases.length() >= 5);
    for c in cases.iter() {
        let (fast, full) = (text(&c, "fast"), text(&c, "full"));
        assert!(
            fast.starts_with("TypeError: ") || fast.starts_with("RangeError: "),
            "{fast}"
        );
        assert_eq!(
            fast, full,
            "the one-crossing path gives the full path's error"
        );
        assert!(flag(&c, "unchanged"), "{fast}: the ledger is untouched");
    }
}

#[wasm_bindgen_test]
async fn later_instances_of_a_module_are_ledgered_with_their_true_size() {
    let r = JsFuture::from(instances_of_one_module(
        &api_member("install"),
        &api_member("ledger"),
        memory64(),
    ))
    .await
    .expect("instances");
    let lines = |k: &str| -> Vec<String> {
        js_sys::Array::from(&get(&r, k))
            .iter()
            .filter_map(|v| v.as_string())
            .collect()
    };
    let mut cases = vec![
        ("read", "2/2 grows 0 instances 1"),
        ("readStart", "3/3 grows 0 instances 1"),
        ("precompiled", "2/2 grows 0 instances 1"),
        ("precompiledStart", "3/3 grows 0 instances 1"),
        ("reexported", "1/1 grows 0 instances 3"),
    ];
    if memory64() {
        cases.push(("readI64", "2/2 grows 0 instances 1"));
        cases.push(("precompiledI64", "2/2 grows 0 instances 1"));
    }
    for (k, want) in cases {
        assert_eq!(lines(k), vec![want; 3], "{k}");
    }
    assert!(
        flag(&r, "theirBufferAttached"),
        "a memory the module may have imported keeps its buffer"
    );
}
