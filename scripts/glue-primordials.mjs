// Makes wasm-bindgen's generated glue call only built-ins captured at load (src/js/primordials.js),
// as the rest of the package does: a page that later replaces `Uint8Array.prototype.subarray`,
// the `byteLength` getter, `DataView.prototype.setInt32`, `TextDecoder.prototype.decode`,
// `WebAssembly.Table.prototype.get`, the `WebAssembly.Memory.prototype.buffer` getter (which would
// be handed the package's own heap), `JSON.stringify` or a global (`Float64Array`, `TypeError`,
// ...) neither breaks a call into the core nor sees one. Used by scripts/bundle.mjs's transform.
//
// How: the glue's runtime helpers (the views of the module's memory, strings in and out, the
// externref table) are replaced whole by versions written with the captured built-ins, each only
// if its text is exactly what wasm-bindgen 0.2.130 generates (a hash of it); the generated methods
// and imports, which change with the Rust code, get a few exact rewrites (`.slice()` of a view,
// `getDataViewMemory0().setInt32(`, `JSON.stringify`, `x.toString(radix)`, `BigInt.asUintN`);
// the globals they name (`TypeError`, `RangeError`, `Error`, `BigInt`) are shadowed by an import.
// Then every function that can run after load is audited: a call or `new` of anything but the
// glue's own functions, the module's exports (`wasm.x()`) and the captured built-ins, or a read of
// `buffer`/`byteLength`/`length`/`detached` where it isn't known safe, FAILS THE BUILD: a new
// wasm-bindgen (or a new kind of binding) must be looked at before it ships.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { parseAst } from "rolldown/parseAst";

/** What the rewritten glue imports from primordials.js, as `__wmp.X`. */
const NS = "__wmp";
/** Globals the generated code names at run time, shadowed by primordials.js's (captured at load). */
const SHADOWED = ["TypeError", "RangeError", "Error", "BigInt"];
/** Functions that run only while the module loads (`init`, `initSync`): the realm as it is then. */
const LOAD_ONLY = new Set([
  "__wbg_get_imports",
  "__wbg_finalize_init",
  "__wbg_load",
  "initSync",
  "__wbg_init",
  "__wbg_init_once",
  "expectedResponseType",
]);
/** Core's instance members: the package never makes an instance (its methods are static). */
const INSTANCE_ONLY = new Set(["__destroy_into_raw", "free"]);

const sha = (text) => createHash("sha256").update(text.replace(/\s+/g, " ").trim()).digest("hex").slice(0, 16);

/** The glue's runtime helpers: the hash of wasm-bindgen 0.2.130's text, and what replaces it
 * (null: kept as it is, and audited). */
