// "Never break the app it is installed into" (the built package, pkg/, in Node): install() is
// all or nothing, captureStacks survives whatever the app does to Error, and a second copy of the
// package in one realm loads and shares the first one's ledger. Every scenario that changes a
// global runs in a Node process of its own, so none leaks into another.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PKG = fileURLToPath(new URL("../../pkg/", import.meta.url));
const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

// What every child starts with: the paths, and a snapshot of every property of WebAssembly, its
// members and their prototypes (descriptors, and whether each object is extensible).
const PRELUDE = `
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { readFileSync } from "node:fs";
const PKG = ${JSON.stringify(PKG)};
const load = (dir = PKG) => import(pathToFileURL(join(dir, "node.js")).href);
const wasm = (name) => readFileSync(join(${JSON.stringify(FIXTURES)}, name + ".wasm"));
const gopd = Reflect.getOwnPropertyDescriptor;
function snap(W = gopd(globalThis, "WebAssembly").value) {
  const objects = [["WebAssembly", W]];
  for (const k of Reflect.ownKeys(W)) {
    const v = gopd(W, k).value;
    if (typeof v !== "function" && (typeof v !== "object" || v === null)) continue;
    objects.push(["WebAssembly." + String(k), v]);
    const p = gopd(v, "prototype")?.value;
    if (typeof p === "object" && p !== null) objects.push(["WebAssembly." + String(k) + ".prototype", p]);
  }
  const out = new Map();
  for (const [name, o] of objects) {
    out.set(name + " (extensible)", Reflect.isExtensible(o));
    for (const k of Reflect.ownKeys(o)) out.set(name + "." + String(k), gopd(o, k));
  }
  return out;
}
/** Every difference between two snapshots, as text (none: []). */
function diff(a, b) {
  const out = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k), y = b.get(k);
    if (typeof x !== "object" || typeof y !== "object") {
      if (!Object.is(x, y)) out.push(k + ": " + String(x) + " -> " + String(y));
      continue;
    }
    for (const f of ["value", "get", "set", "writable", "enumerable", "configurable"]) {
      if (Object.hasOwn(x, f) !== Object.hasOwn(y, f) || !Object.is(x[f], y[f])) out.push(k + "." + f + " changed");
    }
  }
  return out;
}
const report = (o) => process.stdout.write(JSON.stringify(o));
`;

/**
 * Runs `body` (after PRELUDE) as an ES module in a new Node process; resolves with what it
 * reported (JSON on stdout). The process is always gone by the time this settles.
 */
function child(body) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--input-type=module", "-e", PRELUDE + body],
      { timeout: 60_000, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`child failed (${error.code ?? error.signal}): ${stderr || error.message}`));
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`child reported no JSON: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

// ---- 1. install() is all or nothing ----

/** A failed install() in a child: the error, and what changed (nothing, we expect). */
const refused = (lock, { before = "" } = {}) =>
  child(`
