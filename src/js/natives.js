// The engine's own `WebAssembly` functions, and how copies of this package in one realm meet.
//
// The first copy to start registers itself on `globalThis[Symbol.for("wasm-memory-polyfill")]`
// (not enumerable, writable or configurable) with the natives it captured here, at load, before
// any install() could replace them, and its API. A later copy (a second bundle, another version
// in node_modules) takes its natives from there: its engine.js, and the wasm-bindgen glue that
// loads its own wasm (scripts/bundle.mjs makes the glue's `WebAssembly` this module's
// `natives`), get the engine's real functions, never the first copy's installed hooks, so its
// own module is neither clamped by a hard budget nor ledgered. Whether it then uses the first
// copy's API is api.js's decision.
//
// The registry's `natives` keeps one shape in every version (the namespace's own members, by
// name), so any copy can use any other's; `protocol` and `api` are what may change.

/** The registry's key. */
const KEY = Symbol.for("wasm-memory-polyfill");

/**
 * The version of what a copy shares through the registry: bumped whenever a copy could notice
 * the difference in another's API (members, their behaviour, the ledger's records or events).
 */
export const PROTOCOL = 1;

/** An own data property's value, read without running a getter (undefined otherwise). */
export function ownValue(o, key) {
  if (o === null || (typeof o !== "object" && typeof o !== "function")) return undefined;
  const d = Reflect.getOwnPropertyDescriptor(o, key);
  return d !== undefined && "value" in d ? d.value : undefined;
}

/** The registry entry another copy left, if there is one of the right shape. */
export function registered() {
  const entry = ownValue(globalThis, KEY);
  const natives = ownValue(entry, "natives");
  if (
    typeof entry !== "object" ||
    !Object.isFrozen(entry) ||
    typeof natives !== "object" ||
    !Object.isFrozen(natives) ||
    typeof ownValue(natives, "Memory") !== "function"
  )
    return undefined;
  return { protocol: ownValue(entry, "protocol"), natives, api: ownValue(entry, "api") };
}

/** The namespace's own data members: the engine's, when nothing has replaced them yet. */
function capture() {
  const d = Reflect.getOwnPropertyDescriptor(globalThis, "WebAssembly");
  const W = d === undefined ? undefined : "value" in d ? d.value : globalThis.WebAssembly; // a getter runs once
  const out = Object.create(null);
  if (W !== null && typeof W === "object") {
    for (const key of Reflect.ownKeys(W)) {
      const d = Reflect.getOwnPropertyDescriptor(W, key);
      if (typeof key === "string" && d !== undefined && "value" in d) out[key] = d.value;
    }
  }
  return Object.freeze(out);
}

const first = registered();

/**
 * The engine's `WebAssembly` members (`Memory`, `Module`, `Instance`, `instantiate`, …), from
 * the first copy to start in this realm, else as this realm has them now.
 * @type {typeof WebAssembly}
 */
export const natives = first?.natives ?? capture();

/**
 * Registers this copy's API with its natives, if no copy did first (first come, first served).
 * Returns whether it did; a realm whose global object takes no new property gets none.
 * @param {object} api a frozen `{ Memory, install, ledger }`
 */
export function register(api) {
  const entry = Object.freeze({ __proto__: null, protocol: PROTOCOL, natives, api });
  return Reflect.defineProperty(globalThis, KEY, {
    __proto__: null,
    value: entry,
    writable: false,
    enumerable: false,
    configurable: false,
  });
}
