// The benchmarks in headless Chromium: serves the repository on 127.0.0.1 (benches/server.mjs),
// opens benches/page.html (which imports /pkg/index.js and benches/cases.mjs) and collects the
// results with page.evaluate; /pkg/ is served from $BENCH_PKG when set (see report.mjs).
// Prints the table and writes artifacts/bench/chromium.json.
//
//   node benches/chromium.mjs [--quick]
import { chromium } from "playwright-core";
import { QUICK } from "./cases.mjs";
import { PKG, ROOT, saveEnv } from "./report.mjs";
import { serve } from "./server.mjs";

const EXECUTABLE = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--js-flags=--expose-gc",
];
const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const options = { ...(quick ? QUICK : {}), ...(only ? { only } : {}) };

const server = await serve(ROOT, { mounts: { "/pkg/": PKG } });
let browser;
try {
  browser = await chromium.launch({ executablePath: EXECUTABLE, args: ARGS, headless: true });
  const version = browser.version();
  console.log(`chromium ${version}: running the benchmarks${quick ? " (quick)" : ""} from ${server.url}/benches/page.html`);
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => console.log(`  [chromium] ${m.text()}`));
  page.on("pageerror", (e) => {
    errors.push(e);
    console.error(`  [chromium] page error: ${e.message}`);
  });
  page.on("requestfailed", (r) => console.error(`  [chromium] request failed: ${r.url()}`));
  await page.goto(`${server.url}/benches/page.html`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 }).catch((e) => {
    throw errors[0] ?? e;
  });
  const result = await page.evaluate((options) => window.runBench(options), options);
  result.env.runtime = `Chromium ${version}`;
  saveEnv("chromium", result);
} finally {
  await browser?.close();
  await server.close();
}