${before}
const { Memory, install, ledger } = await load();
const Native = WebAssembly.Memory;
${lock}
const snapBefore = snap();
let error;
try { install(); } catch (e) { error = e; }
const changes = diff(snapBefore, snap());
// the app still works: the ponyfill, the engine's own constructor, a module
const m = new Memory({ initial: 1 });
const grown = m.grow(1);
const native = new WebAssembly.Memory({ initial: 1 });
const { instance } = await WebAssembly.instantiate(wasm("exporter"));
report({
  name: error?.constructor?.name, message: error?.message, changes,
  still: WebAssembly.Memory === Native, grown, nativeIsNative: ledger.idOf(native) === undefined || ledger.idOf(native) < 0,
  exported: ledger.snapshot().memories.some((r) => r.origin === "exported"), instance: typeof instance.exports.memory,
});
`);

const locks = [
  ["a frozen WebAssembly", "Object.freeze(WebAssembly);", /^install\(\): WebAssembly\.\w+ can't be replaced \(WebAssembly is frozen\)/],
  ["a sealed WebAssembly", "Object.seal(WebAssembly);", /^install\(\): WebAssembly\.\w+ can't be replaced \(WebAssembly is sealed\)/],
  [
    "a non-extensible WebAssembly",
    "Object.preventExtensions(WebAssembly);",
    /^install\(\): WebAssembly\.\w+ can't be replaced \(WebAssembly is not extensible\)/,
  ],
  [
    "a frozen WebAssembly.Memory.prototype",
    "Object.freeze(WebAssembly.Memory.prototype);",
    /^install\(\): WebAssembly\.Memory\.prototype\.constructor can't be replaced \(WebAssembly\.Memory\.prototype is frozen\)/,
  ],
  [
    "a sealed WebAssembly.Memory.prototype",
    "Object.seal(WebAssembly.Memory.prototype);",
    /^install\(\): WebAssembly\.Memory\.prototype\.\w+ can't be replaced \(WebAssembly\.Memory\.prototype is sealed\)/,
  ],
  [
    "a frozen WebAssembly.Module.prototype",
    "Object.freeze(WebAssembly.Module.prototype);",
    /^install\(\): WebAssembly\.Module\.prototype\.constructor can't be replaced \(WebAssembly\.Module\.prototype is frozen\)/,
  ],
  [
    "a frozen WebAssembly.Instance.prototype",
    "Object.freeze(WebAssembly.Instance.prototype);",
    /^install\(\): WebAssembly\.Instance\.prototype\.constructor can't be replaced \(WebAssembly\.Instance\.prototype is frozen\)/,
  ],
  [
    "a non-configurable, non-writable WebAssembly.instantiateStreaming",
    'Object.defineProperty(WebAssembly, "instantiateStreaming", { writable: false, configurable: false });',
    /^install\(\): WebAssembly\.instantiateStreaming can't be replaced \(not configurable\)/,
  ],
  [
    "a non-configurable WebAssembly.Instance.prototype.constructor",
    'Object.defineProperty(WebAssembly.Instance.prototype, "constructor", { configurable: false });',
    /^install\(\): WebAssembly\.Instance\.prototype\.constructor can't be replaced \(not configurable\)/,
  ],
];
for (const [what, lock, message] of locks) {
  test(`install() on ${what}: a TypeError naming it, and nothing changed`, async () => {
    const r = await refused(lock);
    assert.equal(r.name, "TypeError");
    assert.match(r.message, message);
    assert.match(r.message, /nothing was changed$/);
    assert.deepEqual(r.changes, [], "every property of WebAssembly, its members and their prototypes as before");
    assert.equal(r.still, true, "WebAssembly.Memory is the engine's");
    assert.equal(r.grown, 1, "the ponyfill works");
    assert.equal(r.nativeIsNative, true, "the engine's constructor is not ours");
    assert.equal(r.exported, false, "no hook ran");
    assert.equal(r.instance, "object");
  });
}

test("a namespace frozen before the package loads (as SES's lockdown does): it loads, install() refuses, nothing changed", async () => {
  const r = await refused("", { before: "Object.freeze(WebAssembly); Object.freeze(WebAssembly.Memory.prototype);" });
  assert.equal(r.name, "TypeError");
  assert.match(r.message, /\(WebAssembly\.Memory\.prototype is frozen\)/);
  assert.deepEqual(r.changes, []);
  assert.equal(r.grown, 1);
});

test("a Proxy'd namespace whose defineProperty throws half-way: everything done is undone, its error rethrown", async () => {
  const r = await child(`
