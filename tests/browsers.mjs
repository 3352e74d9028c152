// Drives the machine's headless browsers for the test runners (tests/engines, tests/realms):
// Chromium (playwright-core), Firefox (puppeteer-core over WebDriver BiDi) and WebKitGTK
// (WebKitWebDriver + MiniBrowser under a private Xvfb display), each with a private, temporary
// profile; and a static server with cross-origin isolation (COOP/COEP), so pages and their
// workers may share memories. Every process and profile started here is gone when the run ends,
// also on failure, timeout or a signal: processes lead their own process group and are ended by
// group (never by name), and temporary directories are removed.
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";

export const MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
/**
 * The engines run as processes, for the runners that drive every engine (tests/engines,
 * tests/limits, benches): Node 20 (this node), Node 22/24/26, Deno and Bun from `.engines/`
 * (scripts/engines.sh). `read`: the folders Deno may read; `gc`: with `gc()` exposed.
 * @param {string} root @param {string[]} read @param {{ gc?: boolean }} [o]
 */
export function cliEngines(root, read, { gc = false } = {}) {
  const engines = join(root, ".engines");
  const nodeArgs = gc ? ["--expose-gc"] : [];
  const node = (v, bin) => ({ id: `node${v}`, kind: "cli", label: `Node ${v}`, bin, args: nodeArgs });
  return [
    node(20, process.execPath),
    node(22, join(engines, "node22/bin/node")),
    node(24, join(engines, "node24/bin/node")),
    node(26, join(engines, "node26/bin/node")),
    {
      id: "deno",
      kind: "cli",
      label: "Deno",
      bin: join(engines, "deno/deno"),
      args: ["run", "--no-config", "--no-prompt", `--allow-read=${read.join(",")}`, ...(gc ? ["--v8-flags=--expose-gc"] : [])],
      env: { DENO_NO_PACKAGE_JSON: "1", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    },
    { id: "bun", kind: "cli", label: "Bun", bin: join(engines, "bun/bin/bun"), args: ["--no-install", "run"] },
  ];
}

export const BROWSERS = {
  chromium: { label: "Chromium", bin: "/usr/bin/chromium" },
  firefox: { label: "Firefox", bin: "/usr/bin/firefox-esr" },
  webkitgtk: { label: "WebKitGTK", bin: "WebKitWebDriver" },
};

/**
 * A runner's command line (`--pkg DIR`, `--only a,b`, as one word with "=" or as two):
 * `pkgDir` (the built package; pkg/ under `root` by default), `only` (the ids asked for, or
 * undefined for all) and `opt(name)` for any other option's value.
 * @param {string} root @param {string[]} [argv]
 */
export function runnerOptions(root, argv = process.argv.slice(2)) {
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
  };
  const only = opt("--only")
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return { opt, only, pkgDir: resolve(opt("--pkg") ?? join(root, "pkg")), has: (flag) => argv.includes(flag) };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects after ms with a clear message. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- clean-up of what we start

/** Everything started: { pid, name, child, exited }. Killed (by its own process group) at the end. */
const children = new Set();
const tempDirs = new Set();

export function startProcess(name, bin, args, options = {}) {
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

export async function stopProcess(entry, grace = 2000) {
  if (!entry?.pid) return;
  for (const [signal, wait] of [
    ["SIGTERM", grace],
    ["SIGKILL", 2000],
  ]) {
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

export function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* best effort; retried at exit */
  }
  if (!existsSync(dir)) tempDirs.delete(dir);
}

/** Ends every process still running and removes every temporary directory. */
export async function cleanup() {
  for (const entry of [...children]) await stopProcess(entry);
  for (const dir of [...tempDirs]) removeTempDir(dir);
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

// ---------------------------------------------------------------- the HTTP server

const TYPES = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".html": "text/html; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".ts": "text/plain",
  ".md": "text/plain",
};

/**
 * Serves files from `mounts` (`[[urlPrefix, dir], ...]`) on 127.0.0.1 and a free port, cross-origin
 * isolated. Resolves to the server; its base URL is `http://127.0.0.1:${server.address().port}`.
 */
export function serve(mounts) {
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

/** Closes a server from serve(), dropping open keep-alive connections. */
export function closeServer(server) {
  server?.closeAllConnections?.();
  return new Promise((r) => (server ? server.close(r) : r()));
}

// ---------------------------------------------------------------- the browsers

export function version(bin, args = ["--version"]) {
  try {
    return execFileSync(bin, args, { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")[0]
      .trim();
  } catch {
    return "";
  }
}

/**
 * Opens each of `pages` (`[{ url, resultVar }]`), in turn, in one fresh headless browser
 * (`kind`: a key of BROWSERS), waits until the page sets `window[resultVar]` to a string, and
 * returns `{ version, texts }` (one text per page); the browser, its profile and every process
 * it started are gone when this settles. Each page gets `timeout` ms.
 */
export function runPages(kind, pages, { timeout }) {
  const run = { chromium: runChromium, firefox: runFirefox, webkitgtk: runWebKit }[kind];
  if (!run) throw new Error(`unknown browser ${kind}`);
  return run(pages, timeout);
}

/** runPages with one page: `{ version, text }`. */
export async function runPage(kind, url, { resultVar, timeout }) {
  const { version: v, texts } = await runPages(kind, [{ url, resultVar }], { timeout });
  return { version: v, text: texts[0] };
}

async function runChromium(pages, timeout) {
  const bin = BROWSERS.chromium.bin;
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/engines.sh`);
  const { chromium } = await import("playwright-core");
  const profile = makeTempDir("wmp-chromium-");
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: bin,
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
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const texts = [];
    for (const { url, resultVar } of pages) {
      await page.goto(url);
      await page.waitForFunction((v) => typeof window[v] === "string", resultVar, { timeout });
      texts.push(await page.evaluate((v) => window[v], resultVar));
    }
    return { version: `Chromium ${context.browser()?.version() ?? version(bin).replace(/^Chromium /, "")}`, texts };
  } finally {
    await context?.close().catch(() => {});
    removeTempDir(profile);
  }
}

/**
 * Runs `use({ page, version })` in headless Firefox (puppeteer-core over WebDriver BiDi, a
 * private profile); closes it after (and kills it if it won't close), also on failure.
 * @template T @param {(s: { page: any, version: string }) => Promise<T>} use @returns {Promise<T>}
 */
export async function withFirefoxPage(use) {
  const bin = BROWSERS.firefox.bin;
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run scripts/engines.sh`);
  const { default: puppeteer } = await import("puppeteer-core");
  const profile = makeTempDir("wmp-firefox-");
  let browser;
  let pid;
  try {
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: bin,
      protocol: "webDriverBiDi",
      userDataDir: profile,
      headless: true,
      timeout: 60_000,
    });
    pid = browser.process()?.pid;
    const page = await browser.newPage();
    return await use({ page, version: (await browser.version()).replace(/^firefox\//i, "Firefox ") });
  } finally {
    await closeFirefox(browser, pid, profile);
  }
}

/** Closes a Firefox that puppeteer launched (killing its process, by pid, if it won't close)
 * and removes its profile. @param {import("puppeteer-core").Browser | undefined} browser
 * @param {number | undefined} pid @param {string} profile */
export async function closeFirefox(browser, pid, profile) {
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

/** Each page's result string in Firefox. */
function runFirefox(pages, timeout) {
  return withFirefoxPage(async ({ page, version }) => {
    const texts = [];
    for (const { url, resultVar } of pages) {
      await page.goto(url);
      await page.waitForFunction((v) => typeof window[v] === "string", { timeout }, resultVar);
      texts.push(await page.evaluate((v) => window[v], resultVar));
    }
    return { version, texts };
  });
}

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it soon after). */
export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** One W3C WebDriver command; resolves to its `value`. */
export async function webdriver(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { "Content-Type": "application/json; charset=utf-8" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${res.status} ${JSON.stringify(data.value ?? data).slice(0, 300)}`);
  return data.value;
}

/**
 * Runs `use({ wd, session, version })` in a WebKitGTK MiniBrowser session (WebKitWebDriver under
 * a private Xvfb, with a private home for the browser's caches and data); ends all of it after,
 * also on failure.
 * @template T @param {(s: { wd: string, session: string, version: string }) => Promise<T>} use @returns {Promise<T>}
 */
export async function withWebKitSession(use) {
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
        ...process.env,
        DISPLAY: `:${display}`,
        HOME: home,
        XDG_CACHE_HOME: join(home, "cache"),
        XDG_DATA_HOME: join(home, "data"),
        XDG_CONFIG_HOME: join(home, "config"),
        XDG_RUNTIME_DIR: home,
        WEBKIT_DISABLE_COMPOSITING_MODE: "1",
        LIBGL_ALWAYS_SOFTWARE: "1",
      },
    });
    wd = `http://127.0.0.1:${port}`;
    for (let ready = false; !ready; ) {
      if (driver.exited) throw new Error("WebKitWebDriver exited");
      if (Date.now() > until + 10_000) throw new Error("WebKitWebDriver did not answer");
      ready = await fetch(`${wd}/status`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await sleep(100);
    }
    const created = await withTimeout(
      webdriver(wd, "POST", "/session", {
        capabilities: {
          alwaysMatch: {
            "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
          },
        },
      }),
      60_000,
      "WebKitWebDriver session",
    );
    session = created.sessionId;
    return await use({ wd, session, version: `WebKitGTK ${created.capabilities?.browserVersion ?? ""}`.trim() });
  } finally {
    if (session && wd) {
      await withTimeout(webdriver(wd, "DELETE", `/session/${session}`), 15_000, "closing the session").catch(() => {});
    }
    await stopProcess(driver);
    await stopProcess(xvfb);
    removeTempDir(home);
  }
}

/** Each page's result string in WebKitGTK. */
function runWebKit(pages, timeout) {
  return withWebKitSession(async ({ wd, session, version }) => {
    const texts = [];
    for (const { url, resultVar } of pages) {
      await webdriver(wd, "POST", `/session/${session}/url`, { url });
      const deadline = Date.now() + timeout;
      let text = null;
      while (text === null) {
        if (Date.now() > deadline) throw new Error(`${url} gave no result in time`);
        text = await webdriver(wd, "POST", `/session/${session}/execute/sync`, {
          script: "return typeof window[arguments[0]] === 'string' ? window[arguments[0]] : null;",
          args: [resultVar],
        });
        if (text === null) await sleep(250);
      }
      texts.push(text);
    }
    return { version, texts };
  });
}
