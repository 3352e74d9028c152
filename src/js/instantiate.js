// install()'s compile and instantiate hooks: memories that modules export enter the ledger with
// the type their bytes declare, and under a hard budget each memory a module defines is compiled
// with its maximum lowered to the budget's clamp, so a grow inside wasm past it returns -1.
//
// Each compile path is the engine's own: the engine is handed the bytes it would have compiled
// (module-bytes.js: the caller's, or under a hard budget ours), rewritten only where the engine
// accepts the memory section as declared. A module it rejects is rejected with its own error
// (its own bytes go to the same engine function), on every path, with and without a budget;
// what it doesn't take as bytes is handed on untouched, for its own TypeError. Every built-in
// called here is one captured at load (primordials.js), and no promise is resolved with another
// (`return await`).
//
// Each hook is a named function of this file (compileHook, instantiateHook, compileStreamingHook,
// instantiateStreamingHook, moduleHook, instanceHook) over what its install() wrapped (`Wrapped`);
// hookInstantiate only makes the functions install() puts in place, each handing its call on.

import { explain } from "./memory.js";
import {
  copyOf,
  infoOf,
  original,
  prepare,
  readBytes,
  refusal,
  remember,
  readResponse,
  cloneBytes,
  readClone,
  wasmResponse,
} from "./module-bytes.js";
import { adoptExports } from "./adopt.js";
import { deliver } from "./events.js";
import { isInstanceAllocationFailure } from "./engine.js";
import { releaseNursery } from "./tracking.js";
import { rust } from "./rust.js";
import { hardBudget, installed } from "./state.js";
import {
  ObjectDefineProperty,
  getOwnPropertyDescriptor,
  ObjectGetOwnPropertyNames,
  TypeError,
  WebAssemblyValidate,
  apply,
  construct,
} from "./primordials.js";

/** The argument at `i`, read as an own element only (an absent one is not looked up on `Object.prototype`). */
const arg = (args, i) => (i < args.length ? args[i] : undefined);

/**
 * What the engine is to compile for `read` (`readBytes` of `source`) as `prepare` found it: the
 * rewritten module; else bytes of ours under a hard budget, or with compile `options` (the
 * engine converts them, running their getters, before it copies the bytes: user code that could
 * change the caller's); else the caller's own (no user code runs before the engine copies them).
 */
const given = (read, source, p, clamp, options) =>
  p.rewritten !== undefined
    ? p.rewritten
    : read.own
      ? read.view
      : clamp || (options !== undefined && options !== null)
        ? copyOf(read.view)
        : source;

/**
 * The engine could not make an instance of a module (`info`: the hooks' reading of its bytes, if
 * they saw them) for want of memory: its error, which the caller throws as it is, gets what the
 * ledger knows (see `explain`), and a `failure` event (`operation: "instantiate"`, `pages`: the
 * module's defined memories' declared minima, 0 when unknown) says the same. Nothing for any
 * other error (a LinkError, a trap, an import's or a start function's own), nor for a module
 * known to define no memory. Never throws.
 * @param {unknown} e @param {{ defined: number, definedPages: number } | undefined} info
 */
function refused(e, info) {
  if (!isInstanceAllocationFailure(e) || info?.defined === 0) return;
  try {
    explain(e, "instantiate", -1, info === undefined || info.defined < 0 ? 0 : info.definedPages);
    deliver();
  } catch {
    // out of stack or memory ourselves: the engine's error goes on as it was
  }
}

/**
 * Compiles a module through `run(bytes)` (the engine's function, returning its promise): `read`
 * is `readBytes(source)`. What `prepare` gives is compiled; where that fails after a rewrite, the
 * module as it was, for the engine's error about it when it rejects that too. A module the
 * budget refuses is compiled only when the engine rejects it (for its error); else the refusal.
 * `options`: the caller's compile options, which the engine's `validate` reads as its compile
 * does. `done(result, info)` then. `instantiating`: `run` makes an instance too (a refusal
 * for want of memory is explained).
 */
async function compileWith(run, read, source, url, options, done, instantiating) {
  const clamp = hardBudget;
  const p = prepare(read.view, url, clamp);
  if (p.refused) {
    // Ours, validated and compiled: the options' getters run in both calls.
    const own = read.own ? read.view : copyOf(read.view);
    if (!WebAssemblyValidate(own, options)) return await run(own);
    throw refusal(p);
  }
  let result;
  const pending = run(given(read, source, p, clamp, options));
  deliver(); // after the engine has its bytes: listeners see the budget's events, and can change nothing
  try {
    result = await pending;
  } catch (e) {
    // Only the memory section's limits differ, and the engine accepted them as declared: a module
    // it rejects now was invalid before. Its own error, for its own bytes.
    if (p.rewritten !== undefined) {
      const bytes = original(p);
      if (!WebAssemblyValidate(bytes, options)) return await run(bytes);
    }
    if (instantiating) refused(e, p.info);
    throw e;
  }
  return done(result, p.info);
}

/** instantiate(bytes) and instantiateStreaming: `done` for compileWith, `{ module, instance }`
 * with the exports ledgered. */
