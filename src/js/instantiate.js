// install()'s compile and instantiate hooks: memories that modules export enter the ledger with
// the type their bytes declare, and under a hard budget each memory a module defines is compiled
// with its maximum lowered to the budget's clamp, so a grow inside wasm past it returns -1.

import { rust, layout } from "./rust.js";
import { NativeMemory, bufferGetter, moduleExports, moduleImports } from "./engine.js";
import { idOf, track } from "./tracking.js";
import { deliver } from "./events.js";
import { sharedSeen, state } from "./memory.js";

/** @type {WeakMap<object, { memories: object[], imports: object[] }>} module -> what the core read from its bytes */
const moduleInfo = new WeakMap();
/** Instances that import or export ledgered memories, held weakly: each one collected is
 * one instance fewer for those memories. */
const instances = new FinalizationRegistry((ids) => rust.countInstance(ids, false));
/** @type {WeakMap<object, { module: string, name: string }[]>} module -> its memory imports (a module's imports never change) */
const memoryImports = new WeakMap();
/** @type {WeakMap<object, string[]>} module compiled before install() -> its memory exports' names */
const memoryExports = new WeakMap();
/** A custom section named "name": the length of its name, then "name". */
const NAME = [4, 110, 97, 109, 101];

/** A BufferSource as a Uint8Array view (no copy), or undefined. @param {unknown} source */
function bytesOf(source) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return undefined;
}

/**
 * The magic number plus the import (2), memory (5) and export (7) sections, where the memory
 * section is, and the start of the "name" custom section's payload (enough for the module name):
 * only these few bytes are copied into the core, never the code of a large module.
 * @param {Uint8Array} bytes
 */
