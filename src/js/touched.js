// `ledger.touched(memory)`: how many of a memory's 64 KiB pages hold a non-zero byte. A module
// of our own, assembled here, imports the memory and reads it in place: nothing is copied, and
// JS never makes a view of it. Nothing here reaches the core, and the module is instantiated
// with the engine's own `Instance` (natives.js), so install()'s hooks never see it and no
// memory gets an `instances` count or a record from it.
//
// The module (one per shape: i32 or i64, shared or not) imports "" "" as a memory of minimum 0,
// which every memory of that shape satisfies (a shared one must also declare a maximum at
// least the memory's: the largest the engine validates), and exports `t: [] -> [i32]`. `t` reads
// `memory.size` itself, so a memory grown since the last call is read whole, and scans each
// page 128 bytes at a time (eight `v128.load`s ORed, then `v128.any_true`; where the engine has
// no SIMD, 64: eight `i64.load`s ORed), leaving the page at its first non-zero load.

import { natives } from "./natives.js";
import {
  ArrayBufferByteLength,
  TypeError,
  TypeErrorPrototype,
  Uint8Array,
  WeakMap,
  WeakMapPrototypeGet,
  WeakMapPrototypeSet,
  WebAssemblyMemoryBuffer,
  WebAssemblyValidate,
  getter,
  isErrorOf,
  list,
} from "./primordials.js";

const Module = natives.Module,
  Instance = natives.Instance;
const exportsOf = getter(Instance.prototype, "exports");
const LinkErrorPrototype = natives.LinkError.prototype;

/**
 * The module's bytes for a memory of this shape; `simd`: the v128 scan, else the i64 one; `big`:
 * a shared i64 memory declares the JS API's limit as its maximum, else V8's.
 * Written by index into a list without prototype, through rest parameters: no spread, no
 * iterator, nothing a page can have replaced.
 * @param {number} is64 0 or 1 @param {number} shared 0 or 1 @param {boolean} simd @param {boolean} big
 */
export function moduleBytes(is64, shared, simd, big) {
  const out = list();
  const put = (...xs) => {
    for (let i = 0; i < xs.length; i++) out[out.length] = xs[i];
  };
  // The address type's value type and opcodes: type, const, ge_u, shl, add, and, ne.
  const t = is64 ? 0x7e : 0x7f,
    c = is64 ? 0x42 : 0x41,
    ge = is64 ? 0x5a : 0x4f,
    shl = is64 ? 0x86 : 0x74;
  const add = is64 ? 0x7c : 0x6a,
    and = is64 ? 0x83 : 0x71,
    ne = is64 ? 0x52 : 0x47;
  big = big && is64 && shared;
  put(
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    1,
    5,
    1,
    0x60,
    0,
    1,
    0x7f, // type 0: [] -> [i32]
    // One import, "" "", a memory: flags (i64: 4; shared, with a maximum: 3), minimum 0.
    2,
    shared ? (big ? 12 : 9) : 6,
    1,
    0,
    0,
    2,
    (is64 ? 4 : 0) | (shared ? 3 : 0),
    0,
  );
  // A shared one must declare a maximum, at least the memory's: the largest the engine takes.
  // For i32, 65536 pages (the spec's limit, everywhere). For i64, the JS API's 2^37 - 1
  // (SpiderMonkey makes memories that large), else 262144 (V8's limit: it validates no more).
  if (big) put(0xff, 0xff, 0xff, 0xff, 0xff, 3);
  else if (shared) put(0x80, 0x80, is64 ? 16 : 4);
  put(
    3,
    2,
    1,
    0, // function 0 has type 0
    7,
    5,
    1,
    1,
    0x74,
    0,
    0, // exported as "t"
    10,
    0,
    0,
    1,
    0,
    0, // the code section, one body: their sizes (two-byte LEB128s, padded ones are valid) filled in below
  );
  const at = out.length;
  put(
    2,
    3,
    t,
    1,
    0x7f, // locals: 0 page, 1 pages, 2 address (the address type); 3 the count (i32)
    0x3f,
    0,
    0x21,
    1, // pages = memory.size
    2,
    0x40,
    3,
    0x40, // block (the end) loop (each page)
    0x20,
    0,
    0x20,
    1,
    ge,
    0x0d,
    1, // page >= pages: to the end
    2,
    0x40,
    2,
    0x40, // block (next page) block (a non-zero byte)
    0x20,
    0,
    c,
    16,
    shl,
    0x21,
    2, // address = page << 16
    3,
    0x40, // loop (each 128 or 64 bytes)
  );
  for (let k = 0; k < 8; k++) {
    // simd: v128.load align 16, then v128.or; else i64.load align 8, then i64.or.
    put(0x20, 2);
    simd ? put(0xfd, 0, 4, k * 16) : put(0x29, 3, k * 8);
    if (k > 0) simd ? put(0xfd, 0x50) : put(0x84);
  }
  simd ? put(0xfd, 0x53) : put(0x50, 0x45); // any_true; or i64.eqz, i32.eqz
  put(
    0x0d,
    1, // non-zero: out of the page
    // address += 128 (or 64); again while inside the page (address & 0xffff != 0)
    0x20,
    2,
    c,
    simd ? 0x80 : 0xc0,
    simd ? 1 : 0,
    add,
    0x22,
    2,
    c,
    0xff,
    0xff,
    3,
    and,
    c,
    0,
    ne,
    0x0d,
    0,
    0x0b,
    0x0c,
    1,
    0x0b, // end loop; all zero: next page; end block
    0x20,
    3,
    0x41,
    1,
    0x6a,
    0x21,
    3, // count += 1
    0x0b,
    0x20,
    0,
    c,
    1,
    add,
    0x21,
    0,
    0x0c,
    0, // end block; page += 1, again
    0x0b,
    0x0b,
    0x20,
    3,
    0x0b, // end loop, end block; the count
  );
  const n = out.length - at;
  out[at - 5] = 128 | ((n + 3) & 127);
  out[at - 4] = (n + 3) >> 7;
  out[at - 2] = 128 | (n & 127);
  out[at - 1] = n >> 7;
  return new Uint8Array(out); // an array-like without @@iterator: read by index
}

