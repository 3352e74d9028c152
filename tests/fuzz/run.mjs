#!/usr/bin/env node
// Reliability and security fuzz suite (issue #7): one entry point.
//
//   node tests/fuzz/run.mjs                 default: fixed seed, a few thousand cases per engine
//   node tests/fuzz/run.mjs --long          >= 100 000 cases per engine
//   node tests/fuzz/run.mjs --seed N        replay with another seed
//   node tests/fuzz/run.mjs --only node,chromium,firefox
//   node tests/fuzz/run.mjs --cases N       N descriptor cases (and N/2 grow cases) per engine
//   node tests/fuzz/run.mjs --sections descriptors,grow,modules,compilePaths,errorPaths,allocation,bypass,isolation,workers,leak,final
//   node tests/fuzz/run.mjs --case K        replay only case #K of each differential section
//   node tests/fuzz/run.mjs --modules N     N generated modules per engine (default 400)
//
// Runs tests/fuzz/harness.mjs in Node (in-process, pkg/node.js), then in headless Chromium
// (playwright-core) and headless Firefox (puppeteer-core over WebDriver BiDi), each page loading
// the same harness and /pkg/index.js from a local, cross-origin-isolated server. Prints
// "ok - ..." / "not ok - ...: detail" per check and ends with "fuzz: N passed, M failed".

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const HERE = new URL(".", import.meta.url);
const { formatFailures, mergeFailures } = await import("./harness.mjs");
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// Node needs gc() for batches and the leak test: re-spawn with --expose-gc if it is missing.
if (typeof globalThis.gc !== "function") {
  const r = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const LONG = flag("--long");
const SEED = Number(option("--seed", "7")) >>> 0;
const ONLY = option("--only", "node,chromium,firefox")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const SECTIONS = option(
  "--sections",
  "descriptors,grow,modules,compilePaths,errorPaths,allocation,bypass,isolation,workers,leak,final",
).split(",");
const DESCRIPTOR_CASES = Number(option("--cases", LONG ? "75000" : "3000"));
const GROW_CASES = Math.ceil(DESCRIPTOR_CASES / 2);
const MODULE_CASES = Number(option("--modules", LONG ? "5000" : "400"));
// --case K: only case #K of each differential section (descriptors, grow, modules), to replay one.
const ONE_CASE = option("--case", null) === null ? null : Number(option("--case", "0"));
/** [start, count] chunks covering `total` cases (or just the replayed case). */
const chunks = (total) => {
  if (ONE_CASE !== null) return [[ONE_CASE, 1]];
  const out = [];
  for (let start = 0; start < total; start += CHUNK) out.push([start, Math.min(CHUNK, total - start)]);
  return out;
};
const CHUNK = 2000;
const t0 = Date.now();

let passed = 0;
let failed = 0;
const failedNames = [];
function report(engine, check) {
  const name = `[${engine}] ${check.name}`;
  if (check.ok) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    failedNames.push(name);
    console.log(`not ok - ${name}: ${check.detail || "(no detail)"}`);
  }
}
const comment = (s) =>
  console.log(
    String(s)
      .split("\n")
      .map((l) => `# ${l}`)
      .join("\n"),
  );

