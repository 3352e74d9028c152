// Entry for Node >= 20, Deno and Bun (ESM): the wasm is read from disk, synchronously, next to this file.
// Where another copy of the package started first in this realm and can stand in for this one,
// its API is this one's and this copy's wasm is never loaded (see src/js/api.js).
// generated/ holds what scripts/build.sh generates (wasm-bindgen's glue and the wasm); in pkg/
// the wasm sits beside this file (scripts/bundle.mjs rewrites the URL).
import { readFileSync } from "node:fs";
import { initSync, Core } from "../generated/wasm_memory_polyfill.js";
import { createApi, sharedApi } from "../src/js/api.js";

export const { Memory, install, ledger } =
  sharedApi() ?? createApi(Core, initSync({ module: readFileSync(new URL("../generated/wasm_memory_polyfill_bg.wasm", import.meta.url)) }));
