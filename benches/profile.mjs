// Profiles the package's hot paths in Node with V8's sampling profiler and prints where the
// time goes (self time by function, and the share of each of our functions in total time).
//
//   node --expose-gc benches/profile.mjs [construct|grow|instance|snapshot|buffer ...] [--pkg DIR] [--seconds N]
//
// Each case runs its operation in batches for N seconds (default 3), one macrotask per batch
// (so the polyfill's WeakRefs let go), under `inspector`'s Profiler, then summarises the
// profile: the top functions by self time, grouped into "engine (native)", "wasm", "our JS"
// and "bench loop". Writes artifacts/profile/<case>.cpuprofile (open it in DevTools).
import { Session } from "node:inspector/promises";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./report.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const pkgDir = resolve(opt("--pkg", process.env.BENCH_PKG ?? join(ROOT, "pkg")));
const seconds = Number(opt("--seconds", 3));
const wantedCases = argv.filter((a, i) => !a.startsWith("--") && !["--pkg", "--seconds"].includes(argv[i - 1]));
const { Memory, install, ledger } = await import(pathToFileURL(join(pkgDir, "node.js")).href);
const _NativeMemory = WebAssembly.Memory;
const gc = globalThis.gc ?? (() => {});
const tick = () => new Promise((r) => setImmediate(r));
const exporter = readFileSync(join(ROOT, "tests/fixtures/exporter.wasm"));

/** Each case: setup() returns { batch(): void, teardown?() }. */
const CASES = {
  construct: () => ({
    batch: () => {
      for (let i = 0; i < 50; i++) new Memory({ initial: 1 });
    },
    every: 8,
  }),
  "construct-max": () => ({
    batch: () => {
      for (let i = 0; i < 50; i++) new Memory({ initial: 1, maximum: 100 });
    },
    every: 8,
  }),
  grow: () => {
    let m = null;
    let pages = 0;
    return {
      batch() {
        if (m === null || pages > 192) (m = new Memory({ initial: 0, maximum: 65536 })), (pages = 0);
        for (let i = 0; i < 64; i++) m.grow(1);
        pages += 64;
      },
      every: 16,
    };
  },
  buffer: () => {
    const m = new Memory({ initial: 1 });
    let _s = 0;
    return {
      batch: () => {
        for (let i = 0; i < 100000; i++) _s += m.buffer.byteLength;
      },
    };
  },
  instance: () => {
    const off = install();
    const module = new WebAssembly.Module(exporter); // compiled under install(), as with the auto entry
    return {
      batch: () => {
        for (let i = 0; i < 20; i++) new WebAssembly.Instance(module);
      },
      every: 16,
      teardown: off,
    };
  },
  "instance-precompiled": () => {
    const module = new WebAssembly.Module(exporter); // compiled before install()
    const off = install();
    return {
      batch: () => {
        for (let i = 0; i < 20; i++) new WebAssembly.Instance(module);
      },
      every: 16,
      teardown: off,
    };
  },
  snapshot: () => {
    const keep = [];
    for (let i = 0; i < 10000; i++) keep.push(new Memory({ initial: 1 }));
    return { batch: () => ledger.snapshot(), teardown: () => (keep.length = 0) };
  },
};

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 50 });
mkdirSync(join(ROOT, "artifacts/profile"), { recursive: true });

for (const name of wantedCases.length ? wantedCases : Object.keys(CASES)) {
  const c = CASES[name]();
  await tick();
  gc();
  for (let i = 0; i < 20; i++) c.batch(), await tick(); // warm-up
  gc();
  await session.post("Profiler.start");
  const until = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < until) {
    c.batch();
    await tick();
    if (c.every && ++n % c.every === 0) gc();
  }
  const { profile } = await session.post("Profiler.stop");
  c.teardown?.();
  await tick();
  gc();
  writeFileSync(join(ROOT, `artifacts/profile/${name}.cpuprofile`), JSON.stringify(profile));
  summarise(name, profile);
}
session.disconnect();

function summarise(name, profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  const count = new Map();
  for (const s of profile.samples) count.set(s, (count.get(s) ?? 0) + 1);
  let total = 0;
  const kindOf = (cf) => {
    const url = cf.url ?? "";
    if (url.includes("wasm") && (url.startsWith("wasm://") || cf.functionName.startsWith("$"))) return "wasm";
    if (url.startsWith("wasm://")) return "wasm";
    if (url.includes(pkgDir) || url.includes("/pkg/")) return "our JS";
    if (url.includes("benches/")) return "bench loop";
    if (cf.functionName === "(garbage collector)") return "gc";
    if (cf.functionName === "(idle)" || cf.functionName === "(program)") return "idle/program";
    return "engine (native)";
  };
  const kinds = new Map();
  for (const [id, k] of count) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const file = (cf.url ?? "").split("/").pop();
    const key = `${cf.functionName || "(anonymous)"} ${file}${cf.lineNumber >= 0 ? `:${cf.lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + k);
    const kind = kindOf(cf);
    kinds.set(kind, (kinds.get(kind) ?? 0) + k);
    total += k;
  }
  void dt;
  const pct = (k) => `${((100 * k) / total).toFixed(1).padStart(5)}%`;
  console.log(`\n== ${name}: ${total} samples`);
  console.log(
    "  by kind: " +
      [...kinds]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${pct(v).trim()}`)
        .join(", "),
  );
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 18)) console.log(`  ${pct(v)}  ${k}`);
}
