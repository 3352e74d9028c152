// Failures explained, for instances, in headless Chromium, Firefox and WebKitGTK (page.js): an
// instance refused for want of memory, provoked natively (live memories held until the engine
// refuses one), keeps the engine's error and says what the ledger knows, on every instantiate
// path. The browsers are driven as tests/engines drives them (../browsers.mjs).
//
//   node tests/failures/run.mjs [--only chromium,firefox,webkitgtk] [--pkg DIR]
//
// Prints "ok - [browser] check" / "not ok - [browser] check: detail" and ends with
// "failures: N passed, M failed". Every process and profile it starts is gone when it ends.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup, closeServer, runPage, runnerOptions, serve, withTimeout } from "../browsers.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { pkgDir, only } = runnerOptions(root);
const PAGE_TIMEOUT = 60_000;

// The size of each memory held: one page where the engine runs out of address space for memories
// (V8, SpiderMonkey); a gigabyte where it counts the memory asked for (JavaScriptCore).
const BROWSERS = [
  { id: "chromium", pages: 1 },
  { id: "firefox", pages: 1 },
  { id: "webkitgtk", pages: 16384 },
].filter((b) => !only || only.includes(b.id));

let passed = 0,
  failed = 0;
const report = (where, name, ok, detail = "") => {
  ok ? passed++ : failed++;
  console.log(`${ok ? "ok" : "not ok"} - [${where}] ${name}${ok || !detail ? "" : `: ${detail}`}`);
};

let server;
try {
  if (!existsSync(join(pkgDir, "index.js"))) throw new Error(`no built package in ${pkgDir} (run scripts/build.sh)`);
  server = await serve([
    ["/pkg/", pkgDir],
    ["/tests/failures/", join(root, "tests/failures")],
  ]);
  const base = `http://127.0.0.1:${server.address().port}`;
  for (const { id, pages } of BROWSERS) {
    const t0 = Date.now();
    try {
      const { version, text } = await withTimeout(
        runPage(id, `${base}/tests/failures/page.html?pages=${pages}`, { resultVar: "__failuresResult", timeout: PAGE_TIMEOUT }),
        PAGE_TIMEOUT + 60_000,
        id,
      );
      const { checks } = JSON.parse(text);
      console.log(`# ${version}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const c of checks) report(id, c.name, c.ok, c.detail);
    } catch (e) {
      report(id, "the page gives a result", false, e?.message ?? String(e));
    }
  }
} catch (e) {
  report("run", "the run completes", false, e?.stack ?? String(e));
} finally {
  await closeServer(server);
  await cleanup();
}
console.log(`failures: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
