// The realms scenario in a browser: this page and two module workers. The result, as JSON, is
// left in window.__realmsResult for run.mjs to read.
import { mainSide, workerHandle } from "./scenario.js";

const workers = [];
try {
  const pkgUrl = new URL("/pkg/index.js", location.href).href;
  const pkg = await import(pkgUrl);
  const spawn = () => {
    const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    workers.push(w);
    return workerHandle(
      (m) => w.postMessage(m),
      (f) => (w.onmessage = (e) => f(e.data)),
      () => w.terminate(),
    );
  };
  /** The overlay while every realm is live: it must show the app, not only this page. */
  const whileAllLive = async ({ view, truth }) => {
    const { mountOverlay } = await import(new URL("/pkg/overlay.js", location.href).href);
    const unmount = mountOverlay();
    try {
      const root = document.querySelector("wasm-memory-ledger").shadowRoot;
      const realmRows = [...root.querySelectorAll("#realms tr")].map((tr) => [...tr.cells].map((c) => c.textContent));
      const memoryRealms = [...root.querySelectorAll("#largest tr")].map((tr) => tr.cells[1]?.textContent);
      const summary = root.querySelector("#summary").textContent;
      const detail = JSON.stringify({ realmRows, memoryRealms, summary });
      return [
        {
          name: "overlay: a row per realm (3), this page's marked",
          ok: realmRows.length === 3 && realmRows.some((r) => r[0] === "main (this one)"),
          detail,
        },
        {
          name: "overlay: the largest memories carry their realm",
          ok:
            root.querySelector("#realmhead").hidden === false &&
            memoryRealms.includes("main") &&
            memoryRealms.some((r) => r && r !== "main"),
          detail,
        },
        {
          name: `overlay: the summary counts the app (${truth} pages, 3 realms)`,
          ok: summary === `${view.live} live · ${truth} pages · 3 realms`,
          detail,
        },
      ].map((r) => ({ ...r, detail: r.ok ? "" : r.detail }));
    } finally {
      unmount();
    }
  };
  const results = await mainSide({ pkg, pkgUrl, spawn, whileAllLive });
  results.unshift({
    name: "the page is cross-origin isolated",
    ok: globalThis.crossOriginIsolated === true,
    detail: String(globalThis.crossOriginIsolated),
  });
  window.__realmsResult = JSON.stringify({ results });
} catch (e) {
  window.__realmsResult = JSON.stringify({ error: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
} finally {
  for (const w of workers) w.terminate();
}
