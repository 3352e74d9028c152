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
    return workerHandle((m) => w.postMessage(m), (f) => (w.onmessage = (e) => f(e.data)), () => w.terminate());
  };
  const results = await mainSide({ pkg, pkgUrl, spawn });
  results.unshift({ name: "the page is cross-origin isolated", ok: globalThis.crossOriginIsolated === true, detail: String(globalThis.crossOriginIsolated) });
  window.__realmsResult = JSON.stringify({ results });
} catch (e) {
  window.__realmsResult = JSON.stringify({ error: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
} finally {
  for (const w of workers) w.terminate();
}
