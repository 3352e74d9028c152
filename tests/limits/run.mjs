// The reservation model against the engines: in each engine the test command runs, each probe
// (probe.js) loads the package in a fresh task of its own (a process, or a browser worker), asks
// `ledger.headroom(type)` how many more memories of its shape the engine is expected to grant,
// then makes them natively, held live, until the engine refuses. Where the model predicts a
// limit, the engine's count must be within 5% of it, or two memories (and the probe stops 10% past
// the prediction; past a prediction of LARGEST_CHECKED, at the same cap as where none is
// predicted).
//
//   node tests/limits/run.mjs [--only node20,chromium] [--pkg DIR] [--raw]
//
// `--raw`: without the package, up to 20 000 memories (to measure the model's figures again).
// Prints a table per engine and ends with "limits: N passed, M failed". A limit the engine
// enforces where the model predicts none is listed as a gap and counts neither way. Every
// process, browser and profile it starts is gone when it ends.
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
import { LARGEST_CHECKED } from "./probe.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const here = join(root, "tests/limits");

const { pkgDir, only, has } = runnerOptions(root);
const raw = has("--raw");

/** The shapes the test compares: i32, i32 with a large maximum, shared (WebKit's pool: small and
 * large maxima), i64. */
const SHAPES = ["i32", "i32-max65536", "shared-max1", "shared-max16384", "shared-max65536", "i64"];
/** Memories a probe makes at most where the model predicts no limit (raw: to measure). */
const CAP = raw ? 20000 : 3000;
/** A probe stops by count or refusal only; this only bounds a hang (ms, on top of the start-up). */
const MS = 20000;
const TOLERANCE = 0.05;

const ENGINES = [
  ...cliEngines(root, [root, pkgDir]),
  { id: "chromium", kind: "browser", label: "Chromium" },
  { id: "firefox", kind: "browser", label: "Firefox" },
  // WebKit gives back a worker's memories only when it collects them, not when the worker
  // ends: the shapes it limits each get a browser of their own, before the rest.
  { id: "webkitgtk", kind: "browser", label: "WebKitGTK", alone: ["shared-max65536", "shared-max16384"] },
];

/** One probe in a process of its own. */
async function cliProbe(engine, shape) {
  const args = [...engine.args, join(here, "cli.mjs"), shape, String(CAP), ...(raw ? [] : [pkgDir])];
  const p = startProcess(`${engine.id}-${shape}`, engine.bin, args, { cwd: here, env: { ...process.env, ...(engine.env ?? {}) } });
  let out = "",
    err = "";
  p.child.stdout.on("data", (d) => (out += d));
  p.child.stderr.on("data", (d) => (err += d));
  try {
    await withTimeout(new Promise((r) => p.child.on("close", r)), MS + 60_000, `${engine.label} ${shape}`);
    const line = out.split("\n").find((l) => l.startsWith("@@limits-result@@ "));
    if (!line) return { shape, error: `no result; stderr: ${err.trim().split("\n").slice(-3).join(" | ")}` };
    return JSON.parse(line.slice("@@limits-result@@ ".length));
  } finally {
    await stopProcess(p);
  }
}

async function runEngine(engine, base) {
  if (engine.kind === "cli") {
    if (!existsSync(engine.bin)) throw new Error(`${engine.bin} is missing: run scripts/engines.sh`);
    const results = [];
    for (const shape of SHAPES) results.push(await cliProbe(engine, shape));
    return { version: `${engine.label} ${version(engine.bin)}`, results };
  }
  const alone = engine.alone ?? [];
  const groups = [...alone.map((shape) => [shape]), SHAPES.filter((shape) => !alone.includes(shape))];
  const byShape = new Map();
  let v;
  for (const group of groups) {
    const url = `${base}/tests/limits/page.html?shapes=${group.join(",")}&cap=${CAP}&ms=${MS}${raw ? "" : "&ledger=1"}`;
    const page = await runPage(engine.id, url);
    const data = JSON.parse(page.text);
    if (data.error) throw new Error(data.error);
    v = page.version;
    for (const r of data.results) byShape.set(r.shape, r);
  }
  return { version: v, results: SHAPES.map((shape) => byShape.get(shape)) };
}

