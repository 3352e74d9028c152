// Issue #21, items 1, 5 and 6, in Node through the built package: each record's `reserved`, the
// snapshot's `reservedBytes` and `headroom`, `ledger.headroom(type)`, the `reservedBytes` budget,
// and an allocation failure's message naming the model's expected limit. The counts themselves
// are checked against every engine by tests/limits/run.mjs; here, how the ledger reports them.
import { test } from "node:test";
import assert from "node:assert/strict";

import { readFileSync } from "node:fs";

const { Memory, install, ledger } = await import(new URL("../../pkg/node.js", import.meta.url));

const GIB = 2 ** 30;
// The profile this Node's V8 has (see crates/core/src/reserve.rs).
const v8 = process.versions.v8.split(".").map(Number);
const each = v8[0] * 100 + v8[1] >= 1306 ? 8 * GIB : 10 * GIB;

test("reserved, reservedBytes and headroom follow the live memories", () => {
  const before = ledger.snapshot();
  assert.equal(typeof before.reservedBytes, "number");
  assert.ok(before.headroom.memories > 1000, JSON.stringify(before.headroom));
  const a = new Memory({ initial: 1 }),
    b = new Memory({ initial: 1, maximum: 4, shared: true });
  const s = ledger.snapshot();
  const mine = s.memories.filter((m) => m.id === ledger.idOf(a) || m.id === ledger.idOf(b));
  assert.deepEqual(
    mine.map((m) => m.reserved),
    [each, each],
  );
  assert.equal(s.reservedBytes, before.reservedBytes + 2 * each);
  assert.equal(s.headroom.memories, before.headroom.memories - 2);
  assert.equal(s.headroom.bytes, before.headroom.bytes - 2 * each);
  assert.deepEqual(ledger.headroom(), s.headroom);
  assert.deepEqual(ledger.headroom({ shared: true, maximum: 10 }), s.headroom);
  const i64 = ledger.headroom({ address: "i64" });
  if (each === 8 * GIB) assert.equal(i64.memories, Math.floor(s.headroom.bytes / (16 * GIB)));
  else assert.equal(i64, null); // V8 before 13.6 has no memory64
  assert.match(ledger.format(), /\nreserved \d+(\.\d\d)? [KMGT]iB; headroom \d+ memories \(\S+ TiB\)\n/);
  assert.ok(a && b);
});

test("setBudget({ reservedBytes }): hard refuses with a RangeError naming it, soft reports", () => {
  const heard = [];
  const off = ledger.on("budget", (e) => heard.push(e));
  try {
    const now = ledger.snapshot().reservedBytes;
    ledger.setBudget({ reservedBytes: now + each });
    assert.equal(ledger.snapshot().budget.reservedBytes, now + each);
    const fits = new Memory({ initial: 1 });
    assert.throws(
      () => new Memory({ initial: 1 }),
      (e) => e instanceof RangeError && /reservedBytes = \d+/.test(e.message) && e.message.includes(String(now + each)),
    );
    assert.equal(heard.length, 1);
    assert.deepEqual(
      { ...heard[0] },
      { type: "budget", id: null, budget: "reservedBytes", limit: now + each, value: now + 2 * each, refused: true },
    );
    ledger.setBudget({ reservedBytes: now + each, mode: "soft" });
    const passes = new Memory({ initial: 1 });
    assert.equal(heard.length, 2);
    assert.equal(heard[1].refused, false);
    assert.match(ledger.format(), /\nbudget \(soft\): reservedBytes \d+\n$/);
    assert.ok(fits && passes);
  } finally {
    off();
    ledger.setBudget(null);
  }
  assert.equal(ledger.snapshot().budget, null);
});

