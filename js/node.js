// Entry for Node >= 20, Deno and Bun (ESM): the wasm is read from disk, synchronously, next to this file.
import { readFileSync } from "node:fs";
import { initSync, Core } from "./wasm_memory_polyfill.js";
import { createApi } from "./api.js";

const exports = initSync({ module: readFileSync(new URL("./wasm_memory_polyfill_bg.wasm", import.meta.url)) });

export const { Memory, install, ledger } = createApi(Core, exports);
