// Entry for Node >= 20, Deno and Bun (ESM): the wasm is read from disk, synchronously, next to this file.
// Where another copy of the package started first in this realm and can stand in for this one,
// its API is this one's and this copy's wasm is never loaded (see src/js/api.js).
import { readFileSync } from "node:fs";
import { initSync, Core } from "./wasm_memory_polyfill.js";
import { createApi, sharedApi } from "./api.js";

export const { Memory, install, ledger } =
  sharedApi() ?? createApi(Core, initSync({ module: readFileSync(new URL("./wasm_memory_polyfill_bg.wasm", import.meta.url)) }));