async function runPage(kind, url) {
  const { version: v, texts } = await runPages(kind, [{ url, resultVar: "__limitsResult" }], { timeout: 240_000 });
  return { version: v, text: texts[0] };
}

/** pass / fail / gap / info, and why. */
function judge(r, _engine) {
  if (r.error) return { status: "fail", why: r.error };
  if (r.skipped) return { status: "skip", why: r.skipped };
  if (raw) return { status: "info", why: r.refusal ? `refused: ${r.refusal}` : `no refusal within ${r.granted}` };
  if (r.predicted === null) {
    if (!r.refusal) return { status: "pass", why: `no limit predicted, none met within ${r.granted}` };
    // An engine without a profile predicts nothing: what it refuses is only reported.
    if (r.headroom === null && r.reservedBytes === null) return { status: "info", why: `no profile; refused: ${r.refusal}` };
    return { status: "gap", why: `no limit predicted, but refused: ${r.refusal}` };
  }
  if (!r.refusal && r.capped && r.predicted > LARGEST_CHECKED && r.granted < r.predicted) {
    return { status: "pass", why: `predicted beyond what a probe checks; none met within ${r.granted}` };
  }
  if (!r.refusal) return { status: "fail", why: `predicted ${r.predicted}, but granted ${r.granted} without refusal` };
  // Within 5%, or two memories where 5% is less than two: WebKit's shared pool grants a
  // different count from run to run in the same conditions (34 to 37 shared memories of 1 GiB,
  // 13 or 14 of 4 GiB), so no prediction is within 5% of every run there.
  const off = Math.abs(r.granted - r.predicted) / Math.max(r.granted, 1);
  return off <= TOLERANCE || Math.abs(r.granted - r.predicted) <= 2
    ? { status: "pass", why: `within ${(off * 100).toFixed(1)}%` }
    : { status: "fail", why: `off by ${(off * 100).toFixed(1)}% (refused: ${r.refusal})` };
}

let passed = 0,
  failed = 0;
const report = [];
const gaps = [];
const selected = only ? ENGINES.filter((e) => only.includes(e.id)) : ENGINES;
let server;
const watchdog = setTimeout(() => {
  console.error("limits: the whole run timed out");
  process.exit(1);
}, 600_000);
try {
  server = await serve([
    ["/tests/limits/", here],
    ["/pkg/", pkgDir],
  ]);
  const base = `http://127.0.0.1:${server.address().port}`;
  for (const engine of selected) {
    const started = Date.now();
    let run;
    try {
      run = await runEngine(engine, base);
    } catch (e) {
      failed++;
      console.log(`${engine.label}: FAILED to run: ${e?.message ?? e}`);
      report.push({ engine: engine.id, error: String(e?.message ?? e) });
      continue;
    }
    console.log(`${run.version} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    for (const r of run.results) {
      const j = judge(r, engine);
      if (j.status === "pass") passed++;
      if (j.status === "fail") failed++;
      if (j.status === "gap") gaps.push(`${engine.label} ${r.shape}`);
      const predicted = r.predicted === null || r.predicted === undefined ? "-" : String(r.predicted);
      console.log(
        `  ${r.shape.padEnd(16)} predicted ${predicted.padStart(6)}  granted ${String(r.granted ?? "-").padStart(6)}  ${j.status.toUpperCase().padEnd(4)} ${j.why}`,
      );
      report.push({ engine: engine.id, version: run.version, ...r, status: j.status, why: j.why });
    }
  }
} finally {
  clearTimeout(watchdog);
  await closeServer(server);
  await cleanup();
}
mkdirSync(join(root, "artifacts"), { recursive: true });
writeFileSync(join(root, "artifacts/limits.json"), `${JSON.stringify(report, null, 1)}\n`);
if (gaps.length) console.log(`gaps (a limit the model does not predict): ${gaps.join(", ")}`);
console.log(`limits: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
