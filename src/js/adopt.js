// Memories that instances bring with them under install(): the ones a module exports enter the
// ledger with the type its bytes declare (`exported`), imports the ledger does not hold enter it
// as `received`, and each instance is counted, weakly, for every ledgered memory it holds.
//
// This runs on every instance a program makes, so what depends only on the module (its memory
// imports and exports, the core's arguments for each export) is worked out on its first
// instance, and an instance holding one memory (the common case) allocates no array.

import { rust, layout, request } from "./rust.js";
import { PAGE, bufferOf, buffersMadeLazily, growNative, moduleExports, moduleImports } from "./engine.js";
import { claimId, idOf, track } from "./tracking.js";
import {
  ArrayBufferByteLength,
  ArrayBufferPrototypeGetByteLength,
  ArrayPrototypePush,
  DateNow,
  Number,
  FinalizationRegistry,
  FinalizationRegistryPrototypeRegister,
  TypeErrorPrototype,
  WeakMap,
  WeakMapPrototypeGet,
  WeakMapPrototypeSet,
  getOwnPropertyDescriptor,
  isErrorOf,
  list,
} from "./primordials.js";
import { deliver } from "./events.js";
import { infoOf } from "./module-bytes.js";

/** Instances that import or export ledgered memories, held weakly with the ids they hold (one
 * id, or an array): each one collected is one instance fewer for those memories. */
const instances = new FinalizationRegistry((held) => countInstance(held, false));
/** One more (`made`) or one fewer instance for the memories `ids` (one id, or an array of them). */
const countInstance = (ids, made) => (typeof ids === "number" ? rust.countInstanceOf(ids, made) : rust.countInstance(ids, made));
// (The ids cross as a plain array: wasm-bindgen's glue copies it by index, reaching no setter.)
/** @type {WeakMap<object, { info: object | undefined, imports: object[], exports: object[] }>} module -> its plan (a module's imports and exports never change) */
const plans = new WeakMap();

/** An own data property's value, read without running a getter (undefined otherwise). */
function own(o, key) {
  if (o === null || (typeof o !== "object" && typeof o !== "function")) return undefined;
  const d = getOwnPropertyDescriptor(o, key);
  return d && "value" in d ? d.value : undefined;
}

/** Whether `v` is an engine memory, by its brand (no `instanceof`: no Proxy trap or
 * `Symbol.hasInstance` runs). */
function isMemory(v) {
  try {
    return (bufferOf(v), true);
  } catch {
    return false;
  }
}

/** Whether a memory's buffer is shared: the ArrayBuffer getter refuses a SharedArrayBuffer
 * (WebKit has no `SharedArrayBuffer` global, though its shared memories have such buffers). */
function isSharedBuffer(b) {
  try {
    return (ArrayBufferByteLength(b), false);
  } catch (e) {
    if (!isErrorOf(e, TypeErrorPrototype)) throw e; // a stack overflow stands
    return true;
  }
}

// The ids an instance holds: undefined, one id, or (rarely) a list of them (no prototype).
const has = (ids, id) => {
  if (ids === id) return true;
  if (typeof ids !== "object") return false;
  for (let i = 0; i < ids.length; i++) if (ids[i] === id) return true;
  return false;
};
const add = (ids, id) => {
  if (ids === undefined) return id;
  if (typeof ids === "number") {
    const l = list();
    return (ArrayPrototypePush(l, ids, id), l);
  }
  return (ArrayPrototypePush(ids, id), ids);
};

/**
 * Ledgers the memories a new instance exports, and counts the instance for every ledgered
 * memory it exports or imports (until it is collected). Memories passed in as imports that the
 * ledger does not hold were made elsewhere (a shared memory posted from another realm, as
 * emscripten's pthread workers get theirs) or before the polyfill saw them: they enter the
 * ledger as `received`, first, so that a re-exported import is then found as ledgered. Imports
 * were read by the engine, so each is looked at again only as an own data property (no getter
 * runs twice).
 * @param {WebAssembly.Instance} instance @param {WebAssembly.Module} module @param {unknown} importObject
 */
export function adoptExports(instance, module, importObject) {
  const exports = instance?.exports;
  if (!exports) return;
  let plan = WeakMapPrototypeGet(plans, module); // (written out here: a minifier would make a one-use helper a closure per call)
  if (plan === undefined) WeakMapPrototypeSet(plans, module, (plan = makePlan(module)));
  let held, uncounted; // every ledgered memory it holds; those not counted for it yet
  try {
    for (let i = 0; i < plan.imports.length; i++) {
      const m = plan.imports[i];
      const v = own(own(importObject, m.module), m.name);
      let id = idOf(v);
      if (id < 0 && isMemory(v)) id = receive(v, plan.info && m);
      if (id >= 0 && !has(held, id)) (held = add(held, id)), (uncounted = add(uncounted, id));
    }
  } catch {
    // a Proxy's trap threw: its memories go unledgered and uncounted
  }
  for (let i = 0; i < plan.exports.length; i++) {
    const e = plan.exports[i];
    const v = exports[e.name];
    if (!isMemory(v)) continue;
    let id = idOf(v);
    if (id < 0 && !e.received) {
      held = add(held, adopt(v, e)); // new here: entered and counted for this instance in one crossing
      continue;
    }
    if (id < 0) id = receive(v, e.m); // a re-exported import not seen as an import (an accessor there) was made elsewhere too
    if (!has(held, id)) (held = add(held, id)), (uncounted = add(uncounted, id));
  }
  if (held !== undefined) {
    if (uncounted !== undefined) countInstance(uncounted, true);
    FinalizationRegistryPrototypeRegister(instances, instance, held);
  }
  deliver();
}

