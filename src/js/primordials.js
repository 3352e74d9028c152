// Built-ins as they were when the package loaded ("primordials", as Node's own lib keeps them):
// a page that later replaces one (`Function.prototype.call`, `globalThis.WeakMap.prototype.get`,
// `globalThis.Promise.prototype.then`, `globalThis.Uint8Array.prototype.set`, a getter, a global, a setter on
// `Array.prototype[0]`) neither breaks the package nor changes what it decides. Methods are
// called through the engine's own `call` bound at load (`uncurryThis(f)(self, ...args)`), never
// through a `.call` looked up at call time; getters are taken from their descriptors, so they
// brand-check as the engine does, in any realm.
//
// Names follow Node's: `<Owner>Prototype<Method>(self, ...args)` for an uncurried method,
// `<Owner><Accessor>(self)` for a getter, the global's own name (or `<Name>Ctor`) for a constructor.

import { natives } from "./natives.js";

const { apply, construct, defineProperty, getOwnPropertyDescriptor, getPrototypeOf, ownKeys, setPrototypeOf } = Reflect;
const ArrayPrototype = Array.prototype;
const { bind, call } = Function.prototype;
/** @type {<F extends Function>(f: F) => (self: unknown, ...args: any[]) => any} */
export const uncurryThis = bind.bind(call);

export { apply, construct, defineProperty, getOwnPropertyDescriptor, getPrototypeOf, ownKeys };
export const { create: ObjectCreate, freeze: ObjectFreeze, isFrozen: ObjectIsFrozen, isExtensible: ObjectIsExtensible, getOwnPropertyNames: ObjectGetOwnPropertyNames } = Object;
export const JSONParse = JSON.parse;
export const ObjectPrototype = Object.prototype;
export const DateNow = Date.now;
export const MathMax = Math.max;
export const ArrayFrom = Array.from;
export const ArrayIsArray = Array.isArray;
export const NumberCtor = Number;
export const BigIntCtor = BigInt;
export const StringCtor = String;
export const TypeErrorCtor = globalThis.TypeError;
export const RangeErrorCtor = RangeError;
export const ErrorCtor = Error;
export const ArrayBufferCtor = globalThis.ArrayBuffer;
export const Float64ArrayCtor = globalThis.Float64Array;
export const WeakRefCtor = WeakRef;
export const FinalizationRegistryCtor = FinalizationRegistry;
export const WeakMapCtor = globalThis.WeakMap;
export const MapCtor = Map;
export const SetCtor = Set;

