// The hostile-input stack sweep in headless Chromium and Firefox (the Node half, and the other
// hostile cases, are tests/js/hostile.test.mjs). `node tests/hostile/run.mjs [--only chromium]`.
// Prints `ok - [engine] ...` / `not ok - ...` lines, then `hostile: N passed, M failed`.
import { startServer } from "../fuzz/server.mjs";

const only = (process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : "chromium,firefox").split(",");
let passed = 0,
  failed = 0;
const report = (ok, line) => {
  ok ? passed++ : failed++;
  console.log(`${ok ? "ok" : "not ok"} - ${line}`);
};

async function launch(engine) {
  if (engine === "chromium") {
    const { chromium } = await import("playwright-core");
    return chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }
  const { default: puppeteer } = await import("puppeteer-core");
  return puppeteer.launch({
    browser: "firefox",
    executablePath: "/usr/bin/firefox-esr",
    protocol: "webDriverBiDi",
    headless: true,
    protocolTimeout: 10 * 60 * 1000,
  });
}

const server = await startServer();
try {
  for (const engine of only) {
    let browser;
    try {
      browser = await launch(engine);
      const page = await browser.newPage();
      await page.goto(`${server.url}/fuzz.html`);
      const results = await page.evaluate(async () => (await import("/tests/hostile/page.mjs")).run());
      for (const r of results)
        report(
          r.problem === "" && r.overflowed > 0,
          `[${engine}] ${r.name}, interrupted at every depth (${r.overflowed} overflows), leaves the package working and the ledger exact${r.problem ? `: ${r.problem}` : ""}`,
        );
    } catch (e) {
      report(false, `[${engine}] the run completes: ${e?.stack ?? e}`);
    } finally {
      await browser?.close().catch(() => {});
    }
  }
} finally {
  await server.close();
}
console.log(`hostile: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
