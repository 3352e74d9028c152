// The benchmarks of issues #6 and #13, one ES module shared by every engine: Node, Deno and Bun
// (benches/cli.mjs) and the browsers (benches/page.mjs). It takes the package's API and the
// fixture bytes and returns plain JSON: per operation the native and polyfill medians, the
// ratio and the spread of the per-round ratios. Nothing here is engine-specific except how a
// macrotask is scheduled and whether gc() exists.
//
// Method:
// - a *sample* times a batch of operations with performance.now(), through the microtask
//   checkpoint that ends it (deferred work counts), and divides by the batch size; batches are sized at the start of each case so that a sample lasts `sampleMs` (or
//   more, on a coarse clock), capped by how many memories the engine lets live at once;
// - native and polyfill samples alternate one by one (N P P N N P ...), `samples` of each per
//   round, over `rounds` rounds; a round's ratio is the median of its polyfill samples over the
//   median of its native ones. Reported: the ratio of the pooled medians, and the 25th–75th
//   percentile (the interquartile range) of the per-round ratios;
// - each side gets its own freshly compiled loop (`new Function`), so no call site is shared;
// - every sample that makes memories runs in its own task (a macrotask before it), so the
//   polyfill's WeakRefs let go of what the last one made, and gc() (where exposed) runs, untimed,
//   every so many memories. A batch never makes more memories than the engine allows alive.
// - `snapshot()` is timed against its floor, what any snapshot must do: read each memory's size
//   from the engine (`buffer.byteLength`) and build one plain record per memory (the same 16
//   members as ours), on the same live memories, alternating in the same way.
import { keeper } from "./keeper.mjs";

const NativeMemory = WebAssembly.Memory;
const NativeInstance = WebAssembly.Instance;
const NativeModule = WebAssembly.Module;

/** Default settings; `options` override them. */
export const DEFAULTS = {
  rounds: 24, // rounds of alternating samples
  samples: 8, // samples per side per round
  sampleMs: 3, // aim for samples of at least this long (more on a coarse clock)
  maxBatch: 400, // never more operations than this in one sample
  makeBatch: 50, // never more new memories than this in one sample (also capped by capacity)
  population: 10000, // live memories for the snapshot case (browsers: 100, see page.mjs)
  snapshotRepeat: 1, // snapshots per timed operation (browsers: 100)
  collectEvery: 400, // gc() (when exposed) after at most this many memories made
  growLimit: 4096, // pages after which the grow case's memory is replaced (untimed); a sample grows at most half
  only: null, // run only these case ids
};

/** Whether `ratio` meets case `c`'s target (null: no target). */
export const meetsTarget = (c, ratio) =>
  c.target === null ? null : c.tolerance ? Math.abs(ratio - c.target) <= c.tolerance : ratio <= c.target;

/** Rough figures, a few seconds per engine (`bash scripts/bench.sh --quick`). */
export const QUICK = { rounds: 8, samples: 4, sampleMs: 2 };

