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
// (overlay.html/overlay.js): those cases count too. Every process and temporary profile it starts is gone when
// it ends, also on failure or timeout.
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const here = join(root, "tests/engines");
const engines = join(root, ".engines");
const started = Date.now();

// ---------------------------------------------------------------- arguments

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`${name}=`));
  return eq ? eq.slice(name.length + 1) : undefined;
};
const pkgDir = resolve(opt("--pkg") ?? join(root, "pkg"));
const only = opt("--only")?.split(",").map((s) => s.trim()).filter(Boolean);

const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
const ENGINE_TIMEOUT = Number(process.env.WMP_ENGINE_TIMEOUT_MS) || 90_000; // one engine, all three runs
const WATCHDOG = 330_000; // the whole run

const ENGINES = [
  { id: "node20", kind: "cli", label: "Node 20", bin: process.execPath, args: [] },
  { id: "node22", kind: "cli", label: "Node 22", bin: join(engines, "node22/bin/node"), args: [] },
  { id: "node24", kind: "cli", label: "Node 24", bin: join(engines, "node24/bin/node"), args: [] },
  { id: "node26", kind: "cli", label: "Node 26", bin: join(engines, "node26/bin/node"), args: [] },
  {
    id: "deno", kind: "cli", label: "Deno", bin: join(engines, "deno/deno"),
    args: ["run", "--no-config", "--no-prompt", `--allow-read=${root},${pkgDir}`],
    env: { DENO_NO_PACKAGE_JSON: "1", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  },
  { id: "bun", kind: "cli", label: "Bun", bin: join(engines, "bun/bin/bun"), args: ["--no-install", "run"] },
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

// ---------------------------------------------------------------- clean-up of what we start

/** Everything started: { pid, group, name }. Killed (by pid / own process group) at the end. */
const children = new Set();
const tempDirs = new Set();

function startProcess(name, bin, args, options = {}) {
  // detached: the child leads its own process group, so killing -pid ends it and whatever it
  // started (a browser's helpers) and nothing else.
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, ...options });
  const entry = { pid: child.pid, name, child, exited: false };
  children.add(entry);
  child.on("exit", () => {
    entry.exited = true;
  });
  child.on("error", () => {
    entry.exited = true;
  });
  return entry;
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopProcess(entry, grace = 2000) {
  if (!entry?.pid) return;
  for (const [signal, wait] of [["SIGTERM", grace], ["SIGKILL", 2000]]) {
    if (!groupAlive(entry.pid)) break;
    try {
      process.kill(-entry.pid, signal);
    } catch {
      /* already gone */
    }
    const until = Date.now() + wait;
    while (groupAlive(entry.pid) && Date.now() < until) await sleep(50);
  }
  children.delete(entry);
}

function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}
function removeTempDir(dir) {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort; retried at exit */
  }
  if (!existsSync(dir)) tempDirs.delete(dir);
}

function cleanupSync() {
  for (const entry of children) {
    try {
      process.kill(-entry.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* nothing more to do */
    }
  }
}
process.on("exit", cleanupSync);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    cleanupSync();
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects after ms with a clear message. */
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- the HTTP server

const TYPES = {
  ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html; charset=utf-8",
  ".wasm": "application/wasm", ".json": "application/json", ".ts": "text/plain", ".md": "text/plain",
};

function serve() {
  const mounts = [["/pkg/", pkgDir], ["/tests/engines/", here], ["/tests/fixtures/", join(root, "tests/fixtures")]];
  const server = createServer((req, res) => {
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
      "Cross-Origin-Resource-Policy": "same-origin",
      "Cache-Control": "no-store",
    };
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir + sep) && file !== dir) break;
      try {
        if (!statSync(file).isFile()) break;
        const body = readFileSync(file);
        res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
        res.end(body);
        return;
      } catch {
        break;
      }
    }
    res.writeHead(404, { ...headers, "Content-Type": "text/plain" });
    res.end("not found");
  });
  return new Promise((resolveServer, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolveServer(server));
  });
}

// ---------------------------------------------------------------- running one engine

function parseResult(text, what) {
  const data = JSON.parse(text);
  if (!data || typeof data !== "object") throw new Error(`${what}: no result`);
  return data;
}

