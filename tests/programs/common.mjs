// Shared by the Node children (child.mjs) and the browser page (browser/page.mjs): the
// deterministic inputs, the digests, and the spy that finds the memories programs export.

/** `n` bytes of text-like data from a fixed seed (an LCG over a small vocabulary). */
export function generate(n, seed = 1) {
  const words = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "memory",
    "page",
    "grow",
    "wasm",
    "ledger",
    "budget",
    "\n",
    "  ",
    ";",
    "{}",
    "0x7f",
  ].map((w) => new TextEncoder().encode(w + " "));
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  let o = 0;
  while (o < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const w = words[(x >>> 16) % words.length];
    out.set(w.subarray(0, Math.min(w.length, n - o)), o);
    o += w.length;
  }
  return out;
}

/** SHA-256 of bytes or a string, as hex (WebCrypto: Node >= 20 and browsers alike). */
export async function sha256(data) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Wraps `WebAssembly.instantiate`, `instantiateStreaming` and `Instance` (pure pass-throughs,
 * installed after `install()` so they sit outside its hooks) to collect every memory an instance
 * exports; the programs themselves are not touched. Returns the (strongly held) list.
 */
export function spyOnExportedMemories(WA = globalThis.WebAssembly) {
  const memories = [];
  const collect = (instance) => {
    for (const value of Object.values(instance.exports)) {
      if (value instanceof WA.Memory && !memories.includes(value)) memories.push(value);
    }
  };
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const inner = WA[name];
    if (typeof inner !== "function") continue;
    WA[name] = async function (...args) {
      const result = await inner.apply(this, args);
      collect(result instanceof WA.Instance ? result : result.instance);
      return result;
    };
  }
  const Instance = WA.Instance;
  WA.Instance = new Proxy(Instance, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget === WA.Instance ? target : newTarget);
      collect(instance);
      return instance;
    },
  });
  return memories;
}

/** What the ledger says about each collected memory next to its true size. */
export function describeMemories(memories, ledger, snapshot) {
  return memories.map((memory) => {
    const pages = memory.buffer.byteLength / 65536;
    const id = ledger ? ledger.idOf(memory) : -1;
    const record = snapshot ? (snapshot.memories.find((r) => r.id === id) ?? null) : null;
    return { pages, id, record };
  });
}

/** A thrown value as a short string (an Error's name and message). */
export function describeError(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 400);
  return String(error).slice(0, 400);
}