const adopted = (importObject) => (r, info) => (adoptExports(r.instance, remember(r.module, info), importObject), r);

/**
 * What one install() wraps: the functions there at install (the engine's, or another tool's
 * wrapper, which ours then wraps), each hook calling on the ones its own install() found.
 * @typedef {{ compile: Function, instantiate: Function, compileStreaming: Function | undefined,
 *   instantiateStreaming: Function | undefined, Module: Function, Instance: Function }} Wrapped
 */

/** `WebAssembly.compile(bytes, options)`. @param {Wrapped} native @param {unknown} self @param {IArguments} args */
function compileHook(native, self, args) {
  if (!installed) return apply(native.compile, self, args);
  const bytes = arg(args, 0);
  const read = readBytes(bytes);
  if (read === undefined) return apply(native.compile, self, args); // the engine's TypeError
  const options = arg(args, 1);
  return compileWith((b) => apply(native.compile, self, [b, options]), read, bytes, undefined, options, remember);
}

/** `WebAssembly.instantiate(source, importObject, options)`: `source` bytes or a module.
 * @param {Wrapped} native @param {unknown} self @param {IArguments} args */
function instantiateHook(native, self, args) {
  if (!installed) return apply(native.instantiate, self, args);
  const source = arg(args, 0),
    importObject = arg(args, 1);
  const read = readBytes(source);
  // A module (of any realm), or what the engine refuses with its own TypeError.
  if (read === undefined) return instanceOf(apply(native.instantiate, self, args), source, importObject);
  const options = arg(args, 2);
  return compileWith(
    (b) => apply(native.instantiate, self, [b, importObject, options]),
    read,
    source,
    undefined,
    options,
    adopted(importObject),
    true,
  );
}

/** `WebAssembly.compileStreaming(source, options)`. @param {Wrapped} native @param {unknown} self @param {IArguments} args */
function compileStreamingHook(native, self, args) {
  if (!installed) return apply(native.compileStreaming, self, args);
  const source = arg(args, 0);
  if (hardBudget) return streamHard(native, self, source, false, undefined, arg(args, 1));
  const cloned = cloneBytes(source);
  return streamed(apply(native.compileStreaming, self, args), cloned, remember, false);
}

/** `WebAssembly.instantiateStreaming(source, importObject, options)`.
 * @param {Wrapped} native @param {unknown} self @param {IArguments} args */
function instantiateStreamingHook(native, self, args) {
  if (!installed) return apply(native.instantiateStreaming, self, args);
  const source = arg(args, 0),
    imports = arg(args, 1);
  if (hardBudget) return streamHard(native, self, source, true, imports, arg(args, 2));
  const cloned = cloneBytes(source);
  return streamed(apply(native.instantiateStreaming, self, args), cloned, adopted(imports), true);
}

/** `new WebAssembly.Module(bytes, options)`. @param {Wrapped} native @param {IArguments} args @param {Function | undefined} newTarget */
function moduleHook(native, args, newTarget) {
  if (newTarget === undefined) throw new TypeError("WebAssembly.Module: constructor cannot be called without 'new'");
  const NativeModule = native.Module;
  if (!installed) return construct(NativeModule, args, newTarget);
  const bytes = arg(args, 0);
  const read = readBytes(bytes);
  if (read === undefined) return construct(NativeModule, args, newTarget); // the engine's TypeError
  const options = arg(args, 1),
    clamp = hardBudget;
  const p = prepare(read.view, undefined, clamp);
  if (p.refused) {
    const own = read.own ? read.view : copyOf(read.view); // (see compileWith)
    if (!WebAssemblyValidate(own, options)) construct(NativeModule, [own, options]); // throws the engine's own error
    throw refusal(p);
  }
  let module;
  try {
    module = construct(NativeModule, [given(read, bytes, p, clamp, options), options], newTarget);
  } catch (e) {
    const own = p.rewritten === undefined ? undefined : original(p); // (see compileWith)
    if (own !== undefined && !WebAssemblyValidate(own, options)) construct(NativeModule, [own, options]);
    throw e;
  } finally {
    deliver();
  }
  return remember(module, p.info);
}

/** `new WebAssembly.Instance(module, importObject)`. @param {Wrapped} native @param {IArguments} args @param {Function | undefined} newTarget */
function instanceHook(native, args, newTarget) {
  if (newTarget === undefined) throw new TypeError("WebAssembly.Instance: constructor cannot be called without 'new'");
  const NativeInstance = native.Instance;
  if (!installed) return construct(NativeInstance, args, newTarget);
  const module = arg(args, 0);
  let instance;
  try {
    instance = construct(NativeInstance, args, newTarget);
  } catch (e) {
    // Out of memory with this task's new memories held: let go of them (as a construction
    // does) and try once more (the engine reads the imports again). Only for a module whose
    // bytes show no start function: one that has may have run it, and whatever it called,
    // before the error, and must not run twice. Not on the promise paths: by the time their
    // rejection is seen, the nursery has ripened into weak references, which the engine keeps
    // alive to the end of the task, so nothing could be let go of.
    const info = infoOf(module);
    if (!isInstanceAllocationFailure(e) || info?.hasStart !== false || !releaseNursery()) {
      refused(e, info);
      throw e;
    }
    try {
      instance = construct(NativeInstance, args, newTarget);
    } catch (again) {
      refused(again, info);
      throw again;
    }
  }
  adoptExports(instance, module, arg(args, 1));
  return instance;
}

