// Entry for the runtimes that read files (Node, Deno, Bun): one probe (probe.js), printed as
// "@@limits-result@@ <JSON>". Arguments: shape, cap, ms, and the package directory when the
// ledger's headroom is to be taken first (pkg/node.js). Each probe is a process of its own.
import { probe } from "./probe.js";

const args = globalThis.Deno?.args ?? globalThis.process?.argv?.slice(2) ?? [];
const [shape, cap, pkgDir] = args;
const Native = WebAssembly.Memory;
let result;
try {
  let ledger;
  if (pkgDir) ({ ledger } = await import(new URL("node.js", `file://${pkgDir.replace(/\/?$/, "/")}`).href));
  result = probe(shape, { cap: Number(cap), ledger, Native });
} catch (e) {
  result = { shape, error: String(e?.stack ?? e) };
}
console.log(`@@limits-result@@ ${JSON.stringify(result)}`);
