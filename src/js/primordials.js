// Built-ins as they were when the package loaded ("primordials", as Node's own lib keeps them):
// a page that later replaces one (`Function.prototype.call`, `WeakMap.prototype.get`,
// `Promise.prototype.then`, `Uint8Array.prototype.set`, a getter, a global, a setter on
// `Array.prototype[0]`) neither breaks the package nor changes what it decides. Methods are
// called through the engine's own `call` bound at load (`uncurryThis(f)(self, ...args)`), never
// through a `.call` looked up at call time; getters are taken from their descriptors, so they
// brand-check as the engine does, in any realm.
//
// Names follow Node's: `<Owner>Prototype<Method>(self, ...args)` for an uncurried method,
// `<Owner><Accessor>(self)` for a getter, the global's own name for a constructor (importing it
// shadows the global in that module).

import { natives } from "./natives.js";

const { apply, construct, defineProperty, getOwnPropertyDescriptor, getPrototypeOf, setPrototypeOf } = Reflect;
const { bind, call } = Function.prototype;
/** `f` as a function of its receiver: `uncurryThis(Array.prototype.push)(array, x)`.
 * @type {<F extends Function>(f: F) => (self: unknown, ...args: any[]) => any} */
export const uncurryThis = bind.bind(call);

export { apply, construct, defineProperty, getOwnPropertyDescriptor, getPrototypeOf };
export const {
  defineProperty: ObjectDefineProperty,
  freeze: ObjectFreeze,
  isFrozen: ObjectIsFrozen,
  getOwnPropertyNames: ObjectGetOwnPropertyNames,
  keys: ObjectKeys,
} = Object;
export const ObjectPrototype = Object.prototype;
export const JSONParse = JSON.parse;
export const JSONStringify = JSON.stringify;
export const ArrayIsArray = Array.isArray;
export const DateNow = Date.now;
export const MathMax = Math.max;
export const MathRound = Math.round;
export const MathRandom = Math.random;

/**
 * The getter of `proto[key]` as a function of its receiver, or undefined where there is none
 * (a feature this engine lacks). Calling it on anything without the internal slot it reads is
 * the engine's own TypeError: a brand check that no Proxy trap, own property or subclass fools.
 * @param {object | undefined} proto @param {PropertyKey} key
 */
export function getter(proto, key) {
  const d = proto === undefined ? undefined : getOwnPropertyDescriptor(proto, key);
  const get = d === undefined ? undefined : d.get;
  return get === undefined ? undefined : uncurryThis(get);
}

// Constructors, under their global names (a module-scope binding: replacing the global later
// changes nothing here).
export const Number = globalThis.Number;
export const String = globalThis.String;
export const BigInt = globalThis.BigInt;
export const TypeError = globalThis.TypeError;
export const RangeError = globalThis.RangeError;
/** Whether `e` is an error the engine made with the prototype `proto` (say `TypeError.prototype`
 * as it was at load): for the engine's own errors, what `instanceof` says, without the
 * `Symbol.hasInstance` a page may have defined on the constructor since.
 * @param {unknown} e @param {object} proto */
export const isErrorOf = (e, proto) => typeof e === "object" && e !== null && getPrototypeOf(e) === proto;
export const TypeErrorPrototype = TypeError.prototype;
export const RangeErrorPrototype = RangeError.prototype;
export const Error = globalThis.Error;
export const ArrayBuffer = globalThis.ArrayBuffer;
/** Missing where the engine has no `SharedArrayBuffer` global (WebKit without cross-origin isolation). */
export const SharedArrayBuffer = globalThis.SharedArrayBuffer;
export const Uint8Array = globalThis.Uint8Array;
export const Uint32Array = globalThis.Uint32Array;
export const Float64Array = globalThis.Float64Array;
export const DataView = globalThis.DataView;
export const Map = globalThis.Map;
export const WeakMap = globalThis.WeakMap;
export const WeakRef = globalThis.WeakRef;
export const FinalizationRegistry = globalThis.FinalizationRegistry;
const Promise = globalThis.Promise;

