// The browser extension (extension/, built by scripts/extension.mjs from pkg/) in headless
// Chromium (playwright-core) and Firefox (puppeteer-core over WebDriver BiDi), each with a
// private temporary profile, against pages served here on loopback:
//   (a) a page whose very first script (inline, in the head) instantiates a module that grows
//       its memory inside wasm: the ledger and the overlay show its true size, and a hard budget
//       set in the extension's settings page bounds it;
//   (b) a page whose CSP forbids compiling wasm (script-src 'self'): it still works (its own
//       script runs, nothing is thrown into it) and the extension reports it;
//   (c) a memory made in an iframe is seen;
//   (d) a site not chosen is left untouched.
// Prints "N passed, M failed" last; exits 1 on any failure.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup, closeFirefox, makeTempDir, removeTempDir, sleep, withTimeout } from "../browsers.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TIMEOUT = 20_000;
const started = Date.now();
let passed = 0,
  failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${!ok && detail ? `: ${detail}` : ""}`);
}

// ------------------------------------------------------------------ build
if (!existsSync(join(root, "pkg", "node.js"))) {
  console.log("pkg/ is missing: run `bash scripts/build.sh` first\n0 passed, 1 failed");
  process.exit(1);
}
console.log(execFileSync(process.execPath, [join(root, "scripts/extension.mjs")], { encoding: "utf8" }).trim());
const CHROMIUM_DIR = join(root, "artifacts/extension/chromium");
const FIREFOX_DIR = join(root, "artifacts/extension/firefox");
const content = readFileSync(join(CHROMIUM_DIR, "content.js"), "utf8");
check(
  "the content script is one classic script (no import, export or import.meta) with the wasm inline",
  !/^\s*(?:import|export)\b|\bimport\s*\(|import\.meta/m.test(content) &&
    content.length > readFileSync(join(root, "pkg/wasm_memory_polyfill_bg.wasm")).length,
);

// ------------------------------------------------------------------ pages
const b64 = (f) => readFileSync(join(root, "tests/fixtures", f)).toString("base64");
const GROW = 60; // grows asked for, one page each, on a 1-page memory
const BUDGET = 40; // the hard budget set in the settings: totalPages
// The page's first script: synchronous compile and instantiate, then grows inside wasm.
const growScript = `<script>
(() => {
  const bytes = Uint8Array.from(atob("${b64("grower.wasm")}"), (c) => c.charCodeAt(0));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { js: { mem: memory } });
  let refused = 0;
  for (let i = 0; i < ${GROW}; i++) if (exports.grow(1) === -1) refused++;
  window.__memory = memory;
  window.__result = { pages: memory.buffer.byteLength / 65536, refused, size: exports.size() };
})();
</script>`;
const pages = {
  "/grow.html": `<!doctype html><html><head>${growScript}<title>grow</title></head><body><h1>grower</h1></body></html>`,
  // A page that, in its first script, replaces built-ins the content script uses later.
  "/hostile.html": `<!doctype html><html><head><script>
EventTarget.prototype.addEventListener = function () {};
Object.defineProperty(Document.prototype, "readyState", { get() { return "loading"; }, configurable: true });
Object.defineProperty(Document.prototype, "body", { get() { return null; }, configurable: true });
</script>${growScript}<title>hostile</title></head><body><h1>hostile</h1></body></html>`,
  "/frames.html": `<!doctype html><html><head><title>frames</title></head><body><h1>top, no wasm</h1><iframe src="/grow.html?in-frame" width="300" height="100"></iframe></body></html>`,
  // A frame the page makes itself, with no URL of its own (about:blank): the page's script reaches
  // into it at once.
  "/blank.html": `<!doctype html><html><head><title>blank</title></head><body><script>
const probe = (w) => { const reg = Object.getOwnPropertyDescriptor(w, Symbol.for("wasm-memory-polyfill"))?.value; return reg !== undefined && w.WebAssembly.Memory !== reg.natives.Memory; };
const f = document.createElement("iframe");
document.body.append(f);
window.__blank = { immediate: probe(f.contentWindow) };
const m = new f.contentWindow.WebAssembly.Memory({ initial: 3 });
window.__blank.ledgerPages = Object.getOwnPropertyDescriptor(f.contentWindow, Symbol.for("wasm-memory-polyfill"))?.value?.api.ledger.snapshot().livePages ?? null;
window.__blankMemory = m;
</script></body></html>`,
  "/csp.html": `<!doctype html><html><head><title>csp</title><script src="/csp.js"></script></head><body><h1 id="h">strict CSP</h1></body></html>`,
  "/csp.js": `window.__cspPageRan = true; document.addEventListener("DOMContentLoaded", () => { document.getElementById("h").textContent = "its own script ran"; });
