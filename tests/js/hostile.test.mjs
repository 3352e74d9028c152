// Hostile input, in Node against the built package: every public call interrupted by a stack
// overflow at every depth, built-ins patched after load, setters on Object.prototype and
// Array.prototype, Proxy newTargets and re-entrant listeners. Each must leave the package
// working, the ledger exact and every budget held. (tests/hostile/run.mjs runs the stack
// sweep in headless Chromium too.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { callsOn, sweep, ledgerExact } from "../hostile/sweep.mjs";

const { Memory, install, ledger } = await import("../../pkg/node.js");
const bytes = readFileSync(new URL("../fixtures/memory.wasm", import.meta.url));
const module = new WebAssembly.Module(bytes);

const held = [];
const push = Array.prototype.push;
const keep = (m) => (Reflect.apply(push, held, [m]), m);
const healthy = () => {
  const m = keep(new Memory({ initial: 1, maximum: 4 }, { label: "health" }));
  assert.equal(m.grow(1), 1);
  assert.deepEqual(m.type(), { address: "i32", maximum: 4, minimum: 2, shared: false });
  assert.deepEqual(ledgerExact(ledger, held), []);
  assert.equal(ledger.diagnostics().abandonedCalls, 0, "a call was abandoned while it held the core's state");
};

test("every public call, interrupted by a stack overflow at every depth, leaves the package working and the ledger exact", () => {
  const grower = keep(new Memory({ initial: 0 }));
  const ops = {
    "new Memory": () => keep(new Memory({ initial: 1 })),
    "new Memory with a label": () => keep(new Memory({ initial: 1, maximum: 2 }, { label: "swept" })),
    "new Memory, i64": () => keep(new Memory({ address: "i64", initial: 1n })),
    ...callsOn({ install, ledger }, grower),
  };
  let overflowed = 0;
  for (const [name, op] of Object.entries(ops)) {
    for (let round = 0; round < 3; round++) overflowed += sweep(op);
    assert.doesNotThrow(healthy, `after sweeping ${name}`);
  }
  ledger.setBudget(null);
  assert.ok(overflowed > 100, `the sweeps interrupted calls (${overflowed})`);
});

test("a hard budget holds, and the ledger stays exact, while construct and grow are interrupted at every depth under it", () => {
  const base = ledger.snapshot().livePages;
  ledger.setBudget({ totalPages: base + 40, mode: "hard" });
  const m = keep(new Memory({ initial: 0, maximum: 1000 }));
  sweep(() => keep(new Memory({ initial: 1 })), 400);
  sweep(() => m.grow(1), 400);
  const s = ledger.snapshot();
  assert.ok(s.livePages <= base + 40, `${s.livePages} pages live under a budget of ${base + 40}`);
  assert.deepEqual(ledgerExact(ledger, held), []);
  ledger.setBudget(null);
  healthy();
});

test("tens of thousands of interrupted calls leave the core's stack where it was (no slow leak into its data)", () => {
  const m = keep(new Memory({ initial: 0 }));
  // How many calls one sweep interrupts depends on how much stack the package uses near the
  // limit, so sweep until enough were (each leaked its frames before the fix: ~40 000 ran the
  // stack into the data).
  let overflowed = 0;
  for (let r = 0; r < 4000 && overflowed < 50_000; r++) overflowed += sweep(() => m.type(), 600) + sweep(() => ledger.snapshot(), 600);
  assert.ok(overflowed >= 50_000, `${overflowed} calls interrupted`);
  healthy();
});

test("a Proxy newTarget's prototype is read once, before the budget's check: nothing is made in its trap past a hard budget", () => {
  const base = ledger.snapshot().livePages;
  ledger.setBudget({ totalPages: base + 10, mode: "hard" });
  let reads = 0;
  const sneaky = [];
  const proxy = new Proxy(function () {}, {
    get(t, k) {
      if (k === "prototype") {
        reads++;
        try {
          sneaky.push(new WebAssembly.Memory({ initial: 9 }));
        } catch {}
        return Memory.prototype;
      }
      return Reflect.get(t, k);
    },
  });
  const off = install();
  try {
    const m = keep(Reflect.construct(WebAssembly.Memory, [{ initial: 9 }], proxy));
    assert.equal(Object.getPrototypeOf(m), Memory.prototype);
  } catch (e) {
    assert.ok(e instanceof RangeError, String(e));
  } finally {
    off();
  }
  assert.equal(reads, 1, "newTarget.prototype read once");
  const s = ledger.snapshot();
  assert.ok(s.livePages <= base + 10, `${s.livePages - base} pages made under a budget of 10`);
  ledger.setBudget(null);
  healthy();
});