if (!existsSync(new URL("../../pkg/node.js", import.meta.url))) {
  comment("pkg/ is missing: building it with scripts/build.sh");
  const r = spawnSync("bash", ["scripts/build.sh"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) {
    console.log("not ok - build the package: scripts/build.sh failed");
    console.log("fuzz: 0 passed, 1 failed");
    process.exit(1);
  }
}

comment(
  `seed ${SEED}${LONG ? " (long run)" : ""}: ${DESCRIPTOR_CASES} descriptor + ${GROW_CASES} grow + ${MODULE_CASES} module cases per engine; replay with: node tests/fuzz/run.mjs --seed ${SEED}${LONG ? " --long" : ""}`,
);

const summaries = [];

/** Merges one chunk's check into `merged` (by name): failure data is summed, details kept. */
function mergeCheck(merged, c) {
  const m = merged.get(c.name) ?? { ok: true, details: [], data: null };
  m.ok &&= c.ok;
  if (c.data?.failed) m.data = mergeFailures(m.data, c.data);
  else if (!c.ok) m.details.push(c.detail);
  merged.set(c.name, m);
}

/** Runs every section through `run(section, args)`; prints as results come in. */
async function runSections(engine, info, run, { leak } = {}) {
  const kinds = info.kinds;
  comment(
    `${engine}: ${info.userAgent}; engine profile ${info.engine}, memory64 ${info.memory64}, i64 page limit ${info.i64Limit}, shared buffers frozen by the engine ${info.sharedFrozen}, crossOriginIsolated ${info.crossOriginIsolated}`,
  );
  const sum = { engine, cases: 0, descriptorCases: 0, growCases: 0, passed: 0, failed: 0, kinds: {}, ms: 0 };
  const before = { passed, failed };
  const merge = (stats) => {
    for (const [k, v] of Object.entries(stats.kinds ?? {})) sum.kinds[k] = (sum.kinds[k] ?? 0) + v;
  };
  const addStats = (into, s) => {
    for (const [k, v] of Object.entries(s)) {
      if (typeof v === "number") into[k] = (into[k] ?? 0) + v;
      else if (v && typeof v === "object" && !Array.isArray(v)) into[k] = addStats(into[k] ?? {}, v);
    }
    return into;
  };
  // Differential sections run in chunks (progress, and bounded evaluate() calls), then their
  // checks are merged into one result per section.
  for (const [section, total] of [
    ["descriptors", DESCRIPTOR_CASES],
    ["grow", GROW_CASES],
  ].filter(([s]) => SECTIONS.includes(s))) {
    let stats = {};
    const merged = new Map();
    for (const [start, count] of chunks(total)) {
      const r = await run(section, { seed: SEED, start, count });
      stats = addStats(stats, r.stats);
      for (const c of r.checks) {
        mergeCheck(merged, c);
      }
      if (LONG)
        comment(
          `${engine}: ${section} ${start + count}/${total} (${r.ms} ms${r.stats.ledgerLive !== undefined ? `, ${r.stats.ledgerLive} memories live in the ledger` : ""})`,
        );
    }
    for (const [key, m] of merged) {
      const name = key
        .replace("descriptor cases", `${stats.cases} descriptor cases`)
        .replace("grow cases", `${stats.cases} grow cases (${stats.i32 ?? 0} i32, ${stats.i64 ?? 0} i64)`);
      report(engine, { name, ok: m.ok, detail: m.data ? formatFailures(m.data) : m.details.join("\n  ") });
    }
    merge(stats);
    const k =
      Object.entries(stats.kinds ?? {})
        .map(([x, n]) => `${x} ${n}`)
        .join(", ") || "none";
    comment(
      `${engine}: ${section}: ${stats.cases} cases (${stats.rejected} generated cases dropped as too large${stats.skippedNoMemory64 ? `, ${stats.skippedNoMemory64} i64 cases skipped: no memory64` : ""}); the engine follows the spec in ${stats.nativeConforms}, deviates (known) in ${stats.deviating}, unexplained ${stats.unexplained}; deviations by kind: ${k}; our outcomes: ${Object.entries(
        stats.outcomes ?? {},
      )
        .map(([x, n]) => `${x} ${n}`)
        .join(", ")}`,
    );
    sum.cases += stats.cases;
    if (section === "descriptors") sum.descriptorCases = stats.cases;
    else sum.growCases = stats.cases;
  }
  if (SECTIONS.includes("modules")) {
    const stats = {};
    const merged = new Map();
    for (const [start, count] of chunks(MODULE_CASES)) {
      const r = await run("modules", { seed: SEED, start, count });
      addStats(stats, r.stats);
      for (const c of r.checks) mergeCheck(merged, c);
      if (start === chunks(MODULE_CASES)[0][0]) for (const n of r.notes ?? []) comment(`${engine}: ${n}`);
    }
    for (const [name, m] of merged)
      report(engine, {
        name: name.replace("modules:", `modules: ${stats.cases} generated modules (${stats.mutated} mutated):`),
        ok: m.ok,
        detail: m.data ? formatFailures(m.data) : m.details.join("\n  "),
      });
    comment(
      `${engine}: modules: ${stats.cases} cases, ${stats.compiled} compiled, ${stats.instantiated} instantiated, ${stats.exportedMemories} exported memories checked; paths ${Object.entries(
        stats.paths ?? {},
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
    sum.moduleCases = stats.cases;
    sum.cases += stats.cases;
  }
  for (const section of ["compilePaths", "errorPaths", "allocation", "bypass", "isolation", "workers"].filter((s) =>
    SECTIONS.includes(s),
  )) {
    const r = await run(section, section === "compilePaths" ? { seed: SEED, count: LONG ? 3000 : 300 } : {});
    for (const c of r.checks) report(engine, c);
    for (const n of r.notes ?? []) comment(`${engine}: note: ${n}`);
  }
  if (leak && SECTIONS.includes("leak")) {
    const r = await leak();
    for (const c of r.checks) report(engine, c);
    const { samples, ...figures } = r.stats;
    comment(`${engine}: leak test: ${JSON.stringify(figures)}`);
    for (const s of samples)
      comment(
        `${engine}:   after batch ${s.batch}: live ${s.live}, linear memory ${s.linear} bytes, externref table ${s.table}, heap ${s.heapMB} MB`,
      );
    sum.leak = figures;
  }
  if (SECTIONS.includes("final")) {
    const r = await run("final", {});
    for (const c of r.checks) report(engine, c);
  }
  sum.passed = passed - before.passed;
  sum.failed = failed - before.failed;
  summaries.push({ ...sum, kindNames: kinds });
}

// ------------------------------------------------------------------------------------- Node

async function runNode() {
  const engineT0 = Date.now();
  // Node loads undici (fetch, Response) lazily, and undici instantiates its llhttp wasm module
  // a moment later: were that to happen while a section has install()ed, its memory would be
  // ledgered (rightly) and stay alive for good. Load it now, before anything is installed.
  void globalThis.Response;
  await new Promise((resolve) => setTimeout(resolve, 100));
  // The polyfill's own wasm instance (its linear memory, its externref table) for the isolation
  // and leak checks. The package ships bundled, with no glue module to ask, so its instance is
  // caught as the Node entry makes it (initSync: `new WebAssembly.Instance`), and the engine's
  // constructor is put back before anything else runs.
  const NativeInstance = WebAssembly.Instance;
  let glue;
  WebAssembly.Instance = new Proxy(NativeInstance, {
    construct(target, args) {
      const instance = Reflect.construct(target, args);
      glue ??= instance.exports;
      return instance;
    },
  });
  let api;
  try {
    api = await import("../../pkg/node.js");
  } finally {
    WebAssembly.Instance = NativeInstance;
  }
  if (!(glue?.memory instanceof WebAssembly.Memory))
    throw new Error("pkg/node.js made no wasm instance with a memory: the polyfill's own memory is unknown");
  const { Memory, install, ledger } = api;
  const { createHarness } = await import("./harness.mjs");
  const { leakTest } = await import("./leak.mjs");
  const fixture = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/${name}.wasm`, import.meta.url)));
  const makeWorker = () => {
    const w = new Worker(new URL("./worker.mjs", HERE));
    const o = { onmessage: null, postMessage: (m) => w.postMessage(m), terminate: () => w.terminate() };
    w.on("message", (d) => o.onmessage?.(d));
    w.on("error", (e) => o.onmessage?.({ type: "error", error: String(e?.stack ?? e) }));
    return o;
  };
  // Another realm, for module bytes from elsewhere (as a jest environment or vm.runInNewContext has them).
  const { runInNewContext } = await import("node:vm");
  const realm = () => runInNewContext("globalThis");
  const harness = createHarness({
    Memory,
    install,
    ledger,
    glue,
    env: "node",
    gc: globalThis.gc,
    fixtures: { grower: fixture("grower"), exporter: fixture("exporter"), memory: fixture("memory") },
    makeWorker,
    realm,
  });
  await runSections("node", harness.info, (s, a) => harness.run(s, a), {
    leak: () => leakTest({ Memory, ledger, glue, count: 100000, batch: 1000 }),
  });
  summaries[summaries.length - 1].ms = Date.now() - engineT0;
}

