// `wasm-memory-polyfill/overlay`: a live view of the ledger on any page, without writing code.
// `mountOverlay()` puts a <wasm-memory-ledger> element in a corner: live memories, total pages
// against the budget, a chart of total pages over time, the largest memories, the budget hits
// and the engine's refusals. Everything is inside its own shadow root (styles included), so
// nothing leaks to the page and nothing of the page's leaks in. Importing this file does
// nothing: the element is defined on the first mount. It shares the main entry's ledger.
import { ledger } from "./index.js";

const TAG = "wasm-memory-ledger";
const CORNERS = ["top-left", "top-right", "bottom-left", "bottom-right"];
const HISTORY = 120; // chart samples kept, one a second: the last two minutes
const TOP = 5; // largest memories listed
const HITS = 5; // budget events listed
const W = 300,
  H = 60; // the chart's viewBox

const STYLE = `
:host { all: initial; display: block; position: fixed; z-index: 2147483647; width: 340px; max-width: calc(100vw - 24px);
  font: 12px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  --bg: #ffffff; --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --accent: #3b5bdb; --warn: #c92a2a; --fill: rgb(59 91 219 / 0.15); }
@media (prefers-color-scheme: dark) {
  :host { --bg: #1b1f27; --fg: #e6e9ef; --muted: #9aa3b2; --line: #394050; --accent: #91a7ff; --warn: #ff8787; --fill: rgb(145 167 255 / 0.2); }
}
:host([corner="top-left"]) { top: 12px; left: 12px; } :host([corner="top-right"]) { top: 12px; right: 12px; }
:host([corner="bottom-left"]) { bottom: 12px; left: 12px; } :host([corner="bottom-right"]) { bottom: 12px; right: 12px; }
.panel { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; box-shadow: 0 4px 18px rgb(0 0 0 / 0.2); overflow: hidden; }
button { all: unset; box-sizing: border-box; display: flex; width: 100%; gap: 8px; align-items: baseline; padding: 7px 10px; cursor: pointer; font-weight: 600; }
button:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
button span { color: var(--muted); font-weight: 400; margin-left: auto; font-variant-numeric: tabular-nums; }
button::before { content: "▾"; color: var(--muted); } button[aria-expanded="false"]::before { content: "▸"; }
#body { padding: 0 10px 10px; border-top: 1px solid var(--line); } #body[hidden] { display: none; }
h3 { font-size: 11px; font-weight: 600; color: var(--muted); margin: 8px 0 3px; text-transform: uppercase; letter-spacing: 0.04em; }
.bar { height: 6px; background: var(--line); border-radius: 3px; overflow: hidden; margin-top: 4px; }
.bar div { height: 100%; background: var(--accent); width: 0; } .over .bar div { background: var(--warn); }
.over #pages { color: var(--warn); }
svg { display: block; width: 100%; height: 60px; }
polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
polygon { fill: var(--fill); } line { stroke: var(--warn); stroke-dasharray: 4 3; vector-effect: non-scaling-stroke; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; table-layout: fixed; }
th, td { padding: 2px 4px; text-align: right; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 500; } th:first-child, td:first-child { text-align: left; width: 58%; }
table.realms th:first-child, table.realms td:first-child { width: 40%; }
td small { display: block; color: var(--muted); overflow: hidden; text-overflow: ellipsis; }
.at { color: var(--warn); }
ol { list-style: none; margin: 0; padding: 0; } li { padding: 1px 0; color: var(--warn); } li.soft { color: var(--muted); }
.none { color: var(--muted); } #reserve.low { color: var(--warn); }
`;

const BODY = `<div class="panel" role="region" aria-label="WebAssembly memory ledger">
<button type="button" aria-expanded="true" aria-controls="body">wasm memory <span id="summary"></span></button>
<div id="body">
<h3>Total pages</h3><div id="total"><span id="pages"></span><div class="bar"><div id="bar"></div></div></div>
<svg id="chart" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img"><polygon/><polyline/><line x1="0" x2="${W}"/></svg>
<div id="realmview" hidden><h3>Realms</h3><table><thead><tr><th>realm</th><th>live</th><th>pages</th></tr></thead><tbody id="realms"></tbody></table></div>
<h3>Address space</h3><div id="reserve"></div>
<h3>Largest memories</h3><table id="largesttable"><thead><tr><th>memory</th><th id="realmhead" hidden>realm</th><th>pages</th><th>peak</th></tr></thead><tbody id="largest"></tbody></table>
<h3>Budget hits and failures</h3><ol id="hits"><li class="none">none</li></ol>
</div></div>`;

