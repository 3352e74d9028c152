// The MDN WebAssembly.Memory example through the package's browser/bundler entry (same as ../vite).
import { Memory, ledger } from "wasm-memory-polyfill";

const result = {};
try {
  const memory = new Memory({ initial: 10, maximum: 100 }, { label: "mdn" });
  const { instance } = await WebAssembly.instantiateStreaming(fetch("memory.wasm"), { js: { mem: memory } });
  new Uint32Array(memory.buffer).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  result.sum = instance.exports.accumulate(0, 10);
  result.isMemory = memory instanceof WebAssembly.Memory;
  result.grow = memory.grow(1);
  result.type = memory.type();
  const snapshot = ledger.snapshot();
  result.live = snapshot.live;
  result.label = snapshot.memories.find((m) => m.id === ledger.idOf(memory))?.label ?? null;
  // share(): the sharing code is a chunk of its own, loaded by the first call
  const stop = ledger.share({ name: "page" });
  for (let i = 0; i < 250 && ledger.realms().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  result.realms = ledger.realms().map((r) => r.name);
  stop();
  // a ponyfill import changes no global
  result.globalUntouched = typeof WebAssembly.Memory.prototype.type === "undefined";
} catch (e) {
  result.error = String((e && e.stack) || e);
}
document.getElementById("result").textContent = JSON.stringify(result);
window.__result = result;