// ---------------------------------------------------------------------------------- browsers

/** Set-up code evaluated in the page: loads the package, the glue and the harness. */
async function pageSetup() {
  // The polyfill's own wasm instance, caught as /pkg/index.js makes it (instantiateStreaming,
  // or instantiate when the server's MIME type is wrong); the engine's functions are put back
  // before anything else runs. See runNode().
  const W = WebAssembly;
  const native = { instantiate: W.instantiate, instantiateStreaming: W.instantiateStreaming };
  let glue;
  const caught = (p) => p.then((r) => ((glue ??= (r instanceof W.Instance ? r : r.instance).exports), r));
  W.instantiate = function instantiate(...args) {
    return caught(native.instantiate.apply(this, args));
  };
  W.instantiateStreaming = function instantiateStreaming(...args) {
    return caught(native.instantiateStreaming.apply(this, args));
  };
  let api;
  try {
    api = await import("/pkg/index.js");
  } finally {
    Object.assign(W, native);
  }
  if (!(glue?.memory instanceof W.Memory))
    throw new Error("/pkg/index.js made no wasm instance with a memory: the polyfill's own memory is unknown");
  const { createHarness } = await import("/tests/fuzz/harness.mjs");
  const fixture = async (name) => new Uint8Array(await (await fetch(`/tests/fixtures/${name}.wasm`)).arrayBuffer());
  const makeWorker = () => {
    const w = new Worker("/tests/fuzz/worker.mjs", { type: "module" });
    const o = { onmessage: null, postMessage: (m) => w.postMessage(m), terminate: () => w.terminate() };
    w.onmessage = (e) => o.onmessage?.(e.data);
    w.onerror = (e) => o.onmessage?.({ type: "error", error: String(e?.message ?? e) });
    return o;
  };
  const harness = createHarness({
    ...api,
    glue,
    env: navigator.userAgent.includes("Firefox") ? "firefox" : "chromium",
    gc: typeof globalThis.gc === "function" ? globalThis.gc : null,
    fixtures: { grower: await fixture("grower"), exporter: await fixture("exporter"), memory: await fixture("memory") },
    makeWorker,
    // Another realm: a same-origin iframe's window (its ArrayBuffer, Uint8Array, Response).
    realm: () => {
      const frame = document.createElement("iframe");
      document.body.append(frame);
      return frame.contentWindow;
    },
  });
  globalThis.__fuzz = harness;
  return harness.info;
}

