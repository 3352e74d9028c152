// Issue #21, items 3 and 2, in Node through the built package: a bounded memory found at its
// budget clamp is reported (one `budget` event with `reached: true`, whoever notices: the
// watcher, a snapshot, a grow), a real program's included; and an engine's refusal for want of
// memory keeps its class and object and says what the ledger knows (message and `failure` event).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";

const pkgUrl = new URL("../../pkg/node.js", import.meta.url);
const { Memory, install, ledger } = await import(pkgUrl);
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}.wasm`, import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const grower = new WebAssembly.Module(fixture("grower"));

/** The `budget` events with `reached: true` heard from now on, and what stops hearing them. */
function hear() {
  const heard = [];
  const off = ledger.on("budget", (e) => e.reached && heard.push(e));
  return { heard, off };
}

async function until(check, ms = 3000) {
  for (const end = Date.now() + ms; Date.now() < end && !check(); ) await sleep(10);
}

test("growth inside wasm to the clamp is reported once, by the watcher", async () => {
  ledger.setBudget({ perMemoryPages: 4, mode: "hard" });
  const { heard, off } = hear();
  const stop = ledger.watch({ interval: 10 });
  try {
    const memory = new Memory({ initial: 1, maximum: 100 }, { label: "grown inside wasm" });
    const { grow } = new WebAssembly.Instance(grower, { js: { mem: memory } }).exports;
    assert.equal(grow(2), 1);
    await sleep(60);
    assert.deepEqual(heard, [], "below the clamp: nothing");
    assert.equal(grow(1), 3);
    assert.equal(grow(1), -1, "the engine refuses past the clamp");
    await until(() => heard.length > 0);
    assert.deepEqual(heard, [
      {
        type: "budget",
        id: ledger.idOf(memory),
        budget: "perMemoryPages",
        limit: 4,
        value: 4,
        refused: false,
        reached: true,
        label: "grown inside wasm",
        definedBy: null,
        maximum: 4,
        requestedMaximum: 100,
      },
    ]);
    ledger.snapshot();
    ledger.snapshot();
    assert.equal(grow(0), 4);
    await sleep(60);
    assert.equal(heard.length, 1, "once per memory: not again on later snapshots or ticks");
  } finally {
    stop();
    off();
    ledger.setBudget(null);
  }
});

test("a snapshot and a JS grow notice it too; a memory that asked for no maximum names none", () => {
  ledger.setBudget({ totalPages: ledger.snapshot().livePages + 6, mode: "hard" });
  const { heard, off } = hear();
  try {
    const inside = new Memory({ initial: 1 });
    const { grow } = new WebAssembly.Instance(grower, { js: { mem: inside } }).exports;
    assert.equal(grow(5), 1);
    assert.equal(heard.length, 0, "nobody has looked yet");
    ledger.snapshot();
    assert.equal(heard.length, 1, "the snapshot found it");
    assert.equal(heard[0].requestedMaximum, null);
    assert.equal(heard[0].maximum, 6);
    assert.equal(heard[0].budget, "totalPages");
    ledger.setBudget(null);
    ledger.setBudget({ perMemoryPages: 3, mode: "hard" });
    const js = new Memory({ initial: 1, maximum: 10 });
    js.grow(2);
    assert.equal(heard.length, 2, "a grow() through JS to the clamp");
    assert.equal(heard[1].id, ledger.idOf(js));
  } finally {
    off();
    ledger.setBudget(null);
  }
});

test("unbounded memories, memories below their clamp and at their own maximum are not reported", () => {
  const { heard, off } = hear();
  try {
    const free = new Memory({ initial: 1, maximum: 3 });
    free.grow(2); // at its own maximum, no budget
    ledger.setBudget({ perMemoryPages: 50, mode: "hard" });
    const own = new Memory({ initial: 1, maximum: 5 });
    own.grow(4); // its own maximum is below the budget's
    const below = new Memory({ initial: 1, maximum: 100 });
    below.grow(10); // clamped to 50, at 11
    ledger.setBudget({ perMemoryPages: 2, mode: "soft" });
    const soft = new Memory({ initial: 1, maximum: 100 });
    soft.grow(5); // soft budgets clamp nothing
    ledger.snapshot();
    assert.deepEqual(heard, []);
  } finally {
    off();
    ledger.setBudget(null);
  }
});

test("an engine's refusal for want of memory keeps its class and says what the ledger knows", () => {
  // A real allocation failure, cheaply: a child whose address space is capped (3 GB) and whose
  // memories reserve only what they hold (no trap handler, so no 10 GB guard regions), so a
  // grow or a construction of ~4 GB is refused by the engine; nothing is ever touched.
  const child = `
    const { Memory, ledger } = await import(${JSON.stringify(pkgUrl.href)});
    const failures = [], out = { failures };
    ledger.on("failure", (e) => failures.push(e));
    const small = new Memory({ initial: 1 }, { label: "small one" });
    const other = new Memory({ initial: 3 }, { label: "the largest" });
    const describe = (e) => ({ range: e instanceof RangeError, proto: Object.getPrototypeOf(e) === RangeError.prototype,
      message: e.message, stack: e.stack.split("\\n")[0] });
    try { small.grow(60000); out.grow = "grew"; } catch (e) { out.grow = describe(e); }
    try { out.made = new Memory({ initial: 60000 }); } catch (e) { out.construct = describe(e); }
    out.small = ledger.idOf(small);
    out.other = ledger.idOf(other);
    console.log(JSON.stringify(out));`;
  const text = execFileSync(
    "bash",
    ["-c", `ulimit -v 3000000; exec "${process.execPath}" --disable-wasm-trap-handler --input-type=module -e "$0"`, child],
    { encoding: "utf8", timeout: 60_000 },
  );
  const out = JSON.parse(text.trim().split("\n").pop());
  const facts = `(the ledger: 2 live memories, 4 pages in all, 2 held by no live instance (if unreachable, waiting for the garbage collector); the largest: "the largest" 3 pages, "small one" 1 page)`;
  assert.deepEqual(out.grow, {
    range: true,
    proto: true,
    message: `WebAssembly.Memory.grow(): Unable to grow instance memory ${facts}`,
    stack: `RangeError: WebAssembly.Memory.grow(): Unable to grow instance memory ${facts}`,
  });
  assert.equal(out.construct.range && out.construct.proto, true);
  assert.equal(out.construct.message, `WebAssembly.Memory(): could not allocate memory ${facts}`);
  const largest = [
    { id: out.other, label: "the largest", definedBy: null, pages: 3 },
    { id: out.small, label: "small one", definedBy: null, pages: 1 },
  ];
  assert.deepEqual(out.failures, [
    {
      type: "failure",
      id: out.small,
      operation: "grow",
      pages: 60000,
      live: 2,
      withoutInstance: 2,
      livePages: 4,
      largest,
      reservedBytes: null,
      expectedLimit: null,
    },
    {
      type: "failure",
      id: null,
      operation: "construct",
      pages: 60000,
      live: 2,
      withoutInstance: 2,
      livePages: 4,
      largest,
      reservedBytes: null,
      expectedLimit: null,
    },
  ]);
});

test("a real program (brotli-wasm) at its clamp: the watcher reports it before the program's own out-of-memory error", async () => {
  install();
  const require = createRequire(new URL("../programs/", import.meta.url));
  // wasm-bindgen's nodejs target compiles its module (which defines its memory: 28 pages, no
  // maximum) at require time: a fresh require is a fresh module, compiled under the budget then.
  const load = () => {
    for (const k of Object.keys(require.cache)) if (k.includes("brotli-wasm")) delete require.cache[k];
    return require("brotli-wasm");
  };
  const input = (n) => new Uint8Array(n).map((_, i) => (i * 2654435761) >>> 24);
  const work = input(256 << 10);
  // What a request of this program needs (its allocator is deterministic), measured unbudgeted.
  load().compress(work, { quality: 9 });
  const needs = ledger.snapshot().memories.reduce((a, m) => (m.id > a.id ? m : a)).pages;
  assert.ok(needs > 28, `the program grew its memory inside wasm (to ${needs} pages)`);
  // The same program under a hard budget of exactly that: its first request takes its memory to
  // the clamp, which the watcher reports, while it is idle; its next, larger request runs out.
  ledger.setBudget({ perMemoryPages: needs, mode: "hard" });
  const order = [];
  const off = ledger.on("budget", (e) => order.push(e.reached ? e : `budget ${e.budget}`));
  const stop = ledger.watch({ interval: 10 });
  try {
    const brotli = load();
    brotli.compress(work, { quality: 9 });
    await until(() => order.length > 0);
    try {
      brotli.compress(input(1 << 20), { quality: 9 });
      order.push("completed");
    } catch (e) {
      order.push(`error: ${e.message}`); // Rust's allocation failure: an abort, a wasm trap
    }
    assert.equal(order.length, 2, JSON.stringify(order));
    const [reached, error] = order;
    assert.match(error, /^error: unreachable/);
    const record = ledger.snapshot().memories.find((m) => m.id === reached.id);
    assert.deepEqual(reached, {
      type: "budget",
      id: record.id,
      budget: "perMemoryPages",
      limit: needs,
      value: needs,
      refused: false,
      reached: true,
      label: null,
      definedBy: null,
      maximum: needs,
      requestedMaximum: null,
    });
    assert.equal(record.origin, "exported");
    assert.equal(record.bounded, true);
    assert.equal(record.pages, needs);
  } finally {
    stop();
    off();
    ledger.setBudget(null);
  }
});