const { Memory, install, ledger } = await load();
const target = WebAssembly;
const snapBefore = snap(target);
const seen = [];
const boom = new Error("no Instance for you");
globalThis.WebAssembly = new Proxy(target, {
  defineProperty(t, k, d) { seen.push(String(k)); if (k === "Instance" && seen.filter((s) => s === "Instance").length === 1) throw boom; return Reflect.defineProperty(t, k, d); },
});
let error;
try { install(); } catch (e) { error = e; }
const changes = diff(snapBefore, snap(target));
const refusedFalse = (() => {
  // a trap that says no (false) instead of throwing: a TypeError naming the property
  globalThis.WebAssembly = new Proxy(target, { defineProperty: (t, k, d) => (k === "compileStreaming" ? false : Reflect.defineProperty(t, k, d)) });
  try { install(); return null; } catch (e) { return { name: e.constructor.name, message: e.message, changes: diff(snapBefore, snap(target)) }; }
})();
globalThis.WebAssembly = target;
// and once the namespace is plain again, install() works and uninstall restores it all
const off = install();
const ours = WebAssembly.Memory !== snapBefore.get("WebAssembly.Memory").value && ledger.idOf(new WebAssembly.Memory({ initial: 1 })) >= 0;
off();
report({ same: error === boom, seen, changes, refusedFalse, ours, afterUninstall: diff(snapBefore, snap()) });
`);
  assert.equal(r.same, true, "the trap's own error");
  assert.ok(
    r.seen.includes("Memory") && r.seen.includes("compile") && r.seen.includes("Module"),
    `changes were made before the failure: ${r.seen}`,
  );
  assert.deepEqual(r.changes, [], "and all undone");
  assert.equal(r.refusedFalse.name, "TypeError");
  assert.match(r.refusedFalse.message, /^install\(\): WebAssembly\.compileStreaming can't be replaced \(defineProperty refused\)/);
  assert.deepEqual(r.refusedFalse.changes, []);
  assert.equal(r.ours, true);
  assert.deepEqual(r.afterUninstall, []);
});

test("uninstall under an Object.prototype.get puts back data properties as data properties", async () => {
  const r = await child(`
const { install } = await load();
const snapBefore = snap();
const off = install();
let error;
Object.defineProperty(Object.prototype, "get", { value: function () { return 1; }, writable: true, enumerable: false, configurable: true });
try { off(); } catch (e) { error = e; } finally { delete Object.prototype.get; }
report({ error: error && String(error), changes: diff(snapBefore, snap()) });
`);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.changes, []);
});

test("install() under an Object.prototype.get: it works or refuses, and leaves no accessor behind either way", async () => {
  const r = await child(`
const { install, ledger } = await load();
const snapBefore = snap();
let error, installedChanges, ledgered;
Object.defineProperty(Object.prototype, "get", { value: function () { return 1; }, writable: true, enumerable: false, configurable: true });
try {
  const off = install();
  const d = gopd(WebAssembly, "Memory");
  installedChanges = { accessor: Object.hasOwn(d, "get"), writable: d.writable };
  ledgered = ledger.idOf(new WebAssembly.Memory({ initial: 1 })) >= 0;
  off();
} catch (e) { error = e; } finally { delete Object.prototype.get; }
report({ error: error && String(error), installedChanges, ledgered, changes: diff(snapBefore, snap()) });
`);
  if (r.error === undefined) {
    assert.deepEqual(r.installedChanges, { accessor: false, writable: true }, "WebAssembly.Memory stays a writable data property");
    assert.equal(r.ledgered, true);
  }
  assert.deepEqual(r.changes, [], `as before (${r.error ?? "installed and uninstalled"})`);
});

test("install() and uninstall: every property as before, byte for byte", async () => {
  const r = await child(`
const { install } = await load();
const snapBefore = snap();
const off = install();
const during = diff(snapBefore, snap());
off();
report({ during, after: diff(snapBefore, snap()) });
`);
  assert.ok(r.during.length > 0, "install() changed something");
  assert.deepEqual(r.after, []);
});

// ---- 2. captureStacks and a hostile Error ----

/** Memories made with captureStacks on: through the ponyfill (plain and under a soft budget) and the installed constructor. */
const withStacks = (hostile) =>
  child(`
