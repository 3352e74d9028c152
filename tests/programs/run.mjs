// Real third-party programs that ship wasm (pinned in package-lock.json, installed offline by
// `npm ci --prefix tests/programs`), run unchanged under the package's install() (issue #11):
//   (a) native vs installed (no budget): identical output; the ledger saw each exported memory at
//       its true size (buffer.byteLength / 65536); a watcher reports growth done inside wasm;
//   (b) a hard budget at half the program's peak, set before it compiles its module: the program
//       fails as it does natively when memory can't grow, the process survives, and the ledger's
//       live pages never pass the budget;
//   (c) a soft budget at half its peak: same output as native, and budget event(s);
//   (d) two programs in headless Chromium doing (a) and (b).
// Each Node case is a fresh child process (child.mjs). One line per check, then
// "programs: N passed, M failed"; exit status 1 if anything failed.
// WMP_PKG_DIR=dir tests another build of the package (default: the repo's pkg/).

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { programs } from "./programs.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const pkgDir = path.resolve(process.env.WMP_PKG_DIR || path.join(root, "pkg"));
const pkgEntry = path.join(pkgDir, "node.js");
const modules = path.join(here, "node_modules");
const startedAt = Date.now();
/** The settle deadline of a budgeted run (each program completes natively in a few seconds). */
const SETTLE_MS = 30_000;
const RUN_LIMIT_MS = 170_000;

let passed = 0;
let failed = 0;
function check(name, ok, reason = "") {
  if (ok) passed++;
  else failed++;
  console.log(ok ? `ok - ${name}` : `not ok - ${name}: ${reason || "failed"}`);
}
const note = (text) => console.log(`# ${text}`);

