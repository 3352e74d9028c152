// Our conformance suite for `WebAssembly.Memory`, written for this project. Its cases follow what
// the WebAssembly JS API spec and its tests say (constructor, memory64, grow, buffer, limits, type
// reflection, the order in which a descriptor is read, shared memories from the threads proposal);
// the code is our own. It runs in any engine (Node, Deno, Bun, browsers) and takes the constructor
// under test as a parameter, so the same cases judge the engine's own `WebAssembly.Memory` and
// the package (installed, and as a ponyfill).
//
//   const features = detectFeatures(WebAssembly.Memory);    // before install(), on the engine's own
//   const results = await runConformance(Ctor, { features, native: true });
//   // -> [{ name, status: "pass" | "fail" | "skip", message }]
//
// A case whose engine feature is missing (memory64, shared memories, the SharedArrayBuffer global,
// ArrayBuffer transfer, type(), resizable buffers) is "skip" with the reason, never "fail".

const PAGE = 65536;

// ---------------------------------------------------------------- the harness

class Skip {
  constructor(reason) {
    this.reason = reason;
  }
}
class AssertionFailed extends Error {}

function skip(reason) {
  throw new Skip(reason);
}
function fail(message) {
  throw new AssertionFailed(message);
}

function show(v) {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol") return v.toString();
  if (Object.is(v, -0)) return "-0";
  if (typeof v === "function") return `function ${v.name}`;
  if (v !== null && typeof v === "object") {
    try {
      return Array.isArray(v) ? `[${v.map(show).join(", ")}]` : Object.prototype.toString.call(v);
    } catch {
      return "object";
    }
  }
  return String(v);
}

function assert(cond, message) {
  if (!cond) fail(message);
}
function assertSame(actual, expected, what) {
  if (!Object.is(actual, expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}
function assertList(actual, expected, what) {
  const a = Array.from(actual);
  if (a.length !== expected.length || a.some((x, i) => !Object.is(x, expected[i]))) {
    fail(`${what}: expected ${show(expected)}, got ${show(a)}`);
  }
}
function errorName(e) {
  if (e instanceof TypeError) return "TypeError";
  if (e instanceof RangeError) return "RangeError";
  if (e !== null && typeof e === "object" && typeof e.name === "string") return e.name;
  return show(e);
}
/** Expects fn to throw an instance of Kind (TypeError, RangeError, ...); returns the error. */
function assertThrows(Kind, fn, what) {
  let threw = false;
  let error;
  try {
    fn();
  } catch (e) {
    threw = true;
    error = e;
  }
  if (!threw) fail(`${what}: expected ${Kind.name}, nothing was thrown`);
  if (!(error instanceof Kind)) {
    fail(`${what}: expected ${Kind.name}, got ${errorName(error)}: ${String(error?.message ?? error)}`);
  }
  return error;
}
/** Expects fn to throw exactly `expected` (the same object). */
function assertThrowsValue(expected, fn, what) {
  try {
    fn();
  } catch (e) {
    if (e === expected) return;
    fail(`${what}: expected the thrown sentinel, got ${errorName(e)}: ${String(e?.message ?? e)}`);
  }
  fail(`${what}: expected the sentinel to be thrown, nothing was thrown`);
}

const isShared = (buf) => Object.prototype.toString.call(buf) === "[object SharedArrayBuffer]";
function isDetached(buf) {
  if (typeof buf.detached === "boolean") return buf.detached;
  try {
    new Uint8Array(buf); // a detached buffer can't back a view
    return false;
  } catch {
    return true;
  }
}

/** Checks a memory's buffer: its kind, size in pages, zero fill, freezing. */
function assertBuffer(buf, { pages = 0, shared = false }, what) {
  const tag = shared ? "[object SharedArrayBuffer]" : "[object ArrayBuffer]";
  assertSame(Object.prototype.toString.call(buf), tag, `${what}: kind`);
  assert(!isDetached(buf), `${what}: detached`);
  assertSame(buf.byteLength, pages * PAGE, `${what}: byteLength`);
  if (pages > 0) {
    const bytes = new Uint8Array(buf);
    assertSame(bytes[0], 0, `${what}: first byte`);
    assertSame(bytes[bytes.length - 1], 0, `${what}: last byte`);
  }
}
function assertDetached(buf, what) {
  assert(isDetached(buf), `${what}: expected a detached buffer (byteLength ${buf.byteLength})`);
  assertSame(buf.byteLength, 0, `${what}: byteLength`);
}

/** Finds a property along the prototype chain, with the object that owns it. */
function findProperty(obj, key) {
  for (let o = obj; o !== null; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return d;
  }
  return undefined;
}

// ---------------------------------------------------------------- features

// (module (memory i64 0)): a memory section with one memory whose limits flag 0x04 says i64.
const MEMORY64_MODULE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 4, 0]);

// (module (import "m" "mem" (memory 1))
//   (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
//   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
//   (func (export "size") (result i32) (memory.size)))
const IMPORTING_MODULE = new Uint8Array([
  0,
  0x61,
  0x73,
  0x6d,
  1,
  0,
  0,
  0,
  1,
  10,
  2,
  0x60,
  1,
  0x7f,
  1,
  0x7f,
  0x60,
  0,
  1,
  0x7f, // types: (i32)->i32, ()->i32
  2,
  10,
  1,
  1,
  0x6d,
  3,
  0x6d,
  0x65,
  0x6d,
  2,
  0,
  1, // import m.mem, memory, min 1
  3,
  4,
  3,
  0,
  0,
  1, // three functions
  7,
  22,
  3,
  4,
  0x6c,
  0x6f,
  0x61,
  0x64,
  0,
  0,
  4,
  0x67,
  0x72,
  0x6f,
  0x77,
  0,
  1,
  4,
  0x73,
  0x69,
  0x7a,
  0x65,
  0,
  2,
  10,
  21,
  3,
  7,
  0,
  0x20,
  0,
  0x2d,
  0,
  0,
  0x0b, // local.get 0; i32.load8_u; end
  6,
  0,
  0x20,
  0,
  0x40,
  0,
  0x0b, // local.get 0; memory.grow 0; end
  4,
  0,
  0x3f,
  0,
  0x0b, // memory.size 0; end
]);

