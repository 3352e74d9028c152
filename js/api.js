// The JS entry layer: the `Memory` class, `install()` and the weak bookkeeping that only JS can
// do (WeakMap, WeakRef, FinalizationRegistry). Everything that decides anything (reading the
// descriptor, validation, budgets, the ledger) is Rust, reached through the `hooks` that
// src/bindings/api.rs passes to `defineApi`. Loaded as a wasm-bindgen snippet, so the Rust tests
// run exactly this file.

// Captured at load, before any install() can replace them.
const NativeMemory = WebAssembly.Memory;
const nativeProto = NativeMemory.prototype;
const nativeGrow = nativeProto.grow;
const bufferGetter = Object.getOwnPropertyDescriptor(nativeProto, "buffer").get;

// ---- ECMAScript conversions, run here so that user code's exceptions never cross into wasm ----

const apply = Reflect.apply;
const isPrimitive = (v) => (typeof v !== "object" && typeof v !== "function") || v === null;

/**
 * ECMAScript ToPrimitive(v, hint), step by step as the spec writes it (GetMethod @@toPrimitive,
 * else OrdinaryToPrimitive). The engines' own ToPrimitive would do the same user-visible steps,
 * but SpiderMonkey then builds its TypeError message by inspecting the object (running a Proxy's
 * ownKeys/getOwnPropertyDescriptor traps), which the spec's conversion never does.
 * @param {unknown} v @param {"number" | "string"} hint
 */
function toPrimitive(v, hint) {
  if (isPrimitive(v)) return v;
  const exotic = v[Symbol.toPrimitive];
  if (exotic !== undefined && exotic !== null) {
    if (typeof exotic !== "function") throw new TypeError("Memory: [Symbol.toPrimitive] is not a function");
    const r = apply(exotic, v, [hint]);
    if (!isPrimitive(r)) throw new TypeError("Memory: [Symbol.toPrimitive] returned an object");
    return r;
  }
  for (const name of hint === "string" ? ["toString", "valueOf"] : ["valueOf", "toString"]) {
    const method = v[name];
    if (typeof method === "function") {
      const r = apply(method, v, []);
      if (isPrimitive(r)) return r;
    }
  }
  throw new TypeError("Memory: cannot convert an object to a primitive value");
}

/** ECMAScript ToNumber: TypeError for BigInt and Symbol. @param {unknown} v @returns {number} */
const toNumber = (v) => +toPrimitive(v, "number");

/** ECMAScript ToString (as enum conversion runs it): TypeError for Symbol. @param {unknown} v */
const toStr = (v) => `${toPrimitive(v, "string")}`;

/**
 * ECMAScript ToBigInt: TypeError for Number, undefined, null and Symbol; SyntaxError for a string
 * that is not an integer. BigInt.asIntN runs exactly ToBigInt on its (here primitive) second
 * argument, and with 2^53-1 bits returns every BigInt an engine can hold unchanged.
 * @param {unknown} v @returns {bigint}
 */
const toBigInt = (v) => BigInt.asIntN(Number.MAX_SAFE_INTEGER, toPrimitive(v, "number"));

/**
 * Makes the engine memory: `Reflect.construct(NativeMemory, [checked], newTarget)`, so the object
 * is a real memory whose prototype comes from `newTarget` (our class, a subclass, or the native
 * prototype when installed). The descriptor is our own plain object: no user code runs here
 * except a Proxy `newTarget`'s `prototype` getter.
 * @param {number | bigint} initial @param {number | bigint | undefined} maximum
 * @param {boolean} shared @param {boolean} is64 @param {Function} newTarget
 */
export function nativeConstruct(initial, maximum, shared, is64, newTarget) {
  const d = { initial, shared };
  if (maximum !== undefined) d.maximum = maximum;
  // Engines without memory64 (Node 20) never read `address`; the bindings refuse i64 there.
  if (is64) d.address = "i64";
  return makeNative(d, newTarget);
}

/** @type {(what: string) => Error} set by defineApi: the RangeError for a failed allocation */
let allocationFailed = (what) => new RangeError(what);

