// Entry for Node >= 20 (ESM): the wasm is read from disk, synchronously, next to this file.
import { readFileSync } from "node:fs";
import { initSync } from "./wasm_memory_polyfill.js";
import * as glue from "./wasm_memory_polyfill.js";
import { surface } from "./surface.js";

initSync({ module: readFileSync(new URL("./wasm_memory_polyfill_bg.wasm", import.meta.url)) });

export const { Memory, install, ledger } = surface(glue);