const { Memory, install, ledger } = await load();
const describe = (d) => d === undefined ? "absent" : JSON.stringify(Object.fromEntries(["value", "writable", "enumerable", "configurable"].map((k) => [k, d[k]]))) + (d.get ? " get" : "") + (d.set ? " set" : "");
const saved = { p: gopd(Error, "prepareStackTrace"), l: gopd(Error, "stackTraceLimit") };
let calls = 0;
${hostile}
const hostileLimit = gopd(Error, "stackTraceLimit");
ledger.options({ captureStacks: true });
const made = [];
let error;
try {
  made.push(new Memory({ initial: 1 }));
  made.push(new Memory({ initial: 1 }, { label: "with options" }));
  ledger.setBudget({ totalPages: 1000, mode: "soft" });
  made.push(new Memory({ initial: 1 }));
  const off = install();
  made.push(new WebAssembly.Memory({ initial: 1 }));
  off();
} catch (e) { error = String(e); }
const limitAfter = gopd(Error, "stackTraceLimit");
const same = hostileLimit === undefined ? limitAfter === undefined
  : ["value", "get", "set", "writable", "enumerable", "configurable"].every((k) => Object.is(hostileLimit[k], limitAfter[k]));
const stacks = made.map((m) => ledger.snapshot().memories.find((r) => r.id === ledger.idOf(m))?.stack);
// put Error back before anything reports, then check the package still works
if (saved.p) Object.defineProperty(Error, "prepareStackTrace", saved.p); else delete Error.prepareStackTrace;
Object.defineProperty(Error, "stackTraceLimit", saved.l);
report({ error, made: made.length, stacks, same, limit: describe(limitAfter), calls, later: new Memory({ initial: 0 }).grow(0) });
`);

const hostiles = [
  ["Error.prepareStackTrace returns an object", "Error.prepareStackTrace = () => ({ not: 'a string' });", ""],
  ["Error.prepareStackTrace returns a number", "Error.prepareStackTrace = () => 42;", ""],
  ["Error.prepareStackTrace throws", "Error.prepareStackTrace = () => { calls++; throw new Error('boom'); };", ""],
  [
    "Error.prepareStackTrace is a getter that throws",
    "Object.defineProperty(Error, 'prepareStackTrace', { get() { calls++; throw new Error('getter'); }, configurable: true });",
    undefined,
  ],
  [
    "Error.prepareStackTrace changes Error.stackTraceLimit, then throws",
    "Error.prepareStackTrace = () => { Error.stackTraceLimit = 1; throw new Error('boom'); };",
    "",
  ],
  [
    "Error.prepareStackTrace makes it non-writable, then throws",
    "Error.prepareStackTrace = () => { Object.defineProperty(Error, 'stackTraceLimit', { value: 2, writable: false }); throw new Error('boom'); };",
    "",
  ],
  [
    "Error.stackTraceLimit is non-writable",
    "Object.defineProperty(Error, 'stackTraceLimit', { value: 30, writable: false, configurable: true });",
    undefined,
  ],
  [
    "Error.stackTraceLimit is non-writable and non-configurable",
    "Object.defineProperty(Error, 'stackTraceLimit', { value: 30, writable: false, configurable: false });",
    undefined,
  ],
  [
    "Error.stackTraceLimit is an accessor that throws",
    "Object.defineProperty(Error, 'stackTraceLimit', { get() { calls++; throw new Error('get'); }, set() { calls++; throw new Error('set'); }, configurable: true });",
    undefined,
  ],
  ["Error.stackTraceLimit is absent", "delete Error.stackTraceLimit;", undefined],
];
for (const [what, hostile, stack] of hostiles) {
  test(`captureStacks when ${what}: every construction works, the limit is as it was`, async (t) => {
    // a non-configurable limit can't be put back at the end of the child: it stays as locked
    const r = await withStacks(hostile.includes("configurable: false") ? hostile + "\nsaved.l = gopd(Error, 'stackTraceLimit');" : hostile);
    assert.equal(r.error, undefined);
    assert.equal(r.made, 4);
    assert.equal(r.same, true, `Error.stackTraceLimit as the app left it (now ${r.limit})`);
    for (const s of r.stacks) assert.equal(typeof s, "string", "each memory has a line (maybe empty)");
    if (stack !== undefined) assert.deepEqual(r.stacks, [stack, stack, stack, stack], "no stack to be had: an empty line");
    if (what.includes("accessor")) assert.equal(r.calls, 0, "the package runs none of the app's accessors");
    assert.equal(r.later, 0);
    t.diagnostic(`stacks: ${JSON.stringify(r.stacks)}`);
  });
}

test("captureStacks with the default Error: the caller's line, and the limit back at its value", async () => {
  const r = await withStacks("Error.stackTraceLimit = 3;");
  assert.equal(r.same, true);
  assert.match(r.limit, /"value":3/);
  for (const s of r.stacks) assert.match(s, /\[eval1\]|eval/, "the child's own line");
});

// ---- 3. Two copies of the package in one realm ----

const temp = mkdtempSync(join(tmpdir(), "wasm-memory-polyfill-copies-"));
after(() => rmSync(temp, { recursive: true, force: true }));
const copyA = join(temp, "a"),
  copyB = join(temp, "b");
cpSync(PKG, copyA, { recursive: true });
cpSync(PKG, copyB, { recursive: true });

test("two copies: the second loads under the first's install() and a tight hard budget, and shares its ledger", async () => {
  const r = await child(`
