// Bundles the package's JS (scripts/build.sh): `node scripts/bundle.mjs OUT [--minify]`.
// The input is the source tree as it runs unbundled: the entries of js/, which import src/js/*.js
// and generated/ (wasm-bindgen's glue and the wasm, which scripts/build.sh puts there) by their
// real paths. OUT gets one ESM file per entry and the chunks they share, bundled by rolldown
// (vite's own bundler, pinned in package.json) and, with --minify, minified by terser. Prints one
// line: the sizes of what ships, per path.
//
// What ships:
//   index.js    browsers and bundlers: init() with `new URL("./wasm_memory_polyfill_bg.wasm",
//               import.meta.url)`, the pattern vite and webpack turn into an emitted asset (the
//               source's "../generated/" becomes "./": in pkg/ the wasm sits beside the entries)
//   node.js     Node, Deno, Bun: initSync() with the wasm read from disk
//   polyfill.js everything both import (the glue, src/js): ONE chunk, so that an app that
//               somehow loads both entries still has one ledger, as with separate modules
//               (the glue's `WebAssembly` is src/js/natives.js's: see glueNatives below)
//   realms.js   loaded by the first `ledger.share()` only (`import("./realms.js")` in ledger.js);
//               it reaches the ledger's state through polyfill.js, never a copy of it
//   auto.js     imports the bare "wasm-memory-polyfill", so that the package's "exports" map
//               picks index.js or node.js for it
//   overlay.js  imports "./index.js" (kept external), so it shares the page's ledger
//   report.js   `node --import wasm-memory-polyfill/report`: imports the bare
//               "wasm-memory-polyfill" (as auto.js does), so it uses the realm's one ledger
//   cli.js      the package's "bin": runs a command with report.js preloaded (no ledger of its own)
import { rolldown } from "rolldown";
import { parseAst } from "rolldown/parseAst";
import { minify } from "terser";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { glueOnPrimordials } from "./glue-primordials.mjs";

