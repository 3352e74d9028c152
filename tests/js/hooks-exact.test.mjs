// install()'s compile paths against the engine's own (issue #20): the built package (pkg/) in
// Node, differential. Every module is compiled by the engine's own functions (captured before
// install()) and through the hooks, with and without a hard budget, on every compile path:
// the outcome, the error's class and its message must be the engine's (a budget's RangeError
// only where the engine accepts the module and the budget leaves a memory less than its
// minimum). Module bytes of every BufferSource kind are held to a tight budget; a clamp comes
// from sizes read at compile time; built-ins a page patches after load change nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import vm from "node:vm";
import {
  HEAD,
  Malformed,
  ModuleGen,
  bufferSources,
  definedMemories,
  responseKinds,
  wasmResponse,
  growerModule,
  leb,
  limits,
  moduleFeatures,
  oneMemory,
  section,
  str,
} from "../fuzz/modules.mjs";

const N = {
  validate: WebAssembly.validate,
  compile: WebAssembly.compile,
  Module: WebAssembly.Module,
  Instance: WebAssembly.Instance,
  instantiate: WebAssembly.instantiate,
  compileStreaming: WebAssembly.compileStreaming,
  instantiateStreaming: WebAssembly.instantiateStreaming,
};
const { install, ledger } = await import("../../pkg/node.js");
const PKG = new URL("../../pkg/node.js", import.meta.url).href;

// ---------------------------------------------------------------- running the paths

const PATHS = {
  validate: (W, b) => W.validate(b),
  compile: (W, b) => W.compile(b),
  Module: (W, b) => new W.Module(b),
  "instantiate(bytes)": (W, b, imports) => W.instantiate(b, imports),
  compileStreaming: (W, b) => W.compileStreaming(wasmResponse(b)),
  instantiateStreaming: (W, b, imports) => W.instantiateStreaming(wasmResponse(b), imports),
};

async function outcome(f) {
  try {
    const value = await f();
    return { ok: true, value };
  } catch (e) {
    return { ok: false, cls: e?.constructor?.name ?? typeof e, message: e?.message, error: e };
  }
}
const show = (o) => (o.ok ? `ok (${o.value === true || o.value === false ? o.value : typeof o.value})` : `${o.cls}: ${o.message}`);

/** Memories for the imports a module of ModuleGen declares (its ground truth), made by the engine. */
function importsFor(m) {
  const js = {};
  for (const mem of m?.memories ?? []) {
    if (!mem.imported) continue;
    const t = mem.type,
      v = (x) => (t.address === "i64" ? BigInt(x) : x);
    const d = {
      initial: v(t.min),
      ...(t.address === "i64" ? { address: "i64" } : {}),
      ...(t.max !== undefined ? { maximum: v(t.max) } : {}),
      ...(t.shared ? { shared: true } : {}),
    };
    try {
      js[mem.name] = new N.Memory(d);
    } catch {
      // a type this engine can't make: the module fails to link, natively and installed alike
    }
  }
  return { js: { ...js, mem: new N.Memory({ initial: 0 }) } };
}
N.Memory = WebAssembly.Memory;

const hex = (b) => `[${Array.from(b).join(",")}]`;

/**
 * Every path, natively and installed (with `budget`, or none); returns the problems. Under a
 * hard budget of `perMemoryPages: cap`, a module the engine accepts is refused only when a
 * defined memory (64 KiB pages) has a minimum past the cap.
 */
async function compare(bytes, imports, cap, streaming, problems, label) {
  for (const [path, run] of Object.entries(PATHS)) {
    if (!streaming && path.includes("Streaming")) continue;
    const native = await outcome(() => run(N, bytes, imports));
    const off = install();
    let ours;
    try {
      ours = await outcome(() => run(WebAssembly, bytes, imports));
    } finally {
      off();
    }
    const refusable =
      cap !== undefined && path !== "validate" && native.ok !== false
        ? definedMemories(bytes).some((d) => d.log2 === 16 && d.min > BigInt(cap))
        : false;
    const linkOnly = native.ok === false && native.cls !== "CompileError" && path.startsWith("instantiate"); // a LinkError/TypeError of the imports
    if (refusable && !ours.ok && ours.cls === "RangeError" && /would exceed the hard budget perMemoryPages/.test(ours.message)) continue;
    if (refusable && linkOnly && !ours.ok && ours.cls === "RangeError") continue;
    const same =
      native.ok === ours.ok &&
      (native.ok ? path !== "validate" || native.value === ours.value : native.cls === ours.cls && native.message === ours.message);
    if (!same) problems.push(`${label} ${path}: engine ${show(native)}, installed ${show(ours)}; bytes ${hex(bytes)}`);
  }
}

