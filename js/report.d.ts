// `wasm-memory-polyfill/report` is loaded for its effect only (`node --import
// wasm-memory-polyfill/report app.mjs`, `bun --preload`): it installs the package, shares each
// thread's ledger and, when the main thread exits, writes the report to stderr. It exports no
// value; `Report` types what `WASM_MEMORY_REPORT=json` (or `json:FILE`) writes.
import type { AppSnapshot, LedgerEvent, LedgerSnapshot } from "./index.js";

/** The JSON report: `ledger.snapshot({ allRealms: true })` as the main thread sees it at exit
 * (its `peakTotalPages` is the app's peak, at least the main thread's own), plus: */
export interface Report extends AppSnapshot {
  /** The main thread's own `ledger.snapshot()` (with its created/collected counts). */
  main: LedgerSnapshot;
  /** Each worker that exited before the main thread: its ledger as it exited. */
  ended: (LedgerSnapshot & { realm: string })[];
  /** Budget hits (the first 100 per thread), each with the thread's name. */
  budgetEvents: (Extract<LedgerEvent, { type: "budget" }> & { realm: string })[];
  /** The status the process exits with. */
  exitCode: number;
  /** Set when the other threads' figures could not be read (the app broke a built-in the sharing code uses). */
  missing: string | null;
}
