// `new Memory(descriptor)`, `grow` and `type()` for every constructor we expose: the ponyfill
// `Memory`, its subclasses and the installed global.

import { rust, layout, request } from "./rust.js";
import { toBigInt, toNumber, toStr } from "./conversions.js";
import { EngineDescriptor, fixedBufferGetter, growNative, isAllocationFailure, makeNative, nativeProto, pagesOf } from "./engine.js";
import { onShared, sharedSeen } from "./shared.js";
import { IS64, SHARED, claimId, entryId, entryOf, observeChanges, readSizes, releaseNursery, track } from "./tracking.js";
import { deliver } from "./events.js";
import {
  ArrayPrototypePush,
  BigInt,
  DateNow,
  Number,
  ObjectPrototype,
  RangeError,
  StringPrototypeSlice,
  WeakMap,
  WeakMapPrototypeGet,
  WeakMapPrototypeSet,
  apply,
  defineProperty,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  list,
} from "./primordials.js";
import { callerLine } from "./stacks.js";
import { budgeted, captureStacks, installedMemory } from "./state.js";

/** WebIDL's enum conversion of `address` (after ToString): the core words the TypeError for a string that is neither. */
const addressIs64 = (s) => (s === "i64" ? true : s === "i32" ? false : rust.addressIs64(s));

/** `AddressValueToU64` of `v` for a field: ToNumber + [EnforceRange] for i32, ToBigInt + u64 for i64. */
function addressValue(v, is64, field) {
  if (is64) {
    const b = toBigInt(v);
    // In range, u64 is the identity: only other values need the core (for its error).
    if (b < 0n || b > 0xffffffffffffffffn) rust.checkU64(field, b);
    return b;
  }
  const x = toNumber(v);
  // [EnforceRange] unsigned long is the identity on integers in [0, 2^32); only other values need the core.
  return x >>> 0 === x ? x : rust.enforceU32(field, x);
}

/**
 * The WebIDL dictionary is read in the spec's order, each member once and converted as it is
 * read (as every engine and the spec's own tests do): `address` (ToString), `initial`
 * (required), `maximum`, `shared` (ToBoolean); then our options' `label`.
 *
 * With no budget in force and our own constructor as `newTarget`, the engine makes the memory
 * first (unobservable: it reads only our descriptor and our own `prototype`) and one crossing
 * checks and records it: numbers only in the common case (`createPlain`: i32, no options, no
 * stack), else `createMade`. Should the core refuse what the engine accepted (a bad label, a rule
 * an engine is laxer about), the memory is dropped untracked and the ledger is untouched; should
 * the engine refuse, the full path gives the spec's error. The full path (any budget, any other
 * `newTarget`): the core checks everything and plans (never allocate before a budget refuses),
 * the engine makes the memory, and the core records it.
 * @param {unknown} descriptor @param {unknown} options @param {Function} newTarget
 */
export function construct(descriptor, options, newTarget, self) {
  if (typeof descriptor !== "object" && typeof descriptor !== "function" && descriptor !== undefined) throw rust.notObject(descriptor);
  const d = descriptor ?? {}; // undefined and null are an empty dictionary
  const address = d.address;
  const is64 = address !== undefined && addressIs64(toStr(address));
  const rawInitial = d.initial;
  if (rawInitial === undefined) throw rust.missingInitial();
  const initial = addressValue(rawInitial, is64, layout.fields.initial);
  const rawMaximum = d.maximum;
  const maximum = rawMaximum === undefined ? undefined : addressValue(rawMaximum, is64, layout.fields.maximum);
  const shared = !!d.shared;
  const label = typeof options === "object" && options !== null ? options.label : undefined;
  // The object's prototype, read once: our constructors are plain functions, whose [[Construct]]
  // read `newTarget.prototype` to make `self` before any of this ran, so it is taken from there.
  // The engine gets a newTarget no user code runs through (not a Proxy, nor a bound function
  // reaching a getter on Object.prototype), so nothing can run between the checks below and
  // the allocation.
  const target = newTarget === Memory || newTarget === installedMemory ? newTarget : targetFor(getPrototypeOf(self));
  if (!budgeted) {
    let memory;
    try {
      memory = makeNative(new EngineDescriptor(is64, initial, maximum, shared), target);
    } catch {
      // the engine refused: the full path below
    }
    if (memory !== undefined) {
      const stack = captureStacks ? callerLine() : undefined;
      const id = claimId();
      track(memory, id, is64, shared); // before the core records it (see claimId)
      if (!is64 && options === undefined && stack === undefined)
        rust.createPlain(id, initial, maximum === undefined ? -1 : maximum, shared, DateNow());
      else {
        createRequest(id, is64, shared, DateNow());
        rust.createMade(initial, maximum, options, label, stack);
      }
      deliver();
      return memory;
    }
  }
  // The caller's line before the check: an app's Error.prepareStackTrace is user code.
  const stack = captureStacks ? callerLine() : undefined;
  let effective;
  try {
    const sizes = budgeted ? readSizes() : undefined;
    createRequest(-1, is64, shared, 0); // no id nor time yet: the plan reads neither
    effective = rust.planCreate(initial, maximum, options, label, sizes);
  } catch (e) {
    deliver(); // the budget that refused it
    throw e;
  }
  // What the plan queued (a budget passed) is delivered once the memory is made and recorded.
  const checked = new EngineDescriptor(is64, initial, effective, shared);
  let memory;
  try {
    memory = makeNative(checked, target);
  } catch (e) {
    // Out of address space with this task's new memories held: let go of them and try once more.
    if (!isAllocationFailure(e) || !releaseNursery()) {
      explain(e, CONSTRUCT, -1, initial);
      deliver();
      throw e;
    }
    try {
      memory = makeNative(checked, target);
    } catch (again) {
      explain(again, CONSTRUCT, -1, initial);
      deliver();
      throw again;
    }
  }
  const id = claimId();
  track(memory, id, is64, shared); // before the core records it (see claimId)
  createRequest(id, is64, shared, DateNow());
  rust.commitCreate(initial, maximum, effective, label, stack);
  deliver();
  return memory;
}

