// The engine's own objects, captured at load before any install() can replace them (from the
// first copy of the package in this realm, if there is one: see natives.js), and the few places
// where an engine differs from the spec in a way only JS can fix.

import { rust, layout } from "./rust.js";
import {
  ArrayBufferPrototypeGetByteLength,
  BigInt,
  ObjectFreeze,
  ObjectIsFrozen,
  RangeErrorPrototype,
  String,
  StringPrototypeIncludes,
  apply,
  construct,
  getOwnPropertyDescriptor,
  isErrorOf,
} from "./primordials.js";
import { natives } from "./natives.js";

/** The engine's `WebAssembly.RuntimeError.prototype`, as it was at load. */
const RuntimeErrorPrototype = natives.RuntimeError.prototype;

export const NativeMemory = natives.Memory;
export const nativeProto = NativeMemory.prototype;
export const nativeGrow = nativeProto.grow;
export const bufferGetter = Object.getOwnPropertyDescriptor(nativeProto, "buffer").get;
export const moduleImports = natives.Module.imports;
export const moduleExports = natives.Module.exports;

/** Bytes per page: a wasm constant, here as a literal so the hot paths divide by a constant
 * (the core's `layout.pageBytes`; `createApi` checks that the two agree). */
export const PAGE = 65536;

/** A memory's `buffer` by the engine's getter (also the brand check), and its `grow`, called on a memory.
 * (`bufferOf` by `Reflect.apply`: SpiderMonkey calls this getter several times slower through
 * the bound `call` of `uncurryThis`, where V8 is about even. With a literal `[]`, which V8 turns
 * into a direct call; one shared frozen empty list is slower there.) */
export const bufferOf = (m) => apply(bufferGetter, m, []);
/** (By `Reflect.apply`, as `bufferOf`: SpiderMonkey calls through the bound `call` of `uncurryThis` slower.) */
export const growNative = (m, delta) => apply(nativeGrow, m, [delta]);
/** Current pages, read through the engine's `buffer` getter (also the brand check). @param {unknown} m */
export const pagesOf = (m) => ArrayBufferPrototypeGetByteLength(bufferOf(m)) / PAGE;

/**
 * Whether this engine has memory64 in its JS API: an engine may validate `(module (memory i64 0))`
 * while its constructor ignores `address` (some Node releases do), so both are asked.
 */
export function hasMemory64() {
  try {
    return (
      natives.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 4, 0])) &&
      typeof nativeGrow.call(new NativeMemory({ address: "i64", initial: 0n }), 0n) === "bigint"
    );
  } catch {
    return false;
  }
}

/** Whether the engine's own `type()` (if any) is the spec's: JavaScriptCore's has no `address`. */
export const nativeTypeIsSpec = (() => {
  try {
    return "address" in nativeProto.type.call(new NativeMemory({ initial: 0 }));
  } catch {
    return false;
  }
})();

// The spec freezes a shared memory's SharedArrayBuffer; Firefox does not. Only where the engine
// is wrong do we freeze (and wrap the `buffer` getter).
export const sharedBuffersFrozen = (() => {
  try {
    return Object.isFrozen(bufferGetter.call(new NativeMemory({ initial: 0, maximum: 0, shared: true })));
  } catch {
    return true; // no shared memories here: nothing to fix
  }
})();

/** @param {ArrayBuffer | SharedArrayBuffer} b */
export function freezeShared(b) {
  if (!sharedBuffersFrozen && isShared(b) && !ObjectIsFrozen(b)) ObjectFreeze(b);
  return b;
}

/** Whether `b` is a SharedArrayBuffer, by its intrinsic getter (no `instanceof`: no user code). */
const sabByteLength =
  typeof SharedArrayBuffer === "function" ? getOwnPropertyDescriptor(SharedArrayBuffer.prototype, "byteLength").get : undefined;
function isShared(b) {
  if (sabByteLength === undefined) return false;
  try {
    apply(sabByteLength, b, []);
    return true;
  } catch {
    return false;
  }
}

/** The `buffer` getter for engines that leave shared buffers unfrozen; its name is "get buffer". */
export const fixedBufferGetter = Object.getOwnPropertyDescriptor(
  {
    get buffer() {
      return freezeShared(bufferOf(this));
    },
  },
  "buffer",
).get;

/**
 * What the engine is asked to make, from values already read and converted (engines without
 * memory64 never get an i64 one: the core refuses it first, or the engine's BigInt conversion
 * does). Every member the engine may read is our own property (undefined counts as absent), and
 * the prototype chain holds nothing but a frozen empty object: the engine must never reach
 * `Object.prototype`, where an inherited getter for a member the caller's descriptor lacked
 * (`maximum`, `address`, JSC's `minimum`) already ran once. A constructor rather than a
 * `{ __proto__: null }` literal: V8 makes those dictionary objects, far slower to create.
 * @param {boolean} is64 @param {number | bigint} initial @param {number | bigint | undefined} maximum @param {boolean} shared
 */
export function EngineDescriptor(is64, initial, maximum, shared) {
  this.address = is64 ? "i64" : undefined;
  this.initial = initial;
  this.maximum = maximum;
  this.shared = shared;
}
EngineDescriptor.prototype = Object.freeze(Object.create(null));

/** V8's own limit on an i64 memory's pages (16 GiB), where the spec allows 2^37 - 1. */
const V8_I64_PAGES = 262144n;