/**
 * Reflect.construct(NativeMemory, [checked], newTarget). The descriptor is valid by then, so an
 * engine error is an allocation failure, which the spec makes a RangeError: Firefox throws a
 * WebAssembly.RuntimeError (or, out of address space, the string "out of memory") instead, and
 * those become the RangeError. Anything else (a Proxy newTarget's trap) passes unchanged.
 */
function makeNative(checked, newTarget) {
  try {
    return Reflect.construct(NativeMemory, [checked], newTarget);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError || e === "out of memory") throw allocationFailed(String(e?.message ?? e));
    throw e;
  }
}

/** The engine's own grow. @param {unknown} memory @param {unknown} delta */
export function nativeGrowCall(memory, delta) {
  return nativeGrow.call(memory, delta);
}

/**
 * Current pages, read from the engine through its own `buffer` getter (which is also the brand
 * check: it throws a TypeError for anything that is not a memory).
 * @param {unknown} memory
 */
export function pagesOf(memory) {
  return bufferGetter.call(memory).byteLength / 65536;
}

/** Whether this engine has memory64 (validates a module declaring an i64 memory). */
export function hasMemory64() {
  // (module (memory i64 0)): memory section, one memory, limits flag 0x04 (i64, no max), min 0.
  return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 4, 0]));
}

/**
 * A ledger listener threw: the operation that caused the event still succeeds, and the error is
 * reported the way the platform reports uncaught errors (reportError), or logged.
 * @param {unknown} error
 */
export function reportListenerError(error) {
  if (typeof globalThis.reportError === "function") globalThis.reportError(error);
  else console.error("wasm-memory-polyfill: a ledger listener threw:", error);
}

/** Milliseconds since the epoch. */
export function now() {
  return Date.now();
}

/** The first stack frame outside this package, for `where it was made`. */
export function callerLine() {
  // Enough frames to get past the wasm and glue frames between the user and here.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const lines = stack.split("\n").slice(1).map((l) => l.trim());
  const ours = /wasm_memory_polyfill|wasm-memory-polyfill|\/snippets\/|wasm-function|wasm:\/\/|\/js\/api\.js|^at new Memory|^Memory@/;
  return lines.find((l) => l && !ours.test(l)) ?? "";
}

// The spec freezes a shared memory's SharedArrayBuffer; Firefox 153 does not. Detected once;
// only where the engine is wrong do we freeze (and, for shared buffers, wrap the getter).
const sharedBuffersFrozen = (() => {
  try {
    return Object.isFrozen(bufferGetter.call(new NativeMemory({ initial: 0, maximum: 0, shared: true })));
  } catch {
    return true; // no shared memories here: nothing to fix
  }
})();

/** Freezes a shared buffer the engine left unfrozen. @param {ArrayBuffer | SharedArrayBuffer} b */
export function fixBuffer(b) {
  if (!sharedBuffersFrozen && !Object.isFrozen(b) && typeof SharedArrayBuffer === "function" && b instanceof SharedArrayBuffer) {
    Object.freeze(b);
  }
  return b;
}

// ---- weak bookkeeping: the ledger must never keep a memory alive ----

// Kept in step by the ledger (setBudgeted, setListening), so the hot paths skip calls into wasm
// that would find nothing to do.
let budgeted = false;
let listening = false;
/** @param {boolean} on */
export function setBudgeted(on) {
  budgeted = on;
}
/** @param {boolean} on */
export function setListening(on) {
  listening = on;
}

/** @type {WeakMap<object, number>} memory -> ledger id * 2 + (1 if i64) */
const ids = new WeakMap();
/** @type {Map<number, WeakRef<object>>} ledger id -> memory, for size reads */
const refs = new Map();
/** @type {(id: number) => void} set by defineApi: tells the ledger a memory was collected */
let onCollect = () => {};
const registry = new FinalizationRegistry((id) => {
  refs.delete(id);
  onCollect(id);
});

/**
 * Starts tracking a memory under a ledger id. Note: `new WeakRef(m)` keeps `m` alive until the
 * end of the current job (as `deref()` does), so memories made and dropped within one
 * synchronous task are collected after it, not during it.
 * @param {object} memory @param {number} id @param {boolean} is64
 */