const A = await load(${JSON.stringify(copyA)});
const off = A.install();
A.ledger.setBudget({ totalPages: 6, mode: "hard" }); // less than either copy's own heap
const B = await load(${JSON.stringify(copyB)});
const refusedWith = (f) => { try { f(); return null; } catch (e) { return e.constructor.name; } };
const m = new B.Memory({ initial: 2 }, { label: "from B" });
const n = new A.Memory({ initial: 1 }, { label: "from A" });
const result = {
  sameApi: B.Memory === A.Memory && B.install === A.install && B.ledger === A.ledger,
  bType: m.type(), isMemory: m instanceof WebAssembly.Memory && n instanceof WebAssembly.Memory,
  overB: refusedWith(() => new B.Memory({ initial: 4 })),
  overA: refusedWith(() => new A.Memory({ initial: 4 })),
  overGlobal: refusedWith(() => new WebAssembly.Memory({ initial: 4 })),
  growOver: refusedWith(() => m.grow(4)),
  grow: m.grow(1),
  installAgain: B.install() === off,
};
// a module that defines its memory (2..10 pages): compiled with its maximum lowered to what is left
const { instance } = await WebAssembly.instantiate(wasm("exporter"));
result.wasmGrow = instance.exports.grow(1);
result.snapA = A.ledger.snapshot();
result.snapB = B.ledger.snapshot();
off();
report(result);
`);
  assert.equal(r.sameApi, true, "one ledger: the second copy's API is the first's");
  assert.equal(r.isMemory, true);
  assert.ok(r.bType.maximum <= 6, `clamped to the budget (${r.bType.maximum})`);
  assert.equal(r.overB, "RangeError");
  assert.equal(r.overA, "RangeError");
  assert.equal(r.overGlobal, "RangeError");
  assert.equal(r.growOver, "RangeError");
  assert.equal(r.grow, 2);
  assert.equal(r.installAgain, true, "install() from either is one install");
  assert.equal(r.wasmGrow, -1, "a module's own memory is held to the budget");
  assert.deepEqual(r.snapA, r.snapB, "the same snapshot from either copy");
  assert.equal(r.snapA.live, 3);
  assert.equal(r.snapA.livePages, 6);
  const byOrigin = r.snapA.memories.map((x) => `${x.origin}:${x.label}`).sort();
  assert.deepEqual(byOrigin, ["constructed:from A", "constructed:from B", "exported:null"], "neither copy's own heap is in it");
});

let protocol;
test("two copies: the registry is a locked global holding the engine's own functions", async () => {
  const r = await child(`
