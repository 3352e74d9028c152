// Tests the built demo (www/) as a person would: builds it with vite, serves the build with
// vite preview, and drives headless Chromium (playwright-core, /usr/bin/chromium) through both
// pages (the MDN example, the ledger, and "see it": real programs under install() with the
// overlay). Prints "ok - name" / "not ok - name: detail" per check and ends with
// "demo: N passed, M failed" (exit code 1 if M > 0). Screenshots go to artifacts/screenshots/.
import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

const root = fileURLToPath(new URL("../..", import.meta.url));
const www = `${root}www`;
const shots = `${root}artifacts/screenshots`;
const WAIT = 10_000; // per-check wait for the page to show something

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ""}`);
  }
}
/** Runs an async check; a thrown error (e.g. a wait timing out) fails it with its message. */
async function step(name, fn) {
  try {
    // fn returns { ok, detail }, false, or anything else (e.g. a wait's handle): passed.
    const r = await fn();
    const verdict = r !== null && typeof r === "object" && "ok" in r ? r : { ok: r !== false };
    check(name, Boolean(verdict.ok), verdict.detail ?? "");
  } catch (e) {
    check(name, false, String(e?.message ?? e).split("\n")[0]);
  }
}

/** A free TCP port on 127.0.0.1. */
const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// Never hang: whatever happens, exit within ~2 minutes.
const watchdog = setTimeout(() => {
  console.log("not ok - finished in time: watchdog fired after 110 s");
  console.log(`demo: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 110_000);

