// The MDN WebAssembly.Memory example, run in Node through the built package, saying what it does.
import { readFileSync } from "node:fs";
import { Memory, ledger } from "../pkg/node.js";

const memory = new Memory({ initial: 10, maximum: 100 }, { label: "mdn example" });
console.log(
  "new Memory({ initial: 10, maximum: 100 }) ->",
  memory.buffer.byteLength,
  "bytes; instanceof WebAssembly.Memory:",
  memory instanceof WebAssembly.Memory,
);
const bytes = readFileSync(new URL("../tests/fixtures/memory.wasm", import.meta.url));
const { instance } = await WebAssembly.instantiate(bytes, { js: { mem: memory } });
new Uint32Array(memory.buffer).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
console.log("accumulate(0, 10) ->", instance.exports.accumulate(0, 10));
const old = memory.buffer;
console.log("memory.grow(1) ->", memory.grow(1), "; old buffer byteLength now", old.byteLength, "(detached)");
console.log("memory.type() ->", memory.type());
console.log("ledger.snapshot() ->", JSON.stringify(ledger.snapshot(), null, 2));
