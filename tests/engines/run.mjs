// Runs our WebAssembly.Memory conformance suite (tests/engines/conformance.js) on every engine:
// Node 20 (the machine's node), Node 22/24/26, Deno, Bun, Chromium, Firefox and WebKitGTK
// (installed by scripts/engines.sh), each time against the engine's own constructor, the
// package's ponyfill `Memory`, and the package installed (`install()`).
//
//   node tests/engines/run.mjs [--only deno,bun,webkitgtk] [--pkg DIR]
//
// Prints per engine the native / ponyfill / installed figures, the cases where the engine differs
// from the spec and the package is right, and every case the package fails; writes
// artifacts/engines.md (table) and artifacts/engines.json (everything). Ends with
// "engines: N passed, M failed", counting the package's cases (skips don't count; an engine that
// couldn't run counts as one failure). In the browsers it also checks the overlay entry
// (overlay.html/overlay.js), and in every engine `ledger.touched()` (touched.js): those cases
// count too. Every process and temporary profile it starts is gone when it ends, also on
// failure or timeout.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  cleanup,
  cliEngines,
  closeServer,
  runPages,
  serve,
  runnerOptions,
  startProcess,
  stopProcess,
  version,
  withTimeout,
} from "../browsers.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const here = join(root, "tests/engines");
const started = Date.now();

// ---------------------------------------------------------------- arguments

const { pkgDir, only } = runnerOptions(root);

const ENGINE_TIMEOUT = Number(process.env.WMP_ENGINE_TIMEOUT_MS) || 90_000; // one engine, all three runs
const WATCHDOG = 330_000; // the whole run

const ENGINES = [
  ...cliEngines(root, [root, pkgDir]),
  { id: "chromium", kind: "chromium", label: "Chromium", bin: "/usr/bin/chromium" },
  { id: "firefox", kind: "firefox", label: "Firefox", bin: "/usr/bin/firefox-esr" },
  { id: "webkitgtk", kind: "webkit", label: "WebKitGTK", bin: "WebKitWebDriver" },
];
const selected = only ? ENGINES.filter((e) => only.includes(e.id)) : ENGINES;
if (only) {
  const unknown = only.filter((id) => !ENGINES.some((e) => e.id === id));
  if (unknown.length) {
    console.error(`unknown engine(s): ${unknown.join(", ")}; known: ${ENGINES.map((e) => e.id).join(", ")}`);
    process.exit(2);
  }
}

// ---------------------------------------------------------------- running one engine
// (processes, profiles, the server and the browsers: ../browsers.mjs, shared with tests/realms)

function parseResult(text, what) {
  const data = JSON.parse(text);
  if (!data || typeof data !== "object") throw new Error(`${what}: no result`);
  return data;
}

async function runCli(engine) {
  if (!existsSync(engine.bin)) throw new Error(`${engine.bin} is missing: run scripts/engines.sh`);
  const ver = version(engine.bin);
  const p = startProcess(engine.id, engine.bin, [...engine.args, join(here, "cli.mjs"), pkgDir], {
    cwd: here,
    env: { ...process.env, ...(engine.env ?? {}) },
  });
  let out = "";
  let err = "";
  p.child.stdout.on("data", (d) => (out += d));
  p.child.stderr.on("data", (d) => (err += d));
  try {
    const code = await withTimeout(new Promise((r) => p.child.on("close", r)), ENGINE_TIMEOUT, engine.label);
    const line = out.split("\n").find((l) => l.startsWith("@@engines-result@@ "));
    if (!line) throw new Error(`exited ${code} with no result; stderr: ${err.trim().split("\n").slice(-5).join(" | ")}`);
    return { version: ver, ...parseResult(line.slice("@@engines-result@@ ".length), engine.label) };
  } finally {
    await stopProcess(p);
  }
}

async function runBrowser(engine, base) {
  // The suite, then the overlay entry on its own page, in one browser.
  const {
    version: v,
    texts: [text, overlay],
  } = await runPages(
    engine.id,
    [
      { url: `${base}/tests/engines/page.html`, resultVar: "__enginesResult" },
      { url: `${base}/tests/engines/overlay.html`, resultVar: "__overlayResult" },
    ],
    { timeout: ENGINE_TIMEOUT },
  );
  return { version: v, ...parseResult(text, engine.label), overlay: JSON.parse(overlay) };
}