try { new WebAssembly.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0)); window.__cspWasm = "compiled"; } catch (e) { window.__cspWasm = e.name; }`,
};
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  const body = pages[path];
  if (body === undefined) return res.writeHead(404).end();
  const headers = { "content-type": path.endsWith(".js") ? "text/javascript" : "text/html; charset=utf-8", "cache-control": "no-store" };
  if (path === "/csp.html") headers["content-security-policy"] = "script-src 'self'";
  res.writeHead(200, headers).end(body);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const port = server.address().port;
const ON = `http://127.0.0.1:${port}`; // chosen in the settings: http://127.0.0.1/*
const OFF = `http://localhost:${port}`; // the same server, a site not chosen

// ------------------------------------------------------------------ what runs in the pages
// The package's registry (natives.js): the ledger the extension installed, if any.
function pageState() {
  const reg = Object.getOwnPropertyDescriptor(globalThis, Symbol.for("wasm-memory-polyfill"))?.value;
  const control = Object.getOwnPropertyDescriptor(globalThis, Symbol.for("wasm-memory-polyfill.extension"))?.value;
  const snap = reg?.api?.ledger?.snapshot();
  const el = document.querySelector("wasm-memory-ledger");
  return {
    result: window.__result ?? null,
    registry: reg !== undefined,
    installed: reg !== undefined && WebAssembly.Memory !== reg.natives.Memory,
    livePages: snap?.livePages ?? null,
    live: snap?.live ?? null,
    budget: snap?.budget ?? null,
    bounded: snap?.memories?.map((m) => m.bounded) ?? null,
    overlay: el ? (el.shadowRoot?.getElementById("pages")?.textContent ?? "") : null,
    status: control ? control.status() : null,
  };
}

/** Settings through the settings page's own form; resolves once the background applied them. */
async function saveSettings(d, optionsUrl, { sites, mode, totalPages }) {
  if (optionsUrl) await d.goto(optionsUrl);
  await d.waitFor(() => document.getElementById("mode")?.options.length === 3 && document.getElementById("result") !== null);
  await d.evaluate(
    ({ sites, mode, totalPages }) => {
      document.getElementById("sites").value = sites.join("\n");
      document.getElementById("mode").value = mode;
      document.getElementById("totalPages").value = String(totalPages);
      document.getElementById("overlay").checked = true;
      document.getElementById("result").textContent = "";
      document.getElementById("form").requestSubmit();
    },
    { sites, mode, totalPages },
  );
  await d.waitFor(() => /^(Saved|Not saved)/.test(document.getElementById("result").textContent));
  return d.evaluate(() => document.getElementById("result").textContent);
}

/** Asks the background (from the settings page, an extension page) about a tab. */
function askBackground(d, message) {
  return d.evaluate(async (message) => {
    const ext = globalThis.browser ?? globalThis.chrome;
    const tabs = await ext.tabs.query({});
    const tab = tabs.find((t) => t.url === message.url);
    if (!tab) return { error: `no tab at ${message.url} (${tabs.map((t) => t.url).join(", ")})` };
    const r = await ext.runtime.sendMessage({ type: message.type, tabId: tab.id });
    return r.ok ? r.value : { error: r.error };
  }, message);
}

/** The checks, the same in both browsers. `d`: a driver over one page; `ext`: one over another
 * page for the settings page; `optionsUrl`. */
