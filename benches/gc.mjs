// How many collections V8 runs, and how long they take, while Chromium makes memories in tasks of
// 30 (a macrotask between tasks), for the engine's constructor with the floor's bookkeeping and
// for the polyfill, in alternating rounds: `node benches/gc.mjs [--rounds N] [--tasks N]`. Reads
// V8's `--trace-gc` lines from Chromium's stdout (Chromium started here, in a private profile,
// and ended by its process group), so it needs a built package in pkg/. Prints each side's times
// per round (ms) and its collections by kind with their total ms. Not a pass/fail test.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { closeServer, makeTempDir, removeTempDir, runnerOptions, serve, sleep, withTimeout } from "../tests/browsers.mjs";
import { ROOT } from "./report.mjs";

const { opt, pkgDir } = runnerOptions(ROOT);
const rounds = Number(opt("--rounds") ?? 6);
const tasks = Number(opt("--tasks") ?? 200);
const PER_TASK = 30;

const server = await serve([
  ["/pkg/", pkgDir],
  ["/benches/", join(ROOT, "benches")],
]);
const profile = makeTempDir("wmp-gc-");
const browser = spawn(
  "/usr/bin/chromium",
  [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    `--user-data-dir=${profile}`,
    "--remote-debugging-port=0",
    "--js-flags=--trace-gc",
    "about:blank",
  ],
  { stdio: ["ignore", "pipe", "pipe"], detached: true },
);

/** side -> { kind: count, kindMs: total ms } for the trace lines seen while that side ran. */
const collections = {};
let side = null;
let pending = "";
browser.stdout.on("data", (chunk) => {
  pending += chunk;
  let end;
  while ((end = pending.indexOf("\n")) >= 0) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    const kind = /Scavenge/.test(line)
      ? "scavenge"
      : /Minor Mark/.test(line)
        ? "minorMarkSweep"
        : /Mark-Compact/.test(line)
          ? "markCompact"
          : null;
    if (side === null || kind === null) continue;
    const c = (collections[side] ??= {});
    c[kind] = (c[kind] ?? 0) + 1;
    const ms = /([\d.]+) \/ [\d.]+ ms/.exec(line);
    if (ms) c[`${kind}Ms`] = Math.round((c[`${kind}Ms`] ?? 0) + Number(ms[1]));
  }
});

let cdp;
try {
  const endpoint = await withTimeout(
    new Promise((resolve) => {
      let err = "";
      browser.stderr.on("data", (d) => {
        err += d;
        const m = /DevTools listening on (ws:\S+)/.exec(err);
        if (m) resolve(m[1]);
      });
    }),
    30_000,
    "Chromium's DevTools endpoint",
  );
  const { chromium } = await import("playwright-core");
  cdp = await chromium.connectOverCDP(endpoint);
  const page = await cdp.contexts()[0].newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/benches/gc.html`);
  await page.waitForFunction(() => globalThis.ready === true);
  const times = { native: [], polyfill: [] };
  for (let r = 0; r < rounds; r++)
    for (const s of ["native", "polyfill"]) {
      side = s;
      times[s].push(Math.round(await page.evaluate(([s, t, p]) => globalThis.makeMemories(s, t, p), [s, tasks, PER_TASK])));
      await sleep(300); // the trace lines of the last collections
      side = null;
    }
  console.log(`${rounds} rounds of ${tasks} tasks of ${PER_TASK} memories a side (ms per round; collections in all):`);
  for (const s of ["native", "polyfill"]) console.log(`  ${s.padEnd(8)} ${times[s].join(" ")}  ${JSON.stringify(collections[s] ?? {})}`);
} finally {
  await cdp?.close().catch(() => {});
  try {
    process.kill(-browser.pid, "SIGTERM");
  } catch {
    // already gone
  }
  await sleep(500);
  removeTempDir(profile);
  await closeServer(server);
}