// (module (memory (export "mem") 1 3)): a module that defines and exports its memory.
const EXPORTING_MODULE = new Uint8Array([
  0,
  0x61,
  0x73,
  0x6d,
  1,
  0,
  0,
  0,
  5,
  4,
  1,
  1,
  1,
  3, // memory section: one memory, limits flag 1 (has max), min 1, max 3
  7,
  7,
  1,
  3,
  0x6d,
  0x65,
  0x6d,
  2,
  0, // export "mem" memory 0
]);

/**
 * What the engine itself supports, measured on its own constructor. Call it before install().
 * @param {typeof WebAssembly.Memory} NativeMemory
 */
export function detectFeatures(NativeMemory) {
  const proto = NativeMemory.prototype;
  // memory64 in the engine's core (it validates an i64 memory) and in its JS API (its constructor
  // makes one from {address: "i64"}): Node 22 has the first and not the second.
  let memory64Core = false;
  try {
    memory64Core = WebAssembly.validate(MEMORY64_MODULE);
  } catch {
    memory64Core = false;
  }
  let memory64 = false;
  if (memory64Core) {
    try {
      memory64 = new NativeMemory({ address: "i64", initial: 1n }).buffer.byteLength === PAGE;
    } catch {
      memory64 = false;
    }
  }
  let shared = false;
  try {
    shared = isShared(new NativeMemory({ initial: 0, maximum: 1, shared: true }).buffer);
  } catch {
    shared = false;
  }
  return {
    NativeMemory,
    memory64Core,
    memory64,
    shared,
    sabGlobal: typeof SharedArrayBuffer === "function",
    transfer: typeof ArrayBuffer.prototype.transfer === "function",
    structuredClone: typeof structuredClone === "function",
    type: typeof proto.type === "function",
    resizable: typeof proto.toResizableBuffer === "function" && typeof proto.toFixedLengthBuffer === "function",
    wasmImports: WebAssembly.validate(IMPORTING_MODULE) && WebAssembly.validate(EXPORTING_MODULE),
  };
}

// ---------------------------------------------------------------- the cases

/** @type {{ name: string, fn: (t: object) => void }[]} */
const cases = [];
function test(name, fn) {
  cases.push({ name, fn });
}

// Each case gets t = { M (the constructor under test), f (features), native, need(feature) }.
const needs = {
  memory64: "the engine's JS API has no memory64",
  shared: "the engine has no shared memories",
  sabGlobal: "the engine has no SharedArrayBuffer global",
  transfer: "the engine has no ArrayBuffer.prototype.transfer",
  structuredClone: "the engine has no structuredClone",
  resizable: "the engine has no toResizableBuffer()/toFixedLengthBuffer()",
  wasmImports: "the engine can't validate the test modules",
};

// ---- the interface object

test("ctor: name is Memory", ({ M }) => {
  assertSame(M.name, "Memory", "name");
  const d = Object.getOwnPropertyDescriptor(M, "name");
  assert(d && !d.writable && !d.enumerable && d.configurable, "name attributes: {writable: false, enumerable: false, configurable: true}");
});

test("ctor: length is 1", ({ M }) => {
  assertSame(M.length, 1, "length");
  const d = Object.getOwnPropertyDescriptor(M, "length");
  assert(
    d && !d.writable && !d.enumerable && d.configurable,
    "length attributes: {writable: false, enumerable: false, configurable: true}",
  );
});

test("ctor: calling without new is a TypeError", ({ M }) => {
  assertThrows(TypeError, () => M({ initial: 0 }), "Memory({initial: 0})");
  assertThrows(TypeError, () => M.call({}, { initial: 0 }), "Memory.call({}, {initial: 0})");
});

test("ctor: prototype is not writable, enumerable or configurable", ({ M }) => {
  const d = Object.getOwnPropertyDescriptor(M, "prototype");
  assert(d !== undefined, "no own prototype property");
  assertSame(d.writable, false, "writable");
  assertSame(d.enumerable, false, "enumerable");
  assertSame(d.configurable, false, "configurable");
});

test("ctor: prototype.constructor is the constructor", ({ M }) => {
  assertSame(M.prototype.constructor, M, "prototype.constructor");
});

test("proto: toStringTag is WebAssembly.Memory", ({ M }) => {
  const d = findProperty(M.prototype, Symbol.toStringTag);
  assert(d !== undefined, "no Symbol.toStringTag");
  assertSame(d.value, "WebAssembly.Memory", "value");
  assertSame(d.writable, false, "writable");
  assertSame(d.enumerable, false, "enumerable");
  assertSame(d.configurable, true, "configurable");
  assertSame(Object.prototype.toString.call(new M({ initial: 0 })), "[object WebAssembly.Memory]", "toString");
});

test("proto: grow is an enumerable method of length 1", ({ M }) => {
  const d = findProperty(M.prototype, "grow");
  assert(d !== undefined && typeof d.value === "function", "grow is not a method");
  assertSame(d.value.length, 1, "grow.length");
  assertSame(d.value.name, "grow", "grow.name");
  assert(d.writable && d.enumerable && d.configurable, "grow attributes: {writable, enumerable, configurable: true}");
  assertThrows(TypeError, () => new d.value(1), "new grow()");
});

test("proto: buffer accessor attributes", ({ M }) => {
  const d = findProperty(M.prototype, "buffer");
  assert(d !== undefined && typeof d.get === "function", "buffer has no getter");
  assertSame(d.set, undefined, "setter");
  assertSame(d.get.name, "get buffer", "getter name");
  assertSame(d.get.length, 0, "getter length");
  assertSame(d.enumerable, true, "enumerable");
  assertSame(d.configurable, true, "configurable");
});

const notMemories = (M) => [undefined, null, true, "", Symbol(), 1, {}, M, M.prototype, new ArrayBuffer(8)];

test("proto: buffer getter rejects non-memories", ({ M }) => {
  const get = findProperty(M.prototype, "buffer").get;
  for (const v of notMemories(M)) assertThrows(TypeError, () => get.call(v), `this=${show(v)}`);
});