async function scenario(label, d, ext, optionsUrl) {
  const t = (name) => `${label}: ${name}`;
  const saved = await saveSettings(ext, optionsUrl, { sites: ["http://127.0.0.1/*"], mode: "hard", totalPages: BUDGET });
  check(t("the settings page saves the sites and a hard budget"), /^Saved: on for 1 site/.test(saved), saved);
  const registered = await ext.evaluate(
    async () => (await (globalThis.browser ?? globalThis.chrome).runtime.sendMessage({ type: "registered" })).value,
  );
  const r = registered?.[0];
  const expected = [
    "settings/begin.js",
    "settings/hard.js",
    "settings/t.js",
    "settings/t3.js",
    "settings/t5.js",
    "settings/overlay.js",
    "settings/end.js",
    "content.js",
  ];
  check(
    t("the content script is registered for the chosen site, in the page's world, at document_start, with the budget as its file list"),
    r?.matches?.join() === "http://127.0.0.1/*" &&
      r.world === "MAIN" &&
      r.runAt === "document_start" &&
      r.allFrames === true &&
      r.js?.join() === expected.join(),
    JSON.stringify(registered),
  );
  if (process.env.WMP_DEBUG) console.log("registered:", JSON.stringify(registered));

  // (a) the page's first script, bounded by the budget; the ledger and overlay at its true size
  await d.goto(`${ON}/grow.html`);
  await d.waitFor(() => document.querySelector("wasm-memory-ledger")?.shadowRoot?.getElementById("pages")?.textContent);
  let s = await d.evaluate(pageState);
  check(
    t("(a) the extension installed the package before the page's first script"),
    s.installed && s.status?.state === "running" && s.status?.settingsDelivered === true,
    JSON.stringify(s.status),
  );
  check(
    t(`(a) a hard budget of ${BUDGET} pages from the settings bounds growth inside wasm`),
    s.result?.pages === BUDGET && s.result.refused === 1 + GROW - BUDGET && s.bounded?.[0] === true,
    JSON.stringify(s.result),
  );
  check(
    t("(a) the ledger shows the memory at its true size"),
    s.livePages === s.result?.pages && s.live === 1,
    `ledger ${s.livePages}, page ${s.result?.pages}`,
  );
  check(t("(a) the overlay shows it against the budget"), s.overlay === `${BUDGET} of ${BUDGET} pages (hard budget)`, s.overlay);
  const badge = await askBackground(ext, { type: "status", url: `${ON}/grow.html` });
  check(t("(a) the toolbar badge shows the page's pages"), badge?.text === String(BUDGET), JSON.stringify(badge));
  const off = await askBackground(ext, { type: "toggle", url: `${ON}/grow.html` });
  const hidden = await d.evaluate(() => document.querySelector("wasm-memory-ledger") === null);
  const on = await askBackground(ext, { type: "toggle", url: `${ON}/grow.html` });
  const shown = await d.evaluate(() => document.querySelector("wasm-memory-ledger") !== null);
  check(
    t("(a) the toolbar button hides and shows the overlay"),
    off === false && hidden && on === true && shown,
    JSON.stringify({ off, hidden, on, shown }),
  );

  // a page that patched what the content script uses after its start: the overlay still comes
  await d.goto(`${ON}/hostile.html`);
  await d.waitFor(() => document.querySelector("wasm-memory-ledger")?.shadowRoot?.getElementById("pages")?.textContent);
  s = await d.evaluate(pageState);
  check(
    t("a page that replaced addEventListener and document.body in its first script still gets the overlay"),
    s.overlay === `${BUDGET} of ${BUDGET} pages (hard budget)` && s.result?.pages === BUDGET,
    JSON.stringify({ overlay: s.overlay, result: s.result }),
  );

  // (c) a memory made in an iframe
  await d.goto(`${ON}/frames.html`);
  await d.waitFor(() => document.querySelector("iframe")?.contentWindow?.__result != null);
  const frame = await d.evaluate(() => {
    const w = document.querySelector("iframe").contentWindow;
    const reg = Object.getOwnPropertyDescriptor(w, Symbol.for("wasm-memory-polyfill"))?.value;
    return { pages: w.__result.pages, ledger: reg?.api.ledger.snapshot().livePages ?? null };
  });
  const frames = await askBackground(ext, { type: "status", url: `${ON}/frames.html` });
  const sub = frames?.frames?.find((f) => f.frameId !== 0)?.status;
  // The top frame's overlay shows the app: each frame shares its ledger (same origin). 40 is BUDGET.
  const appView = await d
    .waitFor(() =>
      /· 40 pages · 2 realms$/.test(document.querySelector("wasm-memory-ledger")?.shadowRoot?.getElementById("summary")?.textContent ?? ""),
    )
    .then(
      () => true,
      () => false,
    );
  const summary = await d.evaluate(
    () => document.querySelector("wasm-memory-ledger")?.shadowRoot?.getElementById("summary")?.textContent ?? null,
  );
  check(t("(c) the top frame's overlay counts the iframe's memory (its realm shares)"), appView, summary);
  check(
    t("(c) an iframe's memory is in the frame's ledger and in the tab's status"),
    frame.pages === BUDGET && frame.ledger === BUDGET && sub?.livePages === BUDGET && frames.text === String(BUDGET),
    JSON.stringify({ frame, frames }),
  );

  // (c) an about:blank frame the page makes and uses at once: the script is in it already
  await d.goto(`${ON}/blank.html`);
  await d.waitFor(() => window.__blank !== undefined);
  const blank = await d.evaluate(() => window.__blank);
  check(
    t("(c) an about:blank frame is installed before the page's script can reach into it"),
    blank.immediate === true && blank.ledgerPages === 3,
    JSON.stringify(blank),
  );

  // (d) a site not chosen: untouched
  await d.goto(`${OFF}/grow.html`);
  await d.waitFor(() => window.__result != null);
  s = await d.evaluate(pageState);
  check(
    t("(d) a site not chosen is left untouched"),
    !s.registry &&
      s.status === null &&
      s.overlay === null &&
      s.result.pages === 1 + GROW &&
      /\[native code\]/.test(await d.evaluate(() => String(WebAssembly.Memory))),
    JSON.stringify(s),
  );

  // (b) a CSP without 'wasm-unsafe-eval': the page works, the extension reports it
  d.messages.length = 0;
  d.errors.length = 0;
  await d.goto(`${ON}/csp.html`);
  await d.waitFor(() => document.getElementById("h")?.textContent === "its own script ran");
  s = await d.evaluate(pageState);
  if (process.env.WMP_DEBUG) console.log("console:", JSON.stringify(d.messages), "errors:", JSON.stringify(d.errors));
  const own = await d.evaluate(() => ({
    ran: window.__cspPageRan === true,
    wasm: window.__cspWasm,
    native: /\[native code\]/.test(String(WebAssembly.Memory)),
  }));
  // Firefox hands its own CSP violation reports to the page's error log (puppeteer's
  // "pageerror"): those are the browser's reports of the blocked compiles (the page's own and
  // the extension's attempt), not exceptions; anything else would be one thrown into the page.
  const thrown = d.errors.filter((e) => !/^Content-Security-Policy: /.test(e));
  check(
    t("(b) a strict-CSP page still works, untouched"),
    own.ran && own.wasm === "CompileError" && own.native && !s.installed && thrown.length === 0,
    JSON.stringify({ own, errors: d.errors }),
  );
  check(
    t("(b) ... and the extension reports it (frame status, console)"),
    s.status?.state === "blocked" && d.messages.some((m) => /wasm-memory-polyfill extension: .*Content-Security-Policy/.test(m)),
    JSON.stringify({ status: s.status, messages: d.messages }),
  );
  const csp = await askBackground(ext, { type: "status", url: `${ON}/csp.html` });
  check(t("(b) ... on the toolbar badge"), csp?.text === "CSP" && /Content-Security-Policy/.test(csp.title), JSON.stringify(csp));

  // A change of settings holds for the next page loaded (the registration is updated in place).
  const saved2 = await saveSettings(ext, optionsUrl, { sites: ["http://127.0.0.1/*"], mode: "hard", totalPages: BUDGET / 2 });
  await d.goto(`${ON}/grow.html`);
  await d.waitFor(() => window.__result != null);
  s = await d.evaluate(pageState);
  check(
    t("a new budget holds for the next page loaded"),
    /^Saved/.test(saved2) && s.result.pages === BUDGET / 2 && s.budget?.totalPages === BUDGET / 2,
    JSON.stringify({ saved2, result: s.result, budget: s.budget }),
  );
}

