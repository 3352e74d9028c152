// The overlay (pkg/overlay.js) in this browser, with the package installed: it renders in its
// shadow root, follows a grow made inside wasm, names a streamed module by its URL, collapses,
// and unmounts cleanly (element gone, watcher stopped); marks and instance counts work. Leaves
// `[{ name, status, message }]` as JSON in window.__overlayResult for run.mjs.
const results = [];
const check = (name, ok, message = "") =>
  results.push({ name: `overlay: ${name}`, status: ok ? "pass" : "fail", message: ok ? "" : String(message) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Waits up to `ms` for `f()`; returns the milliseconds it took, or -1. */
async function within(ms, f) {
  const t0 = performance.now();
  while (!f()) {
    if (performance.now() - t0 > ms) return -1;
    await sleep(20);
  }
  return performance.now() - t0;
}
const errors = [];
addEventListener("error", (e) => errors.push(e.message));
addEventListener("unhandledrejection", (e) => errors.push(String(e.reason)));

try {
  const { install, ledger } = await import("/pkg/index.js");
  const { mountOverlay } = await import("/pkg/overlay.js");
  install();
  // exporter.wasm: defines and exports a 2-page memory (maximum 10); its `grow` grows it inside wasm.
  const url = new URL("/tests/fixtures/exporter.wasm", location.href).href;
  const { instance } = await WebAssembly.instantiateStreaming(fetch(url));
  const memory = instance.exports.memory;
  const unmount = mountOverlay({ corner: "top-left" });
  const el = document.querySelector("wasm-memory-ledger");
  const root = el?.shadowRoot;
  check(
    "renders in an open shadow root",
    root?.mode === "open" && root.getElementById("summary") !== null && el.getAttribute("corner") === "top-left",
  );
  const summary = () => root?.getElementById("summary")?.textContent ?? "";
  check("shows the live memory", (await within(2000, () => summary() === "1 live · 2 pages")) >= 0, summary());
  const row = () => root?.querySelector(`#largest tr[data-id="${ledger.idOf(memory)}"]`)?.textContent ?? "";
  check("names a streamed module's memory by its URL", row().includes(url), row());
  instance.exports.grow(3); // inside wasm: no JS call on the memory
  // Nothing reads the ledger meanwhile: the overlay's own watcher must show it (5 s: a hang guard).
  const ms = await within(5000, () => summary() === "1 live · 5 pages");
  check("shows a grow made inside wasm on its own (its watcher)", ms >= 0, `still ${summary()} after 5 s`);
  // What the memories reserve and the headroom, by the engine's profile (or "unknown").
  const reserve = root?.getElementById("reserve")?.textContent ?? "";
  const own = ledger.snapshot();
  check(
    "shows the reserved address space and the headroom",
    own.reservedBytes === null
      ? reserve === "reserved: unknown on this engine"
      : /^reserved \d+(\.\d\d)? [KMGT]?i?B · headroom (\d+ memories \(\d+(\.\d\d)? [KMGT]?i?B\)|unknown)$/.test(reserve),
    reserve,
  );
  const rec = ledger.snapshot().memories.find((m) => m.id === ledger.idOf(memory));
  check("definedBy and instances in the ledger", rec?.definedBy === url && rec.instances === 1, JSON.stringify(rec));
  const button = root?.querySelector("button");
  button?.click();
  const collapsed = button?.getAttribute("aria-expanded") === "false" && root.getElementById("body").hidden;
  button?.click();
  check(
    "collapses and expands with its button",
    collapsed && button.getAttribute("aria-expanded") === "true" && !root.getElementById("body").hidden,
  );
  performance.clearMarks();
  ledger.setMarks(true);
  memory.grow(1);
  ledger.setMarks(false);
  const marks = performance.getEntriesByName("wasm-memory:grow", "mark").map((m) => m.detail);
  check(
    "setMarks: a grow is a performance mark with the event as detail",
    marks.length === 1 && marks[0].to === 6 && marks[0].source === "js",
    JSON.stringify(marks),
  );
  // A module compiled under a hard budget: its memory (declared maximum 10) is clamped to 4, and
  // growing it inside wasm to 4 is a budget hit the overlay lists ("reached"), by its watcher.
  ledger.setBudget({ perMemoryPages: 4, mode: "hard" });
  const bounded = (await WebAssembly.instantiateStreaming(fetch(url))).instance;
  const boundedGrow = [bounded.exports.grow(2), bounded.exports.grow(1)];
  const hits = () => root?.getElementById("hits")?.textContent ?? "";
  const reachedMs = await within(5000, () => hits().includes("reached"));
  check(
    "lists a memory grown inside wasm to its budget clamp among the budget hits",
    boundedGrow.join() === "2,-1" &&
      reachedMs >= 0 &&
      hits().includes(`reached: ${url} at its clamp, 4 pages (perMemoryPages; asked for 10)`),
    `${boundedGrow} | ${hits()}`,
  );
  ledger.setBudget(null);
  // Where the model knows how many more memories the engine grants (Chromium, Firefox), make
  // them until it refuses: the refusal is listed with what the ledger held.
  const room = ledger.snapshot().headroom;
  if (room !== null && room.memories < 5000) {
    const held = [];
    let refusal = null;
    for (let i = 0; i < room.memories + 100 && refusal === null; i++) {
      try {
        held.push(new WebAssembly.Memory({ initial: 1 }));
      } catch (e) {
        refusal = e;
      }
    }
    const live = ledger.snapshot().live;
    held.length = 0;
    const listed = await within(5000, () => hits().includes("engine refused: construct of 1 page ("));
    check(
      "lists the engine's refusal of a construction with what the ledger held",
      refusal !== null && listed >= 0 && hits().includes(`(${live} live,`),
      `${refusal} | ${live} live | ${hits()}`,
    );
  }
  const heard = [];
  const off = ledger.on("grow", (e) => heard.push(e.source));
  unmount();
  check("unmount removes the element", document.querySelector("wasm-memory-ledger") === null);
  instance.exports.grow(1);
  await sleep(1200); // the watcher read sizes every 250 ms while mounted
  const whileUnmounted = heard.length;
  ledger.snapshot(); // a size read finds the grow now
  off();
  check(
    "unmount stops the watcher",
    whileUnmounted === 0 && heard.join() === "wasm",
    `${whileUnmounted} events while unmounted; then ${heard.join()}`,
  );
  check("no uncaught errors", errors.length === 0, errors.join(" | "));
} catch (e) {
  check("runs", false, e?.stack ?? e);
}
window.__overlayResult = JSON.stringify(results);