function version(bin, args = ["--version"]) {
  try {
    return execFileSync(bin, args, { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")[0].trim();
  } catch {
    return "";
  }
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

async function runChromium(engine, base) {
  if (!existsSync(engine.bin)) throw new Error(`${engine.bin} is missing: run scripts/engines.sh`);
  const { chromium } = await import("playwright-core");
  const profile = makeTempDir("wmp-chromium-");
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: engine.bin,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${base}/tests/engines/page.html`);
    await page.waitForFunction(() => typeof window.__enginesResult === "string", null, { timeout: ENGINE_TIMEOUT });
    const text = await page.evaluate(() => window.__enginesResult);
    // The overlay entry, on its own page.
    await page.goto(`${base}/tests/engines/overlay.html`);
    await page.waitForFunction(() => typeof window.__overlayResult === "string", null, { timeout: ENGINE_TIMEOUT });
    const overlay = JSON.parse(await page.evaluate(() => window.__overlayResult));
    return { version: `Chromium ${context.browser()?.version() ?? version(engine.bin).replace(/^Chromium /, "")}`, ...parseResult(text, engine.label), overlay };
  } finally {
    await context?.close().catch(() => {});
    removeTempDir(profile);
  }
}

async function runFirefox(engine, base) {
  if (!existsSync(engine.bin)) throw new Error(`${engine.bin} is missing: run scripts/engines.sh`);
  const { default: puppeteer } = await import("puppeteer-core");
  const profile = makeTempDir("wmp-firefox-");
  let browser;
  let pid;
  try {
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: engine.bin,
      protocol: "webDriverBiDi",
      userDataDir: profile,
      headless: true,
      timeout: 60_000,
    });
    pid = browser.process()?.pid;
    const page = await browser.newPage();
    await page.goto(`${base}/tests/engines/page.html`);
    await page.waitForFunction(() => typeof window.__enginesResult === "string", { timeout: ENGINE_TIMEOUT });
    const text = await page.evaluate(() => window.__enginesResult);
    await page.goto(`${base}/tests/engines/overlay.html`);
    await page.waitForFunction(() => typeof window.__overlayResult === "string", { timeout: ENGINE_TIMEOUT });
    const overlay = JSON.parse(await page.evaluate(() => window.__overlayResult));
    return { version: (await browser.version()).replace(/^firefox\//i, "Firefox "), ...parseResult(text, engine.label), overlay };
  } finally {
    await withTimeout(browser?.close() ?? Promise.resolve(), 15_000, "closing Firefox").catch(() => {});
    if (pid) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* closed */
      }
    }
    removeTempDir(profile);
  }
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function webdriver(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json; charset=utf-8" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${res.status} ${JSON.stringify(data.value ?? data).slice(0, 300)}`);
  return data.value;
}

async function runWebKit(engine, base) {
  let driverBin;
  try {
    driverBin = execFileSync("sh", ["-c", "command -v WebKitWebDriver"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("WebKitWebDriver is missing: run scripts/engines.sh");
  }
  if (!existsSync(MINIBROWSER)) throw new Error(`${MINIBROWSER} is missing: run scripts/engines.sh`);
  // A free X display: one with neither a socket nor a lock file.
  let display = 0;
  for (let n = 90 + Math.floor(Math.random() * 100); n < 400; n++) {
    if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) {
      display = n;
      break;
    }
  }
  if (!display) throw new Error("no free X display");
  const xvfb = startProcess("Xvfb", "Xvfb", [`:${display}`, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"]);
  let driver;
  let session;
  let wd;
  const home = makeTempDir("wmp-webkit-"); // the browser's caches and data land here, not in ~
  try {
    const until = Date.now() + 15_000;
    while (!existsSync(`/tmp/.X11-unix/X${display}`)) {
      if (xvfb.exited || Date.now() > until) throw new Error(`Xvfb :${display} did not start`);
      await sleep(50);
    }
    const port = await freePort();
    driver = startProcess("WebKitWebDriver", driverBin, [`--port=${port}`], {
      env: {
        ...process.env, DISPLAY: `:${display}`, HOME: home, XDG_CACHE_HOME: join(home, "cache"),
        XDG_DATA_HOME: join(home, "data"), XDG_CONFIG_HOME: join(home, "config"), XDG_RUNTIME_DIR: home,
        WEBKIT_DISABLE_COMPOSITING_MODE: "1", LIBGL_ALWAYS_SOFTWARE: "1",
      },
    });
    wd = `http://127.0.0.1:${port}`;
    for (let ready = false; !ready;) {
      if (driver.exited) throw new Error("WebKitWebDriver exited");
      if (Date.now() > until + 10_000) throw new Error("WebKitWebDriver did not answer");
      ready = await fetch(`${wd}/status`).then((r) => r.ok, () => false);
      if (!ready) await sleep(100);
    }
    const created = await withTimeout(webdriver(wd, "POST", "/session", {
      capabilities: {
        alwaysMatch: {
          "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
        },
      },
    }), 60_000, "WebKitWebDriver session");
    session = created.sessionId;
    const browserVersion = created.capabilities?.browserVersion ?? "";
    /** Opens `page` and polls for the JSON string it leaves in window[name]. */
    const resultOf = async (page, name) => {
      await webdriver(wd, "POST", `/session/${session}/url`, { url: `${base}/tests/engines/${page}` });
      const deadline = Date.now() + ENGINE_TIMEOUT;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`${page} gave no result in time`);
        const text = await webdriver(wd, "POST", `/session/${session}/execute/sync`, {
          script: `return typeof window.${name} === 'string' ? window.${name} : null;`,
          args: [],
        });
        if (text !== null) return text;
        await sleep(250);
      }
    };
    const text = await resultOf("page.html", "__enginesResult");
    const overlay = JSON.parse(await resultOf("overlay.html", "__overlayResult"));
    return { version: `WebKitGTK ${browserVersion}`.trim(), ...parseResult(text, engine.label), overlay };
  } finally {
    if (session && wd) {
      await withTimeout(webdriver(wd, "DELETE", `/session/${session}`), 15_000, "closing the session").catch(() => {});
    }
    await stopProcess(driver);
    await stopProcess(xvfb);
    removeTempDir(home);
  }
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
  return (r.runs.native ?? []).filter((x) => x.status === "fail")
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
  server = needsServer ? await serve() : undefined;
  const base = server ? `http://127.0.0.1:${server.address().port}` : "";

  for (const engine of selected) {
    const t0 = Date.now();
    let data;
    let error;
    try {
      const run = { cli: runCli, chromium: runChromium, firefox: runFirefox, webkit: runWebKit }[engine.kind];
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
      (runs[kind] ?? []).filter((r) => r.status === "fail").map((r) => ({ kind, ...r })));
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const versionText = (data?.version || data?.runtime || "?").replace(/^deno (\S+) .*/, "$1");

    console.log(`\n== ${engine.label} (${versionText}) ${secs} s`);
    if (error) console.log(`  ERROR: ${error}`);
    if (data?.features) {
      const on = Object.entries(data.features).filter(([, v]) => v === true).map(([k]) => k);
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
    // package passes its behaviour on, it is listed ("not corrected": README, artifacts/engines.md)
    // but is the engine's deviation, not a regression.
    const nativeFailed = new Set(nativeOnlyFails.map((r) => r.name));
    const regressions = packageFails.filter((r) => !nativeFailed.has(r.name)).length;
    const uncorrected = packageFails.length - regressions;
    if (uncorrected) console.log(`  ${uncorrected} failing case(s) are the engine's own (it fails them natively): not counted`);
    // The overlay entry (browsers): every case counts.
    const overlay = count(data?.overlay);
    if (overlay.total) console.log(`  overlay    ${figures(overlay)}`);
    for (const r of (data?.overlay ?? []).filter((x) => x.status === "fail")) console.log(`    x ${r.name}: ${r.message}`);
    const enginePassed = ponyfill.passed + installed.passed + overlay.passed;
    const engineFailed = regressions + overlay.failed + (error ? 1 : 0);
    totalPassed += enginePassed;
    totalFailed += engineFailed;
    report.push({ id: engine.id, label: engine.label, version: versionText, seconds: Number(secs), error,
      features: data?.features, native, ponyfill, installed, differs, packageFails, runs });
  }
} finally {
  clearTimeout(watchdog);
  await new Promise((r) => (server ? server.close(r) : r()));
  for (const entry of [...children]) await stopProcess(entry);
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

// ---- artifacts/engines.md and engines.json

const cell = (c) => (c.total ? `${c.passed}/${c.total - c.skipped}${c.skipped ? ` (${c.skipped} skipped)` : ""}` : "n/a");
const md = [
  "# WebAssembly.Memory conformance, per engine",
  "",
  `Our suite (tests/engines/conformance.js), run by \`node tests/engines/run.mjs\` on ${new Date().toISOString().slice(0, 10)}.`,
  "Figures are passed / run (skipped cases need an engine feature it lacks). \"Package\" is the",
  "ponyfill `Memory` and the installed `WebAssembly.Memory`. The last column lists the cases the",
  "engine itself fails, i.e. where it differs from the spec; \"(package too)\" marks those the",
  "package doesn't correct on that engine.",
  "",
  "| engine | version | native passed/total | package passed/total (ponyfill; installed) | engine differs from the spec |",
  "| --- | --- | --- | --- | --- |",
  ...report.map((r) => `| ${r.label} | ${r.version.replace(/\|/g, "/")} | ${cell(r.native)} | ${cell(r.ponyfill)}; ${cell(r.installed)} | ${
    r.error ? `**did not run: ${r.error.replace(/\|/g, "/").slice(0, 200)}** ` : ""}${nativeFailures(r).join("; ") || (r.error ? "" : "none")} |`),
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