// ------------------------------------------------------------------ the browsers
function driverOf(page, kind) {
  const d = {
    messages: [],
    errors: [],
    goto: (url) => page.goto(url, { timeout: TIMEOUT }),
    evaluate: (fn, arg) => withTimeout(page.evaluate(fn, arg), TIMEOUT, "evaluate"),
    waitFor: (fn) =>
      kind === "playwright" ? page.waitForFunction(fn, undefined, { timeout: TIMEOUT }) : page.waitForFunction(fn, { timeout: TIMEOUT }),
  };
  page.on("console", (m) => d.messages.push(m.text()));
  page.on("pageerror", (e) => d.errors.push(String(e?.message ?? e)));
  return d;
}

/** The page of `context` at `url` once it has loaded (waiting up to TIMEOUT for it to open), or
 * undefined. */
async function openedPage(context, url) {
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    const page = context.pages().find((p) => p.url().startsWith(url));
    if (page) {
      await page.waitForLoadState("load", { timeout: TIMEOUT });
      return page;
    }
    await sleep(100);
  }
  return undefined;
}

async function chromiumRun() {
  const { chromium } = await import("playwright-core");
  const profile = makeTempDir("wmp-ext-chromium-");
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: [
        "--headless",
        `--disable-extensions-except=${CHROMIUM_DIR}`,
        `--load-extension=${CHROMIUM_DIR}`,
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      timeout: 60_000,
    });
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: TIMEOUT }));
    const id = new URL(worker.url()).host;
    // On a first install the extension opens its settings page in a tab (background.js). Driven
    // from a tab of our own, our navigation to the page could race that one (Chromium may open
    // it in the blank tab we made): the settings are saved in the tab it opened, once loaded.
    const optionsUrl = `chrome-extension://${id}/options.html`;
    const opened = await openedPage(context, optionsUrl);
    check(
      "Chromium: a first install opens the settings page",
      opened !== undefined,
      context
        .pages()
        .map((p) => p.url())
        .join(", "),
    );
    const options = opened ?? (await context.newPage());
    const page = context.pages().find((p) => p !== options) ?? (await context.newPage());
    await scenario(
      `Chromium ${context.browser()?.version() ?? ""}`.trim(),
      driverOf(page, "playwright"),
      driverOf(options, "playwright"),
      optionsUrl,
    );
  } finally {
    await withTimeout(context?.close() ?? Promise.resolve(), 15_000, "closing Chromium").catch(() => {});
    removeTempDir(profile);
  }
}

