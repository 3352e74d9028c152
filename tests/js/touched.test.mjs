// Issue #21 item 4 in Node, through the built package: `ledger.touched(memory)` counts the pages
// holding a non-zero byte, for every kind of memory, against a plain count over
// `new Uint8Array(memory.buffer)`; it never enters the ledger, refuses what isn't a memory
// without running its code, and gives the same count after the page has replaced built-ins.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const pkgUrl = new URL("../../pkg/node.js", import.meta.url).href;
const { Memory, install, ledger } = await import(pkgUrl);
const PAGE = 65536;
const NativeMemory = WebAssembly.Memory;
const NativeTypeError = TypeError;

/** The reference: pages of `memory` with a non-zero byte, counted in JS over a view. */
function reference(memory) {
  const bytes = new Uint8Array(memory.buffer);
  let n = 0;
  for (let page = 0; page < bytes.length; page += PAGE) {
    for (let i = page; i < page + PAGE; i++) {
      if (bytes[i] !== 0) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** Byte offsets to write: pages 0, 3 and 7 (its first byte, one in the middle, its last byte). */
const SOME = [0, 3 * PAGE + PAGE - 1, 7 * PAGE + 12345];
/** The memories a pattern is checked on: 10 pages each. */
const hasMemory64 = (() => {
  try {
    return typeof new NativeMemory({ address: "i64", initial: 0n }).grow(0n) === "bigint";
  } catch {
    return false;
  }
})();
const NO_MEMORY64 = hasMemory64 ? false : `this engine (Node ${process.versions.node}) has no memory64`;
const kinds = {
  "ponyfill i32": () => new Memory({ initial: 10 }),
  "ponyfill i32 shared": () => new Memory({ initial: 10, maximum: 65536, shared: true }),
  "engine's own i32": () => new NativeMemory({ initial: 10 }),
  "engine's own shared": () => new NativeMemory({ initial: 10, maximum: 12, shared: true }),
  "ponyfill i64": () => new Memory({ address: "i64", initial: 10n }),
  "ponyfill i64 shared": () => new Memory({ address: "i64", initial: 10n, maximum: 20n, shared: true }),
  "engine's own i64 shared": () => new NativeMemory({ address: "i64", initial: 10n, maximum: 262144n, shared: true }),
};
const is64 = (kind) => kind.includes("i64");

for (const [kind, make] of Object.entries(kinds)) {
  test(`touched: ${kind}, no page written, some (first, last and middle bytes), all`, { skip: is64(kind) && NO_MEMORY64 }, () => {
    const memory = make();
    assert.equal(ledger.touched(memory), 0);
    assert.equal(reference(memory), 0);
    const bytes = new Uint8Array(memory.buffer);
    for (const at of SOME) bytes[at] = 1;
    assert.equal(ledger.touched(memory), 3);
    assert.equal(ledger.touched(memory), reference(memory), "the same count again (the cached scan)");
    for (let page = 0; page < 10; page++) bytes[page * PAGE + ((page * 7919) % PAGE)] = 0x80;
    assert.equal(ledger.touched(memory), 10);
    assert.equal(reference(memory), 10);
    // Written back to zero: untouched again (the scan reads bytes, not history).
    bytes.fill(0, 0, 5 * PAGE);
    assert.equal(ledger.touched(memory), reference(memory));
    assert.equal(ledger.touched(memory), 5);
  });
}

test("touched: every single byte position that ends a 16-byte vector, and the page's last byte, is seen", () => {
  const memory = new Memory({ initial: 2 });
  const bytes = new Uint8Array(memory.buffer);
  for (const at of [1, 15, 16, 63, 64, 127, 128, PAGE - 129, PAGE - 16, PAGE - 2, PAGE - 1]) {
    bytes[PAGE + at] = 1;
    assert.equal(ledger.touched(memory), 1, `a byte at ${at} of page 1`);
    bytes[PAGE + at] = 0;
  }
  assert.equal(ledger.touched(memory), 0);
});

test("touched: a memory grown since the last call is read whole (from JS and inside wasm)", () => {
  const memory = new Memory({ initial: 1, maximum: 100 });
  new Uint8Array(memory.buffer)[5] = 1;
  assert.equal(ledger.touched(memory), 1);
  memory.grow(3);
  new Uint8Array(memory.buffer)[3 * PAGE + PAGE - 1] = 2;
  assert.equal(ledger.touched(memory), 2);
  // grower.wasm: (import "js" "mem" (memory 1)), exports grow(delta) -> memory.grow inside wasm.
  const grower = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL("../fixtures/grower.wasm", import.meta.url))), {
    js: { mem: memory },
  });
  grower.exports.grow(2);
  assert.equal(memory.buffer.byteLength, 6 * PAGE);
  new Uint8Array(memory.buffer)[5 * PAGE] = 3;
  assert.equal(ledger.touched(memory), 3);
  assert.equal(ledger.touched(memory), reference(memory));
});