/** Fills the core's request row for a construction (`layout.requests.create`): right before the
 * call that reads it. @param {number} id @param {boolean} is64 @param {boolean} shared @param {number} created */
function createRequest(id, is64, shared, created) {
  const r = request(),
    f = layout.requests.create;
  r[f.id] = id;
  r[f.is64] = is64 ? 1 : 0;
  r[f.shared] = shared ? 1 : 0;
  r[f.created] = created;
}

/** The operations a `failure` event names, by name: their codes are the core's (`layout.operations`). */
const CONSTRUCT = "construct",
  GROW = "grow";

/** The code of the operation `name` in the core's `layout.operations` (-1: none, which the core
 * ignores). @param {string} name */
function operationCode(name) {
  const names = layout.operations;
  for (let i = 0; i < names.length; i++) if (names[i] === name) return i;
  return -1;
}

/** Errors already explained: an error that reaches a second hook (a start function's failed
 * construction, out of its instantiate) is explained, and reported, once. */
const explained = new WeakMap();

/**
 * The engine refused a construction, a grow or an instance (`operation`, by name) of `pages`
 * pages (of memory `id`, -1: none) for want of memory: the error stays the engine's (its class,
 * its object), and its message gets what the ledger knows after the engine's words (live
 * memories, those no live instance holds, the largest, the pages in all); a `failure` event
 * carries the same (delivered by the caller). A thrown value that is not an object (Firefox's
 * string "out of memory") has no message to extend: the event alone says it. Never throws:
 * explaining is best effort, the engine's error is what is thrown.
 * @param {unknown} e @param {string} operation @param {number} id @param {number | bigint} pages
 */
export function explain(e, operation, id, pages) {
  if (!isAllocationFailure(e)) return;
  try {
    const object = typeof e === "object" && e !== null;
    if (object) {
      if (WeakMapPrototypeGet(explained, e) !== undefined) return;
      WeakMapPrototypeSet(explained, e, true);
    }
    observeChanges(); // sizes grown inside wasm since the last read
    const words = rust.failure(operationCode(operation), id, Number(pages));
    if (!object) return;
    const before = ownString(e, "message");
    if (before === undefined) return; // an accessor, or not text: not ours to run or change
    // The stack's first line repeats the message, and is what Node prints for an uncaught
    // error. Read before the message changes: V8 formats it on this first read (running an
    // app's Error.prepareStackTrace, as the app's own first read would: after the operation,
    // with nothing of ours held), from the message then. Older V8 holds it as a data property;
    // newer V8 as an own accessor, the engine's, read and written through its own getter and
    // setter (so the property keeps its shape).
    const data = ownString(e, "stack");
    const accessor = data === undefined && engineStack !== undefined && ownAccessorIs(e, "stack", engineStack);
    const read = accessor ? apply(engineStack.get, e, []) : data;
    const text = typeof read === "string" ? read : undefined;
    const after = before + words;
    defineProperty(e, "message", { __proto__: null, value: after, writable: true, enumerable: false, configurable: true });
    if (text === undefined) return;
    for (let at = 0; at < 64 && at + before.length <= text.length; at++) {
      if (StringPrototypeSlice(text, at, at + before.length) === before) {
        const value = StringPrototypeSlice(text, 0, at) + after + StringPrototypeSlice(text, at + before.length);
        if (accessor) apply(engineStack.set, e, [value]);
        else defineProperty(e, "stack", { __proto__: null, value, writable: true, enumerable: false, configurable: true });
        return;
      }
    }
  } catch {
    // out of stack or memory ourselves: the engine's error goes on as it was
  }
}

/** V8's own `stack` accessor (newer V8: each error has it as an own property, with one getter
 * and one setter for all), captured at load; undefined where `stack` is a data property (older
 * V8, JavaScriptCore) or inherited (SpiderMonkey). */
const engineStack = (() => {
  const d = getOwnPropertyDescriptor(new RangeError(), "stack");
  return d !== undefined && typeof d.get === "function" && typeof d.set === "function" ? { get: d.get, set: d.set } : undefined;
})();