/** The element's class, made on first use (a page without custom elements never reaches it). */
function define() {
  if (customElements.get(TAG)) return;
  customElements.define(
    TAG,
    class WasmMemoryLedger extends HTMLElement {
      constructor() {
        super();
        const root = this.attachShadow({ mode: "open" });
        root.innerHTML = `<style>${STYLE}</style>${BODY}`;
        /** @type {(id: string) => HTMLElement} */
        this.$ = (id) => root.getElementById(id);
        /** @type {number[]} total pages, one sample a second */
        this.samples = [];
        /** @type {object[]} budget events, newest first */
        this.hits = [];
        /** @type {(() => unknown)[]} what stops the watcher, the listeners and the timers */
        this.stops = [];
        const toggle = root.querySelector("button");
        toggle.addEventListener("click", () => {
          const open = toggle.getAttribute("aria-expanded") !== "true";
          toggle.setAttribute("aria-expanded", String(open));
          this.$("body").hidden = !open;
        });
      }

      connectedCallback() {
        let queued = 0;
        // Never from inside the ledger's own call (a listener runs during grow()): once, soon after.
        const soon = () => (queued ||= setTimeout(() => ((queued = 0), this.render(false)), 30));
        const tick = setInterval(() => this.render(true), 1000);
        this.stops.push(
          ledger.watch({ interval: 250 }), // growth inside wasm becomes events
          ...["create", "grow", "collect"].map((kind) => ledger.on(kind, soon)),
          // Budget hits, and the engine's refusals for want of memory (their facts: what was live).
          ...["budget", "failure"].map((kind) =>
            ledger.on(kind, (e) => {
              this.hits = [e, ...this.hits].slice(0, HITS);
              soon();
            }),
          ),
          () => clearInterval(tick),
          () => clearTimeout(queued),
        );
        this.render(true);
      }

      disconnectedCallback() {
        for (const stop of this.stops.splice(0)) stop();
      }

      /** Redraws from a fresh snapshot; `sample`: also add a point to the chart. */
      render(sample) {
        const own = ledger.snapshot();
        // While this realm shares (ledger.share()), the whole app: every realm's memories, each
        // counted where it was made, and a row per realm. The budget line stays this realm's own.
        const app = ledger.snapshot({ allRealms: true });
        const s =
          app === null
            ? own
            : {
                ...own,
                live: app.live,
                livePages: app.livePages,
                peakTotalPages: Math.max(own.peakTotalPages, app.livePages),
                memories: app.memories,
              };
        const $ = this.$;
        const limit = own.budget?.totalPages ?? null;
        if (sample || this.samples.length === 0) this.samples = [...this.samples, s.livePages].slice(-HISTORY);
        else this.samples[this.samples.length - 1] = s.livePages;
        const realms = app === null ? [] : ledger.realms();
        $("summary").textContent = `${s.live} live · ${s.livePages} pages${app === null ? "" : ` · ${realms.length} realms`}`;
        $("realmview").hidden = app === null;
        $("realmhead").hidden = app === null;
        $("largesttable").classList.toggle("realms", app !== null); // four columns: a narrower first
        $("realms").replaceChildren(
          ...realms.map((r) => {
            const tr = document.createElement("tr");
            for (const text of [`${r.name}${r.self ? " (this one)" : ""}`, r.live - r.received, r.pages - r.receivedPages]) {
              const td = document.createElement("td");
              td.textContent = text;
              tr.append(td);
            }
            return tr;
          }),
        );
        $("pages").textContent =
          limit === null ? `${s.livePages} pages, no budget` : `${s.livePages} of ${limit} pages (${s.budget.mode} budget)`;
        $("total").classList.toggle("over", limit !== null && s.livePages > limit);
        $("bar").style.width = limit === null ? "0" : `${Math.min(100, (100 * s.livePages) / Math.max(limit, 1))}%`;

        // What this realm's memories reserve, and what the engine is expected to still grant (by
        // the reservation model: see docs/reserved.md); low under 10%.
        const room = own.headroom,
          reserve = $("reserve");
        reserve.textContent =
          own.reservedBytes === null
            ? "reserved: unknown on this engine"
            : `reserved ${bytes(own.reservedBytes)} · headroom ${room === null ? "unknown" : `${room.memories} memories (${bytes(room.bytes)})`}`;
        reserve.classList.toggle("low", room !== null && room.memories * 10 < room.memories + own.live + 1);

        // The chart: total pages over the last HISTORY seconds, and the budget's line.
        const top = Math.max(1, limit ?? 0, ...this.samples) * 1.1;
        const y = (v) => (H - (H * v) / top).toFixed(1);
        const x = (i) => ((W * i) / Math.max(1, this.samples.length - 1)).toFixed(1); // the samples kept, edge to edge
        const points = this.samples.map((v, i) => `${x(i)},${y(v)}`).join(" ");
        const svg = $("chart");
        svg.querySelector("polyline").setAttribute("points", points);
        svg.querySelector("polygon").setAttribute("points", `${x(0)},${H} ${points} ${W},${H}`);
        const line = svg.querySelector("line");
        line.setAttribute("y1", limit === null ? -1 : y(limit));
        line.setAttribute("y2", limit === null ? -1 : y(limit));
        svg.setAttribute(
          "aria-label",
          `total pages over the last ${this.samples.length} seconds: now ${s.livePages}, peak ${s.peakTotalPages}`,
        );

        // The largest memories: label (or the id), what defined it, pages, peak.
        const rows = s.memories
          .sort((a, b) => b.pages - a.pages)
          .slice(0, TOP)
          .map((m) => {
            const tr = document.createElement("tr");
            tr.dataset.id = m.id;
            const name = document.createElement("td");
            name.textContent = m.label ?? `#${m.id} (${m.origin})`;
            const by = document.createElement("small");
            by.textContent =
              m.definedBy ??
              { constructed: "new WebAssembly.Memory", received: "received from another realm" }[m.origin] ??
              "a module without a name or URL";
            name.title = `${name.textContent}: ${by.textContent}`;
            name.append(by);
            // At its budget clamp: grows inside wasm get -1 from here on.
            const clamped =
              m.bounded && m.maximum !== null && m.pages >= m.maximum && (m.requestedMaximum === null || m.maximum < m.requestedMaximum);
            const pages = document.createElement("td");
            pages.textContent = m.pages;
            if (clamped) (pages.className = "at"), (pages.title = "at its budget clamp");
            const peak = document.createElement("td");
            peak.textContent = m.peak;
            tr.append(name, pages, peak);
            if (app !== null) {
              const realm = document.createElement("td");
              realm.textContent = m.realm;
              name.after(realm);
            }
            return tr;
          });
        $("largest").replaceChildren(...rows);

        const hits = this.hits.map((e) => {
          const li = document.createElement("li");
          li.className = e.type === "failure" || e.refused || e.reached ? "" : "soft";
          // reached: a bounded memory at its clamp, so grows inside wasm now get -1 (once per memory).
          // failure: the engine refused memory (not a budget): what the ledger held then.
          li.textContent =
            e.type === "failure"
              ? `engine refused: ${e.operation} of ${e.pages} page${e.pages === 1 ? "" : "s"}${e.id === null ? "" : ` #${e.id}`} (${e.live} live, ${e.livePages} pages, ${e.withoutInstance} held by no instance)`
              : e.reached
                ? `reached: ${e.label ?? e.definedBy ?? `#${e.id}`} at its clamp, ${e.limit} pages (${e.budget}; asked for ${e.requestedMaximum ?? "no maximum"})`
                : `${e.refused ? "refused" : "passed"}: ${e.budget} ${e.limit} (would be ${e.value})${e.id === null ? "" : ` #${e.id}`}`;
          return li;
        });
        if (hits.length === 0) (hits[0] = document.createElement("li")), (hits[0].className = "none"), (hits[0].textContent = "none");
        $("hits").replaceChildren(...hits);
      }
    },
  );
}

/** Bytes as a short text: "8 GiB", "4.03 GiB". @param {number} n */
function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0,
    x = n;
  while (x >= 1024 && u < units.length - 1) (x /= 1024), u++;
  return `${Number.isInteger(x) ? x : x.toFixed(2)} ${units[u]}`;
}

/**
 * Shows the ledger in a corner of the page, live, until the returned function is called.
 * @param {{ target?: ParentNode, corner?: "top-left" | "top-right" | "bottom-left" | "bottom-right" }} [options]
 * @returns {() => void} unmount: removes the element and stops watching
 */
export function mountOverlay(options) {
  const { target = globalThis.document?.body, corner = "bottom-right" } = options ?? {};
  if (typeof customElements === "undefined") throw new TypeError("mountOverlay: this realm has no DOM (custom elements)");
  if (!CORNERS.includes(corner)) throw new TypeError(`mountOverlay: corner must be one of ${CORNERS.join(", ")} (got ${String(corner)})`);
  if (typeof target?.append !== "function")
    throw new TypeError("mountOverlay: target must be an element (or another node that can hold one)");
  define();
  const element = document.createElement(TAG);
  element.setAttribute("corner", corner);
  target.append(element);
  return () => element.remove();
}
