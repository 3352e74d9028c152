// The test programs the reporter runs under (run.mjs), each also run natively for comparison:
//   node app.mjs PROGRAM [ok|exit3|throw]
// PROGRAM: plain, brotli (wasm-bindgen), esbuild (Go), grow (a module growing its memory inside
// wasm), workers (worker_threads making memories), vips (Emscripten with pthreads), budget.
// stdout is the program's output only (deterministic); sizes go to $REPORT_SIDE (spy.mjs).
import { sizes } from "./spy.mjs";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../programs/package.json"));
const [program = "plain", ending = "ok"] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hash = (b) => createHash("sha256").update(b).digest("hex").slice(0, 16);
const input = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7919 + (i >> 5)) % 251);

// (module $grow-test (memory (export "mem") 1 100) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))
const GROW_WASM = Uint8Array.from([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1, 0, 5, 4, 1, 1, 1, 100, 7, 14, 2, 3, 109, 101, 109, 2, 0, 4, 103, 114,
  111, 119, 0, 0, 10, 8, 1, 6, 0, 32, 0, 64, 0, 11,
  // the "name" custom section, module name (subsection 0) "grow-test": the ledger's definedBy
  0, 17, 4, 110, 97, 109, 101, 0, 10, 9, 103, 114, 111, 119, 45, 116, 101, 115, 116,
]);

const run = {
  async plain() {
    const m = new WebAssembly.Memory({ initial: 2, maximum: 8 });
    m.grow(1);
    console.log("hello from plain", m.buffer.byteLength);
  },
  async brotli() {
    const brotli = require("brotli-wasm");
    const data = input(1 << 20);
    const c = brotli.compress(data, { quality: 9 });
    const back = brotli.decompress(c);
    if (hash(back) !== hash(data)) throw new Error("brotli round trip differs");
    console.log("brotli", c.length, hash(c));
  },
  async esbuild() {
    globalThis.fs ??= fs;
    globalThis.path ??= path;
    globalThis.require ??= require;
    require("esbuild-wasm/wasm_exec.js");
    const dir = fs.mkdtempSync(path.join(process.env.REPORT_TMP ?? "/tmp", "esbuild-"));
    let source = "";
    for (let i = 0; i < 1500; i++)
      source += `export function f${i}(a, b) { const x = { k: a + ${i}, s: "v${i}" }; return b > ${i % 97} ? [x.k * 2, x.s] : \`t\${x.s}\${b}\`; }\n`;
    fs.writeFileSync(path.join(dir, "in.ts"), source);
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
    const { instance } = await WebAssembly.instantiate(fs.readFileSync(require.resolve("esbuild-wasm/esbuild.wasm")), go.importObject);
    await go.run(instance);
    const out = fs.readFileSync(path.join(dir, "out.js"));
    fs.rmSync(dir, { recursive: true, force: true });
    console.log("esbuild", code, out.length, hash(out));
  },
  async grow() {
    const { instance } = await WebAssembly.instantiate(GROW_WASM);
    const a = instance.exports.grow(2); // inside wasm: no JS grow() call
    await sleep(300);
    const b = instance.exports.grow(3);
    await sleep(300);
    console.log("grow", a, b, instance.exports.mem.buffer.byteLength / 65536);
  },
  async workers() {
    const { Worker } = await import("node:worker_threads");
    const mine = new WebAssembly.Memory({ initial: 3, maximum: 10 });
    const side = process.env.REPORT_SIDE ? `${process.env.REPORT_SIDE}.workers` : null;
    const start = (k, stay) =>
      new Promise((ready) => {
        const w = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: { k, stay, side } });
        const exited = new Promise((r) => w.once("exit", r));
        w.on("message", (m) => ready({ w, m, exited }));
        w.on("error", (e) => {
          console.log("worker error", e.message);
          process.exit(9);
        });
      });
    const a = await start(1, false),
      b = await start(2, true);
    await a.exited; // worker 1 has ended
    await sleep(1200); // the main thread hears worker 2's ledger (it publishes at once, then each second)
    console.log("workers", mine.buffer.byteLength / 65536, a.m, b.m);
    b.w.unref(); // worker 2 is still running at exit
  },
  async vips() {
    const Vips = (await import(new URL("../programs/node_modules/wasm-vips/lib/vips-node.mjs", import.meta.url))).default;
    const vips = await Vips({ dynamicLibraries: [] });
    const image = vips.Image.black(128, 128).add(100).gaussblur(2);
    console.log("vips", image.avg().toFixed(3), vips.concurrency());
    // The pthread workers publish their (received) memory once they start, which on a busy
    // machine takes seconds: under the reporter, wait (up to 30 s) until the main thread has heard
    // each of them (through the package's registry; natively there is nothing to wait for).
    const ledger = globalThis[Symbol.for("wasm-memory-polyfill")]?.api?.ledger;
    for (const until = Date.now() + 30_000; ledger && Date.now() < until; await sleep(50)) {
      const threads = ledger.realms().filter((r) => !r.self);
      if (threads.length >= vips.concurrency() && threads.every((r) => r.received === 1)) break;
    }
    process.exit(0); // they wait inside wasm: they would keep the process alive
  },
  async hostile() {
    // Built-ins the app replaces after the reporter loaded: the report must not change. (Not the
    // ones the package's share() module calls on its timer: see docs/hostile.md, "What does not hold".)
    const m = new WebAssembly.Memory({ initial: 2, maximum: 8 });
    m.grow(3);
    globalThis.keep = m;
    console.log("patching", m.buffer.byteLength / 65536);
    const boom = () => {
      throw new Error("patched");
    };
    const A = Array.prototype,
      S = String.prototype,
      M = Map.prototype;
    JSON.stringify = boom;
    A.push = A.join = A.sort = A.slice = A.forEach = boom;
    S.padStart = S.padEnd = S.slice = S.charCodeAt = S.trimEnd = S.split = boom;
    M.get = M.set = M.has = M.forEach = boom;
    fs.writeSync = fs.writeFileSync = boom;
    process.on = boom;
    Reflect.apply = boom;
  },
  async many() {
    // 2000 memories: a report of about a megabyte, more than a pipe holds.
    globalThis.keep = Array.from({ length: 2000 }, (_, i) => new WebAssembly.Memory({ initial: i % 3, maximum: 4 }));
    process.stderr.write("the app writes to stderr too\n"); // (libuv may now hold fd 2 non-blocking)
    console.log(
      "many",
      globalThis.keep.reduce((a, m) => a + m.buffer.byteLength / 65536, 0),
    );
  },
  async budget() {
    try {
      new WebAssembly.Memory({ initial: 60 });
      console.log("budget: made 60 pages");
    } catch (e) {
      console.log("budget: refused", e.name);
    }
    const m = new WebAssembly.Memory({ initial: 10 });
    console.log("budget: made", m.buffer.byteLength / 65536);
  },
};

await run[program]();
if (process.env.REPORT_SIDE && program !== "hostile") fs.writeFileSync(`${process.env.REPORT_SIDE}.at-end`, JSON.stringify(sizes()));
if (ending === "exit3") process.exit(3);
if (ending === "throw") throw new Error("the app's own uncaught error");
