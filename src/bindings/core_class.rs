//! [`Core`]: the class JS calls. Its static methods are defined beside the work each does, in
//! one `#[wasm_bindgen] impl Core` block per module ([`super::memory`]: construction, grow,
//! `type()` and the memories instances bring; [`super::ledger`]: the layout, snapshots, budget
//! and labels; [`super::modules`]; [`super::events`]; [`super::realms`]); here are the class
//! itself and what belongs to no operation: starting, the module's memory and request row, and
//! recovering from a call cut short.

use alloc::string::String;

use wasm_bindgen::prelude::*;

use super::state;
use crate::rules::Engine;

/// The core of the polyfill as JS sees it: rules, budgets and the ledger, as static methods
/// (the JS entry hands the class itself to `createApi`). The state is per module instance
/// (see [`state`]), so there is no object to pass: no `this` to check on every call, which
/// saves about 5 KB of wasm (1.4 KB gzip) over instance methods.
#[wasm_bindgen]
pub struct Core {
    _private: (),
}

impl Core {
    /// A value of the class, for a caller in Rust that needs the class as a JS value (the
    /// wasm-bindgen tests: `JsValue::from(Core::token())`'s `constructor`).
    pub fn token() -> Core {
        Core { _private: () }
    }
}

#[wasm_bindgen]
impl Core {
    /// Starts the core; `memory64`: whether the engine validates memory64 modules.
    pub fn start(memory64: bool) {
        state::set_memory64(memory64);
    }

    /// Tells the core which engine family runs it (a name of `layout.engines`, detected once by
    /// the JS entry at start), for the reservation model; any other name: unknown.
    #[wasm_bindgen(js_name = setEngine)]
    pub fn set_engine(name: String) {
        let engine = Engine::ALL
            .into_iter()
            .find(|e| e.as_str() == name)
            .unwrap_or(Engine::Unknown);
        state::set_engine(engine.code());
    }

    /// How many calls were found abandoned while they held the core's state (a JS exception
    /// unwound them there); the hostile-input tests expect 0.
    pub fn abandoned() -> u32 {
        state::abandoned()
    }

    /// Called by the JS side before the next call after one that a JS exception cut short:
    /// forgets the slots that call held (see [`state::recover`]).
    pub fn recover() {
        state::recover();
    }

    /// The error a call that returned `FAILED` (`layout().failed`) kept, to throw.
    #[wasm_bindgen(js_name = takePending)]
    pub fn take_pending() -> JsValue {
        state::take_pending()
    }

    /// This module's own memory, for the JS entry's views of the request row and of the buffers
    /// a module's reading crosses in (never handed to anyone else).
    pub fn heap() -> JsValue {
        wasm_bindgen::memory()
    }

    /// Where the request row starts in [`Core::heap`] (see [`super::request`]).
    #[wasm_bindgen(js_name = requestAt)]
    pub fn request_at() -> u32 {
        state::request_at()
    }
}
