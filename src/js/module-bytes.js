// A module's bytes on their way to the engine under install(): only the few sections that declare
// memory types (and the module's name) are copied into the core, which reads them; under a hard
// budget the memory section comes back with its maxima lowered, and is spliced into the bytes
// the engine compiles. The streaming APIs' Responses are read here too.

import { rust, layout } from "./rust.js";
import { deliver } from "./events.js";
import { state } from "./memory.js";

/** @type {WeakMap<object, { memories: object[], imports: object[], hasStart: boolean }>} module -> what the core read from its bytes (and whether it has a start function) */
const moduleInfo = new WeakMap();
/** A custom section named "name": the length of its name, then "name". */
const NAME = [4, 110, 97, 109, 101];

/** A BufferSource as a Uint8Array view (no copy), or undefined. @param {unknown} source */
function bytesOf(source) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return undefined;
}

/**
 * The magic number plus the import, memory and export sections (ids from the core's layout), where the memory
 * section is, and the start of the "name" custom section's payload (enough for the module name):
 * only these few bytes are copied into the core, never the code of a large module.
 * @param {Uint8Array} bytes
 */
function memorySections(bytes) {
  const parts = [bytes.subarray(0, 8)];
  let at = 8, length = 8, memory, names, hasStart = false;
  while (at < bytes.length) {
    const start = at, id = bytes[at++];
    let size = 0, shift = 0, b;
    do {
      if (at >= bytes.length || shift > 28) return undefined;
      b = bytes[at++];
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    const end = at + size;
    if (end > bytes.length) return undefined;
    if (layout.typeSections.includes(id)) (parts.push(bytes.subarray(start, end)), (length += end - start));
    if (id === layout.memorySection) memory = [start, end];
    if (id === 8) hasStart = true; // the start section: code runs while an instance is made
    if (id === 0 && !names && end - at >= 5 && NAME.every((b, i) => bytes[at + i] === b)) names = bytes.subarray(at + 5, Math.min(end, at + 5 + layout.nameBytes));
    at = end;
  }
  const small = new Uint8Array(length);
  parts.reduce((offset, p) => (small.set(p, offset), offset + p.length), 0);
  return { small, memory, names, hasStart };
}

/**
 * What to compile (the bytes, or a copy with the memory section rewritten) and the core's
 * reading of them. `url`: the Response's, for a streamed module.
 * @param {unknown} source @param {string} [url]
 */
export function prepare(source, url) {
  const bytes = bytesOf(source);
  const cut = bytes && bytes.length >= 8 ? memorySections(bytes) : undefined;
  if (cut === undefined) return { source, info: undefined };
  let info;
  try {
    info = rust.moduleMemories(cut.small, state.hard, cut.names, url); // a budget's RangeError when it leaves too little
  } finally {
    deliver();
  }
  if (info) info.hasStart = cut.hasStart;
  if (info?.section === undefined || cut.memory === undefined) return { source, info };
  const [start, end] = cut.memory, s = info.section;
  const out = new Uint8Array(bytes.length - (end - start) + s.length);
  out.set(bytes.subarray(0, start));
  out.set(s, start);
  out.set(bytes.subarray(end), start + s.length);
  return { source: out, info };
}

/** Keeps the core's reading of a module's bytes with the module; returns the module. */
export const remember = (module, info) => (info && moduleInfo.set(module, info), module);

/** The core's reading of a module's bytes, if the hooks saw them. @param {object} module */
export const infoOf = (module) => moduleInfo.get(module);

/** A Response's URL for `definedBy` (cut: a data: URL can be megabytes), or undefined. @param {Response} r */
const urlOf = (r) => (r.url ? r.url.slice(0, layout.maxText + 1) : undefined);

/** With a hard budget, the streaming APIs read the Response themselves to compile rewritten bytes: `[bytes, url]`. */
export async function readResponse(source) {
  const r = await source;
  const wasm = typeof Response === "function" && r instanceof Response && r.ok && !r.bodyUsed && r.headers.get("content-type")?.split(";")[0].trim().toLowerCase() === "application/wasm";
  return wasm ? [await r.arrayBuffer(), urlOf(r)] : undefined; // anything else: the engine rejects it as it would
}

/** Without one, they stream; a clone of the Response, taken first, gives `[bytes, url]` to read types from. */
export function cloneBytes(source) {
  const copy = (r) => (typeof Response === "function" && r instanceof Response && !r.bodyUsed ? r.clone().arrayBuffer().then((b) => [b, urlOf(r)]) : undefined);
  try {
    return Promise.resolve(typeof source?.then === "function" ? Promise.resolve(source).then(copy) : copy(source)).catch(() => undefined);
  } catch {
    return Promise.resolve(undefined);
  }
}