test("touched: a memory of no pages, and one of another realm (a vm context)", () => {
  assert.equal(ledger.touched(new Memory({ initial: 0 })), 0);
  const other = vm.runInNewContext("const m = new WebAssembly.Memory({ initial: 4 }); new Uint8Array(m.buffer)[2 * 65536 + 9] = 1; m");
  assert.ok(!(other instanceof NativeMemory));
  assert.equal(ledger.touched(other), 1);
  assert.equal(ledger.touched(other), reference(other));
});

test("touched: anything but a WebAssembly.Memory is a TypeError naming the argument; a Proxy's traps never run", () => {
  const memory = new Memory({ initial: 1 });
  const table = new WebAssembly.Table({ initial: 1, element: "anyfunc" });
  for (const value of [
    undefined,
    null,
    1,
    "memory",
    {},
    memory.buffer,
    new Uint8Array(4),
    table,
    NativeMemory.prototype,
    Object.create(memory),
  ]) {
    assert.throws(
      () => ledger.touched(value),
      (e) => e instanceof NativeTypeError && e.message === "ledger.touched: the first argument is not a WebAssembly.Memory",
    );
  }
  const trapped = [];
  const handler = new Proxy(
    {},
    {
      get:
        (_, trap) =>
        (...args) => (trapped.push(trap), Reflect[trap](...args)),
    },
  );
  assert.throws(() => ledger.touched(new Proxy(memory, handler)), NativeTypeError);
  assert.deepEqual(trapped, [], "no trap of the Proxy ran");
});

test("touched: under install(), the ledger is the same after as before (records, instances, totals, events); an unledgered memory stays out of it", () => {
  const before = new NativeMemory({ initial: 3 }); // made before install(): not in the ledger
  const off = install();
  const events = [];
  const offs = ["create", "grow", "collect", "budget", "failure"].map((kind) => ledger.on(kind, (e) => events.push(e)));
  try {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 10 });
    // memory.wasm imports js.mem: under install() this instance counts in `instances`.
    const module = new WebAssembly.Module(readFileSync(new URL("../fixtures/memory.wasm", import.meta.url)));
    const instance = new WebAssembly.Instance(module, { js: { mem: memory } });
    new Uint8Array(memory.buffer)[2 * PAGE] = 1;
    new Uint8Array(before.buffer)[PAGE] = 1;
    const snapshot = ledger.snapshot();
    const mine = snapshot.memories.find((r) => r.id === ledger.idOf(memory));
    assert.equal(mine.instances, 1);
    assert.equal(ledger.idOf(before), -1);
    events.length = 0;
    assert.equal(ledger.touched(memory), 1);
    assert.equal(ledger.touched(before), 1);
    assert.equal(ledger.touched(new Memory({ initial: 0 })), 0); // (that construction's event is its own)
    const after = ledger.snapshot();
    assert.equal(ledger.idOf(before), -1, "touched() put no memory in the ledger");
    // The one memory made in between, taken out of `after` (its count and reservation too).
    const made = after.memories.at(-1);
    const strip = (s) => ({ ...s, memories: s.memories.filter((r) => r.id !== made.id), reservedBytes: undefined, headroom: undefined });
    assert.deepEqual(strip({ ...after, live: after.live - 1, created: after.created - 1 }), strip(snapshot));
    if (made.reserved !== null) assert.equal(after.reservedBytes - made.reserved, snapshot.reservedBytes);
    if (after.headroom !== null) assert.equal(after.headroom.memories + 1, snapshot.headroom.memories);
    assert.equal(after.memories.find((r) => r.id === ledger.idOf(memory)).instances, 1, "the helper's instance is not counted");
    assert.deepEqual(
      events.map((e) => e.type),
      ["create"],
    );
    assert.equal(ledger.diagnostics().abandonedCalls, 0);
    assert.ok(instance);
  } finally {
    for (const f of offs) f();
    off();
  }
});

