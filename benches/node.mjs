// The benchmarks in Node: `node --expose-gc benches/node.mjs [--quick]` (scripts/bench.sh runs it).
// Prints the table and writes artifacts/bench/node.json.
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { QUICK, runBenchmarks } from "./cases.mjs";
import { PKG, saveEnv } from "./report.mjs";

const { Memory, install, ledger } = await import(pathToFileURL(join(PKG, "node.js")).href);

if (typeof globalThis.gc !== "function") console.warn("warning: gc() is not exposed; run node with --expose-gc");
const fixture = (name) => readFileSync(new URL(`../tests/fixtures/${name}`, import.meta.url));
const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const options = { ...(quick ? QUICK : {}), ...(only ? { only } : {}) };
console.log(`node ${process.version}: running the benchmarks${quick ? " (quick)" : ""}`);
const result = await runBenchmarks({
  Memory,
  install,
  ledger,
  memoryWasm: fixture("memory.wasm"),
  exporterWasm: fixture("exporter.wasm"),
  env: { name: "node", runtime: `Node ${process.version} (V8 ${process.versions.v8})`, cpus: os.cpus().length, platform: `${process.platform}-${process.arch}` },
  log: (line) => console.log(`  [node] ${line}`),
  options,
});
saveEnv("node", result);
