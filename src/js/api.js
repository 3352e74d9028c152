// The package's public API around a started core: `{ Memory, install, ledger }`. Every entry
// (browsers and bundlers, Node, auto) and the wasm-bindgen tests build it here.
//
// One realm, one ledger: the first copy of the package to start registers its API (natives.js),
// and a later copy that can stand in for it (same protocol, a ledger with every member this
// copy's has) hands out that API instead of starting its own core, so budgets, events and
// snapshots cover the memories made through either, and install() is one install(). A copy
// that can't (another protocol) starts its own core and keeps its own ledger.

import { bind, layout, rust } from "./rust.js";
import { Memory } from "./memory.js";
import { install } from "./install.js";
import { ledger } from "./ledger.js";
import { PAGE, engineFamily, hasMemory64 } from "./engine.js";
import { PROTOCOL, ownValue, register, registered } from "./natives.js";

/**
 * The API of the copy that started first in this realm, if this copy can use it instead of its
 * own: the same protocol, and a `ledger` with every member this copy's has. Else undefined.
 */
export function sharedApi() {
  const first = registered();
  if (first === undefined || first.protocol !== PROTOCOL) return undefined;
  const api = first.api;
  const theirs = ownValue(api, "ledger");
  if (typeof ownValue(api, "Memory") !== "function" || typeof ownValue(api, "install") !== "function") return undefined;
  for (const key of Object.keys(ledger)) if (typeof ownValue(theirs, key) !== typeof ledger[key]) return undefined;
  return api;
}

/**
 * This copy's API, started on `core`, or the first copy's (see `sharedApi`), which another copy
 * may have registered while this one was loading its wasm.
 * @param {typeof import("../../generated/wasm_memory_polyfill.js").Core} core the wasm core's class (static methods), its module initialised
 * @param {WebAssembly.Exports} [exports] the initialised module's exports (what `initSync` and `init` return)
 */
export function createApi(core, exports) {
  const shared = sharedApi();
  if (shared !== undefined) return shared;
  bind(core, exports);
  rust.start(hasMemory64());
  rust.setEngine(engineFamily());
  if (layout.pageBytes !== PAGE)
    throw new Error(`wasm-memory-polyfill: the core's page size ${layout.pageBytes} is not engine.js's ${PAGE}`);
  const api = Object.freeze({ Memory, install, ledger });
  register(api);
  return api;
}
