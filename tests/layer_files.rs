//! On the host (`cargo test`): every module of the JS entry layer (`src/js/*.js`) is named in
//! `tests/suite/mod.rs`, whose wasm-bindgen tests load the layer as snippets. wasm-bindgen copies
//! only the snippet files named there, so a module missing from that list fails the
//! wasm-bindgen tests with a "module not found" that says nothing about the list.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::Path;

#[test]
fn every_js_module_of_the_entry_layer_is_named_in_the_wasm_bindgen_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = fs::read_to_string(root.join("tests/suite/mod.rs")).expect("tests/suite/mod.rs");
    let mut missing = Vec::new();
    let mut seen = 0;
    for entry in fs::read_dir(root.join("src/js")).expect("src/js") {
        let name = entry.expect("a directory entry").file_name();
        let name = name.to_string_lossy();
        if !name.ends_with(".js") {
            continue;
        }
        seen += 1;
        if !suite.contains(&format!("\"/src/js/{name}\"")) {
            missing.push(name.into_owned());
        }
    }
    assert!(seen > 10, "found only {seen} modules in src/js");
    assert!(
        missing.is_empty(),
        "src/js modules not named in tests/suite/mod.rs: {missing:?}"
    );
}
