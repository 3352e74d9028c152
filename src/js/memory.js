// `new Memory(descriptor)`, `grow` and `type()` for every constructor we expose: the ponyfill
// `Memory`, its subclasses and the installed global.

import { rust, layout } from "./rust.js";
import { toBigInt, toNumber, toStr } from "./conversions.js";
import { EngineDescriptor, fixedBufferGetter, growNative, isAllocationFailure, makeNative, nativeProto, pagesOf } from "./engine.js";
import { onShared, sharedSeen } from "./shared.js";
import { IS64, SHARED, claimId, entryId, entryOf, idOf, readSizes, releaseNursery, track } from "./tracking.js";
import { deliver } from "./events.js";
import { ArrayPrototypePush, BigInt, DateNow, Number, ObjectPrototype, WeakMap, WeakMapPrototypeGet, WeakMapPrototypeSet, apply, getPrototypeOf, list } from "./primordials.js";
import { callerLine } from "./stacks.js";

/** Set by the ledger: whether a budget is in force (requests are then checked with fresh sizes). */
export const state = { budgeted: false, hard: false, captureStacks: false };

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
  const target = newTarget === Memory || newTarget === constructors.installed ? newTarget : targetFor(getPrototypeOf(self));
  if (!state.budgeted) {
    let memory;
    try {
      memory = makeNative(new EngineDescriptor(is64, initial, maximum, shared), target);
    } catch {
      // the engine refused: the full path below
    }
    if (memory !== undefined) {
      const stack = state.captureStacks ? callerLine() : undefined;
      const id = claimId();
      track(memory, id, is64, shared); // before the core records it (see claimId)
      if (!is64 && options === undefined && stack === undefined) rust.createPlain(id, initial, maximum === undefined ? -1 : maximum, shared, DateNow());
      else rust.createMade(id, is64, initial, maximum, shared, options, label, DateNow(), stack);
      deliver();
      return memory;
    }
  }
  // The caller's line before the check: an app's Error.prepareStackTrace is user code.
  const stack = state.captureStacks ? callerLine() : undefined;
  let effective;
  try {
    effective = rust.planCreate(is64, initial, maximum, shared, options, label, state.budgeted ? readSizes() : undefined);
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
      deliver();
      throw e;
    }
    try {
      memory = makeNative(checked, target);
    } catch (again) {
      deliver();
      throw again;
    }
  }
  const id = claimId();
  track(memory, id, is64, shared); // before the core records it (see claimId)
  rust.commitCreate(id, is64, initial, maximum, effective, shared, label, DateNow(), stack);
  deliver();
  return memory;
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

/** Our own constructors, whose `prototype` the engine reads without running user code. */
export const constructors = { installed: null };

// Method definitions: not constructible, with the engine's `name` and `length`.
export const methods = {
  grow(delta) {
    const entry = entryOf(this);
    if (entry === undefined) return growNative(this, delta); // not ours: the engine does it all
    const id = entryId(entry);
    const d = addressValue(delta, (entry & IS64) !== 0, layout.fields.delta);
    if (state.budgeted) {
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
    let t;
    try {
      t = rust.typeOf(idOf(this), pages); // [is64, maximum (-1: none), minimum, shared]
    } finally {
      deliver();
    }
    // A WebIDL dictionary: its members in lexicographic order, `maximum` only when there is one.
    const is64 = t[0] === 1, value = is64 ? BigInt : Number;
    const address = is64 ? "i64" : "i32", minimum = value(t[2]), shared = t[3] === 1;
    return t[1] < 0 ? { address, minimum, shared } : { address, maximum: value(t[1]), minimum, shared };
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