test("proto: grow rejects non-memories before reading delta", ({ M }) => {
  const grow = findProperty(M.prototype, "grow").value;
  const delta = {
    valueOf: () => fail("delta.valueOf was called"),
    toString: () => fail("delta.toString was called"),
  };
  for (const v of notMemories(M)) assertThrows(TypeError, () => grow.call(v, delta), `this=${show(v)}`);
});

test("proto: assigning buffer fails and changes nothing", ({ M }) => {
  const m = new M({ initial: 1 });
  const b = m.buffer;
  assertSame(Reflect.set(m, "buffer", new ArrayBuffer(8)), false, 'Reflect.set(memory, "buffer", ...)');
  assertThrows(
    TypeError,
    () => {
      m.buffer = new ArrayBuffer(8);
    },
    "strict-mode assignment",
  );
  assertSame(m.buffer, b, "buffer after assignment");
});

// ---- instances

test("instance: prototype is the constructor's prototype", ({ M }) => {
  const m = new M({ initial: 0 });
  assertSame(Object.getPrototypeOf(m), M.prototype, "prototype");
  assert(m instanceof M, "instanceof the constructor");
});

test("instance: is a WebAssembly.Memory of the engine", ({ M, f }) => {
  const m = new M({ initial: 1 });
  assert(m instanceof f.NativeMemory, "instanceof the engine's WebAssembly.Memory");
  // The engine's own getter accepts it: it has the engine's internal slots.
  const get = Object.getOwnPropertyDescriptor(f.NativeMemory.prototype, "buffer").get;
  assertSame(get.call(m), m.buffer, "engine getter's buffer");
});

test("instance: extensible, with no own properties", ({ M }) => {
  const m = new M({ initial: 0 });
  assert(Object.isExtensible(m), "not extensible");
  assertList(Reflect.ownKeys(m), [], "own keys");
});

// ---- constructor: the descriptor argument

test("ctor: no argument is a TypeError", ({ M }) => {
  assertThrows(TypeError, () => new M(), "new Memory()");
});

test("ctor: a non-object descriptor is a TypeError", ({ M }) => {
  for (const v of [false, true, "", "test", Symbol(), 1, NaN, 1n]) {
    assertThrows(TypeError, () => new M(v), `new Memory(${show(v)})`);
  }
});

test("ctor: undefined and null descriptors lack initial: TypeError", ({ M }) => {
  assertThrows(TypeError, () => new M(undefined), "new Memory(undefined)");
  assertThrows(TypeError, () => new M(null), "new Memory(null)");
});

test("ctor: {} lacks initial: TypeError", ({ M }) => {
  assertThrows(TypeError, () => new M({}), "new Memory({})");
  assertThrows(TypeError, () => new M({ maximum: 1 }), "new Memory({maximum: 1})");
});

test("ctor: initial undefined is a TypeError", ({ M }) => {
  assertThrows(TypeError, () => new M({ initial: undefined }), "initial: undefined");
});

for (const [label, v] of [
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["-1", -1],
  ["2^32", 2 ** 32],
  ["2^36", 2 ** 36],
]) {
  test(`ctor: initial ${label} is a TypeError`, ({ M }) => {
    assertThrows(TypeError, () => new M({ initial: v }), `initial: ${label}`);
  });
  test(`ctor: maximum ${label} is a TypeError`, ({ M }) => {
    assertThrows(TypeError, () => new M({ initial: 0, maximum: v }), `maximum: ${label}`);
  });
}

test("ctor: a BigInt initial (i32) is a TypeError", ({ M }) => {
  assertThrows(TypeError, () => new M({ initial: 1n }), "initial: 1n");
  assertThrows(TypeError, () => new M({ initial: 0, maximum: 1n }), "maximum: 1n");
});

test("ctor: a Symbol initial is a TypeError", ({ M }) => {
  assertThrows(TypeError, () => new M({ initial: Symbol() }), "initial: Symbol()");
});

test("ctor: initial 2^32-1 (past the page limit) is a RangeError", ({ M }) => {
  assertThrows(RangeError, () => new M({ initial: 2 ** 32 - 1 }), "initial: 2^32-1");
});

test("ctor: initial 65537 is a RangeError", ({ M }) => {
  assertThrows(RangeError, () => new M({ initial: 65537 }), "initial: 65537");
});

test("ctor: maximum 65537 is a RangeError", ({ M }) => {
  assertThrows(RangeError, () => new M({ initial: 0, maximum: 65537 }), "maximum: 65537");
});

test("ctor: maximum 65536 (the limit) is allowed", ({ M }) => {
  const m = new M({ initial: 1, maximum: 65536 });
  assertBuffer(m.buffer, { pages: 1 }, "buffer");
});

test("ctor: initial above maximum is a RangeError", ({ M }) => {
  assertThrows(RangeError, () => new M({ initial: 10, maximum: 9 }), "{initial: 10, maximum: 9}");
});

test("ctor: initial equal to maximum leaves no room to grow", ({ M }) => {
  const m = new M({ initial: 2, maximum: 2 });
  assertBuffer(m.buffer, { pages: 2 }, "buffer");
  assertThrows(RangeError, () => m.grow(1), "grow(1)");
});

test("ctor: maximum's TypeError before initial's RangeError", ({ M }) => {
  // Each member is converted as read; limits are checked only after both are converted.
  assertThrows(TypeError, () => new M({ initial: 65537, maximum: Symbol() }), "{initial: 65537, maximum: Symbol()}");
});

test("ctor: zero initial", ({ M }) => {
  assertBuffer(new M({ initial: 0 }).buffer, { pages: 0 }, "buffer");
});

test("ctor: non-zero initial", ({ M }) => {
  assertBuffer(new M({ initial: 4 }).buffer, { pages: 4 }, "buffer");
});

test("ctor: a fractional initial is truncated", ({ M }) => {
  assertBuffer(new M({ initial: 1.9 }).buffer, { pages: 1 }, "initial 1.9");
  assertBuffer(new M({ initial: 0, maximum: 2.5 }).buffer, { pages: 0 }, "maximum 2.5");
});

