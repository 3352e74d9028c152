// The public `ledger`: snapshots, budgets, events, labels and the watcher. Sizes are always
// read from the engine first (code inside wasm grows memories without telling anyone).

import { heapF64, rust, layout } from "./rust.js";
import { idOf, memoryOf, observeChanges, readChangesInto, resendAll, trackedCount } from "./tracking.js";
import { deliver, on, setMarks } from "./events.js";
import { setBudgetMode, setCaptureStacks } from "./state.js";
import { touched } from "./touched.js";
import {
  ArrayPrototypePush,
  ArrayPrototypeSlice,
  ArrayPrototypeSort,
  MathMax,
  MathRound,
  Number,
  NumberPrototypeToFixed,
  PromisePrototypeThen,
  String,
  StringPrototypeCharCodeAt,
  StringPrototypePadEnd,
  StringPrototypePadStart,
  StringPrototypeSlice,
  StringPrototypeTrimEnd,
  arrayOf,
  clearInterval,
  list,
  setInterval,
} from "./primordials.js";

/** Reads every memory's size from the engine into the core; growth found is reported. */
function refresh() {
  observeChanges();
  deliver();
}

/** The row layout, read once from the core's `layout` (by name) after it is bound. */
let cols;
function columns() {
  const c = layout.columns,
    t = layout.totals,
    b = layout.budget;
  return (cols = {
    n: layout.rowLength,
    page: layout.pageBytes,
    origins: layout.origins,
    rowsAt: t.headroomBytes + 1 + b.reservedBytes + 1, // the totals, then the budget, then the number of rows
    reserved: c.reserved,
    reservedBytes: t.reservedBytes,
    headroomMemories: t.headroomMemories,
    headroomBytes: t.headroomBytes,
    id: c.id,
    is64: c.is64,
    shared: c.shared,
    pages: c.pages,
    peak: c.peak,
    grows: c.grows,
    maximum: c.maximum,
    requestedMaximum: c.requestedMaximum,
    bounded: c.bounded,
    createdAt: c.createdAt,
    origin: c.origin,
    instances: c.instances,
    live: t.live,
    livePages: t.livePages,
    peakTotalPages: t.peakTotalPages,
    created: t.created,
    collected: t.collected,
    budget: t.headroomBytes + 1,
    has: b.has,
    totalPages: b.totalPages,
    perMemoryPages: b.perMemoryPages,
    memories: b.memories,
    hard: b.hard,
    appPages: b.appPages,
    budgetReserved: b.reservedBytes,
  });
}

const count = (x) => (x < 0 ? null : x); // -1: none

/** The snapshot's input in the core's memory: where it starts (in f64s) and how many pairs it holds. */
let inputAt = 0,
  inputRoom = 0;

/** Reads every size from the engine into the core's input and has it take them and write the
 * snapshot in place: one crossing, no copy. Returns where the numbers start in `heapF64()`. */
function snapshotNumbers() {
  const pairs = trackedCount();
  if (pairs > inputRoom) {
    inputRoom = 0; // until the call below has returned: a call cut short may have moved the input
    inputAt = rust.snapshotInput(pairs);
    inputRoom = pairs;
  }
  try {
    return rust.snapshotRows(readChangesInto(heapF64(), inputAt));
  } catch (e) {
    resendAll(); // sizes read but maybe not taken (a call cut short): the next read sends them all
    throw e;
  }
}

/** `ledger.snapshot()`: plain, JSON-serialisable data, built here from the core's numbers (object
 * literals: no setter on `Object.prototype` or `Array.prototype` sees or drops a member). With
 * `{ allRealms: true }`: the app-wide view of `share()` (null while this realm doesn't share).
 * Growth found is reported once the snapshot is built. */
