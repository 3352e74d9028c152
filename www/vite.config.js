// The demo: a vite multi-page app (index.html: the MDN example; ledger.html: the live ledger;
// see.html: real programs from npm under install(), with the overlay).
// `npx vite build www` builds it into www/dist; `npx vite preview www` serves that build.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  resolve: {
    // The package as a consumer imports it, from the built pkg/ (scripts/build.sh makes it).
    // Exact match only, so that a subpath like "wasm-memory-polyfill/auto" is not rewritten.
    alias: [
      { find: /^wasm-memory-polyfill$/, replacement: here("../pkg/index.js") },
      { find: /^wasm-memory-polyfill\/overlay$/, replacement: here("../pkg/overlay.js") },
    ],
  },
  // brotli-wasm finds its .wasm with `new URL(..., import.meta.url)`, which pre-bundling breaks.
  optimizeDeps: { exclude: ["brotli-wasm"] },
  // The dev server (`npx vite www`) may serve pkg/ and tests/fixtures/ from outside www/.
  server: { fs: { allow: [here("..")] } },
  build: {
    target: "es2022", // top-level await (pkg/index.js and the pages use it)
    outDir: here("dist"),
    emptyOutDir: true,
    // Keep .wasm files as real files (never data: URLs), like the MDN example fetches its module.
    assetsInlineLimit: (file) => (file.endsWith(".wasm") ? false : undefined),
    // `rolldownOptions` is vite 8's name for what earlier versions called `rollupOptions`.
    rolldownOptions: {
      input: { index: here("index.html"), ledger: here("ledger.html"), see: here("see.html") },
    },
  },
});