test("ctor: initial -0.9 truncates to 0", ({ M }) => {
  assertBuffer(new M({ initial: -0.9 }).buffer, { pages: 0 }, "initial -0.9");
});

test("ctor: initial is converted with ToNumber", ({ M }) => {
  assertBuffer(new M({ initial: "3" }).buffer, { pages: 3 }, 'initial "3"');
  assertBuffer(new M({ initial: true }).buffer, { pages: 1 }, "initial true");
  assertBuffer(new M({ initial: null }).buffer, { pages: 0 }, "initial null");
  assertBuffer(new M({ initial: { valueOf: () => 2 } }).buffer, { pages: 2 }, "initial {valueOf: 2}");
});

test("ctor: maximum undefined means no maximum", ({ M }) => {
  const m = new M({ initial: 0, maximum: undefined });
  assertSame(m.grow(3), 0, "grow(3)");
  assertBuffer(m.buffer, { pages: 3 }, "buffer");
});

test("ctor: members are read through the prototype chain", ({ M }) => {
  const m = new M(Object.create({ initial: 2, maximum: 2 }));
  assertBuffer(m.buffer, { pages: 2 }, "buffer");
  assertThrows(RangeError, () => m.grow(1), "grow past the inherited maximum");
});

test("ctor: a function can be the descriptor", ({ M }) => {
  const d = function () {};
  d.initial = 1;
  assertBuffer(new M(d).buffer, { pages: 1 }, "buffer");
});

test("ctor: a stray second argument is ignored", ({ M }) => {
  assertBuffer(new M({ initial: 1 }, {}).buffer, { pages: 1 }, "buffer");
});

test('ctor: address "i32" and an omitted address are i32', ({ M }) => {
  assertBuffer(new M({ initial: 1, address: "i32" }).buffer, { pages: 1 }, "address i32");
  assertBuffer(new M({ initial: 1, address: undefined }).buffer, { pages: 1 }, "address undefined");
});

test("ctor: an unknown address is a TypeError", ({ M }) => {
  assertThrows(TypeError, () => new M({ initial: 1, address: "none" }), 'address "none"');
  assertThrows(TypeError, () => new M({ initial: 1, address: "I32" }), 'address "I32"');
  assertThrows(TypeError, () => new M({ initial: 1, address: "" }), 'address ""');
});

test("ctor: address is converted with ToString", ({ M }) => {
  assertBuffer(new M({ initial: 1, address: { toString: () => "i32" } }).buffer, { pages: 1 }, "buffer");
  assertThrows(TypeError, () => new M({ initial: 1, address: Symbol() }), "address Symbol()");
});

test("ctor: descriptor order of evaluation", ({ M }) => {
  const order = [];
  const descriptor = {
    get shared() {
      order.push("get shared");
      return false;
    },
    get maximum() {
      order.push("get maximum");
      return { valueOf: () => (order.push("maximum valueOf"), 2) };
    },
    get initial() {
      order.push("get initial");
      return { valueOf: () => (order.push("initial valueOf"), 1) };
    },
    get address() {
      order.push("get address");
      return { toString: () => (order.push("address toString"), "i32") };
    },
  };
  new M(descriptor);
  assertList(
    order,
    ["get address", "address toString", "get initial", "initial valueOf", "get maximum", "maximum valueOf", "get shared"],
    "order",
  );
});

test("ctor: a member inherited from Object.prototype is read once, as an own one is", ({ M }) => {
  // Getters on Object.prototype stand for every member the descriptor lacks. Engines differ in
  // which they read (address, JSC's minimum), but none reads one twice.
  const keys = ["address", "maximum", "shared", "minimum", "index"];
  const saved = keys.map((k) => [k, Object.getOwnPropertyDescriptor(Object.prototype, k)]);
  const reads = [];
  for (const k of keys) Object.defineProperty(Object.prototype, k, { get: () => void reads.push(k), configurable: true });
  let m;
  try {
    m = new M({ initial: 1 });
  } finally {
    for (const [k, d] of saved) d ? Object.defineProperty(Object.prototype, k, d) : delete Object.prototype[k];
  }
  assertBuffer(m.buffer, { pages: 1 }, "buffer");
  assertList(
    reads.filter((k, i) => reads.indexOf(k) !== i),
    [],
    "members read more than once",
  );
  assertSame(reads.includes("maximum") && reads.includes("shared"), true, "maximum and shared are read");
});

test("ctor: Proxy descriptor sees only 4 gets", ({ M }) => {
  const seen = [];
  const handler = {};
  for (const trap of ["has", "ownKeys", "getOwnPropertyDescriptor", "defineProperty", "set", "deleteProperty", "getPrototypeOf"]) {
    handler[trap] = (...args) => {
      seen.push(`${trap} ${String(args[1])}`);
      return Reflect[trap](...args);
    };
  }
  handler.get = (_target, key) => {
    seen.push(`get ${String(key)}`);
    return { address: "i32", initial: 1, maximum: 2, shared: false }[key];
  };
  const m = new M(new Proxy({}, handler));
  assertList(seen, ["get address", "get initial", "get maximum", "get shared"], "traps");
  assertBuffer(m.buffer, { pages: 1 }, "buffer");
});

test("ctor: a throwing getter stops reading", ({ M }) => {
  const sentinel = new Error("sentinel");
  const read = [];
  const descriptor = {
    get initial() {
      read.push("initial");
      throw sentinel;
    },
    get maximum() {
      read.push("maximum");
      return 1;
    },
  };
  assertThrowsValue(sentinel, () => new M(descriptor), "initial getter throws");
  assertList(read, ["initial"], "members read");
});

test("ctor: a throwing valueOf stops reading", ({ M }) => {
  const sentinel = new Error("sentinel");
  const read = [];
  const descriptor = {
    get initial() {
      read.push("initial");
      return {
        valueOf: () => {
          throw sentinel;
        },
      };
    },
    get maximum() {
      read.push("maximum");
      return 1;
    },
  };
  assertThrowsValue(sentinel, () => new M(descriptor), "initial valueOf throws");
  assertList(read, ["initial"], "members read");
});