export const ArrayPrototypePush = uncurryThis(Array.prototype.push);
export const ArrayPrototypePop = uncurryThis(Array.prototype.pop);
export const ArrayPrototypeIncludes = uncurryThis(Array.prototype.includes);
export const ArrayPrototypeIndexOf = uncurryThis(Array.prototype.indexOf);
export const ArrayPrototypeSlice = uncurryThis(Array.prototype.slice);
export const ArrayPrototypeJoin = uncurryThis(Array.prototype.join);
export const ArrayPrototypeSort = uncurryThis(Array.prototype.sort);
export const StringPrototypeCharCodeAt = uncurryThis(String.prototype.charCodeAt);
export const StringPrototypeTrimEnd = uncurryThis(String.prototype.trimEnd);
export const StringPrototypeSlice = uncurryThis(String.prototype.slice);
export const StringPrototypeSplit = uncurryThis(String.prototype.split);
export const StringPrototypeIncludes = uncurryThis(String.prototype.includes);
export const StringPrototypeTrim = uncurryThis(String.prototype.trim);
export const StringPrototypePadStart = uncurryThis(String.prototype.padStart);
export const StringPrototypePadEnd = uncurryThis(String.prototype.padEnd);
export const StringPrototypeReplace = uncurryThis(String.prototype.replace);
export const RegExpPrototypeTest = uncurryThis(RegExp.prototype.test);
export const WeakMapPrototypeGet = uncurryThis(globalThis.WeakMap.prototype.get);
export const WeakMapPrototypeSet = uncurryThis(globalThis.WeakMap.prototype.set);
export const WeakRefPrototypeDeref = uncurryThis(WeakRef.prototype.deref);
export const FinalizationRegistryPrototypeRegister = uncurryThis(FinalizationRegistry.prototype.register);
export const MapPrototypeGet = uncurryThis(Map.prototype.get);
export const MapPrototypeSet = uncurryThis(Map.prototype.set);
export const MapPrototypeDelete = uncurryThis(Map.prototype.delete);
export const MapPrototypeHas = uncurryThis(Map.prototype.has);
export const SetPrototypeAdd = uncurryThis(Set.prototype.add);
export const SetPrototypeDelete = uncurryThis(Set.prototype.delete);
export const SetPrototypeValues = uncurryThis(Set.prototype.values);
const setSize = getOwnPropertyDescriptor(Set.prototype, "size").get;
export const SetPrototypeGetSize = uncurryThis(setSize);
const typedArrayPrototype = getPrototypeOf(globalThis.Uint8Array.prototype);
export const TypedArrayPrototypeSubarray = uncurryThis(typedArrayPrototype.subarray);
export const TypedArrayPrototypeGetLength = uncurryThis(getOwnPropertyDescriptor(typedArrayPrototype, "length").get);
const arrayBufferByteLength = uncurryThis(getOwnPropertyDescriptor(globalThis.ArrayBuffer.prototype, "byteLength").get);
const sharedByteLength = (() => {
  try {
    // From a shared memory's buffer: WebKit has no SharedArrayBuffer global, only such buffers.
    const proto = typeof globalThis.SharedArrayBuffer === "function" ? globalThis.SharedArrayBuffer.prototype : getPrototypeOf(new natives.Memory({ initial: 0, maximum: 0, shared: true }).buffer);
    return uncurryThis(getOwnPropertyDescriptor(proto, "byteLength").get);
  } catch {
    return undefined; // no shared memories here
  }
})();
/** A memory's buffer's `byteLength` by the intrinsic getters: an ArrayBuffer's, else a
 * SharedArrayBuffer's. @param {ArrayBuffer | SharedArrayBuffer} b */
export function ArrayBufferPrototypeGetByteLength(b) {
  try {
    return arrayBufferByteLength(b);
  } catch (e) {
    // Not an ArrayBuffer (a globalThis.TypeError): a SharedArrayBuffer? Anything else (a stack overflow) stands.
    if (sharedByteLength === undefined || !(e instanceof TypeErrorCtor)) throw e;
    return sharedByteLength(b);
  }
}
const iteratorNext = getPrototypeOf([][Symbol.iterator]()).next;
export const ArrayIteratorPrototypeNext = uncurryThis(iteratorNext);

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
 * (5x faster than `Array.from`, which also runs no setter, in V8.)
 * @template T @param {number} n @param {(i: number) => T} f @returns {T[]}
 */
export const arrayOf = (n, f) => {
  const a = list();
  for (let i = 0; i < n; i++) a[i] = f(i);
  setPrototypeOf(a, ArrayPrototype);
  return a;
};

/** A descriptor object with no prototype (so `Object.prototype.get` can't make it an accessor). @param {PropertyDescriptor} d */
export const descriptor = (d) => ({ __proto__: null, ...d });

// ---- for the compile hooks (module-bytes.js, instantiate.js) ----

export const ReflectApply = apply;
export const ReflectConstruct = construct;
export const ObjectDefineProperty = Object.defineProperty;
export const ObjectGetOwnPropertyDescriptor = getOwnPropertyDescriptor;
export const ObjectGetPrototypeOf = getPrototypeOf;
export const ObjectKeys = Object.keys;