/**
 * Reflect.construct(NativeMemory, [checked], newTarget). The descriptor is valid by then, so an
 * engine error is an allocation failure, which the spec makes a RangeError: Firefox throws a
 * WebAssembly.RuntimeError (or the string "out of memory") instead. Anything else (a Proxy
 * newTarget's trap) passes unchanged.
 * @param {object} checked @param {Function} newTarget
 */
export function makeNative(checked, newTarget) {
  try {
    return construct(NativeMemory, [checked], newTarget);
  } catch (e) {
    if (isErrorOf(e, RuntimeErrorPrototype) || e === "out of memory") throw rust.allocationFailed(String(e?.message ?? e));
    // V8 refuses an i64 maximum above its own page limit (262144) where the spec's tests allow
    // 2^37-1. It can never grow a memory past its limit anyway, so one made without the maximum
    // grows exactly as far; the ledger and type() keep the maximum asked for.
    const { address, initial, maximum, shared } = checked;
    // Only above V8's limit: below it a RangeError is the engine's real refusal (its address space
    // ran short), and making the memory without its maximum would let code inside wasm grow it
    // past that maximum, or past a hard budget's clamp.
    if (
      isErrorOf(e, RangeErrorPrototype) &&
      address === "i64" &&
      !shared &&
      maximum !== undefined &&
      maximum > V8_I64_PAGES &&
      maximum <= BigInt(layout.i64MaximumPages)
    )
      return makeNative(new EngineDescriptor(true, initial, undefined, shared), newTarget);
    throw e;
  }
}

/**
 * Whether the engine makes a memory's ArrayBuffer only when `buffer` is first read, as V8 does
 * from 14.6 (Chromium 146): there that first read costs more than `grow(0)`, which gives the
 * size without making it. Elsewhere the buffer exists already: reading it is the cheaper, and
 * `grow(0)` would replace it. No API tells, and either way the size is exact, only the cost
 * differs (docs/costs.md has the figures): so the V8 version decides, from `process.versions`
 * (Bun's names a V8 it doesn't run; there both cost the same) or a Chrome user agent.
 */
export const buffersMadeLazily = (() => {
  const v8 = /^(\d+)\.(\d+)/.exec(String(globalThis.process?.versions?.v8 ?? ""));
  if (v8) return Number(v8[1]) * 100 + Number(v8[2]) >= 1406;
  const chrome = /Chrome\/(\d+)/.exec(String(globalThis.navigator?.userAgent ?? ""));
  return chrome !== null && Number(chrome[1]) >= 146;
})();

/**
 * The engine family, by the reservation model's names (`layout.engines`; the core's
 * `Engine`): which of its measured profiles applies. Deno and Bun first (Deno's `process`
 * names its V8, which reserves differently there; Bun's runs JavaScriptCore), then Node's V8 by
 * version (13.6 made the guard region smaller), unless built with the V8 sandbox; then a
 * browser by its user agent. Anything else is "unknown": nothing is predicted.
 */
export function engineFamily() {
  try {
    if (globalThis.Deno !== undefined || globalThis.Bun !== undefined) return "unknown";
    const versions = globalThis.process?.versions;
    if (versions?.bun !== undefined) return "unknown";
    const v8 = /^(\d+)\.(\d+)/.exec(String(versions?.v8 ?? ""));
    if (v8) {
      // Built with the sandbox, or run without the trap handler (then V8 bounds-checks and
      // reserves no guard region): the profile doesn't apply.
      const p = globalThis.process;
      if (Number(p?.config?.variables?.v8_enable_sandbox ?? 0) !== 0) return "unknown";
      const flags = `${String(p?.execArgv ?? "")} ${String(p?.env?.NODE_OPTIONS ?? "")}`;
      if (/--(disable-wasm-trap-handler|no-wasm-trap-handler)\b/.test(flags)) return "unknown";
      return Number(v8[1]) * 100 + Number(v8[2]) >= 1306 ? "node-v8" : "node-v8-before-13.6";
    }
    const ua = String(globalThis.navigator?.userAgent ?? "");
    if (/Chrom(e|ium)\//.test(ua)) return "chromium"; // "HeadlessChrome/" too
    if (/\bFirefox\//.test(ua)) return "firefox";
    if (/\bAppleWebKit\//.test(ua)) return "webkit";
  } catch {
    // a getter on process or navigator threw: no profile
  }
  return "unknown";
}

/** Whether `e` is how this engine says an allocation failed. @param {unknown} e */
export const isAllocationFailure = (e) => isErrorOf(e, RangeErrorPrototype) || isErrorOf(e, RuntimeErrorPrototype) || e === "out of memory";

/**
 * Whether `e` is how this engine says it could not allocate a new instance's memory: V8's and
 * JavaScriptCore's `RangeError` whose message (an own data property) says "Out of memory", or
 * SpiderMonkey's string "out of memory". Narrower than `isAllocationFailure`: making an instance
 * also runs user code (import getters, the start function and what it calls), whose errors, a
 * stack overflow's `RangeError` or a trap's `RuntimeError`, are not the engine's refusal.
 * @param {unknown} e
 */
export function isInstanceAllocationFailure(e) {
  if (e === "out of memory") return true;
  if (!isErrorOf(e, RangeErrorPrototype)) return false;
  const d = getOwnPropertyDescriptor(e, "message");
  const message = d === undefined ? undefined : getOwnPropertyDescriptor(d, "value")?.value;
  return (
    typeof message === "string" && (StringPrototypeIncludes(message, "Out of memory") || StringPrototypeIncludes(message, "out of memory"))
  );
}
