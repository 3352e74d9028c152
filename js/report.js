// `wasm-memory-polyfill/report`: `node --import wasm-memory-polyfill/report app.mjs` (or
// `bun --preload`). Runs before the program's first line: install(), then share() so that this
// thread sees every worker_threads worker's ledger (each worker loads this file too: a worker
// inherits its parent's execArgv and NODE_OPTIONS). When the main thread exits (normally, by
// process.exit, or on an uncaught error) it writes the report to stderr (fd 2, synchronously):
// every memory the app's threads hold, and the app's totals. A worker never prints: on its exit
// it posts its final ledger to the main thread.
//
// Settings come from the environment and are parsed strictly, before the program runs: a bad
// value is an error naming the variable and exit status 2.
//   WASM_MEMORY_BUDGET  "totalPages=4096,perMemoryPages=1024,mode=hard" (ledger.setBudget's keys)
//   WASM_MEMORY_REPORT  "table" (default) | "json" | "json:FILE"
//   WASM_MEMORY_WATCH   ms: ledger.watch({ interval }), so growth inside wasm is seen between reads
//
// Nothing here may change the program's stdout or exit status: the report is written to fd 2 (or
// FILE) and a failure while reporting is one line on stderr. It runs under the app's code, which
// may patch built-ins after load, so what the exit path calls is captured here first.

import { writeSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Buffer } from "node:buffer";
import { isMainThread, threadId } from "node:worker_threads";
import { install, ledger } from "wasm-memory-polyfill";

const { apply } = Reflect;
const uncurry =
  (f) =>
  (self, ...args) =>
    apply(f, self, args);
const proc = globalThis.process;
const processOn = proc.on,
  processExit = proc.exit;
const write = writeSync,
  writeFile = writeFileSync;
const stringify = JSON.stringify;
const String_ = String,
  Map_ = Map,
  BroadcastChannel_ = globalThis.BroadcastChannel,
  MathMax = Math.max;
const push = uncurry(Array.prototype.push),
  sort = uncurry(Array.prototype.sort),
  join = uncurry(Array.prototype.join);
const padStart = uncurry(String.prototype.padStart),
  padEnd = uncurry(String.prototype.padEnd),
  slice = uncurry(String.prototype.slice);
const charCodeAt = uncurry(String.prototype.charCodeAt);
const mapSet = uncurry(Map.prototype.set),
  mapHas = uncurry(Map.prototype.has);
const { setPrototypeOf, defineProperty, hasOwn } = Object;
const BufferFrom = Buffer.from,
  AtomicsWait = Atomics.wait;
const pause = new Int32Array(new SharedArrayBuffer(4));
/** A fresh array with no prototype: filling it reaches no setter an app put on Array.prototype. */
const list = () => {
  const a = [];
  setPrototypeOf(a, null);
  return a;
};

/** All of `text` to `fd`, synchronously: a pipe that is full (EAGAIN) is waited for, 1 ms at a
 * time, up to 5 s; a partial write goes on where it stopped. */
function writeAll(fd, text) {
  const bytes = apply(BufferFrom, Buffer, [text]);
  for (let at = 0, waits = 0; at < bytes.length; ) {
    try {
      at += write(fd, bytes, at, bytes.length - at);
    } catch (e) {
      if (e?.code !== "EAGAIN" || ++waits > 5000) throw e;
      apply(AtomicsWait, Atomics, [pause, 0, 0, 1]);
    }
  }
}

const NAME = "wasm-memory-polyfill/report";
/** The channel the workers' final ledgers come on (realms.js's own channel ignores these). */
const CHANNEL = "wasm-memory-polyfill/report";
const realm = isMainThread ? "main" : `worker ${threadId}`;