/** The rows, in table order: id, what the bench table (docs/costs.md) calls it, and the target. */
export const CASES = [
  { id: "construct", operation: "construct `{initial: 1}`", target: 1.25 },
  { id: "construct-max", operation: "construct `{initial: 1, maximum: 100}`", target: 1.25 },
  { id: "grow", operation: "`grow(1)`", target: 1.1 },
  { id: "buffer", operation: "`buffer` getter", target: 1.0, tolerance: 0.05 },
  { id: "instance", operation: "`new Instance` of a memory-exporting module, installed", target: 1.1 },
  { id: "instance-pre", operation: "the same, module compiled before `install()`", target: 1.1 },
  { id: "mdn", operation: "MDN example (construct, instantiate, grow inside wasm)", target: 1.05 },
  // No target (info): what the compile hooks add to a (small) module's compilation.
  { id: "module", operation: "`new Module` of a memory-exporting module (74 bytes), installed", target: null },
  { id: "module-hard", operation: "the same under a hard budget (its maximum rewritten)", target: null },
  // `snapshot()` against two floors: sizes and records from a strong array (info: no ledger that
  // keeps nothing alive can get there), and the same through `WeakRef.deref`, the least such a
  // ledger must do (the target; derived from the same run's `snapshot` samples: `weakOf`).
  { id: "snapshot", operation: "`ledger.snapshot()` / its floor", target: null },
  { id: "snapshot-weak", operation: "`ledger.snapshot()` / its floor through `WeakRef.deref`", target: 1.5, weakOf: "snapshot" },
  // The polyfill against the least any ledger that keeps nothing alive must add to the engine.
  { id: "construct-keeper", operation: "construct `{initial: 1}` / native + the weak bookkeeping", target: 1.1 },
  { id: "instance-keeper", operation: "`new Instance`, installed / native + the weak bookkeeping", target: 1.1 },
  // No target (info): reading every page against copying them, the least a scan from JS costs.
  { id: "touched", operation: "`ledger.touched()` of 256 pages / a copy of their bytes", target: null },
];

/**
 * @param {{
 *   Memory: typeof WebAssembly.Memory, install: () => () => void, ledger: any,
 *   memoryWasm: BufferSource, exporterWasm: BufferSource, growerWasm: BufferSource, gc?: () => void,
 *   env?: Record<string, unknown>, log?: (line: string) => void, options?: Partial<typeof DEFAULTS>,
 * }} ctx
 */