test("thousands of malformed and invalid modules: every compile path gives the engine's outcome, error class and message, with and without a hard budget", async () => {
  const features = moduleFeatures();
  const gen = new ModuleGen(20, features);
  const bad = new Malformed(2020);
  const problems = [];
  const counts = { cases: 0, engineRejects: 0, compared: 0 };
  ledger.setBudget(null);
  for (let i = 0; i < 2000; i++) {
    let bytes, m;
    const kind = i % 3;
    if (kind === 0) {
      m = gen.module();
      bytes = gen.chance(0.5) ? gen.mutate(m.bytes) : m.bytes;
    } else {
      bytes = bad.module();
    }
    counts.cases++;
    if (!N.validate(bytes)) counts.engineRejects++;
    const imports = importsFor(m);
    for (const cap of [undefined, 3]) {
      ledger.setBudget(cap === undefined ? null : { perMemoryPages: cap, mode: "hard" });
      try {
        await compare(
          bytes,
          imports,
          cap,
          i % 3 === 0,
          problems,
          `case ${i}${cap === undefined ? "" : ` (hard budget perMemoryPages ${cap})`}`,
        );
      } finally {
        ledger.setBudget(null);
      }
      counts.compared += i % 3 === 0 ? 6 : 4;
    }
    if (problems.length > 20) break;
  }
  assert.deepEqual(problems, [], problems.slice(0, 10).join("\n"));
  assert.ok(counts.engineRejects > 1200, `most cases are modules the engine rejects (${JSON.stringify(counts)})`);
});

// ---------------------------------------------------------------- every BufferSource

const GROWER = growerModule(oneMemory(1, 100));

/** Byte copies of GROWER in every kind of BufferSource this engine might take (another realm's:
 * a vm context's), made fresh, plus a Node Buffer. */
function sources() {
  const list = bufferSources(GROWER, vm.runInNewContext("globalThis"));
  list["a Node Buffer (pooled, at an offset)"] = () => Buffer.from(GROWER);
  return list;
}

test("module bytes of every BufferSource kind: the engine's outcome, and under a tight hard budget lowered, ledgered and held inside wasm", async () => {
  const problems = [];
  let held = 0;
  for (const [name, make] of Object.entries(sources())) {
    for (const path of ["compile", "Module", "instantiate(bytes)"]) {
      const native = await outcome(() => PATHS[path](N, make(), {}));
      ledger.setBudget({ perMemoryPages: 4, mode: "hard" });
      const off = install();
      try {
        const ours = await outcome(() => PATHS[path](WebAssembly, make(), {}));
        if (native.ok !== ours.ok || (!native.ok && (native.cls !== ours.cls || native.message !== ours.message))) {
          problems.push(`${name}, ${path}: engine ${show(native)}, installed ${show(ours)}`);
          continue;
        }
        if (!ours.ok) continue;
        const instance = path === "instantiate(bytes)" ? ours.value.instance : new WebAssembly.Instance(ours.value);
        const memory = instance.exports.memory;
        const record = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(memory));
        const grows = [instance.exports.grow(10), instance.exports.grow(3), instance.exports.grow(1), instance.exports.size()];
        if (!record || record.maximum !== 4 || record.requestedMaximum !== 100 || !record.bounded || grows.join() !== "-1,1,-1,4") {
          problems.push(`${name}, ${path}: record ${JSON.stringify(record)}, grow(10), grow(3), grow(1), size: ${grows}`);
        } else held++;
      } finally {
        off();
        ledger.setBudget(null);
      }
    }
  }
  assert.deepEqual(problems, [], problems.join("\n"));
  assert.ok(held >= 30, `${held} compiled and held`);
});