export function track(memory, id, is64) {
  ids.set(memory, id * 2 + (is64 ? 1 : 0));
  refs.set(id, new WeakRef(memory));
  registry.register(memory, id);
}

/** The ledger id of a memory, or -1. @param {unknown} memory */
export function idOf(memory) {
  const v = typeof memory === "object" && memory !== null ? ids.get(memory) : undefined;
  return v === undefined ? -1 : v >>> 1;
}

/**
 * Current pages of every tracked memory still alive, read from the engine, as [id, pages] pairs
 * in one Float64Array (one boundary crossing for the whole ledger).
 */
export function readSizes() {
  const out = new Float64Array(refs.size * 2);
  let n = 0;
  refs.forEach((ref, id) => {
    const m = ref.deref();
    if (m === undefined) return;
    out[n++] = id;
    out[n++] = bufferGetter.call(m).byteLength / 65536;
  });
  return out.subarray(0, n);
}

/**
 * The plain objects of ledger.snapshot(), from the ledger's rows (10 numbers a record: id, pages,
 * peak, grows, shared, is64, maximum, requestedMaximum, createdAt, exported; -1 = none) and the
 * few strings ([row, label, stack] triples).
 * @param {Float64Array} rows @param {unknown[]} strings @param {Float64Array} t @param {object | null} budget
 */
export function buildSnapshot(rows, strings, t, budget) {
  const memories = new Array(rows.length / 10);
  for (let i = 0, r = 0; r < rows.length; i++, r += 10) {
    memories[i] = {
      id: rows[r],
      label: null,
      address: rows[r + 5] ? "i64" : "i32",
      shared: rows[r + 4] === 1,
      pages: rows[r + 1],
      bytes: rows[r + 1] * 65536,
      peak: rows[r + 2],
      grows: rows[r + 3],
      maximum: rows[r + 6] < 0 ? null : rows[r + 6],
      requestedMaximum: rows[r + 7] < 0 ? null : rows[r + 7],
      createdAt: rows[r + 8],
      origin: rows[r + 9] ? "exported" : "constructed",
      stack: null,
    };
  }
  for (let k = 0; k < strings.length; k += 3) {
    const m = memories[strings[k]];
    m.label = strings[k + 1];
    m.stack = strings[k + 2];
  }
  return {
    live: t[0],
    livePages: t[1],
    liveBytes: t[1] * 65536,
    peakTotalPages: t[2],
    created: t[3],
    collected: t[4],
    budget,
    memories,
  };
}

// ---- the public constructor and methods ----

/**
 * Builds the public API around the Rust hooks.
 * @param {{
 *   construct(descriptor: unknown, options: unknown, newTarget: Function): WebAssembly.Memory,
 *   grow(memory: unknown, delta: unknown): number | bigint,
 *   type(memory: unknown): object,
 *   adopt(memory: unknown, origin: string, type: unknown): void,
 * }} hooks
 */