test("ctor: subclassing works", ({ M }) => {
  class Sub extends M {
    extra() {
      return this.buffer.byteLength;
    }
  }
  const m = new Sub({ initial: 1, maximum: 3 });
  assertSame(Object.getPrototypeOf(m), Sub.prototype, "prototype");
  assert(m instanceof M, "instanceof the base");
  assertSame(m.extra(), PAGE, "subclass method");
  assertSame(m.grow(1), 1, "grow(1)");
  assertBuffer(m.buffer, { pages: 2 }, "buffer");
});

test("ctor: Reflect.construct uses newTarget's prototype", ({ M }) => {
  function Target() {}
  Target.prototype = Object.create(M.prototype);
  const m = Reflect.construct(M, [{ initial: 1 }], Target);
  assertSame(Object.getPrototypeOf(m), Target.prototype, "prototype");
  assertBuffer(m.buffer, { pages: 1 }, "buffer");
});

// ---- buffer

test("buffer: the same object until the next grow", ({ M }) => {
  const m = new M({ initial: 1 });
  assertSame(m.buffer, m.buffer, "buffer === buffer");
});

test("buffer: an ArrayBuffer of initial pages, zero-filled", ({ M }) => {
  const b = new M({ initial: 2 }).buffer;
  assertBuffer(b, { pages: 2 }, "buffer");
  assert(b instanceof ArrayBuffer, "instanceof ArrayBuffer");
  assertSame(Object.getPrototypeOf(b), ArrayBuffer.prototype, "prototype");
});

test("buffer: a non-shared buffer is extensible and not frozen", ({ M }) => {
  const b = new M({ initial: 1 }).buffer;
  assert(Object.isExtensible(b), "not extensible");
  assert(!Object.isFrozen(b), "frozen");
});

test("buffer: a non-shared buffer is fixed-length", ({ M }) => {
  const b = new M({ initial: 1, maximum: 4 }).buffer;
  if (typeof b.resizable !== "boolean") skip("the engine has no resizable ArrayBuffers");
  assertSame(b.resizable, false, "resizable");
});

test("buffer: transfer() can't detach it", ({ M, need }) => {
  need("transfer");
  const m = new M({ initial: 1 });
  const b = m.buffer;
  new Uint8Array(b)[7] = 42;
  assertThrows(TypeError, () => b.transfer(), "buffer.transfer()");
  assertSame(m.buffer, b, "buffer after transfer()");
  assertSame(new Uint8Array(m.buffer)[7], 42, "contents after transfer()");
});

test("buffer: structuredClone can't transfer it", ({ M, need }) => {
  need("structuredClone");
  const m = new M({ initial: 1 });
  const b = m.buffer;
  let threw = false;
  try {
    structuredClone(b, { transfer: [b] });
  } catch {
    threw = true;
  }
  assert(threw, "structuredClone with transfer did not throw");
  assert(!isDetached(b), "the buffer was detached");
  assertSame(m.buffer.byteLength, PAGE, "byteLength after");
});

// ---- grow

test("grow: no argument is a TypeError", ({ M }) => {
  const m = new M({ initial: 0 });
  assertThrows(TypeError, () => m.grow(), "grow()");
});

test("grow: returns the old size, detaches the old buffer", ({ M }) => {
  const m = new M({ initial: 3 });
  const old = m.buffer;
  assertSame(m.grow(2), 3, "grow(2)");
  const now = m.buffer;
  assert(now !== old, "the buffer object did not change");
  assertDetached(old, "old buffer");
  assertBuffer(now, { pages: 5 }, "new buffer");
});

test("grow: from zero pages", ({ M }) => {
  const m = new M({ initial: 0 });
  const old = m.buffer;
  assertSame(m.grow(2), 0, "grow(2)");
  assertDetached(old, "old buffer");
  assertBuffer(m.buffer, { pages: 2 }, "new buffer");
});

test("grow: delta is converted with valueOf", ({ M }) => {
  const m = new M({ initial: { valueOf: () => 0 } });
  assertSame(m.grow({ valueOf: () => 2 }), 0, "grow({valueOf: 2})");
  assertBuffer(m.buffer, { pages: 2 }, "buffer");
});

test("grow: a fractional delta is truncated", ({ M }) => {
  const m = new M({ initial: 0 });
  assertSame(m.grow(1.7), 0, "grow(1.7)");
  assertBuffer(m.buffer, { pages: 1 }, "buffer");
});

test("grow: grow(0) still replaces the buffer", ({ M }) => {
  const m = new M({ initial: 1 });
  const old = m.buffer;
  assertSame(m.grow(0), 1, "grow(0)");
  assertDetached(old, "old buffer");
  assertBuffer(m.buffer, { pages: 1 }, "new buffer");
});

test("grow: contents survive", ({ M }) => {
  const m = new M({ initial: 1, maximum: 2 });
  new Uint8Array(m.buffer).set([1, 2, 3], PAGE - 3);
  m.grow(1);
  const bytes = new Uint8Array(m.buffer);
  assertList(bytes.subarray(PAGE - 3, PAGE), [1, 2, 3], "bytes kept");
  assertSame(bytes[PAGE], 0, "new page zeroed");
});

test("grow: up to the maximum, twice", ({ M }) => {
  const m = new M({ initial: 0, maximum: 2 });
  const b0 = m.buffer;
  assertSame(m.grow(1), 0, "first grow");
  const b1 = m.buffer;
  assertSame(m.grow(1), 1, "second grow");
  assertDetached(b0, "first buffer");
  assertDetached(b1, "second buffer");
  assertBuffer(m.buffer, { pages: 2 }, "last buffer");
});

test("grow: past the maximum is a RangeError and changes nothing", ({ M }) => {
  const m = new M({ initial: 1, maximum: 2 });
  const b = m.buffer;
  assertThrows(RangeError, () => m.grow(2), "grow(2)");
  assertSame(m.buffer, b, "buffer after the refused grow");
  assertBuffer(b, { pages: 1 }, "buffer");
  assertSame(m.grow(1), 1, "a grow within the maximum afterwards");
});