const [outArg, ...flags] = process.argv.slice(2);
if (!outArg || outArg.startsWith("--")) {
  console.error("usage: node scripts/bundle.mjs OUT [--minify]");
  process.exit(64);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entriesDir = join(root, "js"),
  layerDir = join(root, "src", "js"),
  generated = join(root, "generated");
const out = resolve(outArg);
const minifying = flags.includes("--minify");

const fail = (message) => {
  console.error(`bundle.mjs: ${message}`);
  process.exit(1);
};
/** wasm-bindgen's glue, as `wasm-pack --out-name wasm_memory_polyfill` names it. */
const GLUE = "wasm_memory_polyfill.js";
/** The wasm as the source's entries name it, and as pkg/'s do (beside them). */
const WASM_SOURCE = 'new URL("../generated/wasm_memory_polyfill_bg.wasm", import.meta.url)';
const WASM_SHIPPED = 'new URL("./wasm_memory_polyfill_bg.wasm", import.meta.url)';
const output = { dir: out, format: "esm", entryFileNames: "[name].js", chunkFileNames: "[name].js" };

// 1. index, node and auto in one build: what index.js and node.js share lands in one chunk.
const entries = { index: join(entriesDir, "index.js"), node: join(entriesDir, "node.js"), auto: join(entriesDir, "auto.js") };
const entryIds = new Set(Object.values(entries));
// In pkg/ the wasm sits beside index.js and node.js: their URL of it, rewritten (exactly once each).
const wasmBeside = {
  name: "wasm-beside",
  transform(code, id) {
    if (id !== entries.index && id !== entries.node) return null;
    const parts = code.split(WASM_SOURCE);
    if (parts.length !== 2) fail(`${relative(root, id)} should name the wasm once, as ${WASM_SOURCE}`);
    return { code: parts.join(WASM_SHIPPED), map: null };
  },
};
// The glue loads the wasm through `WebAssembly.*`, read when it runs: in a realm where another
// copy of the package has installed its hooks, that would compile this copy's own module through
// them (clamped to a hard budget, ledgered). One import makes the glue's `WebAssembly` the
// engine's own functions (src/js/natives.js); the glue declares no `WebAssembly` of its own.
const glueId = join(generated, GLUE);
const NATIVES_IMPORT = 'import { natives as WebAssembly } from "../src/js/natives.js";\n'; // from generated/
const glueNatives = {
  name: "glue-natives",
  transform(code, id) {
    if (id !== glueId) return null;
    if (/\b(?:const|let|var|function|class)\s+WebAssembly\b|\bimport\b[^;]*\bWebAssembly\b/.test(code))
      fail(`${GLUE} declares WebAssembly itself`);
    // And every built-in it calls after load is one captured at load (scripts/glue-primordials.mjs).
    return { code: NATIVES_IMPORT + glueOnPrimordials(code, fail, id, join(layerDir, "primordials.js")), map: null };
  },
};
const main = await rolldown({
  input: entries,
  external: ["wasm-memory-polyfill", /^node:/],
  platform: "neutral",
  plugins: [glueNatives, wasmBeside],
});
const chunks = (
  await main.write({
    ...output,
    // Left alone, rolldown puts the modules realms.js shares with the rest (rust.js, events.js)
    // in a chunk of their own: a third request on the main path for no gain, since ledger.js
    // has loaded them by the time it imports realms.js. One group takes every module the
    // entries load statically; realms.js ($initial excludes it) stays a chunk of its own.
    codeSplitting: { groups: [{ name: "polyfill", tags: ["$initial"], test: (id) => !entryIds.has(id) }] },
  })
).output;
await main.close();

// 2. The overlay on its own, with "./index.js" external: bundling the main entry into it would
// give the overlay a second ledger, not the page's.
const overlay = await rolldown({ input: { overlay: join(entriesDir, "overlay.js") }, external: ["./index.js"], platform: "neutral" });
chunks.push(...(await overlay.write(output)).output);
await overlay.close();

// 2b. The reporter and its command line, each on its own: report.js reaches the package only
// through its bare name (the exports map: one ledger per realm), cli.js not at all.
const tools = await rolldown({
  input: { report: join(entriesDir, "report.js"), cli: join(entriesDir, "cli.js") },
  external: ["wasm-memory-polyfill", /^node:/],
  platform: "node",
});
chunks.push(...(await tools.write(output)).output);
await tools.close();

// 3. Checks on the layout, before anything is minified.
const byName = new Map(chunks.map((c) => [c.fileName, c]));
const expected = ["auto.js", "cli.js", "index.js", "node.js", "overlay.js", "polyfill.js", "realms.js", "report.js"];
const names = [...byName.keys()].sort();
if (names.join() !== expected.join()) fail(`expected the files ${expected.join(", ")}; rolldown wrote ${names.join(", ")}`);
const seen = new Map();
for (const c of chunks) {
  if (c.type !== "chunk") fail(`unexpected asset ${c.fileName}`);
  for (const id of Object.keys(c.modules)) {
    // A module in two files would run twice: two ledgers, two cores.
    if (seen.has(id)) fail(`${id} is bundled into both ${seen.get(id)} and ${c.fileName}`);
    seen.set(id, c.fileName);
  }
}
// The glue reaches the engine only through natives.js: rendered, no `WebAssembly.x` is left in it.
const glueCode = byName.get("polyfill.js").modules[glueId]?.code ?? fail(`${GLUE} is not in polyfill.js`);
const globalUses = [];
(function walk(n) {
  if (Array.isArray(n)) return n.forEach(walk);
  if (!n || typeof n !== "object") return;
  if (n.type === "MemberExpression" && n.object?.type === "Identifier" && n.object.name === "WebAssembly")
    globalUses.push(n.property?.name);
  for (const k in n) if (k !== "type" && typeof n[k] === "object") walk(n[k]);
})(parseAst(glueCode, { sourceType: "module" }, GLUE));
if (globalUses.length) fail(`${GLUE} still calls the global WebAssembly (${globalUses.join(", ")})`);
const realms = byName.get("realms.js");
if (Object.keys(realms.modules).join() !== join(layerDir, "realms.js")) fail("realms.js holds more than src/js/realms.js");
for (const c of chunks)
  if (c.imports.includes("realms.js")) fail(`${c.fileName} imports realms.js statically: it must load only on share()`);
if (!byName.get("polyfill.js").dynamicImports.includes("realms.js")) fail("polyfill.js no longer imports realms.js lazily");
if (!byName.get("overlay.js").imports.includes("index.js")) fail("overlay.js does not import ./index.js");
if (!byName.get("auto.js").imports.includes("wasm-memory-polyfill")) fail('auto.js does not import "wasm-memory-polyfill"');
if (!byName.get("report.js").imports.includes("wasm-memory-polyfill")) fail('report.js does not import "wasm-memory-polyfill"');
if (Object.keys(byName.get("report.js").modules).length !== 1 || Object.keys(byName.get("cli.js").modules).length !== 1)
  fail("report.js or cli.js bundles a module of the package: it would start a second ledger");
if (!byName.get("cli.js").code.startsWith("#!/usr/bin/env node")) fail("cli.js lost its #! line");

/** The names of every function and class declared or named in `ast` (at any depth); with
 * `bindings`, also those of variables initialised with a function or class (`const f = () => {}`
 * takes the name "f"). */
function declaredNames(ast, bindings = false) {
  const found = [];
  const isFn = (n) => n && /^(FunctionExpression|ArrowFunctionExpression|ClassExpression)$/.test(n.type);
  const walk = (n) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== "object") return;
    if (/^(Function|Class)(Declaration|Expression)$/.test(n.type) && n.id) found.push(n.id.name);
    if (bindings && n.type === "VariableDeclarator" && n.id?.type === "Identifier" && isFn(n.init)) found.push(n.id.name);
    for (const k in n) if (k !== "type" && typeof n[k] === "object") walk(n[k]);
  };
  walk(ast);
  return found;
}
const parse = (code, file) => parseAst(code, { sourceType: "module" }, file);

