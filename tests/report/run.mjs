// The reporter (`node --import wasm-memory-polyfill/report`, `bun --preload`) and the package's
// bin, on real programs (tests/programs' pinned brotli-wasm, esbuild-wasm, wasm-vips) and small
// ones of our own (app.mjs). Every figure is checked against the engine's own sizes, which the
// test app's spy (spy.mjs) reads from `buffer.byteLength` and writes to a side file; stdout and
// the exit status are compared with a native run of the same program.
// One line per check, then "report: N passed, M failed"; exit status 1 if anything failed.
// WMP_PKG_DIR=dir tests another build of the package (default: the repo's pkg/).

import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const pkgDir = path.resolve(process.env.WMP_PKG_DIR || path.join(root, "pkg"));
const report = path.join(pkgDir, "report.js");
const cli = path.join(pkgDir, "cli.js");
const app = path.join(here, "app.mjs");
const bun = path.join(root, ".engines/bun/bin/bun");
const deno = path.join(root, ".engines/deno/deno");
const startedAt = Date.now();

let passed = 0,
  failed = 0;
function check(name, ok, reason = "") {
  if (ok) passed++;
  else failed++;
  console.log(ok ? `ok - ${name}` : `not ok - ${name}: ${reason || "failed"}`);
}
const note = (text) => console.log(`# ${text}`);

// ---- every child started here is killed here, by pid, on timeout or at the end ----
const children = new Set();
const tmp = mkdtempSync(path.join(os.tmpdir(), "wmp-report-"));
function finish() {
  for (const c of children)
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {}
  rmSync(tmp, { recursive: true, force: true });
  note(`${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  console.log(`report: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
process.on("SIGINT", finish);
process.on("SIGTERM", finish);

// Two at a time (the machine has 2 cores and other work).
let running = 0;
const queue = [];
const slot = () => (running < 2 ? (running++, Promise.resolve()) : new Promise((r) => queue.push(r)));
const release = () => (queue.length ? queue.shift()() : running--);

/** Runs `cmd args` with `env` added; resolves { stdout (Buffer), stderr, code, signal, timedOut }.
 * `onStdout(text, child)` sees stdout as it comes. */
async function run(cmd, args, { env = {}, timeout = 60_000, onStdout, clearNodeOptions = true, cwd } = {}) {
  await slot();
  try {
    return await new Promise((resolve) => {
      const base = { ...process.env };
      if (clearNodeOptions) delete base.NODE_OPTIONS;
      for (const k of ["WASM_MEMORY_BUDGET", "WASM_MEMORY_REPORT", "WASM_MEMORY_WATCH", "REPORT_SIDE"]) delete base[k];
      const child = spawn(cmd, args, { env: { ...base, REPORT_TMP: tmp, ...env }, stdio: ["ignore", "pipe", "pipe"], cwd });
      children.add(child);
      const out = [],
        err = [];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {}
      }, timeout);
      child.stdout.on("data", (d) => {
        out.push(d);
        onStdout?.(Buffer.concat(out).toString(), child);
      });
      child.stderr.on("data", (d) => err.push(d));
      child.on("error", (e) => err.push(Buffer.from(String(e))));
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        children.delete(child);
        resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), code, signal, timedOut });
      });
    });
  } finally {
    release();
  }
}

let sides = 0;
const side = () => path.join(tmp, `side-${sides++}.json`);
const readJson = (f) => {
  try {
    return JSON.parse(readFileSync(f, "utf8"));
  } catch {
    return null;
  }
};
const native = (program, ending = "ok", opts = {}) => run(process.execPath, [app, program, ending], opts);
/** The program under the reporter; `sideFile` gets the spy's true sizes. */
const reported = (program, ending = "ok", env = {}, opts = {}) => {
  const s = side();
  return run(process.execPath, ["--import", pathToFileURL(report).href, app, program, ending], {
    ...opts,
    env: { REPORT_SIDE: s, ...env },
  }).then((r) => ({ ...r, side: s, truth: readJson(s) }));
};

