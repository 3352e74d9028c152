// "See it": real programs from npm under install(), with the overlay mounted. The budget comes
// from the query string (?budget=2048&mode=hard) and is set before the programs compile, so the
// memories their modules define are bounded by it.
import { install, ledger } from "wasm-memory-polyfill";
import { mountOverlay } from "wasm-memory-polyfill/overlay";

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const budget = query.has("budget") ? query.get("budget") : "2048";
const mode = query.get("mode") === "soft" ? "soft" : "hard";
$("budget").value = budget;
$("mode").value = mode;

install();
if (budget !== "") ledger.setBudget({ totalPages: Number(budget), mode });
const unmount = mountOverlay();

const showError = (e) => ($("error").textContent = `${e?.constructor?.name ?? typeof e}: ${e?.message ?? String(e)}`);
window.addEventListener("unhandledrejection", (event) => showError(event.reason));
/** A button's action: shows what it threw, and the ledger as text afterwards. */
const action = (fn) => async () => {
  $("error").textContent = "";
  try {
    await fn();
  } catch (e) {
    showError(e);
  }
  $("format").textContent = ledger.format();
};

// The programs, loaded after install() and the budget. brotli-wasm fetches its module next to
// its JS and compiles it with instantiateStreaming; hash-wasm compiles its inlined module on the
// first hash (a small one now, so its clamp is set while the page is still small).
const brotli = await (await import("brotli-wasm")).default;
const { argon2id } = await import("hash-wasm");
const argon = (mib) =>
  argon2id({
    password: "correct horse battery staple",
    salt: new Uint8Array(16).fill(7),
    parallelism: 1,
    iterations: 1,
    memorySize: mib * 1024,
    hashLength: 16,
    outputType: "hex",
  });
await argon(1);

/** Text of `bytes` bytes that compresses about as well as source code does. */
function text(bytes, seed = 1) {
  const words = ["memory", "grow", "ledger", "budget", "page", "wasm", "instance", "module", "export", "import", "buffer", "table"];
  const out = new Uint8Array(bytes);
  let x = seed,
    at = 0;
  while (at < bytes) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = `${words[x % words.length]}${x % 7 === 0 ? `${x % 1000}` : ""}${x % 13 === 0 ? "\n" : " "}`;
    for (let i = 0; i < w.length && at < bytes; i++) out[at++] = w.charCodeAt(i);
  }
  return out;
}

async function compress() {
  const mib = Number($("size").value);
  const input = text(mib << 20);
  const t = performance.now();
  const out = brotli.compress(input, { quality: Number($("quality").value) });
  $("compressed").textContent = `${mib} MiB → ${(out.length / 1024).toFixed(0)} KiB in ${(performance.now() - t).toFixed(0)} ms`;
  return out.length;
}

async function hash() {
  const mib = Number($("argon-memory").value);
  const t = performance.now();
  const key = await argon(mib);
  $("hashed").textContent = `${key.slice(0, 16)}… with ${mib} MiB in ${(performance.now() - t).toFixed(0)} ms`;
  return key;
}

const held = [];
function allocate() {
  const memory = new WebAssembly.Memory({ initial: 256 }); // a RangeError past a hard budget
  ledger.label(memory, `scratch ${held.length + 1}`);
  held.push(memory);
  $("held").textContent = held.length;
}

$("compress").addEventListener("click", action(compress));
$("hash").addEventListener("click", action(hash));
$("allocate").addEventListener("click", action(allocate));
$("drop").addEventListener(
  "click",
  action(() => ((held.length = 0), ($("held").textContent = 0))),
);
$("format").textContent = ledger.format();

// For tests/demo/run.mjs and the console.
window.demo = { ledger, unmount, compress, hash, allocate, ready: true };
