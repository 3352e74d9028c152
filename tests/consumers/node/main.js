// Node ESM consumer: the ponyfill first (no global changes), then `wasm-memory-polyfill/auto`.
// Prints one JSON line; tests/consumers/run.mjs asserts it.
import { readFileSync } from "node:fs";
import { Memory, ledger } from "wasm-memory-polyfill";

const NativeMemory = WebAssembly.Memory;
const bytes = readFileSync(process.argv[2]);
const out = { resolved: import.meta.resolve("wasm-memory-polyfill") };

const memory = new Memory({ initial: 10, maximum: 100 }, { label: "mdn" });
const { instance } = await WebAssembly.instantiate(bytes, { js: { mem: memory } });
new Uint32Array(memory.buffer).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
out.sum = instance.exports.accumulate(0, 10);
out.isMemory = memory instanceof WebAssembly.Memory;
out.grow = memory.grow(1);
out.type = memory.type();
out.live = ledger.snapshot().live;
out.label = ledger.snapshot().memories.find((m) => m.id === ledger.idOf(memory))?.label ?? null;
// share(): its code is loaded by the first call; sharing never keeps the process alive
const stop = ledger.share({ name: "page" });
for (let i = 0; i < 250 && ledger.realms().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
out.realms = ledger.realms().map((r) => r.name);
stop();
out.globalUntouched = WebAssembly.Memory === NativeMemory && NativeMemory.prototype.type === undefined;

const auto = await import("wasm-memory-polyfill/auto");
out.autoResolved = import.meta.resolve("wasm-memory-polyfill/auto");
out.autoSameLedger = auto.ledger === ledger;
out.installed = WebAssembly.Memory !== NativeMemory;
const plain = new WebAssembly.Memory({ initial: 1 });
out.autoType = plain.type();
out.autoCounted = ledger.idOf(plain) >= 0;
out.autoLive = ledger.snapshot().live;
console.log(JSON.stringify(out));
