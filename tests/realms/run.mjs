// One ledger for the whole app (ledger.share()): the realms scenario (scenario.js) in Node with
// worker_threads, then in headless Chromium, Firefox and WebKitGTK with a page and two module
// workers (pkg/ and this directory served cross-origin isolated; the browsers driven as
// tests/engines drives them, ../browsers.mjs), plus Node-only checks: argument errors, a
// process that shares still exits by itself, and how install() ledgers imports it never saw.
//
//   node tests/realms/run.mjs [--only node,chromium,firefox,webkitgtk] [--pkg DIR]
//
// Prints "ok - [where] name" / "not ok - [where] name: detail" ("skip - ..." where an engine
// can't do what a check needs; not counted) and ends with "realms: N passed, M failed". Every worker, process and browser profile it starts is gone
// when it ends.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { BROWSERS, cleanup, closeServer, runPage, runnerOptions, serve } from "../browsers.mjs";
import { mainSide, workerHandle } from "./scenario.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const here = join(root, "tests/realms");
const { pkgDir, only } = runnerOptions(root);
const wanted = (id) => !only || only.includes(id);
const PAGE_TIMEOUT = 45_000;
const started = Date.now();

let passed = 0,
  failed = 0,
  skipped = 0;
function report(where, name, ok, detail = "", skip) {
  if (skip) {
    skipped++;
    console.log(`skip - [${where}] ${name}: ${skip}`);
    return;
  }
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok" : "not ok"} - [${where}] ${name}${ok || !detail ? "" : `: ${String(detail).replace(/\n/g, "\n    ")}`}`);
}