// ---- everything started here is cleaned up here, by pid / handle ----
const children = new Set();
const tmpDirs = [];
let server = null;
let context = null;
function cleanup() {
  for (const child of children) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {}
  }
  children.clear();
  server?.close();
  server = null;
  for (const dir of tmpDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
function finish() {
  cleanup();
  console.log(`programs: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    check("run", false, `stopped by ${signal}`);
    finish();
  });
setTimeout(async () => {
  check("run", false, `still running after ${RUN_LIMIT_MS / 1000} s; stopped`);
  await context?.close().catch(() => {});
  finish();
}, RUN_LIMIT_MS).unref();

const tmp = mkdtempSync(path.join(os.tmpdir(), "wmp-programs-"));
tmpDirs.push(tmp);

/** Runs child.mjs; resolves with its RESULT line (or null), exit code/signal, stderr, timing. */
function runChild(program, mode, { budget = 0, settleMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [path.join(here, "child.mjs"), program, mode, String(budget), String(settleMs), tmp, pkgEntry], {
      cwd: here,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr = (stderr + d).slice(-16_384);
    });
    let timedOut = false;
    const killer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {}
    }, settleMs + 20_000);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      children.delete(child);
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      let result = null;
      try {
        result = line ? JSON.parse(line.slice(7)) : null;
      } catch {}
      resolve({ result, code, signal, stderr, timedOut, ms: Date.now() - t0 });
    });
  });
}

/** Why a child run is not a clean run of the program (crash, timeout, no result), or "". */
function crashed(run) {
  if (run.timedOut) return `killed after ${run.ms} ms (no result)`;
  if (run.signal) return `died by ${run.signal}; stderr: ${tail(run.stderr)}`;
  if (run.code !== 0 || !run.result) return `exit ${run.code}, no result line; stderr: ${tail(run.stderr)}`;
  return "";
}
const tail = (s, n = 300) => JSON.stringify(s.trim().slice(-n));
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const truePages = (result) => sum(result.memories.map((m) => m.pages));
const short = (s) => (s && s.length > 40 ? `${s.slice(0, 40)}…` : s);

const expectedGrowSource = { "brotli-wasm": "wasm", "hash-wasm": "wasm", "sql.js": "js", "esbuild-wasm": "wasm" };
const peaks = {};
const nativeOutputs = {};

async function testProgram(name) {
  const program = programs[name];
  const p = `${name} (${program.kind})`;

  // ---- (a) native vs installed, no budget ----
  const native = await runChild(name, "native");
  const installed = await runChild(name, "install");
  const nativeBad =
    crashed(native) || (native.result.outcome !== "completed" && `native run ${native.result.outcome}: ${native.result.error}`);
  if (nativeBad) {
    check(`${p} (a) native run`, false, nativeBad);
    return;
  }
  nativeOutputs[name] = native.result.output;
  const peak = truePages(native.result);
  peaks[name] = { peak, memories: native.result.memories.map((m) => m.pages) };
  const installedBad =
    crashed(installed) ||
    (installed.result.outcome !== "completed" &&
      `installed run ${installed.result.outcome}: ${installed.result.error}; stderr: ${tail(installed.stderr)}`);
  check(
    `${p} (a) native and installed outputs identical`,
    !installedBad && installed.result.output === native.result.output,
    installedBad || `native ${short(native.result.output)} vs installed ${short(installed.result.output)}`,
  );

  if (!installedBad) {
    const r = installed.result;
    const problems = [];
    if (r.memories.length === 0) problems.push("no exported memory seen");
    for (const [i, m] of r.memories.entries()) {
      if (m.id < 0 || !m.record) problems.push(`memory ${i} (${m.pages} pages) not in the ledger`);
      else {
        if (!(m.pages > 0) || m.record.pages !== m.pages) problems.push(`memory ${i}: ledger pages ${m.record.pages}, true ${m.pages}`);
        if (m.record.peak !== m.pages) problems.push(`memory ${i}: ledger peak ${m.record.peak}, true ${m.pages}`);
        if (m.record.origin !== "exported") problems.push(`memory ${i}: origin ${m.record.origin}`);
      }
    }
    if (r.snapshot && r.snapshot.livePages !== truePages(r)) problems.push(`livePages ${r.snapshot.livePages}, true total ${truePages(r)}`);
    peaks[name].ledgerPeak = r.snapshot?.peakTotalPages;
    check(
      `${p} (a) ledger saw its memories at their true size (peak ${truePages(r)} pages: ${r.memories.map((m) => m.pages).join(" + ")})`,
      problems.length === 0,
      problems.join("; "),
    );

    const want = expectedGrowSource[name];
    const sources = [...new Set(r.events.grow.map((e) => e.source))];
    check(
      `${p} (a) ledger.watch reports its growth as grow events with source "${want}"`,
      r.watch === "started" && r.events.grow.some((e) => e.source === want),
      r.watch === "missing" ? "ledger.watch is not a function" : `grow events: ${r.events.growCount}, sources: ${JSON.stringify(sources)}`,
    );
  }

  const budget = Math.floor(peak / 2);
  // How long a program stopped by the budget gets to settle (Go's runtime may leave go.run
  // pending after a fatal error): fixed and generous, so it never depends on measured speed.
  const settleMs = SETTLE_MS;

  // ---- (b) hard budget at half the peak, set before the module is compiled ----
  const hard = await runChild(name, "hard", { budget, settleMs });
  const hardBad = crashed(hard);
  if (hardBad) {
    check(`${p} (b) hard budget ${budget} pages: stopped cleanly, process survived`, false, `the process did not survive: ${hardBad}`);
  } else {
    const r = hard.result;
    const said = `${r.error ?? ""} ${hard.stderr}`;
    let reason = "";
    if (r.outcome === "completed")
      reason = `completed despite the budget (true pages ${truePages(r)} > ${budget}), output ${r.output === native.result.output ? "same as native" : "differs"}`;
    else if (!program.failure.test(said)) reason = `${r.outcome} for another reason: ${r.error}; stderr: ${tail(hard.stderr)}`;
    const how = r.outcome === "threw" ? r.error : `${r.outcome}; stderr ${tail(hard.stderr, 80)}`;
    check(`${p} (b) hard budget ${budget} pages: stopped cleanly (${reason ? "no" : short(how)}), process survived`, !reason, reason);

    const problems = [];
    const total = truePages(r);
    if (total > budget) problems.push(`true pages ${total} > ${budget}`);
    if (!r.snapshot) problems.push("no snapshot");
    else {
      if (r.snapshot.livePages > budget) problems.push(`snapshot livePages ${r.snapshot.livePages}`);
      if (r.snapshot.peakTotalPages > budget) problems.push(`peakTotalPages ${r.snapshot.peakTotalPages}`);
    }
    check(`${p} (b) hard budget ${budget} pages: live pages never above it`, problems.length === 0, problems.join("; "));

    const unbounded = [];
    for (const [i, m] of r.memories.entries()) {
      if (!m.record) unbounded.push(`memory ${i} not in the ledger`);
      else if (m.record.bounded !== true || m.record.maximum == null || m.record.maximum > budget) {
        unbounded.push(`memory ${i}: bounded ${m.record.bounded}, maximum ${m.record.maximum} (requested ${m.record.requestedMaximum})`);
      }
    }
    check(
      `${p} (b) hard budget ${budget} pages: its memories are bounded (maximum lowered to <= ${budget})`,
      unbounded.length === 0,
      unbounded.join("; "),
    );

    // Issue #21: a memory found at its clamp (grown inside wasm as far as the engine lets it) is
    // reported by exactly one budget event with reached: true; none is reported that isn't there.
    // (A program whose last grow asks for more than is left stops below its clamp: nothing to report.)
    const reached = r.events.budget.filter((e) => e.reached === true);
    const atClamp = r.memories.filter(
      ({ record: m }) =>
        m && m.bounded && m.maximum !== null && m.pages >= m.maximum && (m.requestedMaximum === null || m.requestedMaximum > m.maximum),
    );
    const wrong = [];
    for (const { record: m } of atClamp) {
      const heard = reached.filter((e) => e.id === m.id);
      if (heard.length !== 1) wrong.push(`memory #${m.id} at its clamp ${m.maximum}: ${heard.length} reached events`);
      else if (heard[0].maximum !== m.maximum || heard[0].requestedMaximum !== m.requestedMaximum)
        wrong.push(`#${m.id}: ${JSON.stringify(heard[0])}`);
    }
    for (const e of reached) if (!atClamp.some(({ record: m }) => m.id === e.id)) wrong.push(`reached for #${e.id}, not at its clamp`);
    check(
      `${p} (b) hard budget ${budget} pages: ${atClamp.length} memories at their clamp, each reported once (reached)`,
      wrong.length === 0,
      wrong.join("; "),
    );
  }

  // ---- (c) soft budget at half the peak ----
  const soft = await runChild(name, "soft", { budget, settleMs });
  const softBad =
    crashed(soft) || (soft.result.outcome !== "completed" && `${soft.result.outcome}: ${soft.result.error}; stderr: ${tail(soft.stderr)}`);
  check(
    `${p} (c) soft budget ${budget} pages: completes with the native output`,
    !softBad && soft.result.output === native.result.output,
    softBad || `output ${short(soft.result.output)} vs native ${short(native.result.output)}`,
  );
  if (!softBad) {
    const events = soft.result.events.budget;
    const crossings = events.filter((e) => e.budget === "totalPages" && e.refused === false && e.limit === budget && e.value > budget);
    const problems = [];
    if (crossings.length === 0) problems.push(`no budget event for totalPages ${budget} (events: ${JSON.stringify(events.slice(0, 3))})`);
    if (events.some((e) => e.refused !== false)) problems.push("a soft budget refused something");
    if (soft.result.budgetEventsOnRepeat !== 0)
      problems.push(`a repeated snapshot with no change emitted ${soft.result.budgetEventsOnRepeat} more`);
    if (crossings.length > 1)
      note(`${name}: ${crossings.length} budget events for one crossing (values ${crossings.map((e) => e.value).join(", ")})`);
    check(
      `${p} (c) soft budget ${budget} pages: budget event(s) emitted (${crossings.length}), none refused, none again from an unchanged snapshot`,
      problems.length === 0,
      problems.join("; "),
    );
  }
}

