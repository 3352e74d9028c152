// Takes docs/extension.png (shown in docs/extension.md): the extension (artifacts/extension/chromium,
// built by scripts/extension.mjs) on a page running a real program it was never written for:
// brotli-wasm 3.0.1 (Rust/wasm-bindgen, from node_modules, unchanged) compressing ever larger
// texts under a hard budget set in the extension's settings page, until the budget refuses its
// memory's growth inside wasm. Headless Chromium (playwright-core), a fresh profile, deleted after.
//   node scripts/extension.mjs && node scripts/extension-screenshot.mjs [out.png]
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = process.argv[2] ?? join(root, "docs/extension.png");
const ext = join(root, "artifacts/extension/chromium");
const brotli = join(root, "node_modules/brotli-wasm");
const BUDGET = 512;

const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>brotli-wasm, unchanged</title>
<style>body { font: 15px/1.5 system-ui, sans-serif; margin: 32px; color: #1d2330; } h1 { font-size: 20px; } li { font-variant-numeric: tabular-nums; } .no { color: #c92a2a; } code { font-size: 13px; }</style>
</head><body><h1>brotli-wasm 3.0.1 (Rust, wasm-bindgen), unchanged</h1>
<p>This page knows nothing of the extension: it loads <code>brotli-wasm</code> and compresses larger and larger texts.<br>The extension installed the ledger before the page's first script, with a hard budget of ${BUDGET} pages (32 MiB) from its settings.</p>
<ol id="log"></ol>
<script type="module">
import brotliPromise from "/brotli/index.web.js";
const brotli = await brotliPromise;
const log = (text, bad) => { const li = document.createElement("li"); li.textContent = text; if (bad) li.className = "no"; document.getElementById("log").append(li); };
const words = "memory budget ledger grow page wasm brotli quality window stream".split(" ");
const text = (mb) => { let s = ""; while (s.length < mb * 1048576) { const r = Math.floor(Math.random() * 1e6); s += words[r % words.length] + (r % 7 ? " " : ".\\n") + (r % 9973); } return new TextEncoder().encode(s); };
for (const mb of [1, 2, 4, 8, 16]) {
  await new Promise((r) => setTimeout(r, 900));
  const input = text(mb);
  try {
    const t = performance.now();
    const c = brotli.compress(input, { quality: 5 });
    log(mb + " MiB → " + (c.length / 1024).toFixed(0) + " KiB in " + (performance.now() - t).toFixed(0) + " ms");
  } catch (e) {
    log(mb + " MiB: refused: brotli-wasm's allocation failed inside wasm (" + (e?.message || e?.name || e) + ")", true);
  }
}
window.done = true;
</script></body></html>`;

const server = createServer((req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  if (path === "/") return res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
  if (path.startsWith("/brotli/")) {
    const file = normalize(join(brotli, path.slice("/brotli/".length)));
    if (file.startsWith(brotli)) {
      try {
        const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
        return res.writeHead(200, { "content-type": type }).end(readFileSync(file));
      } catch {
        /* 404 */
      }
    }
  }
  res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;
const profile = mkdtempSync(join(tmpdir(), "wmp-ext-shot-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1100, height: 640 },
    args: [
      "--headless",
      `--disable-extensions-except=${ext}`,
      `--load-extension=${ext}`,
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    timeout: 60_000,
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 20_000 }));
  const settings = await context.newPage();
  await settings.goto(`chrome-extension://${new URL(worker.url()).host}/options.html`);
  await settings.waitForFunction(() => document.getElementById("mode")?.options.length === 3);
  await settings.fill("#sites", "http://127.0.0.1/*");
  await settings.selectOption("#mode", "hard");
  await settings.fill("#totalPages", String(BUDGET));
  await settings.check("#overlay");
  await settings.click("#save");
  await settings.waitForFunction(() => /^Saved/.test(document.getElementById("result").textContent), null, { timeout: 20_000 });
  const p = context.pages()[0];
  await p.bringToFront();
  await p.goto(base);
  await p.waitForFunction(() => window.done === true, null, { timeout: 60_000 });
  await p.waitForTimeout(2500); // the overlay's chart takes a sample a second
  await p.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  server.close();
}