/** The report's table: { rows: [{ realm, id, label, definedBy, pages, peak, grows, maximum, instances, origin }], app, main, budget } or null. */
function parseTable(stderr) {
  const lines = stderr.split("\n");
  const h = lines.findIndex((l) => /^realm\s+id\s+label\s+definedBy\s+pages\s+peak\s+grows\s+maximum\s+instances\s+origin$/.test(l));
  if (h < 0) return null;
  const rows = [];
  let i = h + 1;
  for (; i < lines.length && !lines[i].startsWith("app: "); i++) {
    const c = lines[i].split(/ {2,}/);
    if (c.length !== 10) return null;
    rows.push({
      realm: c[0],
      id: +c[1],
      label: c[2],
      definedBy: c[3],
      pages: +c[4],
      peak: +c[5],
      grows: +c[6],
      maximum: c[7] === "-" ? null : +c[7],
      instances: +c[8],
      origin: c[9],
    });
  }
  return { rows, app: lines[i] ?? "", main: lines[i + 1] ?? "", budget: lines[i + 2] ?? "", title: lines[h - 1] ?? "" };
}
const pagesOf = (list) =>
  list
    .map((x) => x.pages)
    .sort((a, b) => a - b)
    .join(",");
const sum = (list) => list.reduce((a, x) => a + x.pages, 0);
const short = (r) =>
  JSON.stringify({
    code: r.code,
    signal: r.signal,
    timedOut: r.timedOut,
    stdout: r.stdout.toString().slice(0, 300),
    stderr: r.stderr.slice(-1500),
  });

// ---- the JSON's fields, as index.d.ts types them ----
const t = {
  number: (v) => typeof v === "number" && Number.isFinite(v),
  string: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  nullable: (f) => (v) => v === null || f(v),
  oneOf:
    (...xs) =>
    (v) =>
      xs.includes(v),
  array: (f) => (v) => Array.isArray(v) && v.every(f),
};
const shape = (fields) => (v) => v !== null && typeof v === "object" && Object.entries(fields).every(([k, f]) => k in v && f(v[k]));
const shapeErrors = (fields, v, where) =>
  Object.entries(fields)
    .filter(([k, f]) => !(k in v) || !f(v[k]))
    .map(([k]) => `${where}.${k}`);
const LedgerRecord = {
  id: t.number,
  label: t.nullable(t.string),
  definedBy: t.nullable(t.string),
  address: t.oneOf("i32", "i64"),
  shared: t.boolean,
  pages: t.number,
  bytes: t.number,
  peak: t.number,
  grows: t.number,
  maximum: t.nullable(t.number),
  requestedMaximum: t.nullable(t.number),
  bounded: t.boolean,
  createdAt: t.number,
  origin: t.oneOf("constructed", "exported", "received"),
  instances: t.number,
  stack: t.nullable(t.string),
};
const RealmRecord = { ...LedgerRecord, realm: t.string };
const Budget = t.nullable(
  shape({
    totalPages: t.nullable(t.number),
    perMemoryPages: t.nullable(t.number),
    memories: t.nullable(t.number),
    mode: t.oneOf("hard", "soft"),
    appPages: t.nullable(t.number),
  }),
);
const LedgerSnapshot = {
  live: t.number,
  livePages: t.number,
  liveBytes: t.number,
  peakTotalPages: t.number,
  created: t.number,
  collected: t.number,
  budget: Budget,
  memories: t.array(shape(LedgerRecord)),
};
const RealmInfo = {
  id: t.string,
  name: t.string,
  self: t.boolean,
  live: t.number,
  pages: t.number,
  peak: t.number,
  received: t.number,
  receivedPages: t.number,
  budget: Budget,
  updatedAt: t.number,
};
const AppSnapshot = {
  live: t.number,
  livePages: t.number,
  liveBytes: t.number,
  peakTotalPages: t.number,
  receivedPages: t.number,
  budget: shape({ appPages: t.nullable(t.number) }),
  realms: t.array(shape(RealmInfo)),
  memories: t.array(shape(RealmRecord)),
  received: t.array(shape(RealmRecord)),
};
function jsonErrors(j) {
  if (j === null || typeof j !== "object") return ["not an object"];
  const errors = shapeErrors(AppSnapshot, j, "report");
  for (const [i, m] of (j.memories ?? []).entries()) errors.push(...shapeErrors(RealmRecord, m, `memories[${i}]`));
  for (const [i, r] of (j.realms ?? []).entries()) errors.push(...shapeErrors(RealmInfo, r, `realms[${i}]`));
  if (!shape(LedgerSnapshot)(j.main)) errors.push("report.main");
  if (!Array.isArray(j.ended) || !j.ended.every((e) => shape({ ...LedgerSnapshot, realm: t.string })(e))) errors.push("report.ended");
  if (!Array.isArray(j.budgetEvents)) errors.push("report.budgetEvents");
  if (!t.number(j.exitCode)) errors.push("report.exitCode");
  if (!t.nullable(t.string)(j.missing)) errors.push("report.missing");
  return errors;
}