export function defineApi(hooks) {
  onCollect = hooks.collected;
  allocationFailed = hooks.allocationFailed;

  /** Our options' label, checked by Rust; no call at all in the common case of no options. */
  function labelOf(options) {
    if (options === undefined) return undefined;
    return hooks.checkOptions(options, typeof options === "object" && options !== null ? options.label : undefined);
  }

  /**
   * `new Memory(descriptor)` for every constructor we expose (the class, its subclasses, the
   * installed global). The WebIDL dictionary is read here, in the spec's order, each member once:
   * `address` (converted with ToString as read), `initial` (required), `maximum`, `shared`
   * (ToBoolean); `initial` and `maximum` are AddressValue (`any`), so they are converted only
   * after all four are read. Every rule and message is the Rust hooks'.
   */
  function construct(descriptor, options, newTarget) {
    if (typeof descriptor !== "object" && typeof descriptor !== "function" && descriptor !== undefined) {
      throw hooks.notObject(descriptor);
    }
    // undefined and null are an empty dictionary: nothing is read from them.
    const d = descriptor ?? {};
    const address = d.address;
    const is64 = address !== undefined && hooks.addressIs64(toStr(address));
    const initial = d.initial;
    if (initial === undefined) throw hooks.missingInitial();
    const maximum = d.maximum;
    const shared = !!d.shared;
    if (is64) {
      // AddressValueToU64 for i64: ToBigInt here, the u64 range in Rust, initial before maximum.
      const ini = toBigInt(initial);
      hooks.u64(0, ini);
      let max;
      if (maximum !== undefined) {
        max = toBigInt(maximum);
        hooks.u64(1, max);
      }
      return hooks.construct64(ini, max, shared, labelOf(options), newTarget);
    }

    // AddressValueToU64 for i32: ToNumber here; [EnforceRange] unsigned long is the identity on
    // integers in [0, 2^32), so only other values need Rust's rule (and its TypeError).
    const x = toNumber(initial);
    const ini = x >>> 0 === x ? x : hooks.u32(0, x);
    let max = -1;
    if (maximum !== undefined) {
      const y = toNumber(maximum);
      max = y >>> 0 === y ? y : hooks.u32(1, y);
    }
    const label = labelOf(options);
    // Rules, budget and the ledger entry, in one call: id * 131072 + (maximum to give the engine + 1).
    const r = hooks.create(ini, max, shared, Date.now(), label);
    const id = Math.floor(r / 131072);
    const effective = (r % 131072) - 1;
    const checked = effective < 0 ? { initial: ini, shared } : { initial: ini, maximum: effective, shared };
    let memory;
    try {
      memory = makeNative(checked, newTarget);
    } catch (e) {
      hooks.abandon(id); // allocation failed: the ledger forgets the entry
      throw e;
    }
    if (shared && !sharedBuffersFrozen) fixBuffer(bufferGetter.call(memory));
    track(memory, id, false);
    if (listening) hooks.deliver();
    return memory;
  }

  // Method definitions: not constructible, `name`/`length` as the engine's own.
  const methods = {
    grow(delta) {
      const v = ids.get(this);
      if (v === undefined) return nativeGrow.call(this, delta); // not ours: the engine does it all
      const id = v >>> 1;
      if (v & 1) {
        const d = toBigInt(delta);
        hooks.u64(2, d);
        return hooks.grow64(this, id, d);
      }
      const x = toNumber(delta); // [EnforceRange] in Rust unless it is the identity
      const d = x >>> 0 === x ? x : hooks.u32(2, x);
      // Under a budget, the check needs the current size, read from the engine.
      if (budgeted) hooks.planGrow(id, bufferGetter.call(this).byteLength / 65536, d);
      let old;
      try {
        old = nativeGrow.call(this, d);
      } catch (e) {
        throw hooks.growError(id, bufferGetter.call(this).byteLength / 65536, d, e);
      }
      if (!sharedBuffersFrozen) fixBuffer(bufferGetter.call(this));
      hooks.grown(id, old + d);
      return old;
    },
    type() {
      return hooks.type(this);
    },
  };

  class Memory extends NativeMemory {
    /**
     * @param {WebAssembly.MemoryDescriptor} descriptor
     * @param {{ label?: string }} [options] ours; a second argument is ignored by the native constructor
     */
    constructor(descriptor) {
      // A derived constructor may return an object instead of calling super(): the memory is
      // made with Reflect.construct(NativeMemory, [checked], new.target), so its prototype is
      // new.target's. `options` comes from arguments[1] so that Memory.length stays 1.
      return construct(descriptor, arguments[1], new.target);
    }
  }
  for (const name of ["grow", "type"]) {
    Object.defineProperty(Memory.prototype, name, { value: methods[name], writable: true, enumerable: true, configurable: true });
  }
  if (!sharedBuffersFrozen) {
    // Only on engines that hand out unfrozen shared buffers (Firefox): everywhere else the
    // `buffer` getter stays the engine's own, at native speed.
    Object.defineProperty(Memory.prototype, "buffer", {
      get() {
        return fixBuffer(bufferGetter.call(this));
      },
      enumerable: true,
      configurable: true,
    });
  }

  let installed = null;

  /**
   * Replaces globalThis.WebAssembly.Memory; returns a function that puts everything back.
   * Installing twice is harmless: the second call returns the same uninstall.
   */
  function install() {
    if (installed) return installed.uninstall;
    const W = globalThis.WebAssembly;
    const saved = {
      ctor: Object.getOwnPropertyDescriptor(W, "Memory"),
      protoCtor: Object.getOwnPropertyDescriptor(nativeProto, "constructor"),
      grow: Object.getOwnPropertyDescriptor(nativeProto, "grow"),
      type: Object.getOwnPropertyDescriptor(nativeProto, "type"),
      buffer: Object.getOwnPropertyDescriptor(nativeProto, "buffer"),
    };
    // `function`, not `class`: its `prototype` must be the engine's own prototype object.
    const Installed = function Memory(descriptor) {
      if (new.target === undefined) {
        throw new TypeError("WebAssembly.Memory: constructor cannot be called without 'new'");
      }
      return construct(descriptor, undefined, new.target);
    };
    Object.defineProperty(Installed, "prototype", { value: nativeProto, writable: false, enumerable: false, configurable: false });
    Object.defineProperty(nativeProto, "constructor", { ...saved.protoCtor, value: Installed });
    Object.defineProperty(nativeProto, "grow", { ...saved.grow, value: methods.grow });
    if (!saved.type) {
      Object.defineProperty(nativeProto, "type", { value: methods.type, writable: true, enumerable: true, configurable: true });
    }
    if (!sharedBuffersFrozen) {
      Object.defineProperty(nativeProto, "buffer", Object.getOwnPropertyDescriptor(Memory.prototype, "buffer"));
    }
    Object.defineProperty(W, "Memory", { ...saved.ctor, value: Installed });
    const unhook = hookInstantiate(W, hooks);

    const uninstall = () => {
      if (installed?.uninstall !== uninstall) return;
      unhook();
      Object.defineProperty(W, "Memory", saved.ctor);
      Object.defineProperty(nativeProto, "constructor", saved.protoCtor);
      Object.defineProperty(nativeProto, "grow", saved.grow);
      if (saved.type) Object.defineProperty(nativeProto, "type", saved.type);
      else delete nativeProto.type;
      Object.defineProperty(nativeProto, "buffer", saved.buffer);
      installed = null;
    };
    installed = { uninstall };
    return uninstall;
  }

  return { Memory, install, isInstalled: () => installed !== null };
}