/** A settings error: one line naming the variable, then exit status 2 before the program runs. */
class SettingError extends Error {}
const bad = (variable, what) => {
  throw new SettingError(`${NAME}: ${variable}: ${what}`);
};
const BUDGET_KEYS = ["totalPages", "perMemoryPages", "memories", "appPages", "reservedBytes"];
/** `reservedBytes`' units: bytes, or a binary multiple. */
const UNITS = { "": 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** "totalPages=4096,mode=hard" -> a Budget; undefined when unset or empty. @param {string | undefined} text */
function parseBudget(text, variable = "WASM_MEMORY_BUDGET") {
  if (text === undefined || text === "") return undefined;
  /** @type {Record<string, number | string>} */
  const budget = {};
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part.trim() : part.slice(0, eq).trim(),
      value = eq < 0 ? "" : part.slice(eq + 1).trim();
    if (eq < 0 || key === "") bad(variable, `expected key=value pairs separated by commas, got "${part}"`);
    if (Object.hasOwn(budget, key)) bad(variable, `"${key}" is given twice`);
    if (key === "mode") {
      if (value !== "hard" && value !== "soft") bad(variable, `mode must be "hard" or "soft", got "${value}"`);
      budget.mode = value;
    } else if (key === "reservedBytes") {
      // Bytes of address space (docs/reserved.md), so more than 32 bits: "549755813888" or "512GiB".
      const m = /^([0-9]{1,16})\s*(KiB|MiB|GiB|TiB)?$/.exec(value);
      const bytes = m === null ? NaN : Number(m[1]) * UNITS[m[2] ?? ""];
      if (!Number.isSafeInteger(bytes))
        bad(variable, `reservedBytes must be a whole number of bytes, or of KiB, MiB, GiB or TiB (at most 2^53 - 1 bytes), got "${value}"`);
      budget.reservedBytes = bytes;
    } else if (BUDGET_KEYS.includes(key)) {
      if (!/^[0-9]{1,10}$/.test(value) || Number(value) > 0xffffffff)
        bad(variable, `${key} must be a whole number of pages (0 to 4294967295), got "${value}"`);
      budget[key] = Number(value);
    } else bad(variable, `unknown key "${key}" (expected ${BUDGET_KEYS.join(", ")} or mode)`);
  }
  if (!BUDGET_KEYS.some((k) => Object.hasOwn(budget, k))) bad(variable, `sets no limit (give one of ${BUDGET_KEYS.join(", ")})`);
  return budget;
}

/** "table" | "json" | "json:FILE" (FILE resolved against the directory the program starts in). */
function parseReport(text, variable = "WASM_MEMORY_REPORT") {
  if (text === undefined || text === "" || text === "table") return { json: false, file: null };
  if (text === "json") return { json: true, file: null };
  if (text.startsWith("json:") && text.length > 5) return { json: true, file: resolve(text.slice(5)) };
  return bad(variable, `expected "table", "json" or "json:FILE", got "${text}"`);
}

/** Milliseconds, a whole number; undefined when unset or empty. */
function parseWatch(text, variable = "WASM_MEMORY_WATCH") {
  if (text === undefined || text === "") return undefined;
  if (!/^[0-9]{1,10}$/.test(text)) bad(variable, `expected an interval in whole milliseconds, got "${text}"`);
  return Number(text);
}

/** Reads the settings and applies them (the budget and the watcher: the core checks their ranges). */
function start() {
  const env = proc.env;
  const budget = parseBudget(env.WASM_MEMORY_BUDGET);
  const report = parseReport(env.WASM_MEMORY_REPORT);
  const watch = parseWatch(env.WASM_MEMORY_WATCH);
  if (budget) {
    try {
      ledger.setBudget(budget);
    } catch (e) {
      bad("WASM_MEMORY_BUDGET", e?.message ?? String_(e));
    }
  }
  if (watch !== undefined) {
    try {
      ledger.watch({ interval: watch });
    } catch (e) {
      bad("WASM_MEMORY_WATCH", e?.message ?? String_(e));
    }
  }
  return report;
}

// One reporter per thread: a second copy (another path to this file, or another version) does nothing.
const KEY = Symbol.for("wasm-memory-polyfill/report");
const first = !hasOwn(globalThis, KEY);
if (first) defineProperty(globalThis, KEY, { value: true });

let report;
try {
  if (first) report = start();
} catch (e) {
  if (!(e instanceof SettingError)) throw e;
  write(2, `${e.message}\n`);
  processExit(2);
}

/** Budget events seen here (the first 100), for the report. */
const budgetEvents = list();
// Deno can't unref a BroadcastChannel (an open one would keep the program alive): there this
// thread reports alone.
const sharing = first && typeof BroadcastChannel_ === "function" && globalThis.Deno === undefined;
/** Worker name -> its ledger when it exited (what it posted). */
const ended = new Map_();
let stopSharing = () => {},
  channel;