const Native = { Memory: WebAssembly.Memory, Instance: WebAssembly.Instance, instantiate: WebAssembly.instantiate };
const A = await load(${JSON.stringify(copyA)});
const d = gopd(globalThis, Symbol.for("wasm-memory-polyfill"));
const off = A.install();
const entry = d.value;
report({
  attrs: [d.writable, d.enumerable, d.configurable], frozen: Object.isFrozen(entry) && Object.isFrozen(entry.natives),
  natives: entry.natives.Memory === Native.Memory && entry.natives.Instance === Native.Instance && entry.natives.instantiate === Native.instantiate,
  installedIsOurs: WebAssembly.Memory !== Native.Memory,
  api: entry.api.ledger === A.ledger && entry.api.Memory === A.Memory, protocol: entry.protocol,
});
off();
`);
  assert.deepEqual(r.attrs, [false, false, false]);
  assert.equal(r.frozen, true);
  assert.equal(r.natives, true, "the natives captured before any install()");
  assert.equal(r.installedIsOurs, true);
  assert.equal(r.api, true);
  assert.equal(typeof r.protocol, "number");
  protocol = r.protocol;
});

/** A stand-in for a first copy that registered the engine's natives and `api` (source) under `protocol`. */
const standIn = (protocolSource, apiSource) => `
const W = WebAssembly;
const natives = Object.freeze(Object.assign(Object.create(null), Object.fromEntries(Object.getOwnPropertyNames(W).map((k) => [k, W[k]]))));
const fakeApi = ${apiSource};
Object.defineProperty(globalThis, Symbol.for("wasm-memory-polyfill"), { value: Object.freeze({ __proto__: null, protocol: ${protocolSource}, natives, api: fakeApi }) });
`;

test("a copy that can't share (another protocol) keeps its own ledger, and loads with the engine's own functions", async () => {
  // The stand-in then replaces every WebAssembly function with one that counts and refuses, as
  // hooks under a budget too tight for anything would.
  const r = await child(`${standIn("-1", "Object.freeze({})")}
let calls = 0;
const refuse = (name) => { calls++; throw new RangeError("refused by the other copy: " + name); };
for (const k of ["compile", "instantiate", "compileStreaming", "instantiateStreaming", "validate"]) W[k] = function () { refuse(k); };
for (const k of ["Memory", "Module", "Instance"]) {
  const F = function () { refuse(k); };
  F.prototype = natives[k].prototype;
  W[k] = F;
}
const B = await load(${JSON.stringify(copyB)});
const m = new B.Memory({ initial: 1, maximum: 3 });
const snap1 = B.ledger.snapshot();
B.ledger.setBudget({ totalPages: 2, mode: "hard" });
let over = null;
try { new B.Memory({ initial: 2 }); } catch (e) { over = e.constructor.name; }
report({
  calls, grow: m.grow(1), type: m.type(), native: Object.getPrototypeOf(B.Memory.prototype) === natives.Memory.prototype,
  live: snap1.live, origins: snap1.memories.map((r) => r.origin), over, own: B.ledger !== fakeApi.ledger,
});
`);
  assert.equal(r.calls, 0, "neither its glue nor its engine.js called the replaced functions");
  assert.equal(r.grow, 1);
  assert.deepEqual(r.type, { address: "i32", maximum: 3, minimum: 2, shared: false });
  assert.equal(r.native, true);
  assert.equal(r.own, true);
  assert.equal(r.live, 1, "its own ledger: its memory, not its heap");
  assert.deepEqual(r.origins, ["constructed"]);
  assert.equal(r.over, "RangeError");
});

test("a first copy of the same protocol whose ledger lacks a member: the later copy keeps its own API", async () => {
  assert.equal(typeof protocol, "number", "the registry test ran first");
  const r =
    await child(`${standIn(String(protocol), "Object.freeze({ Memory: function Memory() {}, install() {}, ledger: Object.freeze({ snapshot() {} }) })")}
const B = await load(${JSON.stringify(copyB)});
const m = new B.Memory({ initial: 1 });
report({ own: B.ledger !== fakeApi.ledger && B.Memory !== fakeApi.Memory, live: B.ledger.snapshot().live, grow: m.grow(1) });
`);
  assert.deepEqual(r, { own: true, live: 1, grow: 1 });
});
