// Only a side-effect import: the bundler must keep it (package.json "sideEffects").
import "wasm-memory-polyfill/auto";

const result = {};
try {
  const M = WebAssembly.Memory;
  result.replaced = M !== window.__nativeMemory;
  result.hasType = typeof M.prototype.type === "function";
  const memory = new M({ initial: 1, maximum: 2 });
  result.type = memory.type();
  result.isNativeMemory = memory instanceof window.__nativeMemory;
} catch (e) {
  result.error = String((e && e.stack) || e);
}
document.getElementById("result").textContent = JSON.stringify(result);
window.__result = result;
