// Seeded generation of small wasm modules that import, define and export memories, for the
// `modules` section: install() reads the memory types of every module it sees compiled from the
// module's bytes (src/core/module_types.rs), so those bytes are a parser's untrusted input.
// Each generated module comes with its ground truth (the declared type of every memory) and a
// text form for reports. Some are mutated afterwards (bytes flipped, inserted, cut).

import { Gen } from "./gen.mjs";

export function leb(n, pad = 0) {
  // unsigned LEB128 of n; `pad` extra bytes make a valid, overlong encoding
  let x = BigInt(n);
  const out = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) b |= 0x80;
    out.push(b);
  } while (x !== 0n);
  if (pad > 0) {
    out[out.length - 1] |= 0x80;
    for (let i = 1; i < pad; i++) out.push(0x80);
    out.push(0);
  }
  return out;
}

export const str = (s) => {
  const b = [...new TextEncoder().encode(s)];
  return [...leb(b.length), ...b];
};
export const section = (id, body) => [id, ...leb(body.length), ...body];
const vec = (items) => [...leb(items.length), ...items.flat()];

const NAMES = [
  "memory",
  "mem",
  "",
  "m0",
  "m1",
  "__proto__",
  "constructor",
  "toString",
  "0",
  "length",
  "a b",
  "\u00e9t\u00e9",
  "\u{1F600}",
  "hasOwnProperty",
  "prototype",
  "then",
  "x".repeat(40),
];

/** What this engine can compile (multi-memory, memory64, threads). */
export function moduleFeatures() {
  const ok = (b) => {
    try {
      return WebAssembly.validate(new Uint8Array(b));
    } catch {
      return false;
    }
  };
  const head = [0, 97, 115, 109, 1, 0, 0, 0];
  return {
    multiMemory: ok([...head, 5, 5, 2, 0, 0, 0, 0]),
    memory64: ok([...head, 5, 3, 1, 4, 0]),
    threads: ok([...head, 5, 4, 1, 3, 0, 1]),
  };
}

// The seeded choices (int, chance, pick) are Gen's, from gen.mjs.
export class ModuleGen extends Gen {
  constructor(seed, features) {
    super(seed);
    this.f = features;
  }

  memtype() {
    const i64 = this.f.memory64 && this.chance(0.3);
    const shared = this.f.threads && this.chance(0.2);
    const min = this.int(4);
    const max = shared || this.chance(0.6) ? min + this.int(6) : undefined;
    return { address: i64 ? "i64" : "i32", min, max, shared };
  }

  limits(t) {
    const flags = (t.max !== undefined ? 1 : 0) | (t.shared ? 2 : 0) | (t.address === "i64" ? 4 : 0);
    const pad = () => (this.chance(0.15) ? 1 + this.int(t.address === "i64" ? 5 : 3) : 0);
    return [flags, ...leb(t.min, pad()), ...(t.max !== undefined ? leb(t.max, pad()) : [])];
  }

  /** A valid module and its ground truth. */
  module() {
    const maxMemories = this.f.multiMemory ? 3 : 1;
    const total = 1 + this.int(maxMemories);
    const imported = [];
    const defined = [];
    for (let i = 0; i < total; i++) {
      if (this.chance(0.35)) imported.push(this.memtype());
      else defined.push(this.memtype());
    }
    const memories = [
      ...imported.map((t, i) => ({ index: i, type: t, imported: true, name: `m${i}` })),
      ...defined.map((t, i) => ({ index: imported.length + i, type: t, imported: false })),
    ];
    const withFunc = this.chance(0.4);
    const names = [...NAMES].sort(() => this.r() - 0.5);
    const exports = [];
    for (const m of memories) {
      if (this.chance(0.85)) exports.push({ name: names.pop(), kind: "memory", index: m.index });
    }
    if (withFunc && this.chance(0.7)) exports.push({ name: names.pop(), kind: "func", index: 0 });
    const custom = () =>
      section(0, [
        ...str(this.pick(["name", "x", "", "producers", "\u0000"])),
        ...Array.from({ length: this.int(12) }, () => this.int(256)),
      ]);
    const bytes = [0, 97, 115, 109, 1, 0, 0, 0];
    const maybeCustom = () => {
      if (this.chance(0.2)) bytes.push(...custom());
    };
    maybeCustom();
    if (withFunc) bytes.push(...section(1, vec([[0x60, 0, 1, 0x7f]])));
    maybeCustom();
    if (imported.length) bytes.push(...section(2, vec(imported.map((t, i) => [...str("js"), ...str(`m${i}`), 2, ...this.limits(t)]))));
    if (withFunc) bytes.push(...section(3, vec([[0]])));
    if (defined.length) bytes.push(...section(5, vec(defined.map((t) => this.limits(t)))));
    maybeCustom();
    if (exports.length) bytes.push(...section(7, vec(exports.map((e) => [...str(e.name), e.kind === "memory" ? 2 : 0, ...leb(e.index)]))));
    if (withFunc) bytes.push(...section(10, vec([[4, 0, 0x41, 0, 0x0b]])));
    maybeCustom();
    return { bytes: new Uint8Array(bytes), memories, exports, text: wat(memories, exports, withFunc) };
  }

