// The benchmarks in a runtime that reads files (Node, Deno, Bun): started by benches/run.mjs as
// `<runtime> benches/cli.mjs <pkg dir> '<options JSON>'`. Logs progress lines and ends with one
// line, "@@bench-result@@ <JSON>".
import { runBenchmarks } from "./cases.mjs";

const args = globalThis.Deno?.args ?? globalThis.process?.argv?.slice(2) ?? [];
const pkgDir = new URL(`file://${args[0].replace(/\/?$/, "/")}`);
const options = JSON.parse(args[1] ?? "{}");
const { readFileSync } = await import("node:fs");
const fixture = (name) => readFileSync(new URL(`../tests/fixtures/${name}`, import.meta.url));
const runtime = globalThis.Deno
  ? `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`
  : globalThis.Bun
    ? `Bun ${Bun.version} (JavaScriptCore)`
    : `Node ${process.version} (V8 ${process.versions.v8})`;
// gc(): Node and Deno with --expose-gc; Bun has its own.
const gc = typeof globalThis.gc === "function" ? globalThis.gc : globalThis.Bun ? () => Bun.gc(true) : undefined;

let result;
try {
  if (options.steps) {
    const { runSteps } = await import("./steps.mjs");
    const steps = await runSteps((file) => import(new URL(file, pkgDir).href), {
      log: (line) => console.log(line),
      exporterWasm: fixture("exporter.wasm"),
      memories: 10000,
    });
    result = { steps, env: { runtime } };
  } else {
    const { Memory, install, ledger } = await import(new URL("node.js", pkgDir).href);
    result = await runBenchmarks({
      Memory,
      install,
      ledger,
      gc,
      memoryWasm: fixture("memory.wasm"),
      exporterWasm: fixture("exporter.wasm"),
      growerWasm: fixture("grower.wasm"),
      env: { runtime },
      log: (line) => console.log(line),
      options,
    });
  }
} catch (e) {
  result = { error: String(e?.stack ?? e) };
}
console.log(`@@bench-result@@ ${JSON.stringify(result)}`);