export const ArrayPrototypePush = uncurryThis(Array.prototype.push);
export const ArrayPrototypeSlice = uncurryThis(Array.prototype.slice);
export const ArrayPrototypeSort = uncurryThis(Array.prototype.sort);
export const ArrayPrototypeIndexOf = uncurryThis(Array.prototype.indexOf);
export const StringPrototypeSlice = uncurryThis(String.prototype.slice);
export const StringPrototypeIndexOf = uncurryThis(String.prototype.indexOf);
export const StringPrototypeIncludes = uncurryThis(String.prototype.includes);
export const StringPrototypeStartsWith = uncurryThis(String.prototype.startsWith);
export const StringPrototypeTrim = uncurryThis(String.prototype.trim);
export const StringPrototypeCharCodeAt = uncurryThis(String.prototype.charCodeAt);
export const StringPrototypeTrimEnd = uncurryThis(String.prototype.trimEnd);
export const StringPrototypePadStart = uncurryThis(String.prototype.padStart);
export const StringPrototypePadEnd = uncurryThis(String.prototype.padEnd);
export const MapPrototypeGet = uncurryThis(Map.prototype.get);
export const MapPrototypeSet = uncurryThis(Map.prototype.set);
export const MapPrototypeDelete = uncurryThis(Map.prototype.delete);
export const WeakMapPrototypeGet = uncurryThis(WeakMap.prototype.get);
export const WeakMapPrototypeSet = uncurryThis(WeakMap.prototype.set);
/**
 * A WeakRef whose `deref` is the one captured at load, called as a method: `ref.deref()` finds it
 * on this class's own frozen prototype, which no user code can reach (the polyfill never hands a
 * ref out), so a replaced `WeakRef.prototype.deref` is never called. A plain method call costs
 * less than one by `Reflect.apply` or a bound `call` in JavaScriptCore and SpiderMonkey (the
 * same in V8), on a path that derefs every memory (`snapshot()`, budgets, share()).
 */
export class OwnWeakRef extends WeakRef {
  /** @param {object} target */
  // biome-ignore lint/complexity/noUselessConstructor: a default one spread its arguments through Array.prototype[Symbol.iterator] before ES2022, which a page may replace
  constructor(target) {
    super(target);
  }
}
defineProperty(OwnWeakRef.prototype, "deref", { value: WeakRef.prototype.deref });
Object.freeze(OwnWeakRef.prototype);
export const MapPrototypeForEach = uncurryThis(Map.prototype.forEach);
export const FinalizationRegistryPrototypeRegister = uncurryThis(FinalizationRegistry.prototype.register);

export const ArrayBufferByteLength = getter(ArrayBuffer.prototype, "byteLength");
/** undefined where ArrayBuffers can't be resizable. */
export const ArrayBufferResizable = getter(ArrayBuffer.prototype, "resizable");
export const SharedArrayBufferByteLength = getter(SharedArrayBuffer?.prototype, "byteLength");
export const SharedArrayBufferGrowable = getter(SharedArrayBuffer?.prototype, "growable");

const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
export const TypedArrayBuffer = getter(TypedArrayPrototype, "buffer");
export const TypedArrayByteOffset = getter(TypedArrayPrototype, "byteOffset");
export const TypedArrayByteLength = getter(TypedArrayPrototype, "byteLength");
export const TypedArrayLength = getter(TypedArrayPrototype, "length");
/** `%TypedArray%.prototype.set`: with a typed array as the source, a copy that runs no user code. */
export const TypedArrayPrototypeSet = uncurryThis(TypedArrayPrototype.set);

export const DataViewBuffer = getter(DataView.prototype, "buffer");
export const DataViewByteOffset = getter(DataView.prototype, "byteOffset");
export const DataViewByteLength = getter(DataView.prototype, "byteLength");
// The DataView accessors wasm-bindgen's glue calls (scripts/bundle.mjs rewrites its calls to these).
export const DataViewPrototypeSetInt32 = uncurryThis(DataView.prototype.setInt32);
export const DataViewPrototypeSetFloat64 = uncurryThis(DataView.prototype.setFloat64);
export const DataViewPrototypeSetBigInt64 = uncurryThis(DataView.prototype.setBigInt64);

