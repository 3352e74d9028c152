// The package's public API around a started core: `{ Memory, install, ledger }`. Every entry
// (browsers and bundlers, Node, auto) and the wasm-bindgen tests build it here.

import { bind, layout, rust } from "./rust.js";
import { Memory } from "./memory.js";
import { install } from "./install.js";
import { ledger } from "./ledger.js";
import { PAGE, hasMemory64 } from "./engine.js";

/**
 * @param {typeof import("./wasm_memory_polyfill.js").Core} core the wasm core's class (static methods), its module initialised
 * @param {WebAssembly.Exports} [exports] the initialised module's exports (what `initSync` and `init` return)
 */
export function createApi(core, exports) {
  bind(core, exports);
  rust.start(hasMemory64());
  if (layout.pageBytes !== PAGE) throw new Error(`wasm-memory-polyfill: the core's page size ${layout.pageBytes} is not engine.js's ${PAGE}`);
  return { Memory, install, ledger };
}
