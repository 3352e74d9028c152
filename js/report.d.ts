// `wasm-memory-polyfill/report` is loaded for its effect only (`node --import
// wasm-memory-polyfill/report app.mjs`, `bun --preload`): it installs the package, shares each
// thread's ledger and, when the main thread exits, writes the report to stderr. It exports nothing.
export {};