export const NumberPrototypeToString = uncurryThis(Number.prototype.toString);
export const NumberPrototypeToFixed = uncurryThis(Number.prototype.toFixed);
export const BigIntPrototypeToString = uncurryThis(BigInt.prototype.toString);
export const BigIntAsUintN = BigInt.asUintN;
/** `x.toString(radix)` of a Number or a BigInt (the glue's `Number::to_string_with_radix`, `BigInt::to_string`). */
export const toStringRadix = (x, radix) => (typeof x === "bigint" ? BigIntPrototypeToString(x, radix) : NumberPrototypeToString(x, radix));

/** A shared memory's buffer's `byteLength` getter: SharedArrayBuffer's, or, where there is no such
 * global (WebKit), taken from a shared memory's buffer; undefined without shared memories. */
const sharedMemoryByteLength =
  SharedArrayBufferByteLength ??
  (() => {
    try {
      return getter(getPrototypeOf(new natives.Memory({ initial: 0, maximum: 0, shared: true }).buffer), "byteLength");
    } catch {
      return undefined;
    }
  })();

/** A memory's buffer's `byteLength` by the intrinsic getters: an ArrayBuffer's, else a
 * SharedArrayBuffer's. @param {ArrayBuffer | SharedArrayBuffer} b */
export function ArrayBufferPrototypeGetByteLength(b) {
  try {
    return ArrayBufferByteLength(b);
  } catch (e) {
    // Not an ArrayBuffer (a TypeError): a SharedArrayBuffer? Anything else (a stack overflow) stands.
    if (sharedMemoryByteLength === undefined || !isErrorOf(e, TypeErrorPrototype)) throw e;
    return sharedMemoryByteLength(b);
  }
}

const nativeThen = Promise.prototype.then;
export const PromisePrototypeThen = (promise, onFulfilled, onRejected) => apply(nativeThen, promise, [onFulfilled, onRejected]);

export const TextDecoder = globalThis.TextDecoder;
/** A UTF-8 decoder that keeps a leading U+FEFF (as wasm-bindgen's glue makes its own). */
export const newUtf8Decoder = () => new TextDecoder("utf-8", { __proto__: null, ignoreBOM: true });
const decoder = newUtf8Decoder();
const decode = TextDecoder.prototype.decode;
export const TextDecoderPrototypeDecode = uncurryThis(decode);
const encoder = new globalThis.TextEncoder();
const encodeInto = globalThis.TextEncoder.prototype.encodeInto;
/** UTF-8 bytes (a Uint8Array) as a string. */
export const decodeUtf8 = (bytes) => apply(decode, decoder, [bytes]);
/** Writes `s` as UTF-8 into `bytes` (a Uint8Array, 3 bytes per UTF-16 unit suffice); returns the bytes written. */
export const encodeUtf8Into = (s, bytes) => apply(encodeInto, encoder, [s, bytes]).written;

// The engine's own (the first copy's natives where another copy of the package started first).
export const WebAssemblyValidate = natives.validate;
export const WebAssemblyMemoryBuffer = getter(natives.Memory.prototype, "buffer");
export const WebAssemblyTablePrototypeGet = uncurryThis(natives.Table.prototype.get);
export const WebAssemblyTablePrototypeSet = uncurryThis(natives.Table.prototype.set);

/**
 * A fresh array with no prototype: reading, writing and `ArrayPrototypePush` on it never reach
 * a setter a page put on `Array.prototype` or `Object.prototype`. For the package's own lists.
 */
export const list = () => {
  const a = [];
  setPrototypeOf(a, null);
  return a;
};

