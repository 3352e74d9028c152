// install(): our constructor as `WebAssembly.Memory`, our `grow` (and `type` where the engine
// has none, or not the spec's) on the engine's prototype, and the instantiate hooks, so code
// never written for the polyfill is ledgered too. Uninstall restores only what still holds our
// value: where another tool has wrapped ours since, its wrapper stays and ours passes through.

import { construct, constructors, members } from "./memory.js";
import { onShared } from "./shared.js";
import { NativeMemory, fixedBufferGetter, nativeProto, nativeTypeIsSpec } from "./engine.js";
import { hookInstantiate } from "./instantiate.js";

/** Whether install() is in force; the wrappers pass straight through to the engine when not. */
export const installed = { on: false, uninstall: null };

/**
 * Replaces a property and remembers how to put it back.
 * @param {object[]} undo @param {object} target @param {PropertyKey} key @param {PropertyDescriptor} desc
 */
export function replace(undo, target, key, desc) {
  const saved = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, saved ? { ...saved, ...desc } : { writable: true, enumerable: true, configurable: true, ...desc });
  const ours = desc.value ?? desc.get;
  undo.push(() => {
    const now = Object.getOwnPropertyDescriptor(target, key);
    if (now?.value !== ours && now?.get !== ours) return; // someone wrapped ours: leave theirs
    if (saved) Object.defineProperty(target, key, saved);
    else delete target[key];
  });
}

/** Replaces globalThis.WebAssembly.Memory; returns the function that puts everything back. */
export function install() {
  if (installed.on) return installed.uninstall;
  const W = globalThis.WebAssembly;
  /** @type {(() => void)[]} */
  const undo = [];
  // `function`, not `class`: its `prototype` must be the engine's own prototype object.
  const Installed = function Memory(descriptor) {
    if (new.target === undefined) throw new TypeError("WebAssembly.Memory: constructor cannot be called without 'new'");
    if (!installed.on) return Reflect.construct(NativeMemory, [descriptor], new.target);
    return construct(descriptor, undefined, new.target, this);
  };
  Object.defineProperty(Installed, "prototype", { value: nativeProto, writable: false, enumerable: false, configurable: false });
  constructors.installed = Installed;
  replace(undo, nativeProto, "constructor", { value: Installed });
  for (const [key, desc] of members(!nativeTypeIsSpec)) replace(undo, nativeProto, key, desc);
  // Where shared buffers need freezing, the engine's prototype gets the freezing getter once
  // there is a shared memory (see memory.js); until then, and everywhere else, it keeps its own.
  const cancel = onShared(() => replace(undo, nativeProto, "buffer", { get: fixedBufferGetter }));
  undo.push(cancel);
  replace(undo, W, "Memory", { value: Installed });
  hookInstantiate(W, (target, key, desc) => replace(undo, target, key, desc), installed);
  installed.on = true;
  const uninstall = () => {
    if (installed.uninstall !== uninstall) return;
    for (const f of undo.reverse()) f();
    installed.on = false;
    installed.uninstall = null;
  };
  installed.uninstall = uninstall;
  return uninstall;
}