function snapshot(options) {
  if (typeof options === "object" && options !== null && options.allRealms) return sharing?.allRealms() ?? null;
  const o = snapshotNumbers();
  const out = heapF64(); // read before the next call into the core
  const c = cols ?? columns();
  const n = c.n,
    page = c.page,
    origins = c.origins,
    b = o + c.budget;
  const rows = out[o + c.rowsAt],
    first = o + c.rowsAt + 1;
  const memories = arrayOf(rows, (i) => {
    const r = first + i * n;
    const pages = out[r + c.pages];
    return {
      id: out[r + c.id],
      label: null,
      definedBy: null,
      address: out[r + c.is64] === 1 ? "i64" : "i32",
      shared: out[r + c.shared] === 1,
      pages,
      bytes: pages * page,
      peak: out[r + c.peak],
      grows: out[r + c.grows],
      maximum: count(out[r + c.maximum]),
      requestedMaximum: count(out[r + c.requestedMaximum]),
      bounded: out[r + c.bounded] === 1,
      createdAt: out[r + c.createdAt],
      origin: origins[out[r + c.origin]],
      instances: out[r + c.instances],
      reserved: count(out[r + c.reserved]),
      stack: null,
    };
  });
  // The texts: [row, label, stack, definedBy] per record that has any, each a length (-1: none)
  // into one string.
  const marks = first + rows * n,
    withText = out[marks];
  if (withText > 0) {
    const texts = rust.snapshotTexts();
    const v = heapF64(); // again, after a call into the core
    let at = 0;
    const next = (len) => (len < 0 ? null : StringPrototypeSlice(texts, at, (at += len)));
    for (let k = marks + 1; k < marks + 1 + withText * 4; k += 4) {
      const m = memories[v[k]]; // own members: assigning them runs no setter
      m.label = next(v[k + 1]);
      m.stack = next(v[k + 2]);
      m.definedBy = next(v[k + 3]);
    }
  }
  const budget =
    out[b + c.has] === 0
      ? null
      : {
          totalPages: count(out[b + c.totalPages]),
          perMemoryPages: count(out[b + c.perMemoryPages]),
          memories: count(out[b + c.memories]),
          mode: out[b + c.hard] === 1 ? "hard" : "soft",
          appPages: count(out[b + c.appPages]),
          reservedBytes: count(out[b + c.budgetReserved]),
        };
  const livePages = out[o + c.livePages],
    room = out[o + c.headroomMemories];
  const headroom = room < 0 ? null : { memories: room, bytes: out[o + c.headroomBytes] };
  const result = {
    live: out[o + c.live],
    livePages,
    liveBytes: livePages * page,
    peakTotalPages: out[o + c.peakTotalPages],
    created: out[o + c.created],
    collected: out[o + c.collected],
    reservedBytes: count(out[o + c.reservedBytes]),
    headroom,
    budget,
    memories,
  };
  deliver();
  return result;
}

/**
 * `ledger.format(options)`: the live memories as a plain-text table (by id; text cut to 32
 * characters), then the totals and the budget; with `{ touched: true }` a `touched` column after
 * `pages` (`ledger.touched()` of each: every page read). Built here from a snapshot: in Rust,
 * the table would add kilobytes of formatting code to the wasm.
 * @param {{ touched?: boolean }} [options]
 */
function format(options) {
  const withTouched = typeof options === "object" && options !== null && options.touched === true;
  const s = snapshot();
  const table = list();
  // Rows of our own lists (no prototype: pushing runs no setter), `touched` after `pages`.
  const row = (first, touchedCell, rest) => {
    const r = list();
    ArrayPrototypePush(r, first[0], first[1], first[2], first[3]);
    if (withTouched) ArrayPrototypePush(r, touchedCell);
    ArrayPrototypePush(r, rest[0], rest[1], rest[2], rest[3], rest[4]);
    return r;
  };
  ArrayPrototypePush(table, row(["id", "label", "definedBy", "pages"], "touched", ["peak", "grows", "maximum", "reserved", "origin"]));
  const memories = ArrayPrototypeSort(ArrayPrototypeSlice(s.memories), (a, b) => a.id - b.id);
  for (let i = 0; i < memories.length; i++) {
    const m = memories[i],
      memory = withTouched ? memoryOf(m.id) : undefined;
    const used = memory === undefined ? "-" : String(touched(memory));
    ArrayPrototypePush(
      table,
      row([String(m.id), text(m.label), text(m.definedBy), String(m.pages)], used, [
        String(m.peak),
        String(m.grows),
        text(m.maximum),
        size(m.reserved),
        m.origin,
      ]),
    );
  }
  const columns = table[0].length,
    width = list();
  for (let i = 0; i < columns; i++) width[i] = 0;
  for (let r = 0; r < table.length; r++) for (let i = 0; i < columns; i++) width[i] = MathMax(width[i], table[r][i].length);
  let out = "";
  for (let r = 0; r < table.length; r++) {
    let line = "";
    for (let i = 0; i < columns; i++) {
      const cell = table[r][i],
        right = i === 0 || (i >= 3 && i < columns - 1); // numbers to the right
      line += (i > 0 ? "  " : "") + (right ? StringPrototypePadStart(cell, width[i]) : StringPrototypePadEnd(cell, width[i]));
    }
    out += `${StringPrototypeTrimEnd(line)}\n`;
  }
  const b = s.budget;
  let limits = "";
  if (b)
    for (let i = 0; i < LIMITS.length; i++) {
      const k = LIMITS[i];
      if (b[k] !== null) limits += ` ${k} ${b[k]}`;
    }
  const h = s.headroom;
  return `${out}${s.live} live memories, ${s.livePages} pages (${s.liveBytes} bytes); peak ${s.peakTotalPages} pages; ${s.created} created, ${s.collected} collected
reserved ${size(s.reservedBytes)}; headroom ${h ? `${h.memories} memories (${size(h.bytes)})` : "unknown"}
budget${b ? ` (${b.mode}):${limits}` : ": none"}
`;
}

