// install(), the instantiate hooks and uninstall, run after the page has replaced the built-ins
// they would otherwise reach (array methods and iterators, globals, the buffer getters): every
// result must be what it is with the built-ins untouched. Each case runs in a child process
// of its own, so a patch can never leak into another test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const pkg = new URL("../../pkg/node.js", import.meta.url).href;
const exporter = fileURLToPath(new URL("../fixtures/exporter.wasm", import.meta.url));
const memoryWasm = fileURLToPath(new URL("../fixtures/memory.wasm", import.meta.url));

/**
 * Runs `body` (the text of an async function of `patch`) in a fresh Node: the package loaded,
 * then `patch()` replaces the built-ins, then the scenario. Prints the scenario's result as JSON.
 */
function run(patches, scenario) {
  const source = `
    import { readFileSync } from "node:fs";
    const { install, ledger, Memory } = await import(${JSON.stringify(pkg)});
    const exporterBytes = readFileSync(${JSON.stringify(exporter)});
    const memoryBytes = readFileSync(${JSON.stringify(memoryWasm)});
    // Importing a shared memory: (module (memory (import "js" "mem") 1 4 shared)).
    const sharedImporterBytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 2, 12, 1, 2, 106, 115, 3, 109, 101, 109, 2, 3, 1, 4]);
    const NativeMemory = WebAssembly.Memory;
    const out = JSON.stringify;
    const write = process.stdout.write.bind(process.stdout);
    // The scenario's own helpers, written so that they reach none of the patched built-ins.
    const find = (list, f) => { for (let i = 0; i < list.length; i++) if (f(list[i])) return list[i]; };
    const add = (list, x) => { list[list.length] = x; };
    const scenario = async () => { ${scenario} };
    const patch = () => { ${patches} };
    let result;
    if (process.argv.includes("--patched")) patch();
    try { result = { ok: await scenario() }; } catch (e) { result = { threw: \`\${e && e.name}: \${e && e.message} \${e && e.stack}\` }; }
    write(out(result) + "\\n");
  `;
  const once = (patched) =>
    new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ["--input-type=module", "-e", source, "--", ...(patched ? ["--patched"] : [])],
        { timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`${error.message}\n${stderr}`));
          else resolve(JSON.parse(stdout.trim().split("\n").at(-1)));
        },
      );
    });
  return Promise.all([once(false), once(true)]);
}

// What install() and the hooks must not reach once the app has run.
const ARRAY_AND_GLOBALS = `
  const boom = (what) => function () { throw new Error("patched " + what); };
  for (const k of ["push", "map", "filter", "forEach", "includes", "splice", "reverse", "indexOf", "slice", "concat"])
    Object.defineProperty(Array.prototype, k, { value: boom(k), configurable: true, writable: true });
  Object.defineProperty(Array.prototype, Symbol.iterator, { value: boom("iterator"), configurable: true, writable: true });
  Object.defineProperty(ArrayBuffer.prototype, "byteLength", { get: boom("byteLength"), configurable: true });
  Object.defineProperty(Object.prototype, "get", { get: boom("Object.prototype.get"), configurable: true });
  globalThis.Number = boom("Number");
  globalThis.String = boom("String");
  globalThis.SharedArrayBuffer = boom("SharedArrayBuffer");
  globalThis.TypeError = boom("TypeError");
  Reflect.construct = boom("Reflect.construct");
  Object.prototype.toString = boom("toString");
  FinalizationRegistry.prototype.register = boom("register");
  WeakMap.prototype.get = boom("WeakMap get");
  WeakMap.prototype.set = boom("WeakMap set");
`;

test("install(), an instance exporting its memory and uninstall, with array methods, iterators and globals replaced after load: results as with them untouched", async () => {
  const [clean, patched] = await run(
    ARRAY_AND_GLOBALS,
    `
    const off = install();
    const installed = WebAssembly.Memory !== NativeMemory;
    const { instance } = await WebAssembly.instantiate(exporterBytes);
    const sync = new WebAssembly.Instance(new WebAssembly.Module(exporterBytes));
    const m = instance.exports.memory;
    const before = find(ledger.snapshot().memories, (r) => r.id === ledger.idOf(m));
    instance.exports.grow(3);
    const own = new WebAssembly.Memory({ initial: 1, maximum: 3 });
    own.grow(1);
    const s = ledger.snapshot();
    const after = find(s.memories, (r) => r.id === ledger.idOf(m));
    const type = own.type();
    off();
    return {
      installed,
      exported: { origin: before.origin, pages: before.pages, maximum: before.maximum, instances: before.instances },
      grownInsideWasm: after.pages,
      syncInstanceLedgered: ledger.idOf(sync.exports.memory) >= 0,
      constructed: { pages: find(s.memories, (r) => r.id === ledger.idOf(own)).pages, type },
      restored: WebAssembly.Memory === NativeMemory && WebAssembly.Memory.prototype.constructor === NativeMemory,
    };
  `,
  );
  assert.ok(clean.ok, JSON.stringify(clean));
  assert.deepEqual(clean.ok.exported, { origin: "exported", pages: 2, maximum: 10, instances: 1 });
  assert.equal(clean.ok.grownInsideWasm, 5);
  assert.deepEqual(patched, clean);
});

test("an instance importing a memory the ledger doesn't hold, with the buffer getters and SharedArrayBuffer replaced after load: received, at its true size, shared or not", async () => {
  const [clean, patched] = await run(
    ARRAY_AND_GLOBALS,
    `
    const plain = new WebAssembly.Memory({ initial: 1 });
    const shared = new WebAssembly.Memory({ initial: 2, maximum: 4, shared: true });
    const off = install();
    const seen = [];
    const receive = async (bytes, mem) => {
      await WebAssembly.instantiate(bytes, { js: { mem } });
      const r = find(ledger.snapshot().memories, (x) => x.id === ledger.idOf(mem));
      add(seen, { origin: r.origin, pages: r.pages, shared: r.shared, instances: r.instances });
    };
    await receive(memoryBytes, plain);
    await receive(sharedImporterBytes, shared);
    off();
    return seen;
  `,
  );
  assert.ok(clean.ok, JSON.stringify(clean));
  assert.deepEqual(clean.ok, [
    { origin: "received", pages: 1, shared: false, instances: 1 },
    { origin: "received", pages: 2, shared: true, instances: 1 },
  ]);
  assert.deepEqual(patched, clean);
});
