// `new Memory(descriptor)`, `grow` and `type()` for every constructor we expose: the ponyfill
// `Memory`, its subclasses and the installed global.

import { rust, layout } from "./rust.js";
import { toBigInt, toNumber, toStr } from "./conversions.js";
import { bufferGetter, fixedBufferGetter, freezeShared, isAllocationFailure, makeNative, nativeGrow, nativeProto, pagesOf, sharedBuffersFrozen } from "./engine.js";
import { IS64, SHARED, entryId, entryOf, idOf, readSizes, releaseNursery, track } from "./tracking.js";
import { deliver } from "./events.js";

/** Set by the ledger: whether a budget is in force (requests are then checked with fresh sizes). */
export const state = { budgeted: false, hard: false, captureStacks: false };

/** `AddressValueToU64` of `v` for a field: ToNumber + [EnforceRange] for i32, ToBigInt + u64 for i64. */
function addressValue(v, is64, field) {
  if (is64) {
    const b = toBigInt(v);
    rust.checkU64(field, b);
    return b;
  }
  const x = toNumber(v);
  // [EnforceRange] unsigned long is the identity on integers in [0, 2^32); only other values need the core.
  return x >>> 0 === x ? x : rust.enforceU32(field, x);
}

/**
 * The WebIDL dictionary is read in the spec's order, each member once and converted as it is
 * read (as every engine and the spec's own tests do): `address` (ToString), `initial`
 * (required), `maximum`, `shared` (ToBoolean). Then the core checks everything, the engine makes
 * the memory, and the core records it.
 * @param {unknown} descriptor @param {unknown} options @param {Function} newTarget
 */
export function construct(descriptor, options, newTarget) {
  if (typeof descriptor !== "object" && typeof descriptor !== "function" && descriptor !== undefined) throw rust.notObject(descriptor);
  const d = descriptor ?? {}; // undefined and null are an empty dictionary
  const address = d.address;
  const is64 = address !== undefined && rust.addressIs64(toStr(address));
  const rawInitial = d.initial;
  if (rawInitial === undefined) throw rust.missingInitial();
  const initial = addressValue(rawInitial, is64, layout.fields.initial);
  const rawMaximum = d.maximum;
  const maximum = rawMaximum === undefined ? undefined : addressValue(rawMaximum, is64, layout.fields.maximum);
  const shared = !!d.shared;
  if (!is64 && options === undefined && !state.budgeted && !state.captureStacks && (newTarget === Memory || newTarget === constructors.installed)) {
    const memory = constructPlain(initial, maximum, shared, newTarget);
    if (memory !== undefined) return memory;
    // The engine refused: the full path below gives the spec's error (or retries an allocation).
  }
  const label = typeof options === "object" && options !== null ? options.label : undefined;
  let effective;
  try {
    effective = rust.planCreate(is64, initial, maximum, shared, options, label, state.budgeted ? readSizes() : undefined);
  } finally {
    deliver(); // a budget the request passed, or that refused it
  }
  const checked = { initial, shared };
  if (effective !== undefined) checked.maximum = effective;
  if (is64) checked.address = "i64"; // engines without memory64 never get here: the core refused
  let memory;
  try {
    memory = makeNative(checked, newTarget);
  } catch (e) {
    // Out of address space with this task's new memories held: let go of them and try once more.
    if (!isAllocationFailure(e) || !releaseNursery()) throw e;
    memory = makeNative(checked, newTarget);
  }
  if (shared) sharedSeen(memory);
  const stack = state.captureStacks ? callerLine() : undefined;
  track(memory, rust.commitCreate(is64, initial, maximum, effective, shared, label, Date.now(), stack), is64, shared);
  deliver();
  return memory;
}

/** Our own constructors, whose `prototype` the engine reads without running user code. */
export const constructors = { installed: null };

/**
 * The common case (i32, no options, no budget, no stacks, our own constructor): the engine makes
 * the memory first and the core checks and records it in one crossing, numbers only. Returns
 * undefined when the engine refuses (the caller then takes the full path, which throws the
 * spec's error): asking the engine first is unobservable here, since `newTarget` is ours.
 * @param {number} initial @param {number | undefined} maximum @param {boolean} shared @param {Function} newTarget
 */
