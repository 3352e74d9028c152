// Entry for browsers and bundlers (vite, webpack 5): the wasm is fetched next to this file via
// `new URL(..., import.meta.url)`, which both bundlers turn into an emitted asset with no config.
// Where another copy of the package started first in this realm and can stand in for this one,
// its API is this one's and this copy's wasm is never fetched (see src/js/api.js).
// generated/ holds what scripts/build.sh generates (wasm-bindgen's glue and the wasm); in pkg/
// the wasm sits beside this file (scripts/bundle.mjs rewrites the URL).
import init, { Core } from "../generated/wasm_memory_polyfill.js";
import { createApi, sharedApi } from "../src/js/api.js";

export const { Memory, install, ledger } =
  sharedApi() ?? createApi(Core, await init({ module_or_path: new URL("../generated/wasm_memory_polyfill_bg.wasm", import.meta.url) }));
