// Entry for the browsers: each probe (probe.js) in a fresh worker of its own, ended after it
// answers; the page itself makes no memory (a browser's reservation limit is the renderer
// process's, which its workers share). The results, as JSON, go to window.__limitsResult.
// The query string: `shapes=a,b`, `cap`, `ms`, `ledger=1` (load the package in each worker and
// take its headroom first).
import { SHAPES } from "./probe.js";

const q = new URLSearchParams(location.search);
const shapes = q.get("shapes")?.split(",") ?? SHAPES;
const cap = Number(q.get("cap") ?? 20000),
  ms = Number(q.get("ms") ?? 20000);
const withLedger = q.get("ledger") === "1";

function one(shape) {
  return new Promise((resolve) => {
    const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    const done = (r) => {
      w.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => done({ shape, error: "the worker gave no answer in time" }), ms + 30000);
    w.onmessage = ({ data }) => (clearTimeout(timer), done(data));
    w.onerror = (e) => (clearTimeout(timer), done({ shape, error: `worker error: ${e.message}` }));
    w.postMessage({ shape, cap, withLedger });
  });
}

const results = [];
try {
  for (const shape of shapes) {
    results.push(await one(shape));
    // Give the ended worker's isolate time to go (its reservations with it).
    await new Promise((r) => setTimeout(r, 300));
  }
  window.__limitsResult = JSON.stringify({ userAgent: navigator.userAgent, results });
} catch (e) {
  window.__limitsResult = JSON.stringify({ error: String(e?.stack ?? e), results });
}
