// Every public call made at every stack depth near the engine's limit, then a health check:
// shared by the Node test (tests/js/hostile.test.mjs) and the browser run (tests/hostile/run.mjs).
// `sweep(op)` recurses until the stack overflows, then, unwinding, calls `op` once per frame
// on the way back up: the first calls overflow somewhere inside the package (in JS, in the
// glue, inside wasm), the later ones have room. Whatever was interrupted, the next call must
// work and the ledger must be exact.

/** Calls `op` at each of the `levels` stack depths nearest the limit; returns how many threw a stack overflow. */
export function sweep(op, levels = 600) {
  let left = levels,
    overflowed = 0,
    other = null;
  const down = () => {
    try {
      down();
    } catch (e) {
      if (left-- <= 0) return;
      try {
        op();
      } catch (inner) {
        // The overflow: a RangeError (V8, JSC) or an InternalError (SpiderMonkey); the ops refuse nothing else.
        if (inner instanceof RangeError || inner?.name === "InternalError") overflowed++;
        else if (other === null) other = inner;
      }
      throw e;
    }
  };
  try {
    down();
  } catch {
    // the overflow, unwound to the top
  }
  if (other !== null) throw other;
  return overflowed;
}

/** The ledger agrees with the engine for every memory in `held` (sizes read through `buffer`). */
export function ledgerExact(ledger, held) {
  const s = ledger.snapshot();
  const byId = new Map(s.memories.map((m) => [m.id, m]));
  const problems = [];
  for (const m of held) {
    const id = ledger.idOf(m);
    const r = byId.get(id);
    const pages = m.buffer.byteLength / 65536;
    if (r === undefined) problems.push(`memory ${id} missing from the snapshot`);
    else if (r.pages !== pages) problems.push(`memory ${id}: ledger ${r.pages} pages, engine ${pages}`);
  }
  const sum = s.memories.reduce((a, m) => a + m.pages, 0);
  if (sum !== s.livePages) problems.push(`livePages ${s.livePages} but the records add up to ${sum}`);
  if (s.memories.length !== s.live) problems.push(`live ${s.live} but ${s.memories.length} records`);
  return problems;
}

/**
 * The public calls the sweeps interrupt that make no memory (a browser grants ~125 live
 * memories, so constructions are swept in Node only): `grower` is a ledgered memory to grow
 * by 0, ask the type of, label and scan.
 */
export function callsOn({ install, ledger }, grower) {
  return {
    grow: () => grower.grow(0),
    "type()": () => grower.type(),
    "snapshot()": () => ledger.snapshot(),
    "format()": () => ledger.format(),
    "setBudget (soft)": () => ledger.setBudget({ totalPages: 1e6, mode: "soft" }),
    "on / off": () => ledger.on("grow", () => {})(),
    label: () => ledger.label(grower, "grower"),
    "touched()": () => ledger.touched(grower),
    "install / uninstall": () => install()(),
  };
}