// ---- (d) headless Chromium ----
const mime = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".map": "application/json",
};
function serve() {
  return new Promise((resolve) => {
    const s = createServer((req, res) => {
      const url = new URL(req.url, "http://127.0.0.1");
      const rel = decodeURIComponent(url.pathname);
      const [base, sub] = rel.startsWith("/pkg/") ? [pkgDir, rel.slice(5)] : [here, rel.slice(1)];
      const file = path.resolve(base, sub);
      if (!file.startsWith(base + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": mime[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(readFileSync(file));
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

async function testBrowser() {
  const browserPrograms = ["brotli-wasm", "hash-wasm"];
  let chromium;
  try {
    ({ chromium } = createRequire(path.join(root, "package.json"))("playwright-core"));
  } catch (error) {
    for (const name of browserPrograms)
      check(`chromium ${name}`, false, `playwright-core not installed at the repo root (npm ci): ${error.message}`);
    return;
  }
  server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), "wmp-programs-chromium-"));
  tmpDirs.push(userDataDir);
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  } catch (error) {
    for (const name of browserPrograms) check(`chromium ${name}`, false, `Chromium did not start: ${error.message.split("\n")[0]}`);
    return;
  }
  const open = async (name, mode, budget = 0) => {
    const page = await context.newPage();
    let crashedPage = false;
    page.on("crash", () => {
      crashedPage = true;
    });
    try {
      await page.goto(`${base}/browser/index.html?program=${name}&mode=${mode}&budget=${budget}`);
      await page.waitForFunction(() => window.__result, null, { timeout: 40_000, polling: 100 });
      const result = await page.evaluate(() => window.__result);
      const alive = (await page.evaluate(() => 1 + 1)) === 2;
      return { result, alive: alive && !crashedPage };
    } catch (error) {
      return { result: null, alive: !crashedPage, error: `${crashedPage ? "the page crashed; " : ""}${error.message.split("\n")[0]}` };
    } finally {
      await page.close().catch(() => {});
    }
  };
  try {
    for (const name of browserPrograms) {
      const p = `chromium ${name}`;
      const native = await open(name, "native");
      const installed = await open(name, "install");
      if (!native.result || native.result.outcome !== "completed") {
        check(`${p} (a) native run`, false, native.error || `${native.result.outcome}: ${native.result.error}`);
        continue;
      }
      const peak = truePages(native.result);
      if (nativeOutputs[name] && native.result.output !== nativeOutputs[name]) note(`${p}: output differs from Node's native run`);
      const problems = [];
      if (!installed.result) problems.push(installed.error);
      else if (installed.result.outcome !== "completed") problems.push(`${installed.result.outcome}: ${installed.result.error}`);
      else {
        if (installed.result.output !== native.result.output)
          problems.push(`output ${short(installed.result.output)} vs native ${short(native.result.output)}`);
        if (installed.result.memories.length === 0) problems.push("no exported memory seen");
        for (const [i, m] of installed.result.memories.entries()) {
          if (!m.record) problems.push(`memory ${i} (${m.pages} pages) not in the ledger`);
          else if (!(m.pages > 0) || m.record.pages !== m.pages)
            problems.push(`memory ${i}: ledger pages ${m.record.pages}, true ${m.pages}`);
        }
      }
      check(
        `${p} (a) native and installed outputs identical, ledger saw its memories at their true size (peak ${peak} pages)`,
        problems.length === 0,
        problems.join("; "),
      );

      const budget = Math.floor(peak / 2);
      const hard = await open(name, "hard", budget);
      let reason = "";
      if (!hard.alive) reason = `the page did not survive: ${hard.error}`;
      else if (!hard.result) reason = hard.error;
      else if (hard.result.outcome === "completed")
        reason = `completed despite the budget (true pages ${truePages(hard.result)} > ${budget})`;
      else if (hard.result.outcome !== "threw" || !programs[name].failure.test(hard.result.error))
        reason = `${hard.result.outcome} for another reason: ${hard.result.error}`;
      else {
        const total = truePages(hard.result);
        if (total > budget) reason = `true pages ${total} > ${budget}`;
        else if (hard.result.snapshot?.livePages > budget || hard.result.snapshot?.peakTotalPages > budget)
          reason = `ledger live/peak pages ${hard.result.snapshot.livePages}/${hard.result.snapshot.peakTotalPages} > ${budget}`;
      }
      check(
        `${p} (b) hard budget ${budget} pages: stopped cleanly${reason ? "" : ` (${short(hard.result.error)})`}, page survived, live pages never above it`,
        !reason,
        reason,
      );
    }
  } finally {
    await context.close().catch(() => {});
    context = null;
  }
}

// ---- main ----
const names = Object.keys(programs);
if (!existsSync(pkgEntry)) {
  for (const name of names) check(`${name}`, false, `the package is not built (${pkgEntry} missing): bash scripts/build.sh`);
  finish();
}
if (!existsSync(path.join(modules, ".package-lock.json"))) {
  for (const name of names)
    check(`${name}`, false, "tests/programs/node_modules missing: npm ci --prefix tests/programs (scripts/setup.sh does it)");
  finish();
}

// Two programs at a time (these machines have 2 cores); each program's cases run in order.
const queue = [...names];
await Promise.all(
  [0, 1].map(async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      try {
        await testProgram(name);
      } catch (error) {
        check(`${name}`, false, `harness error: ${error.stack}`);
      }
    }
  }),
);
try {
  await testBrowser();
} catch (error) {
  check("chromium", false, `harness error: ${error.stack}`);
}
for (const [name, p] of Object.entries(peaks)) {
  note(`${name}: peak ${p.peak} pages natively (${p.memories.join(" + ")}), ledger peakTotalPages ${p.ledgerPeak ?? "n/a"}`);
}
note(`run time ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
finish();