const watchdog = setTimeout(() => {
  console.log("not ok - the whole run took longer than 150 s");
  console.log(`realms: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, 150_000);

if (!existsSync(join(pkgDir, "node.js")) || !existsSync(join(pkgDir, "realms.js"))) {
  console.log(`not ok - no built package in ${pkgDir} (run scripts/build.sh)`);
  console.log("realms: 0 passed, 1 failed");
  process.exit(1);
}

const pkgUrl = pathToFileURL(join(pkgDir, "node.js")).href;
const pkg = await import(pkgUrl);
const { ledger, install } = pkg;

// ---------------------------------------------------------------- Node, worker_threads

if (wanted("node")) {
  const t0 = Date.now();
  const workers = [];
  const spawn = () => {
    const w = new Worker(new URL("./worker.js", import.meta.url));
    workers.push(w);
    return workerHandle(
      (m) => w.postMessage(m),
      (f) => w.on("message", f),
      () => w.terminate(),
    );
  };
  try {
    for (const r of await mainSide({ pkg, pkgUrl, spawn })) report("node", r.name, r.ok, r.detail, r.skip);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  console.log(`# node scenario: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // A worker that goes silent (it waits in Atomics.wait) drops out, and when it is back its
  // heartbeat (which carries no records) makes main ask it for them.
  {
    const w = new Worker(new URL("./worker.js", import.meta.url));
    const h = workerHandle(
      (m) => w.postMessage(m),
      (f) => w.on("message", f),
      () => w.terminate(),
    );
    const stop = ledger.share({ name: "main", interval: 100 });
    const records = () => ledger.snapshot({ allRealms: true })?.memories.filter((r) => r.realm === "sleeper").length ?? 0;
    const waitFor = async (f, ms) => {
      const until = Date.now() + ms;
      while (!f() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      return f();
    };
    try {
      h.send({ type: "start", pkg: pkgUrl, name: "sleeper", interval: 100 });
      await h.next("ready");
      h.send({ type: "shared", memory: null, sync: true, pages: 1 });
      await h.next("done");
      const seen = await waitFor(() => records() === 2, 5000);
      const t1 = Date.now();
      h.send({ type: "block", ms: 5500 });
      const gone = await waitFor(() => !ledger.realms().some((r) => r.name === "sleeper"), 8000);
      const goneAfter = Date.now() - t1;
      await h.next("unblocked");
      const back = await waitFor(() => records() === 2, 3000);
      report(
        "node",
        `a worker silent for 5.5 s leaves the view (after ${goneAfter} ms) and comes back with its records`,
        seen && gone && back,
        JSON.stringify({ seen, gone, back, records: records() }),
      );
    } catch (e) {
      report("node", "a silent worker leaves and comes back", false, e?.message);
    } finally {
      stop();
      await w.terminate();
    }
  }

  // Arguments.
  const throws = (f, type) => {
    try {
      f();
      return false;
    } catch (e) {
      return e instanceof type && /^ledger\.(share|setBudget):/.test(e.message);
    }
  };
  report(
    "node",
    "share() needs an object with a name: TypeError",
    throws(() => ledger.share(), TypeError) &&
      throws(() => ledger.share("main"), TypeError) &&
      throws(() => ledger.share({}), TypeError) &&
      throws(() => ledger.share({ name: "" }), TypeError) &&
      throws(() => ledger.share({ name: 5 }), TypeError) &&
      throws(() => ledger.share({ name: "x".repeat(257) }), TypeError),
  );
  report(
    "node",
    "share() with an interval outside 10 ms .. 2^31 - 1: RangeError",
    throws(() => ledger.share({ name: "x", interval: 5 }), RangeError) &&
      throws(() => ledger.share({ name: "x", interval: "100" }), RangeError) &&
      throws(() => ledger.share({ name: "x", interval: NaN }), RangeError),
  );
  report(
    "node",
    "setBudget({ appPages }) takes a whole number of pages",
    throws(() => ledger.setBudget({ appPages: -1 }), RangeError) &&
      throws(() => ledger.setBudget({ appPages: "1" }), TypeError) &&
      throws(() => ledger.setBudget({ appPages: 1.5 }), RangeError),
  );
  ledger.setBudget(null);

  // Sharing never keeps a process alive: its timer and channel are unref'd.
  const child = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `
    import { ledger, Memory } from ${JSON.stringify(pkgUrl)};
    globalThis.keep = new Memory({ initial: 1 });
    ledger.share({ name: "solo", interval: 10 });
    setTimeout(() => console.log(ledger.realms().length), 100);
  `,
    ],
    { encoding: "utf8", timeout: 10_000 },
  );
  report(
    "node",
    "a process that shares (and never stops) exits by itself",
    child.status === 0 && child.stdout.trim() === "1",
    `status ${child.status} signal ${child.signal} out ${child.stdout} err ${child.stderr.slice(0, 400)}`,
  );

  // install(): imports the ledger doesn't hold. A memory made natively before install() and
  // passed to a module that imports and re-exports it is ledgered once, as received; the import
  // is looked at only as a data property: a getter there runs once (the engine's read), not twice.
  const native = new WebAssembly.Memory({ initial: 1 });
  const getterMemory = new WebAssembly.Memory({ initial: 2 });
  // (module (import "env" "memory" (memory 1)) (export "mem" (memory 0)))
  const reexporter = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 0x0f, 1, 3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 0, 1, 7, 7, 1, 3, 0x6d,
    0x65, 0x6d, 2, 0,
  ]);
  const off = install();
  try {
    const before = ledger.snapshot().live;
    const { instance } = await WebAssembly.instantiate(reexporter, { env: { memory: native } });
    const rec = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(native));
    report(
      "node",
      "install(): an import the ledger never saw enters it once, as received",
      instance.exports.mem === native &&
        rec?.origin === "received" &&
        rec.pages === 1 &&
        rec.maximum === null &&
        ledger.snapshot().live === before + 1,
      JSON.stringify(rec),
    );
    let reads = 0;
    const env = {
      get memory() {
        reads++;
        return getterMemory;
      },
    };
    const inst = new WebAssembly.Instance(new WebAssembly.Module(reexporter), { env });
    const rec2 = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(getterMemory));
    report(
      "node",
      "install(): an import behind a getter is not read again; re-exported, it is still received",
      reads === 1 && inst.exports.mem === getterMemory && rec2?.origin === "received" && rec2.pages === 2,
      JSON.stringify({ reads, rec2 }),
    );
  } finally {
    off();
  }

  // A real Emscripten program with pthreads (wasm-vips, pinned in tests/programs).
  const vips = join(root, "tests/programs/node_modules/wasm-vips/lib/vips-node.mjs");
  const what = "wasm-vips (Emscripten, pthreads) runs under install() in every thread";
  if (!existsSync(vips)) report("node", what, false, `${vips} is missing: run scripts/setup.sh`);
  else {
    const t1 = Date.now();
    const r = spawnSync(
      process.execPath,
      ["--import", pathToFileURL(join(here, "emscripten-preload.mjs")).href, join(here, "emscripten.mjs")],
      {
        encoding: "utf8",
        timeout: 40_000,
        env: { ...process.env, WMP_PKG: pkgUrl, WMP_VIPS: pathToFileURL(vips).href },
      },
    );
    const line = r.stdout?.split("\n").find((l) => l.startsWith("@@realms-emscripten@@ "));
    const out = line
      ? JSON.parse(line.slice("@@realms-emscripten@@ ".length))
      : { error: `no result (status ${r.status}, signal ${r.signal}): ${r.stderr?.slice(-600)}` };
    const view = out.view;
    const truth = out.truth ?? [];
    report(
      "node",
      what,
      !out.error && out.avg === 100 && out.concurrency >= 1,
      out.error ?? JSON.stringify({ avg: out.avg, concurrency: out.concurrency }),
    );
    const shared = truth.filter((t) => t.shared);
    const rows = view?.memories.filter((m) => m.shared) ?? [];
    report(
      "node",
      "wasm-vips: its shared memory is counted once, in the main thread that made it, at its true size",
      shared.length === 1 &&
        rows.length === 1 &&
        rows[0].realm === "main" &&
        rows[0].origin === "constructed" &&
        rows[0].pages === shared[0].pages,
      JSON.stringify({ truth, rows }),
    );
    const total = truth.reduce((a, t) => a + t.pages, 0);
    report(
      "node",
      `wasm-vips: the app's livePages (${view?.livePages}) is the true size of what the threads made (${total})`,
      view?.livePages === total && view.memories.length === truth.length,
      JSON.stringify({ livePages: view?.livePages, total }),
    );
    const threads = view?.realms.filter((x) => !x.self) ?? [];
    report(
      "node",
      `wasm-vips: each pthread worker (${threads.length}) shares, and holds the memory as received, adding nothing`,
      threads.length >= out.concurrency &&
        threads.every((x) => x.received === 1 && x.receivedPages === x.pages && x.pages === shared[0]?.pages) &&
        view.received.length === threads.length &&
        view.received.every((x) => x.origin === "received" && x.shared),
      JSON.stringify({ threads, received: view?.received.map((x) => [x.realm, x.pages]) }),
    );
    console.log(`# wasm-vips: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }
}

// ---------------------------------------------------------------- the browsers

const browsers = Object.keys(BROWSERS).filter(wanted);
let server;
try {
  if (browsers.length)
    server = await serve([
      ["/pkg/", pkgDir],
      ["/tests/realms/", here],
    ]);
  const base = server ? `http://127.0.0.1:${server.address().port}` : "";
  for (const id of browsers) {
    const t0 = Date.now();
    try {
      const { version, text } = await runPage(id, `${base}/tests/realms/page.html`, { resultVar: "__realmsResult", timeout: PAGE_TIMEOUT });
      const data = JSON.parse(text);
      console.log(`# ${version}`);
      if (data.error) report(id, "the page ran", false, data.error);
      for (const r of data.results ?? []) report(id, r.name, r.ok, r.detail, r.skip);
    } catch (e) {
      report(id, `${BROWSERS[id].label} ran the scenario`, false, e?.message ?? e);
    }
    console.log(`# ${id}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
} finally {
  await closeServer(server);
  await cleanup();
  clearTimeout(watchdog);
}

console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
console.log(`realms: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exitCode = failed ? 1 : 0;