/** `f` as a function of its receiver: `uncurry(Array.prototype.push)(array, x)`. */
export const uncurry = uncurryThis;

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

/**
 * A property descriptor for `ObjectDefineProperty` with no prototype, so that no `get`, `set` or
 * `value` a page put on `Object.prototype` is read as part of it.
 */
export const dataProperty = (value) => ({ __proto__: null, value, writable: true, enumerable: true, configurable: true });

// Constructors, under their global names (a module-scope binding: replacing the global later
// changes nothing here).
export const ArrayBuffer = globalThis.ArrayBuffer;
export const Uint8Array = globalThis.Uint8Array;
export const Float64Array = globalThis.Float64Array;
export const DataView = globalThis.DataView;
export const TypeError = globalThis.TypeError;
/** Missing where the engine has no `SharedArrayBuffer` global (WebKit without cross-origin isolation). */
export const SharedArrayBuffer = globalThis.SharedArrayBuffer;
export const WeakMap = globalThis.WeakMap;
export const Promise = globalThis.Promise;

export const ArrayBufferByteLength = getter(ArrayBuffer.prototype, "byteLength");
/** undefined where ArrayBuffers can't be resizable. */
export const ArrayBufferResizable = getter(ArrayBuffer.prototype, "resizable");
export const SharedArrayBufferByteLength = getter(SharedArrayBuffer?.prototype, "byteLength");
export const SharedArrayBufferGrowable = getter(SharedArrayBuffer?.prototype, "growable");

export const TypedArrayBuffer = getter(typedArrayPrototype, "buffer");
export const TypedArrayByteOffset = getter(typedArrayPrototype, "byteOffset");
export const TypedArrayByteLength = getter(typedArrayPrototype, "byteLength");
/** `%TypedArray%.prototype.set`: with a typed array as the source, a copy that runs no user code. */
export const TypedArrayPrototypeSet = uncurryThis(typedArrayPrototype.set);

export const DataViewBuffer = getter(DataView.prototype, "buffer");
export const DataViewByteOffset = getter(DataView.prototype, "byteOffset");
export const DataViewByteLength = getter(DataView.prototype, "byteLength");

const nativeThen = Promise.prototype.then;
const nativeResolve = Promise.resolve;
export const PromisePrototypeThen = (promise, onFulfilled, onRejected) => apply(nativeThen, promise, [onFulfilled, onRejected]);
/** `Promise.resolve(v)` with the Promise of this realm. */
export const PromiseResolve = (v) => apply(nativeResolve, Promise, [v]);

const decoder = new globalThis.TextDecoder();
const decode = globalThis.TextDecoder.prototype.decode;
const encoder = new globalThis.TextEncoder();
const encodeInto = globalThis.TextEncoder.prototype.encodeInto;
/** UTF-8 bytes (a Uint8Array) as a string. */
export const decodeUtf8 = (bytes) => apply(decode, decoder, [bytes]);
/** Writes `s` as UTF-8 into `bytes` (a Uint8Array, 3 bytes per UTF-16 unit suffice); returns the bytes written. */
export const encodeUtf8Into = (s, bytes) => apply(encodeInto, encoder, [s, bytes]).written;

// The engine's own (the first copy's natives where another copy of the package started first).
export const WebAssemblyValidate = natives.validate;
export const WebAssemblyModule = natives.Module;
export const WebAssemblyMemoryBuffer = getter(natives.Memory.prototype, "buffer");

/**
 * Members of a global class the platform may load lazily: `pick(C)` runs on the class once, at
 * load, or, where the global is an accessor (Node defines `Response`, `Headers`,
 * `ReadableStream` so, and the first read loads undici, ~40 ms), on the first call. Returns a
 * function that gives what `pick` returned (undefined when there is no such global).
 * @template T @param {string} name @param {(C: Function) => T} pick @returns {() => T | undefined}
 */
export function lazyClass(name, pick) {
  let done = false, value;
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
