// The real programs and their fixed workloads, as Node runs them (each in its own child process,
// see child.mjs). Each `run()` loads the program (so its module is compiled then, after whatever
// install() and budget the child set up) and returns a digest of the output; a wrong output throws.

import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import fs from "node:fs";
import path from "node:path";
import { brotliDecompressSync } from "node:zlib";
import { createHash } from "node:crypto";
import { generate, sha256 } from "./common.mjs";

const require = createRequire(import.meta.url);

export const programs = {
  // Rust compiled with wasm-bindgen (nodejs target: `new WebAssembly.Module` + `Instance` at
  // require time). Defines its memory (28 pages, no maximum) and exports it; grows it inside wasm.
  "brotli-wasm": {
    kind: "wasm-bindgen (Rust)",
    // Rust's allocator gets -1 from memory.grow: handle_alloc_error aborts (a wasm trap).
    failure: /unreachable|memory|alloc|budget/i,
    async run() {
      const brotli = require("brotli-wasm");
      const input = generate(4 << 20);
      const compressed = brotli.compress(input, { quality: 9 });
      // The native run of the same format: Node's own (C) brotli must read it back.
      const back = brotliDecompressSync(compressed);
      if (!Buffer.from(back).equals(Buffer.from(input))) throw new Error("zlib could not read brotli-wasm's output back");
      const again = brotli.decompress(compressed);
      if (!Buffer.from(again).equals(Buffer.from(input))) throw new Error("brotli-wasm round trip differs");
      return `${compressed.length}:${await sha256(compressed)}`;
    },
  },

  // C compiled with clang to wasm32, the module inlined as base64 in its JS, compiled with
  // `WebAssembly.compile` + `instantiate(module)`. Each hash defines and exports its own memory;
  // argon2's Hash_SetMemorySize grows it inside wasm (`__builtin_wasm_memory_grow`).
  "hash-wasm": {
    kind: "clang (C)",
    // memory.grow returns -1, Hash_SetMemorySize returns -1 (ignored by its JS), and the JS then
    // makes a view past the buffer's end: a RangeError from the typed array constructor.
    failure: /typed array|out of bounds|offset|length|memory|budget/i,
    async run() {
      const { argon2id, sha256: wasmSha256 } = require("hash-wasm");
      const data = generate(4 << 20, 7);
      const digest = await wasmSha256(data);
      const native = createHash("sha256").update(data).digest("hex");
      if (digest !== native) throw new Error(`hash-wasm sha256 ${digest} != node:crypto ${native}`);
      const key = await argon2id({
        password: "correct horse battery staple",
        salt: new Uint8Array(16).fill(7),
        parallelism: 1,
        iterations: 1,
        memorySize: 64 * 1024, // KiB: 64 MiB, 1024 pages of argon2 blocks
        hashLength: 32,
        outputType: "hex",
      });
      return `${digest}:${key}`;
    },
  },

  // SQLite compiled with Emscripten. Defines its memory (338 pages, maximum 32768), exports it (as
  // "O"), and grows it from JS: emscripten_resize_heap calls `wasmMemory.grow()` in a try/catch.
  "sql.js": {
    kind: "Emscripten (C)",
    // SQLite's malloc gets NULL: sql.js throws SQLite's "out of memory".
    failure: /out of memory|memory|budget/i,
    async run() {
      const initSqlJs = require("sql.js");
      const SQL = await initSqlJs();
      const db = new SQL.Database();
      db.run("CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT)");
      db.run(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT 300000)
              INSERT INTO t(k, s) SELECT (i * 7919) % 1000,
                printf('row-%08d-%s-%s', i, hex((i * 2654435761) % 4294967296), hex((i * 40503) % 65521)) FROM c`);
      db.run("CREATE INDEX tk ON t(k, s)");
      const groups = db.exec("SELECT k, count(*), sum(length(s)), max(s) FROM t GROUP BY k ORDER BY k");
      const joined = db.exec("SELECT group_concat(s) FROM (SELECT s FROM t ORDER BY s DESC)");
      const image = db.export();
      db.close();
      if (groups[0].values.length !== 1000) throw new Error("wrong group count");
      return `${await sha256(JSON.stringify(groups))}:${await sha256(joined[0].values[0][0])}:${image.length}`;
    },
  },

  // Go compiled with GOOS=js GOARCH=wasm, run with Go's own wasm_exec.js exactly as esbuild-wasm's
  // bin/esbuild runs it (globals fs/path/require, then `new Go()`, `instantiate`, `go.run`).
  // Defines its memory (95 pages, no maximum), exports it as "mem", grows it inside wasm.
  "esbuild-wasm": {
    kind: "Go (GOOS=js)",
    // Go's allocator gets -1: the runtime prints "fatal error: out of memory" and exits (code 2).
    failure: /out of memory|budget/i,
    go: true,
    async run({ tmp }) {
      globalThis.fs ??= fs;
      globalThis.path ??= path;
      globalThis.require ??= require;
      require("esbuild-wasm/wasm_exec.js");
      const dir = fs.mkdtempSync(path.join(tmp, "esbuild-"));
      try {
        let source = "";
        for (let i = 0; i < 5000; i++) {
          source +=
            `export function f${i}(a, b) { const x = { k: a + ${i}, s: "v${i}" }; ` +
            `if (b > ${i % 97}) { return [x.k * 2, x.s, ...[a, b]].map((y) => y + 1); } return \`t\${x.s}\${b}\`; }\n`;
        }
        writeFileSync(path.join(dir, "in.ts"), source);
        const go = new globalThis.Go();
        go.argv = [
          "esbuild",
          path.join(dir, "in.ts"),
          "--minify",
          "--format=esm",
          `--outfile=${path.join(dir, "out.js")}`,
          "--log-level=warning",
        ];
        go.env = { TMPDIR: dir, HOME: dir };
        let code = null;
        go.exit = (c) => {
          code = c;
        };
        const wasm = readFileSync(require.resolve("esbuild-wasm/esbuild.wasm"));
        const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
        await go.run(instance);
        if (code !== 0) throw new Error(`esbuild exited with code ${code}`);
        const out = readFileSync(path.join(dir, "out.js"));
        return `${out.length}:${await sha256(out)}`;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
};