// ---------------------------------------------------------------- reporting

const count = (results = []) => ({
  passed: results.filter((r) => r.status === "pass").length,
  failed: results.filter((r) => r.status === "fail").length,
  skipped: results.filter((r) => r.status === "skip").length,
  total: results.length,
});
const figures = (c) => `${String(c.passed).padStart(3)} pass ${String(c.failed).padStart(3)} fail ${String(c.skipped).padStart(3)} skip`;

/** Cases the engine fails natively and the package (ponyfill and installed alike) passes. */
function engineDiffers(runs) {
  const byName = (list) => new Map((list ?? []).map((r) => [r.name, r]));
  const pony = byName(runs.ponyfill);
  const inst = byName(runs.installed);
  return (runs.native ?? [])
    .filter((r) => r.status === "fail" && pony.get(r.name)?.status === "pass" && inst.get(r.name)?.status === "pass")
    .map((r) => r.name);
}

/** Every case the engine fails natively; "(package too)" where the package doesn't fix it. */
function nativeFailures(r) {
  return (r.runs.native ?? [])
    .filter((x) => x.status === "fail")
    .map((x) => (r.differs.includes(x.name) ? x.name : `${x.name} (package too)`));
}

// ---------------------------------------------------------------- main

const watchdog = setTimeout(() => {
  console.log(`not ok - the whole run took longer than ${WATCHDOG / 1000} s`);
  console.log(`engines: ${totalPassed} passed, ${totalFailed + 1} failed`);
  process.exit(1);
}, WATCHDOG);

let totalPassed = 0;
let totalFailed = 0;
const report = [];

if (!existsSync(join(pkgDir, "node.js")) || !existsSync(join(pkgDir, "index.js"))) {
  console.log(`not ok - no built package in ${pkgDir} (run scripts/build.sh)`);
  console.log("engines: 0 passed, 1 failed");
  process.exit(1);
}

let server;
try {
  const needsServer = selected.some((e) => e.kind !== "cli");
  server = needsServer
    ? await serve([
        ["/pkg/", pkgDir],
        ["/tests/engines/", here],
        ["/tests/fixtures/", join(root, "tests/fixtures")],
      ])
    : undefined;
  const base = server ? `http://127.0.0.1:${server.address().port}` : "";

  for (const engine of selected) {
    const t0 = Date.now();
    let data;
    let error;
    try {
      const run = engine.kind === "cli" ? runCli : runBrowser;
      data = await withTimeout(run(engine, base), ENGINE_TIMEOUT + 60_000, engine.label);
      if (data.error) error = data.error;
    } catch (e) {
      error = e?.message ?? String(e);
    }
    const runs = data?.runs ?? {};
    const native = count(runs.native);
    const ponyfill = count(runs.ponyfill);
    const installed = count(runs.installed);
    const differs = engineDiffers(runs);
    const packageFails = ["ponyfill", "installed"].flatMap((kind) =>
      (runs[kind] ?? []).filter((r) => r.status === "fail").map((r) => ({ kind, ...r })),
    );
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const versionText = (data?.version || data?.runtime || "?").replace(/^deno (\S+) .*/, "$1");

    console.log(`\n== ${engine.label} (${versionText}) ${secs} s`);
    if (error) console.log(`  ERROR: ${error}`);
    if (data?.features) {
      const on = Object.entries(data.features)
        .filter(([, v]) => v === true)
        .map(([k]) => k);
      console.log(`  features:  ${on.join(", ") || "none"}`);
    }
    console.log(`  native     ${figures(native)}`);
    console.log(`  ponyfill   ${figures(ponyfill)}`);
    console.log(`  installed  ${figures(installed)}`);
    if (differs.length) {
      console.log("  engine differs from the spec, the package is right:");
      for (const n of differs) console.log(`    - ${n}`);
    }
    const nativeOnlyFails = (runs.native ?? []).filter((r) => r.status === "fail" && !differs.includes(r.name));
    if (nativeOnlyFails.length) {
      console.log("  engine fails natively, and the package does too (see below):");
      for (const r of nativeOnlyFails) console.log(`    - ${r.name}`);
    }
    if (packageFails.length) {
      console.log("  the package fails:");
      for (const r of packageFails) console.log(`    x [${r.kind}] ${r.name}: ${r.message}`);
    }
    // A failure counts when the package fails a case the engine passes natively (a drop-in never
    // fails where the engine succeeds). Where the engine fails the same case natively and the
    // package passes its behaviour on, it is listed ("not corrected": docs/engines.md, artifacts/engines.md)
    // but is the engine's deviation, not a regression.
    const nativeFailed = new Set(nativeOnlyFails.map((r) => r.name));
    const regressions = packageFails.filter((r) => !nativeFailed.has(r.name)).length;
    const uncorrected = packageFails.length - regressions;
    if (uncorrected) console.log(`  ${uncorrected} failing case(s) are the engine's own (it fails them natively): not counted`);
    // The overlay entry (browsers): every case counts.
    const overlay = count(data?.overlay);
    if (overlay.total) console.log(`  overlay    ${figures(overlay)}`);
    for (const r of (data?.overlay ?? []).filter((x) => x.status === "fail")) console.log(`    x ${r.name}: ${r.message}`);
    // ledger.touched() (touched.js): every case counts.
    const touched = count(runs.touched);
    if (touched.total) console.log(`  touched    ${figures(touched)}`);
    for (const r of (runs.touched ?? []).filter((x) => x.status === "fail")) console.log(`    x ${r.name}: ${r.message}`);
    const enginePassed = ponyfill.passed + installed.passed + overlay.passed + touched.passed;
    const engineFailed = regressions + overlay.failed + touched.failed + (error ? 1 : 0);
    totalPassed += enginePassed;
    totalFailed += engineFailed;
    report.push({
      id: engine.id,
      label: engine.label,
      version: versionText,
      seconds: Number(secs),
      error,
      features: data?.features,
      native,
      ponyfill,
      installed,
      differs,
      packageFails,
      runs,
    });
  }
} finally {
  clearTimeout(watchdog);
  await closeServer(server);
  await cleanup();
}

