// The package's public API, assembled from the wasm-bindgen glue once it is initialised.
// Every entry (browser/bundler, Node, auto) exposes exactly this shape.

/**
 * @param {typeof import("./wasm_memory_polyfill.js")} glue an initialised wasm-bindgen module
 */
export function surface(glue) {
  const { Memory, install } = glue.api();
  const ledger = Object.freeze({
    snapshot: () => glue.ledgerSnapshot(),
    snapshotArray: () => glue.ledgerSnapshotArray(),
    // Members are read here, in JS, so a throwing getter never throws through wasm.
    setBudget: (budget) => {
      const b = typeof budget === "object" && budget !== null ? budget : {};
      return glue.ledgerSetBudget(budget, b.totalPages, b.perMemoryPages, b.memories, b.mode);
    },
    on: (kind, listener) => glue.ledgerOn(kind, listener),
    label: (memory, label) => glue.ledgerLabel(memory, label),
    options: (options) => glue.ledgerOptions(options?.captureStacks),
    idOf: (memory) => glue.ledgerIdOf(memory),
  });
  return { Memory, install, ledger };
}