/** Whether `o[key]` is an own accessor with exactly the getter and setter of `pair` (read from
 * the descriptor's own members: no getter runs). */
function ownAccessorIs(o, key, pair) {
  const desc = getOwnPropertyDescriptor(o, key);
  if (desc === undefined) return false;
  const get = getOwnPropertyDescriptor(desc, "get"),
    set = getOwnPropertyDescriptor(desc, "set");
  return get !== undefined && get.value === pair.get && set !== undefined && set.value === pair.set;
}

/** `o[key]` where it is an own data property holding a string, else undefined (no getter runs,
 * and nothing on `Object.prototype` is read: the value is taken from the descriptor's own member). */
function ownString(o, key) {
  const desc = getOwnPropertyDescriptor(o, key);
  const value = desc === undefined ? undefined : getOwnPropertyDescriptor(desc, "value");
  return value !== undefined && typeof value.value === "string" ? value.value : undefined;
}

/** proto -> a constructor of ours whose `prototype` it is (a data property: reading it runs nothing). */
const targets = new WeakMap();
/** The newTarget for a prototype that is not an object: the engine falls back to its own. */
const plainTarget = function () {};
plainTarget.prototype = undefined;

/** A newTarget with `proto` as its `prototype`, made once per prototype. `Object.prototype`
 * is what [[Construct]] gave `self` for a `prototype` that is not an object. @param {object} proto */
function targetFor(proto) {
  if (proto === ObjectPrototype) return plainTarget;
  let t = WeakMapPrototypeGet(targets, proto);
  if (t === undefined) {
    t = function () {};
    t.prototype = proto;
    WeakMapPrototypeSet(targets, proto, t);
  }
  return t;
}

// Method definitions: not constructible, with the engine's `name` and `length`.
export const methods = {
  grow(delta) {
    const entry = entryOf(this);
    if (entry === undefined) return growNative(this, delta); // not ours: the engine does it all
    const id = entryId(entry);
    const d = addressValue(delta, (entry & IS64) !== 0, layout.fields.delta);
    if (budgeted) {
      try {
        rust.planGrow(id, pagesOf(this), d, readSizes());
      } catch (e) {
        deliver(); // the budget that refused it; one passed is delivered after the grow
        throw e;
      }
    }
    let old;
    try {
      old = growNative(this, d);
    } catch (e) {
      const error = rust.growError(id, pagesOf(this), d, e);
      if (error === e) explain(e, GROW, id, d); // the engine's own refusal, not a rule of ours
      deliver();
      throw error;
    }
    if ((entry & SHARED) !== 0) sharedSeen(this); // the new buffer, frozen where the engine doesn't
    // The new size without reading `buffer` (that would make the engine create the new buffer now).
    rust.commitGrow(id, Number(old) + Number(d));
    deliver();
    return old;
  },
  type() {
    const pages = pagesOf(this); // the brand check: a TypeError for anything but a memory
    const entry = entryOf(this);
    let maximum;
    try {
      maximum = rust.typeOf(entry === undefined ? -1 : entryId(entry), pages); // -1: none; unknown memory: an error
    } finally {
      deliver();
    }
    // A WebIDL dictionary: its members in lexicographic order, `maximum` only when there is one.
    const is64 = (entry & IS64) !== 0,
      value = is64 ? BigInt : Number;
    const address = is64 ? "i64" : "i32",
      minimum = value(pages),
      shared = (entry & SHARED) !== 0;
    return maximum < 0 ? { address, minimum, shared } : { address, maximum: value(maximum), minimum, shared };
  },
};

/** Our prototype members: `grow` and `type` (unless the engine's is the spec's), in a list with
 * no prototype. @param {boolean} withType @returns {{ key: string, desc: PropertyDescriptor }[]} */
export function members(withType) {
  const all = list();
  ArrayPrototypePush(all, { __proto__: null, key: "grow", desc: { __proto__: null, value: methods.grow, writable: true } });
  if (withType) ArrayPrototypePush(all, { __proto__: null, key: "type", desc: { __proto__: null, value: methods.type, writable: true } });
  return all;
}

/**
 * The ponyfill: a plain function whose own prototype is Function.prototype (it hands nobody the
 * engine's unledgered constructor) and whose `prototype` inherits from the engine's.
 * `options` comes from arguments[1], so that Memory.length stays 1.
 */
export function Memory(descriptor) {
  if (new.target === undefined) throw new TypeError("WebAssembly.Memory: constructor cannot be called without 'new'");
  return construct(descriptor, arguments[1], new.target, this);
}
const proto = Object.create(nativeProto);
const ours = members(true);
for (let i = 0; i < ours.length; i++) Object.defineProperty(proto, ours[i].key, { enumerable: true, configurable: true, ...ours[i].desc });
onShared(() => Object.defineProperty(proto, "buffer", { get: fixedBufferGetter, enumerable: true, configurable: true }));
Object.defineProperty(proto, "constructor", { value: Memory, writable: true, enumerable: false, configurable: true });
Object.defineProperty(Memory, "prototype", { value: proto, writable: false, enumerable: false, configurable: false });