/**
 * A plain array (of this realm's `Array.prototype`) with `f(i)` at each index `i < n`: filled
 * while it has no prototype (so no setter on `Array.prototype` runs), then given its prototype.
 * (Much faster than `Array.from`, which also runs no setter, in V8.)
 * @template T @param {number} n @param {(i: number) => T} f @returns {T[]}
 */
export const arrayOf = (n, f) => {
  const a = list();
  for (let i = 0; i < n; i++) a[i] = f(i);
  setPrototypeOf(a, Array.prototype);
  return a;
};

/** A list of ours (`list()`) handed out as a plain array of this realm: no setter ran while it was filled. */
export const listToArray = (a) => (setPrototypeOf(a, Array.prototype), a);

/** `setInterval`, `clearInterval` and `queueMicrotask` as the realm had them at load (called on the global object). */
const timers = { setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval, queueMicrotask: globalThis.queueMicrotask };
export const setInterval = (f, ms) => apply(timers.setInterval, globalThis, [f, ms]);
export const clearInterval = (t) => apply(timers.clearInterval, globalThis, [t]);
export const queueMicrotask = (f) => apply(timers.queueMicrotask, globalThis, [f]);

/** The setter of `key` on `proto` or the first prototype above it that has one, as a function of its receiver. */
export function setterOf(proto, key) {
  for (let p = proto; p !== null && p !== undefined; p = getPrototypeOf(p)) {
    const d = getOwnPropertyDescriptor(p, key);
    if (d !== undefined) return d.set === undefined ? undefined : uncurryThis(d.set);
  }
  return undefined;
}

/**
 * Members of a global class the platform may load lazily: `pick(C)` runs on the class once, at
 * load, or, where the global is an accessor (Node defines `Response`, `Headers`,
 * `ReadableStream` so, and the first read loads undici, a slow start), on the first call. Returns a
 * function that gives what `pick` returned (undefined when there is no such global).
 * @template T @param {string} name @param {(C: Function) => T} pick @returns {() => T | undefined}
 */
export function lazyClass(name, pick) {
  let done = false,
    value;
  const get = () => {
    if (!done) {
      done = true;
      const C = globalThis[name];
      value = typeof C === "function" ? pick(C) : undefined;
    }
    return value;
  };
  const d = getOwnPropertyDescriptor(globalThis, name);
  if (d === undefined || !("get" in d)) get();
  return get;
}

// ledger.share()'s (realms.js): the channel, its messages' data, a random id, Deno's timers.
/** `BroadcastChannel` and the members of it that realms.js calls. */
export const channelApi = lazyClass("BroadcastChannel", (C) => {
  const P = C.prototype,
    unref = P.unref;
  return {
    C,
    post: uncurryThis(P.postMessage),
    close: uncurryThis(P.close),
    onmessage: setterOf(P, "onmessage"),
    unref: typeof unref === "function" ? uncurryThis(unref) : undefined,
  };
});
/** `MessageEvent.prototype.data`'s getter. */
export const messageData = lazyClass("MessageEvent", (C) => getter(C.prototype, "data"));
/** `crypto` and its `randomUUID`: at load, or where `crypto` is an accessor (Node loads it lazily), on first use. */
const cryptoApi = (() => {
  let done = false,
    value;
  const get = () => {
    if (!done) {
      done = true;
      const c = globalThis.crypto,
        f = typeof c === "object" && c !== null ? c.randomUUID : undefined;
      value = typeof f === "function" ? { c, f } : undefined;
    }
    return value;
  };
  const d = getOwnPropertyDescriptor(globalThis, "crypto");
  if (d === undefined || !("get" in d)) get();
  return get;
})();
/** `crypto.randomUUID()`, or undefined where there is none. */
export const randomUUID = () => {
  const api = cryptoApi();
  return api === undefined ? undefined : apply(api.f, api.c, []);
};
const DenoUnrefTimer = globalThis.Deno?.unrefTimer;
export const unrefTimer = typeof DenoUnrefTimer === "function" ? (t) => apply(DenoUnrefTimer, globalThis.Deno, [t]) : undefined;