test("grow: past 65536 pages without a maximum is a RangeError", ({ M }) => {
  const m = new M({ initial: 1 });
  assertThrows(RangeError, () => m.grow(65536), "grow(65536)");
  assertBuffer(m.buffer, { pages: 1 }, "buffer");
});

test("grow: past the page limit with maximum 65536 is a RangeError", ({ M }) => {
  const m = new M({ initial: 1, maximum: 65536 });
  assertThrows(RangeError, () => m.grow(65536), "grow(65536)");
});

for (const [label, v] of [
  ["undefined", undefined],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["-1", -1],
  ["2^32", 2 ** 32],
  ["2^36", 2 ** 36],
  ['"0x100000000"', "0x100000000"],
  ["{valueOf: 2^32}", { valueOf: () => 2 ** 32 }],
  ["1n", 1n],
]) {
  test(`grow: delta ${label} is a TypeError`, ({ M }) => {
    const m = new M({ initial: 0 });
    assertThrows(TypeError, () => m.grow(v), `grow(${label})`);
  });
}

test("grow: a throwing valueOf propagates", ({ M }) => {
  const m = new M({ initial: 0 });
  const sentinel = new Error("sentinel");
  assertThrowsValue(
    sentinel,
    () =>
      m.grow({
        valueOf: () => {
          throw sentinel;
        },
      }),
    "grow(throwing valueOf)",
  );
  assertBuffer(m.buffer, { pages: 0 }, "buffer");
});

test("grow: a stray second argument is ignored", ({ M }) => {
  const m = new M({ initial: 0 });
  assertSame(m.grow(2, {}), 0, "grow(2, {})");
  assertBuffer(m.buffer, { pages: 2 }, "buffer");
});

test("grow: works on a memory a module exported", ({ M, f, need }) => {
  need("wasmImports");
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(EXPORTING_MODULE));
  const mem = exports.mem;
  assert(mem instanceof f.NativeMemory, "exported memory is a WebAssembly.Memory");
  const grow = findProperty(M.prototype, "grow").value;
  assertSame(grow.call(mem, 1), 1, "grow.call(exported, 1)");
  assertBuffer(mem.buffer, { pages: 2 }, "buffer");
  assertThrows(RangeError, () => grow.call(mem, 2), "past the module's maximum");
});

// ---- limits of the engine embedding

test("limits: initial over the limit is a RangeError, with a maximum too", ({ M }) => {
  assertThrows(RangeError, () => new M({ initial: 65537, maximum: 65537 }), "{initial: 65537, maximum: 65537}");
});

// ---- wasm code and JS memories

test("wasm: a module imports the memory and reads what JS wrote", ({ M, need }) => {
  need("wasmImports");
  const m = new M({ initial: 1, maximum: 4 });
  new Uint8Array(m.buffer)[100] = 77;
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(IMPORTING_MODULE), { m: { mem: m } });
  assertSame(exports.load(100), 77, "load(100)");
  assertSame(exports.size(), 1, "memory.size");
});

test("wasm: memory.grow inside wasm replaces the buffer", ({ M, need }) => {
  need("wasmImports");
  const m = new M({ initial: 1, maximum: 4 });
  const old = m.buffer;
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(IMPORTING_MODULE), { m: { mem: m } });
  assertSame(exports.grow(2), 1, "memory.grow 2");
  assertDetached(old, "old buffer");
  assertBuffer(m.buffer, { pages: 3 }, "buffer");
  assertSame(m.grow(1), 3, "grow(1) from JS afterwards");
  assertSame(exports.size(), 4, "memory.size");
});

test("wasm: memory.grow inside wasm past the maximum returns -1", ({ M, need }) => {
  need("wasmImports");
  const m = new M({ initial: 1, maximum: 2 });
  const b = m.buffer;
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(IMPORTING_MODULE), { m: { mem: m } });
  assertSame(exports.grow(2), -1, "memory.grow 2");
  assertSame(m.buffer, b, "buffer unchanged");
});

test("wasm: a module whose import needs more pages rejects the memory", ({ M, need }) => {
  need("wasmImports");
  const m = new M({ initial: 0 });
  assertThrows(
    WebAssembly.LinkError,
    () => new WebAssembly.Instance(new WebAssembly.Module(IMPORTING_MODULE), { m: { mem: m } }),
    "memory of 0 pages for an import of min 1",
  );
});

// ---- shared memories (threads)

test("shared: without a maximum is a TypeError", ({ M, need }) => {
  need("shared");
  assertThrows(TypeError, () => new M({ initial: 1, shared: true }), "{initial: 1, shared: true}");
});

test("shared: initial above maximum is a RangeError", ({ M, need }) => {
  need("shared");
  assertThrows(RangeError, () => new M({ initial: 2, maximum: 1, shared: true }), "{initial: 2, maximum: 1, shared: true}");
});

test("shared: the buffer is a SharedArrayBuffer of initial pages", ({ M, need }) => {
  need("shared");
  const m = new M({ initial: 1, maximum: 2, shared: true });
  assertBuffer(m.buffer, { pages: 1, shared: true }, "buffer");
  assertSame(m.buffer, m.buffer, "buffer === buffer");
});

test("shared: the buffer is frozen", ({ M, need }) => {
  need("shared");
  const b = new M({ initial: 1, maximum: 2, shared: true }).buffer;
  assert(Object.isFrozen(b), "not frozen");
  assert(!Object.isExtensible(b), "extensible");
});

test("shared: the buffer is an instance of the SharedArrayBuffer global", ({ M, need }) => {
  need("shared");
  need("sabGlobal");
  const b = new M({ initial: 1, maximum: 2, shared: true }).buffer;
  assert(b instanceof SharedArrayBuffer, "not instanceof SharedArrayBuffer");
});

test("shared: shared is converted with ToBoolean", ({ M, need }) => {
  need("shared");
  assert(isShared(new M({ initial: 0, maximum: 1, shared: 1 }).buffer), "shared: 1 made no shared memory");
  assert(!isShared(new M({ initial: 0, maximum: 1, shared: "" }).buffer), 'shared: "" made a shared memory');
  assert(!isShared(new M({ initial: 0, maximum: 1, shared: undefined }).buffer), "shared: undefined made a shared memory");
});

