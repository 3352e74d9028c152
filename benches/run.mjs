// Runs the benchmarks (benches/cases.mjs) in every engine of tests/engines, the same way those
// tests drive them: Node 20 (this node), Node 22/24/26, Deno and Bun from .engines/ (run as
// processes on benches/cli.mjs), Chromium (playwright-core), Firefox (puppeteer-core over
// WebDriver BiDi) and WebKitGTK (WebKitWebDriver + MiniBrowser under Xvfb), the browsers on
// benches/page.html from a local server sending COOP/COEP. Writes artifacts/bench/<engine>.json,
// then benches/report.mjs combines them.
//
//   node benches/run.mjs [--quick] [--engines=node20,chromium,...] [--only=construct,grow,...] [--pkg=DIR]
//   node benches/run.mjs --steps [--engines=...]   a per-step timing breakdown instead (benches/steps.mjs),
//                                                 of the source tree's modules, unbundled
//
// Every process and temporary profile it starts is gone when it ends, also on failure.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { QUICK } from "./cases.mjs";
import { OUT, PKG, ROOT, pkgBuild, gitState } from "./report.mjs";
import { serve } from "./server.mjs";
// Driving engines and cleaning up after them: the same code as the tests'.
import {
  cleanup,
  cliEngines,
  makeTempDir,
  removeTempDir,
  sleep,
  startProcess,
  stopProcess,
  webdriver,
  withFirefoxPage,
  withTimeout,
  withWebKitSession,
} from "../tests/browsers.mjs";

const argv = process.argv.slice(2);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
// Every option takes its value after "=": one given as a separate word would be silently ignored.
const loose = argv.find((a) => /^--(pkg|engines|only)$/.test(a));
if (loose) {
  console.error(`benches/run.mjs: write ${loose}=VALUE (one word)`);
  process.exit(64);
}
const quick = argv.includes("--quick");
const steps = argv.includes("--steps");
// --steps calls the package's modules one by one (rust.js, engine.js, tracking.js): pkg/ ships
// them bundled, so it loads them from the source tree, which runs unbundled as it ships once
// scripts/build.sh has put the wasm in generated/ (paths from the tree's root: "js/node.js").
const pkgDir = resolve(opt("pkg") ?? (steps ? ROOT : PKG));
const onlyCases = opt("only")?.split(",");
const options = { ...(quick ? QUICK : {}), ...(onlyCases ? { only: onlyCases } : {}), ...(steps ? { steps: true } : {}) };
const TIMEOUT = (quick ? 60 : 300) * 1000; // one engine (Node 24's grow(1) case alone took 170–230 s on a busy machine)

export const ENGINES = [
  ...cliEngines(ROOT, [ROOT, pkgDir], { gc: true }),
  { id: "chromium", kind: "chromium", label: "Chromium", bin: "/usr/bin/chromium" },
  { id: "firefox", kind: "firefox", label: "Firefox", bin: "/usr/bin/firefox-esr" },
  { id: "webkitgtk", kind: "webkit", label: "WebKitGTK", bin: "WebKitWebDriver" },
];
const wantedEngines = opt("engines")?.split(",");
const selected = wantedEngines ? ENGINES.filter((e) => wantedEngines.includes(e.id)) : ENGINES;
if (wantedEngines && selected.length !== wantedEngines.length) {
  console.error(`unknown engine in ${wantedEngines}; known: ${ENGINES.map((e) => e.id).join(", ")}`);
  process.exit(64);
}

// ---------------------------------------------------------------- processes we start

const prefix = (id) => (line) => line && console.log(`  [${id}] ${line}`);

// ---------------------------------------------------------------- drivers