let server;
let browser;
try {
  // ---- build and serve ----
  await build({ root: www, logLevel: "warn" });
  check("vite build", true);
  const port = await freePort();
  server = await preview({ root: www, logLevel: "warn", preview: { host: "127.0.0.1", port, strictPort: true } });
  const base = `http://127.0.0.1:${port}`;
  check("vite preview serves www/dist", (await fetch(`${base}/`)).ok, base);

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--js-flags=--expose-gc",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  mkdirSync(shots, { recursive: true });

  // Uncaught errors in a page are failures too.
  const pageErrors = [];
  const watch = (page) => {
    page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && pageErrors.push(`${page.url()}: console: ${m.text()}`));
  };
  const text = (page, sel) => page.locator(sel).textContent();
  const textIs = (page, sel, want) =>
    page.waitForFunction(([s, w]) => document.querySelector(s)?.textContent.trim() === w, [sel, String(want)], { timeout: WAIT });
  const errorMatches = (page, re) =>
    page.waitForFunction((src) => new RegExp(src).test(document.querySelector("#error")?.textContent ?? ""), re.source, { timeout: WAIT });

  // ---- page 1: the MDN example ----
  const mdn = await context.newPage();
  watch(mdn);
  await mdn.goto(`${base}/`);
  await step("mdn: accumulate(0, 10) shows 45 in #sum", () => textIs(mdn, "#sum", 45));
  await step("mdn: memory is an instanceof WebAssembly.Memory", () => textIs(mdn, "#instanceof", true));
  await step("mdn: #byte-length starts at 655360 (10 pages)", () => textIs(mdn, "#byte-length", 655360));
  await step("mdn: #type shows memory.type()", async () => {
    const t = await text(mdn, "#type");
    return { ok: t.includes('"minimum":10') && t.includes('"maximum":100'), detail: t };
  });
  await mdn.click("#grow");
  await step("mdn: grow(1) returned the old size 10", () => textIs(mdn, "#old-size", 10));
  await step("mdn: new buffer byteLength is 720896", () => textIs(mdn, "#byte-length", 720896));
  await step("mdn: the old buffer is detached", async () => {
    const t = await text(mdn, "#old-detached");
    return { ok: /^detached/.test(t) && t.includes("0"), detail: t };
  });
  await step("mdn: #type shows minimum 11 after the grow", async () => {
    const t = await text(mdn, "#type");
    return { ok: t.includes('"minimum":11'), detail: t };
  });
  for (const [delta, re] of [
    ["-1", /^TypeError: /],
    ["1.5e10", /^TypeError: /],
    ["200", /^RangeError: /],
  ]) {
    await mdn.fill("#grow-delta", delta);
    await mdn.click("#grow-by");
    await step(`mdn: grow-by ${delta} shows ${re.source.slice(1, -2)} in #error`, () => errorMatches(mdn, re));
  }
  await step("mdn: refused grows left the memory at 720896 bytes", () => textIs(mdn, "#byte-length", 720896));
  await mdn.fill("#grow-delta", "2");
  await mdn.click("#grow-by");
  await step("mdn: grow-by 2 works and clears #error", async () => {
    await textIs(mdn, "#byte-length", 13 * 65536);
    return { ok: (await text(mdn, "#error")) === "", detail: await text(mdn, "#error") };
  });
  // The screenshot shows a grow and an error, as a person trying it would see.
  await mdn.fill("#grow-delta", "-1");
  await mdn.click("#grow-by");
  await errorMatches(mdn, /TypeError/).catch(() => {});
  await mdn.screenshot({ path: `${shots}/mdn.png`, fullPage: true });

  // ---- page 2: the ledger ----
  const page = await context.newPage();
  watch(page);
  await page.goto(`${base}/ledger.html`);
  await page.waitForFunction(() => window.demo?.charts.totals && window.demo.charts.memories, null, { timeout: WAIT });
  const rows = () => page.locator("#memories tbody tr").count();
  const snap = () => page.evaluate(() => window.demo.ledger.snapshot());
  // Series of the "largest memories" chart, samples in the totals chart.
  const chartShape = () =>
    page.evaluate(() => ({ series: window.demo.charts.memories.series.length, points: window.demo.charts.totals.data[0].length }));
  await step("ledger: starts with no memories", async () => ({
    ok: (await rows()) === 0 && (await text(page, "#live")) === "0",
    detail: `${await rows()} rows`,
  }));
  const before = await chartShape();

  await page.fill("#label", "first");
  await page.fill("#initial", "2");
  await page.fill("#maximum", "50");
  await page.click("#create");
  await step("ledger: create adds a row with the label, pages and maximum", async () => {
    await page.waitForFunction(() => document.querySelectorAll("#memories tbody tr").length === 1, null, { timeout: WAIT });
    const cells = await page.locator("#memories tbody tr").first().locator("td").allTextContents();
    return { ok: cells[1] === "first" && cells[2] === "2" && cells[5] === "50" && cells[6] === "no", detail: cells.join(",") };
  });
  await page.click("#create-many");
  await step("ledger: create 100 makes 101 rows", () =>
    page.waitForFunction(() => document.querySelectorAll("#memories tbody tr").length === 101, null, { timeout: WAIT }),
  );
  await step("ledger: #live is 101 and #live-pages matches the ledger", async () => {
    const s = await snap();
    const [live, pages] = [await text(page, "#live"), await text(page, "#live-pages")];
    return {
      ok: live === "101" && pages === String(s.livePages) && s.live === 101,
      detail: `live ${live}, pages ${pages}, ledger ${s.livePages}`,
    };
  });
  await step("ledger: the event log shows create events", async () => {
    const n = await page.locator("#events li.create").count();
    return { ok: n === 101, detail: `${n} create lines` };
  });
  await step("ledger: the chart grew (more series, more samples)", async () => {
    await page.waitForFunction((b) => window.demo.charts.totals.data[0].length > b + 2, before.points, { timeout: WAIT });
    const after = await chartShape();
    return { ok: after.series > before.series && after.series === 1 + 8, detail: `${JSON.stringify(before)} -> ${JSON.stringify(after)}` };
  });
  await step("ledger: the chart's total series follows the live pages", async () => {
    const pages = (await snap()).livePages;
    await page.waitForFunction((p) => window.demo.charts.totals.data[2].at(-1) === p, pages, { timeout: WAIT });
  });

  // Grow the newest memory, then a selected one.
  const lastId = (await snap()).memories.at(-1).id;
  const pagesOf = async (id) => (await snap()).memories.find((m) => m.id === id)?.pages;
  const lastBefore = await pagesOf(lastId);
  await page.click("#grow-last");
  await step("ledger: grow-last grows the newest memory by 1", async () => {
    const sel = `#memories tbody tr[data-id="${lastId}"] td:nth-child(3)`;
    await textIs(page, sel, lastBefore + 1);
    return { ok: (await pagesOf(lastId)) === lastBefore + 1 };
  });
  const firstId = (await snap()).memories[0].id;
  await page.click(`#memories tbody tr[data-id="${firstId}"]`);
  await page.click("#grow-last");
  await step("ledger: a selected row is the one grown (pages, peak and grows in the table)", async () => {
    const sel = `#memories tbody tr[data-id="${firstId}"]`;
    await textIs(page, `${sel} td:nth-child(3)`, 3);
    const cells = await page.locator(`${sel} td`).allTextContents();
    return { ok: cells[3] === "3" && cells[4] === "1", detail: cells.join(",") };
  });
  await step("ledger: the event log shows grow events", async () => ({ ok: (await page.locator("#events li.grow").count()) === 2 }));

  // A bad form input is shown, not swallowed.
  await page.fill("#initial", "-1");
  await page.click("#create");
  await step("ledger: create with initial -1 shows a TypeError in #error", () => errorMatches(page, /^TypeError: /));
  await page.fill("#initial", "2");
  await page.fill("#maximum", "1");
  await page.click("#create");
  await step("ledger: create with maximum < initial shows a RangeError", () => errorMatches(page, /^RangeError: /));
  await page.fill("#maximum", "50");

  // A hard budget below the current total: grows and constructions are refused.
  const total = (await snap()).livePages;
  await page.fill("#budget-total", String(total - 1));
  await page.selectOption("#budget-mode", "hard");
  await page.click("#set-budget");
  await step("ledger: set-budget is shown and charted", async () => {
    await page.waitForFunction((t) => document.querySelector("#budget").textContent.includes(`totalPages ${t} (hard)`), total - 1, {
      timeout: WAIT,
    });
    await page.waitForFunction((t) => window.demo.charts.totals.data[3].at(-1) === t, total - 1, { timeout: WAIT });
  });
  await page.click("#grow-last");
  await step("ledger: grow past a hard budget shows a RangeError naming it", () => errorMatches(page, /^RangeError: .*budget.*totalPages/));
  await page.click("#create");
  await step("ledger: create past a hard budget shows a RangeError", () => errorMatches(page, /^RangeError: .*budget/));
  await step("ledger: live pages did not change after the refusals", async () => {
    const s = await snap();
    const shown = await text(page, "#live-pages");
    return {
      ok: s.livePages === total && shown === String(total) && s.live === 101,
      detail: `ledger ${s.livePages}, shown ${shown}, expected ${total}`,
    };
  });
  await step("ledger: refusals are logged as budget events", async () => {
    // Two refusals, and (setting a budget the memories already pass) one report that is not a refusal.
    const t = await page.locator("#events li.budget").allTextContents();
    const refused = t.filter((l) => l.includes("REFUSED")).length;
    return { ok: refused === 2 && t.length === 3, detail: t.join(" | ") };
  });
  // A few samples with the budget, so the screenshot shows its line.
  await page
    .waitForFunction(() => window.demo.charts.totals.data[3].filter((v) => v !== null).length >= 4, null, { timeout: WAIT })
    .catch(() => {});
  await page.screenshot({ path: `${shots}/ledger.png`, fullPage: true });

  // Soft mode lets it through, with a budget event; then clear the budget.
  await page.selectOption("#budget-mode", "soft");
  await page.click("#set-budget");
  await page.click("#grow-last");
  await step("ledger: a soft budget allows the grow and logs it", async () => {
    await textIs(page, "#live-pages", total + 1);
    const t = await page.locator("#events li.budget").first().textContent();
    return { ok: t.includes("allowed (soft)") && (await text(page, "#error")) === "", detail: t };
  });
  await page.click("#clear-budget");
  await step("ledger: clear-budget removes it", async () => {
    await textIs(page, "#budget", "none");
    return { ok: (await snap()).budget === null };
  });

  // Drop every reference, collect garbage: the live count goes down.
  await page.click("#drop");
  await step("ledger: drop releases the page's references", () => textIs(page, "#held", 0));
  const liveBefore = (await snap()).live;
  let collected = false;
  for (let i = 0; i < 10 && !collected; i++) {
    await page.click("#gc");
    collected = await page
      .waitForFunction((n) => Number(document.querySelector("#live").textContent) < n, liveBefore, { timeout: 500 })
      .then(
        () => true,
        () => false,
      );
  }
  const liveAfter = await text(page, "#live");
  const note = await text(page, "#note");
  check("ledger: gc button calls gc() (exposed by --js-flags=--expose-gc)", note.startsWith("gc() ran"), note);
  if (collected) {
    await page.waitForFunction(() => document.querySelector("#live").textContent === "0", null, { timeout: 3000 }).catch(() => {});
    const after = await snap();
    check("ledger: after drop + gc the live count went down", true);
    console.log(`# live ${liveBefore} -> ${after.live}; collected ${after.collected}; table rows ${await rows()}`);
    await step("ledger: collect events are logged and the table follows", async () => {
      const n = await page.locator("#events li.collect").count();
      return { ok: n > 0 && (await rows()) === after.live, detail: `${n} collect lines, ${await rows()} rows, live ${after.live}` };
    });
  } else {
    console.log(`# note: GC did not collect the dropped memories within ~5 s (live still ${liveAfter}); not counted as a failure`);
  }
  // Let the charts draw the drop before the last screenshot.
  await page
    .waitForFunction((n) => window.demo.charts.totals.data[2].at(-1) === n, (await snap()).livePages, { timeout: 2000 })
    .catch(() => {});
  await page.screenshot({ path: `${shots}/ledger-after-gc.png` });

  // ---- page 3: "see it": real programs under install(), with the overlay ----
  const see = await context.newPage();
  watch(see);
  await see.goto(`${base}/see.html`);
  await see.waitForFunction(() => window.demo?.ready, null, { timeout: 30_000 });
  const overlay = (fn, arg) =>
    see.evaluate(([f, a]) => new Function("root", "a", f)(document.querySelector("wasm-memory-ledger")?.shadowRoot, a), [fn, arg]);
  const shown = (id) => overlay("return root?.getElementById(a)?.textContent ?? null", id);
  await step("see: the overlay renders in its own open shadow root, styles inside", async () => {
    const r = await see.evaluate(() => {
      const el = document.querySelector("wasm-memory-ledger");
      return {
        corner: el?.getAttribute("corner"),
        open: el?.shadowRoot?.mode,
        styles: el?.shadowRoot?.querySelectorAll("style").length,
        pageStyles: document.querySelectorAll("style").length,
        fixed: el && getComputedStyle(el).position,
      };
    });
    const pages = await shown("pages");
    return {
      ok:
        r.corner === "bottom-right" &&
        r.open === "open" &&
        r.styles === 1 &&
        r.fixed === "fixed" &&
        /of 2048 pages \(hard budget\)/.test(pages ?? ""),
      detail: `${JSON.stringify(r)} ${pages}`,
    };
  });
  await step("see: a page button's style does not reach the overlay's button", async () => {
    const r = await see.evaluate(() => {
      const page = getComputedStyle(document.querySelector("#compress")).backgroundColor;
      const ours = getComputedStyle(document.querySelector("wasm-memory-ledger").shadowRoot.querySelector("button")).backgroundColor;
      return { page, ours };
    });
    return { ok: r.page !== r.ours, detail: JSON.stringify(r) };
  });
  await step("see: brotli-wasm's memory is attributed to the URL it was streamed from", async () => {
    const r = await see.evaluate(() =>
      window.demo.ledger.snapshot().memories.find((m) => /brotli_wasm_bg.*\.wasm$/.test(m.definedBy ?? "")),
    );
    const row = await overlay("return [...root.querySelectorAll('#largest tr')].map((tr) => tr.textContent).join(' | ')");
    return {
      ok: r?.origin === "exported" && r.instances === 1 && r.bounded && row.includes("brotli_wasm_bg"),
      detail: `${JSON.stringify(r)} ${row}`,
    };
  });
  await step("see: the chart is drawn (an SVG polyline of total pages)", async () => {
    await see.waitForTimeout(1100);
    const points = await overlay("return root.querySelector('polyline').getAttribute('points')");
    return { ok: (points ?? "").split(" ").length >= 2, detail: points };
  });
  // A grow made inside wasm, without any JS call on the memory or the ledger: the overlay's own
  // watcher shows it (the 5 s is a hang guard, not a speed check; the latency is only reported).
  const exporter = [...readFileSync(`${root}tests/fixtures/exporter.wasm`)];
  await see.evaluate(async (bytes) => {
    const { instance } = await WebAssembly.instantiate(new Uint8Array(bytes)); // exports a 2-page memory, grown by its `grow`
    window.exporter = instance;
  }, exporter);
  await step("see: an instance's exported memory counts 1 instance (browser)", async () => {
    const r = await see.evaluate(() =>
      window.demo.ledger.snapshot().memories.find((m) => m.id === window.demo.ledger.idOf(window.exporter.exports.memory)),
    );
    return { ok: r?.instances === 1 && r.definedBy === null && r.pages === 2, detail: JSON.stringify(r) };
  });
  await step("see: the overlay shows a grow made inside wasm on its own (its watcher)", async () => {
    const summary = () => shown("summary");
    const before = await see
      .waitForFunction(
        () => {
          const t = document.querySelector("wasm-memory-ledger").shadowRoot.getElementById("summary").textContent;
          return window.__last === t ? t : ((window.__last = t), null); // two equal reads in a row: settled
        },
        null,
        { timeout: WAIT, polling: 300 },
      )
      .then((h) => h.jsonValue());
    const pages = Number(/(\d+) pages/.exec(before)[1]);
    const ms = await see.evaluate(async (want) => {
      window.exporter.exports.grow(7); // inside wasm: 2 -> 9 pages
      const t0 = performance.now();
      const text = () => document.querySelector("wasm-memory-ledger").shadowRoot.getElementById("summary").textContent;
      while (!text().endsWith(`· ${want} pages`)) {
        if (performance.now() - t0 > 5000) return -1;
        await new Promise((r) => setTimeout(r, 20));
      }
      return performance.now() - t0;
    }, pages + 7);
    return { ok: ms >= 0, detail: `${before} -> +7 pages not shown within 5 s (${await summary()})` };
  });
  await step("see: compressing with brotli-wasm grows its memory, and the overlay follows", async () => {
    const id = await see.evaluate(() => window.demo.ledger.snapshot().memories.find((m) => /brotli_wasm_bg/.test(m.definedBy ?? "")).id);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a function the page runs, with its own template literal
    const pagesOf = () => overlay("return root.querySelector(`#largest tr[data-id='${a}'] td:nth-child(2)`)?.textContent ?? null", id);
    const before = Number(await pagesOf());
    await see.selectOption("#size", "8");
    await see.click("#compress");
    await see.waitForFunction(() => /MiB → \d+ KiB/.test(document.querySelector("#compressed").textContent), null, { timeout: 30_000 });
    const t0 = Date.now();
    while (Number(await pagesOf()) <= before && Date.now() - t0 < 1000) await see.waitForTimeout(50);
    const after = Number(await pagesOf());
    return {
      ok: after > before,
      detail: `brotli's memory: ${before} -> ${after} pages, shown ${Date.now() - t0} ms after the compress returned`,
    };
  });
  await see.click("#hash");
  await see.waitForFunction(() => /with 64 MiB/.test(document.querySelector("#hashed").textContent), null, { timeout: 30_000 });
  await see.click("#allocate");
  await step("see: a construction past the hard budget is refused and listed as a budget hit", async () => {
    await see.waitForFunction(() => /RangeError: .*budget totalPages = 2048/.test(document.querySelector("#error").textContent), null, {
      timeout: WAIT,
    });
    await see.waitForFunction(
      () => /refused: totalPages 2048/.test(document.querySelector("wasm-memory-ledger").shadowRoot.getElementById("hits").textContent),
      null,
      { timeout: 2000 },
    );
  });
  await step("see: the toggle is a real button, reached with Tab, and collapses/expands with the keyboard", async () => {
    await see.evaluate(() => document.activeElement?.blur());
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await see.keyboard.press("Tab");
      reached = await see.evaluate(
        () =>
          document.activeElement?.localName === "wasm-memory-ledger" &&
          document.activeElement.shadowRoot.activeElement?.localName === "button",
      );
    }
    if (!reached) return { ok: false, detail: "Tab never reached the overlay's button" };
    await see.keyboard.press("Enter");
    const closed = await overlay(
      "return [root.querySelector('button').getAttribute('aria-expanded'), root.getElementById('body').hidden, root.getElementById('body').offsetHeight]",
    );
    await see.keyboard.press("Space");
    const open = await overlay("return [root.querySelector('button').getAttribute('aria-expanded'), root.getElementById('body').hidden]");
    return {
      ok: closed[0] === "false" && closed[1] === true && closed[2] === 0 && open[0] === "true" && open[1] === false,
      detail: JSON.stringify({ closed, open }),
    };
  });
  await step("see: setMarks(true) makes each ledger event a performance mark (browser)", async () => {
    const r = await see.evaluate(() => {
      const { ledger } = window.demo;
      const budget = ledger.snapshot().budget;
      ledger.setBudget({ totalPages: 1, mode: "hard" }); // well below the live pages
      performance.clearMarks();
      ledger.setMarks(true);
      const memory = window.exporter.exports.memory;
      memory.grow(0); // through JS (the installed grow): a grow event
      let refused = "";
      try {
        memory.grow(1); // past the hard budget: a budget event, refused
      } catch (e) {
        refused = e.constructor.name;
      }
      ledger.setMarks(false);
      ledger.setBudget(budget);
      memory.grow(0); // no mark once off
      const marks = (name) => performance.getEntriesByName(`wasm-memory:${name}`, "mark").map((m) => m.detail);
      return { refused, grow: marks("grow"), budget: marks("budget") };
    });
    const id = await see.evaluate(() => window.demo.ledger.idOf(window.exporter.exports.memory));
    const [g, b] = [r.grow, r.budget];
    return {
      ok:
        r.refused === "RangeError" &&
        g.length === 1 &&
        g[0].id === id &&
        g[0].source === "js" &&
        b.length === 1 &&
        b[0].refused === true &&
        b[0].id === id,
      detail: JSON.stringify(r),
    };
  });
  await see.waitForTimeout(3000); // a few more chart samples for the screenshots
  await see.screenshot({ path: `${shots}/see.png` });
  await see.emulateMedia({ colorScheme: "dark" });
  await see.waitForTimeout(300);
  await step("see: the overlay follows prefers-color-scheme (dark)", async () => {
    const bg = await overlay("return getComputedStyle(root.querySelector('.panel')).backgroundColor");
    return { ok: bg === "rgb(27, 31, 39)", detail: bg };
  });
  await see.screenshot({ path: `${shots}/see-dark.png` });
  await see.emulateMedia({ colorScheme: "light" });
  await step("see: unmount removes the element and stops the watcher", async () => {
    const r = await see.evaluate(async () => {
      const { ledger, unmount } = window.demo;
      const heard = [];
      const off = ledger.on("grow", (e) => heard.push(e.source));
      unmount();
      const gone = document.querySelector("wasm-memory-ledger") === null;
      window.exporter.exports.grow(1); // inside wasm: only a size read can see it
      await new Promise((r) => setTimeout(r, 1200)); // the watcher read sizes every 250 ms
      const whileUnmounted = heard.length;
      ledger.snapshot(); // a size read: the grow is found now (the check above could fail)
      off();
      return { gone, whileUnmounted, afterRead: heard };
    });
    return { ok: r.gone && r.whileUnmounted === 0 && r.afterRead.join() === "wasm", detail: JSON.stringify(r) };
  });

  check("no uncaught errors in the pages", pageErrors.length === 0, pageErrors.join(" | "));
} catch (e) {
  check("demo run", false, e?.stack ?? String(e));
} finally {
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
  clearTimeout(watchdog);
}

console.log(`demo: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