test("shared: grow keeps the old buffer", ({ M, need }) => {
  need("shared");
  const m = new M({ initial: 1, maximum: 3, shared: true });
  const old = m.buffer;
  assertSame(m.grow(1), 1, "grow(1)");
  const now = m.buffer;
  assert(now !== old, "the buffer object did not change");
  assertBuffer(old, { pages: 1, shared: true }, "old buffer");
  assertBuffer(now, { pages: 2, shared: true }, "new buffer");
  new Uint8Array(old)[5] = 9;
  assertSame(new Uint8Array(now)[5], 9, "a write through the old buffer seen by the new one");
  assert(Object.isFrozen(now), "new buffer not frozen");
});

test("shared: grow past the maximum is a RangeError", ({ M, need }) => {
  need("shared");
  const m = new M({ initial: 1, maximum: 2, shared: true });
  const b = m.buffer;
  assertThrows(RangeError, () => m.grow(2), "grow(2)");
  assertSame(m.buffer, b, "buffer after the refused grow");
});

test("shared: Atomics work on the buffer", ({ M, need }) => {
  need("shared");
  const m = new M({ initial: 1, maximum: 1, shared: true });
  const a = new Int32Array(m.buffer);
  assertSame(Atomics.add(a, 3, 5), 0, "Atomics.add");
  assertSame(Atomics.load(a, 3), 5, "Atomics.load");
  assertSame(Atomics.notify(a, 3, 1), 0, "Atomics.notify with no waiter");
});

// ---- type reflection

function needType({ M, native, f }) {
  if (native && !f.type) skip("the engine has no type()");
  const d = findProperty(M.prototype, "type");
  assert(d !== undefined && typeof d.value === "function", "no type() method");
  return d.value;
}

test("type: is a method of length 0", (t) => {
  const type = needType(t);
  assertSame(type.length, 0, "type.length");
  assertSame(type.name, "type", "type.name");
});

test("type: rejects non-memories", (t) => {
  const type = needType(t);
  for (const v of notMemories(t.M)) assertThrows(TypeError, () => type.call(v), `this=${show(v)}`);
});

test("type: {address, minimum, shared}", (t) => {
  needType(t);
  const ty = new t.M({ initial: 1 }).type();
  assertList(Object.keys(ty), ["address", "minimum", "shared"], "keys");
  assertSame(ty.address, "i32", "address");
  assertSame(ty.minimum, 1, "minimum");
  assertSame(ty.shared, false, "shared");
});

test("type: with maximum, in dictionary order", (t) => {
  needType(t);
  const ty = new t.M({ initial: 1, maximum: 5 }).type();
  assertList(Object.keys(ty), ["address", "maximum", "minimum", "shared"], "keys");
  assertSame(ty.maximum, 5, "maximum");
  assertSame(ty.minimum, 1, "minimum");
});

test("type: minimum is the current size", (t) => {
  needType(t);
  const m = new t.M({ initial: 1, maximum: 5 });
  m.grow(2);
  assertSame(m.type().minimum, 3, "minimum after grow(2)");
});

test("type: a shared memory says shared", (t) => {
  needType(t);
  t.need("shared");
  const ty = new t.M({ initial: 1, maximum: 2, shared: true }).type();
  assertSame(ty.shared, true, "shared");
  assertSame(ty.maximum, 2, "maximum");
});

test("type: a fresh plain object each call", (t) => {
  needType(t);
  const m = new t.M({ initial: 1 });
  const a = m.type();
  const b = m.type();
  assert(a !== b, "the same object twice");
  assertSame(Object.getPrototypeOf(a), Object.prototype, "prototype");
  a.minimum = 99;
  assertSame(m.type().minimum, 1, "minimum after mutating an earlier result");
});

test("type: an i64 memory says address i64", (t) => {
  needType(t);
  t.need("memory64");
  const ty = new t.M({ address: "i64", initial: 1n, maximum: 3n }).type();
  assertSame(ty.address, "i64", "address");
  // biome-ignore lint/suspicious/noDoubleEquals: a BigInt (i64) or a Number, compared by value
  assert(ty.minimum == 1 && ty.maximum == 3, `limits: ${show(ty.minimum)}..${show(ty.maximum)}`);
});

// ---- memory64

test("i64: zero and non-zero initial", ({ M, need }) => {
  need("memory64");
  assertBuffer(new M({ address: "i64", initial: 0n }).buffer, { pages: 0 }, "initial 0n");
  assertBuffer(new M({ address: "i64", initial: 4n }).buffer, { pages: 4 }, "initial 4n");
});

test("i64: initial is converted with ToBigInt", ({ M, need }) => {
  need("memory64");
  assertBuffer(new M({ address: "i64", initial: "3" }).buffer, { pages: 3 }, 'initial "3"');
  assertBuffer(new M({ address: "i64", initial: true }).buffer, { pages: 1 }, "initial true");
});

for (const [label, v] of [
  ["-1n", -1n],
  ["2^64", 2n ** 64n],
]) {
  test(`i64: initial ${label} is a TypeError`, ({ M, need }) => {
    need("memory64");
    assertThrows(TypeError, () => new M({ address: "i64", initial: v }), `initial ${label}`);
  });
  test(`i64: maximum ${label} is a TypeError`, ({ M, need }) => {
    need("memory64");
    assertThrows(TypeError, () => new M({ address: "i64", initial: 0n, maximum: v }), `maximum ${label}`);
  });
}

test("i64: initial above maximum is a RangeError", ({ M, need }) => {
  need("memory64");
  assertThrows(RangeError, () => new M({ address: "i64", initial: 10n, maximum: 9n }), "{initial: 10n, maximum: 9n}");
});

test("i64: grow takes and returns BigInts", ({ M, need }) => {
  need("memory64");
  const m = new M({ address: "i64", initial: 3n });
  const old = m.buffer;
  assertSame(m.grow(2n), 3n, "grow(2n)");
  assertDetached(old, "old buffer");
  assertBuffer(m.buffer, { pages: 5 }, "buffer");
});