async function programs() {
  // Real programs: brotli-wasm (wasm-bindgen), esbuild-wasm (Go), each against a native run.
  for (const [program, ending, code] of [
    ["brotli", "ok", 0],
    ["esbuild", "exit3", 3],
  ]) {
    const [n, r] = await Promise.all([native(program, ending), reported(program, ending)]);
    const what = `${program} (${ending})`;
    check(`${what}: runs natively`, n.code === code && n.stdout.length > 0, short(n));
    check(`${what}: stdout is byte-identical to the native run`, r.stdout.equals(n.stdout), short(r));
    check(`${what}: exit status unchanged (${code})`, r.code === n.code && r.code === code, short(r));
    const tb = parseTable(r.stderr);
    check(`${what}: the report is on stderr`, tb !== null && tb.rows.length > 0, short(r));
    if (!tb || !r.truth) continue;
    const mine = tb.rows.filter((x) => x.realm === "main");
    check(
      `${what}: one row per memory the program holds, at the engine's size (${pagesOf(r.truth)})`,
      pagesOf(mine) === pagesOf(r.truth),
      JSON.stringify({ rows: tb.rows, truth: r.truth }),
    );
    check(
      `${what}: the exported memory: origin, instances, peak >= pages, grown inside wasm`,
      mine.length > 0 && mine.every((x) => x.origin === "exported" && x.instances >= 1 && x.peak >= x.pages && x.grows >= 1),
      JSON.stringify(mine),
    );
    // Neither module has a "name" section nor is streamed: definedBy is "-" (the grow program's
    // module has one: see json()).
    check(
      `${what}: definedBy "-" (no name section, not streamed)`,
      mine.every((x) => x.definedBy === "-"),
      JSON.stringify(mine),
    );
    check(
      `${what}: app totals: ${sum(r.truth)} pages live`,
      tb.app.startsWith(
        `app: ${r.truth.length} live memories, ${sum(r.truth)} pages (${sum(r.truth) * 65536} bytes) at exit in 1 running thread; peak `,
      ),
      tb.app,
    );
  }
}

async function endings() {
  for (const [ending, code] of [
    ["ok", 0],
    ["exit3", 3],
    ["throw", 1],
  ]) {
    const [n, r] = await Promise.all([native("plain", ending), reported("plain", ending)]);
    check(
      `plain (${ending}): stdout identical, exit status ${code} as natively`,
      r.stdout.equals(n.stdout) && r.code === code && n.code === code,
      short(r),
    );
    const tb = parseTable(r.stderr);
    const row = tb?.rows.find((x) => x.realm === "main");
    check(
      `plain (${ending}): the report has the memory at its true size, grown once`,
      !!row &&
        r.truth?.length === 1 &&
        row.pages === r.truth[0].pages &&
        row.grows === 1 &&
        row.maximum === 8 &&
        row.origin === "constructed",
      short(r),
    );
    if (ending === "throw")
      check("plain (throw): the app's own error is still printed", r.stderr.includes("the app's own uncaught error"), short(r));
  }
}

