// The core (Rust, compiled to wasm): the one class (of static methods) every JS file calls for a
// rule, a budget or the ledger. Bound once by api.js; JS calls Rust, Rust never calls back.
//
// Every call goes through a wrapper that knows whether a call is running. A call that a JS
// exception abandons inside wasm (a stack overflow at any depth) skips its epilogue and leaves
// the module's shadow-stack pointer lowered by its frames; enough of those and the stack runs
// into the module's data. So once no call is running, the next call first puts the pointer back
// where it stood when the core started (the build exports it as `__wmp_stack_pointer`).

import {
  Float64Array,
  JSONParse,
  ObjectGetOwnPropertyNames,
  TypedArrayByteLength,
  WebAssemblyMemoryBuffer,
  getOwnPropertyDescriptor,
  uncurryThis,
} from "./primordials.js";

/** @type {typeof import("../../generated/wasm_memory_polyfill.js").Core} */
export let rust;
/** Layouts the core defines, read by name: page size, snapshot columns, field codes. */
export let layout;

const globalValue = getOwnPropertyDescriptor(WebAssembly.Global.prototype, "value");
const getValue = uncurryThis(globalValue.get),
  setValue = uncurryThis(globalValue.set);

/** The core's request row (`layout.requests`), a view of its memory; the memory and where the row is. */
let requestView,
  heap,
  requestAt = 0;

/**
 * The core's request row, for an operation with many numbers (`layout.requests` names each
 * one's fields): filled immediately before the call that reads it, with nothing between (no user
 * code, so no other request can be written over it). The view is made again once the core's
 * memory has grown (its old buffer is then detached: 0 bytes long).
 * @returns {Float64Array}
 */
export function request() {
  if (requestView === undefined || TypedArrayByteLength(requestView) === 0)
    requestView = new Float64Array(WebAssemblyMemoryBuffer(heap), requestAt, layout.requestLength);
  return requestView;
}

/** Core calls running now (the glue's and ours); and whether one ended by an exception. */
let running = 0,
  interrupted = false;
/** The exported stack pointer, and its value between calls; the core's own `recover`. */
let sp,
  base = 0,
  recover;
/** What a core call that can fail returns when it did (`layout.failed`; nothing is === NaN before
 * the layout is read), and the core's own `takePending`, which returns the error it kept. */
let failed = NaN,
  takePending;

/** Puts the stack pointer back after an interrupted call, once none is running, and tells the
 * core that no call holds its state any more. */
function restore() {
  if (sp !== undefined && getValue(sp) !== base) setValue(sp, base);
  recover();
  interrupted = false; // only now: a restore cut short is made again before the next call
}

/** `f`, called so that the wrapper knows when it runs and whether it was cut short. @param {Function} f */
function guarded(f) {
  // The core's methods are static: no `this` to pass. Their parameters (at most `ARITY`: checked
  // by tests/js/layout.test.mjs) are passed by name, with no array per call (SpiderMonkey doesn't
  // elide one); those a method doesn't take arrive as `undefined`, which it ignores.
  return (a, b, c, d, e, g, h, i, j, k, l, m) => {
    if (interrupted && running === 0) restore();
    running++;
    let done = false;
    try {
      const r = f(a, b, c, d, e, g, h, i, j, k, l, m);
      done = true;
      if (r === failed) throw takePending(); // the error of a call that can fail (see `layout.failed`)
      return r;
    } finally {
      running--;
      if (!done) interrupted = true; // an error the core returned, or a call cut short
    }
  };
}

/** The most parameters a method of the core may take: what `guarded` passes on. */
export const ARITY = 12;

/**
 * @param {typeof import("../../generated/wasm_memory_polyfill.js").Core} core
 * @param {WebAssembly.Exports} [exports] the module's exports (the build's stack pointer among them)
 */
export function bind(core, exports) {
  sp = exports?.__wmp_stack_pointer;
  if (sp !== undefined) base = getValue(sp);
  recover = core.recover;
  takePending = core.takePending;
  /** @type {any} */
  const wrapped = { __proto__: null };
  for (const name of ObjectGetOwnPropertyNames(core)) {
    const d = getOwnPropertyDescriptor(core, name);
    if (typeof d.value === "function" && name !== "constructor" && name !== "prototype") wrapped[name] = guarded(d.value);
  }
  rust = wrapped;
  layout = JSONParse(rust.layout()); // JSON: its objects are made without running any setter
  failed = layout.failed;
  heap = rust.heap();
  requestAt = rust.requestAt();
  requestView = undefined;
}

/** The core's whole memory as f64s (see `heapF64`). */
let f64 = new Float64Array(0);

/**
 * The core's memory as f64s, for numbers it writes or reads in place (a snapshot's sizes and
 * rows): no copy, no allocation. Made again when the memory has grown (its old buffer is then
 * detached: 0 bytes long), so take it after the core call that may have grown it and read it
 * before the next. Never handed to anyone: no user object reaches the polyfill's heap.
 */
export function heapF64() {
  if (TypedArrayByteLength(f64) === 0) f64 = new Float64Array(WebAssemblyMemoryBuffer(heap));
  return f64;
}