if (first) {
  ledger.on("budget", (e) => {
    if (budgetEvents.length < 100) push(budgetEvents, { ...e, realm });
  });
  // Neither may break the program: an app (or another tool) that froze `WebAssembly` gets its
  // way, and a runtime without BroadcastChannel reports this thread alone.
  try {
    install();
  } catch (e) {
    write(2, `${NAME}: install() failed, so only memories made through the package are seen (${e?.message ?? String_(e)})\n`);
  }
  try {
    if (sharing) stopSharing = ledger.share({ name: realm });
  } catch {}
  channel = sharing ? new BroadcastChannel_(CHANNEL) : undefined;
  channel?.unref?.();
  if (isMainThread) {
    if (channel) {
      channel.onmessage = (e) => {
        const d = e.data;
        if (
          d !== null &&
          typeof d === "object" &&
          d.wmpReport === 1 &&
          typeof d.realm === "string" &&
          d.snapshot &&
          typeof d.snapshot === "object"
        ) {
          mapSet(ended, d.realm, { snapshot: d.snapshot, budgetEvents: d.budgetEvents });
        }
      };
    }
    apply(processOn, proc, [
      "exit",
      (code) => {
        try {
          const r = collect(code);
          const text = report.json ? `${stringify(r, null, 2)}\n` : table(r);
          if (report.file) writeFile(report.file, text);
          else writeAll(2, text);
        } catch (e) {
          try {
            write(2, `${NAME}: no report (${e?.message ?? String_(e)})\n`);
          } catch {}
        }
      },
    ]);
  } else {
    apply(processOn, proc, [
      "exit",
      () => {
        try {
          channel?.postMessage({ wmpReport: 1, realm, snapshot: ledger.snapshot(), budgetEvents });
          stopSharing();
        } catch {}
      },
    ]);
  }
}

// Until share() has loaded its module, the app-wide view is null: wait (a few turns) so that a
// program that exits at once still gets it.
for (let i = 0; sharing && i < 50 && ledger.snapshot({ allRealms: true }) === null; i++) await new Promise((r) => setTimeout(r, 1));

/**
 * What the report says: `ledger.snapshot({ allRealms: true })` as the main thread sees it at exit
 * (the workers' figures as of their last message), plus `main` (this thread's own snapshot, with
 * its created/collected counts and peak), `ended` (each worker that exited first: its ledger at
 * its exit), `budgetEvents`, `exitCode`.
 */
function collect(code) {
  const main = ledger.snapshot();
  // The app-wide view is built by the package's realms module, which calls built-ins as the app
  // has left them (see docs/hostile.md, "What does not hold"): if the app broke one, this thread reports alone, and says so.
  let app = null,
    missing = null;
  try {
    if (sharing) app = ledger.snapshot({ allRealms: true });
  } catch (e) {
    missing = `the other threads' figures are missing (${e?.message ?? String_(e)})`;
  }
  if (app === null) {
    // Sharing never started (no BroadcastChannel): this thread alone.
    const memories = list(),
      received = list();
    for (let i = 0; i < main.memories.length; i++) {
      const m = main.memories[i];
      push(m.origin === "received" ? received : memories, { ...m, realm });
    }
    app = {
      live: main.live - received.length,
      livePages: 0,
      liveBytes: 0,
      peakTotalPages: main.peakTotalPages,
      receivedPages: 0,
      budget: { appPages: main.budget?.appPages ?? null },
      realms: list(),
      memories,
      received,
    };
    for (let i = 0; i < memories.length; i++) app.livePages += memories[i].pages;
    for (let i = 0; i < received.length; i++) app.receivedPages += received[i].pages;
    app.liveBytes = app.livePages * 65536;
  }
  const endedList = list(),
    events = arrayCopy(budgetEvents),
    finals = mapEntries(ended);
  for (let i = 0; i < finals.length; i++) {
    const name = finals[i][0],
      v = finals[i][1];
    push(endedList, { realm: name, ...v.snapshot });
    if (v.budgetEvents?.length) for (let k = 0; k < v.budgetEvents.length; k++) push(events, v.budgetEvents[k]);
  }
  return {
    ...app,
    peakTotalPages: MathMax(app.peakTotalPages, main.peakTotalPages),
    main,
    ended: endedList,
    budgetEvents: events,
    exitCode: code,
    missing,
  };
}

/** A Map's entries as a plain array, without the (patchable) iterator protocol. */
function mapEntries(map) {
  const out = list();
  apply(mapForEach, map, [(v, k) => push(out, [k, v])]);
  return out;
}
const mapForEach = Map.prototype.forEach;

/** The report as text: one row per memory (realm, id, label, definedBy, pages, peak, grows,
 * maximum, instances, origin), then the totals, the budget and its hits. */