function constructPlain(initial, maximum, shared, newTarget) {
  let memory;
  try {
    memory = makeNative(maximum === undefined ? { initial, shared } : { initial, maximum, shared }, newTarget);
  } catch {
    return undefined;
  }
  const id = rust.createPlain(initial, maximum === undefined ? -1 : maximum, shared, Date.now()); // throws where the engine was laxer than the spec
  if (shared) sharedSeen(memory);
  track(memory, id, false, shared);
  deliver();
  return memory;
}

/** Frames from this directory are the package's own. */
const packageDir = new URL(".", import.meta.url).href;

/** The first stack frame outside this package, for "where it was made". */
function callerLine() {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64; // enough to get past the glue frames between the user and here
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const ours = (l) => l.includes(packageDir) || /wasm-function|wasm:\/\/|^at new Memory|^Memory@/.test(l);
  return stack.split("\n").slice(1).map((l) => l.trim()).find((l) => l && !ours(l)) ?? "";
}

// Method definitions: not constructible, with the engine's `name` and `length`.
export const methods = {
  grow(delta) {
    const entry = entryOf(this);
    if (entry === undefined) return nativeGrow.call(this, delta); // not ours: the engine does it all
    const id = entryId(entry);
    const d = addressValue(delta, (entry & IS64) !== 0, layout.fields.delta);
    if (state.budgeted) {
      try {
        rust.planGrow(id, pagesOf(this), d, readSizes());
      } finally {
        deliver();
      }
    }
    let old;
    try {
      old = nativeGrow.call(this, d);
    } catch (e) {
      throw rust.growError(id, pagesOf(this), d, e);
    }
    if ((entry & SHARED) !== 0 && !sharedBuffersFrozen) freezeShared(bufferGetter.call(this));
    // The new size without reading `buffer` (that would make the engine create the new buffer now).
    rust.commitGrow(id, Number(old) + Number(d));
    deliver();
    return old;
  },
  type() {
    const pages = pagesOf(this); // the brand check: a TypeError for anything but a memory
    try {
      return rust.typeOf(idOf(this), pages);
    } finally {
      deliver();
    }
  },
};

/** Our prototype members: `grow` and `type` (unless the engine's is the spec's). @param {boolean} withType */
export function members(withType) {
  /** @type {[string, PropertyDescriptor][]} */
  const list = [["grow", { value: methods.grow, writable: true }]];
  if (withType) list.push(["type", { value: methods.type, writable: true }]);
  return list;
}

// Where the engine leaves shared buffers unfrozen (Firefox), `buffer` needs a getter that freezes
// them. Only shared memories need it, and every wasm-bindgen or emscripten program reads `buffer`
// on its hot paths: so the prototypes get that getter only once this realm has a shared memory
// (made, adopted or grown through us). Until then every memory reads the engine's own getter.
/** @type {Set<() => void>} what puts the getter in place, per prototype */
const whenShared = new Set();
let sawShared = false;

/** A shared memory is ours: freeze its buffer, and put the freezing getter in place if not yet. @param {object} memory */
export function sharedSeen(memory) {
  if (sharedBuffersFrozen) return;
  freezeShared(bufferGetter.call(memory));
  if (sawShared) return;
  sawShared = true;
  for (const put of whenShared) put();
  whenShared.clear();
}

/**
 * Runs `put` (which installs the freezing `buffer` getter somewhere) now if this realm has a
 * shared memory, else when it first has one; returns the function that cancels a pending `put`.
 * @param {() => void} put
 */
export function onShared(put) {
  if (sharedBuffersFrozen) return () => {};
  if (sawShared) {
    put();
    return () => {};
  }
  whenShared.add(put);
  return () => whenShared.delete(put);
}

/**
 * The ponyfill: a plain function whose own prototype is Function.prototype (it hands nobody the
 * engine's unledgered constructor) and whose `prototype` inherits from the engine's.
 * `options` comes from arguments[1], so that Memory.length stays 1.
 */
export function Memory(descriptor) {
  if (new.target === undefined) throw new TypeError("WebAssembly.Memory: constructor cannot be called without 'new'");
  return construct(descriptor, arguments[1], new.target);
}
const proto = Object.create(nativeProto);
for (const [key, desc] of members(true)) Object.defineProperty(proto, key, { enumerable: true, configurable: true, ...desc });
onShared(() => Object.defineProperty(proto, "buffer", { get: fixedBufferGetter, enumerable: true, configurable: true }));
Object.defineProperty(proto, "constructor", { value: Memory, writable: true, enumerable: false, configurable: true });
Object.defineProperty(Memory, "prototype", { value: proto, writable: false, enumerable: false, configurable: false });
