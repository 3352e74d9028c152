// The source tree runs as it ships: js/node.js imported as it is, unbundled (src/js/*.js and
// generated/, where scripts/build.sh puts wasm-bindgen's glue and the wasm, by their real paths).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const { Memory, install, ledger } = await import("../../js/node.js");
const wasm = (name) => readFileSync(new URL(`../fixtures/${name}.wasm`, import.meta.url));

test("the source's Node entry constructs, grows and ledgers a memory", () => {
  const memory = new Memory({ initial: 1, maximum: 4 }, { label: "source" });
  assert.equal(memory.grow(2), 1);
  assert.deepEqual(memory.type(), { address: "i32", maximum: 4, minimum: 3, shared: false });
  const s = ledger.snapshot();
  const record = s.memories.find((m) => m.id === ledger.idOf(memory));
  assert.equal(record.label, "source");
  assert.equal(record.pages, 3);
  assert.equal(record.grows, 1);
  assert.ok(s.livePages >= 3);
});

test("the source's install() ledgers a module's memory", async () => {
  const uninstall = install();
  try {
    const before = ledger.snapshot().created;
    const memory = new WebAssembly.Memory({ initial: 10, maximum: 100 });
    const { instance } = await WebAssembly.instantiate(wasm("memory"), { js: { mem: memory } });
    new Uint32Array(memory.buffer).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(instance.exports.accumulate(0, 10), 45);
    assert.equal(ledger.snapshot().created, before + 1);
    assert.ok(ledger.idOf(memory) >= 0);
  } finally {
    uninstall();
  }
});