test("i64: grow up to the maximum, twice", ({ M, need }) => {
  need("memory64");
  const m = new M({ address: "i64", initial: 0n, maximum: 2n });
  assertSame(m.grow(1n), 0n, "first grow");
  assertSame(m.grow(1n), 1n, "second grow");
  assertBuffer(m.buffer, { pages: 2 }, "buffer");
  assertThrows(RangeError, () => m.grow(1n), "past the maximum");
});

for (const [label, v] of [
  ["-1n", -1n],
  ["2^64", 2n ** 64n],
  ['"0x10000000000000000"', "0x10000000000000000"],
]) {
  test(`i64: grow delta ${label} is a TypeError`, ({ M, need }) => {
    need("memory64");
    const m = new M({ address: "i64", initial: 0n });
    assertThrows(TypeError, () => m.grow(v), `grow(${label})`);
  });
}

test("i64: initial over the runtime limit: RangeError", ({ M, need }) => {
  need("memory64");
  assertThrows(RangeError, () => new M({ address: "i64", initial: 262145n }), "initial 262145n");
});

test("i64: maximum over 2^37-1 pages: RangeError", ({ M, need }) => {
  need("memory64");
  assertThrows(RangeError, () => new M({ address: "i64", initial: 0n, maximum: 2n ** 37n }), "maximum 2^37n");
});

test("i64: maximum 2^37-1 pages is allowed", ({ M, need }) => {
  need("memory64");
  assertBuffer(new M({ address: "i64", initial: 0n, maximum: 2n ** 37n - 1n }).buffer, { pages: 0 }, "buffer");
});

test("i64: no engine memory64: clear RangeError", ({ M, f, native }) => {
  if (f.memory64) skip("the engine has memory64");
  if (native) skip('the engine\'s JS API has no memory64 (what it does with address "i64" is its own)');
  const e = assertThrows(RangeError, () => new M({ address: "i64", initial: 1n }), '{address: "i64", initial: 1n}');
  assert(/memory64|i64|64-bit/i.test(String(e.message)), `message doesn't say why: ${show(e.message)}`);
});

// ---- resizable buffers (toResizableBuffer / toFixedLengthBuffer)

test("resizable: no maximum: TypeError", ({ M, need }) => {
  need("resizable");
  const m = new M({ initial: 1 });
  const b = m.buffer;
  assertThrows(TypeError, () => m.toResizableBuffer(), "toResizableBuffer()");
  assertSame(m.buffer, b, "buffer after");
});

test("resizable: toResizableBuffer() swaps in a resizable buffer", ({ M, need }) => {
  need("resizable");
  const m = new M({ initial: 1, maximum: 4 });
  const fixed = m.buffer;
  const r = m.toResizableBuffer();
  assertDetached(fixed, "the fixed buffer");
  assertSame(r.resizable, true, "resizable");
  assertSame(r.maxByteLength, 4 * PAGE, "maxByteLength");
  assertSame(m.buffer, r, "buffer");
  assertSame(m.toResizableBuffer(), r, "a second call");
});

test("resizable: resize() grows the memory by whole pages", ({ M, need }) => {
  need("resizable");
  const m = new M({ initial: 1, maximum: 4 });
  const r = m.toResizableBuffer();
  r.resize(3 * PAGE);
  assertSame(m.buffer, r, "same buffer");
  assertSame(r.byteLength, 3 * PAGE, "byteLength");
  assertSame(m.grow(0), 3, "size seen by grow(0)");
  assertThrows(RangeError, () => r.resize(3 * PAGE + 1), "resize to a non-page multiple");
  assertThrows(RangeError, () => r.resize(PAGE), "shrink");
});

test("resizable: grow keeps a resizable buffer and lengthens it", ({ M, need }) => {
  need("resizable");
  const m = new M({ initial: 1, maximum: 4 });
  const r = m.toResizableBuffer();
  assertSame(m.grow(1), 1, "grow(1)");
  assertSame(m.buffer, r, "same buffer");
  assertSame(r.byteLength, 2 * PAGE, "byteLength");
});

test("resizable: toFixedLengthBuffer() swaps back", ({ M, need }) => {
  need("resizable");
  const m = new M({ initial: 1, maximum: 4 });
  const fixed0 = m.buffer;
  assertSame(m.toFixedLengthBuffer(), fixed0, "already fixed: the same buffer");
  const r = m.toResizableBuffer();
  const fixed = m.toFixedLengthBuffer();
  assertDetached(r, "the resizable buffer");
  assertSame(fixed.resizable, false, "resizable");
  assertSame(m.buffer, fixed, "buffer");
  assertBuffer(fixed, { pages: 1 }, "fixed buffer");
});

// ---------------------------------------------------------------- running

export const caseNames = () => cases.map((c) => c.name);

/** Lets the event loop turn, so each case runs in its own task (weak references made in one
 * task keep their targets alive until it ends; engines also collect dropped memories between). */
const nextTask = () =>
  new Promise((resolve) => {
    if (typeof MessageChannel === "function") {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(0);
    } else {
      setTimeout(resolve, 0);
    }
  });

/**
 * Runs every case against `M`.
 * @param {Function} M the constructor under test
 * @param {{ features: ReturnType<typeof detectFeatures>, native: boolean, only?: (name: string) => boolean }} options
 * @returns {Promise<{ name: string, status: "pass" | "fail" | "skip", message: string }[]>}
 */
export async function runConformance(M, { features, native, only = () => true }) {
  const results = [];
  const need = (feature) => {
    if (!features[feature]) skip(needs[feature] ?? `no ${feature}`);
  };
  for (const c of cases) {
    if (!only(c.name)) continue;
    await nextTask();
    let status = "pass";
    let message = "";
    try {
      c.fn({ M, f: features, native, need });
    } catch (e) {
      if (e instanceof Skip) {
        status = "skip";
        message = `skipped: ${e.reason}`;
      } else {
        status = "fail";
        message = e instanceof AssertionFailed ? e.message : `threw ${errorName(e)}: ${String(e?.message ?? e)}`;
      }
    }
    results.push({ name: c.name, status, message });
  }
  return results;
}
