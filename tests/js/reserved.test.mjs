// Issue #21, items 1, 5 and 6, in Node through the built package: each record's `reserved`, the
// snapshot's `reservedBytes` and `headroom`, `ledger.headroom(type)`, the `reservedBytes` budget,
// and an allocation failure's message naming the model's expected limit. The counts themselves
// are checked against every engine by tests/limits/run.mjs; here, how the ledger reports them.
import { test } from "node:test";
import assert from "node:assert/strict";

const { Memory, ledger } = await import(new URL("../../pkg/node.js", import.meta.url));

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

test("an allocation failure's message names the model's expected limit", () => {
  const held = [];
  let error;
  const predicted = ledger.snapshot().headroom.memories;
  try {
    for (let i = 0; i < 30000; i++) held.push(new Memory({ initial: 1 }));
  } catch (e) {
    error = e;
  }
  const made = held.length;
  held.length = 0;
  assert.ok(error instanceof RangeError, String(error));
  assert.match(
    error.message,
    /; the reservation model \(measured on Node .*\): \d+ live memories of an expected limit of \d+, the polyfill's own heap among them\)$/,
  );
  // The engine's count within 5% of the prediction (tests/limits/run.mjs checks every engine).
  assert.ok(Math.abs(made - predicted) <= predicted * 0.05, `made ${made}, predicted ${predicted}`);
});
