//! Regenerates the checked-in `.wasm` fixtures from their `.wat` sources:
//! `cargo run --example wat2wasm`. A host test (`tests/fixtures.rs`) fails if they drift.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    for name in ["memory", "grower", "exporter"] {
        let wat = std::fs::read_to_string(format!("tests/fixtures/{name}.wat"))?;
        let wasm = wat::parse_str(&wat)?;
        std::fs::write(format!("tests/fixtures/{name}.wasm"), &wasm)?;
        println!("tests/fixtures/{name}.wasm: {} bytes", wasm.len());
    }
    Ok(())
}

#[cfg(target_arch = "wasm32")]
fn main() {}
