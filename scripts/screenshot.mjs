// Takes www/screenshot.png (shown in docs/demo.md): the "see it" demo page with the overlay, after
// a few real grows and a refused construction. Run after scripts/build.sh:
//   node scripts/screenshot.mjs [out.png]
// Builds www/ with vite, serves it with vite preview, and drives Debian's chromium headless
// (playwright-core) in a fresh profile, which it deletes afterwards.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = process.argv[2] ?? join(root, "www/screenshot.png");
const profile = mkdtempSync(join(tmpdir(), "wmp-shot-"));
let server, context;
try {
  await build({ root: join(root, "www"), logLevel: "warn" });
  server = await preview({ root: join(root, "www"), logLevel: "warn", preview: { host: "127.0.0.1", port: 0 } });
  const base = server.resolvedUrls.local[0];
  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 820 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(new URL("see.html", base).href);
  await page.waitForFunction(() => window.demo?.ready, null, { timeout: 30_000 });
  // A few seconds of history, then the programs grow their memories, then a refusal.
  await page.waitForTimeout(3000);
  await page.selectOption("#size", "4");
  await page.click("#compress");
  await page.waitForTimeout(3000);
  await page.selectOption("#size", "8");
  await page.click("#compress");
  await page.waitForTimeout(2000);
  await page.click("#hash");
  await page.waitForTimeout(3000);
  await page.click("#allocate");
  await page.waitForTimeout(2500);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await context?.close().catch(() => {});
  await server?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
