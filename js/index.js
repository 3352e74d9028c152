// Entry for browsers and bundlers (vite, webpack 5): the wasm is fetched next to this file via
// `new URL(..., import.meta.url)`, which both bundlers turn into an emitted asset with no config.
import init, { Core } from "./wasm_memory_polyfill.js";
import { createApi } from "./api.js";

const exports = await init({ module_or_path: new URL("./wasm_memory_polyfill_bg.wasm", import.meta.url) });

export const { Memory, install, ledger } = createApi(Core, exports);
