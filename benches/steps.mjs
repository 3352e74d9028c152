// A per-step timing breakdown of the package's hot paths, for engines without a usable CPU
// profile here (browsers, Deno, Bun): each step that `new Memory()`, `grow()`, `buffer`,
// `new Instance` under install() and `ledger.snapshot()` take is timed on its own, in batches, by
// calling the package's own modules (rust.js, engine.js, tracking.js) the way they call each
// other: unbundled, from the source tree (which runs as it ships once scripts/build.sh has put
// the wasm in generated/; pkg/ ships them bundled into one file). `node benches/run.mjs --steps`
// runs it in every engine.
import { median } from "./cases.mjs";

/**
 * @param {(file: string) => Promise<any>} load imports a module of the source tree by its path from the tree's root
 * @param {{ log?: (line: string) => void, memories?: number }} [o]
 */
export async function runSteps(load, o = {}) {
  const log = o.log ?? (() => {});
  const { Memory, install, ledger } = await load(globalThis.document ? "js/index.js" : "js/node.js");
  const { rust, request, layout } = await load("src/js/rust.js");
  // The request rows, filled as memory.js and adopt.js fill them (right before the call).
  const create = (id, created) => {
    const r = request(),
      f = layout.requests.create;
    r[f.id] = id;
    r[f.is64] = 0;
    r[f.shared] = 0;
    r[f.created] = created;
  };
  const adopt = (id, created) => {
    const r = request(),
      f = layout.requests.adopt;
    r[f.id] = id;
    r[f.pages] = 2;
    r[f.shared] = 0;
    r[f.is64] = 0;
    r[f.maximum] = 10;
    r[f.requested] = 10;
    r[f.maximumKnown] = 1;
    r[f.bounded] = 0;
    r[f.created] = created;
    r[f.instances] = 1;
  };
  const engine = await load("src/js/engine.js");
  const tracking = await load("src/js/tracking.js");
  const NativeMemory = WebAssembly.Memory;
  const macrotask = () => new Promise((r) => setTimeout(r, 0));
  const out = [];

  /** ns per call of `f` (batch `n`, median of `rounds` tasks); `make`: f makes memories. */
  async function time(name, f, n, rounds = 25) {
    const t = [];
    for (let r = 0; r < rounds; r++) {
      await macrotask();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) f(i);
      t.push(((performance.now() - t0) / n) * 1e6);
    }
    const ns = median(t);
    out.push({ name, ns });
    log(`${name.padEnd(58)} ${ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(2)} µs`}`);
    return ns;
  }

  // ---- construction, step by step (batches of 20: browsers allow ~120 live memories)
  const d = { initial: 1 };
  await time("construct: native new WebAssembly.Memory", () => new NativeMemory({ initial: 1 }), 20);
  await time("construct: polyfill new Memory (all steps)", () => new Memory({ initial: 1 }), 20);
  await time("  engine: Reflect.construct(Native, [d], Memory)", () => Reflect.construct(NativeMemory, [d], Memory), 20);
  // The core's records these steps make have no memory behind them: collected below, so that
  // the snapshot steps see only the memories they made.
  const recorded = [];
  await time(
    "  core: createPlain (+ Date.now()): the one crossing",
    () => recorded.push(rust.createPlain(tracking.claimId(), 1, -1, false, Date.now())),
    200,
  );
  await time(
    "  core: createMade (a label, + Date.now()): the one crossing",
    () => {
      create(tracking.claimId(), Date.now());
      recorded.push(rust.createMade(1, 2, { label: "x" }, "x", undefined));
    },
    200,
  );
  await time(
    "  core: planCreate (under a budget: the first of two)",
    () => {
      create(-1, 0);
      rust.planCreate(1, undefined, undefined, undefined, undefined);
    },
    200,
  );
  await time(
    "  core: commitCreate (+ Date.now()): the second",
    () => {
      create(tracking.claimId(), Date.now());
      recorded.push(rust.commitCreate(1, undefined, undefined, undefined, undefined));
    },
    200,
  );
  for (const id of recorded.splice(0)) rust.collected(id);
  await time("  Date.now()", () => Date.now(), 2000);
  await time(
    "  tracking: track() (WeakMap, registry, nursery)",
    () => tracking.track(new NativeMemory({ initial: 0 }), 2147483647, false, false),
    20,
  );
  await time("  (the same without track: native {initial: 0})", () => new NativeMemory({ initial: 0 }), 20);

  // ---- grow
  let m = new Memory({ initial: 0, maximum: 65536 });
  let nm = new NativeMemory({ initial: 0, maximum: 65536 });
  await time("grow(0): native", () => nm.grow(0), 2000);
  await time("grow(0): polyfill", () => m.grow(0), 2000);
  const id = ledger.idOf(m);
  await time("  core: commitGrow", () => rust.commitGrow(id, 0), 2000);
  await time("  tracking: entryOf (WeakMap)", () => tracking.entryOf(m), 2000);
  await time("  engine: pagesOf (buffer getter)", () => engine.pagesOf(m), 2000);
  m = nm = null;

  // ---- buffer
  const b1 = new Memory({ initial: 1 });
  const b2 = new NativeMemory({ initial: 1 });
  await time("buffer: native", () => b2.buffer, 20000);
  await time("buffer: polyfill", () => b1.buffer, 20000);

  // ---- the instance hook
  const bytes = o.exporterWasm;
  if (bytes) {
    const off = install();
    try {
      const module = new WebAssembly.Module(bytes);
      const Hooked = WebAssembly.Instance;
      await time("instance: installed new Instance(exporter)", () => new Hooked(module), 20);
      await time("  Module.imports(module)", () => WebAssembly.Module.imports(module), 200);
      await time("  core: countInstanceOf(id, true)", () => rust.countInstanceOf(0, true), 200);
      await time(
        "  core: adopt(...)",
        () => {
          adopt(tracking.claimId(), Date.now());
          recorded.push(rust.adopt(undefined));
        },
        200,
      );
      for (const id of recorded.splice(0)) rust.collected(id);
      // What adopt.js avoids: the first `buffer` read of an exported memory makes its ArrayBuffer
      // in recent V8 (Chromium, Node 26, Deno); grow(0) gives the size without making it. Timed
      // on 20 fresh memories each round, made untimed.
      for (const [name, f] of [
        ["  first buffer read of an exported memory", (x) => engine.bufferGetter.call(x)],
        ["  grow(0) of an exported memory", (x) => engine.nativeGrow.call(x, 0)],
      ]) {
        const t = [];
        for (let r = 0; r < 25; r++) {
          await macrotask();
          const fresh = Array.from({ length: 20 }, () => new WebAssembly.Instance(module).exports.memory);
          const t0 = performance.now();
          for (const x of fresh) f(x);
          t.push(((performance.now() - t0) / 20) * 1e6);
        }
        out.push({ name, ns: median(t) });
        log(`${name.padEnd(58)} ${median(t).toFixed(0)} ns`);
      }
    } finally {
      off();
    }
    const module = new WebAssembly.Module(bytes);
    await time("instance: native new Instance(exporter)", () => new WebAssembly.Instance(module), 20);
  }

  // ---- snapshot of N live memories
  const N = o.memories ?? 100;
  let keep = [];
  for (let i = 0; i < N; i++) keep.push(new Memory({ initial: 1 }));
  for (let i = 0; i < 3; i++) await macrotask();
  await time(`snapshot (${N} live): ledger.snapshot()`, () => ledger.snapshot(), Math.max(1, 2000 / N));
  await time("  tracking: readSizes (deref + buffer, every memory)", () => tracking.readSizes(), Math.max(1, 2000 / N));
  await time("  tracking: readChanges (the same, sends only changes)", () => tracking.readChanges(), Math.max(1, 2000 / N));
  const sizes = tracking.readSizes().slice();
  await time("  core: observe(every size)", () => rust.observe(sizes), Math.max(1, 2000 / N));
  await time("  core: snapshotRows(0) (the rows, in place)", () => rust.snapshotRows(0), Math.max(1, 2000 / N));
  const refs = keep.map((x) => new WeakRef(x));
  await macrotask();
  await time(
    "  WeakRef.deref() of each",
    () => {
      for (const r of refs) r.deref();
    },
    Math.max(1, 2000 / N),
  );
  await time(
    "  floor: size + 17-member record each",
    () =>
      keep.map((x, i) => ({
        id: i,
        label: null,
        definedBy: null,
        address: "i32",
        shared: false,
        pages: x.buffer.byteLength / 65536,
        bytes: x.buffer.byteLength,
        peak: 1,
        grows: 0,
        maximum: null,
        requestedMaximum: null,
        bounded: false,
        createdAt: 0,
        origin: "constructed",
        instances: 0,
        reserved: null,
        stack: null,
      })),
    Math.max(1, 2000 / N),
  );
  keep = null;
  return out;
}