// ---- instantiate hooks: memories that modules export are ledgered too ----

/** A BufferSource as a Uint8Array view (no copy), or undefined. @param {unknown} source */
function bytesOf(source) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return undefined;
}

/**
 * Wraps WebAssembly.compile, Module, instantiate, instantiateStreaming and Instance so that every
 * memory a module exports enters the ledger, with the type its bytes declare when we saw them.
 * Returns the function that restores them exactly.
 * @param {typeof WebAssembly} W
 * @param {{ adopt(memory: unknown, type: unknown): void, exportTypes(bytes: Uint8Array): unknown }} hooks
 */
function hookInstantiate(W, hooks) {
  const names = ["compile", "compileStreaming", "Module", "instantiate", "instantiateStreaming", "Instance"];
  const saved = Object.fromEntries(names.map((n) => [n, Object.getOwnPropertyDescriptor(W, n)]));
  const NativeModule = saved.Module.value;
  const NativeInstance = saved.Instance.value;
  /** @type {WeakMap<object, Map<string, any>>} module -> export name -> type tuple (null: a re-exported import) */
  const moduleTypes = new WeakMap();
  const remember = (module, source) => {
    const bytes = bytesOf(source);
    const pairs = bytes && module instanceof NativeModule ? hooks.exportTypes(bytes) : undefined;
    if (pairs) {
      const types = new Map();
      for (let i = 0; i < pairs.length; i += 2) types.set(pairs[i], pairs[i + 1]);
      moduleTypes.set(module, types);
    }
    return module;
  };
  const adoptExports = (instance, module) => {
    const exports = instance?.exports;
    if (!exports) return;
    const types = module ? moduleTypes.get(module) : undefined;
    // With the module's types we know which exports are memories; else look at every export.
    for (const key of types ? types.keys() : Object.keys(exports)) {
      const v = exports[key];
      if (v instanceof NativeMemory && idOf(v) < 0) adopt(v, types?.get(key));
    }
  };
  // With the module's declared type we take `shared` and the size from it and leave the buffer
  // alone (reading it would make the engine create it); the next size read corrects the size.
  // For a re-exported import (type[4] false) the declared minimum is only a bound: read the size.
  const adopt = (memory, type) => {
    const pages = type?.[4] ? type[1] : bufferGetter.call(memory).byteLength / 65536;
    const shared = type ? type[3] : typeof SharedArrayBuffer === "function" && bufferGetter.call(memory) instanceof SharedArrayBuffer;
    track(memory, hooks.adopt(pages, shared, type, Date.now()), type ? type[0] === 1 : false);
  };
  const replace = (name, value) => Object.defineProperty(W, name, { ...saved[name], value });
  // Method definitions: not constructible, with the engine's `name` and `length`.
  const wrapped = {
    compile(bytes) {
      return saved.compile.value.apply(this, arguments).then((module) => remember(module, bytes));
    },
    instantiate(source, importObject) {
      return saved.instantiate.value.apply(this, arguments).then((result) => {
        if (result instanceof NativeInstance) {
          adoptExports(result, source); // instantiate(module): the module was compiled before
        } else {
          remember(result.module, source);
          adoptExports(result.instance, result.module);
        }
        return result;
      });
    },
    instantiateStreaming(source, importObject) {
      const bytes = streamedBytes(source);
      return saved.instantiateStreaming.value.apply(this, arguments).then(async (result) => {
        remember(result.module, await bytes);
        adoptExports(result.instance, result.module);
        return result;
      });
    },
    compileStreaming(source) {
      const bytes = streamedBytes(source);
      return saved.compileStreaming.value.apply(this, arguments).then(async (module) => remember(module, await bytes));
    },
  };
  // The streaming APIs read the bytes themselves; a clone of the Response, taken before they
  // start reading it, gives us the same bytes to read the memory types from (undefined if the
  // source is not a readable Response: the engine then rejects, and we add nothing).
  const streamedBytes = (source) => {
    const copy = (r) => (typeof Response === "function" && r instanceof Response && !r.bodyUsed ? r.clone().arrayBuffer() : undefined);
    try {
      return typeof source?.then === "function" ? Promise.resolve(source).then(copy).catch(() => undefined) : Promise.resolve(copy(source)).catch(() => undefined);
    } catch {
      return Promise.resolve(undefined);
    }
  };
  replace("compile", wrapped.compile);
  replace("instantiate", wrapped.instantiate);
  if (saved.instantiateStreaming) replace("instantiateStreaming", wrapped.instantiateStreaming);
  if (saved.compileStreaming) replace("compileStreaming", wrapped.compileStreaming);

  // Like the installed Memory: functions whose `prototype` is the engine's own, so objects keep
  // their native prototype and `instanceof` holds both ways.
  const Module = function Module(bytes) {
    if (new.target === undefined) throw new TypeError("WebAssembly.Module: constructor cannot be called without 'new'");
    return remember(Reflect.construct(NativeModule, arguments, new.target), bytes);
  };
  const Instance = function Instance(module, importObject) {
    if (new.target === undefined) throw new TypeError("WebAssembly.Instance: constructor cannot be called without 'new'");
    const instance = Reflect.construct(NativeInstance, arguments, new.target);
    adoptExports(instance, module);
    return instance;
  };
  for (const [F, N] of [[Module, NativeModule], [Instance, NativeInstance]]) {
    Object.defineProperty(F, "prototype", { value: N.prototype, writable: false, enumerable: false, configurable: false });
    for (const k of Object.getOwnPropertyNames(N)) {
      if (!(k in F) || k === "length") Object.defineProperty(F, k, Object.getOwnPropertyDescriptor(N, k)); // statics: Module.exports/imports/customSections
    }
  }
  replace("Module", Module);
  replace("Instance", Instance);
  return () => {
    for (const [name, desc] of Object.entries(saved)) {
      if (desc) Object.defineProperty(W, name, desc);
    }
  };
}
