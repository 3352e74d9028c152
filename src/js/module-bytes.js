// A module's bytes on their way to the engine under install(). The bytes of every BufferSource
// the engine compiles are read through the intrinsic getters (in any realm, whatever getters,
// subclasses or own properties the object has). Only the few sections that declare memory
// types (and the module's name) are written into the core, which reads them; under a hard
// budget the memory section comes back with its maxima lowered, and is spliced into a copy for
// the engine. The engine is always handed bytes that nothing can change between our reading
// and its own copy: under a hard budget ours (the rewritten module, or a copy), a shared
// buffer's copied at once (another thread may write it), and otherwise the caller's own, as no
// user code runs between (every built-in called here is one captured at load, primordials.js,
// and events are delivered after the engine has its bytes). The streaming APIs' Responses are
// read here too.

import { rust, layout, request } from "./rust.js";
import { deliver } from "./events.js";
import { readSizes } from "./tracking.js";
import { natives } from "./natives.js";
import {
  ArrayBuffer,
  ArrayBufferByteLength,
  ArrayBufferResizable,
  DataView,
  DataViewBuffer,
  DataViewByteLength,
  DataViewByteOffset,
  Float64Array,
  ObjectKeys,
  PromisePrototypeThen,
  SharedArrayBuffer,
  SharedArrayBufferByteLength,
  SharedArrayBufferGrowable,
  StringPrototypeSlice,
  TypedArrayBuffer,
  TypedArrayByteLength,
  TypedArrayByteOffset,
  TypedArrayPrototypeSet,
  Uint8Array,
  WeakMap,
  WeakMapPrototypeGet,
  WeakMapPrototypeSet,
  WebAssemblyMemoryBuffer,
  WebAssemblyValidate,
  apply,
  arrayOf,
  decodeUtf8,
  encodeUtf8Into,
  getter,
  lazyClass,
  uncurryThis,
} from "./primordials.js";

/** @type {WeakMap<object, { memories: object[], imports: object[], hasStart: boolean, defined: number, definedPages: number }>} module -> what the core read from its bytes (and whether it has a start function) */
const moduleInfo = new WeakMap();

// ---------------------------------------------------------------- reading a BufferSource

/** Kinds of BufferSource: a buffer itself, a typed array, a DataView. */
const RAW = 0,
  VIEW = 1,
  DATA_VIEW = 2;
/** The `shared`, `resizable` and kind of a source as one index into `accepted`. */
const kindIndex = (shared, resizable, kind) => (shared ? 6 : 0) + (resizable ? 3 : 0) + kind;

/** A buffer of 8 bytes for the probes below (shared: a SharedArrayBuffer, or where there is no such
 * global, as in WebKit, the buffer of a shared memory). */
function probeBuffer(shared, resizable) {
  const options = resizable ? { maxByteLength: 16 } : undefined;
  if (!shared) return new ArrayBuffer(8, options);
  if (SharedArrayBuffer !== undefined) return new SharedArrayBuffer(8, options);
  if (resizable) throw new globalThis.Error("no growable shared buffers here");
  return WebAssemblyMemoryBuffer(new WebAssembly.Memory({ initial: 0, maximum: 0, shared: true }));
}

/**
 * Which BufferSources the engine takes as module bytes, by kind, sharing and resizability (Node
 * 20 takes no DataView and no bare SharedArrayBuffer, but a view of one): asked once of its own
 * `validate`, which throws a TypeError for what it doesn't take. What it takes is read here;
 * anything else is handed on as it is, for the engine's own TypeError. Where a resizable
 * buffer's views disagree (length-tracking or not), they count as taken: reading bytes the
 * engine would refuse gives a module where it gives a TypeError, but never a budget passed.
 */