test("listeners run after the operation: one that grows or constructs can't get past the check that already passed", () => {
  const base = ledger.snapshot().livePages;
  ledger.setBudget({ totalPages: base + 10, mode: "hard" });
  const m = keep(new Memory({ initial: 1, maximum: 100 }));
  let inListener = 0;
  const off = ledger.on("grow", () => {
    if (inListener++ > 20) return;
    try {
      m.grow(8);
    } catch {}
    try {
      keep(new Memory({ initial: 8 }));
    } catch {}
  });
  for (let i = 0; i < 5; i++) try { m.grow(8); } catch {}
  off();
  const s = ledger.snapshot();
  assert.ok(s.livePages <= base + 10, `${s.livePages - base} pages under a budget of 10`);
  assert.deepEqual(ledgerExact(ledger, held), []);
  ledger.setBudget(null);
});

test("setters on Object.prototype and Array.prototype neither drop nor see members of type(), snapshot(), events and budgets", () => {
  const m = keep(new Memory({ initial: 1, maximum: 3 }, { label: "proto" }));
  const seen = [];
  const names = ["address", "maximum", "minimum", "shared", "type", "id", "pages", "from", "to", "source", "budget", "mode", "totalPages", "live", "memories", "label"];
  const saved = names.map((k) => [k, Object.getOwnPropertyDescriptor(Object.prototype, k)]);
  const savedIndex = Object.getOwnPropertyDescriptor(Array.prototype, "0");
  for (const k of names) Object.defineProperty(Object.prototype, k, { set(v) { seen.push(k); }, get() { return undefined; }, configurable: true });
  Object.defineProperty(Array.prototype, "0", { set() { seen.push("[0]"); }, get() { return undefined; }, configurable: true });
  let events = 0, last, t, s, f;
  try {
    const off = ledger.on("grow", (e) => ((last = e), events++)); // (an array's push would meet the setter on [0])
    ledger.setBudget({ totalPages: 1e6, mode: "soft" });
    m.grow(1);
    t = m.type();
    s = ledger.snapshot();
    f = ledger.format();
    off();
  } finally {
    for (const [k, d] of saved) d ? Object.defineProperty(Object.prototype, k, d) : delete Object.prototype[k];
    savedIndex ? Object.defineProperty(Array.prototype, "0", savedIndex) : delete Array.prototype[0];
  }
  ledger.setBudget(null);
  assert.deepEqual(seen, []);
  assert.deepEqual({ ...t }, { address: "i32", maximum: 3, minimum: 2, shared: false });
  assert.equal(events, 1);
  assert.deepEqual({ ...last }, { type: "grow", id: ledger.idOf(m), from: 1, to: 2, source: "js" });
  assert.equal(s.budget.mode, "soft");
  assert.ok(Object.hasOwn(s.memories, 0) && s.memories.some((r) => r.label === "proto"));
  assert.match(f, /proto/);
});

test("built-ins patched after load (call, apply, WeakMap, Array and Map methods, JSON.parse) neither break the package nor change its results", () => {
  const m = keep(new Memory({ initial: 1, maximum: 4 }));
  const patches = [
    [Function.prototype, "call"], [Function.prototype, "apply"], [WeakMap.prototype, "get"], [WeakMap.prototype, "set"],
    [Array.prototype, "push"], [Array.prototype, "slice"], [Array.prototype, "sort"], [Map.prototype, "get"], [JSON, "parse"],
    [WeakRef.prototype, "deref"], [FinalizationRegistry.prototype, "register"], [String.prototype, "slice"],
  ];
  const saved = patches.map(([o, k]) => Object.getOwnPropertyDescriptor(o, k));
  let result;
  try {
    for (const [o, k] of patches) Object.defineProperty(o, k, { value() { throw new Error(`patched ${k}`); }, configurable: true, writable: true });
    const n = new Memory({ initial: 1 }, { label: "patched" });
    keep(n);
    result = { grew: m.grow(1), type: m.type(), live: ledger.snapshot().memories.some((r) => r.label === "patched"), format: ledger.format().includes("patched") };
  } finally {
    patches.forEach(([o, k], i) => Object.defineProperty(o, k, saved[i]));
  }
  assert.deepEqual(result, { grew: 1, type: { address: "i32", maximum: 4, minimum: 2, shared: false }, live: true, format: true });
  healthy();
});

test("a construction cut short at any depth leaves no record behind: once collected, the ledger holds exactly the memories still alive", async () => {
  assert.equal(typeof globalThis.gc, "function", "run with node --expose-gc");
  sweep(() => keep(new Memory({ initial: 1 })), 600);
  sweep(() => keep(new Memory({ initial: 1, maximum: 2 }, { label: "cut" })), 600);
  const tick = () => new Promise((r) => setTimeout(r, 20));
  let s;
  for (let i = 0; i < 50; i++) {
    await tick();
    globalThis.gc();
    await tick();
    s = ledger.snapshot();
    if (s.live === held.length) break;
  }
  assert.equal(s.live, held.length, `${s.live} records for ${held.length} live memories`);
  healthy();
});
