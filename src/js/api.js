// The package's public API around a started core: `{ Memory, install, ledger }`. Every entry
// (browsers and bundlers, Node, auto) and the wasm-bindgen tests build it here.

import { bind } from "./rust.js";
import { Memory } from "./memory.js";
import { install } from "./install.js";
import { ledger } from "./ledger.js";

import { hasMemory64 } from "./engine.js";

/** @param {typeof import("./wasm_memory_polyfill.js").Core} core the wasm core's class (static methods), its module initialised */
export function createApi(core) {
  core.start(hasMemory64());
  bind(core);
  return { Memory, install, ledger };
}
