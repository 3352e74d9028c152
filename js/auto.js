// `wasm-memory-polyfill/auto`: installs on import. The package's "exports" map resolves the bare
// specifier to the browser or the Node entry.
import { install } from "wasm-memory-polyfill";

install();

export { Memory, install, ledger } from "wasm-memory-polyfill";
