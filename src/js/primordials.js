// Built-ins as they were when the package loaded ("primordials", as Node's own lib keeps them):
// a page that later replaces one (`Promise.prototype.then`, `Uint8Array.prototype.set`, a
// getter, a global) neither breaks the package nor changes what it decides. Methods are called
// through `apply` (Reflect.apply, captured here), never through a `.call` looked up at call time;
// getters are taken from their descriptors, so they brand-check as the engine does, in any realm.
//
// Names follow Node's: `<Owner>Prototype<Method>(self, ...args)` for an uncurried method,
// `<Owner><Accessor>(self)` for a getter, the global's own name for a constructor.

const R = Reflect;
const apply = R.apply;
export const ReflectApply = apply;
export const ReflectConstruct = R.construct;
export const ObjectDefineProperty = Object.defineProperty;
export const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
export const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
export const ObjectGetPrototypeOf = Object.getPrototypeOf;
export const ObjectKeys = Object.keys;

/** `f` as a function of its receiver: `uncurry(Array.prototype.push)(array, x)`. */
export const uncurry = (f) => (self, ...args) => apply(f, self, args);

/**
 * The getter of `proto[key]` as a function of its receiver, or undefined where there is none
 * (a feature this engine lacks). Calling it on anything without the internal slot it reads is
 * the engine's own TypeError: a brand check that no Proxy trap, own property or subclass fools.
 * @param {object | undefined} proto @param {PropertyKey} key
 */
export function getter(proto, key) {
  const d = proto === undefined ? undefined : ObjectGetOwnPropertyDescriptor(proto, key);
  const get = d === undefined ? undefined : d.get;
  return get === undefined ? undefined : (self) => apply(get, self, []);
}

/**
 * A property descriptor for `ObjectDefineProperty` with no prototype, so that no `get`, `set` or
 * `value` a page put on `Object.prototype` is read as part of it.
 */
export const dataProperty = (value) => ({ __proto__: null, value, writable: true, enumerable: true, configurable: true });

/**
 * A fresh array of `n` elements `f(0) ... f(n - 1)`, defined (not assigned: no setter a page put
 * on `Array.prototype` or `Object.prototype` runs, or sees them). One or two elements (the
 * common case) are an array literal, which defines them too and costs far less.
 */
export function arrayOf(n, f) {
  if (n === 0) return [];
  if (n === 1) return [f(0)];
  if (n === 2) return [f(0), f(1)];
  const a = [], d = dataProperty(undefined);
  for (let i = 0; i < n; i++) {
    d.value = f(i);
    ObjectDefineProperty(a, i, d);
  }
  return a;
}

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

const TypedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
export const TypedArrayBuffer = getter(TypedArrayPrototype, "buffer");
export const TypedArrayByteOffset = getter(TypedArrayPrototype, "byteOffset");
export const TypedArrayByteLength = getter(TypedArrayPrototype, "byteLength");
/** `%TypedArray%.prototype.set`: with a typed array as the source, a copy that runs no user code. */
export const TypedArrayPrototypeSet = uncurry(TypedArrayPrototype.set);

export const DataViewBuffer = getter(DataView.prototype, "buffer");
export const DataViewByteOffset = getter(DataView.prototype, "byteOffset");
export const DataViewByteLength = getter(DataView.prototype, "byteLength");

export const StringPrototypeSlice = uncurry(String.prototype.slice);

export const WeakMapPrototypeGet = uncurry(WeakMap.prototype.get);
export const WeakMapPrototypeSet = uncurry(WeakMap.prototype.set);

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

const WebAssemblyNS = globalThis.WebAssembly;
export const WebAssemblyValidate = WebAssemblyNS.validate;
export const WebAssemblyModule = WebAssemblyNS.Module;
export const WebAssemblyMemoryBuffer = getter(WebAssemblyNS.Memory.prototype, "buffer");

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
  const d = ObjectGetOwnPropertyDescriptor(globalThis, name);
  if (d === undefined || !("get" in d)) get();
  return get;
}