async function json() {
  // To a file, with the watcher: growth inside wasm seen as two grows (each between two reads).
  const file = path.join(tmp, "report.json");
  const [n, r] = await Promise.all([
    native("grow"),
    reported("grow", "ok", { WASM_MEMORY_REPORT: `json:${file}`, WASM_MEMORY_WATCH: "20" }),
  ]);
  check("grow (json:FILE, watch 20): stdout identical, exit 0", r.stdout.equals(n.stdout) && r.code === 0, short(r));
  check("json:FILE: nothing is written to stderr", r.stderr === "", r.stderr);
  const j = readJson(file);
  const errors = jsonErrors(j);
  check(
    "json:FILE: the report has every field of index.d.ts's AppSnapshot / RealmRecord / RealmInfo / LedgerSnapshot",
    errors.length === 0,
    errors.join(", "),
  );
  const m = j?.memories?.find((x) => x.origin === "exported");
  check(
    "json: the module's memory at its engine size, peak, definedBy (its name section), instances, grown twice inside wasm (seen by the watcher)",
    !!m &&
      r.truth?.length === 1 &&
      m.pages === r.truth[0].pages &&
      m.pages === 6 &&
      m.peak === 6 &&
      m.grows === 2 &&
      m.maximum === 100 &&
      m.realm === "main" &&
      m.definedBy === "grow-test" &&
      m.instances === 1,
    JSON.stringify({ m, truth: r.truth }),
  );
  check(
    "json: totals and peak",
    j?.livePages === 6 && j?.peakTotalPages === 6 && j?.main?.peakTotalPages === 6 && j?.exitCode === 0,
    JSON.stringify({ livePages: j?.livePages, peak: j?.peakTotalPages }),
  );
  // To stderr.
  const s = await reported("plain", "exit3", { WASM_MEMORY_REPORT: "json" });
  let parsed = null;
  try {
    parsed = JSON.parse(s.stderr);
  } catch {}
  check(
    "json (stderr): stderr is exactly the JSON report",
    parsed !== null && jsonErrors(parsed).length === 0 && parsed.exitCode === 3 && s.code === 3,
    short(s),
  );
  check(
    "json (stderr): the memory at its true size",
    parsed?.memories?.length === 1 && parsed.memories[0].pages === s.truth?.[0]?.pages,
    short(s),
  );
}