/** Bytes as a short text: "8 GiB", "4.03 GiB", "64 KiB"; "-" for none. @param {number | null} n */
function size(n) {
  if (n === null) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0,
    x = n;
  while (x >= 1024 && u < units.length - 1) (x /= 1024), u++;
  return `${x === MathRound(x) ? String(x) : NumberPrototypeToFixed(x, 2)} ${units[u]}`;
}

const LIMITS = ["totalPages", "perMemoryPages", "memories", "reservedBytes"];

/** A text cell: "-" for none, control characters as spaces (a loop, not a RegExp: compiling one
 * near the stack's limit can abort V8), cut to 32 characters. @param {unknown} v */
function text(v) {
  if (v === null) return "-";
  const t = String(v);
  let clean = "";
  for (let i = 0; i < t.length; i++) {
    const c = StringPrototypeCharCodeAt(t, i);
    clean += c < 0x20 || c === 0x7f ? " " : t[i];
  }
  return clean.length > 32 ? `${StringPrototypeSlice(clean, 0, 31)}…` : clean;
}

/**
 * `ledger.watch({ interval })`: reads sizes on a timer, so growth inside wasm is reported
 * (`grow` events with `source: "wasm"`, and budget crossings) without anyone asking. The timer
 * never keeps a Node process alive. Returns `stop()`.
 */
function watch(options) {
  const ms = rust.checkInterval(typeof options === "object" && options !== null ? options.interval : undefined);
  const timer = setInterval(refresh, ms);
  try {
    timer?.unref?.();
  } catch {
    // a Timeout the app patched: it may keep the process alive, nothing more
  }
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
  const name = o.name,
    interval = o.interval; // each member read once, here in JS
  const ms = rust.checkShare(options, name, interval, typeof BroadcastChannel === "function");
  stopSharing?.();
  let stopped = false,
    end;
  const stop = () => {
    stopped = true;
    end?.();
    if (stopSharing === stop) stopSharing = undefined;
  };
  stopSharing = stop;
  PromisePrototypeThen(import("./realms.js"), (m) => {
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
    // One call gives both: a second one cut short would leave `hard` stale (and modules unclamped).
    const mode = rust.setBudget(budget, b.totalPages, b.perMemoryPages, b.memories, b.mode, b.appPages, b.reservedBytes);
    setBudgetMode(mode !== 0, mode === 2);
    deliver(); // a budget already passed is reported, never refused
  },
  on,
  /**
   * What the engine is expected to still grant memories like `type` (`{ address, shared,
   * maximum }`, members read here, in JS) in this realm, by the reservation model:
   * `{ memories, bytes }`, or null where no limit is known. Without `type`: one-page i32 memories,
   * as the snapshot's `headroom`.
   */
  headroom(type) {
    const t = typeof type === "object" && type !== null ? type : {};
    const address = t.address,
      shared = t.shared,
      maximum = t.maximum;
    const h = rust.headroom(address === "i64", shared === true, maximum === undefined || maximum === null ? -1 : Number(maximum));
    return h.length === 0 ? null : { memories: h[0], bytes: h[1] };
  },
  label: (memory, label) => void rust.label(idOf(memory), label),
  options(options) {
    const capture = options?.captureStacks;
    if (capture !== undefined) setCaptureStacks(!!capture);
  },
  idOf,
  /** Pages holding a non-zero byte, read in place by a module of our own (touched.js): never the core. */
  touched,
  watch,
  share,
  realms: () => sharing?.realms() ?? [],
  /** How the core has fared: calls found abandoned while they held its state (0 is the design). */
  diagnostics: () => ({ abandonedCalls: rust.abandoned() }),
});
