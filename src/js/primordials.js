// The built-ins the package calls, captured when it loads (as Node's own lib does), so that a
// page which later replaces or breaks one (`Function.prototype.call`, `WeakMap.prototype.get`,
// a setter on `Array.prototype[0]`…) neither breaks the package nor gets past a budget.
// `uncurryThis(f)(self, ...args)` calls `f` with the engine's own `call`, not the realm's.

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
export const TypeErrorCtor = TypeError;
export const RangeErrorCtor = RangeError;
export const ErrorCtor = Error;
export const ArrayBufferCtor = ArrayBuffer;
export const Float64ArrayCtor = Float64Array;
export const WeakRefCtor = WeakRef;
export const FinalizationRegistryCtor = FinalizationRegistry;
export const WeakMapCtor = WeakMap;
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
export const WeakMapPrototypeGet = uncurryThis(WeakMap.prototype.get);
export const WeakMapPrototypeSet = uncurryThis(WeakMap.prototype.set);
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
const typedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
export const TypedArrayPrototypeSubarray = uncurryThis(typedArrayPrototype.subarray);
export const TypedArrayPrototypeGetLength = uncurryThis(getOwnPropertyDescriptor(typedArrayPrototype, "length").get);
const arrayBufferByteLength = uncurryThis(getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength").get);
const sharedByteLength = (() => {
  try {
    // From a shared memory's buffer: WebKit has no SharedArrayBuffer global, only such buffers.
    const proto = typeof SharedArrayBuffer === "function" ? SharedArrayBuffer.prototype : getPrototypeOf(new WebAssembly.Memory({ initial: 0, maximum: 0, shared: true }).buffer);
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
    // Not an ArrayBuffer (a TypeError): a SharedArrayBuffer? Anything else (a stack overflow) stands.
    if (sharedByteLength === undefined || !(e instanceof TypeError)) throw e;
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
