// The core (Rust, compiled to wasm): the one class (of static methods) every JS file calls for a rule, a budget or
// the ledger. Bound once by api.js; JS calls Rust, Rust never calls back.

/** @type {typeof import("./wasm_memory_polyfill.js").Core} */
export let rust;
/** Layouts the core defines, read by name: page size, snapshot columns, field codes. */
export let layout;

/** @param {typeof import("./wasm_memory_polyfill.js").Core} core */
export function bind(core) {
  rust = core;
  layout = core.layout();
}