test("a hard reservedBytes budget refuses, under install(), a module whose memory would pass it, when it is compiled", async () => {
  // exporter.wasm defines (and exports) a memory of 2 pages: one more reservation.
  const bytes = readFileSync(new URL("../fixtures/exporter.wasm", import.meta.url));
  const heard = [];
  const off = ledger.on("budget", (e) => heard.push(e));
  const uninstall = install();
  try {
    const now = ledger.snapshot().reservedBytes;
    ledger.setBudget({ reservedBytes: now + each - 1, mode: "hard" });
    const refused = (e) => e instanceof RangeError && e.message.includes("reservedBytes") && e.message.includes(String(now + each - 1));
    assert.throws(() => new WebAssembly.Module(bytes), refused);
    await assert.rejects(WebAssembly.instantiate(bytes), refused);
    assert.deepEqual(
      heard.map((e) => [e.budget, e.refused, e.value]),
      [
        ["reservedBytes", true, now + each],
        ["reservedBytes", true, now + each],
      ],
    );
    // With room for it, the same module compiles and its memory is made and ledgered.
    ledger.setBudget({ reservedBytes: now + each, mode: "hard" });
    const { instance } = await WebAssembly.instantiate(bytes);
    assert.equal(ledger.snapshot().reservedBytes, now + each);
    assert.ok(ledger.idOf(instance.exports.memory) >= 0);
  } finally {
    uninstall();
    off();
    ledger.setBudget(null);
  }
});

test("a soft reservedBytes budget reports, under install(), an instance whose module's memory passes it; a module compiled before a hard one too", async () => {
  const bytes = readFileSync(new URL("../fixtures/exporter.wasm", import.meta.url));
  const heard = [];
  const off = ledger.on("budget", (e) => heard.push(e));
  const uninstall = install();
  try {
    const early = new WebAssembly.Module(bytes); // compiled before any budget: never refused
    const now = ledger.snapshot().reservedBytes;
    ledger.setBudget({ reservedBytes: now + each - 1, mode: "soft" });
    const { instance } = await WebAssembly.instantiate(bytes);
    assert.ok(ledger.idOf(instance.exports.memory) >= 0);
    assert.deepEqual(
      heard.map((e) => [e.budget, e.refused, e.limit, e.value]),
      [["reservedBytes", false, now + each - 1, now + each]],
    );
    ledger.setBudget({ reservedBytes: now + each, mode: "hard" });
    const late = new WebAssembly.Instance(early); // the engine makes it: reported, not refused
    assert.ok(ledger.idOf(late.exports.memory) >= 0);
    assert.deepEqual(
      heard.slice(1).map((e) => [e.budget, e.refused, e.value]),
      [["reservedBytes", false, now + 2 * each]],
    );
  } finally {
    uninstall();
    off();
    ledger.setBudget(null);
  }
});

test("an allocation failure's message and event name the model's expected limit and what is reserved", () => {
  const held = [];
  let error;
  const failures = [];
  const off = ledger.on("failure", (e) => failures.push(e));
  const predicted = ledger.snapshot().headroom.memories;
  try {
    for (let i = 0; i < 30000; i++) held.push(new Memory({ initial: 1 }));
  } catch (e) {
    error = e;
  }
  off();
  const made = held.length;
  const s = ledger.snapshot();
  held.length = 0;
  assert.ok(error instanceof RangeError, String(error));
  const words =
    /; the reservation model \(measured on Node .*\): (\d+) live memories of an expected limit of (\d+), the polyfill's own heap among them; (\d+) GiB reserved\)$/.exec(
      error.message,
    );
  assert.ok(words !== null, error.message);
  // The event carries the same as data: what the live memories made here reserve, and the limit.
  assert.equal(failures.length, 1);
  const [f] = failures;
  assert.equal(f.reservedBytes, s.reservedBytes);
  assert.equal(Number(words[3]), Math.floor(s.reservedBytes / GIB));
  assert.equal(f.expectedLimit, Number(words[2]));
  assert.equal(f.expectedLimit, s.live + 1 + s.headroom.memories - (s.live - f.live));
  // The engine's count within 5% of the prediction (tests/limits/run.mjs checks every engine).
  assert.ok(Math.abs(made - predicted) <= predicted * 0.05, `made ${made}, predicted ${predicted}`);
});