// A function or class whose binding rolldown renamed to dodge a clash (`grow` -> `grow$1`) would
// change its `name`, which is observable API (terser keeps names as it finds them): refuse that.
for (const c of chunks) {
  const renamed = declaredNames(parse(c.code, c.fileName), true).filter((name) => /\$\d+$/.test(name));
  if (renamed.length) fail(`${c.fileName}: rolldown renamed ${renamed.join(", ")}, which changes their \`name\``);
}

// 4. Minify each file. Names of functions and classes are kept, because
// `WebAssembly.Memory.name` and method names are observable API, with one exception: the
// helpers wasm-bindgen's glue declares (passStringToWasm0, getUint8ArrayMemory0, __wbg_load,
// the Core class, ...). The glue never hands one of them to the user (api.js keeps the Core to
// itself), so their names are unobservable, and shortening them makes the files smaller.
// No module of ours may declare one of those names: that function would lose its name too.
if (minifying) {
  const glueNames = new Set(declaredNames(parse(readFileSync(glueId, "utf8"), GLUE)));
  const ours = (id) => id.startsWith(layerDir + "/") || id.startsWith(entriesDir + "/");
  for (const c of chunks) {
    for (const id of Object.keys(c.modules)) {
      if (!ours(id)) continue; // not ours: the glue itself, a bundler helper
      const clash = declaredNames(parse(readFileSync(id, "utf8"), id), true).filter((n) => glueNames.has(n));
      if (clash.length) fail(`${id} declares ${clash.join(", ")}, a name of the glue's that the minifier shortens`);
    }
  }
  const escapeDollar = (n) => n.replace(/\$/g, "\\$");
  const keep = new RegExp(`^(?!(?:${[...glueNames].map(escapeDollar).join("|")})$)`);
  for (const c of chunks) {
    const file = join(out, c.fileName);
    const r = await minify(readFileSync(file, "utf8"), {
      module: true,
      compress: {},
      mangle: {},
      keep_fnames: keep,
      keep_classnames: keep,
    });
    writeFileSync(file, r.code);
  }
}

// The asset pattern the bundlers look for must survive bundling and minifying.
const asset = /new URL\((["'])\.\/wasm_memory_polyfill_bg\.wasm\1,\s*import\.meta\.url\)/;
for (const f of ["index.js", "node.js"])
  if (!asset.test(readFileSync(join(out, f), "utf8"))) fail(`${f} lost new URL("./wasm_memory_polyfill_bg.wasm", import.meta.url)`);

// 5. Sizes, as shipped: a file and every chunk it imports statically (what loading it loads),
// each compressed alone at gzip level 9 (as `gzip -9n`), and the raw bytes.
function closure(name, acc = new Set()) {
  if (acc.has(name) || !byName.has(name)) return acc; // externals ("node:fs", the bare specifier) are not ours
  acc.add(name);
  for (const i of byName.get(name).imports) closure(i, acc);
  return acc;
}
function sizeOf(files) {
  let raw = 0,
    gz = 0;
  for (const f of files) {
    const b = readFileSync(join(out, f));
    raw += b.length;
    gz += gzipSync(b, { level: 9 }).length;
  }
  return { raw, gz };
}
const text = ({ raw, gz }) => `${gz} bytes gzip (${raw} raw)`;
const mainPath = [...closure("index.js")];
const mainSize = sizeOf(mainPath);
console.log(
  `JS on the browser main path ${text(mainSize)}: ${mainPath.join(" + ")}; ` +
    `overlay.js ${text(sizeOf(["overlay.js"]))} on top of it; realms.js ${text(sizeOf(["realms.js"]))}, loaded by share() only`,
);
// 6. The ceiling (scripts/size-ceilings.json) of what a browser loads first, for the release build.
const ceiling = JSON.parse(readFileSync(join(root, "scripts", "size-ceilings.json"), "utf8")).browserMainPathGzip;
if (minifying && mainSize.gz > ceiling)
  fail(`the JS on the browser main path is ${mainSize.gz} bytes gzip, over its ceiling of ${ceiling} (scripts/size-ceilings.json)`);
