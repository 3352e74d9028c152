// Entry for the runtimes that read files (Node, Deno, Bun): runs the suite natively and under the
// package (pkg/node.js, or the pkg directory given as the first argument) and prints one line:
// "@@engines-result@@ <JSON>". Started by run.mjs.
import { runAll } from "./driver.js";

const args = globalThis.Deno?.args ?? globalThis.process?.argv?.slice(2) ?? [];
const pkgDir = args[0] ? new URL(`file://${args[0].replace(/\/?$/, "/")}`) : new URL("../../pkg/", import.meta.url);
const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : `node ${process.version}`;

let result;
try {
  result = await runAll(() => import(new URL("node.js", pkgDir).href));
} catch (e) {
  result = { error: `the driver threw: ${e?.stack ?? e}`, runs: {} };
}
result.runtime = runtime;
console.log(`@@engines-result@@ ${JSON.stringify(result)}`);
