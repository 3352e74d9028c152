//! The constructor, grow, buffer, type() and install(), side by side with the engine.

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use super::*;

#[wasm_bindgen(module = "/tests/fixtures/cases.js")]
extern "C" {
    #[wasm_bindgen(js_name = runDescriptorCases)]
    fn run_descriptor_cases(ours: &JsValue, memory64: bool) -> JsValue;
    #[wasm_bindgen(js_name = runGrowCases)]
    fn run_grow_cases(ours: &JsValue) -> JsValue;
}

#[wasm_bindgen(module = "/tests/fixtures/scenarios.js")]
extern "C" {
    #[wasm_bindgen(js_name = mdnExample)]
    fn mdn_example(memory: &JsValue, bytes: &js_sys::Uint8Array) -> JsValue;
    #[wasm_bindgen(js_name = bufferRules)]
    fn buffer_rules(memory: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = constructorShape)]
    fn constructor_shape(memory: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = growInsideWasm)]
    fn grow_inside_wasm(memory: &JsValue, bytes: &js_sys::Uint8Array) -> JsValue;
    fn types(memory: &JsValue, memory64: bool) -> JsValue;
    #[wasm_bindgen(js_name = sharedFrozen)]
    fn shared_frozen(memory: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = installRules)]
    fn install_rules(install: &JsValue) -> JsValue;
}

const MEMORY_WASM: &[u8] = include_bytes!("../fixtures/memory.wasm");
const GROWER_WASM: &[u8] = include_bytes!("../fixtures/grower.wasm");

#[wasm_bindgen_test]
fn descriptor_cases_agree_with_the_spec_and_the_engine() {
    let r = run_descriptor_cases(&api_member("Memory"), memory64());
    let problems = problems(&r);
    assert!(num(&r, "ran") >= 60.0, "only {} cases ran", num(&r, "ran"));
    assert!(
        problems.is_empty(),
        "{} disagreements on {}:\n{}",
        problems.len(),
        text(&r, "engine"),
        problems.join("\n")
    );
}