  /** Flips, inserts or cuts a few bytes (most results do not compile). */
  mutate(bytes) {
    const b = [...bytes];
    const n = 1 + this.int(3);
    for (let k = 0; k < n; k++) {
      const at = 8 + this.int(Math.max(1, b.length - 8));
      const what = this.int(4);
      if (what === 0) b[at] = this.int(256);
      else if (what === 1) b[at] ^= 1 << this.int(8);
      else if (what === 2) b.splice(at, 0, this.int(256));
      else b.length = Math.max(8, at);
    }
    return new Uint8Array(b);
  }
}

function wat(memories, exports, withFunc) {
  const lim = (t) => `${t.address === "i64" ? "i64 " : ""}${t.min}${t.max !== undefined ? ` ${t.max}` : ""}${t.shared ? " shared" : ""}`;
  const parts = ["(module"];
  for (const m of memories) parts.push(m.imported ? `(memory (import "js" "${m.name}") ${lim(m.type)})` : `(memory ${lim(m.type)})`);
  if (withFunc) parts.push("(func (result i32) i32.const 0)");
  for (const e of exports) parts.push(`(export ${JSON.stringify(e.name)} (${e.kind} ${e.index}))`);
  return `${parts.join(" ")})`;
}

export const hex = (bytes) => `new Uint8Array([${Array.from(bytes).join(", ")}])`;

// ---------------------------------------------------------------- the compile paths (issue #20)
// Modules aimed at what install()'s compile hooks read and rewrite: a module that grows its own
// memory, and invalid or malformed variants of it (the memory section, the section headers).

export const HEAD = [0, 97, 115, 109, 1, 0, 0, 0];
/** limits bytes: flags, minimum, maximum */
export const limits = (min, max, flags = 0) => [flags | (max === undefined ? 0 : 1), ...leb(min), ...(max === undefined ? [] : leb(max))];

/**
 * (module (memory (export "memory") <memory>) (func (export "grow") (param i32) (result i32)
 *   local.get 0 memory.grow) (func (export "size") (result i32) memory.size)): `memory` as the
 * memory section's raw body (count and entries).
 */
export function growerModule(memoryBody, { importMemory = false } = {}) {
  const types = section(1, [2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 1, 0x7f]);
  const imports = importMemory ? section(2, [1, ...str("js"), ...str("mem"), 2, ...limits(0)]) : [];
  const funcs = section(3, [2, 0, 1]);
  const memory = memoryBody === undefined ? [] : section(5, memoryBody);
  const exports = section(7, [3, ...str("memory"), 2, 0, ...str("grow"), 0, 0, ...str("size"), 0, 1]);
  const code = section(10, [2, 6, 0, 0x20, 0, 0x40, 0, 0x0b, 4, 0, 0x3f, 0, 0x0b]);
  return new Uint8Array([...HEAD, ...types, ...imports, ...funcs, ...memory, ...exports, ...code]);
}
export const oneMemory = (min, max, flags) => [1, ...limits(min, max, flags)];

