// The browser half of the hostile-input suite (tests/hostile/run.mjs loads it into a page):
// every public call interrupted by a stack overflow at every depth near the limit, then a
// health check and the ledger against the engine's sizes.
import { Memory, install, ledger } from "/pkg/index.js";
import { callsOn, sweep, ledgerExact } from "/tests/hostile/sweep.mjs";

export function run() {
  const held = [];
  const keep = (m) => (held.push(m), m);
  const grower = keep(new Memory({ initial: 0 }));
  // Constructions too, but a browser grants only ~125 live memories: each sweep keeps the
  // first 20 its op completes (every interrupted call comes before the first that completes,
  // so all the depths that matter are still swept) and makes no more.
  const constructing = (make) => {
    let made = 0;
    return () => {
      if (made < 20) keep(make()), made++;
    };
  };
  const ops = {
    "new Memory": constructing(() => new Memory({ initial: 1 })),
    "new Memory with a label": constructing(() => new Memory({ initial: 1, maximum: 2 }, { label: "swept" })),
    ...callsOn({ install, ledger }, grower),
  };
  const results = [];
  const probe = keep(new Memory({ initial: 1, maximum: 40 }));
  for (const [name, op] of Object.entries(ops)) {
    let overflowed = 0,
      problem = "";
    try {
      for (let round = 0; round < (name.startsWith("new Memory") ? 1 : 3); round++) overflowed += sweep(op, 400);
      const m = probe;
      const before = m.buffer.byteLength / 65536;
      if (m.grow(1) !== before) problem = "grow after the sweep";
      const t = m.type();
      if (t.minimum !== before + 1 || t.maximum !== 40) problem = `type() after the sweep: ${JSON.stringify(t)}`;
      const exact = ledgerExact(ledger, held);
      if (exact.length) problem = exact.join("; ");
      const abandoned = ledger.diagnostics().abandonedCalls;
      if (abandoned !== 0) problem = `${abandoned} calls abandoned while holding the core's state`;
    } catch (e) {
      problem = String(e?.stack ?? e);
    }
    results.push({ name, overflowed, problem });
  }
  ledger.setBudget(null);
  return results;
}