test("a detached BufferSource is the engine's CompileError on every path, with and without a budget", async () => {
  const detached = () => {
    const b = GROWER.slice().buffer;
    structuredClone(b, { transfer: [b] });
    return b;
  };
  const viewOfDetached = () => {
    const b = GROWER.slice().buffer;
    const v = new Uint8Array(b, 2, 5);
    structuredClone(b, { transfer: [b] });
    return v;
  };
  const problems = [];
  for (const make of [detached, viewOfDetached]) {
    for (const budget of [null, { perMemoryPages: 4, mode: "hard" }]) {
      for (const path of ["validate", "compile", "Module", "instantiate(bytes)"]) {
        const native = await outcome(() => PATHS[path](N, make(), {}));
        ledger.setBudget(budget);
        const off = install();
        const ours = await outcome(() => PATHS[path](WebAssembly, make(), {}));
        off();
        ledger.setBudget(null);
        if (show(native) !== show(ours))
          problems.push(`${make.name} ${path} ${JSON.stringify(budget)}: engine ${show(native)}, installed ${show(ours)}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("a module compiled after another memory grew inside wasm gets its clamp from the sizes of now", async () => {
  // Earlier tests' memories collected first, so that none is collected (and its pages freed) below.
  let live = -1;
  for (let i = 0; i < 20 && live !== ledger.snapshot().livePages; i++) {
    live = ledger.snapshot().livePages;
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  const off = install();
  try {
    // From here on synchronous: no collection between the grow and the next compile.
    ledger.setBudget({ totalPages: live + 10, mode: "hard" });
    const a = new WebAssembly.Instance(new WebAssembly.Module(growerModule(oneMemory(1))));
    assert.equal(a.exports.grow(7), 1, "grown inside wasm to 8 pages, which the ledger has not read");
    const b = new WebAssembly.Instance(new WebAssembly.Module(growerModule(oneMemory(1))));
    const rb = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(b.exports.memory));
    assert.equal(rb.maximum, 2, "10 - 8 pages remain");
    assert.equal(b.exports.grow(2), -1);
    assert.equal(b.exports.grow(1), 1);
    assert.equal(a.exports.grow(1), 8, "a was compiled with room for 10");
    // Now nothing remains: the next module is refused, from sizes read at its compile.
    assert.throws(
      () => new WebAssembly.Module(growerModule(oneMemory(1))),
      (e) => e instanceof RangeError && e.message.includes(`totalPages = ${live + 10}`),
    );
    await assert.rejects(WebAssembly.compile(growerModule(oneMemory(1))), RangeError);
  } finally {
    ledger.setBudget(null);
    off();
  }
});

test("the budget's refusal is reported (one budget event) only for a module the engine accepts", async () => {
  const events = [];
  const offEvents = ledger.on("budget", (e) => events.push(e));
  const off = install();
  try {
    ledger.setBudget({ perMemoryPages: 2, mode: "hard" });
    events.length = 0;
    // Valid, minimum 5: refused by the budget, reported once.
    assert.throws(
      () => new WebAssembly.Module(growerModule(oneMemory(5, 10))),
      (e) =>
        e instanceof RangeError &&
        /compiling a module \(its memory 0\) would exceed the hard budget perMemoryPages = 2 \(it would make it 5\)/.test(e.message),
    );
    assert.equal(events.length, 1);
    assert.equal(events[0].refused, true);
    // Minimum 5 but invalid elsewhere (a code section cut short): the engine's CompileError, no event.
    const broken = growerModule(oneMemory(5, 10)).slice(0, -3);
    const native = (() => {
      try {
        new N.Module(broken);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(native instanceof WebAssembly.CompileError);
    assert.throws(
      () => new WebAssembly.Module(broken),
      (e) => e instanceof WebAssembly.CompileError && e.message === native.message,
    );
    await assert.rejects(
      WebAssembly.compile(broken),
      (e) => e instanceof WebAssembly.CompileError && e.message === native.message.replace("WebAssembly.Module()", "WebAssembly.compile()"),
    );
    assert.equal(events.length, 1, "no event for a module the engine rejects");
  } finally {
    off();
    offEvents();
    ledger.setBudget(null);
  }
});

test("what the caller or a listener does to the bytes after the call changes nothing: the engine compiles what the hooks read", async () => {
  // A module of maximum 3, within the budget's 4: compiled as it is (no rewrite), then the
  // caller's bytes are changed to maximum 100 at once, and by a listener of the grow event the
  // compile's size reading emits.
  const bytes = growerModule(oneMemory(1, 3));
  const section = [5, 4, 1, 1, 1, 3]; // id, size, count, flags (a maximum), minimum, maximum
  const maxAt = bytes.findIndex((_, i) => section.every((b, k) => bytes[i + k] === b)) + 5;
  assert.ok(maxAt > 5, "found the memory section");
  const other = new WebAssembly.Instance(new N.Module(growerModule(oneMemory(1))));
  const off = install();
  const offGrow = ledger.on("grow", () => (bytes[maxAt] = 100));
  try {
    const adopted = new WebAssembly.Instance(new WebAssembly.Module(growerModule(oneMemory(1)))); // ledgered
    ledger.setBudget({ perMemoryPages: 4, mode: "hard" });
    adopted.exports.grow(1); // inside wasm: the next compile's size reading reports it (a grow event)
    const pending = WebAssembly.compile(bytes);
    bytes[maxAt] = 100;
    const instance = new WebAssembly.Instance(await pending);
    assert.equal(instance.exports.grow(2), 1, "maximum 3 as read");
    assert.equal(instance.exports.grow(1), -1);
    bytes[maxAt] = 3;
    // A module invalid past its memory section (a cut code section) that the budget rewrites,
    // made valid by the caller right after the call: the engine's error for the bytes as they were.
    const broken = growerModule(oneMemory(1, 100)).slice(0, -3);
    const nativeError = await N.compile(broken).catch((e) => e);
    const copy = broken.slice();
    const ours = WebAssembly.compile(copy);
    copy.set(growerModule(oneMemory(1, 100)).subarray(0, copy.length));
    const error = await ours.catch((e) => e);
    assert.ok(error instanceof WebAssembly.CompileError);
    assert.equal(error.message, nativeError.message);
  } finally {
    offGrow();
    off();
    ledger.setBudget(null);
  }
  assert.ok(other.exports.memory);
});

// ---------------------------------------------------------------- streaming

test("the streaming APIs: the engine's answer to every Response, with and without a hard budget", async () => {
  const problems = [];
  const responses = responseKinds(GROWER);
  for (const [name, make] of Object.entries(responses)) {
    for (const f of ["compileStreaming", "instantiateStreaming"]) {
      const native = await outcome(() => N[f](make(), {}));
      for (const budget of [null, { perMemoryPages: 4, mode: "hard" }]) {
        ledger.setBudget(budget);
        const off = install();
        const ours = await outcome(() => WebAssembly[f](make(), {}));
        off();
        ledger.setBudget(null);
        if (show(native) !== show(ours))
          problems.push(`${name}, ${f}, ${budget ? "hard budget" : "no budget"}: engine ${show(native)}, installed ${show(ours)}`);
        else if (ours.ok && budget) {
          const module = f === "compileStreaming" ? ours.value : ours.value.module;
          const instance = f === "compileStreaming" ? new N.Instance(module) : ours.value.instance;
          if (instance.exports.grow(4) !== -1 || instance.exports.grow(3) !== 1) problems.push(`${name}, ${f}: not held to the budget`);
        }
      }
    }
  }
  assert.deepEqual(problems, [], problems.join("\n"));
});

// ---------------------------------------------------------------- patched built-ins

test("built-ins a page patches after load neither break the hooks nor pass the budget", () => {
  // In a process of its own: the patches would break the test runner.
  const code = `
    const { install, ledger } = await import(${JSON.stringify(PKG)});
    const grower = new Uint8Array(${hex(GROWER)});
    const invalid = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 2, 1]);
    const anArrayBuffer = grower.slice().buffer;
    const ab = () => anArrayBuffer;
    const off = install();
    ledger.setBudget({ perMemoryPages: 4, mode: "hard" });
    await WebAssembly.compileStreaming(new Response(grower, { headers: { "content-type": "application/wasm" } })); // loads undici first
    await new Promise((r) => setTimeout(r, 200)); // (which compiles its llhttp wasm meanwhile)
    const response = new Response(grower, { headers: { "content-type": "application/wasm" } }); // made before the patches: undici's constructor uses them
    const TA = Object.getPrototypeOf(Uint8Array.prototype);
    // No push, no for-of, no fresh index from here on: what the script itself does must survive the patches too.
    const saved = new Array(64).fill(null);
    let nSaved = 0;
    const patch = (o, k, d) => ((saved[nSaved++] = [o, k, Object.getOwnPropertyDescriptor(o, k)]), Object.defineProperty(o, k, { __proto__: null, configurable: true, ...d }));
    const boom = (what) => function () { throw new Error("patched " + what + " was called"); };
    const patches = process.argv.at(-1).split(",");
    const streams = !["then", "iterator", "getters", "setters", "globals"].some((p) => patches.includes(p));
    const ArrayIterator = Object.getPrototypeOf([][Symbol.iterator]());
    const all = {
      set: () => (patch(Uint8Array.prototype, "set", { value: boom("Uint8Array.prototype.set") }), patch(TA, "set", { value: boom("%TypedArray%.prototype.set") })),
      // Node's own compileStreaming calls then, and undici and its streams use iterators, typed
      // arrays' getters, the globals and Object.prototype as they are (natively too): the
      // streaming path is left out where those are patched.
      then: () => patch(Promise.prototype, "then", { value: boom("Promise.prototype.then"), writable: true }),
      wrappedThen: () => { const then = Promise.prototype.then; patch(Promise.prototype, "then", { value: function (f, r) { return then.call(this, f, r); }, writable: true }); },
      iterator: () => (patch(Array.prototype, Symbol.iterator, { value: boom("Array.prototype[Symbol.iterator]") }), patch(ArrayIterator, "next", { value: boom("%ArrayIteratorPrototype%.next") })),
      reflect: () => (patch(Reflect, "apply", { value: boom("Reflect.apply") }), patch(Reflect, "construct", { value: boom("Reflect.construct") })),
      getters: () => ["buffer", "byteOffset"].forEach((k) => patch(TA, k, { get: () => new ArrayBuffer(1) })),
      validate: () => patch(WebAssembly, "validate", { value: () => true }),
      setters: () => ["0", "1", "2", "get", "set", "value", "then"].forEach((k) => patch(Object.prototype, k, { set: boom("a setter on Object.prototype"), get: () => undefined })),
      globals: () => ["Uint8Array", "ArrayBuffer", "Float64Array", "DataView", "WeakMap", "TypedArray", "Response", "TextDecoder"].forEach((k) => patch(globalThis, k, { value: boom(k), writable: true })),
      weakmap: () => (patch(WeakMap.prototype, "get", { value: boom("WeakMap.prototype.get") }), patch(WeakMap.prototype, "set", { value: boom("WeakMap.prototype.set") })),
      headers: () => patch(Headers.prototype, "get", { value: () => "application/wasm" }),
    };
    for (let i = 0; i < patches.length; i++) all[patches[i]](); // (no for-of from here on: the iterator may be patched)
    const compiled = [null, null, null, null];
    let nCompiled = 0;
    let errors = "";
    const expectError = async (f, want) => {
      try { await f(); errors += "accepted an invalid module; "; } catch (e) { if (!(e instanceof WebAssembly.CompileError) || !String(e.message).includes(want)) errors += String(e) + "; "; }
    };
    try {
      const add = (m) => (compiled[nCompiled++] = m);
      add(new WebAssembly.Module(ab()));
      add(await WebAssembly.compile(grower));
      if (streams) add(await WebAssembly.compileStreaming(response));
      // instantiate(bytes) makes an instance, whose memories adopt.js and tracking.js enter in
      // the ledger: they still use WeakMap.prototype.set and Array.prototype.push as they are.
      if (!patches.includes("weakmap") && !patches.includes("setters")) {
        const r = await WebAssembly.instantiate(grower);
        compiled[nCompiled++] = r.module;
      }
      await expectError(() => new WebAssembly.Module(invalid), "WebAssembly.Module(): shared memory must have a maximum defined");
      await expectError(() => WebAssembly.compile(invalid), "WebAssembly.compile(): shared memory must have a maximum defined");
    } catch (e) {
      errors += "a hook threw " + e + "\\n" + e.stack;
    }
    for (let i = nSaved - 1; i >= 0; i--) { const o = saved[i][0], k = saved[i][1], d = saved[i][2]; d ? Object.defineProperty(o, k, { __proto__: null, ...d }) : delete o[k]; }
    const held = compiled.slice(0, nCompiled).map((m) => { const i = new WebAssembly.Instance(m); return [i.exports.grow(10), i.exports.grow(3), i.exports.grow(1), ledger.idOf(i.exports.memory) >= 0].join(); });
    off();
    console.log(JSON.stringify({ held, errors }));
  `;
  const groups = [
    "set",
    "then",
    "wrappedThen",
    "iterator",
    "reflect",
    "getters",
    "validate",
    "setters",
    "globals",
    "weakmap",
    "headers",
    "set,wrappedThen,iterator,reflect,getters,validate,headers",
  ];
  for (const group of groups) {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code, group], { encoding: "utf8", timeout: 60000 });
    const last = r.stdout.trim().split("\n").at(-1) ?? "";
    let out;
    try {
      out = JSON.parse(last);
    } catch {
      assert.fail(`patches ${group}: ${r.stdout}\n${r.stderr.split("\n").slice(-12).join("\n").slice(-3000)}`);
    }
    assert.equal(out.errors, "", `patches ${group}`);
    const streams = !/\bthen\b|iterator|getters|setters|globals/.test(group);
    const expected = 4 - (group === "weakmap" || group === "setters") - !streams;
    assert.equal(out.held.length, expected, `patches ${group}: every path compiled`);
    for (const h of out.held)
      assert.equal(h, "-1,1,-1,true", `patches ${group}: lowered to the budget (grow(10), grow(3), grow(1), ledgered)`);
  }
});

test("a module's memories are ledgered with the type its bytes declare, its name as definedBy (the crossing is numbers only)", async () => {
  const off = install();
  try {
    // (module $codec (memory (export "é mem") 2 7)) with a name section.
    const name = section(0, [...str("name"), 0, ...leb(str("codec").length), ...str("codec")]);
    const bytes = new Uint8Array([...HEAD, ...section(5, oneMemory(2, 7)), ...section(7, [1, ...str("é mem"), 2, 0]), ...name]);
    const { instance } = await WebAssembly.instantiate(bytes);
    const defined = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(instance.exports["é mem"]));
    assert.equal(defined.definedBy, "codec");
    assert.equal(defined.maximum, 7);
    assert.equal(defined.origin, "exported");
    // A module importing a shared memory made elsewhere, and re-exporting it.
    const importer = new Uint8Array([
      ...HEAD,
      ...section(2, [1, ...str("env"), ...str("mémoire"), 2, ...limits(1, 9, 2)]),
      ...section(7, [1, ...str("re"), 2, 0]),
    ]);
    const shared = new N.Memory({ initial: 1, maximum: 9, shared: true });
    const r = await WebAssembly.instantiate(importer, { env: { mémoire: shared } });
    assert.equal(r.instance.exports.re, shared);
    const received = ledger.snapshot().memories.find((x) => x.id === ledger.idOf(shared));
    assert.equal(received.origin, "received");
    assert.equal(received.shared, true);
    // An own `url` is not the Response's: definedBy stays null, as the engine's getter says "".
    const streamed = await WebAssembly.instantiateStreaming(
      Object.defineProperty(wasmResponse(growerModule(oneMemory(1, 3))), "url", { value: "https://example.com/x.wasm" }),
    );
    const record = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(streamed.instance.exports.memory));
    assert.equal(record.maximum, 3);
    assert.equal(record.definedBy, null);
  } finally {
    off();
  }
});