/** The defined memories' minimum and page-size exponent from a module the engine accepted (so well formed). */
export function definedMemories(bytes) {
  let at = 8;
  const u = () => {
    let x = 0n,
      shift = 0n,
      b;
    do {
      b = bytes[at++];
      x |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    return x;
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = Number(u());
    const end = at + size;
    if (id === 5) {
      const out = [];
      for (let n = Number(u()); n > 0; n--) {
        const flags = bytes[at++];
        const min = u();
        if (flags & 1) u();
        const log2 = flags & 8 ? Number(u()) : 16;
        out.push({ min, log2 });
      }
      return out;
    }
    at = end;
  }
  return [];
}

/** Invalid and malformed variants of valid modules, aimed at the memory section and the headers. */
export class Malformed extends Gen {
  memoryBody() {
    const i64 = this.chance(0.2) ? 4 : 0;
    const big = (n) => (i64 ? 2n ** 48n + BigInt(n) : 65536 + n);
    return this.one([
      [3, () => oneMemory(this.int(3), undefined, 2 | i64)], // shared without a maximum
      [3, () => oneMemory(3 + this.int(3), this.int(3), i64)], // maximum below minimum
      [2, () => oneMemory(big(1 + this.int(3)), undefined, i64)], // minimum past the limit
      [2, () => oneMemory(1, big(1 + this.int(3)), i64)], // maximum past the limit
      [2, () => oneMemory(1, 2 + this.int(4), this.pick([0x10, 0x20, 0x40, 0x80]))], // unknown flags
      [2, () => [1, i64 | 1, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 2]], // an overlong minimum
      [1, () => [1, 0, 0x80]], // an unterminated minimum
      [2, () => [2, ...limits(1, 3), ...limits(0)]], // two memories (multi-memory)
      [1, () => [2, ...limits(1, 3)]], // a count past the entries
      [1, () => [...oneMemory(1, 3), 0]], // trailing bytes
      [1, () => [1, 8, 1, ...leb(this.pick([0, 16, 65, 12]))]], // custom page sizes
      [1, () => oneMemory(0, 1 + this.int(3))], // valid
      [1, () => oneMemory(1 + this.int(3), undefined, i64)], // valid (i64 where memory64 is)
    ]);
  }

  /** A grower module whose memory section is `memoryBody()`, with one header mutation in most. */
  module() {
    const body = this.memoryBody();
    const bytes = [...growerModule(body, { importMemory: this.chance(0.1) })];
    const what = this.int(8);
    if (what === 0)
      bytes.length = 8 + this.int(bytes.length - 8); // truncated
    else if (what === 1) {
      // a section id that doesn't exist, somewhere between sections
      bytes.splice(bytes.length - this.int(14), 0, this.pick([0x0e, 0x0f, 0x20, 0x7f, 0xff]), 1, 0);
    } else if (what === 2) {
      // a second memory section
      bytes.push(...section(5, oneMemory(0, 1)));
    } else if (what === 3) {
      // the memory section's size off by one
      const at = bytes.indexOf(5, 8);
      if (at > 0) bytes[at + 1] += this.pick([-1, 1]);
    } else if (what === 4) {
      // a bad LEB for a section size
      bytes.push(1, 0xff, 0xff, 0xff, 0xff, 0x7f);
    }
    return new Uint8Array(bytes);
  }
}

/**
 * Copies of `bytes` in every kind of BufferSource an engine might take, made fresh, by name:
 * buffers and views of this realm (offsets, a null prototype, lying own properties and
 * subclasses, Proxies, resizable buffers, every typed array), SharedArrayBuffers where there are
 * some, and another realm's where `other` (a global object: a vm context's, an iframe's) is given.
 * Shared by the fuzz suite (every engine) and tests/js/hooks-exact.test.mjs (Node).
 * @param {Uint8Array} bytes @param {any} [other]
 */
export function bufferSources(bytes, other) {
  const n = bytes.length;
  const into = (ab, offset = 0) => (new Uint8Array(ab, offset, n).set(bytes), ab);
  const kinds = {
    ArrayBuffer: () => into(new ArrayBuffer(n)),
    "a view at an offset": () => new Uint8Array(into(new ArrayBuffer(n + 24), 13), 13, n),
    "a DataView at an offset": () => new DataView(into(new ArrayBuffer(n + 24), 5), 5, n),
    "a null-prototype ArrayBuffer": () => Object.setPrototypeOf(into(new ArrayBuffer(n)), null),
    "a Uint8Array with own byteLength, buffer, byteOffset": () =>
      Object.defineProperties(new Uint8Array(bytes), {
        byteLength: { value: 3 },
        buffer: { value: new ArrayBuffer(3) },
        byteOffset: { value: 1 },
      }),
    "a subclass overriding its getters": () => {
      class Lying extends Uint8Array {
        get byteLength() {
          return 2;
        }
        get buffer() {
          return new ArrayBuffer(2);
        }
        get byteOffset() {
          return 1;
        }
      }
      const x = new Lying(n);
      x.set(bytes);
      return x;
    },
    "a Proxy of a Uint8Array": () => new Proxy(new Uint8Array(bytes), {}),
    "a Proxy of an ArrayBuffer": () => new Proxy(into(new ArrayBuffer(n)), {}),
    "a resizable ArrayBuffer": () => into(new ArrayBuffer(n, { maxByteLength: 2 * n })),
    "a length-tracking view of a resizable ArrayBuffer": () => new Uint8Array(into(new ArrayBuffer(n, { maxByteLength: 2 * n }))),
  };
  if (typeof SharedArrayBuffer === "function") {
    kinds["a SharedArrayBuffer"] = () => into(new SharedArrayBuffer(n));
    kinds["a view of a SharedArrayBuffer"] = () => new Uint8Array(into(new SharedArrayBuffer(n)));
    kinds["a DataView of a SharedArrayBuffer"] = () => new DataView(into(new SharedArrayBuffer(n)));
  }
  if (other) {
    kinds["another realm's ArrayBuffer"] = () => into(new other.ArrayBuffer(n));
    kinds["another realm's Uint8Array"] = () => new other.Uint8Array(into(new other.ArrayBuffer(n)));
    kinds["another realm's DataView"] = () => new other.DataView(into(new other.ArrayBuffer(n)));
    kinds["another realm's null-prototype ArrayBuffer"] = () => Object.setPrototypeOf(into(new other.ArrayBuffer(n)), null);
  }
  for (const T of [
    Int8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
    globalThis.Float16Array,
  ]) {
    if (typeof T !== "function") continue;
    const size = T.BYTES_PER_ELEMENT,
      padded = Math.ceil(n / size) * size;
    // The module's bytes then zeros: a view of exactly n bytes only exists for 1-byte elements,
    // so these views end past the module (a trailing byte the engine rejects), or start at an
    // aligned offset of a bigger buffer.
    kinds[T.name] = () => new T(into(new ArrayBuffer(padded)));
    kinds[`${T.name} at an offset`] = () => new T(into(new ArrayBuffer(padded + 4 * size), 2 * size), 2 * size, padded / size);
  }
  return kinds;
}

/** A Response of `bytes` typed `application/wasm` (`init` adds a status, more headers). */
export const wasmResponse = (bytes, init = {}) =>
  new Response(bytes, { ...init, headers: { "content-type": "application/wasm", ...init.headers } });

/**
 * What the streaming APIs may be handed, made fresh, by name: Responses of `bytes` of every
 * Content-Type, status and body state, and things that are no Response at all; and another
 * realm's Response where `other` (a global object) has one. Shared like `bufferSources`.
 * @param {Uint8Array} bytes @param {any} [other]
 */
export function responseKinds(bytes, other) {
  const typed = (type) => () => new Response(bytes, { headers: { "content-type": type } });
  const kinds = {
    "application/wasm": () => wasmResponse(bytes),
    "Application/WASM": typed("Application/WASM"),
    "application/wasm;charset=utf-8": typed("application/wasm;charset=utf-8"),
    "application/wasm; charset=utf-8": typed("application/wasm; charset=utf-8"),
    "application/wasm;": typed("application/wasm;"),
    "two Content-Type values": () =>
      new Response(bytes, {
        headers: [
          ["content-type", "application/wasm"],
          ["content-type", "application/wasm"],
        ],
      }),
    "text/plain": typed("text/plain"),
    "no Content-Type": () => new Response(bytes),
    "status 404": () => wasmResponse(bytes, { status: 404 }),
    "status 201": () => wasmResponse(bytes, { status: 201 }),
    "an error Response": () => Response.error(),
    "a null body": () => wasmResponse(null),
    "a used body": () => {
      const r = wasmResponse(bytes);
      r.arrayBuffer();
      return r;
    },
    "a locked body": () => {
      const r = wasmResponse(bytes);
      r.body.getReader();
      return r;
    },
    "an invalid module": () => wasmResponse(new Uint8Array([...HEAD, 5, 3, 1, 2, 1])),
    "an empty body": () => wasmResponse(new Uint8Array(0)),
    "a promise of a Response": () => Promise.resolve(wasmResponse(bytes)),
    "a rejected promise": () => Promise.reject(new RangeError("not fetched")),
    "a look-alike object": () => ({
      ok: true,
      status: 200,
      headers: new Headers({ "content-type": "application/wasm" }),
      arrayBuffer: async () => bytes.buffer,
    }),
    "a string": () => "memory.wasm",
    nothing: () => undefined,
  };
  if (other?.Response)
    kinds["another realm's Response"] = () => new other.Response(bytes, { headers: { "content-type": "application/wasm" } });
  return kinds;
}