function memorySections(bytes) {
  const parts = [bytes.subarray(0, 8)];
  let at = 8, length = 8, memory, names;
  while (at < bytes.length) {
    const start = at, id = bytes[at++];
    let size = 0, shift = 0, b;
    do {
      if (at >= bytes.length || shift > 28) return undefined;
      b = bytes[at++];
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    const end = at + size;
    if (end > bytes.length) return undefined;
    if (id === 2 || id === 5 || id === 7) (parts.push(bytes.subarray(start, end)), (length += end - start));
    if (id === 5) memory = [start, end];
    if (id === 0 && !names && end - at >= 5 && NAME.every((b, i) => bytes[at + i] === b)) names = bytes.subarray(at + 5, Math.min(end, at + 5 + layout.nameBytes));
    at = end;
  }
  const small = new Uint8Array(length);
  parts.reduce((offset, p) => (small.set(p, offset), offset + p.length), 0);
  return { small, memory, names };
}

/**
 * What to compile (the bytes, or a copy with the memory section rewritten) and the core's
 * reading of them. `url`: the Response's, for a streamed module.
 * @param {unknown} source @param {string} [url]
 */
function prepare(source, url) {
  const bytes = bytesOf(source);
  const cut = bytes && bytes.length >= 8 ? memorySections(bytes) : undefined;
  if (cut === undefined) return { source, info: undefined };
  let info;
  try {
    info = rust.moduleMemories(cut.small, state.hard, cut.names, url); // a budget's RangeError when it leaves too little
  } finally {
    deliver();
  }
  if (info?.section === undefined || cut.memory === undefined) return { source, info };
  const [start, end] = cut.memory, s = info.section;
  const out = new Uint8Array(bytes.length - (end - start) + s.length);
  out.set(bytes.subarray(0, start));
  out.set(s, start);
  out.set(bytes.subarray(end), start + s.length);
  return { source: out, info };
}

const remember = (module, info) => (info && moduleInfo.set(module, info), module);

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
  const info = moduleInfo.get(module);
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

/** `m`: the import's type (address and sharing are exact), if the module's bytes were read. */
function receive(memory, m) {
  const is64 = m?.is64 ?? false; // unknown without the bytes: nothing reads it without changing the memory
  const buffer = bufferGetter.call(memory);
  const shared = m ? m.shared : isSharedBuffer(buffer);
  const id = rust.receive(buffer.byteLength / layout.pageBytes, shared, is64, Date.now());
  track(memory, id, is64, shared);
  if (shared) sharedSeen(memory);
  return id;
}

/**
 * Ledgers the memories a new instance exports, and counts the instance for every ledgered
 * memory it exports or imports (until it is collected).
 * @param {WebAssembly.Instance} instance @param {WebAssembly.Module} module @param {unknown} importObject
 */
function adoptExports(instance, module, importObject) {
  const exports = instance?.exports;
  if (!exports) return;
  const info = moduleInfo.get(module);
  /** @type {number[]} */
  const ids = [];
  adoptImports(module, importObject, ids); // first: a re-exported import is then found as ledgered
  // With the module's reading we know which exports are memories; else ask the module once.
  const list = info ? info.memories : exportedMemories(module);
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    const v = exports[info ? m.name : m];
    if (!(v instanceof NativeMemory)) continue;
    let id = idOf(v);
    // A re-exported import not seen as an import (an accessor there) was made elsewhere too.
    if (id < 0) id = info && m.maximumKnown === false ? receive(v, m) : adopt(v, info && m.maximumKnown !== undefined ? m : undefined);
    if (!ids.includes(id)) ids.push(id);
  }
  if (ids.length > 0) {
    rust.countInstance(ids, true);
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

/** Ledgers a memory a module exported; returns its id. */
function adopt(memory, m) {
  const buffer = bufferGetter.call(memory);
  const shared = m ? m.shared : isSharedBuffer(buffer);
  const is64 = m?.is64 ?? false;
  const id = rust.adopt(buffer.byteLength / layout.pageBytes, shared, is64, m?.maximum, m?.requestedMaximum, m?.maximumKnown ?? false, m?.bounded ?? false, Date.now(), m?.definedBy);
  track(memory, id, is64, shared);
  if (shared) sharedSeen(memory);
  return id;
}

/** A Response's URL for `definedBy` (cut: a data: URL can be megabytes), or undefined. @param {Response} r */
const urlOf = (r) => (r.url ? r.url.slice(0, layout.maxText + 1) : undefined);

/** With a hard budget, the streaming APIs read the Response themselves to compile rewritten bytes: `[bytes, url]`. */
async function readResponse(source) {
  const r = await source;
  const wasm = typeof Response === "function" && r instanceof Response && r.ok && !r.bodyUsed && r.headers.get("content-type")?.split(";")[0].trim().toLowerCase() === "application/wasm";
  return wasm ? [await r.arrayBuffer(), urlOf(r)] : undefined; // anything else: the engine rejects it as it would
}

/** Without one, they stream; a clone of the Response, taken first, gives `[bytes, url]` to read types from. */
function cloneBytes(source) {
  const copy = (r) => (typeof Response === "function" && r instanceof Response && !r.bodyUsed ? r.clone().arrayBuffer().then((b) => [b, urlOf(r)]) : undefined);
  try {
    return Promise.resolve(typeof source?.then === "function" ? Promise.resolve(source).then(copy) : copy(source)).catch(() => undefined);
  } catch {
    return Promise.resolve(undefined);
  }
}

/**
 * Wraps compile, compileStreaming, Module, instantiate, instantiateStreaming and Instance.
 * @param {typeof WebAssembly} W @param {(target: object, key: string, desc: PropertyDescriptor) => void} patch
 * @param {{ on: boolean }} installed
 */
export function hookInstantiate(W, patch, installed) {
  const native = { compile: W.compile, instantiate: W.instantiate, compileStreaming: W.compileStreaming, instantiateStreaming: W.instantiateStreaming };
  const NativeModule = W.Module, NativeInstance = W.Instance;
  const fail = (f) => { try { return f(); } catch (e) { return { error: e }; } };
  /** compile(bytes), and instantiate(bytes, ...rest) as `args`; `url` for a streamed module. */
  const compile = (self, bytes, url) => {
    const p = fail(() => prepare(bytes, url));
    if (p.error) return Promise.reject(p.error);
    return native.compile.call(self, p.source).then((module) => remember(module, p.info));
  };
  const instantiate = (self, args, url) => {
    const p = fail(() => prepare(args[0], url));
    if (p.error) return Promise.reject(p.error);
    args[0] = p.source;
    return native.instantiate.apply(self, args).then((r) => (adoptExports(r.instance, remember(r.module, p.info), args[1]), r));
  };
  // Method definitions: not constructible, with the engine's `name` and `length`.
  const hooks = {
    compile(bytes) {
      if (!installed.on) return native.compile.apply(this, arguments);
      return compile(this, bytes);
    },
    instantiate(source, importObject) {
      if (!installed.on) return native.instantiate.apply(this, arguments);
      if (source instanceof NativeModule) return native.instantiate.apply(this, arguments).then((i) => (adoptExports(i, source, importObject), i));
      return instantiate(this, [...arguments]);
    },
    compileStreaming(source) {
      if (!installed.on) return native.compileStreaming.apply(this, arguments);
      if (state.hard) return readResponse(source).then((b) => (b ? compile(this, ...b) : native.compileStreaming.call(this, source)));
      const bytes = cloneBytes(source);
      return native.compileStreaming.apply(this, arguments).then(async (module) => remember(module, prepare(...((await bytes) ?? [])).info));
    },
    instantiateStreaming(source, importObject) {
      if (!installed.on) return native.instantiateStreaming.apply(this, arguments);
      if (state.hard) return readResponse(source).then((b) => (b ? instantiate(this, [b[0], importObject], b[1]) : native.instantiateStreaming.call(this, source, importObject)));
      const bytes = cloneBytes(source);
      return native.instantiateStreaming.apply(this, arguments).then(async (r) => (adoptExports(r.instance, remember(r.module, prepare(...((await bytes) ?? [])).info), importObject), r));
    },
  };
  for (const name of Object.keys(native)) if (native[name]) patch(W, name, { value: hooks[name] });

  // Like the installed Memory: functions whose `prototype` is the engine's own, so objects keep
  // their native prototype and `instanceof` holds both ways.
  const Module = function Module(bytes) {
    if (new.target === undefined) throw new TypeError("WebAssembly.Module: constructor cannot be called without 'new'");
    if (!installed.on) return Reflect.construct(NativeModule, arguments, new.target);
    const p = prepare(bytes);
    const args = [...arguments];
    args[0] = p.source;
    return remember(Reflect.construct(NativeModule, args, new.target), p.info);
  };
  const Instance = function Instance(module, importObject) {
    if (new.target === undefined) throw new TypeError("WebAssembly.Instance: constructor cannot be called without 'new'");
    const instance = Reflect.construct(NativeInstance, arguments, new.target);
    if (installed.on) adoptExports(instance, module, importObject);
    return instance;
  };
  for (const [F, N] of [[Module, NativeModule], [Instance, NativeInstance]]) {
    Object.defineProperty(F, "prototype", { value: N.prototype, writable: false, enumerable: false, configurable: false });
    for (const k of Object.getOwnPropertyNames(N)) {
      if (!(k in F) || k === "length") Object.defineProperty(F, k, Object.getOwnPropertyDescriptor(N, k)); // Module.exports/imports/customSections
    }
    patch(N.prototype, "constructor", { value: F });
    patch(W, N.name, { value: F });
  }
}
