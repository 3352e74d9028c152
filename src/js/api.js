// The package's public API around a started core: `{ Memory, install, ledger }`. Every entry
// (browsers and bundlers, Node, auto) and the wasm-bindgen tests build it here.

import { bind } from "./rust.js";
import { Memory } from "./memory.js";
import { install } from "./install.js";
import { ledger } from "./ledger.js";

export { hasMemory64 } from "./engine.js";

/** @param {import("./wasm_memory_polyfill.js").Core} core the wasm core, started (`new Core(hasMemory64())`) */
export function createApi(core) {
  bind(core);
  return { Memory, install, ledger };
}