export async function runBenchmarks(ctx) {
  const { Memory, install, ledger } = ctx;
  const log = ctx.log ?? (() => {});
  const o = { ...DEFAULTS, ...ctx.options };
  const gc = ctx.gc ?? (typeof globalThis.gc === "function" ? globalThis.gc : null);
  const macrotask = makeMacrotask();
  const started = performance.now();
  const resolution = timerResolution();
  const sampleMs = Math.max(o.sampleMs, resolution * 50);
  if (WebAssembly.Memory !== NativeMemory) throw new Error("WebAssembly.Memory is already replaced (install() active?)");

  const rows = [];
  const checks = [];
  const check = (name, ok, detail) => {
    checks.push({ name, ok: !!ok, detail: detail ?? null });
    if (!ok) log(`CHECK FAILED: ${name}${detail ? ` (${detail})` : ""}`);
  };
  const wanted = (id) => !o.only || o.only.includes(id);

  /** Ends the task a few times, collecting where we can, so finalizers run and WeakRefs let go. */
  async function settle(turns = 3) {
    for (let i = 0; i < turns; i++) {
      await macrotask();
      gc?.();
    }
    await new Promise((r) => setTimeout(r, 0));
    await macrotask();
  }
  let made = 0;
  let collectEvery = o.collectEvery;
  /** Before a sample that makes `n` memories: a new task, and gc() when due (untimed). */
  async function beforeMaking(n) {
    await macrotask();
    made += n;
    if (made > collectEvery) {
      made = n;
      gc?.();
    }
  }

  let uid = 0;
  const compile = (params, body) => new Function(...params, `/* bench loop ${++uid} */\n${body}`);
  let _sink = null; // keeps a batch's last result observable

  // ---- the sides: each { make(n) -> per-batch memory count, run(n) -> ms (or a promise of it), setup?(), teardown?() } ----

  /**
   * The ms since `t0`, once the microtasks the timed code queued have run: work a side defers to
   * the end of its task (the polyfill's nursery gets its WeakRefs then) is part of its cost. The
   * one span is read after the checkpoint, so a coarse clock can't round the deferred part away.
   */
  async function untilMicrotasksRan(t0) {
    await undefined; // queued after whatever the loop queued: those run first
    return performance.now() - t0;
  }

  function constructSide(C, source) {
    const loop = compile(
      ["C", "n"],
      `let m; const t0 = performance.now(); for (let i = 0; i < n; i++) m = new C(${source}); return [t0, m];`,
    );
    return {
      makes: 1,
      async run(n) {
        const [t0, m] = loop(C, n);
        const dt = await untilMicrotasksRan(t0);
        _sink = m;
        return dt;
      },
    };
  }

  function growSide(C) {
    const loop = compile(
      ["m", "n"],
      `let old = 0; const t0 = performance.now(); for (let i = 0; i < n; i++) old = m.grow(1); return [t0, old];`,
    );
    let m = null;
    let pages = 0;
    return {
      makes: 0,
      async before(n) {
        if (m === null || pages + n > o.growLimit) {
          m = null;
          await beforeMaking(1);
          m = new C({ initial: 0, maximum: 65536 });
          pages = 0;
        }
      },
      async run(n) {
        const [t0, old] = loop(m, n);
        const dt = await untilMicrotasksRan(t0);
        pages += n;
        if (old !== pages - 1) throw new Error(`grow returned ${old}, expected ${pages - 1}`);
        return dt;
      },
      teardown() {
        m = null;
      },
      maxBatch: Math.floor(o.growLimit / 2), // coarse clocks (20 µs in Firefox and WebKit) need long samples
    };
  }

  function bufferSide(C) {
    const m = new C({ initial: 1 });
    const b0 = m.buffer;
    const loop = compile(
      ["m", "b0", "n"],
      `let same = 0; const t0 = performance.now(); for (let i = 0; i < n; i++) if (m.buffer === b0) same++; if (same !== n) throw new Error("buffer changed"); return t0;`,
    );
    return { makes: 0, run: (n) => untilMicrotasksRan(loop(m, b0, n)), maxBatch: 1e6 };
  }

  const memoryModule = new WebAssembly.Module(ctx.memoryWasm);
  const growerModule = new WebAssembly.Module(ctx.growerWasm);
  function mdnSide(C) {
    const loop = compile(
      ["C", "Instance", "module", "grower", "n"],
      `
      let sum = 0;
      const t0 = performance.now();
      for (let k = 0; k < n; k++) {
        const memory = new C({ initial: 10, maximum: 100 });
        const instance = new Instance(module, { js: { mem: memory } });
        const summands = new Uint32Array(memory.buffer);
        for (let i = 0; i < 10; i++) summands[i] = i;
        sum += instance.exports.accumulate(0, 10);
        new Instance(grower, { js: { mem: memory } }).exports.grow(1); // inside wasm
        sum += new Uint32Array(memory.buffer)[9];
      }
      if (sum !== 54 * n) throw new Error("accumulate gave " + sum / n);
      return t0;`,
    );
    return { makes: 1, run: (n) => untilMicrotasksRan(loop(C, NativeInstance, memoryModule, growerModule, n)) };
  }

  /**
   * `new WebAssembly.Instance(exporter)`: natively (the engine's own Instance), or through the
   * global with install() in force for the whole case (as a program under install() runs).
   */
  function instanceSide(installed, precompiled) {
    const loop = compile(
      ["Instance", "module", "n"],
      `let m; const t0 = performance.now(); for (let i = 0; i < n; i++) m = new Instance(module).exports.memory; return [t0, m];`,
    );
    let uninstall = null;
    let module = null;
    let Instance = NativeInstance;
    const stats = { adopted: 0, seen: 0 };
    return {
      makes: 1,
      stats,
      setup() {
        if (precompiled) module = new WebAssembly.Module(ctx.exporterWasm);
        if (installed) {
          uninstall = install();
          Instance = WebAssembly.Instance;
        }
        if (!precompiled) module = new WebAssembly.Module(ctx.exporterWasm); // compiled under install(), as with the auto entry
      },
      async run(n) {
        const [t0, m] = loop(Instance, module, n);
        const dt = await untilMicrotasksRan(t0);
        stats.seen++;
        if (ledger.idOf(m) >= 0) stats.adopted++;
        return dt;
      },
      teardown() {
        uninstall?.();
        uninstall = null;
      },
    };
  }

  /**
   * `new WebAssembly.Module(exporter)`: natively, or through the global with install() in force
   * (`hard`: and a hard budget of perMemoryPages 5, so that the module's maximum 10 is rewritten).
   */
  function moduleSide(installed, hard) {
    const loop = compile(
      ["Module", "bytes", "n"],
      `let m; const t0 = performance.now(); for (let i = 0; i < n; i++) m = new Module(bytes); return [t0, m];`,
    );
    let uninstall = null;
    let Module = NativeModule;
    return {
      makes: 0,
      setup() {
        if (!installed) return;
        uninstall = install();
        Module = WebAssembly.Module;
        if (hard) ledger.setBudget({ perMemoryPages: 5, mode: "hard" });
      },
      async run(n) {
        const [t0, m] = loop(Module, ctx.exporterWasm, n);
        _sink = m;
        return untilMicrotasksRan(t0);
      },
      teardown() {
        if (hard) ledger.setBudget(null);
        uninstall?.();
        uninstall = null;
      },
    };
  }

  function constructKeeperSide(source) {
    const k = keeper();
    const loop = compile(
      ["C", "keep", "n"],
      `let m; const t0 = performance.now(); for (let i = 0; i < n; i++) keep((m = new C(${source}))); return [t0, m];`,
    );
    return {
      makes: 1,
      async run(n) {
        const [t0, m] = loop(NativeMemory, k.keep, n);
        const dt = await untilMicrotasksRan(t0);
        _sink = m;
        return dt;
      },
    };
  }

  /** `new Instance(exporter)` natively, its memory kept and the instance counted as the ledger does. */
  function instanceKeeperSide() {
    const k = keeper();
    const module = new WebAssembly.Module(ctx.exporterWasm);
    const loop = compile(
      ["Instance", "module", "k", "n"],
      `let m; const t0 = performance.now(); for (let i = 0; i < n; i++) { const instance = new Instance(module); m = instance.exports.memory; k.count(instance, k.keep(m)); } return [t0, m];`,
    );
    return {
      makes: 1,
      async run(n) {
        const [t0, m] = loop(NativeInstance, module, k, n);
        const dt = await untilMicrotasksRan(t0);
        _sink = m;
        return dt;
      },
    };
  }

  // ---- sampling ----

  /**
   * How many operations a sample of `side` does: enough for `sampleMs`, within the caps. The
   * estimate comes from the fastest of three batches, so one slow batch (a GC) can't shrink it.
   */
  async function calibrate(side, cap) {
    let n = 1;
    for (;;) {
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        await side.before?.(n);
        if (side.makes) await beforeMaking(n * side.makes);
        else await macrotask();
        best = Math.min(best, await side.run(n));
      }
      if (best >= sampleMs || n >= cap) break;
      n = Math.min(cap, Math.max(n * 2, Math.ceil((n * sampleMs) / Math.max(best, resolution))));
    }
    return n;
  }

  async function pair(c, native, polyfill, extra = {}) {
    if (!wanted(c.id)) return null;
    const t0 = performance.now();
    native.setup?.();
    polyfill.setup?.();
    const cap = Math.min(extra.maxBatch ?? o.maxBatch, native.maxBatch ?? Infinity, native.makes ? makeCap : Infinity);
    const n = await calibrate(native, cap);
    const pooled = { native: [], polyfill: [] };
    const roundRatios = [];
    for (let r = 0; r < o.rounds; r++) {
      const round = { native: [], polyfill: [] };
      for (let s = 0; s < o.samples; s++) {
        const order =
          (r + s) % 2 === 0
            ? [
                ["native", native],
                ["polyfill", polyfill],
              ]
            : [
                ["polyfill", polyfill],
                ["native", native],
              ];
        for (const [name, side] of order) {
          await side.before?.(n);
          if (side.makes) await beforeMaking(n * side.makes);
          else await macrotask();
          round[name].push((await side.run(n)) / n);
        }
      }
      pooled.native.push(...round.native);
      pooled.polyfill.push(...round.polyfill);
      roundRatios.push(median(round.polyfill) / median(round.native));
    }
    native.teardown?.();
    polyfill.teardown?.();
    _sink = null;
    await settle(1);
    const rr = [...roundRatios].sort((a, b) => a - b);
    const ratio = median(pooled.polyfill) / median(pooled.native);
    const meets = meetsTarget(c, ratio);
    const row = {
      id: c.id,
      operation: c.operation,
      target: c.target,
      tolerance: c.tolerance ?? null,
      batch: n,
      native: summary(pooled.native),
      polyfill: summary(pooled.polyfill),
      ratio,
      iqr: [quantile(rr, 0.25), quantile(rr, 0.75)],
      roundRatios,
      meets,
      note: extra.note ?? null,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
    rows.push(row);
    log(
      `${pad(c.operation, 60)} native ${fmtTime(row.native.median)}  polyfill ${fmtTime(row.polyfill.median)}  ratio ${ratio.toFixed(3)}x (IQR ${row.iqr.map((x) => x.toFixed(2)).join("–")})  batch ${n}  ${meets === null ? "info" : meets ? "ok" : "MISS"}  (${row.seconds} s)`,
    );
    return row;
  }

  // ---- how many memories may be alive at once ----

  await settle();
  const probeLimit = Math.max(o.population, o.makeBatch) + 200;
  const capacity = await liveCapacity(probeLimit);
  const capacityText = capacity >= probeLimit ? `>= ${capacity}` : `${capacity}`;
  // A batch makes at most a quarter of what may be alive, so batches of both sides and the
  // memories the cases hold fit even before the engine collects.
  const makeCap = Math.max(1, Math.min(o.makeBatch, Math.floor(capacity / 4)));
  // And gc() (where there is one) before the memories made since the last one could pass half
  // of it: the engine's own collection on a failed allocation would land inside a timed batch.
  collectEvery = Math.max(makeCap, Math.min(o.collectEvery, Math.floor(capacity / 2)));
  log(
    `timer resolution ${fmtTime(resolution)}, samples of >= ${fmtTime(sampleMs)}; engine allows ${capacityText} live memories; batches make <= ${makeCap}`,
  );

  // ---- checks ----
  {
    const m = new Memory({ initial: 1 });
    check("polyfill memory is a WebAssembly.Memory", m instanceof NativeMemory);
    check("polyfill memory is ledgered", ledger.idOf(m) >= 0);
  }

  // ---- the cases ----

  const byId = Object.fromEntries(CASES.map((c) => [c.id, c]));
  await pair(byId.construct, constructSide(NativeMemory, "{ initial: 1 }"), constructSide(Memory, "{ initial: 1 }"));
  await pair(
    byId["construct-max"],
    constructSide(NativeMemory, "{ initial: 1, maximum: 100 }"),
    constructSide(Memory, "{ initial: 1, maximum: 100 }"),
  );
  await pair(byId.grow, growSide(NativeMemory), growSide(Memory), {
    maxBatch: 1e6,
    note: `memories {initial: 0, maximum: 65536}, replaced every ${o.growLimit} pages (untimed)`,
  });
  await pair(byId.buffer, bufferSide(NativeMemory), bufferSide(Memory), { maxBatch: 1e6 });
  for (const [id, precompiled] of [
    ["instance", false],
    ["instance-pre", true],
  ]) {
    if (!wanted(id)) continue;
    const n = instanceSide(false, precompiled);
    const p = instanceSide(true, precompiled);
    await pair(byId[id], n, p, { note: "native = the same without install()" });
    check(
      `${id}: exported memories are ledgered under install()`,
      p.stats.adopted === p.stats.seen && p.stats.seen > 0,
      `${p.stats.adopted}/${p.stats.seen}`,
    );
    check(`${id}: and not without`, n.stats.adopted === 0, `${n.stats.adopted}/${n.stats.seen}`);
    check(`${id}: WebAssembly.Memory restored after uninstall()`, WebAssembly.Memory === NativeMemory);
  }
  await pair(byId.mdn, mdnSide(NativeMemory), mdnSide(Memory));
  await pair(byId.module, moduleSide(false, false), moduleSide(true, false), { note: "native = the engine's Module without install()" });
  await pair(byId["module-hard"], moduleSide(false, false), moduleSide(true, true), {
    note: "native = the engine's Module without install(); installed: perMemoryPages 5 hard, the module declares maximum 10",
  });
  await pair(byId["construct-keeper"], constructKeeperSide("{ initial: 1 }"), constructSide(Memory, "{ initial: 1 }"), {
    note: "native side = the engine's constructor + a WeakMap entry, a FinalizationRegistry registration and a WeakRef",
  });
  if (wanted("instance-keeper")) {
    const p = instanceSide(true, false);
    await pair(byId["instance-keeper"], instanceKeeperSide(), p, {
      note: "native side = the engine's Instance + for its memory a WeakMap entry, a registration and a WeakRef, + the instance's registration",
    });
  }

  if (wanted("touched")) {
    // A quarter of the pages written, each at its last byte, so every page is read to its end
    // (as it is when nothing is written): the scan's whole cost. The floor copies the same bytes
    // into a buffer made beforehand (a memcpy, with no allocation in it).
    const pages = 256;
    const memory = new Memory({ initial: pages });
    const view = new Uint8Array(memory.buffer);
    for (let p = 3; p < pages; p += 4) view[p * 65536 + 65535] = 1;
    const copy = new Uint8Array(view.length);
    const copySide = {
      makes: 0,
      run(n) {
        const t0 = performance.now();
        for (let k = 0; k < n; k++) copy.set(view);
        _sink = copy;
        return performance.now() - t0;
      },
    };
    const touchedSide = {
      makes: 0,
      run(n) {
        let count = 0;
        const t0 = performance.now();
        for (let k = 0; k < n; k++) count = ledger.touched(memory);
        const dt = performance.now() - t0;
        if (count !== pages / 4) throw new Error(`touched() gave ${count}, expected ${pages / 4}`);
        return dt;
      },
    };
    await pair(byId.touched, copySide, touchedSide, {
      maxBatch: 50,
      note: `a ${pages}-page memory, every 4th page written at its last byte; floor = Uint8Array.prototype.set of its bytes into a buffer made beforehand`,
    });
  }

  if (wanted("snapshot")) {
    await settle();
    const population = Math.max(1, Math.min(o.population, capacity - 2 * makeCap - 20));
    let keep = [];
    for (let i = 0; i < population; i++) keep.push(new Memory({ initial: 1 }));
    await settle();
    // Without gc() (Firefox, WebKit) memories of the earlier cases may wait for the engine's own
    // collection: prompt it with garbage for up to two seconds, then time the floor on as many
    // records as the ledger holds.
    let live = ledger.snapshot().live;
    for (let i = 0; i < 80 && live > population; i++) {
      if (!gc) for (let k = 0; k < 16; k++) _sink = new ArrayBuffer(1 << 22); // allocation that the engine's collector answers
      await new Promise((r) => setTimeout(r, 25));
      live = ledger.snapshot().live;
    }
    check(`snapshot: the ledger holds the ${population} live memories`, live >= population && live <= population + 5, `live ${live}`);
    const records = Math.max(live, population);
    const reps = o.snapshotRepeat;
    const floorSide = {
      makes: 0,
      run(n) {
        const t0 = performance.now();
        for (let k = 0; k < n * reps; k++) _sink = floor(keep, records);
        return (performance.now() - t0) / reps;
      },
    };
    const snapshotSide = {
      makes: 0,
      run(n) {
        const t0 = performance.now();
        for (let k = 0; k < n * reps; k++) _sink = ledger.snapshot();
        return (performance.now() - t0) / reps;
      },
    };
    const row = await pair(byId.snapshot, floorSide, snapshotSide, {
      maxBatch: Math.max(1, Math.floor(20 / reps)),
      note: `${population} live memories${records > population ? ` (${records} in the ledger, not yet collected: the floor builds as many records)` : ""}${reps > 1 ? `, ${reps} snapshots per operation` : ""}; floor = read each size (buffer.byteLength) and build one 17-member record (the ledger's shape), from a strong array`,
    });
    // For the record: the same floor through WeakRefs (what a ledger that keeps nothing alive
    // must do), timed once, untimed against nothing.
    const refs = keep.map((m) => new WeakRef(m));
    await macrotask();
    const t = [];
    for (let i = 0; i < 15; i++) {
      await macrotask();
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) _sink = floorWeak(refs);
      t.push((performance.now() - t0) / reps);
    }
    if (row) row.weakFloor = median(t);
    if (row)
      log(
        `  (floor through WeakRef.deref: ${fmtTime(row.weakFloor)}; snapshot / that = ${(row.polyfill.median / row.weakFloor).toFixed(2)}x)`,
      );
    _sink = null;
    keep = null;
    await settle();
  }

  return {
    env: {
      ...ctx.env,
      gc: gc !== null,
      crossOriginIsolated: typeof crossOriginIsolated === "boolean" ? crossOriginIsolated : null,
      timerResolutionMs: resolution,
      liveMemoryCapacity: capacityText,
      options: o,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    },
    rows,
    checks,
  };

  /** How many native {initial: 1} memories can be alive at once (stops at `limit`). */
  async function liveCapacity(limit) {
    let probe = [];
    try {
      while (probe.length < limit) probe.push(new NativeMemory({ initial: 1 }));
    } catch {
      // RangeError: could not allocate memory
    }
    const n = probe.length;
    probe = null;
    await settle();
    return n;
  }
}