const HELPERS = {
  addToExternrefTable0: [
    "9733bf01af1ea429",
    `function addToExternrefTable0(obj) {
    const idx = wasm.__externref_table_alloc();
    ${NS}.WebAssemblyTablePrototypeSet(wasm.__wbindgen_externrefs, idx, obj);
    return idx;
}`,
  ],
  // A view made directly (not `subarray`, which looks up `constructor` and `Symbol.species`).
  getArrayF64FromWasm0: [
    "b591aa8eeb302509",
    `function getArrayF64FromWasm0(ptr, len) {
    return new ${NS}.Float64Array(${NS}.WebAssemblyMemoryBuffer(wasm.memory), ptr >>> 0, len);
}`,
  ],
  getArrayU32FromWasm0: [
    "1f6a06048b08a514",
    `function getArrayU32FromWasm0(ptr, len) {
    return new ${NS}.Uint32Array(${NS}.WebAssemblyMemoryBuffer(wasm.memory), ptr >>> 0, len);
}`,
  ],
  // The engine's `buffer` getter on the module's own memory (a page's getter never sees it): the
  // same buffer until the memory grows.
  getDataViewMemory0: [
    "e41c44af74ca2fae",
    `function getDataViewMemory0() {
    const buffer = ${NS}.WebAssemblyMemoryBuffer(wasm.memory);
    if (cachedDataViewMemory0 === null || ${NS}.DataViewBuffer(cachedDataViewMemory0) !== buffer) {
        cachedDataViewMemory0 = new ${NS}.DataView(buffer);
    }
    return cachedDataViewMemory0;
}`,
  ],
  getFloat64ArrayMemory0: [
    "616152376b4fe9a2",
    `function getFloat64ArrayMemory0() {
    if (cachedFloat64ArrayMemory0 === null || ${NS}.TypedArrayByteLength(cachedFloat64ArrayMemory0) === 0) {
        cachedFloat64ArrayMemory0 = new ${NS}.Float64Array(${NS}.WebAssemblyMemoryBuffer(wasm.memory));
    }
    return cachedFloat64ArrayMemory0;
}`,
  ],
  getUint32ArrayMemory0: [
    "2b02b6142d35a49a",
    `function getUint32ArrayMemory0() {
    if (cachedUint32ArrayMemory0 === null || ${NS}.TypedArrayByteLength(cachedUint32ArrayMemory0) === 0) {
        cachedUint32ArrayMemory0 = new ${NS}.Uint32Array(${NS}.WebAssemblyMemoryBuffer(wasm.memory));
    }
    return cachedUint32ArrayMemory0;
}`,
  ],
  getUint8ArrayMemory0: [
    "318aaf9fd3dd5db9",
    `function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || ${NS}.TypedArrayByteLength(cachedUint8ArrayMemory0) === 0) {
        cachedUint8ArrayMemory0 = new ${NS}.Uint8Array(${NS}.WebAssemblyMemoryBuffer(wasm.memory));
    }
    return cachedUint8ArrayMemory0;
}`,
  ],
  getStringFromWasm0: [
    "e1eeba98c584571d",
    `function getStringFromWasm0(ptr, len) {
    return decodeText(new ${NS}.Uint8Array(${NS}.WebAssemblyMemoryBuffer(wasm.memory), ptr >>> 0, len));
}`,
  ],
  handleError: [
    "09eb221f4e9c419f",
    `function handleError(f, args) {
    try {
        return ${NS}.apply(f, this, args);
    } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm.__wbindgen_exn_store(idx);
    }
}`,
  ],
  isLikeNone: ["76cd1d342a8d760d", null],
  // Sources are the package's own: a plain array (own elements and length) or a Float64Array.
  passArray32ToWasm0: [
    "f8c2604fb1e22e72",
    `function passArray32ToWasm0(arg, malloc) {
    const n = ${NS}.ArrayIsArray(arg) ? arg.length : ${NS}.TypedArrayLength(arg);
    const ptr = malloc(n * 4, 4) >>> 0;
    ${NS}.TypedArrayPrototypeSet(getUint32ArrayMemory0(), arg, ptr / 4);
    WASM_VECTOR_LEN = n;
    return ptr;
}`,
  ],
  passArrayF64ToWasm0: [
    "f4262a1c88ab5637",
    `function passArrayF64ToWasm0(arg, malloc) {
    const n = ${NS}.ArrayIsArray(arg) ? arg.length : ${NS}.TypedArrayLength(arg);
    const ptr = malloc(n * 8, 8) >>> 0;
    ${NS}.TypedArrayPrototypeSet(getFloat64ArrayMemory0(), arg, ptr / 8);
    WASM_VECTOR_LEN = n;
    return ptr;
}`,
  ],
  // Every call passes `wasm.__wbindgen_realloc` (checked below), so the branch without it is gone.
  passStringToWasm0: [
    "988881292b866c4b",
    `function passStringToWasm0(arg, malloc, realloc) {
    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;
    const mem = getUint8ArrayMemory0();
    let offset = 0;
    for (; offset < len; offset++) {
        const code = ${NS}.StringPrototypeCharCodeAt(arg, offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = ${NS}.StringPrototypeSlice(arg, offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = new ${NS}.Uint8Array(${NS}.WebAssemblyMemoryBuffer(wasm.memory), ptr + offset, len - offset);
        offset += ${NS}.encodeUtf8Into(arg, view);
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }
    WASM_VECTOR_LEN = offset;
    return ptr;
}`,
  ],
  takeFromExternrefTable0: [
    "e7103163a2c556f4",
    `function takeFromExternrefTable0(idx) {
    const value = ${NS}.WebAssemblyTablePrototypeGet(wasm.__wbindgen_externrefs, idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}`,
  ],
  decodeText: [
    "aed367bfcdfdd648",
    `function decodeText(bytes) {
    numBytesDecoded += ${NS}.TypedArrayByteLength(bytes);
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = ${NS}.newUtf8Decoder();
        ${NS}.TextDecoderPrototypeDecode(cachedTextDecoder);
        numBytesDecoded = ${NS}.TypedArrayByteLength(bytes);
    }
    return ${NS}.TextDecoderPrototypeDecode(cachedTextDecoder, bytes);
}`,
  ],
};

