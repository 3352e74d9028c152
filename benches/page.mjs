// The benchmarks in a browser: benches/run.mjs opens benches/page.html?options=<JSON> from its
// local server (COOP/COEP, so the page is cross-origin isolated and the clock is fine-grained).
// Progress goes to window.__benchLog, the result (JSON) to window.__benchResult.
import { runBenchmarks } from "./cases.mjs";

const logEl = document.getElementById("log");
window.__benchLog = [];
const log = (line) => {
  window.__benchLog.push(line);
  logEl.textContent += `${line}\n`;
};
const fixture = async (name) => {
  const r = await fetch(`/tests/fixtures/${name}`);
  if (!r.ok) throw new Error(`fetch ${name}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

try {
  const options = JSON.parse(new URLSearchParams(location.search).get("options") ?? "{}");
  if (options.steps) {
    const { runSteps } = await import("./steps.mjs");
    const steps = await runSteps((file) => import(`/pkg/${file}`), { log, exporterWasm: await fixture("exporter.wasm"), memories: 100 });
    window.__benchResult = JSON.stringify({ steps, env: { runtime: navigator.userAgent } });
    throw "done";
  }
  const { Memory, install, ledger } = await import("/pkg/index.js");
  const [memoryWasm, exporterWasm, growerWasm] = await Promise.all(["memory.wasm", "exporter.wasm", "grower.wasm"].map(fixture));
  const result = await runBenchmarks({
    Memory,
    install,
    ledger,
    memoryWasm,
    exporterWasm,
    growerWasm,
    env: { runtime: navigator.userAgent },
    log,
    // Browsers allow few live memories (Chromium ~120): 100 live, 100 snapshots per operation.
    options: { population: 100, snapshotRepeat: 100, ...options },
  });
  window.__benchResult = JSON.stringify(result);
} catch (e) {
  if (e !== "done") window.__benchResult = JSON.stringify({ error: String(e?.stack ?? e) });
}
