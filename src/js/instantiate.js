// install()'s compile and instantiate hooks: memories that modules export enter the ledger with
// the type their bytes declare, and under a hard budget each memory a module defines is compiled
// with its maximum lowered to the budget's clamp, so a grow inside wasm past it returns -1.

import { state } from "./memory.js";
import { prepare, remember, readResponse, cloneBytes } from "./module-bytes.js";
import { adoptExports } from "./adopt.js";

/**
 * Wraps compile, compileStreaming, Module, instantiate, instantiateStreaming and Instance.
 * @param {typeof WebAssembly} W @param {(target: object, key: string, desc: PropertyDescriptor) => void} patch
 * @param {{ on: boolean }} installed
 */
export function hookInstantiate(W, patch, installed) {
  const native = { compile: W.compile, instantiate: W.instantiate, compileStreaming: W.compileStreaming, instantiateStreaming: W.instantiateStreaming };
  const NativeModule = W.Module, NativeInstance = W.Instance;
  const fail = (f) => { try { return f(); } catch (e) { return { error: e }; } };
  /** compile(bytes), and instantiate(bytes, ...rest) as `args`; `url` for a streamed module. */
  const compile = (self, bytes, url) => {
    const p = fail(() => prepare(bytes, url));
    if (p.error) return Promise.reject(p.error);
    return native.compile.call(self, p.source).then((module) => remember(module, p.info));
  };
  const instantiate = (self, args, url) => {
    const p = fail(() => prepare(args[0], url));
    if (p.error) return Promise.reject(p.error);
    args[0] = p.source;
    return native.instantiate.apply(self, args).then((r) => (adoptExports(r.instance, remember(r.module, p.info), args[1]), r));
  };
  // Method definitions: not constructible, with the engine's `name` and `length`.
  const hooks = {
    compile(bytes) {
      if (!installed.on) return native.compile.apply(this, arguments);
      return compile(this, bytes);
    },
    instantiate(source, importObject) {
      if (!installed.on) return native.instantiate.apply(this, arguments);
      if (source instanceof NativeModule) return native.instantiate.apply(this, arguments).then((i) => (adoptExports(i, source, importObject), i));
      return instantiate(this, [...arguments]);
    },
    compileStreaming(source) {
      if (!installed.on) return native.compileStreaming.apply(this, arguments);
      if (state.hard) return readResponse(source).then((b) => (b ? compile(this, ...b) : native.compileStreaming.call(this, source)));
      const bytes = cloneBytes(source);
      return native.compileStreaming.apply(this, arguments).then(async (module) => remember(module, prepare(...((await bytes) ?? [])).info));
    },
    instantiateStreaming(source, importObject) {
      if (!installed.on) return native.instantiateStreaming.apply(this, arguments);
      if (state.hard) return readResponse(source).then((b) => (b ? instantiate(this, [b[0], importObject], b[1]) : native.instantiateStreaming.call(this, source, importObject)));
      const bytes = cloneBytes(source);
      return native.instantiateStreaming.apply(this, arguments).then(async (r) => (adoptExports(r.instance, remember(r.module, prepare(...((await bytes) ?? [])).info), importObject), r));
    },
  };
  for (const name of Object.keys(native)) if (native[name]) patch(W, name, { value: hooks[name] });

  // Like the installed Memory: functions whose `prototype` is the engine's own, so objects keep
  // their native prototype and `instanceof` holds both ways.
  const Module = function Module(bytes) {
    if (new.target === undefined) throw new TypeError("WebAssembly.Module: constructor cannot be called without 'new'");
    if (!installed.on) return Reflect.construct(NativeModule, arguments, new.target);
    const p = prepare(bytes);
    const args = [...arguments];
    args[0] = p.source;
    return remember(Reflect.construct(NativeModule, args, new.target), p.info);
  };
  const Instance = function Instance(module, importObject) {
    if (new.target === undefined) throw new TypeError("WebAssembly.Instance: constructor cannot be called without 'new'");
    const instance = Reflect.construct(NativeInstance, arguments, new.target);
    if (installed.on) adoptExports(instance, module, importObject);
    return instance;
  };
  for (const [F, N] of [[Module, NativeModule], [Instance, NativeInstance]]) {
    Object.defineProperty(F, "prototype", { value: N.prototype, writable: false, enumerable: false, configurable: false });
    for (const k of Object.getOwnPropertyNames(N)) {
      if (!(k in F) || k === "length") Object.defineProperty(F, k, Object.getOwnPropertyDescriptor(N, k)); // Module.exports/imports/customSections
    }
    patch(N.prototype, "constructor", { value: F });
    patch(W, N.name, { value: F });
  }
}
