// Page 2: the live ledger. Makes memories on request and shows what `ledger` says about them:
// totals, a chart of pages over time, a table of live memories and the event log.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { Memory, ledger } from "wasm-memory-polyfill";

const $ = (id) => document.getElementById(id);
const TICK_MS = 250; // how often sizes are re-read (a module may grow its memory itself)
const HISTORY = 240; // chart samples kept: the last minute
const TOP = 8; // memories charted one by one; the rest are summed into "others"
const MAX_EVENTS = 200; // event log lines kept

// The page's only strong references to its memories (ledger id -> Memory). The ledger itself
// holds them weakly, so "drop all" (clearing this map) lets GC collect them.
const memories = new Map();
let selected = null; // id of the clicked table row, if any
let batches = 0;

// ---- errors: always shown, with the constructor's name and the message ----

function showError(e) {
  $("error").textContent = `${e?.constructor?.name ?? typeof e}: ${e?.message ?? String(e)}`;
}
window.addEventListener("unhandledrejection", (event) => showError(event.reason));

/** Wraps a button's action: clears the last error and note, shows any error it throws. */
const action = (fn) => () => {
  $("error").textContent = "";
  $("note").textContent = "";
  try {
    fn();
  } catch (e) {
    showError(e);
  }
  refresh();
};

/** A number input's value; empty is undefined, so the package reports what is missing. */
const numberOf = (id) => ($(id).value.trim() === "" ? undefined : Number($(id).value));

// ---- actions ----

function create(label, initial, maximum) {
  const descriptor = maximum === undefined ? { initial } : { initial, maximum };
  const memory = new Memory(descriptor, { label }); // RangeError/TypeError: shown by action()
  memories.set(ledger.idOf(memory), memory);
}

/** The memory "grow" acts on: the selected row's, else the newest one the page holds. */
function target() {
  if (selected !== null && memories.has(selected)) return selected;
  return [...memories.keys()].at(-1) ?? null;
}

$("create").addEventListener(
  "click",
  action(() => {
    create($("label").value || undefined, numberOf("initial"), numberOf("maximum"));
  }),
);

$("create-many").addEventListener(
  "click",
  action(() => {
    const batch = ++batches;
    for (let i = 0; i < 100; i++) create(`batch ${batch} #${i}`, 1 + ((i * 5) % 8), 64); // stops at the first refusal
  }),
);

$("grow-last").addEventListener(
  "click",
  action(() => {
    const id = target();
    if (id === null) throw new Error("no memory to grow: create one first");
    memories.get(id).grow(1); // a hard budget refuses with a RangeError
  }),
);

$("drop").addEventListener(
  "click",
  action(() => {
    const n = memories.size;
    memories.clear();
    selected = null;
    $("note").textContent = `Dropped ${n} references. The ledger lists them until they are garbage-collected (watch for collect events).`;
  }),
);

$("gc").addEventListener(
  "click",
  action(() => {
    if (typeof globalThis.gc === "function") {
      globalThis.gc();
      $("note").textContent = "gc() ran; collected memories leave the ledger as collect events arrive.";
    } else {
      $("note").textContent =
        "gc() is not available: start the browser with --js-flags=--expose-gc (e.g. chromium --js-flags=--expose-gc). Without it the browser collects when it chooses.";
    }
  }),
);

$("set-budget").addEventListener(
  "click",
  action(() => {
    ledger.setBudget({ totalPages: numberOf("budget-total"), mode: $("budget-mode").value });
  }),
);
$("clear-budget").addEventListener(
  "click",
  action(() => ledger.setBudget(null)),
);

$("memories").tBodies[0].addEventListener("click", (event) => {
  const row = event.target.closest("tr");
  if (!row) return;
  selected = Number(row.dataset.id);
  refresh();
});

// ---- events: logged as they come; the tables refresh once after a burst ----

const pages = (n) => `${n} page${n === 1 ? "" : "s"}`;

