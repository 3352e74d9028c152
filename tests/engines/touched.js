// `ledger.touched(memory)` in any engine (driver.js runs it after the conformance suite, in the
// CLI runtimes and the browsers alike): per kind of memory (the package's, the engine's own,
// shared, i64 where the engine has memory64), no page written, some (a page's first byte, its
// last, one in the middle), all, each count compared with a plain count over
// `new Uint8Array(memory.buffer)`; a memory grown since; what isn't a memory (a Proxy's traps
// never run); and under install(), the ledger left as it was. Returns `[{ name, status, message }]`.

const PAGE = 65536;

/** Pages of `memory` with a non-zero byte, counted in JS over a view. */
function reference(memory) {
  const bytes = new Uint8Array(memory.buffer);
  let n = 0;
  for (let page = 0; page < bytes.length; page += PAGE) {
    for (let i = page; i < page + PAGE; i++) {
      if (bytes[i] !== 0) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** @param {{ Memory: typeof WebAssembly.Memory, install: () => () => void, ledger: any }} pkg */
export async function runTouched({ Memory, install, ledger }) {
  const NativeMemory = WebAssembly.Memory;
  const results = [];
  const run = (name, f) => {
    try {
      const skipped = f();
      results.push({ name: `touched: ${name}`, status: skipped ? "skip" : "pass", message: skipped ?? "" });
    } catch (e) {
      results.push({ name: `touched: ${name}`, status: "fail", message: `${e?.name ?? "Error"}: ${e?.message ?? e}` });
    }
  };
  const same = (actual, expected, what) => {
    if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
  };
  /** The memory `make()` gives, or undefined where the engine can't make one of its kind. */
  const attempt = (make) => {
    try {
      return make();
    } catch {
      return undefined;
    }
  };

  const kinds = [
    ["the package's i32", () => new Memory({ initial: 10 })],
    ["the package's shared", () => new Memory({ initial: 10, maximum: 65536, shared: true }), "no shared memories here"],
    ["the engine's own i32", () => new NativeMemory({ initial: 10 })],
    ["the engine's own shared", () => new NativeMemory({ initial: 10, maximum: 12, shared: true }), "no shared memories here"],
    ["the package's i64", () => new Memory({ address: "i64", initial: 10n }), "no memory64 here"],
    ["the package's i64 shared", () => new Memory({ address: "i64", initial: 10n, maximum: 20n, shared: true }), "no shared memory64 here"],
  ];
  for (const [kind, make, lacking] of kinds) {
    run(`${kind}: no page written, some (first, last and middle bytes), all`, () => {
      const memory = lacking ? attempt(make) : make();
      if (memory === undefined || (kind.includes("i64") && typeof memory.grow(0n) !== "bigint")) return lacking;
      same(ledger.touched(memory), 0, "none written");
      same(reference(memory), 0, "none written (reference)");
      const bytes = new Uint8Array(memory.buffer);
      for (const at of [0, 3 * PAGE + PAGE - 1, 7 * PAGE + 12345]) bytes[at] = 1;
      same(ledger.touched(memory), 3, "pages 0, 3, 7");
      same(ledger.touched(memory), reference(memory), "pages 0, 3, 7 (reference)");
      for (let page = 0; page < 10; page++) bytes[page * PAGE + ((page * 7919) % PAGE)] = 0x80;
      same(ledger.touched(memory), 10, "all");
      same(reference(memory), 10, "all (reference)");
      return undefined;
    });
  }

  run("the largest shared i64 memory the engine makes links the module (its maximum)", () => {
    let memory;
    for (const maximum of [2n ** 37n, 2n ** 34n, 2n ** 30n, 2n ** 24n, 2n ** 20n, 262144n]) {
      memory = attempt(() => new NativeMemory({ address: "i64", initial: 1n, maximum, shared: true }));
      if (memory !== undefined && typeof memory.grow(0n) === "bigint") break;
      memory = undefined;
    }
    if (memory === undefined) return "no shared memory64 here";
    new Uint8Array(memory.buffer)[PAGE - 1] = 1;
    same(ledger.touched(memory), 1, "one page written");
    return undefined;
  });

  run("a memory grown since the last call is read whole", () => {
    const memory = new Memory({ initial: 1, maximum: 10 });
    new Uint8Array(memory.buffer)[5] = 1;
    same(ledger.touched(memory), 1, "before the grow");
    memory.grow(3);
    new Uint8Array(memory.buffer)[3 * PAGE + PAGE - 1] = 1;
    same(ledger.touched(memory), 2, "after the grow");
    same(reference(memory), 2, "after the grow (reference)");
  });

  run("anything but a WebAssembly.Memory is a TypeError naming the argument; a Proxy's traps never run", () => {
    const memory = new Memory({ initial: 1 });
    const trapped = [];
    const handler = new Proxy(
      {},
      {
        get:
          (_, trap) =>
          (...args) => (trapped.push(trap), Reflect[trap](...args)),
      },
    );
    for (const value of [undefined, 1, {}, memory.buffer, NativeMemory.prototype, new Proxy(memory, handler)]) {
      let error;
      try {
        ledger.touched(value);
      } catch (e) {
        error = e;
      }
      if (!(error instanceof TypeError) || error.message !== "ledger.touched: the first argument is not a WebAssembly.Memory") {
        throw new Error(`expected the TypeError, got ${error === undefined ? "no error" : `${error.name}: ${error.message}`}`);
      }
    }
    same(trapped.join(), "", "traps run");
  });

  run("under install(), the ledger is the same after as before (records, instances, totals, events)", () => {
    const outside = new NativeMemory({ initial: 2 }); // made before install(): not in the ledger
    const off = install();
    const events = [];
    const offs = ["create", "grow", "collect", "budget", "failure"].map((kind) => ledger.on(kind, (e) => events.push(e.type)));
    try {
      const memory = new WebAssembly.Memory({ initial: 3, maximum: 5 });
      new Uint8Array(memory.buffer)[PAGE] = 1;
      new Uint8Array(outside.buffer)[PAGE] = 1;
      const before = JSON.stringify(ledger.snapshot());
      events.length = 0;
      same(ledger.touched(memory), 1, "the ledgered memory");
      same(ledger.touched(outside), 1, "the memory outside the ledger");
      same(JSON.stringify(ledger.snapshot()), before, "the snapshot");
      same(ledger.idOf(outside), -1, "idOf the memory outside the ledger");
      same(events.join(), "", "events");
    } finally {
      for (const f of offs) f();
      off();
    }
  });
  return results;
}
