// The built package (pkg/) in Node, through its Node entry, as a user imports it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const { Memory, install, ledger } = await import("../../pkg/node.js");
const wasm = (name) => readFileSync(new URL(`../fixtures/${name}.wasm`, import.meta.url));

test("the MDN example runs through the Node entry", async () => {
  const memory = new Memory({ initial: 10, maximum: 100 });
  const { instance } = await WebAssembly.instantiate(wasm("memory"), { js: { mem: memory } });
  new Uint32Array(memory.buffer).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(instance.exports.accumulate(0, 10), 45);
  assert.equal(memory.grow(1), 10);
  assert.deepEqual(memory.type(), { address: "i32", maximum: 100, minimum: 11, shared: false });
});

test("errors are real TypeError/RangeError naming the field and the limit", () => {
  assert.throws(
    () => new Memory({ initial: -1 }),
    (e) => e instanceof TypeError && /initial -1/.test(e.message) && /4294967295/.test(e.message),
  );
  assert.throws(
    () => new Memory({ initial: 65537 }),
    (e) => e instanceof RangeError && /65537/.test(e.message) && /65536/.test(e.message),
  );
  assert.throws(
    () => new Memory({ initial: 2, maximum: 1 }),
    (e) => e instanceof RangeError && /maximum 1 is below initial 2/.test(e.message),
  );
  // the module still works after every refusal (no trap)
  assert.equal(new Memory({ initial: 1 }).buffer.byteLength, 65536);
});

test("collected memories leave the ledger (FinalizationRegistry); the ledger keeps none alive", async () => {
  assert.equal(typeof globalThis.gc, "function", "run with node --expose-gc");
  const ours = new Set();
  const collected = new Set();
  const off = ledger.on("collect", (e) => collected.add(e.id));
  const base = ledger.snapshot().live;
  (() => {
    for (let i = 0; i < 300; i++) ours.add(ledger.idOf(new Memory({ initial: 1 })));
  })();
  assert.equal(ours.size, 300);
  assert.equal(ledger.snapshot().live, base + 300);
  // snapshot() derefs each memory's WeakRef, which keeps it alive until the end of that job:
  // collect in a fresh job, then look in the next one.
  const tick = () => new Promise((r) => setTimeout(r, 10));
  const remaining = () => [...ours].filter((id) => !collected.has(id)).length;
  for (let i = 0; i < 100 && remaining() > 0; i++) {
    await tick();
    globalThis.gc();
    await tick();
  }
  off();
  assert.equal(remaining(), 0, "every dropped memory was collected and left the ledger");
  const live = new Set(ledger.snapshot().memories.map((r) => r.id));
  assert.ok([...ours].every((id) => !live.has(id)));
  assert.ok(ledger.snapshot().live <= base);
});

test("captureStacks records where a memory was made", () => {
  ledger.options({ captureStacks: true });
  const m = new Memory({ initial: 0 });
  ledger.options({ captureStacks: false });
  const rec = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(m));
  assert.match(rec.stack, /package\.test\.mjs/);
  const n = new Memory({ initial: 0 });
  assert.equal(ledger.snapshot().memories.find((r) => r.id === ledger.idOf(n)).stack, null, "off by default");
});

test("install() in Node: WebAssembly.Memory is ours until uninstalled, exported memories are ledgered", async () => {
  const Native = WebAssembly.Memory;
  const off = install();
  try {
    assert.notEqual(WebAssembly.Memory, Native);
    const m = new WebAssembly.Memory({ initial: 1, maximum: 2 });
    assert.deepEqual(m.type(), { address: "i32", maximum: 2, minimum: 1, shared: false });
    assert.ok(ledger.idOf(m) >= 0);
    const { instance } = await WebAssembly.instantiate(wasm("exporter"));
    const rec = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(instance.exports.memory));
    assert.equal(rec.origin, "exported");
    assert.equal(rec.maximum, 10);
  } finally {
    off();
  }
  assert.equal(WebAssembly.Memory, Native);
  assert.equal(WebAssembly.Memory.prototype.type, undefined);
});
