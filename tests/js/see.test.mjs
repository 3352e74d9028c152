// Issue #14 in Node, through the built package: what defined each memory (`definedBy`), how many
// live instances hold it (`instances`), DevTools marks (`setMarks`) and `format()`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const { Memory, install, ledger } = await import("../../pkg/node.js");
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}.wasm`, import.meta.url));
const record = (memory) => ledger.snapshot().memories.find((r) => r.id === ledger.idOf(memory));

// ---- wasm bytes, assembled here so that the name can only come from the section we write ----
const leb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const str = (s) => {
  const b = [...new TextEncoder().encode(s)];
  return [...leb(b.length), ...b];
};
const section = (id, body) => [id, ...leb(body.length), ...body];
/**
 * A module that defines a 1-page memory and exports it as "memory", with a "name" section
 * holding `name` (subsection 0) and/or one function name (subsection 1), or no name section.
 */
function moduleBytes({ name, functionName } = {}) {
  const types = section(1, [1, 0x60, 0, 0]); // one type: [] -> []
  const funcs = section(3, [1, 0]);
  const memory = section(5, [1, 0x00, 1]); // one memory, no maximum, 1 page
  const exports = section(7, [1, ...str("memory"), 2, 0]);
  const code = section(10, [1, 2, 0, 0x0b]); // an empty body
  let names = [];
  if (name !== undefined || functionName !== undefined) {
    const sub0 = name === undefined ? [] : section(0, str(name));
    const sub1 = functionName === undefined ? [] : section(1, [1, 0, ...str(functionName)]);
    names = section(0, [...str("name"), ...sub0, ...sub1]);
  }
  return new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, ...types, ...funcs, ...memory, ...exports, ...code, ...names]);
}

/** Serves `bytes` as application/wasm at http://127.0.0.1:PORT/<path> until `close()`. */
async function serve(bytes) {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/wasm" });
    res.end(bytes);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

const tick = () => new Promise((r) => setTimeout(r, 10));
/** Collects garbage until `done()` (FinalizationRegistry callbacks run in later tasks). */
async function collectUntil(done) {
  assert.equal(typeof globalThis.gc, "function", "run with node --expose-gc");
  for (let i = 0; i < 100 && !done(); i++) {
    await tick();
    globalThis.gc();
    await tick();
  }
  return done();
}

test("definedBy: the module name from the wasm name section", async () => {
  const off = install();
  try {
    for (const name of ["codec", "zstd décodeur"]) {
      const { instance } = await WebAssembly.instantiate(moduleBytes({ name, functionName: "main" }));
      assert.equal(record(instance.exports.memory).definedBy, name);
    }
    // The same module through compile + new Instance, and new Module.
    const module = await WebAssembly.compile(moduleBytes({ name: "compiled" }));
    assert.equal(record(new WebAssembly.Instance(module).exports.memory).definedBy, "compiled");
    const sync = new WebAssembly.Module(moduleBytes({ name: "sync" }));
    assert.equal(record(new WebAssembly.Instance(sync).exports.memory).definedBy, "sync");
  } finally {
    off();
  }
});

test("definedBy: null without a module name (no name section, or function names only), and for a constructed memory", async () => {
  const off = install();
  try {
    for (const bytes of [moduleBytes(), moduleBytes({ functionName: "main" }), fixture("exporter")]) {
      const { instance } = await WebAssembly.instantiate(bytes);
      const r = record(instance.exports.memory);
      assert.equal(r.origin, "exported");
      assert.equal(r.definedBy, null);
    }
    assert.equal(record(new Memory({ initial: 1 })).definedBy, null);
    assert.equal(record(new WebAssembly.Memory({ initial: 1 })).definedBy, null);
  } finally {
    off();
  }
});

test("definedBy: a streamed module without a name gives its URL; a name wins over the URL; with and without a hard budget", async () => {
  const bare = await serve(moduleBytes());
  const named = await serve(moduleBytes({ name: "streamed" }));
  const off = install();
  try {
    for (const budget of [null, { totalPages: 100000, mode: "hard" }]) {
      ledger.setBudget(budget);
      const a = await WebAssembly.instantiateStreaming(fetch(`${bare.base}/lib/a.wasm?v=1`));
      const ra = record(a.instance.exports.memory);
      assert.equal(ra.definedBy, `${bare.base}/lib/a.wasm?v=1`);
      assert.equal(ra.bounded, budget !== null, "the hard-budget path (which reads the Response itself) was taken");
      const module = await WebAssembly.compileStreaming(fetch(`${bare.base}/b.wasm`));
      assert.equal(record(new WebAssembly.Instance(module).exports.memory).definedBy, `${bare.base}/b.wasm`);
      const n = await WebAssembly.instantiateStreaming(fetch(`${named.base}/c.wasm`));
      assert.equal(record(n.instance.exports.memory).definedBy, "streamed");
    }
  } finally {
    ledger.setBudget(null);
    off();
    await bare.close();
    await named.close();
  }
});

test("instances: counted per live instance that imports or exports the memory, weakly", async () => {
  const off = install();
  try {
    const memory = new Memory({ initial: 1, maximum: 10 }, { label: "shared input" });
    assert.equal(record(memory).instances, 0);
    const module = new WebAssembly.Module(fixture("memory")); // imports js.mem
    let held = [new WebAssembly.Instance(module, { js: { mem: memory } }), await WebAssembly.instantiate(module, { js: { mem: memory } })];
    held.push((await WebAssembly.instantiate(fixture("memory"), { js: { mem: memory } })).instance);
    assert.equal(record(memory).instances, 3);
    assert.equal(held[2].exports.accumulate(0, 0), 0);
    // An exported memory: its own instance counts.
    let exporter = (await WebAssembly.instantiate(fixture("exporter"))).instance;
    const exported = exporter.exports.memory;
    assert.equal(record(exported).instances, 1);
    // Forgotten instances: collected, they no longer count, while the memories stay ledgered.
    held = null;
    exporter = null;
    const gone = await collectUntil(() => record(memory).instances === 0 && record(exported).instances === 0);
    assert.ok(gone, `instances after gc: ${record(memory).instances}, ${record(exported).instances}`);
    assert.ok(ledger.idOf(memory) >= 0 && ledger.idOf(exported) >= 0);
  } finally {
    off();
  }
});

test("instances: an import behind a getter is not read again (the getter runs once, as natively)", async () => {
  const off = install();
  try {
    const memory = new Memory({ initial: 1, maximum: 10 });
    let reads = 0;
    const js = {
      get mem() {
        reads++;
        return memory;
      },
    };
    const { instance } = await WebAssembly.instantiate(fixture("memory"), { js });
    assert.equal(reads, 1);
    assert.equal(record(memory).instances, 0, "not counted: its value was behind a getter");
    assert.equal(instance.exports.accumulate(0, 0), 0);
  } finally {
    off();
  }
});

test("setMarks(true): every ledger event is also a performance mark with the event as detail; off by default", () => {
  performance.clearMarks();
  const quiet = new Memory({ initial: 1 });
  quiet.grow(1);
  assert.equal(performance.getEntriesByType("mark").length, 0, "no marks by default");
  ledger.setMarks(true);
  try {
    const m = new Memory({ initial: 1, maximum: 8 });
    m.grow(2);
    const id = ledger.idOf(m);
    const create = performance.getEntriesByName("wasm-memory:create", "mark");
    const grow = performance.getEntriesByName("wasm-memory:grow", "mark");
    assert.deepEqual(
      create.map((e) => e.detail),
      [{ type: "create", id, pages: 1 }],
    );
    assert.deepEqual(
      grow.map((e) => e.detail),
      [{ type: "grow", id, from: 1, to: 3, source: "js" }],
    );
    // Listeners still get their events alongside the marks.
    const heard = [];
    const off = ledger.on("grow", (e) => heard.push(e.to));
    m.grow(1);
    off();
    assert.deepEqual(heard, [4]);
    assert.equal(performance.getEntriesByName("wasm-memory:grow", "mark").length, 2);
  } finally {
    ledger.setMarks(false);
  }
  new Memory({ initial: 1 }).grow(1);
  assert.equal(performance.getEntriesByType("mark").length, 3, "no new marks once off");
  performance.clearMarks();
});

test("format(): a plain-text table of the live memories, then the totals and the budget", async () => {
  const off = install();
  try {
    const m = new Memory({ initial: 2, maximum: 9 }, { label: "format me\nplease" });
    m.grow(1);
    const { instance } = await WebAssembly.instantiate(moduleBytes({ name: "x".repeat(40) }));
    ledger.setBudget({ totalPages: 5000, memories: 900, mode: "soft" });
    const text = ledger.format();
    const lines = text.trimEnd().split("\n");
    assert.deepEqual(lines[0].split(/\s+/), ["id", "label", "definedBy", "pages", "peak", "grows", "maximum", "reserved", "origin"]);
    const row = (mem) => lines.find((l) => l.trimStart().startsWith(`${ledger.idOf(mem)} `));
    // The reservation: what the engine's profile says a memory reserves ("-": unknown).
    const reserved = /^\d+(\.\d\d)? [KMGT]i?B$|^-$/;
    const cells = (mem) => row(mem).trim().split(/ {2,}/);
    assert.match(row(m), /^\s*\d+ {2}format me please {2}- +3 +3 +1 +9 +(\S+ \S+|-) {2}constructed$/);
    assert.match(cells(m).at(-2), reserved);
    assert.match(row(instance.exports.memory), new RegExp(`  ${"x".repeat(31)}… +1 +1 +0 +- +(\\S+ \\S+|-) {2}exported$`));
    // Numbers are right-aligned under their header.
    assert.equal(row(m).indexOf(" 3 ") + 2, lines[0].indexOf("pages") + "pages".length);
    const s = ledger.snapshot();
    assert.equal(
      lines.at(-3),
      `${s.live} live memories, ${s.livePages} pages (${s.liveBytes} bytes); peak ${s.peakTotalPages} pages; ${s.created} created, ${s.collected} collected`,
    );
    assert.match(lines.at(-2), /^reserved (\S+ \S+|-); headroom (\d+ memories \(\S+ \S+\)|unknown)$/);
    assert.equal(lines.at(-1), "budget (soft): totalPages 5000 memories 900");
    assert.equal(lines.length, 1 + s.live + 3);
    ledger.setBudget(null);
    assert.ok(ledger.format().endsWith("\nbudget: none\n"));
  } finally {
    ledger.setBudget(null);
    off();
  }
});
