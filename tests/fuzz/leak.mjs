// No leaks (Node only, under --expose-gc): make and drop many memories in batches, with gc() and
// a macrotask between batches so FinalizationRegistry callbacks run; the ledger's live count must
// come back to 0 and the polyfill's own linear memory (and its externref table) must stop growing
// once warmed up.
//
// The polyfill's linear memory is read through its wasm instance's exports (`glue`: caught by
// run.mjs as the package instantiates its wasm), whose `memory` is the polyfill's own
// WebAssembly.Memory. That is not an API of the package, only what wasm-bindgen exports.

const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function leakTest({ Memory, ledger, glue, count = 100000, batch = 1000, warmupBatches = 10 }) {
  const checks = [];
  const gc = globalThis.gc;
  const linear = () => glue.memory.buffer.byteLength;
  const table = () => glue.__wbindgen_externrefs?.length ?? null;
  // A deadline for waiting on GC, not a speed check: nothing is asserted about how long it takes.
  const settle = async (deadlineMs) => {
    const t0 = Date.now();
    for (;;) {
      await macrotask();
      gc();
      await sleep(10);
      const s = ledger.snapshot();
      if (s.live === 0 || Date.now() - t0 > deadlineMs) return s;
    }
  };

  const start = await settle(5000);
  checks.push({
    name: "no leaks: the ledger is empty before the leak test (earlier sections' memories were collected)",
    ok: start.live === 0,
    detail: `live ${start.live}`,
  });
  const created0 = start.created;
  const collected0 = start.collected;
  let peakHeap = 0;
  let peakRss = 0;
  let peakLive = 0;
  let warm = null;
  const t0 = Date.now();
  const batches = Math.ceil(count / batch);
  const samples = [];
  let failures = 0;
  let firstFailure = null;
  for (let b = 0; b < batches; b++) {
    const n = Math.min(batch, count - b * batch);
    for (let i = 0; i < n; i++) {
      // created and dropped at once
      try {
        new Memory({ initial: i & 1 });
      } catch (e) {
        failures++;
        if (!firstFailure)
          firstFailure = { at: b * batch + i, error: `${e?.constructor?.name}: ${e?.message}`, live: ledger.snapshot().live };
      }
    }
    // End the job first: a WeakRef (the ledger keeps one per memory) keeps its target alive
    // until the end of the job that made or deref'd it, so gc() in the same job frees nothing.
    await macrotask();
    gc();
    await macrotask();
    const mu = process.memoryUsage();
    peakHeap = Math.max(peakHeap, mu.heapUsed);
    peakRss = Math.max(peakRss, mu.rss);
    const live = ledger.snapshotArray().length / 6;
    peakLive = Math.max(peakLive, live);
    if (b + 1 === warmupBatches) warm = { linear: linear(), table: table(), batch: b + 1 };
    if ((b + 1) % Math.max(1, Math.floor(batches / 10)) === 0)
      samples.push({ batch: b + 1, live, linear: linear(), table: table(), heapMB: +(mu.heapUsed / 2 ** 20).toFixed(1) });
  }
  const end = await settle(5000);
  const ms = Date.now() - t0;
  const figures = {
    memories: count,
    failures,
    batch,
    seconds: +(ms / 1000).toFixed(2),
    liveAfter: end.live,
    createdDelta: end.created - created0,
    collectedDelta: end.collected - collected0,
    peakLive,
    linearAtWarmup: warm?.linear,
    linearAtEnd: linear(),
    tableAtWarmup: warm?.table,
    tableAtEnd: table(),
    peakHeapMB: +(peakHeap / 2 ** 20).toFixed(1),
    peakRssMB: +(peakRss / 2 ** 20).toFixed(1),
    samples,
  };
  checks.push({
    name: `no leaks: every one of the ${count} constructions succeeds (as the engine's own would)`,
    ok: failures === 0,
    detail: failures ? `${failures} failed; the first: ${JSON.stringify(firstFailure)}` : "",
  });
  checks.push({
    name: `no leaks: ${count} memories made and dropped in batches of ${batch}; the ledger's live count returns to 0`,
    ok: end.live === 0 && end.created - created0 === count - failures && end.collected - collected0 === count - failures,
    detail: `live ${end.live}, created +${end.created - created0}, collected +${end.collected - collected0}`,
  });
  checks.push({
    name: `no leaks: the polyfill's linear memory stops growing after warm-up (${warmupBatches} batches)`,
    ok: warm !== null && linear() === warm.linear,
    detail: `${warm?.linear} bytes at warm-up, ${linear()} at the end`,
  });
  if (table() !== null) {
    checks.push({
      name: "no leaks: the polyfill's externref table stops growing after warm-up",
      ok: table() === warm.table,
      detail: `${warm.table} slots at warm-up, ${table()} at the end`,
    });
  }

  // One synchronous loop: the engine's own constructor makes and drops 20 000 memories in one job
  // (V8 reclaims their address-space reservations under pressure); ours must too.
  const loop = (C, n) => {
    let i = 0;
    try {
      for (; i < n; i++) new C({ initial: 0 });
      return { made: i };
    } catch (e) {
      return { made: i, error: `${e?.constructor?.name}: ${e?.message}` };
    }
  };
  const LOOP = 20000;
  const nativeLoop = loop(WebAssembly.Memory, LOOP);
  await settle(5000);
  const oursLoop = loop(Memory, LOOP);
  const afterLoop = await settle(10000);
  // docs/ledger.md, "Collected memories": a WeakRef keeps each memory alive until the end of the
  // task that made it, so the ledger's wait in a nursery, let go of when the engine runs out. What
  // must hold is that running out is the spec's RangeError, and that everything recovers after.
  checks.push({
    name: `no leaks: ${LOOP} memories made and dropped in one synchronous loop fail, if at all, with a RangeError (engine: ${nativeLoop.error ? `fails at ${nativeLoop.made}` : "makes them all"}; ours: ${oursLoop.error ? `made ${oursLoop.made}` : "makes them all"})`,
    ok: oursLoop.error === undefined || oursLoop.error.startsWith("RangeError"),
    detail: `ours made ${oursLoop.made} then threw ${oursLoop.error}; repro: for (let i = 0; i < ${LOOP}; i++) new Memory({ initial: 0 }); // WebAssembly.Memory makes all ${LOOP}`,
  });
  checks.push({
    name: "no leaks: after the synchronous loop, the ledger's live count returns to 0",
    ok: afterLoop.live === 0,
    detail: `live ${afterLoop.live}`,
  });
  figures.syncLoop = { native: nativeLoop, ours: oursLoop };
  return { checks, stats: figures };
}