async function firefoxRun() {
  const { default: puppeteer } = await import("puppeteer-core");
  const profile = makeTempDir("wmp-ext-firefox-");
  const ID = JSON.parse(readFileSync(join(FIREFOX_DIR, "manifest.json"), "utf8")).browser_specific_settings.gecko.id;
  const UUID = "5a1b6e1c-2f0d-4c59-9d3e-0c7e3b1a9f42"; // the moz-extension:// host, fixed by a pref
  let browser, pid;
  try {
    browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: "/usr/bin/firefox-esr",
      protocol: "webDriverBiDi",
      userDataDir: profile,
      headless: true,
      timeout: 60_000,
      extraPrefsFirefox: { "extensions.webextensions.uuids": JSON.stringify({ [ID]: UUID }) },
    });
    pid = browser.process()?.pid;
    // Firefox's BiDi won't navigate a tab to a moz-extension:// page, but the page itself may go
    // to a web-accessible one: the test's copy of the extension (only) makes options.html one.
    const dir = join(profile, "extension");
    cpSync(FIREFOX_DIR, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    manifest.web_accessible_resources = [{ resources: ["options.html"], matches: ["<all_urls>"] }];
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    await withTimeout(browser.installExtension(dir), TIMEOUT, "installing the extension");
    const page = await browser.newPage();
    const options = driverOf(await browser.newPage(), "puppeteer");
    const url = `moz-extension://${UUID}/options.html`;
    options.goto = async () => {
      await options.evaluate((u) => void (location.href = u), url);
      await options.waitFor(() => location.protocol === "moz-extension:" && document.readyState === "complete");
    };
    const version = (await browser.version()).replace(/^firefox\//i, "Firefox ");
    await scenario(version, driverOf(page, "puppeteer"), options, url);
  } finally {
    await closeFirefox(browser, pid, profile);
  }
}

const only = process.argv.slice(2);
for (const [name, run] of [
  ["chromium", chromiumRun],
  ["firefox", firefoxRun],
]) {
  if (only.length && !only.includes(name)) continue;
  try {
    await withTimeout(run(), 120_000, name);
  } catch (error) {
    check(
      `${name}: the run finished`,
      false,
      String(error?.stack ?? error)
        .split("\n")
        .slice(0, 4)
        .join(" | "),
    );
  }
}
server.close();
server.closeAllConnections?.();
await cleanup();
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