/** instantiate(module): the engine's result, its exports ledgered; its refusal for want of memory explained. */
async function instanceOf(pending, module, importObject) {
  let instance;
  try {
    instance = await pending;
  } catch (e) {
    refused(e, infoOf(module));
    throw e;
  }
  adoptExports(instance, module, importObject);
  return instance;
}

/**
 * The streaming APIs under a hard budget: the Response is read here (`readResponse`) and the
 * engine's streaming function compiles our bytes from a Response of its own; where the engine
 * is to refuse the Response itself, it gets it. It never compiles a module we didn't read: one
 * it compiled anyway would pass the budget, and is refused.
 * @param {Wrapped} native
 */
async function streamHard(native, self, source, instantiating, importObject, options) {
  const f = instantiating ? native.instantiateStreaming : native.compileStreaming;
  const run = (response) => apply(f, self, instantiating ? [response, importObject, options] : [response, options]);
  const r = await source;
  const read = await readResponse(r);
  if (read === undefined) {
    await run(r);
    throw rust.allocationFailed("the module's memory section could not be rewritten to the budget");
  }
  return await compileWith(
    (b) => run(wasmResponse(b)),
    { view: read.bytes, own: true },
    undefined,
    read.url,
    options,
    instantiating ? adopted(importObject) : remember,
    instantiating,
  );
}

/** The streaming APIs without a hard budget: the engine streams; a clone gives the types (and,
 * for an instance refused for want of memory, the pages it asked for). */
async function streamed(pending, cloned, done, instantiating) {
  let result;
  try {
    result = await pending;
  } catch (e) {
    if (instantiating && isInstanceAllocationFailure(e)) refused(e, await infoOfClone(cloned));
    throw e;
  }
  const read = await readClone(cloned);
  return done(result, read === undefined ? undefined : prepare(read.bytes, read.url, false).info);
}

/** The core's reading of a clone's bytes (`cloneBytes`), if it can be had; never rejects (for a refusal's explaining). */
async function infoOfClone(cloned) {
  try {
    const read = await readClone(cloned);
    return read === undefined ? undefined : prepare(read.bytes, read.url, false).info;
  } catch {
    return undefined;
  }
}

/**
 * Wraps compile, compileStreaming, Module, instantiate, instantiateStreaming and Instance: each
 * hook is the named function above, over what this install() found (`Wrapped`).
 * @param {typeof WebAssembly} W @param {(target: object, key: string, desc: PropertyDescriptor) => void} patch
 */
export function hookInstantiate(W, patch) {
  /** @type {Wrapped} */
  const native = {
    compile: W.compile,
    instantiate: W.instantiate,
    compileStreaming: W.compileStreaming,
    instantiateStreaming: W.instantiateStreaming,
    Module: W.Module,
    Instance: W.Instance,
  };
  const names = ["compile", "instantiate", "compileStreaming", "instantiateStreaming"];
  // Method definitions: not constructible, with the engine's `name` and `length` (their
  // parameters are there for `length` only).
  const hooks = {
    compile(_bytes) {
      return compileHook(native, this, arguments);
    },
    instantiate(_source, _importObject) {
      return instantiateHook(native, this, arguments);
    },
    compileStreaming(_source) {
      return compileStreamingHook(native, this, arguments);
    },
    instantiateStreaming(_source, _importObject) {
      return instantiateStreamingHook(native, this, arguments);
    },
  };
  for (let i = 0; i < names.length; i++) if (native[names[i]]) patch(W, names[i], { value: hooks[names[i]] });

  // Like the installed Memory: functions whose `prototype` is the engine's own, so objects keep
  // their native prototype and `instanceof` holds both ways.
  const Module = function Module(_bytes) {
    return moduleHook(native, arguments, new.target);
  };
  const Instance = function Instance(_module, _importObject) {
    return instanceHook(native, arguments, new.target);
  };
  const pairs = [
    [Module, native.Module],
    [Instance, native.Instance],
  ];
  for (let i = 0; i < 2; i++) {
    const F = pairs[i][0],
      N = pairs[i][1];
    ObjectDefineProperty(F, "prototype", { __proto__: null, value: N.prototype, writable: false, enumerable: false, configurable: false });
    const keys = ObjectGetOwnPropertyNames(N);
    for (let k = 0; k < keys.length; k++) {
      // Module.exports/imports/customSections
      // (A descriptor with no prototype: defineProperty reads `get`, `set`… through the chain.)
      if (!getOwnPropertyDescriptor(F, keys[k]) || keys[k] === "length")
        ObjectDefineProperty(F, keys[k], { __proto__: null, ...getOwnPropertyDescriptor(N, keys[k]) });
    }
    patch(N.prototype, "constructor", { value: F });
    patch(W, N.name, { value: F });
  }
}