#[wasm_bindgen_test]
fn grow_cases_agree_with_the_spec_and_the_engine() {
    let r = run_grow_cases(&api_member("Memory"));
    let problems = problems(&r);
    assert!(num(&r, "ran") >= 15.0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[wasm_bindgen_test]
fn the_mdn_example_works_as_written() {
    let r = mdn_example(&api_member("Memory"), &module_bytes(MEMORY_WASM));
    assert_eq!(num(&r, "sum"), 45.0);
    assert!(flag(&r, "isNative"), "not a WebAssembly.Memory");
    assert_eq!(num(&r, "old"), 10.0, "grow returns the old size");
    assert!(flag(&r, "detached"), "grow detaches the old buffer");
    assert_eq!(num(&r, "pagesAfter"), 11.0);
    assert_eq!(
        num(&r, "sumAfterGrow"),
        10.0,
        "the module sees the grown memory"
    );
}

#[wasm_bindgen_test]
fn buffer_identity_detach_and_transfer_match_the_engine() {
    let r = buffer_rules(&api_member("Memory"));
    let ours = get(&r, "ours");
    let native = get(&r, "native");
    assert!(
        flag(&ours, "same") && flag(&ours, "stable"),
        "buffer is the same object until the next grow"
    );
    assert!(flag(&ours, "fresh"), "grow makes a new buffer");
    assert_eq!(num(&ours, "oldLength"), 0.0, "the old buffer is detached");
    assert_eq!(num(&ours, "newLength"), 131_072.0);
    for k in ["same", "fresh", "stable"] {
        assert_eq!(flag(&ours, k), flag(&native, k), "{k}");
    }
    assert_eq!(
        get(&ours, "transferThrows"),
        get(&native, "transferThrows"),
        "user code cannot detach a memory's buffer"
    );
}

#[wasm_bindgen_test]
fn constructor_shape_matches_the_engine() {
    let r = constructor_shape(&api_member("Memory"));
    assert_eq!(text(&r, "callError"), "TypeError", "calling without new");
    assert_eq!(num(&r, "length"), 1.0);
    for k in ["subIsSub", "subIsMemory", "subIsNative", "protoChain"] {
        assert!(flag(&r, k), "{k}");
    }
    assert_eq!(text(&r, "subMethod"), "hi");
    assert_eq!(num(&r, "grown"), 1.0);
    assert_eq!(
        text(&r, "subType"),
        r#"{"address":"i32","maximum":2,"minimum":2,"shared":false}"#
    );
}

#[wasm_bindgen_test]
fn type_sees_grows_made_inside_wasm() {
    let r = grow_inside_wasm(&api_member("Memory"), &module_bytes(GROWER_WASM));
    assert_eq!(num(&r, "before"), 1.0);
    assert_eq!(num(&r, "r"), 1.0, "memory.grow returns the old size");
    assert_eq!(
        num(&r, "refused"),
        -1.0,
        "memory.grow past the maximum fails inside wasm"
    );
    assert_eq!(num(&r, "after"), 3.0);
    assert_eq!(num(&r, "size"), 3.0);
}

#[wasm_bindgen_test]
fn type_reports_the_memory_type() {
    let r = types(&api_member("Memory"), memory64());
    assert_eq!(
        text(&r, "plain"),
        r#"{"address":"i32","minimum":2,"shared":false}"#
    );
    assert_eq!(
        text(&r, "max"),
        r#"{"address":"i32","maximum":7,"minimum":1,"shared":false}"#
    );
    assert_eq!(
        text(&r, "shared"),
        r#"{"address":"i32","maximum":2,"minimum":1,"shared":true}"#
    );
    assert_eq!(
        text(&r, "keys"),
        "address,minimum,shared",
        "dictionary members in lexicographic order"
    );
    assert_eq!(text(&r, "nonMemory"), "TypeError");
    if memory64() {
        assert_eq!(
            text(&r, "i64"),
            r#"{"address":"i64","maximum":"4n","minimum":"1n","shared":false}"#
        );
        assert_eq!(
            text(&r, "i64Grow"),
            r#""1n""#,
            "grow on i64 returns a BigInt"
        );
        assert_eq!(
            text(&r, "i64GrowNumber"),
            "TypeError",
            "grow on i64 takes BigInts only"
        );
        assert_eq!(
            text(&r, "i64After"),
            r#"{"address":"i64","maximum":"4n","minimum":"3n","shared":false}"#
        );
    } else {
        let msg = text(&r, "i64");
        assert!(
            msg.starts_with("RangeError") && msg.contains("memory64"),
            "{msg}"
        );
    }
}

#[wasm_bindgen_test]
fn shared_buffers_are_frozen_as_the_spec_says() {
    let r = shared_frozen(&api_member("Memory"));
    assert!(
        flag(&r, "ours"),
        "the spec freezes a shared memory's buffer"
    );
    assert!(flag(&r, "oursAfterGrow"), "and the new one after a grow");
    assert!(
        flag(&r, "oldStillUsable"),
        "a shared buffer is never detached"
    );
    assert!(
        flag(&r, "newObject"),
        "grow hands out a new SharedArrayBuffer object"
    );
}

#[wasm_bindgen_test]
fn install_replaces_the_global_and_puts_it_back_exactly() {
    let r = install_rules(&api_member("install"));
    for k in [
        "replaced",
        "twiceSame",
        "protoSame",
        "instanceofNew",
        "instanceofOld",
        "ctorLink",
        "extendsWorks",
        "nameAttrs",
        "lengthAttrs",
        "prototypeAttrs",
        "growWrapped",
        "restored",
        "globalBack",
        "stillRestored",
    ] {
        assert!(flag(&r, k), "{k}: {:?}", get(&r, k));
    }
    assert_eq!(text(&r, "callError"), "TypeError");
    assert_eq!(
        text(&r, "typeOnNew"),
        r#"{"address":"i32","maximum":3,"minimum":1,"shared":false}"#
    );
    assert_eq!(num(&r, "growReturns"), 1.0);
    assert_eq!(num(&r, "growCallWorks"), 2.0);
}