async function runBrowser(engine, server) {
  const engineT0 = Date.now();
  let browser;
  let page;
  let evaluate;
  const pageErrors = [];
  try {
    if (engine === "chromium") {
      const { chromium } = await import("playwright-core");
      browser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
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
      page = await browser.newPage();
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      evaluate = (fn, arg) => page.evaluate(fn, arg);
    } else {
      const { default: puppeteer } = await import("puppeteer-core");
      browser = await puppeteer.launch({
        browser: "firefox",
        executablePath: "/usr/bin/firefox-esr",
        protocol: "webDriverBiDi",
        headless: true,
        protocolTimeout: 30 * 60 * 1000,
      });
      page = await browser.newPage();
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      evaluate = (fn, arg) => page.evaluate(fn, arg);
    }
    await page.goto(`${server.url}/fuzz.html`);
    const info = await evaluate(pageSetup);
    await runSections(engine, info, (section, args) => evaluate(([s, a]) => globalThis.__fuzz.run(s, a), [section, args]));
  } catch (e) {
    report(engine, {
      name: "the browser run completes",
      ok: false,
      detail: `${e?.stack ?? e}${pageErrors.length ? `\n  page errors: ${pageErrors.join("\n  ")}` : ""}`,
    });
    summaries.push({ engine, cases: 0, passed: 0, failed: 1, kinds: {}, kindNames: {} });
  } finally {
    await browser?.close().catch(() => {});
  }
  summaries[summaries.length - 1].ms = Date.now() - engineT0;
}

// --------------------------------------------------------------------------------------- main

try {
  if (ONLY.includes("node")) await runNode();
  const browsers = ONLY.filter((e) => e === "chromium" || e === "firefox");
  if (browsers.length) {
    const { startServer } = await import("./server.mjs");
    const server = await startServer();
    try {
      for (const b of browsers) await runBrowser(b, server);
    } finally {
      await server.close();
    }
  }
} catch (e) {
  report("runner", { name: "the fuzz run completes", ok: false, detail: e?.stack ?? String(e) });
}

comment("summary per engine:");
for (const s of summaries) {
  const kinds =
    Object.entries(s.kinds ?? {})
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "none";
  comment(
    `  ${s.engine}: ${s.cases} cases (${s.descriptorCases ?? 0} descriptor, ${s.growCases ?? 0} grow, ${s.moduleCases ?? 0} module), checks ${s.passed} passed / ${s.failed} failed, known engine deviations: ${kinds}, ${((s.ms ?? 0) / 1000).toFixed(1)} s`,
  );
}
const kindNames = Object.assign({}, ...summaries.map((s) => s.kindNames ?? {}));
for (const [k, d] of Object.entries(kindNames)) comment(`  ${k}: ${d}`);
comment(`total time ${((Date.now() - t0) / 1000).toFixed(1)} s; seed ${SEED}`);
if (failed) {
  comment(`failed: ${failedNames.join("; ")}`);
  comment(`replay: node tests/fuzz/run.mjs --seed ${SEED}${LONG ? " --long" : ""} [--only <engine>] [--sections <section>] [--case <K>]`);
  comment(
    "cases print as JS over the helpers h.* of makeHelpers(log) in tests/fuzz/gen.mjs (h.v: valueOf that logs, h.t: toString, h.tp: Symbol.toPrimitive, h.px: a Proxy logging every trap, h.g/h.gthr: getter bodies, h.np/h.inh/h.fn/h.frz: null-prototype / inheriting / function / frozen descriptors)",
  );
}
console.log(`fuzz: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
