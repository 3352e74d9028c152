// Entry for the browsers: runs the suite natively and under the package (/pkg/index.js) and leaves
// the result, as JSON, in window.__enginesResult for run.mjs to read.
import { runAll } from "./driver.js";

try {
  const result = await runAll(() => import("/pkg/index.js"));
  result.runtime = navigator.userAgent;
  result.crossOriginIsolated = globalThis.crossOriginIsolated === true;
  window.__enginesResult = JSON.stringify(result);
} catch (e) {
  window.__enginesResult = JSON.stringify({ error: `the driver threw: ${e?.stack ?? e}`, runs: {} });
}