function describe(e) {
  switch (e.type) {
    case "create":
      return `create  #${e.id}: ${pages(e.pages)}`;
    case "grow":
      return `grow    #${e.id}: ${e.from} → ${e.to} pages`;
    case "collect":
      return `collect #${e.id}: ${pages(e.pages)} freed`;
    case "budget":
      return `budget  ${e.budget} ${e.limit}: would be ${e.value}, ${e.refused ? "REFUSED" : "allowed (soft)"}${e.id === null ? " (new memory)" : ` (#${e.id})`}`;
    default:
      return JSON.stringify(e);
  }
}

let refreshQueued = false;
for (const kind of ["create", "grow", "collect", "budget"]) {
  ledger.on(kind, (e) => {
    const li = document.createElement("li");
    li.className = e.type;
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    li.append(time, describe(e));
    $("events").prepend(li);
    while ($("events").childElementCount > MAX_EVENTS) $("events").lastElementChild.remove();
    // Not from inside the ledger's own call: once, after the current script finishes.
    if (!refreshQueued) {
      refreshQueued = true;
      queueMicrotask(() => {
        refreshQueued = false;
        refresh();
      });
    }
  });
}

// ---- totals and table ----

/** Reads the ledger once and redraws the totals and the table. Returns the snapshot. */
function refresh() {
  const snap = ledger.snapshot();
  const b = snap.budget;
  $("live").textContent = snap.live;
  $("live-pages").textContent = snap.livePages;
  $("live-bytes").textContent = snap.liveBytes.toLocaleString("en");
  $("peak-total").textContent = snap.peakTotalPages;
  $("created").textContent = snap.created;
  $("collected").textContent = snap.collected;
  $("held").textContent = memories.size;
  $("budget").textContent = b ? `totalPages ${b.totalPages ?? "∞"} (${b.mode})` : "none";
  const t = target();
  $("target").textContent = t === null ? "none" : `#${t}${t === selected ? " (selected)" : " (last)"}`;

  const rows = snap.memories.map((m) => {
    const tr = document.createElement("tr");
    tr.dataset.id = m.id;
    if (m.id === selected) tr.className = "selected";
    for (const v of [m.id, m.label ?? "", m.pages, m.peak, m.grows, m.maximum ?? "–", m.shared ? "yes" : "no"]) {
      tr.insertCell().textContent = v;
    }
    return tr;
  });
  $("memories").tBodies[0].replaceChildren(...rows);
  return snap;
}

// ---- charts: pages over time (uPlot), the totals and the largest memories ----

/** @type {{ t: number, total: number, budget: number | null, pages: Map<number, number> }[]} */
const history = [];
const charts = { totals: null, memories: null };
let topKey = "";

const COLORS = ["#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#0c8599", "#f08c00", "#c2255c", "#5c940d"];
const HEIGHT = 220;

function sample(snap) {
  history.push({
    t: Date.now() / 1000,
    total: snap.livePages,
    budget: snap.budget?.totalPages ?? null,
    pages: new Map(snap.memories.map((m) => [m.id, m.pages])),
  });
  if (history.length > HISTORY) history.shift();
}

/** Options shared by both charts: x in seconds before now, y from 0, cursors in sync. */
function options(el, series) {
  const fromZero = (_u, _min, max) => [0, Math.max(4, Math.ceil((max ?? 0) * 1.1))];
  return {
    width: el.clientWidth,
    height: HEIGHT,
    cursor: { sync: { key: "ledger" } },
    scales: { x: { time: false }, y: { range: fromZero } },
    axes: [{ values: (_u, ticks) => ticks.map((s) => `${s.toFixed(s % 1 ? 1 : 0)} s`) }, { label: "pages" }],
    series: [{ label: "seconds ago", value: (_u, v) => (v == null ? "--" : `${v.toFixed(1)} s`) }, ...series],
  };
}

function draw(snap) {
  const now = history.at(-1).t;
  const xs = history.map((h) => h.t - now); // seconds before now (<= 0)
  // The TOP largest memories now are charted one by one; the rest are summed into "others".
  const top = [...snap.memories].sort((a, b) => b.pages - a.pages || a.id - b.id).slice(0, TOP);
  const tops = top.map((m) => history.map((h) => h.pages.get(m.id) ?? null));
  const others = history.map((h, i) => h.total - tops.reduce((sum, col) => sum + (col[i] ?? 0), 0));

  // "others" first so that the total and the budget are drawn over it.
  const totals = [xs, others, history.map((h) => h.total), history.map((h) => h.budget)];
  if (charts.totals) charts.totals.setData(totals);
  else {
    charts.totals = new uPlot(
      options($("chart-totals"), [
        { label: "others", stroke: "#adb5bd", width: 2 },
        { label: "total", stroke: "#1d2330", width: 2.5 },
        { label: "budget (totalPages)", stroke: "#c92a2a", width: 2, dash: [8, 5] },
      ]),
      totals,
      $("chart-totals"),
    );
  }

  const memories = [xs, ...tops];
  const key = top.map((m) => `${m.id}:${m.label}`).join("|");
  if (charts.memories && key === topKey) {
    charts.memories.setData(memories);
    return;
  }
  // The set of largest memories changed: rebuild that chart with the new series.
  charts.memories?.destroy();
  topKey = key;
  charts.memories = new uPlot(
    options(
      $("chart-memories"),
      top.map((m, i) => ({ label: `#${m.id} ${m.label ?? ""}`.trim(), stroke: COLORS[i], width: 1.5 })),
    ),
    memories,
    $("chart-memories"),
  );
}

window.addEventListener("resize", () => {
  for (const [name, chart] of Object.entries(charts)) {
    chart?.setSize({ width: $(`chart-${name}`).clientWidth, height: HEIGHT });
  }
});

function tick() {
  const snap = refresh();
  sample(snap);
  draw(snap);
}
tick();
setInterval(tick, TICK_MS);

// For tests/demo/run.mjs (and the console): the ledger and the charts.
window.demo = { ledger, charts };
