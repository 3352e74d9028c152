// The browser side of the benchmarks: loads the package's browser entry (top-level await) and
// the fixtures, and exposes `runBench(options)` for benches/chromium.mjs (page.evaluate).
import { Memory, install, ledger } from "/pkg/index.js";
import { runBenchmarks } from "./cases.mjs";

const fixture = async (name) => {
  const r = await fetch(`/tests/fixtures/${name}`);
  if (!r.ok) throw new Error(`fetch ${name}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};
const [memoryWasm, exporterWasm] = await Promise.all([fixture("memory.wasm"), fixture("exporter.wasm")]);
const logEl = document.getElementById("log");

// Smaller batches than Node: V8 in Chromium allows only ~124 live memories per renderer, so
// more samples (each with a macrotask turn, and often a gc()) per timed ms: shorter rounds.
const BROWSER = { time: 30, warmupTime: 15, batch: { construct: 20, mdn: 10, instantiate: 20 } };

window.runBench = (options = {}) =>
  runBenchmarks({
    Memory,
    install,
    ledger,
    memoryWasm,
    exporterWasm,
    env: { name: "chromium", runtime: navigator.userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent, cpus: navigator.hardwareConcurrency },
    log: (line) => {
      console.log(line);
      logEl.textContent += `${line}\n`;
    },
    options: { ...BROWSER, ...options, batch: { ...BROWSER.batch, ...options.batch } },
  });
window.benchReady = true;