const accepted = new Uint8Array(12);
for (let k = 0; k < 12; k++) {
  const shared = k >= 6,
    resizable = k % 6 >= 3,
    kind = k % 3;
  const takes = (make) => {
    try {
      WebAssemblyValidate(make(probeBuffer(shared, resizable)));
      return 1;
    } catch {
      return 0;
    }
  };
  if (kind === RAW) accepted[k] = takes((b) => b);
  else if (kind === VIEW) accepted[k] = takes((b) => new Uint8Array(b)) | (resizable ? takes((b) => new Uint8Array(b, 0, 8)) : 0);
  else accepted[k] = takes((b) => new DataView(b)) | (resizable ? takes((b) => new DataView(b, 0, 8)) : 0);
}

/** `get(v)`, or `FAILED` where `get` is missing or throws (the brand check failed). */
const FAILED = -1;
function tryGet(get, v) {
  if (get === undefined) return FAILED;
  try {
    return get(v);
  } catch {
    return FAILED;
  }
}

/** A Uint8Array over `length` bytes of `bytes`' buffer from `start` (no copy). @param {Uint8Array} bytes */
const view = (bytes, start, length) => new Uint8Array(TypedArrayBuffer(bytes), TypedArrayByteOffset(bytes) + start, length);

/**
 * The bytes the engine compiles from `source`, read through the engine's own getters:
 * `{ view, own }`, a Uint8Array of this realm over them (detached or out of bounds: empty, as the
 * engine reads them) and whether it is our copy (a shared buffer's, made at once); undefined when
 * the engine doesn't take `source` as module bytes (it is then handed on, for its TypeError).
 * @param {unknown} source
 */
export function readBytes(source) {
  if (typeof source !== "object" || source === null) return undefined;
  let buffer,
    kind,
    offset = 0,
    length;
  if ((buffer = tryGet(TypedArrayBuffer, source)) !== FAILED) {
    kind = VIEW;
    offset = TypedArrayByteOffset(source);
    length = TypedArrayByteLength(source);
  } else if ((length = tryGet(ArrayBufferByteLength, source)) !== FAILED) {
    (kind = RAW), (buffer = source);
  } else if ((buffer = tryGet(DataViewBuffer, source)) !== FAILED) {
    kind = DATA_VIEW;
    // A DataView's getters throw once its buffer is detached or it is out of bounds: no bytes.
    length = tryGet(DataViewByteLength, source);
    offset = length === FAILED ? 0 : DataViewByteOffset(source);
    if (length === FAILED) length = 0;
  } else if ((length = tryGet(SharedArrayBufferByteLength, source)) !== FAILED) {
    (kind = RAW), (buffer = source);
  } else {
    return undefined;
  }
  const shared = tryGet(ArrayBufferByteLength, buffer) === FAILED;
  const resizable = shared ? tryGet(SharedArrayBufferGrowable, buffer) === true : tryGet(ArrayBufferResizable, buffer) === true;
  if (accepted[kindIndex(shared, resizable, kind)] === 0) return undefined;
  if (length === 0) return { view: new Uint8Array(0), own: false };
  const bytes = new Uint8Array(buffer, offset, length);
  return shared ? { view: copyOf(bytes), own: true } : { view: bytes, own: false };
}

/** A copy of `bytes` in a buffer of its own. @param {Uint8Array} bytes */
export function copyOf(bytes) {
  const copy = new Uint8Array(new ArrayBuffer(TypedArrayByteLength(bytes)));
  TypedArrayPrototypeSet(copy, bytes);
  return copy;
}

// ---------------------------------------------------------------- what the core reads

/**
 * Where the sections the core reads are in `bytes` (`n` long): the import, memory and export
 * sections (ids from the core's layout; each at most once in a module the engine accepts), as
 * `spans` (start, end; -1 for none), the memory section's index there, the start of the "name"
 * custom section's payload (as much as the module name needs), and whether there is a start
 * section; undefined for a header or section layout the engine rejects. Only these few bytes are
 * written into the core, never the code of a large module.
 */
