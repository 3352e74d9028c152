// Memories that instances bring with them under install(): the ones a module exports enter the
// ledger with the type its bytes declare (`exported`), imports the ledger does not hold enter it
// as `received`, and each instance is counted, weakly, for every ledgered memory it holds.

import { rust, layout } from "./rust.js";
import { NativeMemory, bufferGetter, moduleExports, moduleImports } from "./engine.js";
import { idOf, track } from "./tracking.js";
import { deliver } from "./events.js";
import { sharedSeen } from "./memory.js";
import { infoOf } from "./module-bytes.js";

/** Instances that import or export ledgered memories, held weakly: each one collected is
 * one instance fewer for those memories. */
const instances = new FinalizationRegistry((ids) => rust.countInstance(ids, false));
/** @type {WeakMap<object, { module: string, name: string }[]>} module -> its memory imports (a module's imports never change) */
const memoryImports = new WeakMap();
/** @type {WeakMap<object, string[]>} module compiled before install() -> its memory exports' names */
const memoryExports = new WeakMap();
/** An own data property's value, read without running a getter (undefined otherwise). */
function own(o, key) {
  if (o === null || (typeof o !== "object" && typeof o !== "function")) return undefined;
  const d = Reflect.getOwnPropertyDescriptor(o, key);
  return d && "value" in d ? d.value : undefined;
}

/** Whether `v` is an engine memory, by its brand (no `instanceof`: no Proxy trap runs). */
function isMemory(v) {
  try {
    return (bufferGetter.call(v), true);
  } catch {
    return false;
  }
}

/** WebKit has no `SharedArrayBuffer` global, though its shared memories have such buffers. */
const isSharedBuffer = (b) => (typeof SharedArrayBuffer === "function" ? b instanceof SharedArrayBuffer : Object.prototype.toString.call(b) === "[object SharedArrayBuffer]");

/**
 * Memories passed in as imports that the ledger does not hold were made elsewhere (a shared
 * memory posted from another realm, as emscripten's pthread workers get theirs) or before the
 * polyfill saw them: they enter the ledger as `received`. Imports were read by the engine, so
 * each is looked at again here only as an own data property (no getter runs twice). The ids
 * of the ledgered memories it imports are added to `ids`.
 */
function adoptImports(module, importObject, ids) {
  const info = infoOf(module);
  try {
    for (const m of info ? info.imports : importedMemories(module)) {
      const v = own(own(importObject, m.module), m.name);
      if (idOf(v) < 0 && isMemory(v)) receive(v, info && m);
      const id = idOf(v);
      if (id >= 0 && !ids.includes(id)) ids.push(id);
    }
  } catch {
    // a Proxy's trap threw: its memories go unledgered and uncounted
  }
}

/**
 * Enters an engine-made memory: `enter(pages, shared, is64)` asks the core for its id; then it
 * is tracked (and its buffer frozen where the engine doesn't). `m`: its type from the module's
 * bytes, if they were read. Returns its id.
 */
function enterEngineMemory(memory, m, enter) {
  const buffer = bufferGetter.call(memory);
  const shared = m ? m.shared : isSharedBuffer(buffer);
  const is64 = m?.is64 ?? false; // unknown without the bytes: nothing reads it without changing the memory
  const id = enter(buffer.byteLength / layout.pageBytes, shared, is64);
  track(memory, id, is64, shared);
  if (shared) sharedSeen(memory);
  return id;
}

/** A memory this realm met as an import but did not make. `m`: the import's type (address and sharing are exact). */
const receive = (memory, m) => enterEngineMemory(memory, m, (pages, shared, is64) => rust.receive(pages, shared, is64, Date.now()));

/**
 * Ledgers the memories a new instance exports, and counts the instance for every ledgered
 * memory it exports or imports (until it is collected).
 * @param {WebAssembly.Instance} instance @param {WebAssembly.Module} module @param {unknown} importObject
 */
export function adoptExports(instance, module, importObject) {
  const exports = instance?.exports;
  if (!exports) return;
  const info = infoOf(module);
  /** @type {number[]} */
  const ids = [], counted = [];
  adoptImports(module, importObject, ids); // first: a re-exported import is then found as ledgered
  // With the module's reading we know which exports are memories; else ask the module once.
  const list = info ? info.memories : exportedMemories(module);
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const v = exports[info ? m.name : m];
    if (!(v instanceof NativeMemory)) continue;
    let id = idOf(v);
    if (id < 0 && !(info && m.maximumKnown === false)) {
      // New here: entered and counted for this instance in one crossing.
      id = adopt(v, info && m.maximumKnown !== undefined ? m : undefined);
      counted.push(id);
    } else if (id < 0) {
      id = receive(v, m); // a re-exported import not seen as an import (an accessor there) was made elsewhere too
    }
    if (!ids.includes(id)) ids.push(id);
  }
  if (ids.length > 0) {
    if (ids.length > counted.length) rust.countInstance(ids.filter((id) => !counted.includes(id)), true);
    instances.register(instance, ids);
  }
  deliver();
}

/** A module's memory imports, read once per module. @param {WebAssembly.Module} module */
function importedMemories(module) {
  let list = memoryImports.get(module);
  if (list === undefined) {
    list = moduleImports(module).filter((d) => d.kind === "memory");
    memoryImports.set(module, list);
  }
  return list;
}

/** The names of a module's exported memories (for a module the hooks never read). @param {WebAssembly.Module} module */
function exportedMemories(module) {
  let list = memoryExports.get(module);
  if (list === undefined) {
    try {
      list = moduleExports(module).filter((d) => d.kind === "memory").map((d) => d.name);
    } catch {
      list = []; // not a module: nothing to adopt
    }
    memoryExports.set(module, list);
  }
  return list;
}

/** Ledgers a memory a module exported, counted for the instance that exported it; returns its id. */
function adopt(memory, m) {
  const pages = (x) => (x === undefined ? -1 : Number(x)); // i64 counts are BigInts; exact as numbers up to 2^53
  return enterEngineMemory(memory, m, (size, shared, is64) =>
    rust.adopt(size, shared, is64, pages(m?.maximum), pages(m?.requestedMaximum), m?.maximumKnown ?? false, m?.bounded ?? false, Date.now(), m?.definedBy, 1));
}

