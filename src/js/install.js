// install(): our constructor as `WebAssembly.Memory`, our `grow` (and `type` where the engine
// has none, or not the spec's) on the engine's prototype, and the instantiate hooks, so code
// never written for the polyfill is ledgered too. Uninstall restores only what still holds our
// value: where another tool has wrapped ours since, its wrapper stays and ours passes through.
//
// All or nothing: every property install() will change is listed and checked first (an object
// the app froze, sealed or made non-extensible, or a property it made non-configurable, is a
// TypeError naming it, with nothing changed), and should a change fail anyway (a Proxy'd
// namespace), what was done is undone before the error is rethrown. Descriptors handed to the
// engine have no prototype: `defineProperty` reads `get`, `set`, `value`… through the chain,
// and an `Object.prototype.get` would make every one of them an accessor.

import { construct, members } from "./memory.js";
import { onShared } from "./shared.js";
import { NativeMemory, fixedBufferGetter, nativeProto, nativeTypeIsSpec, sharedBuffersFrozen } from "./engine.js";
import { hookInstantiate } from "./instantiate.js";
import { ArrayPrototypePush, String, TypeError, construct as ReflectConstruct, list } from "./primordials.js";
import { installed, setInstalled, setUninstalled, uninstallInForce } from "./state.js";

// Captured at load, as every built-in the package calls (see primordials.js): install() and
// its way back work whatever the app did to Array.prototype, Reflect or Object since.
const { defineProperty, deleteProperty, getOwnPropertyDescriptor, isExtensible } = Reflect;
const { hasOwn, isFrozen, isSealed } = Object;

/** The TypeError for a property install() can't replace. */
const cannot = (where, why) => new TypeError(`install(): ${where} can't be replaced (${why}); nothing was changed`);

/**
 * Replaces a property and remembers how to put it back. `desc`'s fields go over the attributes
 * the property had (a new one is writable, enumerable and configurable), and a value replaces a
 * getter or a getter a value. Spreads copy own fields only, onto objects with no prototype.
 * @param {(() => void)[]} undo @param {object} target @param {PropertyKey} key @param {PropertyDescriptor} desc
 * @param {PropertyDescriptor | undefined} [saved] what is there now, if already read
 * @param {string} [where] the property's name, for a message
 */
export function replace(undo, target, key, desc, saved = getOwnPropertyDescriptor(target, key), where = String(key)) {
  if (saved !== undefined) saved = { __proto__: null, ...saved };
  const d = { __proto__: null, writable: true, enumerable: true, configurable: true, ...saved, ...desc };
  if (hasOwn(desc, "get")) delete d.value, delete d.writable;
  else delete d.get, delete d.set;
  if (!defineProperty(target, key, d)) throw cannot(where, "defineProperty refused");
  const ours = hasOwn(desc, "get") ? desc.get : desc.value;
  ArrayPrototypePush(undo, () => {
    const now = getOwnPropertyDescriptor(target, key);
    if ((now && hasOwn(now, "get") ? now.get : now?.value) !== ours) return; // someone wrapped ours: leave theirs
    if (saved !== undefined) defineProperty(target, key, saved);
    else deleteProperty(target, key);
  });
}

/** Runs `undo` last first, every step, and empties it; the first error, if any, is thrown at the end. */
function undoAll(undo) {
  let error;
  for (let i = undo.length - 1; i >= 0; i--) {
    const f = undo[i];
    undo.length = i;
    try {
      f();
    } catch (e) {
      error ??= e;
    }
  }
  if (error !== undefined) throw error;
}

/**
 * What `target[key]` is now (undefined: absent), if install() may replace it; else the TypeError
 * naming it. Locked objects and properties are the app's decision, and stay as they are.
 * @param {object} target @param {PropertyKey} key @param {string} name the target's name
 */
