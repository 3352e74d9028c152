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
  assert.throws(() => new Memory({ initial: -1 }), (e) => e instanceof TypeError && /initial -1/.test(e.message) && /4294967295/.test(e.message));
  assert.throws(() => new Memory({ initial: 65537 }), (e) => e instanceof RangeError && /65537/.test(e.message) && /65536/.test(e.message));
  assert.throws(() => new Memory({ initial: 2, maximum: 1 }), (e) => e instanceof RangeError && /maximum 1 is below initial 2/.test(e.message));
  // the module still works after every refusal (no trap)
  assert.equal(new Memory({ initial: 1 }).buffer.byteLength, 65536);
});