async function workers() {
  const [n, r] = await Promise.all([native("workers"), reported("workers")]);
  check("workers: stdout identical, exit 0", r.stdout.equals(n.stdout) && r.code === 0 && n.code === 0, short(r));
  const ws = existsSync(`${r.side}.workers`)
    ? readFileSync(`${r.side}.workers`, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
    : [];
  const tb = parseTable(r.stderr);
  if (!tb || ws.length !== 2 || !r.truth) return check("workers: the report and the workers' sizes", false, short(r));
  const gone = ws.find((w) => !w.stay),
    stays = ws.find((w) => w.stay);
  const row = (realm) => tb.rows.filter((x) => x.realm === realm);
  check("workers: the main thread's memory, at its true size", pagesOf(row("main")) === pagesOf(r.truth), JSON.stringify(tb.rows));
  check(
    `workers: the running worker's memory (${stays.pages} pages) is listed under its thread`,
    pagesOf(row(`worker ${stays.threadId}`)) === `${stays.pages}`,
    JSON.stringify(tb.rows),
  );
  check(
    `workers: the worker that exited first is listed with its memory as it exited (${gone.pages} pages)`,
    pagesOf(row(`worker ${gone.threadId} (exited)`)) === `${gone.pages}`,
    JSON.stringify(tb.rows),
  );
  const live = sum(r.truth) + stays.pages;
  check(
    `workers: app totals count main and the running worker (${live} pages), 2 running threads`,
    tb.app.startsWith(`app: 2 live memories, ${live} pages (${live * 65536} bytes) at exit in 2 running threads; peak `),
    tb.app,
  );
  const peak = +(/peak (\d+) pages/.exec(tb.app)?.[1] ?? NaN);
  // Worker 1 may or may not have left before worker 2 published: the peak is one of the two.
  const mainPages = sum(r.truth),
    lo = Math.max(live, mainPages + gone.pages),
    hi = live + gone.pages;
  check(`workers: the app's peak includes the workers' memories (${lo}..${hi})`, peak >= lo && peak <= hi, tb.app);
  check(
    "workers: the exited worker is in the totals line",
    tb.app.endsWith(`; 1 worker exited before, holding 1 memories, ${gone.pages} pages`),
    tb.app,
  );
  check("workers: only the main thread printed a report", r.stderr.split("wasm-memory-polyfill/report: ").length === 2, r.stderr);
}

async function vips() {
  const [n, r] = await Promise.all([native("vips", "ok", { timeout: 120_000 }), reported("vips", "ok", {}, { timeout: 120_000 })]);
  check("wasm-vips (pthreads): stdout identical, exit 0", r.stdout.equals(n.stdout) && r.code === 0 && n.code === 0, short(r));
  const tb = parseTable(r.stderr);
  const shared = (r.truth ?? []).filter((x) => x.shared);
  const mine = tb?.rows.filter((x) => x.realm === "main") ?? [];
  check(
    `wasm-vips: its shared memory (${shared[0]?.pages} pages) counted once, in the main thread, at its engine size`,
    shared.length === 1 &&
      mine.filter((x) => x.origin === "constructed" && x.pages === shared[0].pages).length === 1 &&
      pagesOf(mine) === pagesOf(r.truth ?? []),
    JSON.stringify({ rows: tb?.rows, truth: r.truth }),
  );
  const received = tb?.rows.filter((x) => x.realm.startsWith("worker ") && x.origin === "received (counted where made)") ?? [];
  const threads = +/^vips \S+ (\d+)$/m.exec(n.stdout.toString())?.[1];
  check(
    `wasm-vips: its pthread workers (at least ${threads}) each list it as received, at the same size, not added to the totals`,
    threads >= 1 &&
      received.length >= threads &&
      received.every((x) => x.pages === shared[0]?.pages) &&
      !!tb?.app.startsWith(`app: ${r.truth.length} live memories, ${sum(r.truth)} pages `),
    JSON.stringify({ received, app: tb?.app }),
  );
  check(
    "wasm-vips: the workers' realms are running threads",
    /in (\d+) running threads/.test(tb?.app ?? "") &&
      +/in (\d+) running threads/.exec(tb.app)[1] === 1 + new Set(received.map((x) => x.realm)).size,
    tb?.app,
  );
}

async function hostile() {
  // The app replaces JSON.stringify, Array/String/Map methods, fs.writeSync, process.on and
  // Reflect.apply after the reporter loaded: the report is written all the same.
  const [n, r, j] = await Promise.all([
    native("hostile", "exit3"),
    reported("hostile", "exit3"),
    reported("hostile", "ok", { WASM_MEMORY_REPORT: "json" }),
  ]);
  const pages = +/^patching (\d+)$/m.exec(n.stdout.toString())?.[1];
  check(
    "hostile app: stdout identical, exit status 3 as natively",
    n.code === 3 && pages === 5 && r.stdout.equals(n.stdout) && r.code === 3,
    short(r),
  );
  const row = parseTable(r.stderr)?.rows;
  check(
    "hostile app: the table is written, the memory at its engine size",
    row?.length === 1 && row[0].pages === pages && row[0].grows === 1,
    short(r),
  );
  let parsed = null;
  try {
    parsed = JSON.parse(j.stderr);
  } catch {}
  check(
    "hostile app: the JSON is written (JSON.stringify replaced), the memory at its engine size",
    j.code === 0 && parsed?.memories?.length === 1 && parsed.memories[0].pages === pages && jsonErrors(parsed).length === 0,
    short(j),
  );
}

async function types() {
  // report.d.ts's Report, as shipped, types what the JSON holds (tsc from the dev dependencies).
  const tsc = path.join(root, "node_modules/.bin/tsc");
  if (!existsSync(tsc)) return check("types: tsc", false, `${tsc} is missing: run scripts/setup.sh`);
  const file = path.join(tmp, "types.ts");
  writeFileSync(
    file,
    [
      `import type { Report } from ${JSON.stringify(path.join(pkgDir, "report.js"))};`,
      "declare const r: Report;",
      "export const n: number = r.main.peakTotalPages + r.livePages + r.peakTotalPages + r.exitCode + r.memories[0].instances;",
      "export const s: string = r.ended[0].realm + r.memories[0].realm + r.budgetEvents[0].budget + (r.missing ?? '');",
      "// @ts-expect-error: not a string",
      "export const bad: string = r.exitCode;",
    ].join("\n"),
  );
  const r = await run(tsc, ["--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext", "--moduleResolution", "nodenext", file]);
  check("types: report.d.ts's Report types the JSON report (tsc --strict)", r.code === 0, short(r));
}

async function large() {
  const r = await reported("many", "ok", { WASM_MEMORY_REPORT: "json" });
  const pages = +/^many (\d+)$/m.exec(r.stdout.toString())?.[1];
  const text = r.stderr.slice(r.stderr.indexOf("{"));
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {}
  check(
    `a large report (2000 memories, ${(text.length / 1e6).toFixed(1)} MB of JSON) reaches a pipe whole`,
    r.code === 0 && parsed?.memories?.length === 2000 && parsed.livePages === pages && pages === 1999,
    short(r),
  );
}

async function budgets() {
  const r = await reported("budget", "ok", { WASM_MEMORY_BUDGET: "totalPages=50,mode=hard" });
  check(
    "WASM_MEMORY_BUDGET=totalPages=50,mode=hard: a 60-page construction is refused",
    r.stdout.toString() === "budget: refused RangeError\nbudget: made 10\n" && r.code === 0,
    short(r),
  );
  const tb = parseTable(r.stderr);
  check(
    "the report shows the budget and the refused hit",
    tb?.budget.startsWith("budget (hard, each thread): totalPages 50; 1 hit, 1 refused") &&
      r.stderr.includes("main: totalPages 60 > 50, refused"),
    tb?.budget,
  );
  const ok = await reported("plain", "ok", {
    WASM_MEMORY_BUDGET: "totalPages=4096,perMemoryPages=1024,mode=hard",
    WASM_MEMORY_WATCH: "100",
    WASM_MEMORY_REPORT: "table",
  });
  check(
    "good settings are accepted (budget, watch, table)",
    ok.code === 0 &&
      ok.stdout.toString().startsWith("hello") &&
      parseTable(ok.stderr)?.budget.startsWith("budget (hard, each thread): totalPages 4096 perMemoryPages 1024"),
    short(ok),
  );
  const reserved = await reported("plain", "ok", { WASM_MEMORY_BUDGET: "reservedBytes=512GiB,mode=soft" });
  check(
    "WASM_MEMORY_BUDGET=reservedBytes=512GiB: bytes of address space, with a binary unit",
    reserved.code === 0 && parseTable(reserved.stderr)?.budget.startsWith(`budget (soft, each thread): reservedBytes ${512 * 2 ** 30}`),
    short(reserved),
  );
  const bad = [
    ["WASM_MEMORY_BUDGET", "reservedBytes=1.5GiB"],
    ["WASM_MEMORY_BUDGET", "reservedBytes=10PiB"],
    ["WASM_MEMORY_BUDGET", "reservedBytes=9007199254740993"],
    ["WASM_MEMORY_BUDGET", "totalPages=abc"],
    ["WASM_MEMORY_BUDGET", "pages=10"],
    ["WASM_MEMORY_BUDGET", "totalPages=10,totalPages=20"],
    ["WASM_MEMORY_BUDGET", "mode=hard"],
    ["WASM_MEMORY_BUDGET", "totalPages=10,mode=strict"],
    ["WASM_MEMORY_BUDGET", "totalPages"],
    ["WASM_MEMORY_BUDGET", "totalPages=-1"],
    ["WASM_MEMORY_BUDGET", "totalPages=99999999999"],
    ["WASM_MEMORY_BUDGET", "totalPages=1.5"],
    ["WASM_MEMORY_REPORT", "xml"],
    ["WASM_MEMORY_REPORT", "json:"],
    ["WASM_MEMORY_REPORT", "TABLE"],
    ["WASM_MEMORY_WATCH", "abc"],
    ["WASM_MEMORY_WATCH", "-5"],
    ["WASM_MEMORY_WATCH", "1.5"],
    ["WASM_MEMORY_WATCH", "0"],
  ];
  const results = await Promise.all(bad.map(([k, v]) => reported("plain", "ok", { [k]: v })));
  bad.forEach(([k, v], i) => {
    const b = results[i];
    check(
      `${k}=${JSON.stringify(v)} is refused before the program runs, naming the variable`,
      b.code === 2 &&
        b.stdout.length === 0 &&
        b.stderr.startsWith(`wasm-memory-polyfill/report: ${k}: `) &&
        b.stderr.split("\n").length === 2,
      short(b),
    );
  });
}

async function bin() {
  const n = await native("plain", "exit3");
  const r = await run(process.execPath, [cli, process.execPath, app, "plain", "exit3"]);
  check(
    "bin: `wasm-memory-polyfill node app.mjs`: stdout identical, exit 3 passed through, report on stderr",
    r.stdout.equals(n.stdout) && r.code === 3 && parseTable(r.stderr)?.rows.length === 1,
    short(r),
  );
  const o = await run(process.execPath, [cli, process.execPath, "-e", "console.log(process.env.NODE_OPTIONS)"], {
    env: { NODE_OPTIONS: "--no-warnings" },
    clearNodeOptions: false,
  });
  check(
    "bin: NODE_OPTIONS keeps what was there and adds --import of report.js",
    o.stdout.toString() === `--no-warnings --import=${pathToFileURL(report).href}\n` &&
      o.code === 0 &&
      o.stderr.includes("wasm-memory-polyfill/report: "),
    short(o),
  );
  const k = await run(process.execPath, [cli, process.execPath, "-e", "process.kill(process.pid, 'SIGTERM')"]);
  check("bin: a child killed by SIGTERM: the bin ends by SIGTERM too", k.signal === "SIGTERM" && k.code === null, short(k));
  let sent = false;
  const f = await run(
    process.execPath,
    [
      cli,
      process.execPath,
      "-e",
      "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(7) }); setInterval(() => {}, 1000); console.log('up')",
    ],
    {
      onStdout: (text, child) => {
        if (!sent && text.includes("up\n")) {
          sent = true;
          process.kill(child.pid, "SIGTERM");
        }
      },
    },
  );
  check(
    "bin: SIGTERM sent to the bin is passed to the child, whose exit status comes back",
    sent && f.stdout.toString() === "up\nchild got SIGTERM\n" && f.code === 7,
    short(f),
  );
  const u = await run(process.execPath, [cli]);
  check(
    "bin: no command: usage on stderr, exit 64",
    u.code === 64 && u.stdout.length === 0 && u.stderr.startsWith("usage: wasm-memory-polyfill COMMAND"),
    short(u),
  );
  const nf = await run(process.execPath, [cli, "wmp-no-such-command"]);
  check("bin: a command that doesn't exist: 127 and a message", nf.code === 127 && nf.stderr.includes("wmp-no-such-command"), short(nf));
  if (!existsSync(bun)) return check("bun: .engines/bun/bin/bun", false, "missing: run scripts/setup.sh");
  const b = await run(process.execPath, [cli, bun, app, "plain", "exit3"], { env: { REPORT_SIDE: path.join(tmp, "bun-side.json") } });
  const truth = readJson(path.join(tmp, "bun-side.json"));
  const row = parseTable(b.stderr)?.rows.find((x) => x.realm === "main");
  check(
    "bin with bun (--preload): stdout as node's native run, exit 3, the memory at its engine size",
    b.stdout.equals(n.stdout) && b.code === 3 && !!row && truth?.length === 1 && row.pages === truth[0].pages && row.grows === 1,
    short(b),
  );
  const bp = await run(bun, ["--preload", report, app, "brotli"], { env: { REPORT_SIDE: path.join(tmp, "bun-brotli.json") } });
  const bt = readJson(path.join(tmp, "bun-brotli.json"));
  const nb = await native("brotli");
  const brow = parseTable(bp.stderr)?.rows.filter((x) => x.realm === "main");
  check(
    "bun --preload report.js: brotli-wasm, stdout as node's native run, its memory at the engine's size",
    bp.stdout.equals(nb.stdout) && bp.code === 0 && !!brow && !!bt && pagesOf(brow) === pagesOf(bt),
    short(bp),
  );
}

async function installed() {
  // The package as an app installs it (a copy in node_modules): the bare specifiers, one ledger
  // with the app's own import of the package, the bin as package.json declares it, and Deno.
  const dir = path.join(tmp, "installed");
  const where = path.join(dir, "node_modules/wasm-memory-polyfill");
  cpSync(pkgDir, where, { recursive: true });
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module", dependencies: { "wasm-memory-polyfill": "*" } }));
  writeFileSync(
    path.join(dir, "app.mjs"),
    [
      'import { ledger } from "wasm-memory-polyfill";',
      "const m = new WebAssembly.Memory({ initial: 2, maximum: 9 });",
      "m.grow(2);",
      "// under the reporter, the app's import and the reporter's are one ledger",
      "console.log(ledger.idOf(m) >= 0, ledger.snapshot().live, m.buffer.byteLength / 65536);",
      'if (process.argv[2] === "exit3") process.exit(3);',
    ].join("\n"),
  );
  const meta = JSON.parse(readFileSync(path.join(where, "package.json"), "utf8"));
  const binFile = path.join(where, meta.bin?.["wasm-memory-polyfill"] ?? "-");
  check(
    'package.json: "bin" wasm-memory-polyfill is an executable node script, "./report" is exported',
    existsSync(binFile) &&
      (statSync(binFile).mode & 0o111) !== 0 &&
      readFileSync(binFile, "utf8").startsWith("#!/usr/bin/env node\n") &&
      meta.exports?.["./report"]?.default === "./report.js",
    JSON.stringify({ bin: meta.bin, exports: meta.exports?.["./report"] }),
  );
  const expect = (r) => {
    const row = parseTable(r.stderr)?.rows;
    return r.stdout.toString() === "true 1 4\n" && row?.length === 1 && row[0].pages === 4 && row[0].grows === 1 && row[0].maximum === 9;
  };
  const n = await run(process.execPath, ["--import", "wasm-memory-polyfill/report", "app.mjs"], { cwd: dir });
  check(
    "node --import wasm-memory-polyfill/report (bare, from the app's node_modules): one ledger with the app's own import, the memory at its size",
    expect(n) && n.code === 0,
    short(n),
  );
  const b = await run(process.execPath, [binFile, process.execPath, "app.mjs", "exit3"], { cwd: dir });
  check("the installed bin with node: exit 3, the report", expect(b) && b.code === 3, short(b));
  const two = await run(process.execPath, ["--import", "wasm-memory-polyfill/report", "--import", pathToFileURL(report).href, "app.mjs"], {
    cwd: dir,
  });
  check(
    "two copies of the reporter in one process (another path): one report, one ledger",
    expect(two) && two.code === 0 && two.stderr.split("wasm-memory-polyfill/report: ").length === 2,
    short(two),
  );
  if (existsSync(bun)) {
    const bb = await run(bun, ["--preload", "wasm-memory-polyfill/report", "app.mjs"], { cwd: dir });
    check(
      "bun --preload wasm-memory-polyfill/report (bare): one ledger with the app's own import, the memory at its size",
      expect(bb) && bb.code === 0,
      short(bb),
    );
  }
  if (!existsSync(deno)) return check("deno: .engines/deno/deno", false, "missing: run scripts/setup.sh");
  const d = await run(process.execPath, [binFile, deno, "run", "-A", "app.mjs", "exit3"], { cwd: dir, timeout: 90_000 });
  check("the installed bin with deno (run --preload): exit 3, the report (this thread alone)", expect(d) && d.code === 3, short(d));
}

const timer = setTimeout(() => {
  check("the whole run within 240 s", false);
  finish();
}, 240_000);
if (!existsSync(report) || !existsSync(cli)) {
  check("pkg/report.js and pkg/cli.js exist", false, `build the package first (bash scripts/build.sh): ${report}`);
} else {
  const sections = { programs, endings, json, workers, vips, hostile, large, budgets, bin, installed, types };
  const only = process.argv.slice(2);
  await Promise.all(
    Object.entries(sections)
      .filter(([k]) => !only.length || only.includes(k))
      .map(([k, f]) => f().catch((e) => check(`${k}: no exception`, false, e?.stack ?? String(e)))),
  );
}
clearTimeout(timer);
finish();