async function runCli(engine) {
  if (!existsSync(engine.bin)) throw new Error(`${engine.bin} is missing: run scripts/engines.sh`);
  const p = startProcess(engine.id, engine.bin, [...engine.args, join(ROOT, "benches/cli.mjs"), pkgDir, JSON.stringify(options)], {
    cwd: join(ROOT, "benches"),
    env: { ...process.env, ...(engine.env ?? {}) },
  });
  let out = "";
  let err = "";
  let pending = "";
  const say = prefix(engine.id);
  p.child.stdout.on("data", (d) => {
    out += d;
    pending += d;
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const l of lines) if (!l.startsWith("@@bench-result@@")) say(l);
  });
  p.child.stderr.on("data", (d) => (err += d));
  try {
    const code = await new Promise((r) => p.child.on("close", r));
    const line = out.split("\n").find((l) => l.startsWith("@@bench-result@@ "));
    if (!line) throw new Error(`exited ${code} with no result; stderr: ${err.trim().split("\n").slice(-5).join(" | ")}`);
    return JSON.parse(line.slice("@@bench-result@@ ".length));
  } finally {
    await stopProcess(p);
  }
}

const pageUrl = (base) => `${base}/benches/page.html?options=${encodeURIComponent(JSON.stringify(options))}`;

/** Polls `read()` (the page's log and result) until the result is there, printing new log lines. */
async function follow(id, read) {
  const say = prefix(id);
  let shown = 0;
  for (;;) {
    const { log, result } = (await read()) ?? {};
    for (; log && shown < log.length; shown++) say(log[shown]);
    if (typeof result === "string") return JSON.parse(result);
    await sleep(500);
  }
}
const READ = "return { log: window.__benchLog ?? null, result: window.__benchResult ?? null };";

async function runChromium(engine, base) {
  if (!existsSync(engine.bin)) throw new Error(`${engine.bin} is missing`);
  const { chromium } = await import("playwright-core");
  const profile = makeTempDir("wmp-bench-chromium-");
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: engine.bin,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--js-flags=--expose-gc",
      ],
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pageUrl(base));
    const result = await follow(engine.id, () => page.evaluate(new Function(READ)));
    result.env && (result.env.runtime = `Chromium ${context.browser()?.version() ?? ""}`.trim());
    return result;
  } finally {
    await context?.close().catch(() => {});
    removeTempDir(profile);
  }
}

function runFirefox(engine, base) {
  return withFirefoxPage(async ({ page, version }) => {
    await page.goto(pageUrl(base));
    const result = await follow(engine.id, () => page.evaluate(new Function(READ)));
    result.env && (result.env.runtime = version);
    return result;
  });
}

function runWebKit(engine, base) {
  return withWebKitSession(async ({ wd, session, version }) => {
    await webdriver(wd, "POST", `/session/${session}/url`, { url: pageUrl(base) });
    const result = await follow(engine.id, () => webdriver(wd, "POST", `/session/${session}/execute/sync`, { script: READ, args: [] }));
    result.env && (result.env.runtime = version);
    return result;
  });
}

// ---------------------------------------------------------------- main

mkdirSync(OUT, { recursive: true });
const build = pkgBuild(steps ? join(pkgDir, "generated") : pkgDir); // the wasm: in generated/ of a source tree
const commit = gitState();
console.log(
  `benchmarks${quick ? " (quick)" : ""} in ${selected.map((e) => e.label).join(", ")}; pkg: ${build}${commit ? `, commit ${commit}` : ""}`,
);
const server = selected.some((e) => e.kind !== "cli") ? await serve(ROOT, { mounts: { "/pkg/": pkgDir } }) : null;
let failed = 0;
try {
  for (const engine of selected) {
    const t0 = Date.now();
    console.log(`\n== ${engine.label}`);
    let result;
    try {
      const run = { cli: runCli, chromium: runChromium, firefox: runFirefox, webkit: runWebKit }[engine.kind];
      result = await withTimeout(run(engine, server?.url), TIMEOUT, engine.label);
    } catch (e) {
      result = { error: e?.message ?? String(e) };
    }
    if (result.error) {
      failed++;
      console.log(`  ERROR: ${result.error}`);
    }
    result.engine = { id: engine.id, label: engine.label, seconds: Math.round((Date.now() - t0) / 100) / 10 };
    result.pkg = build;
    result.commit = commit;
    result.quick = quick;
    writeFileSync(join(OUT, `${steps ? "steps-" : ""}${engine.id}.json`), JSON.stringify(result, null, 1) + "\n");
    console.log(`  (${result.engine.seconds} s)`);
  }
} finally {
  await server?.close();
  await cleanup();
}
process.exitCode = failed ? 1 : 0;
