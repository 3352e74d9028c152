//! The hot paths (issue #13): what the hooks learn on a module's first instance gives every
//! later instance its true size.

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use super::*;

#[wasm_bindgen(module = "/tests/fixtures/hot-paths.js")]
extern "C" {
    #[wasm_bindgen(js_name = instancesOfOneModule)]
    fn instances_of_one_module(install: &JsValue, ledger: &JsValue, memory64: bool) -> JsValue;
}
#[wasm_bindgen_test]
fn later_instances_of_a_module_are_ledgered_with_their_true_size() {
    let r = instances_of_one_module(&api_member("install"), &api_member("ledger"), memory64());
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
