//! The wasm-bindgen tests in a headless browser: `wasm-pack test --headless --chrome` / `--firefox`.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod suite;