/** The memory imports, and the memory exports with what `adopt` needs, of a module: from the hooks' reading of its bytes, else asked of the module once. */
function makePlan(module) {
  const info = infoOf(module);
  const exports = list();
  if (info) {
    for (let i = 0; i < info.memories.length; i++) {
      const m = info.memories[i];
      ArrayPrototypePush(exports, exported(m.name, m, m.maximumKnown, m.maximumKnown && info.hasStart === false));
    }
    return { info, imports: info.imports, exports };
  }
  const imports = list();
  try {
    const all = moduleImports(module);
    for (let i = 0; i < all.length; i++) if (all[i].kind === "memory") ArrayPrototypePush(imports, all[i]);
    // Without its bytes: a module that imports no memory defines every memory it exports.
    const out = moduleExports(module);
    for (let i = 0; i < out.length; i++)
      if (out[i].kind === "memory") ArrayPrototypePush(exports, exported(out[i].name, undefined, imports.length === 0, false));
    return { info, imports, exports };
  } catch {
    return { info, imports: list(), exports: list() }; // not a module: nothing to adopt
  }
}

const pages = (x) => (x === undefined ? -1 : Number(x)); // i64 counts are BigInts; exact as numbers up to 2^53

/**
 * An exported memory as each instance's copy is entered: `m` is its type from the module's
 * bytes, if they were read; `defined`: the module defines it (it doesn't re-export an import);
 * `fixed`: and has no start function, so no code runs while an instance is made and each copy
 * has the declared minimum. How to learn a copy's size without reading `buffer` (`size`, `quiet`)
 * is learnt on the module's first instance (see `adopt`).
 */
function exported(name, m, defined, fixed) {
  return {
    name,
    m,
    defined,
    fixed,
    received: m !== undefined && !m.maximumKnown,
    is64: m?.is64 ?? false, // unknown without the bytes: nothing reads it without changing the memory
    shared: m?.shared,
    maximum: pages(m?.maximum),
    requested: pages(m?.requestedMaximum),
    known: m?.maximumKnown ?? false,
    bounded: m?.bounded ?? false,
    definedBy: m?.definedBy,
    size: -1,
    quiet: undefined,
  };
}

/**
 * Ledgers a memory a module exported, counted for the instance that exported it; returns its
 * id. Its size without reading `buffer` where that can be exact: newer V8 makes an exported
 * memory's ArrayBuffer only when `buffer` is first read, and that first read is a large part of
 * `new Instance` (the bench's `--steps` times it: docs/costs.md). Programs read it anyway, but
 * later and only once. The module's first instance reads it (as every instance once did), and
 * teaches the rest:
 * - a module whose bytes were read and that has no start function makes each copy with the same
 *   size (`size`);
 * - else, for a memory the module defines, `grow(0)` returns the size without making the
 *   buffer (where the engine makes it at once, reading it would be cheaper still). It is
 *   unobservable: no one has seen that buffer yet (grow(0) detaches the buffer, if there is
 *   one). It is used (`quiet`) once the first copy has shown it gives the size: not shared (a
 *   shared grow involves every thread), 64 KiB pages, and the address type assumed. Those come
 *   from the module's declaration, so they hold for every copy.
 */
function adopt(memory, e) {
  let size = e.size >= 0 ? e.size : e.quiet ? sizeByGrow(memory, e) : -1;
  let shared = e.shared;
  if (size < 0) {
    const buffer = bufferOf(memory);
    size = ArrayBufferPrototypeGetByteLength(buffer) / PAGE;
    shared ??= isSharedBuffer(buffer);
    if (e.quiet === undefined) {
      e.quiet = buffersMadeLazily && e.defined && !e.fixed && !shared && sizeByGrow(memory, e) === size;
      if (e.defined) e.shared = shared;
      if (e.fixed) e.size = size;
    }
  }
  const id = claimId();
  track(memory, id, e.is64, shared); // before the core records it (see claimId)
  const created = DateNow();
  // The core's request row (`layout.requests.adopt`), filled right before the call that reads it.
  const r = request(),
    f = layout.requests.adopt;
  r[f.id] = id;
  r[f.pages] = size;
  r[f.shared] = shared ? 1 : 0;
  r[f.is64] = e.is64 ? 1 : 0;
  r[f.maximum] = e.maximum;
  r[f.requested] = e.requested;
  r[f.maximumKnown] = e.known ? 1 : 0;
  r[f.bounded] = e.bounded ? 1 : 0;
  r[f.created] = created;
  r[f.instances] = 1;
  rust.adopt(e.definedBy);
  return id;
}

/** `grow(0)` of a memory, or -1 when it throws (an i64 memory the module's bytes didn't say was one; the buffer tells then). */
function sizeByGrow(memory, e) {
  try {
    return Number(growNative(memory, e.is64 ? 0n : 0));
  } catch {
    return -1;
  }
}

/** Enters a memory this realm met as an import but did not make; returns its id. `m`: the import's type, if the module's bytes were read (address and sharing are exact). */
function receive(memory, m) {
  const buffer = bufferOf(memory);
  const shared = m ? m.shared : isSharedBuffer(buffer);
  const is64 = m?.is64 ?? false;
  const id = claimId();
  track(memory, id, is64, shared); // before the core records it (see claimId)
  rust.receive(id, ArrayBufferPrototypeGetByteLength(buffer) / PAGE, shared, is64, DateNow());
  return id;
}
