//! The checked-in wasm fixtures are exactly their WAT sources, compiled.
#![cfg(not(target_arch = "wasm32"))]

#[test]
fn wasm_fixtures_match_their_wat() {
    for name in ["memory", "grower", "exporter"] {
        let wat =
            std::fs::read_to_string(format!("tests/fixtures/{name}.wat")).expect("wat source");
        let wasm = std::fs::read(format!("tests/fixtures/{name}.wasm")).expect("checked-in wasm");
        assert_eq!(
            wat::parse_str(&wat).expect("valid wat"),
            wasm,
            "{name}.wasm is stale: run cargo run --example wat2wasm"
        );
    }
}