function replaceable(target, key, name) {
  const where = `${name}.${String(key)}`;
  if (!isExtensible(target))
    throw cannot(where, `${name} is ${isFrozen(target) ? "frozen" : isSealed(target) ? "sealed" : "not extensible"}`);
  const saved = getOwnPropertyDescriptor(target, key);
  if (saved !== undefined && !saved.configurable) throw cannot(where, "not configurable");
  return saved;
}

/** Replaces globalThis.WebAssembly.Memory; returns the function that puts everything back. */
export function install() {
  if (installed) return uninstallInForce;
  const W = globalThis.WebAssembly; // read once
  if (W === null || typeof W !== "object") throw new TypeError("install(): globalThis.WebAssembly is not an object; nothing was changed");
  // `function`, not `class`: its `prototype` must be the engine's own prototype object.
  const Installed = function Memory(descriptor) {
    if (new.target === undefined) throw new TypeError("WebAssembly.Memory: constructor cannot be called without 'new'");
    if (!installed) return ReflectConstruct(NativeMemory, [descriptor], new.target);
    return construct(descriptor, undefined, new.target, this);
  };
  defineProperty(Installed, "prototype", { __proto__: null, value: nativeProto, writable: false, enumerable: false, configurable: false });

  // 1. Every change, listed before any is made: { target, key, desc, name (the target's) }.
  // (Lists with no prototype, walked by index: nothing here runs an iterator or a setter a page
  // may have put on Array.prototype.)
  const proto = "WebAssembly.Memory.prototype";
  /** @type {{ target: object, key: PropertyKey, desc: PropertyDescriptor, name: string }[]} */
  const plan = list();
  const change = (target, key, desc, name) => ArrayPrototypePush(plan, { __proto__: null, target, key, desc, name });
  change(nativeProto, "constructor", { __proto__: null, value: Installed }, proto);
  const ours = members(!nativeTypeIsSpec);
  for (let i = 0; i < ours.length; i++) change(nativeProto, ours[i].key, ours[i].desc, proto);
  change(W, "Memory", { __proto__: null, value: Installed }, "WebAssembly");
  // The hooks only describe their changes here (on Module.prototype and Instance.prototype:
  // their `constructor`, which names them).
  hookInstantiate(W, (target, key, desc) => {
    const name =
      target === W
        ? "WebAssembly"
        : target === nativeProto
          ? proto
          : key === "constructor"
            ? `WebAssembly.${desc.value.name}.prototype`
            : "an object";
    change(target, key, desc, name);
  });

  // 2. Checked, all of them, before anything changes. Where shared buffers need freezing, the
  // engine's prototype gets the freezing getter later (once there is a shared memory): checked now too.
  const saved = list();
  for (let i = 0; i < plan.length; i++) ArrayPrototypePush(saved, replaceable(plan[i].target, plan[i].key, plan[i].name));
  if (!sharedBuffersFrozen) replaceable(nativeProto, "buffer", proto);

  // 3. Made, or none of them.
  /** @type {(() => void)[]} */
  const undo = list();
  try {
    for (let i = 0; i < plan.length; i++) {
      const { target, key, desc, name } = plan[i];
      replace(undo, target, key, desc, saved[i], `${name}.${String(key)}`);
    }
    // Later, inside a construction or a grow: it must never throw there (buffers are still frozen
    // one by one where it fails).
    const cancel = onShared(() => {
      try {
        replace(undo, nativeProto, "buffer", { get: fixedBufferGetter });
      } catch {
        // the app locked `buffer` after install(): it keeps its own getter
      }
    });
    ArrayPrototypePush(undo, cancel);
  } catch (e) {
    try {
      undoAll(undo);
    } catch {
      // a Proxy that refuses the way back too: the first error is the one to report
    }
    throw e;
  }
  const uninstall = () => {
    if (uninstallInForce !== uninstall) return;
    setUninstalled();
    undoAll(undo);
  };
  setInstalled(Installed, uninstall);
  return uninstall;
}