/** Exact rewrites in the generated methods and imports: [pattern, replacement]; each pattern must
 * match at least once (else wasm-bindgen changed its shapes). */
const REWRITES = [
  // A copy out of the module's memory: the typed array's own constructor copies with no species.
  [/\bgetArrayF64FromWasm0\(([^()]*)\)\.slice\(\)/g, `new ${NS}.Float64Array(getArrayF64FromWasm0($1))`],
  [/\bgetArrayU32FromWasm0\(([^()]*)\)\.slice\(\)/g, `new ${NS}.Uint32Array(getArrayU32FromWasm0($1))`],
  [
    /\bgetDataViewMemory0\(\)\.((?:set|get)(?:Int32|Float64|BigInt64))\(/g,
    (_, m) => `${NS}.DataViewPrototype${m[0].toUpperCase()}${m.slice(1)}(getDataViewMemory0(), `,
  ],
  [/\bJSON\.stringify\(/g, `${NS}.JSONStringify(`],
  [/\bBigInt\.asUintN\(/g, `${NS}.BigIntAsUintN(`],
  [/\bconst ret = arg0\.toString\(arg1\);/g, `const ret = ${NS}.toStringRadix(arg0, arg1);`],
];

/**
 * The glue's text made to call captured built-ins only; `fail(message)` throws or exits.
 * @param {string} code the glue as wasm-bindgen wrote it @param {(m: string) => never} fail
 * @param {string} id the glue's path @param {string} primordials the path of src/js/primordials.js
 */
export function glueOnPrimordials(code, fail, id, primordials) {
  const declares = new RegExp(`\\b(?:const|let|var|function|class)\\s+(?:${[NS, ...SHADOWED].join("|")})\\b`);
  if (declares.test(code)) fail(`the glue declares one of ${[NS, ...SHADOWED].join(", ")} itself`);
  // 1. Helpers: each top-level function known, by its exact text.
  const ast = parseAst(code, { sourceType: "module" }, "glue");
  const edits = [];
  const seen = new Set();
  for (const n of ast.body) {
    if (n.type !== "FunctionDeclaration") continue;
    const name = n.id.name,
      text = code.slice(n.start, n.end);
    if (LOAD_ONLY.has(name)) continue;
    const known = HELPERS[name];
    if (known === undefined)
      fail(`the glue has a helper this build doesn't know: ${name} (a new wasm-bindgen? see scripts/glue-primordials.mjs)`);
    if (sha(text) !== known[0])
      fail(
        `the glue's ${name} is not the text this build expects (hash ${sha(text)}, expected ${known[0]}): a new wasm-bindgen? see scripts/glue-primordials.mjs`,
      );
    seen.add(name);
    if (known[1] !== null) edits.push([n.start, n.end, known[1]]);
  }
  for (const name of Object.keys(HELPERS))
    if (!seen.has(name)) fail(`the glue no longer has ${name} (a new wasm-bindgen? see scripts/glue-primordials.mjs)`);
  let out = code;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
  // 2. The generated methods and imports.
  for (const [pattern, replacement] of REWRITES) {
    if (!pattern.test(out)) fail(`the glue no longer has ${pattern} (a new wasm-bindgen? see scripts/glue-primordials.mjs)`);
    pattern.lastIndex = 0;
    out = out.replace(pattern, replacement);
  }
  const strings = out.match(/(?<!function )\bpassStringToWasm0\([^)]*\)/g) ?? [];
  for (const call of strings)
    if (!/^passStringToWasm0\(\w+, wasm\.__wbindgen_malloc, wasm\.__wbindgen_realloc\)$/.test(call))
      fail(`the glue calls ${call}, without wasm.__wbindgen_realloc`);
  // Every captured built-in named must be one primordials.js exports (a namespace member it
  // lacks would be undefined at run time, not an error at build time).
  const exported = new Set();
  const captured = parseAst(readFileSync(primordials, "utf8"), { sourceType: "module" }, "primordials.js");
  for (const n of captured.body) {
    if (n.type !== "ExportNamedDeclaration") continue;
    for (const s of n.specifiers ?? []) exported.add(s.exported.name);
    const d = n.declaration;
    if (d?.id) exported.add(d.id.name);
    for (const v of d?.declarations ?? []) {
      if (v.id.type === "Identifier") exported.add(v.id.name);
      else for (const p of v.id.properties ?? []) exported.add(p.value.name);
    }
  }
  const named = new Set([...out.matchAll(new RegExp(`\\b${NS}\\.(\\w+)`, "g"))].map((m) => m[1]));
  const missing = [...named, ...SHADOWED].filter((n) => !exported.has(n));
  if (missing.length) fail(`src/js/primordials.js doesn't export ${missing.join(", ")}, which the rewritten glue calls`);
  // Imported by its real path from the glue's folder (generated/).
  let from = relative(dirname(id), primordials);
  if (!from.startsWith(".")) from = `./${from}`;
  out = `import * as ${NS} from "${from}";\nimport { ${SHADOWED.join(", ")} } from "${from}";\n${out}`;
  audit(out, fail);
  return out;
}

/** Fails on anything in a function that runs after load calling a built-in as the realm has it. */
function audit(code, fail) {
  const ast = parseAst(code, { sourceType: "module" }, "glue");
  const own = new Set(),
    imported = new Set();
  for (const n of ast.body) {
    if (n.type === "FunctionDeclaration" || n.type === "ClassDeclaration") own.add(n.id.name);
    if (n.type === "ImportDeclaration") for (const s of n.specifiers) imported.add(s.local.name);
  }
  const problems = [];
  const where = (n) => code.slice(n.start, Math.min(n.end, n.start + 80)).replace(/\s+/g, " ");
  const safeObject = (o) => o?.type === "Identifier" && (o.name === "wasm" || o.name === NS);
  // Reads a method or getter of a built-in could answer; `length` only of the generated code's
  // strings and arguments objects (`arg`, `arg0`: strings; `arguments`) or the package's arrays.
  const risky = new Set(["buffer", "byteLength", "byteOffset", "detached", "length"]);
  const lengthOk = (o, fnName) =>
    o?.type === "Identifier" && (o.name === "arg" || (o.name === "arg0" && /^__wbg_length_/.test(fnName ?? "")));
  function walk(n, fnName) {
    if (Array.isArray(n)) {
      for (const c of n) walk(c, fnName);
      return;
    }
    if (!n || typeof n !== "object") return;
    if (n.type === "CallExpression" || n.type === "NewExpression") {
      const c = n.callee;
      if (c.type === "Identifier") {
        if (!own.has(c.name) && !imported.has(c.name) && !/^(malloc|realloc|f)$/.test(c.name))
          problems.push(`calls the global ${c.name}: ${where(n)}`);
      } else if (c.type === "MemberExpression") {
        if (!safeObject(c.object)) problems.push(`calls a method as the realm has it: ${where(n)}`);
      } else if (c.type !== "FunctionExpression") problems.push(`calls ${where(n)}`);
    }
    if (
      n.type === "MemberExpression" &&
      !n.computed &&
      risky.has(n.property.name) &&
      !safeObject(n.object) &&
      !(n.property.name === "length" && lengthOk(n.object, fnName))
    ) {
      problems.push(`reads ${n.property.name} as the realm has it: ${where(n)}`);
    }
    if (n.type === "ForOfStatement" || n.type === "SpreadElement" || n.type === "ArrayPattern" || n.type === "TaggedTemplateExpression")
      problems.push(`iterates or tags with the realm's built-ins: ${where(n)}`);
    for (const k in n) if (k !== "type" && typeof n[k] === "object") walk(n[k], fnName);
  }
  for (const n of ast.body) {
    if (n.type === "FunctionDeclaration") {
      if (n.id.name === "__wbg_get_imports") {
        // Its object's functions are the imports: they run on every call that needs one.
        const obj = n.body.body[0]?.declarations?.[0]?.init;
        if (obj?.type !== "ObjectExpression") problems.push("__wbg_get_imports has a new shape");
        // (`__wbindgen_init_externref_table` runs once, from `__wbindgen_start` at load.)
        else for (const p of obj.properties) if (p.value && p.key?.name !== "__wbindgen_init_externref_table") walk(p.value, p.key?.name);
      } else if (!LOAD_ONLY.has(n.id.name)) walk(n.body, n.id.name);
    } else if (n.type === "ExportNamedDeclaration" && n.declaration?.type === "ClassDeclaration") {
      for (const m of n.declaration.body.body) if (!INSTANCE_ONLY.has(m.key.name)) walk(m.value.body, m.key.name);
    } else if (n.type === "ClassDeclaration") problems.push(`a class the build doesn't know: ${n.id.name}`);
  }
  if (problems.length)
    fail(
      `the glue still calls built-ins as the realm has them (a new wasm-bindgen? see scripts/glue-primordials.mjs):\n  ${problems.join("\n  ")}`,
    );
}

export { sha as glueHash };
