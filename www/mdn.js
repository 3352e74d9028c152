// Page 1: the MDN WebAssembly.Memory example, run through the package's Memory.
import { Memory, ledger } from "wasm-memory-polyfill";
// The real fixture module (imports js.mem, exports accumulate), emitted by vite as an asset.
import wasmUrl from "../tests/fixtures/memory.wasm?url";

const $ = (id) => document.getElementById(id);
const json = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));

/** Shows an error to the person: its constructor's name and its message. */
function showError(e) {
  $("error").textContent = `${e?.constructor?.name ?? typeof e}: ${e?.message ?? String(e)}`;
}
window.addEventListener("unhandledrejection", (event) => showError(event.reason));

/** Wraps a button's action: clears the last error, and shows any error it throws. */
const action = (fn) => () => {
  $("error").textContent = "";
  try {
    fn();
  } catch (e) {
    showError(e);
  }
};

const memory = new Memory({ initial: 10, maximum: 100 }, { label: "mdn example" });
$("instanceof").textContent = String(memory instanceof WebAssembly.Memory);

/** Shows the memory's current state (size, type, ledger record). */
function render() {
  $("byte-length").textContent = memory.buffer.byteLength;
  $("type").textContent = json(memory.type());
  const id = ledger.idOf(memory);
  $("record").textContent = JSON.stringify(
    ledger.snapshot().memories.find((m) => m.id === id),
    null,
    2,
  );
}

/** memory.grow(delta), then shows what it returned and what became of the old buffer. */
function grow(delta) {
  const old = memory.buffer;
  const oldSize = memory.grow(delta); // throws on bad input or past the maximum: shown, not swallowed
  $("old-size").textContent = oldSize;
  $("old-detached").textContent =
    old.byteLength === 0 ? "detached (its byteLength is now 0)" : `NOT detached (byteLength ${old.byteLength})`;
  render();
}

$("grow").addEventListener(
  "click",
  action(() => grow(1)),
);
$("grow-by").addEventListener(
  "click",
  action(() => {
    // An empty (or unparsable) field is passed as undefined: the package's TypeError says so.
    const raw = $("grow-delta").value.trim();
    grow(raw === "" ? undefined : Number(raw));
  }),
);

render();
try {
  const { instance } = await WebAssembly.instantiateStreaming(fetch(wasmUrl), { js: { mem: memory } });
  new Uint32Array(memory.buffer).set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  $("sum").textContent = instance.exports.accumulate(0, 10);
} catch (e) {
  $("sum").textContent = "failed";
  showError(e);
}
