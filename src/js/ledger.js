// The public `ledger`: snapshots, budgets, events, labels and the watcher. Sizes are always
// read from the engine first (code inside wasm grows memories without telling anyone).

import { rust, layout } from "./rust.js";
import { idOf, readChanges } from "./tracking.js";
import { deliver, on, setMarks } from "./events.js";
import { state } from "./memory.js";

/** Reads every memory's size from the engine into the core; growth found is reported. */
function refresh() {
  const changes = readChanges();
  if (changes.length > 0) rust.observe(changes);
  deliver();
}

/** The row layout, read once from the core's `layout` (by name) after it is bound. */
let cols;
function columns() {
  const c = layout.columns;
  return (cols = {
    n: layout.rowLength, page: layout.pageBytes, origins: layout.origins,
    id: c.id, is64: c.is64, shared: c.shared, pages: c.pages, peak: c.peak, grows: c.grows, maximum: c.maximum,
    requestedMaximum: c.requestedMaximum, bounded: c.bounded, createdAt: c.createdAt, origin: c.origin, instances: c.instances,
  });
}

/** `ledger.snapshot()`: plain, JSON-serialisable data, built from the core's rows. With
 * `{ allRealms: true }`: the app-wide view of `share()` (null while this realm doesn't share). */
function snapshot(options) {
  if (typeof options === "object" && options !== null && options.allRealms) return sharing?.allRealms() ?? null;
  refresh();
  const out = rust.snapshot(); // indexed, not destructured: no iterator on the way
  const rows = out[0], strings = out[1], t = out[2], budget = out[3];
  const c = cols ?? columns();
  const n = c.n, page = c.page, origins = c.origins;
  const memories = new Array(rows.length / n);
  for (let i = 0, r = 0; r < rows.length; i++, r += n) {
    const pages = rows[r + c.pages], maximum = rows[r + c.maximum], requested = rows[r + c.requestedMaximum];
    memories[i] = {
      id: rows[r + c.id],
      label: null,
      definedBy: null,
      address: rows[r + c.is64] === 1 ? "i64" : "i32",
      shared: rows[r + c.shared] === 1,
      pages,
      bytes: pages * page,
      peak: rows[r + c.peak],
      grows: rows[r + c.grows],
      maximum: maximum < 0 ? null : maximum, // -1: none
      requestedMaximum: requested < 0 ? null : requested,
      bounded: rows[r + c.bounded] === 1,
      createdAt: rows[r + c.createdAt],
      origin: origins[rows[r + c.origin]],
      instances: rows[r + c.instances],
      stack: null,
    };
  }
  for (let k = 0; k < strings.length; k += 4) {
    const m = memories[strings[k]];
    m.label = strings[k + 1];
    m.stack = strings[k + 2];
    m.definedBy = strings[k + 3];
  }
  return { live: t[0], livePages: t[1], liveBytes: t[1] * page, peakTotalPages: t[2], created: t[3], collected: t[4], budget, memories };
}

/**
 * `ledger.format()`: the live memories as a plain-text table (by id; text cut to 32
 * characters), then the totals and the budget. Built here from a snapshot: in Rust, the table
 * would add kilobytes of formatting code to the wasm.
 */
function format() {
  const s = snapshot();
  const text = (v) => {
    const t = v === null ? "-" : String(v).replace(/[\0-\x1f\x7f]/g, " ");
    return t.length > 32 ? `${t.slice(0, 31)}…` : t;
  };
  const table = [["id", "label", "definedBy", "pages", "peak", "grows", "maximum", "origin"]];
  for (const m of s.memories.sort((a, b) => a.id - b.id)) table.push([m.id, text(m.label), text(m.definedBy), m.pages, m.peak, m.grows, text(m.maximum), m.origin].map(String));
  const width = table[0].map((_, i) => table.reduce((w, r) => Math.max(w, r[i].length), 0));
  const line = (r) => r.map((c, i) => ("03456".includes(i) ? c.padStart(width[i]) : c.padEnd(width[i]))).join("  ").trimEnd();
  const b = s.budget;
  const limits = b && ["totalPages", "perMemoryPages", "memories"].filter((k) => b[k] !== null).map((k) => ` ${k} ${b[k]}`).join("");
  return `${table.map(line).join("\n")}
${s.live} live memories, ${s.livePages} pages (${s.liveBytes} bytes); peak ${s.peakTotalPages} pages; ${s.created} created, ${s.collected} collected
budget${b ? ` (${b.mode}):${limits}` : ": none"}
`;
}

/**
 * `ledger.watch({ interval })`: reads sizes on a timer, so growth inside wasm is reported
 * (`grow` events with `source: "wasm"`, and budget crossings) without anyone asking. The timer
 * never keeps a Node process alive. Returns `stop()`.
 */
function watch(options) {
  const ms = rust.checkInterval(typeof options === "object" && options !== null ? options.interval : undefined);
  const timer = setInterval(refresh, ms);
  timer?.unref?.();
  return () => clearInterval(timer);
}

/** The realms module (realms.js), loaded by the first `share()`; and the running share's stop. */
let sharing, stopSharing;

/**
 * `ledger.share({ name, interval })`: publishes this realm's ledger to the app's other realms
 * and hears theirs (see realms.js, loaded now). A second call replaces the first. Returns `stop()`.
 */
function share(options) {
  const o = typeof options === "object" && options !== null ? options : {};
  const name = o.name, interval = o.interval; // each member read once, here in JS
  const ms = rust.checkShare(options, name, interval, typeof BroadcastChannel === "function");
  stopSharing?.();
  let stopped = false, end;
  const stop = () => {
    stopped = true;
    end?.();
    if (stopSharing === stop) stopSharing = undefined;
  };
  stopSharing = stop;
  import("./realms.js").then((m) => {
    sharing = m;
    if (!stopped) end = m.start(name, ms, snapshot, refresh);
  });
  return stop;
}

export const ledger = Object.freeze({
  snapshot,
  snapshotArray: () => (refresh(), rust.snapshotArray()),
  format,
  setMarks,
  /** Members are read here, in JS, so a throwing getter never throws through wasm. */
  setBudget(budget) {
    const b = typeof budget === "object" && budget !== null ? budget : {};
    refresh();
    state.budgeted = rust.setBudget(budget, b.totalPages, b.perMemoryPages, b.memories, b.mode, b.appPages);
    state.hard = rust.hardBudget();
    deliver(); // a budget already passed is reported, never refused
  },
  on,
  label: (memory, label) => rust.label(idOf(memory), label),
  options(options) {
    const capture = options?.captureStacks;
    if (capture !== undefined) state.captureStacks = !!capture;
  },
  idOf,
  watch,
  share,
  realms: () => sharing?.realms() ?? [],
});