// ---- artifacts/engines.md and engines.json

const cell = (c) => (c.total ? `${c.passed}/${c.total - c.skipped}${c.skipped ? ` (${c.skipped} skipped)` : ""}` : "n/a");
const md = [
  "# WebAssembly.Memory conformance, per engine",
  "",
  `Our suite (tests/engines/conformance.js), run by \`node tests/engines/run.mjs\` on ${new Date().toISOString().slice(0, 10)}.`,
  'Figures are passed / run (skipped cases need an engine feature it lacks). "Package" is the',
  "ponyfill `Memory` and the installed `WebAssembly.Memory`. The last column lists the cases the",
  'engine itself fails, i.e. where it differs from the spec; "(package too)" marks those the',
  "package doesn't correct on that engine.",
  "",
  "| engine | version | native passed/total | package passed/total (ponyfill; installed) | engine differs from the spec |",
  "| --- | --- | --- | --- | --- |",
  ...report.map(
    (r) =>
      `| ${r.label} | ${r.version.replace(/\|/g, "/")} | ${cell(r.native)} | ${cell(r.ponyfill)}; ${cell(r.installed)} | ${
        r.error ? `**did not run: ${r.error.replace(/\|/g, "/").slice(0, 200)}** ` : ""
      }${nativeFailures(r).join("; ") || (r.error ? "" : "none")} |`,
  ),
  "",
];
const failing = report.flatMap((r) => r.packageFails.map((f) => `- ${r.label}, ${f.kind}: **${f.name}**: ${f.message}`));
md.push("## Cases the package fails", "", ...(failing.length ? failing : ["None."]), "");
mkdirSync(join(root, "artifacts"), { recursive: true });
writeFileSync(join(root, "artifacts/engines.md"), md.join("\n"));
writeFileSync(join(root, "artifacts/engines.json"), JSON.stringify(report, null, 1));

console.log(`\nwrote artifacts/engines.md (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
console.log(`engines: ${totalPassed} passed, ${totalFailed} failed`);
process.exitCode = totalFailed ? 1 : 0;