test("touched: a memory scanned is still collected (its scan is cached weakly), and leaves the ledger", async () => {
  assert.equal(typeof globalThis.gc, "function", "run with node --expose-gc");
  let collected = false;
  const registry = new FinalizationRegistry(() => (collected = true));
  const before = ledger.snapshot().collected;
  (() => {
    const memory = new Memory({ initial: 2 });
    new Uint8Array(memory.buffer)[PAGE] = 1;
    assert.equal(ledger.touched(memory), 1);
    registry.register(memory, 0);
  })();
  for (let i = 0; i < 100 && !(collected && ledger.snapshot().collected > before); i++) {
    await new Promise((r) => setTimeout(r, 10));
    globalThis.gc();
  }
  assert.ok(collected, "the memory was collected");
  assert.ok(ledger.snapshot().collected > before, "and left the ledger");
});

/**
 * Runs `scenario` (the text of a function body returning JSON-able data) in a fresh Node:
 * `before` runs first (before the package loads), then `after` (the page patching built-ins once
 * it has loaded). `write` prints the scenario's result.
 */
function child({ before = "", after = "", scenario }) {
  const source = `
    const PAGE = 65536;
    ${before}
    const { Memory, ledger } = await import(${JSON.stringify(pkgUrl)});
    const NativeMemory = WebAssembly.Memory, NativeTypeError = TypeError;
    const write = process.stdout.write.bind(process.stdout), json = JSON.stringify;
    const U8 = Uint8Array, fresh = (desc, at) => { const m = new Memory(desc); const b = new U8(m.buffer); for (let i = 0; i < at.length; i++) b[at[i]] = 1; return m; };
    ${after}
    let result;
    try { result = { ok: (() => { ${scenario} })() }; } catch (e) { result = { threw: String(e && e.stack || e) }; }
    if (typeof unpatch === "function") unpatch();
    write(json(result) + "\\n");
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", source], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1)));
    });
  });
}

// Memories whose counts the two scenarios below compare: [descriptor, bytes written, count]
// (i64 ones where the engine has memory64).
const PATTERNS = `[
  [{ initial: 10 }, [], 0],
  [{ initial: 10 }, [0, 3 * PAGE + PAGE - 1, 7 * PAGE + 12345], 3],
  [{ initial: 10, maximum: 20, shared: true }, [PAGE - 1, 9 * PAGE + PAGE - 1], 2],
  [{ initial: 3 }, [0, PAGE, 2 * PAGE + 8], 3],${
    hasMemory64
      ? `
  [{ address: "i64", initial: 4n }, [3 * PAGE + 1], 1],
  [{ address: "i64", initial: 3n, maximum: 4n, shared: true }, [PAGE - 1, 2 * PAGE], 2],`
      : ""
  }
]`;

test("touched: where the engine has no SIMD (validate refuses v128), the i64 scan gives the same counts", async () => {
  const r = await child({
    // Before the package loads: its natives are captured with this validate.
    before: `
      let refused = 0;
      const validate = WebAssembly.validate;
      WebAssembly.validate = (bytes) => {
        const b = new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength);
        for (let i = 8; i + 1 < b.length; i++) if (b[i] === 0xfd && b[i + 1] === 0x53) return (refused++, false); // v128.any_true
        return validate(bytes);
      };`,
    scenario: `
      const out = [];
      for (const [desc, at, want] of ${PATTERNS}) out.push([ledger.touched(fresh(desc, at)), want]);
      return { out, refused };`,
  });
  assert.ok(r.ok, r.threw);
  assert.ok(r.ok.refused >= (hasMemory64 ? 4 : 2), `validate was asked about the SIMD module of each shape (${r.ok.refused})`);
  for (const [got, want] of r.ok.out) assert.equal(got, want);
});

test("touched: built-ins the page replaced after load (WebAssembly.*, Instance's exports getter, WeakMap, iterators, call/apply, globals) change nothing", async () => {
  const r = await child({
    after: `
      const boom = (what) => function () { throw new Error("patched " + what); };
      const before = ${PATTERNS}.map(([desc, at]) => ledger.touched(fresh(desc, at)));
      const Instance = WebAssembly.Instance;
      Object.defineProperty(Instance.prototype, "exports", { get: boom("Instance.prototype.exports"), configurable: true });
      const W = {};
      for (const k of ["Memory", "Module", "Instance", "validate", "instantiate", "compile"]) (W[k] = WebAssembly[k]), (WebAssembly[k] = boom("WebAssembly." + k));
      Object.defineProperty(Object.prototype, "", { get: boom("Object.prototype['']"), set: boom("Object.prototype['']"), configurable: true });
      Object.defineProperty(Object.prototype, "t", { get: boom("Object.prototype.t"), set: boom("Object.prototype.t"), configurable: true });
      for (const k of ["get", "set", "has"]) WeakMap.prototype[k] = boom("WeakMap.prototype." + k);
      Array.prototype[Symbol.iterator] = boom("iterator");
      Array.prototype.push = boom("push");
      const F = Function.prototype, saved = [F.call, F.apply, F.bind, Reflect.apply];
      F.call = boom("call");
      F.apply = boom("apply");
      F.bind = boom("bind");
      Reflect.apply = boom("Reflect.apply");
      // (put back before the result is written: Node's own exit calls them, and Node 22's undici
      // compiles its llhttp through the global WebAssembly.instantiate)
      var unpatch = () => { F.call = saved[0]; F.apply = saved[1]; F.bind = saved[2]; Reflect.apply = saved[3]; Object.assign(WebAssembly, W); };
      Object.defineProperty(ArrayBuffer.prototype, "byteLength", { get: boom("byteLength"), configurable: true });
      globalThis.Uint8Array = boom("Uint8Array");
      globalThis.TypeError = boom("TypeError");
      globalThis.WeakMap = boom("WeakMap");`,
    scenario: `
      const patterns = ${PATTERNS};
      const counts = [];
      for (let i = 0; i < patterns.length; i++) counts[i] = ledger.touched(fresh(patterns[i][0], patterns[i][1])); // fresh memories: instantiated while patched
      let error;
      try { ledger.touched({}); } catch (e) { error = [e instanceof NativeTypeError, e.message]; }
      return { before, counts, want: patterns.map((p) => p[2]), error };`,
  });
  assert.ok(r.ok, r.threw);
  assert.deepEqual(r.ok.counts, r.ok.want);
  assert.deepEqual(r.ok.before, r.ok.want);
  assert.deepEqual(r.ok.error, [true, "ledger.touched: the first argument is not a WebAssembly.Memory"]);
});

test("touched: format({ touched: true }) adds each memory's touched pages after pages; format() has no such column", () => {
  const memory = new Memory({ initial: 5 }, { label: "format-touched" });
  const bytes = new Uint8Array(memory.buffer);
  bytes[0] = 1;
  bytes[3 * PAGE + 7] = 1;
  const line = (text) => text.split("\n").find((l) => l.includes("format-touched"));
  const header = (text) => text.split("\n")[0].trim().split(/\s+/);
  const plain = ledger.format(),
    withTouched = ledger.format({ touched: true });
  assert.ok(!header(plain).includes("touched"));
  assert.deepEqual(header(withTouched).slice(3, 6), ["pages", "touched", "peak"]);
  const cells = line(withTouched).trim().split(/\s+/);
  // id, label, definedBy ("-"), pages, touched, peak
  assert.deepEqual(cells.slice(1, 6), ["format-touched", "-", "5", String(ledger.touched(memory)), "5"]);
  assert.equal(ledger.touched(memory), 2);
  assert.equal(line(plain).trim().split(/\s+/).length, cells.length - 1);
});