function sectionsOf(bytes, n) {
  const magic = layout.magic; // the magic number and version 1
  for (let i = 0; i < 8; i++) if (bytes[i] !== magic[i]) return undefined;
  const ids = layout.typeSections,
    name = layout.nameSectionName;
  const spans = [-1, -1, -1, -1, -1, -1];
  let at = 8,
    small = 8,
    memory = -1,
    namesStart = -1,
    namesEnd = -1,
    hasStart = false;
  while (at < n) {
    const start = at,
      id = bytes[at++];
    let size = 0,
      shift = 0,
      b;
    do {
      if (at >= n || shift > 28) return undefined;
      b = bytes[at++];
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    const end = at + size;
    if (end > n) return undefined;
    for (let k = 0; k < 3; k++) {
      if (id !== ids[k]) continue;
      if (spans[2 * k] >= 0) return undefined; // a second one: the engine rejects the module
      spans[2 * k] = start;
      spans[2 * k + 1] = end;
      small += end - start;
      if (id === layout.memorySection) memory = k;
    }
    if (id === layout.startSection) hasStart = true; // code runs while an instance is made
    if (id === layout.customSection && namesStart < 0 && end - at >= name.length && isName(bytes, at, name)) {
      namesStart = at + name.length;
      namesEnd = Math.min(end, namesStart + layout.nameBytes);
    }
    at = end;
  }
  return { spans, small, memory, namesStart, namesEnd, hasStart };
}

/** Whether a custom section's name at `at` is "name" (`name`: the core's bytes of it). */
function isName(bytes, at, name) {
  for (let i = 0; i < name.length; i++) if (bytes[at + i] !== name[i]) return false;
  return true;
}

/**
 * Whether the engine accepts the memory section from `start` to `end` on its own (in a module
 * of nothing else). The rewrite only lowers maxima of memories declared valid, so a module whose
 * memory section passes is exactly as valid rewritten as it was: one the engine rejects stays
 * rejected (for its own error, the hooks compile the original), and none it accepts becomes
 * invalid. One that fails (a shared memory without a maximum, a maximum below the minimum or past
 * the limit, flags this engine doesn't know) is not rewritten: the engine rejects it as it is.
 */
function memorySectionValid(bytes, start, end) {
  const tiny = new Uint8Array(8 + end - start);
  TypedArrayPrototypeSet(tiny, view(bytes, 0, 8), 0);
  TypedArrayPrototypeSet(tiny, view(bytes, start, end - start), 8);
  return WebAssemblyValidate(tiny);
}

/** The core's memory, whose buffer holds what crosses (got when first needed: the core is bound after load). */
let heap;
/** The core's layout of its answer, by name, with the row lengths. */
let rows;
function moduleRows() {
  const m = layout.module;
  const length = (o) => ObjectKeys(o).length;
  return (rows = {
    header: m.header,
    exportRow: m.exportRow,
    importRow: m.importRow,
    status: m.status,
    headerLength: length(m.header),
    exportLength: length(m.exportRow),
    importLength: length(m.importRow),
  });
}

/**
 * What the core reads from the module `bytes` (a view of them, `readBytes`): `{ info,
 * rewritten, refused, ... }`. `clamp` (a hard budget): each memory the module defines gets the
 * maximum a construction would get now, from sizes read now; `rewritten`: the module to compile
 * instead (a copy with its memory section rewritten), where the engine accepts that section as
 * declared; `refused`: the budget leaves a memory less than its minimum, or its memory section
 * can't be held to it (the hooks compile nothing then: `refusal()` once the engine has accepted
 * the module, else the engine's own error). `url`: the Response's, for a streamed module.
 * @param {Uint8Array} bytes @param {string | undefined} url @param {boolean} clamp
 */
export function prepare(bytes, url, clamp) {
  // The sizes first: nothing runs between reading the bytes and the engine's compiling them.
  const sizes = clamp ? readSizes() : undefined;
  const n = TypedArrayByteLength(bytes);
  const cut = n >= 8 ? sectionsOf(bytes, n) : undefined;
  const asIs = { info: undefined, rewritten: undefined, refused: false, small: 0, namesLength: 0, urlLength: 0, memory: undefined };
  if (cut === undefined) return asIs; // the engine will say why
  const spans = cut.spans,
    m = cut.memory;
  heap ??= rust.heap();
  const R = rows ?? moduleRows();
  const namesLength = cut.namesStart < 0 ? 0 : cut.namesEnd - cut.namesStart;
  const urlRoom = url === undefined ? 0 : 3 * url.length; // UTF-8 takes at most 3 bytes per UTF-16 unit
  const count = sizes === undefined ? 0 : TypedArrayByteLength(sizes) / 8;
  // The sizes go last, as f64s at an offset the core's memory has 8-aligned (room for it).
  const used = cut.small + namesLength + urlRoom,
    total = used + 7 + 8 * count;
  const inAt = rust.moduleInput(total);
  const sizesAt = ((inAt + used + 7) & ~7) - inAt;
  const buffer = WebAssemblyMemoryBuffer(heap); // after the call, which may have grown the core's memory
  const into = new Uint8Array(buffer, inAt, total);
  TypedArrayPrototypeSet(into, view(bytes, 0, 8), 0);
  let at = 8;
  for (let k = 0; k < 6; k += 2) {
    if (spans[k] < 0) continue;
    TypedArrayPrototypeSet(into, view(bytes, spans[k], spans[k + 1] - spans[k]), at);
    at += spans[k + 1] - spans[k];
  }
  if (namesLength > 0) TypedArrayPrototypeSet(into, view(bytes, cut.namesStart, namesLength), at);
  const urlLength = urlRoom > 0 ? encodeUtf8Into(url, new Uint8Array(buffer, inAt + at + namesLength, urlRoom)) : 0;
  if (count > 0) TypedArrayPrototypeSet(new Float64Array(buffer, inAt + sizesAt, count), sizes);

  const out = answer(readModule(cut.small, namesLength, urlLength, sizesAt, count, clamp, false));
  const H = R.header,
    S = R.status,
    status = out[H.status];
  if (status === S.refused || status === S.unbounded) return { ...asIs, refused: true, small: cut.small, namesLength, urlLength };
  const text = (start, length) => decodeUtf8(new Uint8Array(TypedArrayBuffer(out), inAt + start, length));
  let info;
  if (out[H.known] === 1) {
    const E = R.exportRow,
      I = R.importRow,
      exportsAt = R.headerLength,
      importsAt = exportsAt + out[H.exports] * R.exportLength;
    const by = out[H.by] === 0 ? undefined : text(out[H.byStart], out[H.byLength]) + (out[H.byCut] === 1 ? "…" : "");
    const pages = (x) => (x < 0 ? undefined : x);
    const memories = arrayOf(out[H.exports], (i) => {
      const r = exportsAt + i * R.exportLength;
      return {
        name: text(out[r + E.nameStart], out[r + E.nameLength]),
        is64: out[r + E.is64] === 1,
        maximum: pages(out[r + E.maximum]),
        requestedMaximum: pages(out[r + E.requestedMaximum]),
        shared: out[r + E.shared] === 1,
        maximumKnown: out[r + E.maximumKnown] === 1,
        bounded: out[r + E.bounded] === 1,
        definedBy: out[r + E.defined] === 1 ? by : undefined,
      };
    });
    const imports = arrayOf(out[H.imports], (i) => {
      const r = importsAt + i * R.importLength;
      return {
        module: text(out[r + I.moduleStart], out[r + I.moduleLength]),
        name: text(out[r + I.nameStart], out[r + I.nameLength]),
        is64: out[r + I.is64] === 1,
        shared: out[r + I.shared] === 1,
      };
    });
    // What an instance asks for: the memories the module defines (count, declared pages in all).
    info = { memories, imports, hasStart: cut.hasStart, defined: out[H.defined], definedPages: out[H.definedPages] };
  }
  if (status !== S.rewritten) return { ...asIs, info };
  // The rewritten memory section in place of the module's own; every other byte as it was. Only
  // where the engine accepts the memory section as declared (a refused module is validated
  // whole by the hooks; one within the clamp is compiled as it is).
  const start = spans[2 * m],
    end = spans[2 * m + 1],
    length = out[H.section];
  if (!memorySectionValid(bytes, start, end)) return asIs;
  const sectionAt = R.headerLength + out[H.exports] * R.exportLength + out[H.imports] * R.importLength;
  const rewritten = new Uint8Array(new ArrayBuffer(n - (end - start) + length));
  TypedArrayPrototypeSet(rewritten, view(bytes, 0, start), 0);
  for (let k = 0; k < length; k++) rewritten[start + k] = out[sectionAt + k];
  TypedArrayPrototypeSet(rewritten, view(bytes, end, n - end), start + length);
  // The module's own memory section, to rebuild its bytes for its own error (`original`).
  return { ...asIs, info, rewritten, memory: { start, length, section: copyOf(view(bytes, start, end - start)) } };
}

/**
 * The module a `prepare` that rewrote it read, rebuilt from the rewritten bytes (which are ours)
 * and its own memory section: for the engine's error about the module as it was, after user code
 * may have run (the caller's buffer may have changed since). @param {ReturnType<typeof prepare>} p
 */
export function original(p) {
  const r = p.rewritten,
    { start, length, section } = p.memory,
    n = TypedArrayByteLength(r),
    own = TypedArrayByteLength(section);
  const bytes = new Uint8Array(new ArrayBuffer(n - length + own));
  TypedArrayPrototypeSet(bytes, view(r, 0, start), 0);
  TypedArrayPrototypeSet(bytes, section, start);
  TypedArrayPrototypeSet(bytes, view(r, start + length, n - start - length), start + own);
  return bytes;
}

/** The core's reading of its module input (`rust.moduleMemories`), with the request row
 * (`layout.requests.module`) filled right before it; returns where the answer is. */
function readModule(small, names, url, sizesAt, sizes, clamp, report) {
  const r = request(),
    f = layout.requests.module;
  r[f.small] = small;
  r[f.names] = names;
  r[f.url] = url;
  r[f.sizesAt] = sizesAt;
  r[f.sizes] = sizes;
  r[f.clamp] = clamp ? 1 : 0;
  r[f.report] = report ? 1 : 0;
  return rust.moduleMemories();
}

/** The core's answer at `at` in its memory, as f64 rows (valid until the next call into the core). */
function answer(at) {
  const buffer = WebAssemblyMemoryBuffer(heap);
  return new Float64Array(buffer, at, new Float64Array(buffer, at, 1)[0]);
}

/**
 * The RangeError for a module `prepare` found `refused`, reported now (a `budget` event): once
 * the engine has accepted the module. The core reads it again (its input is still there: no call
 * into the core came between) to report the refusal as a construction's is.
 */
export function refusal(prepared) {
  readModule(prepared.small, prepared.namesLength, prepared.urlLength, 0, 0, true, true);
  const e = rust.moduleRefusal();
  deliver();
  return e;
}

/** Keeps the core's reading of a module's bytes with the module; returns the module. */
export const remember = (module, info) => (info !== undefined && WeakMapPrototypeSet(moduleInfo, module, info), module);

/** The core's reading of a module's bytes, if the hooks saw them. @param {object} module */
export const infoOf = (module) => WeakMapPrototypeGet(moduleInfo, module);

// ---------------------------------------------------------------- Responses

/** The fetch API's members the streaming hooks call, captured at load, or where the platform
 * loads them lazily (Node) on the first streaming call. */
const fetchApi = lazyClass("Response", (Response) => {
  const P = Response.prototype;
  const stream = globalThis.ReadableStream?.prototype;
  return {
    Response,
    ok: getter(P, "ok"),
    bodyUsed: getter(P, "bodyUsed"),
    body: getter(P, "body"),
    headers: getter(P, "headers"),
    url: getter(P, "url"),
    arrayBuffer: uncurryThis(P.arrayBuffer),
    clone: uncurryThis(P.clone),
    headersGet: uncurryThis(globalThis.Headers.prototype.get),
    locked: getter(stream, "locked"),
  };
});

const nativeCompileStreaming = natives.compileStreaming;

/** A Response's URL for `definedBy` (cut: a data: URL can be megabytes), or undefined. */
function urlOf(f, r) {
  const url = f.url(r);
  return typeof url === "string" && url !== "" ? StringPrototypeSlice(url, 0, layout.maxText + 1) : undefined;
}

/** A Response of our bytes, of type application/wasm, for the engine's streaming functions. */
export function wasmResponse(bytes) {
  return new (fetchApi().Response)(bytes, { headers: { "content-type": "application/wasm" } });
}

/**
 * With a hard budget, the streaming APIs read the Response themselves, to compile rewritten
 * bytes: `{ bytes, url }`, or undefined where the engine is to have the Response itself: it
 * refuses it before reading a byte, with its own TypeError (not a Response, a status that is not
 * ok, no body, a body already used or locked, a `Content-Type` it doesn't take). Whether it takes the
 * type is asked of the engine: `application/wasm` exactly is taken everywhere; for anything else
 * (a parameter, another case, several values) it compiles the empty module from a Response with
 * that type, as engines differ there (Node compares the string exactly; the spec and browsers
 * ignore case). Everything else is the spec's "compile a potential WebAssembly response".
 * @param {unknown} r the resolved source
 */
export async function readResponse(r) {
  const f = fetchApi();
  if (f === undefined) return undefined;
  const ok = tryGet(f.ok, r);
  if (ok !== true) return undefined; // not a Response (FAILED), or not ok
  const body = f.body(r);
  // No body (nothing to rewrite: engines word its error their own way), or one used or locked.
  if (body === null || f.bodyUsed(r) || (f.locked !== undefined && f.locked(body))) return undefined;
  const type = f.headersGet(f.headers(r), "content-type");
  if (type !== "application/wasm" && !(await typeTaken(f, type))) return undefined;
  const url = urlOf(f, r);
  return { __proto__: null, bytes: new Uint8Array(await f.arrayBuffer(r)), url }; // ours: nobody else has the body's buffer
}

/** Whether the engine compiles a Response whose `Content-Type` is `type` (null: none). */
async function typeTaken(f, type) {
  if (typeof nativeCompileStreaming !== "function") return false;
  try {
    await apply(nativeCompileStreaming, undefined, [
      // The smallest module (the magic number and version), so nothing is compiled.
      new f.Response(new Uint8Array(layout.magic), { headers: type === null ? {} : { "content-type": type } }),
    ]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Without a hard budget the streaming APIs stream the caller's Response; a clone, taken before the
 * engine reads it, gives `{ bytes, url }` to read types from: `readClone(cloneBytes(source))`
 * (undefined when it can't be had: the module is then asked for its exports). A source that is
 * neither a Response nor a promise is not looked at (no `then` of a user's thenable runs twice).
 * No promise is resolved with another here (that would look up its `then`, which a page may
 * have replaced): the clone's reading comes wrapped.
 */
export function cloneBytes(source) {
  const f = fetchApi();
  if (f === undefined) return undefined;
  const copy = (r) => {
    try {
      if (f.bodyUsed(r)) return undefined;
      const url = urlOf(f, r);
      return {
        __proto__: null,
        reading: PromisePrototypeThen(
          f.arrayBuffer(f.clone(r)),
          (b) => ({ __proto__: null, bytes: new Uint8Array(b), url }),
          () => undefined,
        ),
      };
    } catch {
      return undefined;
    }
  };
  if (tryGet(f.ok, source) !== FAILED) return copy(source);
  try {
    return PromisePrototypeThen(source, copy, () => undefined); // our reaction runs before the engine's
  } catch {
    return undefined; // not a promise
  }
}

/** What `cloneBytes` gave, read: `{ bytes, url }` or undefined. */
export async function readClone(cloned) {
  const c = await cloned;
  return c === undefined ? undefined : await c.reading;
}