/** The floor of a snapshot: each memory's size from the engine, one plain record each (`count` records). */
function floor(memories, count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) out[i] = record(i, memories[i % memories.length].buffer.byteLength);
  return out;
}

function floorWeak(refs) {
  const out = [];
  for (let i = 0; i < refs.length; i++) {
    const m = refs[i].deref();
    if (m !== undefined) out.push(record(i, m.buffer.byteLength));
  }
  return out;
}

function record(id, bytes) {
  const pages = bytes / 65536;
  return {
    id,
    label: null,
    definedBy: null,
    address: "i32",
    shared: false,
    pages,
    bytes,
    peak: pages,
    grows: 0,
    maximum: null,
    requestedMaximum: null,
    bounded: false,
    createdAt: id,
    origin: "constructed",
    instances: 0,
    reserved: null,
    stack: null,
  };
}

// ---- helpers ----

function makeMacrotask() {
  if (typeof setImmediate === "function") return () => new Promise((r) => setImmediate(r));
  const channel = new MessageChannel();
  const waiting = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise((r) => {
      waiting.push(r);
      channel.port2.postMessage(0);
    });
}

export function median(values) {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export function quantile(s, q) {
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p25: quantile(s, 0.25), p75: quantile(s, 0.75), min: s[0], samples: s.length };
}

function timerResolution() {
  let best = Infinity;
  for (let i = 0; i < 50; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    best = Math.min(best, b - a);
  }
  return best;
}

/** ms -> human text. */
export function fmtTime(ms) {
  if (ms == null || !Number.isFinite(ms)) return "—";
  if (ms < 0.001) return `${(ms * 1e6).toPrecision(3)} ns`;
  if (ms < 1) return `${(ms * 1e3).toPrecision(3)} µs`;
  return `${ms.toPrecision(3)} ms`;
}

function pad(s, n) {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}