function table(r) {
  const rows = [["realm", "id", "label", "definedBy", "pages", "peak", "grows", "maximum", "instances", "origin"]];
  const endedNames = new Map_();
  for (let i = 0; i < r.ended.length; i++) mapSet(endedNames, r.ended[i].realm, r.ended[i]);
  const add = (name, m, note) =>
    push(rows, [
      name,
      String_(m.id),
      cell(m.label),
      cell(m.definedBy),
      String_(m.pages),
      String_(m.peak),
      String_(m.grows),
      cell(m.maximum),
      String_(m.instances),
      m.origin + note,
    ]);
  const lists = [r.memories, r.received];
  for (let l = 0; l < 2; l++) {
    const list = sort(arrayCopy(lists[l]), (a, b) =>
      a.realm === b.realm ? a.id - b.id : a.realm === "main" ? -1 : b.realm === "main" ? 1 : a.realm < b.realm ? -1 : 1,
    );
    for (let i = 0; i < list.length; i++)
      if (!mapHas(endedNames, list[i].realm)) add(list[i].realm, list[i], l === 1 ? " (counted where made)" : "");
  }
  let endedPages = 0,
    endedLive = 0;
  for (let i = 0; i < r.ended.length; i++) {
    const e = r.ended[i];
    for (let k = 0; k < e.memories.length; k++) {
      const m = e.memories[k];
      add(`${e.realm} (exited)`, m, m.origin === "received" ? " (counted where made)" : "");
      if (m.origin !== "received") (endedPages += m.pages), endedLive++;
    }
  }
  const width = list();
  for (let c = 0; c < 10; c++) {
    width[c] = 0;
    for (let i = 0; i < rows.length; i++) width[c] = MathMax(width[c], rows[i][c].length);
  }
  let out = `${NAME}: ${argv()} (pid ${proc.pid}, exit status ${r.exitCode})\n`;
  for (let i = 0; i < rows.length; i++) {
    const cells = list();
    for (let c = 0; c < 10; c++) push(cells, c === 1 || (c >= 4 && c <= 8) ? padStart(rows[i][c], width[c]) : padEnd(rows[i][c], width[c]));
    out += `${trimEnd(join(cells, "  "))}\n`;
  }
  // Live at exit: the memories made in the threads still running (a worker that exited first
  // is not counted; its memories are listed as they were when it exited).
  let livePages = 0,
    live = 0;
  for (let i = 0; i < r.memories.length; i++) if (!mapHas(endedNames, r.memories[i].realm)) (livePages += r.memories[i].pages), live++;
  const running = r.realms.length ? r.realms.length - countEnded(r.realms, endedNames) : 1;
  out += `app: ${live} live memories, ${livePages} pages (${livePages * 65536} bytes) at exit in ${running} running thread${running === 1 ? "" : "s"}; peak ${r.peakTotalPages} pages`;
  out += r.ended.length
    ? `; ${r.ended.length} worker${r.ended.length === 1 ? "" : "s"} exited before, holding ${endedLive} memories, ${endedPages} pages\n`
    : "\n";
  out += `main: ${r.main.created} created, ${r.main.collected} collected, peak ${r.main.peakTotalPages} pages\n`;
  const b = r.main.budget;
  let limits = "";
  if (b)
    for (let i = 0; i < BUDGET_KEYS.length; i++)
      if (b[BUDGET_KEYS[i]] !== null && b[BUDGET_KEYS[i]] !== undefined) limits += ` ${BUDGET_KEYS[i]} ${b[BUDGET_KEYS[i]]}`;
  out += `budget${b ? ` (${b.mode}, each thread):${limits}` : ": none"}`;
  const ev = r.budgetEvents;
  let refused = 0;
  for (let i = 0; i < ev.length; i++) if (ev[i].refused) refused++;
  out += ev.length ? `; ${ev.length} hit${ev.length === 1 ? "" : "s"}, ${refused} refused\n` : "\n";
  for (let i = 0; i < ev.length && i < 10; i++) {
    const e = ev[i];
    out += `  ${e.realm}: ${e.budget} ${e.value} > ${e.limit}${e.id === null ? "" : ` (memory ${e.id})`}${e.refused ? ", refused" : ""}\n`;
  }
  if (r.missing) out += `${r.missing}\n`;
  return out;
}

function countEnded(realms, endedNames) {
  let n = 0;
  for (let i = 0; i < realms.length; i++) if (mapHas(endedNames, realms[i].name)) n++;
  return n;
}
function arrayCopy(a) {
  const out = list();
  for (let i = 0; i < a.length; i++) push(out, a[i]);
  return out;
}
function trimEnd(s) {
  let end = s.length;
  while (end > 0 && charCodeAt(s, end - 1) === 32) end--;
  return slice(s, 0, end);
}
function argv() {
  const a = proc.argv,
    parts = list();
  for (let i = 1; i < a.length; i++) push(parts, a[i]);
  return cell(join(parts, " "), 80);
}
/** "-" for none, control characters as spaces, cut to `max` characters. */
function cell(v, max = 32) {
  if (v === null || v === undefined) return "-";
  const t = String_(v);
  let clean = "";
  for (let i = 0; i < t.length; i++) {
    const c = charCodeAt(t, i);
    clean += c < 0x20 || c === 0x7f ? " " : t[i];
  }
  return clean.length > max ? `${slice(clean, 0, max - 1)}…` : clean;
}