/** The compiled module per shape (`is64 * 2 + shared`), made on first use. */
const modules = list();
/** Each memory's scan (its instance's `t`): the instance holds the memory only as long as the memory lives. */
const scans = new WeakMap();

/** The scan of `memory` instantiated with the module of this shape (a LinkError if it is not the memory's). */
function scanOf(memory, is64, shared) {
  const k = is64 * 2 + shared;
  let m = modules[k];
  if (m === undefined) {
    // The first that validates: SIMD, else not; the larger maximum, else the smaller.
    let bytes;
    for (let v = 0; v < 4 && !WebAssemblyValidate((bytes = moduleBytes(is64, shared, v < 2, v % 2 === 0))); v++);
    m = modules[k] = new Module(bytes);
  }
  return exportsOf(new Instance(m, { __proto__: null, "": { __proto__: null, "": memory } })).t;
}

/**
 * `ledger.touched(memory)`: pages of `memory` (any `WebAssembly.Memory`: ours, the engine's,
 * another realm's) with at least one non-zero byte, read now.
 * @param {unknown} memory
 */
export function touched(memory) {
  let buffer;
  try {
    buffer = WebAssemblyMemoryBuffer(memory); // the brand check: a Proxy's traps never run
  } catch (e) {
    if (isErrorOf(e, TypeErrorPrototype)) throw new TypeError("ledger.touched: the first argument is not a WebAssembly.Memory");
    throw e;
  }
  let scan = WeakMapPrototypeGet(scans, memory);
  if (scan === undefined) {
    let shared = 0;
    try {
      ArrayBufferByteLength(buffer);
    } catch (e) {
      if (!isErrorOf(e, TypeErrorPrototype)) throw e;
      shared = 1; // not an ArrayBuffer: a SharedArrayBuffer
    }
    // i32, else i64: the engine tells by linking (no API gives a memory's address type without
    // type(), which only some engines have, or a grow(0), which detaches the buffer).
    try {
      scan = scanOf(memory, 0, shared);
    } catch (e) {
      if (!isErrorOf(e, LinkErrorPrototype)) throw e;
      scan = scanOf(memory, 1, shared);
    }
    WeakMapPrototypeSet(scans, memory, scan);
  }
  return scan();
}
