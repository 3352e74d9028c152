// The fuzz harness: one ESM module, run in Node (in-process) and in browser pages alike.
//
// `createHarness(ctx)` takes the package's public API and a few environment hooks and returns
// `run(section, args)`, which runs one section and returns plain, JSON-serialisable results:
// `{ checks: [{ name, ok, detail }], notes: [string], stats }`. The runner (run.mjs) prints them.
//
// Sections: descriptors, grow (differential fuzzing against the engine and the spec model),
// bypass (hard budgets), isolation (no path to the polyfill's own memory), workers, final.

import { CaseStream, Gen, HookError, makeHelpers, memSrc } from "./gen.mjs";
import {
  Malformed,
  ModuleGen,
  bufferSources,
  definedMemories,
  responseKinds,
  wasmResponse,
  growerModule,
  hex,
  moduleFeatures,
  oneMemory,
} from "./modules.mjs";
import { KINDS, SPEC_I64_LIMIT, modelConstruct, modelGrow, specOptions, subsets } from "./model.mjs";

// Captured at load, before any install() can replace them.
const NativeMemory = WebAssembly.Memory;
const nativeProto = NativeMemory.prototype;
const nativeGrow = nativeProto.grow;
const NativeModule = WebAssembly.Module;
const NativeInstance = WebAssembly.Instance;
// The engine's compile paths, for the compilePaths section.
const NATIVE = {
  validate: WebAssembly.validate,
  compile: WebAssembly.compile,
  Module: WebAssembly.Module,
  Instance: WebAssembly.Instance,
  instantiate: WebAssembly.instantiate,
  compileStreaming: WebAssembly.compileStreaming,
  instantiateStreaming: WebAssembly.instantiateStreaming,
};
const bufferGetter = Object.getOwnPropertyDescriptor(nativeProto, "buffer").get;
const typedArrayBuffer = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), "buffer").get;
const HAS_SAB = typeof SharedArrayBuffer === "function";
const P = 65536;

const isObject = (v) => v !== null && (typeof v === "object" || typeof v === "function");
const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));
const _sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A short, exact description of a value for details (BigInts with n, -0, symbols). */
function show(v) {
  if (typeof v === "bigint") return `${v}n`;
  if (Object.is(v, -0)) return "-0";
  if (typeof v === "symbol") return v.toString();
  if (typeof v === "string") return JSON.stringify(v);
  if (isObject(v)) {
    try {
      return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x));
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
  return String(v);
}

/**
 * Removes the Proxy traps that SpiderMonkey runs at the end of a failed conversion to print the
 * value in its TypeError message ("can't convert ({...}) to number"): trailing ownKeys and
 * getOwnPropertyDescriptor traps. The spec's steps have none.
 */
function stripMessageTraps(log) {
  const parts = log ? log.split(" | ") : [];
  let n = parts.length;
  while (n > 0 && /^(ownKeys|getOwnPropertyDescriptor)( |$)/.test(parts[n - 1])) n--;
  return parts.slice(0, n).join(" | ");
}

/** A problem's kind, for tallies: its text with names, values and logs left out. */
function kindOf(problem) {
  return problem
    .split("\n")[0]
    .replace(/"(?:[^"\\]|\\.)*"/g, "_")
    .replace(/\{.*\}/g, "{…}")
    .replace(/\[.*\]/g, "[…]")
    .replace(/-?\d+n?/g, "N")
    .slice(0, 120);
}

/** Counts problems by kind into `tally`. */
function tallyProblems(tally, problems) {
  for (const p of problems) {
    const k = kindOf(p);
    tally[k] = (tally[k] ?? 0) + 1;
  }
}

/** Whether to print this failing case: the first few, then one more for each new problem kind. */
function keepExample(failures, seen, problems) {
  const kinds = problems.map(kindOf);
  const fresh = kinds.some((k) => !seen.has(k));
  for (const k of kinds) seen.add(k);
  return failures.length < 3 || (fresh && failures.length < 10);
}

/**
 * The detail of a failing differential check, from its data ({ failed, tally, examples }).
 * Exported so that the runner can merge the data of several chunks and format it once.
 */
export function formatFailures(data) {
  if (!data || !data.failed) return "";
  return `${data.failed} failing case(s); problems by kind:\n    ${tallyText(data.tally)}\n  examples:\n  ${data.examples.join("\n  ")}`;
}

/** Merges the data of two chunks of the same check. */
export function mergeFailures(a, b) {
  if (!a) return b;
  if (!b) return a;
  const tally = { ...a.tally };
  for (const [k, n] of Object.entries(b.tally)) tally[k] = (tally[k] ?? 0) + n;
  return { failed: a.failed + b.failed, tally, examples: [...a.examples, ...b.examples].slice(0, 10) };
}

const tallyText = (tally) =>
  Object.entries(tally)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} × ${k}`)
    .join("\n    ");

/** The name the harness gives a thrown value: the error constructor, or HookError(label). */
function errName(e) {
  if (e instanceof HookError) return `HookError(${e.label})`;
  if (isObject(e)) return e.constructor?.name ?? "object";
  return `non-object ${typeof e}`;
}

function isMemory(v) {
  try {
    bufferGetter.call(v);
    return true;
  } catch {
    return false;
  }
}

/**
 * A memory's address type, found without type(): an i64 memory's grow takes a BigInt, an i32
 * memory's grow refuses one (ToNumber of a BigInt is a TypeError). grow(0n) changes no size, but
 * detaches a non-shared buffer, so only call this after everything else about the memory is read.
 */
function addressOf(m) {
  try {
    nativeGrow.call(m, 0n);
    return "i64";
  } catch {
    return "i32";
  }
}

function bufferOf(m) {
  return bufferGetter.call(m);
}

const isSAB = (b) => HAS_SAB && b instanceof SharedArrayBuffer;

/** Whether an ArrayBuffer is detached (SharedArrayBuffers never are). */
function isDetached(b) {
  if (isSAB(b)) return false;
  if ("detached" in ArrayBuffer.prototype) return b.detached;
  try {
    new Uint8Array(b);
    return false;
  } catch {
    return true;
  }
}

/** Detects the engine and its known deviations (see model.mjs KINDS). */
function detectEngine(env) {
  const readsAddress = (() => {
    try {
      new NativeMemory({ address: "i65", initial: 0 });
      return false;
    } catch {
      return true;
    }
  })();
  // (module (memory i64 0))
  const memory64 = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 4, 0]));
  const firefox = typeof navigator !== "undefined" && /Firefox/.test(navigator.userAgent ?? "");
  const engine = !readsAddress ? "node20" : firefox ? "firefox" : "v8";
  // The engine's memory64 page limit for `maximum` (binary search; only maxima are asked for, so
  // nothing large is allocated).
  let i64Limit = SPEC_I64_LIMIT;
  if (memory64) {
    const ok = (max) => {
      try {
        new NativeMemory({ address: "i64", initial: 0n, maximum: max });
        return true;
      } catch {
        return false;
      }
    };
    if (!ok(SPEC_I64_LIMIT)) {
      let lo = 0n;
      let hi = SPEC_I64_LIMIT;
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if (ok(mid)) lo = mid;
        else hi = mid;
      }
      i64Limit = lo;
    }
  }
  const sharedFrozen = (() => {
    try {
      return Object.isFrozen(bufferOf(new NativeMemory({ initial: 0, maximum: 0, shared: true })));
    } catch {
      return null;
    }
  })();
  // No engine can allocate 2^31 pages (128 TiB) here: grows past that fail whatever the limit.
  const growLimit = i64Limit < 2n ** 31n ? i64Limit : 2n ** 31n;
  const flags = {
    node20: ["limitsFirst", "rangeBeforeTruncation", "noAddress"],
    v8: ["limitsFirst", "rangeBeforeTruncation", "i64Limit"],
    firefox: ["i64Limit", "errorMessageTraps"],
  }[engine];
  const growFlags = flags.filter((f) => f === "rangeBeforeTruncation" || f === "i64Limit" || f === "errorMessageTraps");
  return {
    env,
    engine,
    readsAddress,
    memory64,
    i64Limit,
    growLimit,
    sharedFrozen,
    flags,
    growFlags,
    crossOriginIsolated: globalThis.crossOriginIsolated ?? null,
    userAgent: typeof navigator !== "undefined" ? navigator.userAgent : `node ${globalThis.process?.version}`,
  };
}

/** Model options for a set of deviation flags on this engine. */
function flagOptions(info, flags, forGrow = false) {
  const o = specOptions();
  for (const f of flags) {
    if (f === "limitsFirst") o.limitsFirst = true;
    else if (f === "rangeBeforeTruncation") o.rangeBeforeTruncation = true;
    else if (f === "noAddress") o.readAddress = false;
    else if (f === "i64Limit") o.i64Limit = forGrow ? info.growLimit : info.i64Limit;
    else if (f === "errorMessageTraps") o.errorMessageTraps = true;
  }
  return o;
}

// Models used to keep generated cases cheap: a case that any of them would make with more than
// 16 pages is dropped (and a grow that any of them would take past 16 pages, unless past 2^31
// pages, which no engine can allocate). Fixed, so every engine runs the same case stream.
const GUARD_MODELS = [
  specOptions(),
  specOptions({ readAddress: false, convertAtRead: true, limitsFirst: true, rangeBeforeTruncation: true }),
  specOptions({ convertAtRead: true, limitsFirst: true, rangeBeforeTruncation: true, i64Limit: 262144n }),
  specOptions({ convertAtRead: true, i64Limit: 2n ** 37n - 1n }),
];

export function createHarness(ctx) {
  const { Memory, install, ledger, glue, env } = ctx;
  const gc = typeof ctx.gc === "function" ? ctx.gc : null;
  const info = detectEngine(env);
  const glueMemory = glue?.memory;
  const glueBuffers = new Set();
  const noteGlue = () => {
    if (glueMemory) glueBuffers.add(bufferOf(glueMemory));
  };
  noteGlue();

  // Every ledger event, for checking the ledger against what each case did.
  // Recorded only while differential cases run (the leak test must not see the harness hold 10^5
  // event objects).
  const events = [];
  let recording = false;
  const offs = ["create", "grow", "budget", "collect"].map((k) =>
    ledger.on(k, (e) => {
      if (recording) events.push(e);
    }),
  );
  // Keep the event log bounded: cases only look at events since they started.
  const trimEvents = () => {
    if (events.length > 10000) events.splice(0, events.length);
  };

  // A WeakRef (the ledger keeps one per memory) keeps its target alive until the end of the job
  // that made or deref'd it: end the job before gc(), then let FinalizationRegistry callbacks run.
  async function rest() {
    await macrotask();
    gc?.();
    await macrotask();
  }

  // Between batches of cases: always end the job (see above); collect only every 10th batch,
  // because a full gc() gets slower with every script compiled (a browser under automation keeps
  // them), and each case compiles one. The engines collect on their own under pressure anyway.
  // Where the engine grants few live memories (Chromium: about 125 a renderer, by the ledger's
  // own reservation model), collect after every batch: the generated modules' memories, ours and
  // the native ones compared with them, would otherwise reach the engine's limit before its own
  // collection runs, and the harness's next memory is refused.
  const tight = (ledger.snapshot().headroom?.memories ?? Infinity) < 1000;
  let batches = 0;
  async function betweenBatches() {
    if (tight || ++batches % 10 === 0) await rest();
    else await macrotask();
  }

  async function settle(rounds = 3) {
    for (let i = 0; i < rounds; i++) await rest();
  }

  /** Module still works: a construction, a snapshot, a snapshotArray. Returns a problem or null. */
  function probe() {
    try {
      const m = new Memory({ initial: 1 });
      if (bufferOf(m).byteLength !== P) return `new Memory({initial: 1}) made ${bufferOf(m).byteLength} bytes`;
      const s = ledger.snapshot();
      if (typeof s?.live !== "number" || !Array.isArray(s.memories)) return `snapshot() returned ${show(s)}`;
      if (ledger.idOf(m) < 0) return "a new memory is not in the ledger";
      if (!(ledger.snapshotArray() instanceof Float64Array)) return "snapshotArray() is not a Float64Array";
      // wasm-bindgen's abort flag: the global holds the address of a u32 that is set when the
      // instance has trapped (panic = "abort") and is unusable.
      // (A global of 0 or 1 is taken as the flag itself.)
      const term = glue?.__instance_terminated;
      if (term instanceof WebAssembly.Global && glueMemory) {
        const at = Number(term.value);
        const flag = at <= 1 ? at : new Uint32Array(bufferOf(glueMemory), at & ~3, 1)[0];
        if (flag !== 0) return `the polyfill's instance is terminated (flag ${flag}${at > 1 ? ` at ${at}` : ""})`;
      }
      return null;
    } catch (e) {
      return `${errName(e)}: ${e?.message}`;
    }
  }

  // ---------------------------------------------------------------- differential: descriptors

  // Where each section's generator stopped: a run in chunks continues it instead of generating
  // (and skipping) every earlier case again. Any other start replays from case 0.
  const positions = new Map();
  function generator(section, seed, start, make) {
    const p = positions.get(section);
    if (p && p.seed === seed && p.next === start) return { gen: p.gen, from: start };
    return { gen: make(), from: 0 };
  }

  /**
   * Trailing ownKeys/getOwnPropertyDescriptor traps after a failed conversion are not in the
   * spec's steps. They come from the engine printing the value in its TypeError message (Firefox,
   * for the conversions the package runs through JS). Counted and reported by their own check,
   * then left out of the comparisons so that the rest of the case is still checked.
   */
  function extraTraps(ours, _src, stats, repro) {
    const stripped = stripMessageTraps(ours.log);
    if (stripped === ours.log) return;
    stats.extraTraps = (stats.extraTraps ?? 0) + 1;
    if (stats.extraTrapCases.length < 3)
      stats.extraTrapCases.push(`${repro}
      ours [${ours.log}]`);
    ours.fullLog = ours.log;
    ours.log = stripped;
  }

  function materialise(fn, envHooks) {
    const log = [];
    const h = makeHelpers(log, envHooks);
    const value = fn(h);
    log.length = 0; // nothing the materialisation itself did counts
    return { h, log, value };
  }

  function runModel(fn, options) {
    const { log, value } = materialise(fn, {});
    try {
      const t = modelConstruct(value, options);
      return { result: "ok", log: log.join(" | "), type: t, pages: Number(t.initial), shared: t.shared, address: t.address };
    } catch (e) {
      return { result: errName(e), log: log.join(" | "), message: e?.message };
    }
  }

  function tooBig(fn) {
    for (const o of GUARD_MODELS) {
      const r = runModel(fn, o);
      if (r.result === "ok" && r.type.initial > 16n) return true;
    }
    return false;
  }

  function runReal(C, fn, reenter) {
    const nested = [];
    const { h, log, value } = materialise(fn, { reenter: () => nested.push(reenter()) });
    let m;
    let err;
    let threw = false;
    try {
      m = new C(value);
    } catch (e) {
      threw = true;
      err = e;
    }
    const out = { log: log.join(" | "), nested };
    if (threw) {
      return { ...out, result: errName(err), error: err, message: String(err?.message ?? err), ownHookError: h.thrown.includes(err) };
    }
    const b = bufferOf(m);
    // Frozen as users see it: through the memory's own `buffer` accessor (ours freezes lazily there
    // on engines that don't, e.g. i64 shared memories in Firefox).
    const o = { ...out, result: "ok", memory: m, pages: b.byteLength / P, shared: isSAB(b), frozen: Object.isFrozen(m.buffer) };
    o.address = addressOf(m);
    return o;
  }

  const logOf = (real, strip) => (strip ? stripMessageTraps(real.log) : real.log);
  const sameAs = (real, model, strip = false) =>
    real.result === model.result &&
    logOf(real, strip) === model.log &&
    (real.result !== "ok" || (real.pages === model.pages && real.shared === model.shared && real.address === model.address));

  const brief = (o) =>
    `${o.result}${o.result === "ok" ? ` (${o.address}, ${o.pages} pages${o.shared ? ", shared" : ""})` : o.message ? ` "${o.message}"` : ""} reads [${o.log}]`;

  function expectedType(t) {
    const v = (x) => (t.address === "i64" ? x : Number(x));
    const o = { address: t.address };
    if (t.maximum !== undefined) o.maximum = v(t.maximum);
    o.minimum = v(t.initial);
    o.shared = t.shared;
    return o;
  }

  function sameType(actual, expected) {
    if (!isObject(actual)) return false;
    const ka = Object.keys(actual);
    const ke = Object.keys(expected);
    return ka.join() === ke.join() && ke.every((k) => Object.is(actual[k], expected[k]));
  }

  /** Checks one descriptor case; returns the list of problems. */
  function descriptorCase(src, fn, stats) {
    const problems = [];
    const ev0 = events.length;
    const ours = runReal(Memory, fn, () => {
      try {
        const m = new Memory({ initial: 0 });
        ledger.snapshot();
        return m;
      } catch (e) {
        return e;
      }
    });
    const evOurs = events.slice(ev0);
    const native = runReal(NativeMemory, fn, () => {
      try {
        return new NativeMemory({ initial: 0 });
      } catch (e) {
        return e;
      }
    });
    const oursModel = runModel(
      fn,
      specOptions({
        allocI64Limit: info.i64Limit < SPEC_I64_LIMIT ? info.i64Limit : null,
        memory64: info.memory64,
        packageI64Maximum: true,
      }),
    );
    const spec = runModel(fn, specOptions());
    extraTraps(ours, src, stats, `new Memory(${src})`);

    // 1. Ours against the spec (with this engine's memory64 support and allocation limits).
    if (ours.result !== oursModel.result) problems.push(`outcome ${ours.result}, the spec says ${oursModel.result}`);
    if (ours.log !== oursModel.log)
      problems.push(`observable steps differ from the spec's:\n      ours [${ours.log}]\n      spec [${oursModel.log}]`);
    if (ours.result === "RuntimeError") problems.push(`a RuntimeError (trap?): ${ours.message}`);
    if (ours.result.startsWith("HookError") && !ours.ownHookError)
      problems.push("the hook's exception was not passed on unchanged (not the same object)");
    if (ours.result !== "ok" && !ours.result.startsWith("HookError") && isObject(ours.error)) {
      const C = globalThis[ours.result];
      if (typeof C !== "function" || Object.getPrototypeOf(ours.error) !== C.prototype)
        problems.push(`the error is not a ${ours.result} of this realm`);
      if (typeof ours.error.message !== "string" || ours.error.message.length === 0) problems.push("the error has no message");
    }
    if (ours.result === "ok" && oursModel.result === "ok") {
      const m = ours.memory;
      if (ours.pages !== oursModel.pages) problems.push(`made ${ours.pages} pages, the spec says ${oursModel.pages}`);
      if (ours.shared !== oursModel.shared) problems.push(`shared=${ours.shared}, the spec says ${oursModel.shared}`);
      if (ours.address !== oursModel.address) problems.push(`an ${ours.address} memory (by grow(0n)), the spec says ${oursModel.address}`);
      if (ours.shared && !ours.frozen) problems.push("a shared memory's buffer is not frozen");
      if (!ours.shared && ours.frozen) problems.push("a non-shared memory's buffer is frozen");
      if (!(m instanceof NativeMemory)) problems.push("not an instance of WebAssembly.Memory");
      if (Object.getPrototypeOf(m) !== Memory.prototype) problems.push("prototype is not Memory.prototype");
      let t;
      try {
        t = m.type();
      } catch (e) {
        t = `threw ${errName(e)}`;
      }
      const want = expectedType(oursModel.type);
      if (!sameType(t, want)) problems.push(`type() is ${show(t)}, expected ${show(want)}`);
      const id = ledger.idOf(m);
      const creates = evOurs.filter((e) => e.type === "create");
      const last = creates[creates.length - 1];
      if (id < 0) problems.push("not in the ledger");
      else if (!last || last.id !== id || last.pages !== ours.pages)
        problems.push(`create event ${show(last)} does not match id ${id}, ${ours.pages} pages`);
    }
    const nestedMade = ours.nested.filter((x) => isMemory(x)).length;
    const wantCreates = (ours.result === "ok" ? 1 : 0) + nestedMade;
    const gotCreates = evOurs.filter((e) => e.type === "create").length;
    if (gotCreates !== wantCreates) problems.push(`${gotCreates} create events, expected ${wantCreates}`);
    if (evOurs.some((e) => e.type === "budget" || e.type === "grow"))
      problems.push(`unexpected events ${show(evOurs.filter((e) => e.type !== "create"))}`);

    // 2. The engine against the spec: equal, or explained by known deviations.
    let nativeNote = "";
    if (sameAs(native, spec)) {
      stats.nativeConforms++;
      // Then ours must behave exactly as the engine does.
      if (ours.result !== native.result)
        problems.push(`outcome ${ours.result}, the engine (which follows the spec here) says ${native.result}`);
      if (ours.log !== native.log)
        problems.push(
          `observable steps differ from the engine's (which follows the spec here):\n      ours   [${ours.log}]\n      native [${native.log}]`,
        );
      if (
        ours.result === "ok" &&
        native.result === "ok" &&
        (ours.pages !== native.pages || ours.shared !== native.shared || ours.address !== native.address)
      )
        problems.push("memory differs from the engine's");
    } else {
      const found = subsets(info.flags).find((s) => sameAs(native, runModel(fn, flagOptions(info, s)), s.includes("errorMessageTraps")));
      if (found) {
        stats.deviating++;
        for (const k of found) stats.kinds[k] = (stats.kinds[k] ?? 0) + 1;
        nativeNote = `native deviates: ${found.join("+")}`;
      } else {
        stats.unexplained++;
        stats.unexplainedCases.push({ src, native: brief(native), spec: brief(spec) });
      }
    }
    if (native.result === "ok" && native.shared && !native.frozen) stats.kinds.unfrozenShared = (stats.kinds.unfrozenShared ?? 0) + 1;
    stats.outcomes[ours.result] = (stats.outcomes[ours.result] ?? 0) + 1;
    return { problems, ours, native, spec: oursModel, nativeNote };
  }

  function extraTrapsCheck(what, stats, seed) {
    return {
      name: `no Proxy traps beyond the spec's when a conversion fails (${what}; e.g. traps the engine runs to print the value in its error message)`,
      ok: stats.extraTraps === 0,
      data: {
        failed: stats.extraTraps,
        tally: stats.extraTraps ? { [`extra traps after a failed conversion (seed ${seed})`]: stats.extraTraps } : {},
        examples: stats.extraTrapCases,
      },
      detail: stats.extraTraps ? `${stats.extraTraps} case(s) (seed ${seed}); e.g.\n    ${stats.extraTrapCases.join("\n    ")}` : "",
    };
  }

  async function descriptors(args) {
    recording = true;
    try {
      return await descriptorsRun(args);
    } finally {
      recording = false;
      events.length = 0;
    }
  }

  // Cases run in batches of 20 per job: every memory our Memory makes stays alive until the end of
  // the job that made it (the ledger's WeakRef), and a browser runs out of address space after
  // ~120 of them in one job (see the "synchronous loop" check in the allocation section).
  async function descriptorsRun({ seed, count, start = 0, batch = 20 }) {
    const { gen, from } = generator("descriptors", seed, start, () => {
      const g = new Gen((seed ^ 0x5eed0001) >>> 0);
      return new CaseStream(
        () => g.descriptor(),
        (src) => src,
        (_src, fn) => !tooBig(fn),
      );
    });
    const rejected0 = gen.rejected;
    const stats = {
      cases: 0,
      rejected: 0,
      nativeConforms: 0,
      deviating: 0,
      unexplained: 0,
      extraTraps: 0,
      kinds: {},
      outcomes: {},
      unexplainedCases: [],
      extraTrapCases: [],
    };
    const tally = {};
    const seenKinds = new Set();
    const failures = [];
    let failed = 0;
    const trapProblems = [];
    // Cases [0, start) are generated and skipped, so that a replay reaches the same case.
    for (let i = from; i < start + count; i++) {
      const { c: src, fn } = gen.take();
      if (i < start) continue;
      stats.cases++;
      let r;
      try {
        r = descriptorCase(src, fn, stats);
      } catch (e) {
        r = { problems: [`the harness threw ${errName(e)}: ${e?.message}\n${e?.stack}`] };
      }
      tallyProblems(tally, r.problems);
      if (r.problems.length) {
        failed++;
        if (keepExample(failures, seenKinds, r.problems)) {
          failures.push(
            `seed ${seed}, descriptor case #${i}:\n    new Memory(${src})\n    ${r.problems.join("\n    ")}\n    ours:   ${r.ours && brief(r.ours)}\n    native: ${r.native && brief(r.native)}${r.nativeNote ? ` (${r.nativeNote})` : ""}\n    spec:   ${r.spec && brief(r.spec)}`,
          );
        }
      }
      if ((i + 1) % batch === 0) {
        const p = probe();
        if (p) trapProblems.push(`after descriptor case #${i} (seed ${seed}): ${p}`);
        trimEvents();
        await betweenBatches();
      }
    }
    positions.set("descriptors", { seed, gen, next: start + count });
    stats.rejected = gen.rejected - rejected0;
    stats.ledgerLive = ledger.snapshot().live;
    const p = probe();
    if (p) trapProblems.push(`after the descriptor cases: ${p}`);
    const name = "differential: descriptor cases, ours against the engine and the spec";
    const checks = [
      {
        name,
        ok: failed === 0,
        data: { failed, tally, examples: failures },
        detail: formatFailures({ failed, tally, examples: failures }),
      },
      {
        name: "the engine's differences from the spec are all known deviations (descriptors)",
        ok: stats.unexplained === 0,
        detail: stats.unexplained
          ? `${stats.unexplained} case(s) not explained by ${info.flags.join(", ")}; e.g.\n  ${stats.unexplainedCases
              .slice(0, 4)
              .map((c) => `new WebAssembly.Memory(${c.src})\n    native: ${c.native}\n    spec:   ${c.spec}`)
              .join("\n  ")}`
          : "",
      },
      {
        name: "zero traps: the module still works after every batch (descriptors)",
        ok: trapProblems.length === 0,
        detail: trapProblems.slice(0, 5).join("\n  "),
      },
      extraTrapsCheck("descriptors", stats, seed),
    ];
    delete stats.unexplainedCases;
    delete stats.extraTrapCases;
    return { checks, stats };
  }

  // ---------------------------------------------------------------- differential: grow

  function growOf(mem) {
    const one = mem.address === "i64" ? 1n : 1;
    return one;
  }

  function runGrowModel(mem, fn, options) {
    const state = {
      address: mem.address,
      pages: BigInt(mem.initial),
      maximum: mem.maximum === undefined ? undefined : BigInt(mem.maximum),
    };
    const { log, value } = materialise(fn, { growSelf: () => modelGrow(state, growOf(mem), options) });
    try {
      const old = modelGrow(state, value, options);
      return { result: "ok", log: log.join(" | "), ret: mem.address === "i64" ? `${old}n` : `${old}`, after: Number(state.pages) };
    } catch (e) {
      return { result: errName(e), log: log.join(" | "), message: e?.message, after: Number(state.pages) };
    }
  }

  function growTooBig(mem, fn) {
    for (const o of GUARD_MODELS) {
      const r = runGrowModel(mem, fn, o);
      if (r.result === "ok" && r.after > 16 && r.after < 2 ** 31) return true;
    }
    return false;
  }

  function descriptorOf(mem) {
    const v = (x) => (mem.address === "i64" ? BigInt(x) : x);
    const d = { initial: v(mem.initial) };
    if (mem.address === "i64") d.address = "i64";
    if (mem.maximum !== undefined) d.maximum = v(mem.maximum);
    if (mem.shared) d.shared = true;
    return d;
  }

  function runGrowReal(m, mem, fn) {
    const { h, log, value } = materialise(fn, { growSelf: () => m.grow(growOf(mem)) });
    const before = bufferOf(m);
    let r;
    let err;
    let threw = false;
    try {
      r = m.grow(value);
    } catch (e) {
      threw = true;
      err = e;
    }
    const after = bufferOf(m);
    const out = {
      log: log.join(" | "),
      after: after.byteLength / P,
      oldLength: before.byteLength,
      oldDetached: isDetached(before),
      fresh: after !== before,
      frozen: Object.isFrozen(m.buffer), // as users see it (see runReal)
    };
    if (threw)
      return { ...out, result: errName(err), error: err, message: String(err?.message ?? err), ownHookError: h.thrown.includes(err) };
    return { ...out, result: "ok", ret: typeof r === "bigint" ? `${r}n` : typeof r === "number" ? `${r}` : `${typeof r} ${String(r)}` };
  }

  const sameGrow = (real, model, strip = false) =>
    real.result === model.result &&
    logOf(real, strip) === model.log &&
    real.after === model.after &&
    (real.result !== "ok" || real.ret === model.ret);
  const briefGrow = (o) =>
    `${o.result}${o.result === "ok" ? ` returned ${o.ret}` : o.message ? ` "${o.message}"` : ""}, ${o.after} pages after, reads [${o.log}]`;

  function growCase(mem, src, fn, stats) {
    const problems = [];
    const d = descriptorOf(mem);
    const oursM = new Memory(d);
    const nativeM = new NativeMemory(descriptorOf(mem));
    const id = ledger.idOf(oursM);
    const ev0 = events.length;
    const ours = runGrowReal(oursM, mem, fn);
    const evOurs = events.slice(ev0);
    const native = runGrowReal(nativeM, mem, fn);
    const oursModel = runGrowModel(mem, fn, specOptions({ allocI64Limit: info.growLimit < SPEC_I64_LIMIT ? info.growLimit : null }));
    const spec = runGrowModel(mem, fn, specOptions());
    extraTraps(ours, src, stats, `new Memory(${memSrc(mem)}).grow(${src})`);
    const selfGrow = src.includes("h.gs(");

    if (ours.result !== oursModel.result) problems.push(`outcome ${ours.result}, the spec says ${oursModel.result}`);
    if (ours.log !== oursModel.log)
      problems.push(`observable steps differ from the spec's:\n      ours [${ours.log}]\n      spec [${oursModel.log}]`);
    if (ours.result === "ok" && ours.ret !== oursModel.ret) problems.push(`returned ${ours.ret}, the spec says ${oursModel.ret}`);
    if (ours.after !== oursModel.after) problems.push(`${ours.after} pages after, the spec says ${oursModel.after}`);
    if (ours.result === "RuntimeError") problems.push(`a RuntimeError (trap?): ${ours.message}`);
    if (ours.result.startsWith("HookError") && !ours.ownHookError) problems.push("the hook's exception was not passed on unchanged");
    if (!selfGrow) {
      if (ours.result === "ok" && !mem.shared && !(ours.oldDetached && ours.fresh))
        problems.push("the old buffer was not detached and replaced");
      if (ours.result !== "ok" && (ours.fresh || ours.oldDetached)) problems.push("a failed grow replaced or detached the buffer");
    }
    if (mem.shared && !ours.frozen) problems.push("the shared buffer after grow is not frozen");
    let t;
    try {
      t = oursM.type();
    } catch (e) {
      t = { threw: errName(e) };
    }
    const wantMin = mem.address === "i64" ? BigInt(ours.after) : ours.after;
    if (!Object.is(t.minimum, wantMin)) problems.push(`type().minimum is ${show(t.minimum)}, expected ${show(wantMin)}`);
    const grows = evOurs.filter((e) => e.type === "grow");
    const wantGrows = (ours.result === "ok" ? 1 : 0) + (selfGrow && ours.log.includes("grew self") ? 1 : 0);
    if (grows.length !== wantGrows) problems.push(`${grows.length} grow events, expected ${wantGrows}`);
    else if (ours.result === "ok" && (grows[grows.length - 1].id !== id || grows[grows.length - 1].to !== ours.after))
      problems.push(`grow event ${show(grows[grows.length - 1])} does not match`);

    let nativeNote = "";
    if (sameGrow(native, spec)) {
      stats.nativeConforms++;
      if (ours.result !== native.result)
        problems.push(`outcome ${ours.result}, the engine (which follows the spec here) says ${native.result}`);
      if (ours.log !== native.log)
        problems.push(`observable steps differ from the engine's:\n      ours   [${ours.log}]\n      native [${native.log}]`);
      if (ours.result === "ok" && ours.ret !== native.ret) problems.push(`returned ${ours.ret}, the engine returned ${native.ret}`);
      if (ours.oldDetached !== native.oldDetached || ours.fresh !== native.fresh || ours.oldLength !== native.oldLength)
        problems.push(
          `buffer after grow: ours detached=${ours.oldDetached} fresh=${ours.fresh} old length ${ours.oldLength}, native detached=${native.oldDetached} fresh=${native.fresh} old length ${native.oldLength}`,
        );
    } else {
      const found = subsets(info.growFlags).find((s) =>
        sameGrow(native, runGrowModel(mem, fn, flagOptions(info, s, true)), s.includes("errorMessageTraps")),
      );
      if (found) {
        stats.deviating++;
        for (const k of found) stats.kinds[k] = (stats.kinds[k] ?? 0) + 1;
        nativeNote = `native deviates: ${found.join("+")}`;
      } else {
        stats.unexplained++;
        stats.unexplainedCases.push({
          src: `new WebAssembly.Memory(${memSrc(mem)}).grow(${src})`,
          native: briefGrow(native),
          spec: briefGrow(spec),
        });
      }
    }
    if (mem.shared && !native.frozen) stats.kinds.unfrozenShared = (stats.kinds.unfrozenShared ?? 0) + 1;
    stats.outcomes[ours.result] = (stats.outcomes[ours.result] ?? 0) + 1;
    return { problems, ours, native, spec: oursModel, nativeNote };
  }

  async function grow(args) {
    recording = true;
    try {
      return await growRun(args);
    } finally {
      recording = false;
      events.length = 0;
    }
  }

  async function growRun({ seed, count, start = 0, batch = 20 }) {
    const { gen, from } = generator("grow", seed, start, () => {
      const g = new Gen((seed ^ 0x5eed0002) >>> 0);
      return new CaseStream(
        () => g.grow(),
        (c) => c.delta,
        (c, fn) => !growTooBig(c.mem, fn),
      );
    });
    const rejected0 = gen.rejected;
    const stats = {
      cases: 0,
      i32: 0,
      i64: 0,
      skippedNoMemory64: 0,
      rejected: 0,
      nativeConforms: 0,
      deviating: 0,
      unexplained: 0,
      extraTraps: 0,
      kinds: {},
      outcomes: {},
      unexplainedCases: [],
      extraTrapCases: [],
    };
    const tally = {};
    const seenKinds = new Set();
    const failures = [];
    let failed = 0;
    const trapProblems = [];
    for (let i = from; i < start + count; i++) {
      const { c, fn } = gen.take();
      if (i < start) continue;
      if (c.mem.address === "i64" && !info.memory64) {
        stats.skippedNoMemory64++;
        continue;
      }
      stats.cases++;
      stats[c.mem.address]++;
      let r;
      try {
        r = growCase(c.mem, c.delta, fn, stats);
      } catch (e) {
        r = { problems: [`the harness threw ${errName(e)}: ${e?.message}\n${e?.stack}`] };
      }
      tallyProblems(tally, r.problems);
      if (r.problems.length) {
        failed++;
        if (keepExample(failures, seenKinds, r.problems)) {
          failures.push(
            `seed ${seed}, grow case #${i}:\n    new Memory(${memSrc(c.mem)}).grow(${c.delta})\n    ${r.problems.join("\n    ")}\n    ours:   ${r.ours && briefGrow(r.ours)}\n    native: ${r.native && briefGrow(r.native)}${r.nativeNote ? ` (${r.nativeNote})` : ""}\n    spec:   ${r.spec && briefGrow(r.spec)}`,
          );
        }
      }
      if ((i + 1) % batch === 0) {
        const p = probe();
        if (p) trapProblems.push(`after grow case #${i} (seed ${seed}): ${p}`);
        trimEvents();
        await betweenBatches();
      }
    }
    positions.set("grow", { seed, gen, next: start + count });
    stats.rejected = gen.rejected - rejected0;
    const p = probe();
    if (p) trapProblems.push(`after the grow cases: ${p}`);
    const checks = [
      {
        name: "differential: grow cases, ours against the engine and the spec",
        ok: failed === 0,
        data: { failed, tally, examples: failures },
        detail: formatFailures({ failed, tally, examples: failures }),
      },
      {
        name: "the engine's differences from the spec are all known deviations (grow)",
        ok: stats.unexplained === 0,
        detail: stats.unexplained
          ? `${stats.unexplained} case(s) not explained by ${info.growFlags.join(", ") || "(none)"}; e.g.\n  ${stats.unexplainedCases
              .slice(0, 4)
              .map((c) => `${c.src}\n    native: ${c.native}\n    spec:   ${c.spec}`)
              .join("\n  ")}`
          : "",
      },
      {
        name: "zero traps: the module still works after every batch (grow)",
        ok: trapProblems.length === 0,
        detail: trapProblems.slice(0, 5).join("\n  "),
      },
      extraTrapsCheck("grow", stats, seed),
    ];
    delete stats.unexplainedCases;
    delete stats.extraTrapCases;
    return { checks, stats };
  }

  // ---------------------------------------------------------------- directed: allocation failures

  /** Allocation failures must be RangeErrors (the spec's "if allocation fails"), on every engine. */
  async function allocation() {
    const checks = [];
    const notes = [];
    // Memories made and dropped in one synchronous loop: the engine's own constructor reclaims
    // their reservations under pressure; ours must be able to do the same.
    const LOOP = 3000;
    const loop = (C, d) => {
      let i = 0;
      try {
        for (; i < LOOP; i++) new C(d());
        return { made: i };
      } catch (e) {
        return { made: i, error: `${errName(e)}: ${isObject(e) ? e.message : String(e)}` };
      }
    };
    const loops = [["i32", () => ({ initial: 0 }), "{ initial: 0 }"]];
    if (HAS_SAB && globalThis.crossOriginIsolated !== false)
      loops.push(["shared", () => ({ initial: 0, maximum: 1, shared: true }), "{ initial: 0, maximum: 1, shared: true }"]);
    if (info.memory64) loops.push(["i64", () => ({ address: "i64", initial: 0n }), '{ address: "i64", initial: 0n }']);
    for (const [label, d, src] of loops) {
      await settle();
      const native = loop(NativeMemory, d);
      await settle();
      const ours = loop(Memory, d);
      await settle();
      // docs/ledger.md, "Collected memories": a WeakRef keeps each memory alive to the end of the
      // task that made it (the ledger's wait in a nursery); running out must be the spec's RangeError, and the ledger recovers.
      checks.push({
        name: `${LOOP} ${label} memories made and dropped in one synchronous loop fail, if at all, with a RangeError (engine: ${native.error ? `fails at ${native.made}` : "makes them all"}; ours: ${ours.error ? `made ${ours.made}` : "makes them all"})`,
        ok: ours.error === undefined || ours.error.startsWith("RangeError"),
        detail: `ours made ${ours.made}, then threw ${ours.error}
    repro: for (let i = 0; i < ${LOOP}; i++) new Memory(${src}); // the engine's WebAssembly.Memory makes all ${LOOP}`,
      });
    }
    const tryMake = (C, d) => {
      try {
        new C(d);
        return "ok";
      } catch (e) {
        return errName(e);
      }
    };
    if (info.memory64) {
      for (const [label, d] of [
        ["i64 initial 2^32 pages (cannot be allocated)", () => ({ address: "i64", initial: 2n ** 32n })],
        ["i64 initial 2^32 pages, maximum 2^32 (cannot be allocated)", () => ({ address: "i64", initial: 2n ** 32n, maximum: 2n ** 32n })],
        ["i64 initial 2^40 pages (cannot be allocated)", () => ({ address: "i64", initial: 2n ** 40n })],
      ]) {
        const ours = tryMake(Memory, d());
        const native = tryMake(NativeMemory, d());
        checks.push({
          name: `allocation failure is a RangeError: new Memory({ ${label} })`,
          ok: ours === "RangeError",
          detail: `ours ${ours}, native ${native}`,
        });
        if (native !== "RangeError") notes.push(`the engine throws ${native} for ${label} (the spec says RangeError)`);
      }
      const m = new Memory({ address: "i64", initial: 0n });
      let r;
      try {
        r = m.grow(2n ** 40n);
      } catch (e) {
        r = errName(e);
      }
      checks.push({
        name: "allocation failure is a RangeError: i64 memory.grow(2n ** 40n)",
        ok: r === "RangeError",
        detail: `ours ${show(r)}`,
      });
    } else {
      const ours = tryMake(Memory, { address: "i64", initial: 1n });
      checks.push({
        name: 'no memory64: new Memory({ address: "i64", initial: 1n }) is a RangeError',
        ok: ours === "RangeError",
        detail: `ours ${ours}`,
      });
    }
    const p = probe();
    checks.push({ name: "zero traps: the module still works after the allocation failures", ok: p === null, detail: p ?? "" });
    return { checks, notes };
  }

  // ---------------------------------------------------------------- budgets: no bypass

  async function bypass() {
    await settle();
    const checks = [];
    const notes = [];
    const { grower, exporter } = ctx.fixtures;
    const growerModule = new WebAssembly.Module(grower);
    const exporterModule = new WebAssembly.Module(exporter);
    const growerFor = (m) => new WebAssembly.Instance(growerModule, { js: { mem: m } }).exports;
    class Sub extends Memory {}
    const budgetEvents = [];
    const offBudget = ledger.on("budget", (e) => budgetEvents.push(e));
    const totals = () => {
      const s = ledger.snapshot();
      return { live: s.live, livePages: s.livePages, created: s.created, peakTotalPages: s.peakTotalPages };
    };
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const pagesOf = (m) => bufferOf(m).byteLength / P;

    /** An attempt that the budget must refuse: a RangeError (or -1 from wasm), nothing changed. */
    const refuse = (name, f, { wasm = false, memory = null, source, construct = false } = {}) => {
      const before = totals();
      const size = memory && pagesOf(memory);
      const ev = budgetEvents.length;
      let r;
      let e;
      let threw = false;
      try {
        r = f();
      } catch (x) {
        threw = true;
        e = x;
      }
      const after = totals();
      const problems = [];
      if (wasm) {
        if (threw) problems.push(`threw ${errName(e)}: ${e?.message}`);
        else if (r !== -1) problems.push(`memory.grow inside wasm returned ${show(r)}, not -1: the memory grew past the budget`);
      } else if (!threw) {
        problems.push(`succeeded (returned ${isMemory(r) ? `a memory of ${pagesOf(r)} pages` : show(r)})`);
      } else if (!(e instanceof RangeError)) {
        problems.push(`threw ${errName(e)} (${e?.message}), not a RangeError`);
      }
      if (!same(before, after)) problems.push(`snapshot totals changed: ${show(before)} -> ${show(after)}`);
      if (memory && pagesOf(memory) !== size) problems.push(`the memory changed size: ${size} -> ${pagesOf(memory)} pages`);
      if (construct && threw && e instanceof RangeError && !budgetEvents.slice(ev).some((x) => x.refused === true))
        problems.push("no budget event with refused: true");
      checks.push({
        name: `no bypass: ${name}`,
        ok: problems.length === 0,
        detail: problems.length ? `${problems.join("; ")}${source ? `\n    repro: ${source}` : ""}` : "",
      });
      // Drop whatever a failed refusal made, so that the next attempts start from a known state.
      return r;
    };

    const s0 = ledger.snapshot();
    const base = s0.livePages;
    const liveBase = s0.live;
    const budget = { totalPages: base + 6, perMemoryPages: 4, memories: liveBase + 6, mode: "hard" };
    ledger.setBudget(budget);
    const keep = [];
    const C = { construct: true };
    try {
      // perMemoryPages = 4
      const a = new Memory({ initial: 2, maximum: 8 }, { label: "bypass a" });
      keep.push(a);
      const aType = a.type();
      checks.push({
        name: "a hard budget clamps a new memory's maximum to what the budget leaves it",
        ok: aType.maximum === 4,
        detail: `type() ${show(aType)}`,
      });
      const wasmA = growerFor(a);
      const sub = new Sub({ initial: 1 });
      keep.push(sub);
      refuse("new Memory over perMemoryPages", () => new Memory({ initial: 5 }), C);
      refuse("Reflect.construct(Memory, ...) over perMemoryPages", () => Reflect.construct(Memory, [{ initial: 5 }]), C);
      refuse("a subclass of Memory over perMemoryPages", () => new Sub({ initial: 5 }), C);
      refuse("Reflect.construct(Memory, ..., Sub) over perMemoryPages", () => Reflect.construct(Memory, [{ initial: 5 }], Sub), C);
      refuse(
        "Reflect.construct(Memory, ..., a plain function newTarget) over perMemoryPages",
        () => Reflect.construct(Memory, [{ initial: 5 }], function Target() {}),
        C,
      );
      refuse("memory.grow over perMemoryPages", () => a.grow(3), { memory: a });
      refuse("Memory.prototype.grow.call over perMemoryPages", () => Memory.prototype.grow.call(a, 3), { memory: a });
      refuse("a subclass memory's grow over perMemoryPages", () => sub.grow(4), { memory: sub });
      refuse("the engine's own grow (captured before install) over the clamped maximum", () => nativeGrow.call(a, 3), { memory: a });
      refuse("memory.grow inside wasm over perMemoryPages", () => wasmA.grow(3), {
        wasm: true,
        memory: a,
        source: "ledger.setBudget({ perMemoryPages: 4 }); const a = new Memory({ initial: 2, maximum: 8 }); grower(a).grow(3)",
      });
      let bPages = 3;
      if (info.memory64) {
        const a64 = new Memory({ address: "i64", initial: 1n });
        keep.push(a64);
        bPages = 2;
        refuse("i64 memory.grow over perMemoryPages", () => a64.grow(4n), { memory: a64 });
        refuse("new i64 Memory over perMemoryPages", () => new Memory({ address: "i64", initial: 5n }), C);
        refuse("the engine's own grow of an i64 memory over the clamped maximum", () => nativeGrow.call(a64, 4n), { memory: a64 });
      } else {
        bPages = 3;
      }
      // totalPages = base + 6 = a (2) + sub (1) [+ a64 (1)] + b
      const b = new Memory({ initial: bPages });
      keep.push(b);
      const sb = ledger.snapshot();
      checks.push({
        name: "budget set-up: the live pages are exactly at the total budget",
        ok: sb.livePages === budget.totalPages,
        detail: `livePages ${sb.livePages}, totalPages ${budget.totalPages}`,
      });
      refuse("new Memory over totalPages", () => new Memory({ initial: 1 }), C);
      refuse("Reflect.construct(Memory, ...) over totalPages", () => Reflect.construct(Memory, [{ initial: 1 }]), C);
      refuse("a subclass of Memory over totalPages", () => new Sub({ initial: 1 }), C);
      refuse("memory.grow over totalPages", () => a.grow(1), { memory: a });
      refuse("Memory.prototype.grow.call over totalPages", () => Memory.prototype.grow.call(b, 1), { memory: b });
      // memories = liveBase + 6
      while (ledger.snapshot().live < budget.memories) keep.push(new Memory({ initial: 0 }));
      refuse("new Memory over memories", () => new Memory({ initial: 0 }), C);
      refuse("Reflect.construct(Memory, ...) over memories", () => Reflect.construct(Memory, [{ initial: 0 }]), C);
      refuse("a subclass of Memory over memories", () => new Sub({ initial: 0 }), C);

      // install(): the engine's constructor and prototype are ours now.
      const uninstall = install();
      try {
        const W = globalThis.WebAssembly;
        refuse("WebAssembly.Memory after install() over memories", () => new W.Memory({ initial: 0 }), C);
        refuse("WebAssembly.Memory after install() over perMemoryPages", () => new W.Memory({ initial: 5 }), C);
        refuse(
          "Reflect.construct(WebAssembly.Memory) after install() over memories",
          () => Reflect.construct(W.Memory, [{ initial: 0 }]),
          C,
        );
        refuse(
          "new (WebAssembly.Memory.prototype.constructor) after install() over memories",
          () => new W.Memory.prototype.constructor({ initial: 0 }),
          C,
        );
        refuse("a subclass of WebAssembly.Memory after install() over memories", () => new (class extends W.Memory {})({ initial: 0 }), C);
        refuse("WebAssembly.Memory.prototype.grow.call while installed over perMemoryPages", () => W.Memory.prototype.grow.call(a, 3), {
          memory: a,
        });
        refuse("WebAssembly.Memory.prototype.grow.call while installed over totalPages", () => W.Memory.prototype.grow.call(b, 1), {
          memory: b,
        });
        refuse("memory.grow while installed over perMemoryPages", () => a.grow(3), { memory: a });
        refuse("memory.grow inside wasm (instantiated while installed) over perMemoryPages", () => growerFor(a).grow(3), {
          wasm: true,
          memory: a,
        });
        // Not in the issue's list, reported as notes: paths around the budget.
        const proto = Object.getPrototypeOf(Memory);
        if (proto === NativeMemory) {
          let made = null;
          try {
            made = new proto({ initial: 5 });
          } catch {
            made = null;
          }
          if (made)
            notes.push(
              "Object.getPrototypeOf(Memory) is the engine's own WebAssembly.Memory (class Memory extends it), even while installed: `new (Object.getPrototypeOf(Memory))({ initial: 5 })` makes an unledgered memory past a hard budget",
            );
        }
        const before = totals();
        const ev = budgetEvents.length;
        const inst = new WebAssembly.Instance(exporterModule, {});
        const exported = inst.exports.memory;
        const after = totals();
        checks.push({
          name: "an exported memory adopted while installed enters the ledger",
          ok: ledger.idOf(exported) >= 0 && after.live === before.live + 1,
          detail: show({ id: ledger.idOf(exported), before, after }),
        });
        if (ledger.idOf(exported) >= 0 && after.live > budget.memories) {
          notes.push(
            `documented: a memory exported by a module enters the ledger without a budget check (live ${after.live} > memories budget ${budget.memories}, livePages ${before.livePages} -> ${after.livePages})`,
          );
          const reported = budgetEvents.slice(ev).filter((e) => e.refused === false && e.id === ledger.idOf(exported));
          checks.push({
            name: "an exported memory that passes a hard budget is reported by a budget event (refused: false)",
            ok: reported.length > 0,
            detail: show(budgetEvents.slice(ev)),
          });
        }
        if (ledger.idOf(exported) >= 0) {
          const r = inst.exports.grow(4);
          const s = ledger.snapshot();
          const rec = s.memories.find((x) => x.id === ledger.idOf(exported));
          if (r !== -1)
            notes.push(
              `documented: an exported memory grows inside its own module past a hard budget (grow(4) returned ${r}; now ${rec?.pages} pages > perMemoryPages ${budget.perMemoryPages}): exported memories are not clamped`,
            );
        }
      } finally {
        uninstall();
      }
      checks.push({
        name: "uninstall() restores WebAssembly.Memory and its prototype",
        ok: WebAssembly.Memory === NativeMemory && NativeMemory.prototype.grow === nativeGrow && nativeProto.constructor === NativeMemory,
        detail: "",
      });

      // Wasm grows call no JS: the ledger sees them only when it next reads sizes. A JS
      // construction or grow right after one (no snapshot() in between) must still be refused.
      const fresh = async (total) => {
        ledger.setBudget(null);
        keep.length = 0;
        await settle();
        const P0 = ledger.snapshot().livePages;
        ledger.setBudget({ totalPages: P0 + total, mode: "hard" });
        return P0 + total;
      };
      /** An attempt made with no size read before it: refused, and the live total stays within the budget. */
      const refuseUnobserved = (name, f, limit, source) => {
        let threw = null;
        let r;
        try {
          r = f();
        } catch (e) {
          threw = e;
        }
        const s = ledger.snapshot();
        const problems = [];
        if (!threw) problems.push(`succeeded (returned ${isMemory(r) ? `a memory of ${pagesOfSafe(r)} pages` : show(r)})`);
        else if (!(threw instanceof RangeError)) problems.push(`threw ${errName(threw)}, not a RangeError`);
        if (s.livePages > limit) problems.push(`live pages are now ${s.livePages}, past totalPages ${limit}`);
        checks.push({
          name: `no bypass: ${name}`,
          ok: problems.length === 0,
          detail: problems.length ? `${problems.join("; ")}\n    repro: ${source}` : "",
        });
        keep.push(r);
      };
      {
        const limit = await fresh(4);
        const x = new Memory({ initial: 1 }); // clamped to maximum 4
        keep.push(x);
        const inWasm = growerFor(x).grow(3); // within its clamp: the budget is now full
        refuseUnobserved(
          `new Memory right after a memory grew inside wasm to the total (wasm grow returned ${inWasm})`,
          () => new Memory({ initial: 1 }),
          limit,
          "ledger.setBudget({ totalPages: 4 }); const x = new Memory({ initial: 1 }); new WebAssembly.Instance(grower, { js: { mem: x } }).exports.grow(3); new Memory({ initial: 1 }) /* succeeds: 5 pages live */",
        );
      }
      {
        const limit = await fresh(4);
        const x = new Memory({ initial: 1 }); // clamped to 4
        const y = new Memory({ initial: 1 }); // clamped to 3
        keep.push(x, y);
        const inWasm = growerFor(x).grow(2); // x: 3 pages, the budget is now full
        refuseUnobserved(
          `another memory's JS grow right after a memory grew inside wasm to the total (wasm grow returned ${inWasm})`,
          () => y.grow(1),
          limit,
          "ledger.setBudget({ totalPages: 4 }); const x = new Memory({ initial: 1 }), y = new Memory({ initial: 1 }); new WebAssembly.Instance(grower, { js: { mem: x } }).exports.grow(2); y.grow(1) /* succeeds: 5 pages live */",
        );
      }
      {
        // Documented (docs/ledger.md, "Hard budgets can't be bypassed from wasm"): each memory's clamp is what the
        // budget left when it was made, so together they can pass the total through wasm.
        const limit = await fresh(4);
        const x = new Memory({ initial: 1 });
        const y = new Memory({ initial: 1 });
        keep.push(x, y);
        const r = growerFor(x).grow(3);
        if (r !== -1)
          notes.push(
            `documented limitation: two memories each within their clamp pass totalPages through wasm (totalPages ${limit}; x grew to ${pagesOfSafe(x)}, live pages ${ledger.snapshot().livePages})`,
          );
        refuse("memory.grow inside wasm past the memory's own clamp", () => growerFor(x).grow(1), { wasm: true, memory: x });
        refuse("memory.grow inside wasm past the memory's own clamp (second memory)", () => growerFor(y).grow(3), {
          wasm: true,
          memory: y,
        });
        refuse("new Memory once memories passed totalPages through wasm (after a snapshot)", () => new Memory({ initial: 0 }), {
          construct: true,
        });
        refuse("memory.grow once memories passed totalPages through wasm (after a snapshot)", () => y.grow(1), { memory: y });
      }
    } finally {
      ledger.setBudget(null);
      offBudget();
    }
    const s2 = ledger.snapshot();
    checks.push({ name: "setBudget(null) removes the budget", ok: s2.budget === null, detail: show(s2.budget) });
    let after = null;
    try {
      after = pagesOfSafe(new Memory({ initial: 5 }));
    } catch (e) {
      after = errName(e);
    }
    checks.push({ name: "after the budget is reset, new Memory({ initial: 5 }) works again", ok: after === 5, detail: show(after) });
    keep.length = 0;
    return { checks, notes };
  }

  function pagesOfSafe(m) {
    return bufferOf(m).byteLength / P;
  }

  // ---------------------------------------------------------------- isolation

  async function isolation() {
    const checks = [];
    noteGlue();
    if (!glueMemory) {
      return {
        checks: [{ name: "isolation: the polyfill's own memory is known to the harness", ok: false, detail: "the glue exposes no memory" }],
      };
    }
    const userMemories = new Set();
    const mem = (d, o) => {
      const m = new Memory(d, o);
      userMemories.add(m);
      return m;
    };
    const seen = [];
    const offs2 = ["create", "grow", "budget", "collect"].map((k) => ledger.on(k, (e) => seen.push(e)));
    const roots = {};
    try {
      const m1 = mem({ initial: 1, maximum: 3 }, { label: "isolation" });
      roots.memory = m1;
      roots.buffer = bufferOf(m1);
      m1.grow(1);
      roots.bufferAfterGrow = bufferOf(m1);
      roots.type = m1.type();
      if (HAS_SAB && globalThis.crossOriginIsolated !== false) {
        const ms = mem({ initial: 1, maximum: 2, shared: true });
        roots.sharedMemory = ms;
        roots.sharedBuffer = bufferOf(ms);
        roots.sharedType = ms.type();
      }
      if (info.memory64) {
        const m64 = mem({ address: "i64", initial: 1n, maximum: 2n });
        roots.memory64 = m64;
        roots.type64 = m64.type();
      }
      const errors = [];
      const collectError = (f) => {
        try {
          f();
        } catch (e) {
          errors.push(e);
        }
      };
      collectError(() => new Memory({ initial: -1 }));
      collectError(() => new Memory({ initial: 70000 }));
      collectError(() => new Memory({ initial: 1, shared: true }));
      collectError(() => new Memory({ address: "i65", initial: 1 }));
      collectError(() => new Memory(5));
      collectError(() => m1.grow(10));
      collectError(() => Memory.prototype.grow.call({}, 1));
      collectError(() => Memory.prototype.type.call({}));
      collectError(() => ledger.setBudget("x"));
      collectError(() => ledger.setBudget({ totalPages: -1 }));
      collectError(() => ledger.on("nope", () => {}));
      collectError(() => ledger.label({}, "x"));
      collectError(() => ledger.label(m1, "x".repeat(300)));
      ledger.setBudget({ perMemoryPages: 1, mode: "hard" });
      collectError(() => new Memory({ initial: 2 }));
      ledger.setBudget({ perMemoryPages: 1, mode: "soft" });
      mem({ initial: 2 });
      ledger.setBudget(null);
      roots.errors = errors;
      // a collect event
      if (gc) {
        (() => {
          new Memory({ initial: 1 });
        })();
        await settle(5);
      }
      roots.events = seen.slice();
      roots.snapshot = ledger.snapshot();
      roots.snapshotArray = ledger.snapshotArray();
      roots.api = { Memory, MemoryPrototype: Memory.prototype, ledger, install, off: offs2[0] };
      const uninstall = install();
      roots.uninstall = uninstall;
      roots.installedMemory = new WebAssembly.Memory({ initial: 1 });
      userMemories.add(roots.installedMemory);
      roots.installedCtor = WebAssembly.Memory;
      uninstall();

      const kinds = new Set(seen.map((e) => e.type));
      checks.push({
        name: "isolation: events of every kind were seen (create, grow, budget" + (gc ? ", collect)" : ")"),
        ok: ["create", "grow", "budget", ...(gc ? ["collect"] : [])].every((k) => kinds.has(k)),
        detail: [...kinds].join(", "),
      });
      checks.push({ name: "isolation: errors of each kind were collected", ok: errors.length >= 13, detail: `${errors.length} errors` });

      // snapshotArray() is a fresh copy, not a view of the wasm heap.
      const arr = roots.snapshotArray;
      noteGlue();
      const arrBuf = typedArrayBuffer.call(arr);
      const problems = [];
      if (arrBuf.byteLength !== arr.length * 8) problems.push(`its buffer is ${arrBuf.byteLength} bytes for ${arr.length} elements`);
      if (arr.byteOffset !== 0) problems.push(`byteOffset ${arr.byteOffset}`);
      if (glueBuffers.has(arrBuf)) problems.push("its buffer is the polyfill's linear memory");
      if (isSAB(arrBuf)) problems.push("its buffer is a SharedArrayBuffer");
      const copy = Array.from(ledger.snapshotArray());
      arr.fill(-7);
      const again = Array.from(ledger.snapshotArray());
      if (again.join() !== copy.join()) problems.push("writing into it changed the next snapshotArray()");
      if (arr.length % 6 !== 0) problems.push(`length ${arr.length} is not a multiple of 6`);
      checks.push({
        name: "isolation: snapshotArray() is a fresh copy (buffer length = length*8, not the wasm heap, writes don't leak back)",
        ok: problems.length === 0,
        detail: problems.join("; "),
      });

      // snapshot() objects are fresh: writing into them changes nothing.
      const s = ledger.snapshot();
      const before = JSON.stringify(s);
      s.live = -1;
      s.memories.forEach((r) => {
        r.pages = 999;
      });
      s.memories.length = 0;
      const s2 = ledger.snapshot();
      const p2 = [];
      if (JSON.stringify(s2) !== before)
        p2.push(`the next snapshot differs: ${before.slice(0, 200)} vs ${JSON.stringify(s2).slice(0, 200)}`);
      if (s2 === s || s2.memories === s.memories) p2.push("snapshot() returned the same object twice");
      checks.push({
        name: "isolation: snapshot() returns fresh objects (writes don't leak back)",
        ok: p2.length === 0,
        detail: p2.join("; "),
      });
      // Structured-clone / JSON: plain data.
      let plain = true;
      try {
        JSON.parse(JSON.stringify(ledger.snapshot()));
        structuredClone?.(ledger.snapshot());
      } catch (e) {
        plain = `${errName(e)}: ${e?.message}`;
      }
      checks.push({ name: "isolation: snapshot() is plain, cloneable data", ok: plain === true, detail: String(plain) });

      // Nothing reachable from any user-visible object is the polyfill's memory, buffer, table,
      // exports or another WebAssembly.Memory.
      noteGlue();
      const forbidden = new Map();
      forbidden.set(glueMemory, "the polyfill's WebAssembly.Memory");
      for (const b of glueBuffers) forbidden.set(b, "the polyfill's linear memory buffer");
      forbidden.set(glue, "the polyfill's wasm exports");
      for (const [k, v] of Object.entries(glue)) if (isObject(v) && typeof v !== "function") forbidden.set(v, `the polyfill's export ${k}`);
      const found = [];
      const visited = new Set();
      const intrinsic = new Set([
        Object.prototype,
        Function.prototype,
        Array.prototype,
        Error.prototype,
        ArrayBuffer.prototype,
        HAS_SAB ? SharedArrayBuffer.prototype : {},
        Object.getPrototypeOf(Uint8Array.prototype),
        Float64Array.prototype,
        Symbol.prototype,
        RegExp.prototype,
      ]);
      const walk = (v, path, depth) => {
        if (!isObject(v) || visited.has(v) || depth > 8) return;
        visited.add(v);
        if (forbidden.has(v)) found.push(`${path} is ${forbidden.get(v)}`);
        if (isMemory(v)) {
          if (!userMemories.has(v)) found.push(`${path} is a WebAssembly.Memory that is no user memory`);
          const b = bufferOf(v);
          if (forbidden.has(b)) found.push(`${path}.buffer is ${forbidden.get(b)}`);
          walk(b, `${path}.buffer`, depth + 1);
        }
        if (
          v instanceof WebAssembly.Table ||
          v instanceof WebAssembly.Instance ||
          v instanceof WebAssembly.Module ||
          v instanceof WebAssembly.Global
        ) {
          found.push(`${path} is a WebAssembly.${v.constructor.name}`);
        }
        if (ArrayBuffer.isView(v)) {
          const b = v instanceof DataView ? v.buffer : typedArrayBuffer.call(v);
          if (forbidden.has(b)) found.push(`${path}.buffer is ${forbidden.get(b)}`);
        }
        for (const k of Reflect.ownKeys(v)) {
          const d = Reflect.getOwnPropertyDescriptor(v, k);
          if (!d) continue;
          const kp = `${path}.${String(k)}`;
          if ("value" in d) walk(d.value, kp, depth + 1);
          else {
            walk(d.get, `${kp}[get]`, depth + 1);
            walk(d.set, `${kp}[set]`, depth + 1);
          }
        }
        const p = Object.getPrototypeOf(v);
        if (p && !intrinsic.has(p)) walk(p, `${path}.__proto__`, depth + 1);
      };
      walk(roots, "root", 0);
      checks.push({
        name: `isolation: no path from ${visited.size} user-visible objects (memories, buffers, type(), snapshots, records, snapshotArray, errors, events, the API) to the polyfill's memory`,
        ok: found.length === 0,
        detail: found.slice(0, 10).join("\n  "),
      });
    } finally {
      ledger.setBudget(null);
      for (const off of offs2) off();
    }
    return { checks };
  }

  // ---------------------------------------------------------------- workers

  async function workers() {
    if (!ctx.makeWorker) return { checks: [], notes: ["no worker support in this environment"] };
    if (!HAS_SAB || globalThis.crossOriginIsolated === false) {
      return {
        checks: [
          {
            name: "workers: shared memories are available (cross-origin isolated)",
            ok: false,
            detail: `SharedArrayBuffer ${typeof SharedArrayBuffer}, crossOriginIsolated ${globalThis.crossOriginIsolated}`,
          },
        ],
      };
    }
    const checks = [];
    const worker = ctx.makeWorker();
    const replies = [];
    let wake = null;
    worker.onmessage = (data) => {
      replies.push(data);
      wake?.();
    };
    const next = async (ms = 20000) => {
      const t0 = Date.now();
      while (replies.length === 0) {
        if (Date.now() - t0 > ms) throw new Error("the worker did not answer in time");
        await new Promise((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return replies.shift();
    };
    try {
      const ready = await next();
      checks.push({ name: "workers: the worker imports the package", ok: ready.type === "ready", detail: show(ready) });
      const m = new Memory({ initial: 1, maximum: 4, shared: true }, { label: "shared with a worker" });
      const id = ledger.idOf(m);
      const before = ledger.snapshot();
      const rec0 = before.memories.find((r) => r.id === id);
      new Int32Array(bufferOf(m))[0] = 42;
      worker.postMessage({ type: "grow", memory: m });
      const r = await next();
      checks.push({
        name: "workers: the worker grew the shared memory (grow(1) returned 1) and saw our write",
        ok: r.type === "grown" && r.old === 1 && r.read === 42 && r.byteLength === 2 * P,
        detail: show(r),
      });
      checks.push({
        name: "workers: the worker's ledger counts only the memories it made",
        ok: r.idOfReceived === -1 && r.snapshot.live === r.made && r.snapshot.created === r.made && r.snapshot.livePages === r.madePages,
        detail: show({
          idOfReceived: r.idOfReceived,
          live: r.snapshot.live,
          created: r.snapshot.created,
          livePages: r.snapshot.livePages,
          made: r.made,
          madePages: r.madePages,
        }),
      });
      // Here: the buffer, refreshed, shows two pages; Atomics see the worker's write.
      const b = m.buffer;
      const seenHere = Atomics.load(new Int32Array(b), 1);
      checks.push({
        name: "workers: here, memory.buffer after the worker's grow shows 2 pages and the worker's write",
        ok: b.byteLength === 2 * P && seenHere === 7 && Object.isFrozen(b),
        detail: `byteLength ${b.byteLength}, read ${seenHere}, frozen ${Object.isFrozen(b)}`,
      });
      const after = ledger.snapshot();
      const rec = after.memories.find((x) => x.id === id);
      checks.push({
        name: "workers: our ledger reports the shared memory's new size (2 pages) and the grow",
        ok:
          rec?.pages === 2 &&
          rec?.peak === 2 &&
          rec?.grows === (rec0?.grows ?? 0) + 1 &&
          after.livePages - before.livePages === 1 &&
          after.live === before.live,
        detail: show({ before: rec0, after: rec, livePages: [before.livePages, after.livePages], live: [before.live, after.live] }),
      });
      let t;
      try {
        t = m.type();
      } catch (e) {
        t = errName(e);
      }
      checks.push({
        name: "workers: type() here reports minimum 2",
        ok: t?.minimum === 2 && t?.maximum === 4 && t?.shared === true,
        detail: show(t),
      });
      // A shared memory the worker made, posted here: not in our ledger.
      worker.postMessage({ type: "make" });
      const made = await next();
      const theirs = made.memory;
      const s3 = ledger.snapshot();
      checks.push({
        name: "workers: a memory the worker made is in its ledger, not ours",
        ok:
          made.type === "made" &&
          made.idOfMade >= 0 &&
          ledger.idOf(theirs) === -1 &&
          s3.live === after.live &&
          isMemory(theirs) &&
          bufferOf(theirs).byteLength === P,
        detail: show({ idOfMade: made.idOfMade, idHere: ledger.idOf(theirs), live: [after.live, s3.live] }),
      });
      // Grow here through our API: not ledgered here, so the engine grows it; the worker sees it.
      const old = Memory.prototype.grow.call(theirs, 1);
      worker.postMessage({ type: "check" });
      const chk = await next();
      checks.push({
        name: "workers: the worker's ledger sees our grow of its memory (2 pages)",
        ok: old === 1 && chk.pages === 2 && chk.snapshot.livePages === r.madePages + 2,
        detail: show({ old, pages: chk.pages, workerLivePages: chk.snapshot.livePages, madePages: r.madePages }),
      });
    } catch (e) {
      checks.push({ name: "workers: round trip", ok: false, detail: `${errName(e)}: ${e?.message}` });
    } finally {
      worker.terminate();
    }
    return { checks };
  }

  // ---------------------------------------------------------------- modules seen by install()

  /**
   * Generated modules (some mutated) compiled and instantiated through install()'s hooks, which
   * read each module's memory types from its bytes: the hooked APIs must behave as the engine's
   * own (same compile outcome), never trap, and every exported memory must enter the ledger with
   * its real type.
   */
  async function modules({ seed, count, start = 0, batch = tight ? 10 : 20 }) {
    const features = moduleFeatures();
    const { gen: mg, from } = generator("modules", seed, start, () => new ModuleGen((seed ^ 0x5eed0003) >>> 0, features));
    // The same five paths everywhere, so that every engine runs the same case stream.
    const paths = [
      "new Module + new Instance",
      "compile + new Instance",
      "instantiate(bytes)",
      "instantiate(module)",
      "instantiateStreaming",
    ];
    const streaming = typeof WebAssembly.instantiateStreaming === "function" && typeof Response === "function";
    const stats = { cases: 0, mutated: 0, compiled: 0, instantiated: 0, exportedMemories: 0, paths: {} };
    const tally = {};
    const seenKinds = new Set();
    const failures = [];
    let failed = 0;
    const trapProblems = [];
    for (let i = from; i < start + count; i++) {
      const m = mg.module();
      const mutated = mg.chance(0.3);
      const bytes = mutated ? mg.mutate(m.bytes) : m.bytes;
      let path = mg.pick(paths);
      // Node 20's instantiateStreaming keeps the import object of a failed instantiation alive
      // (a host leak that would keep our memories in the ledger): only valid modules there.
      if (path === "instantiateStreaming" && (!streaming || (env === "node" && mutated))) path = "instantiate(bytes)";
      const creators = m.memories.map(() => mg.pick(["native", "ours"]));
      const extra = m.memories.map(() => [mg.int(2), mg.int(3), mg.chance(0.5)]);
      if (i < start) continue;
      stats.cases++;
      if (mutated) stats.mutated++;
      stats.paths[path] = (stats.paths[path] ?? 0) + 1;
      const problems = [];
      try {
        await moduleCase({ m, bytes, mutated, path, creators, extra, stats, problems });
      } catch (e) {
        problems.push(`the harness threw ${errName(e)}: ${e?.message}\n${e?.stack}`);
      }
      tallyProblems(tally, problems);
      if (problems.length) {
        failed++;
        if (keepExample(failures, seenKinds, problems))
          failures.push(
            `seed ${seed}, module case #${i} (${path}${mutated ? ", mutated" : ""}):\n    ${m.text}\n    bytes: ${hex(bytes)}\n    ${problems.join("\n    ")}`,
          );
      }
      if ((i + 1) % batch === 0) {
        const p = probe();
        if (p) trapProblems.push(`after module case #${i} (seed ${seed}): ${p}`);
        await betweenBatches();
      }
    }
    positions.set("modules", { seed, gen: mg, next: start + count });
    const p = probe();
    if (p) trapProblems.push(`after the module cases: ${p}`);
    return {
      checks: [
        {
          name: "modules: install()'s hooks compile and instantiate like the engine and ledger every exported memory with its real type",
          ok: failed === 0,
          data: { failed, tally, examples: failures },
          detail: formatFailures({ failed, tally, examples: failures }),
        },
        {
          name: "zero traps: the module still works after every batch (modules)",
          ok: trapProblems.length === 0,
          detail: trapProblems.slice(0, 5).join("\n  "),
        },
      ],
      stats,
      notes: [`modules: features ${JSON.stringify(features)}`],
    };
  }

  async function moduleCase({ m, bytes, mutated, path, creators, extra, stats, problems }) {
    const outcome = async (f) => {
      try {
        return { ok: true, value: await f() };
      } catch (e) {
        return { ok: false, error: errName(e), message: e?.message };
      }
    };
    const nativeCompiled = await outcome(() => new NativeModule(bytes));
    // Memories to import, matching the declared types; made by the engine or by us.
    const actual = m.memories.map((mem, k) => {
      if (!mem.imported) return null;
      const t = mem.type;
      const v = (x) => (t.address === "i64" ? BigInt(x) : x);
      const [more, room, withMax] = extra[k];
      const initial = t.max !== undefined ? Math.min(t.min + more, t.max) : t.min + more;
      const maximum = t.max !== undefined ? Math.min(initial + room, t.max) : t.shared || withMax ? initial + room : undefined;
      const d = { initial: v(initial) };
      if (t.address === "i64") d.address = "i64";
      if (maximum !== undefined) d.maximum = v(maximum);
      if (t.shared) d.shared = true;
      const C = creators[k] === "ours" ? Memory : NativeMemory;
      return { memory: new C(d), initial, maximum, ours: creators[k] === "ours" };
    });
    const imports = { js: {} };
    m.memories.forEach((mem, k) => {
      if (mem.imported) imports.js[mem.name] = actual[k].memory;
    });
    const uninstall = install();
    let result;
    try {
      const W = globalThis.WebAssembly;
      result = await outcome(async () => {
        switch (path) {
          case "new Module + new Instance": {
            const mod = new W.Module(bytes);
            return { mod, inst: new W.Instance(mod, imports) };
          }
          case "compile + new Instance": {
            const mod = await W.compile(bytes);
            return { mod, inst: new W.Instance(mod, imports) };
          }
          case "instantiate(bytes)": {
            const r = await W.instantiate(bytes, imports);
            return { mod: r.module, inst: r.instance };
          }
          case "instantiate(module)": {
            const mod = await W.compile(bytes);
            return { mod, inst: await W.instantiate(mod, imports) };
          }
          case "instantiateStreaming": {
            const r = await W.instantiateStreaming(new Response(bytes, { headers: { "Content-Type": "application/wasm" } }), imports);
            return { mod: r.module, inst: r.instance };
          }
        }
        throw new Error(`unknown path ${path}`);
      });
    } finally {
      uninstall();
    }
    if (!nativeCompiled.ok) {
      if (result.ok) problems.push(`the engine refuses to compile it (${nativeCompiled.error}), the installed hooks accepted it`);
      else if (result.error !== nativeCompiled.error)
        problems.push(`installed: ${result.error} "${result.message}", the engine: ${nativeCompiled.error} "${nativeCompiled.message}"`);
      return;
    }
    stats.compiled++;
    if (!result.ok) {
      // Compiles natively: a failure must be the engine's own (a LinkError for a mutated import).
      const nativeInst = await outcome(() => new NativeInstance(nativeCompiled.value, imports));
      if (nativeInst.ok || nativeInst.error !== result.error)
        problems.push(
          `installed ${path} failed with ${result.error} "${result.message}", the engine's own: ${nativeInst.ok ? "ok" : nativeInst.error}`,
        );
      return;
    }
    stats.instantiated++;
    const { inst, mod } = result.value;
    if (!(inst instanceof NativeInstance)) problems.push("the instance is not a WebAssembly.Instance");
    if (!(mod instanceof NativeModule)) problems.push("the module is not a WebAssembly.Module");
    const exps = inst.exports;
    for (const e of m.exports) {
      if (mutated || e.kind !== "memory") continue;
      const mem = m.memories[e.index];
      const got = exps[e.name];
      stats.exportedMemories++;
      if (!isMemory(got)) {
        problems.push(`export ${JSON.stringify(e.name)} is not a memory`);
        continue;
      }
      const id = ledger.idOf(got);
      if (id < 0) {
        problems.push(`exported memory ${JSON.stringify(e.name)} is not in the ledger`);
        continue;
      }
      const a = actual[e.index];
      if (a && got !== a.memory) problems.push(`re-exported import ${JSON.stringify(e.name)} is not the imported memory`);
      const truth = a
        ? { address: mem.type.address, initial: a.initial, maximum: a.maximum, shared: mem.type.shared }
        : { address: mem.type.address, initial: mem.type.min, maximum: mem.type.max, shared: mem.type.shared };
      // The maximum is knowable when we made the memory, or when we saw the bytes of the module
      // that defines it. Not for instantiateStreaming (the bytes are the engine's alone), nor for
      // a re-exported import the engine made (the import's limits only bound it; reading the real
      // maximum would need toResizableBuffer(), which detaches the buffer).
      const knownMax = !(path === "instantiateStreaming" && !(a && a.ours)) && !(a && !a.ours);
      const want = expectedType({
        address: truth.address,
        initial: BigInt(truth.initial),
        maximum: truth.maximum === undefined ? undefined : BigInt(truth.maximum),
        shared: truth.shared,
      });
      let t;
      try {
        t = Memory.prototype.type.call(got); // uninstalled now: the engine's prototype has no type()
      } catch (x) {
        t = `threw ${errName(x)}: ${x?.message}`;
      }
      if (knownMax) {
        if (!sameType(t, want))
          problems.push(
            `type() of ${JSON.stringify(e.name)} (${a ? `imported, made by ${a.ours ? "us" : "the engine"}` : "defined"}) is ${show(t)}, expected ${show(want)}`,
          );
      } else if (!isObject(t)) {
        if (!/^threw RangeError: .*unknown/.test(t))
          problems.push(
            `type() of ${JSON.stringify(e.name)} with an unknown maximum: ${show(t)}, expected a RangeError saying it is unknown`,
          );
      } else {
        // The bytes are the engine's alone; only the maximum may be unknown.
        if (
          t.address !== want.address ||
          !Object.is(t.minimum, want.minimum) ||
          t.shared !== want.shared ||
          ("maximum" in t && !Object.is(t.maximum, want.maximum))
        )
          problems.push(`type() of ${JSON.stringify(e.name)} is ${show(t)}, expected ${show(want)} (maximum may be missing)`);
      }
      const rec = ledger.snapshot().memories.find((r) => r.id === id);
      // A re-exported import the engine made (not ours) was not made by this module: received.
      const wantOrigin = a ? (a.ours ? "constructed" : "received") : "exported";
      if (rec?.origin !== wantOrigin)
        problems.push(`record of ${JSON.stringify(e.name)} has origin ${rec?.origin}, expected ${wantOrigin}`);
      if (rec && (rec.pages !== truth.initial || rec.address !== truth.address || rec.shared !== truth.shared))
        problems.push(`record of ${JSON.stringify(e.name)} is ${show(rec)}`);
      if (knownMax && rec && rec.maximum !== (truth.maximum ?? null))
        problems.push(`record of ${JSON.stringify(e.name)} has maximum ${rec.maximum}, expected ${truth.maximum ?? null}`);
    }
    if (mutated) {
      // No ground truth: whatever the module exports, ledgered and consistent with the engine.
      for (const k of Object.keys(exps)) {
        const got = exps[k];
        if (!isMemory(got)) continue;
        if (ledger.idOf(got) < 0) problems.push(`exported memory ${JSON.stringify(k)} is not in the ledger`);
        let t;
        try {
          t = Memory.prototype.type.call(got);
        } catch {
          continue;
        }
        const pages = bufferOf(got).byteLength / P;
        const shared = isSAB(bufferOf(got));
        const address = addressOf(got);
        if (Number(t.minimum) !== pages || t.shared !== shared || t.address !== address)
          problems.push(
            `type() of ${JSON.stringify(k)} is ${show(t)}, the engine's memory is ${address}, ${pages} pages${shared ? ", shared" : ""}`,
          );
      }
    }
  }

  // ---------------------------------------------------------------- compile paths (issue #20)

  /**
   * install()'s compile paths against the engine's own. Generated invalid and malformed modules
   * (mutations of valid ones, and variants aimed at the memory section and the headers) go
   * through every path natively and installed, with no budget and with a hard one: the same
   * outcome, error class and message (a budget's RangeError only where the engine accepts the
   * module and a defined memory's minimum is past the budget). Module bytes of every
   * BufferSource kind, of this realm and another (an iframe; in Node a vm context), are compiled
   * under a tight hard budget: the engine's outcome, and when it compiles, the memory lowered,
   * ledgered and held inside wasm. The streaming APIs answer every kind of Response as the
   * engine does.
   */
  async function compilePaths({ seed = 7, count = 300 }) {
    const W = () => globalThis.WebAssembly;
    const streaming = typeof NATIVE.compileStreaming === "function" && typeof Response === "function";
    const PATHS = {
      validate: (w, b) => w.validate(b),
      compile: (w, b) => w.compile(b),
      Module: (w, b) => new w.Module(b),
      "instantiate(bytes)": (w, b, imports) => w.instantiate(b, imports),
      compileStreaming: (w, b) => w.compileStreaming(wasmResponse(b)),
      instantiateStreaming: (w, b, imports) => w.instantiateStreaming(wasmResponse(b), imports),
    };
    const outcome = async (f) => {
      try {
        const value = await f();
        return { ok: true, value };
      } catch (e) {
        return { ok: false, cls: errName(e), message: String(e?.message) };
      }
    };
    const said = (o) => (o.ok ? (typeof o.value === "boolean" ? `ok (${o.value})` : "ok") : `${o.cls}: ${o.message}`);
    const installed = async (budget, f) => {
      ledger.setBudget(budget);
      const off = install();
      try {
        return await f();
      } finally {
        off();
        ledger.setBudget(null);
      }
    };
    const checks = [];
    const notes = [];

    // 1. generated modules on every path
    const gen = new ModuleGen((seed ^ 0x5eed0020) >>> 0, moduleFeatures());
    const bad = new Malformed((seed ^ 0x5eed0021) >>> 0);
    const CAP = 3;
    const problems = [];
    let compared = 0,
      rejected = 0;
    for (let i = 0; i < count; i++) {
      const mutated = i % 3 === 0 ? gen.module() : null;
      const bytes = mutated ? (gen.chance(0.5) ? gen.mutate(mutated.bytes) : mutated.bytes) : bad.module();
      if (!NATIVE.validate(bytes)) rejected++;
      // Memories for the imports a generated module declares (the same for both sides).
      const js = { mem: new NativeMemory({ initial: 0 }) };
      for (const m of mutated?.memories ?? []) {
        if (!m.imported) continue;
        const t = m.type,
          v = (x) => (t.address === "i64" ? BigInt(x) : x);
        try {
          js[m.name] = new NativeMemory({
            initial: v(t.min),
            ...(t.address === "i64" ? { address: "i64" } : {}),
            ...(t.max !== undefined ? { maximum: v(t.max) } : {}),
            ...(t.shared ? { shared: true } : {}),
          });
        } catch {
          // a type this engine can't make: both sides fail to link alike
        }
      }
      const imports = { js };
      for (const [path, run] of Object.entries(PATHS)) {
        if (path.includes("Streaming") && (!streaming || i % 3 !== 0)) continue;
        const native = await outcome(() => run(NATIVE, bytes, imports));
        for (const cap of [undefined, CAP]) {
          const ours = await installed(cap === undefined ? null : { perMemoryPages: cap, mode: "hard" }, () =>
            outcome(() => run(W(), bytes, imports)),
          );
          compared++;
          const refusable =
            cap !== undefined &&
            path !== "validate" &&
            (native.ok || (path.startsWith("instantiate") && native.cls !== "CompileError")) &&
            definedMemories(bytes).some((d) => d.log2 === 16 && d.min > BigInt(cap));
          if (refusable && !ours.ok && ours.cls === "RangeError" && /would exceed the hard budget perMemoryPages/.test(ours.message))
            continue;
          const same =
            native.ok === ours.ok &&
            (native.ok ? path !== "validate" || native.value === ours.value : native.cls === ours.cls && native.message === ours.message);
          if (!same && problems.length < 8)
            problems.push(
              `case ${i} ${path}${cap === undefined ? "" : " (hard budget)"}: engine ${said(native)}, installed ${said(ours)}; bytes ${hex(bytes)}`,
            );
          else if (!same) problems.push("");
        }
      }
      if ((i + 1) % 10 === 0) await betweenBatches();
    }
    checks.push({
      name: `compile paths: ${count} generated modules (${rejected} the engine rejects), ${compared} compiles on every path, natively and installed, with and without a hard budget: the engine's outcome, error class and message`,
      ok: problems.length === 0,
      detail: `${problems.length} differ:\n  ${problems.filter(Boolean).join("\n  ")}`,
    });
    await rest();

    // 2. every BufferSource kind, of this realm and another
    const GROWER = growerModule(oneMemory(1, 100));
    const other = typeof ctx.realm === "function" ? ctx.realm() : null;
    const kinds = bufferSources(GROWER, other);
    const kindProblems = [];
    let held = 0,
      refusedByEngine = 0;
    for (const [name, make] of Object.entries(kinds)) {
      for (const path of ["compile", "Module", "instantiate(bytes)"]) {
        const native = await outcome(() => PATHS[path](NATIVE, make(), {}));
        const problem = await installed({ perMemoryPages: 4, mode: "hard" }, async () => {
          const ours = await outcome(() => PATHS[path](W(), make(), {}));
          if (native.ok !== ours.ok || (!native.ok && (native.cls !== ours.cls || native.message !== ours.message)))
            return `${name}, ${path}: engine ${said(native)}, installed ${said(ours)}`;
          if (!ours.ok) return void refusedByEngine++;
          const instance = path === "instantiate(bytes)" ? ours.value.instance : new (W().Instance)(ours.value);
          const record = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(instance.exports.memory));
          const grows = [instance.exports.grow(10), instance.exports.grow(3), instance.exports.grow(1), instance.exports.size()].join();
          if (!record || record.maximum !== 4 || record.requestedMaximum !== 100 || !record.bounded || grows !== "-1,1,-1,4")
            return `${name}, ${path}: record ${JSON.stringify(record)}; grow(10), grow(3), grow(1), size: ${grows}`;
          held++;
          return null;
        });
        if (problem) kindProblems.push(problem);
      }
      await betweenBatches();
    }
    checks.push({
      name: `compile paths: module bytes of ${Object.keys(kinds).length} BufferSource kinds${other ? " (another realm's too)" : ""} under a hard budget: the engine's outcome; compiled ones lowered, ledgered and held inside wasm`,
      ok: kindProblems.length === 0 && held >= 20,
      detail: kindProblems.join("\n  ") || `only ${held} held`,
    });
    notes.push(
      `compile paths: ${held} kind/path pairs compiled and held, ${refusedByEngine} refused by the engine as it refuses them natively${other ? "" : "; no other realm here"}`,
    );
    await rest();

    // 3. streaming: the engine's answer to each Response
    if (streaming) {
      const responses = responseKinds(GROWER, other);
      const streamProblems = [];
      for (const [name, make] of Object.entries(responses)) {
        for (const f of ["compileStreaming", "instantiateStreaming"]) {
          const native = await outcome(() => NATIVE[f](make(), {}));
          for (const budget of [null, { perMemoryPages: 4, mode: "hard" }]) {
            const problem = await installed(budget, async () => {
              const ours = await outcome(() => W()[f](make(), {}));
              if (said(native) !== said(ours))
                return `${name}, ${f}, ${budget ? "hard budget" : "no budget"}: engine ${said(native)}, installed ${said(ours)}`;
              if (!ours.ok || !budget) return null;
              const instance = f === "compileStreaming" ? new (W().Instance)(ours.value) : ours.value.instance;
              return instance.exports.grow(4) === -1 && instance.exports.grow(3) === 1 ? null : `${name}, ${f}: not held to the budget`;
            });
            if (problem) streamProblems.push(problem);
          }
        }
        await betweenBatches();
      }
      checks.push({
        name: `compile paths: compileStreaming and instantiateStreaming answer ${Object.keys(responses).length} kinds of Response (types, statuses, bodies, non-Responses) as the engine does, with and without a hard budget`,
        ok: streamProblems.length === 0,
        detail: streamProblems.join("\n  "),
      });
    }
    await rest();

    // 4. compile options (js-string-builtins) whose getter changes the caller's bytes: the engine
    // converts them before it copies the bytes, so the hooks hand it bytes of their own.
    const optionProblems = [];
    let getterRan = 0;
    for (const budget of [null, { perMemoryPages: 4, mode: "hard" }]) {
      for (const path of ["Module", "compile", "instantiate(bytes)"]) {
        const bytes = growerModule(oneMemory(1, 3));
        const section = [5, 4, 1, 1, 1, 3];
        const maxAt = bytes.findIndex((_, i) => section.every((b, k) => bytes[i + k] === b)) + 5;
        const options = {
          get builtins() {
            getterRan++;
            bytes[maxAt] = 100;
            return [];
          },
        };
        const problem = await installed(budget, async () => {
          const w = W();
          const r = await outcome(() =>
            path === "Module"
              ? new w.Module(bytes, options)
              : path === "compile"
                ? w.compile(bytes, options)
                : w.instantiate(bytes, {}, options),
          );
          if (!r.ok) return `${path}: ${said(r)}`;
          const instance = path === "instantiate(bytes)" ? r.value.instance : new w.Instance(r.value);
          const record = ledger.snapshot().memories.find((x) => x.id === ledger.idOf(instance.exports.memory));
          const grows = [instance.exports.grow(2), instance.exports.grow(1)].join();
          return grows === "1,-1" && record?.maximum === 3
            ? null
            : `${path}${budget ? " (hard budget)" : ""}: grow(2), grow(1) ${grows}, ledgered maximum ${record?.maximum} (declared 3 when read)`;
        });
        if (problem) optionProblems.push(problem);
      }
    }
    checks.push({
      name: "compile paths: compile options whose getter changes the caller's bytes change nothing (the engine compiles what the hooks read)",
      ok: optionProblems.length === 0,
      detail: optionProblems.join("\n  "),
    });
    notes.push(`compile paths: the options' getter ran ${getterRan} times (0 where the engine takes no compile options)`);
    await rest();
    const p = probe();
    checks.push({ name: "zero traps: the module still works after the compile paths", ok: p === null, detail: p ?? "" });
    return { checks, notes };
  }

  // ---------------------------------------------------------------- error paths don't leak

  /**
   * Every way a call can fail, repeated: the polyfill's externref table (each slot keeps a JS
   * value alive) and linear memory must not grow once warmed up. A leaked slot per failure keeps
   * the thrown error (and its stack) alive for good.
   */
  async function errorPaths({ rounds = 3000 } = {}) {
    const table = glue?.__wbindgen_externrefs;
    if (!(table instanceof WebAssembly.Table) || !glueMemory)
      return { checks: [], notes: ["the glue exposes no externref table: error-path leak check skipped"] };
    const thrower = () => {
      throw new HookError("leak check");
    };
    const m32 = new Memory({ initial: 1, maximum: 2 });
    const m64 = info.memory64 ? new Memory({ address: "i64", initial: 1n, maximum: 2n }) : null;
    const ops = {
      "new Memory({ initial: -1 })": () => new Memory({ initial: -1 }),
      "new Memory({ initial: NaN })": () => new Memory({ initial: NaN }),
      "new Memory({ initial: 70000 })": () => new Memory({ initial: 70000 }),
      "new Memory({ initial: 2, maximum: 1 })": () => new Memory({ initial: 2, maximum: 1 }),
      "new Memory({ initial: 1, shared: true })": () => new Memory({ initial: 1, shared: true }),
      "new Memory({ initial: 1n })": () => new Memory({ initial: 1n }),
      "new Memory({ initial: Symbol() })": () => new Memory({ initial: Symbol("s") }),
      "new Memory({ get initial() { throw } })": () =>
        new Memory({
          get initial() {
            return thrower();
          },
        }),
      "new Memory({ initial: { valueOf() { throw } } })": () => new Memory({ initial: { valueOf: thrower } }),
      "new Memory({ initial: 1, maximum: { valueOf() { throw } } })": () => new Memory({ initial: 1, maximum: { valueOf: thrower } }),
      "new Memory(5)": () => new Memory(5),
      "new Memory({})": () => new Memory({}),
      'new Memory({ address: "i65", initial: 1 })': () => new Memory({ address: "i65", initial: 1 }),
      "new Memory({ address: Symbol(), initial: 1 })": () => new Memory({ address: Symbol("a"), initial: 1 }),
      'new Memory({ address: "i64", initial: 1 })': () => new Memory({ address: "i64", initial: 1 }),
      'new Memory({ address: "i64", initial: "x" })': () => new Memory({ address: "i64", initial: "x" }),
      'new Memory({ address: "i64", initial: -1n })': () => new Memory({ address: "i64", initial: -1n }),
      'new Memory({ address: "i64", initial: { valueOf() { throw } } })': () =>
        new Memory({ address: "i64", initial: { valueOf: thrower } }),
      'new Memory({ address: "i64", initial: 2n, maximum: 1n })': () => new Memory({ address: "i64", initial: 2n, maximum: 1n }),
      "new Memory({ initial: 0 }, { label: 5 })": () => new Memory({ initial: 0 }, { label: 5 }),
      "memory.grow(-1)": () => m32.grow(-1),
      "memory.grow(100)": () => m32.grow(100),
      "memory.grow(1n)": () => m32.grow(1n),
      "memory.grow({ valueOf() { throw } })": () => m32.grow({ valueOf: thrower }),
      "Memory.prototype.grow.call({}, 1)": () => Memory.prototype.grow.call({}, 1),
      "Memory.prototype.type.call({})": () => Memory.prototype.type.call({}),
      'ledger.setBudget("x")': () => ledger.setBudget("x"),
      'ledger.on("nope", f)': () => ledger.on("nope", () => {}),
      'ledger.label({}, "x")': () => ledger.label({}, "x"),
    };
    if (m64) {
      Object.assign(ops, {
        "i64 memory.grow(1)": () => m64.grow(1),
        'i64 memory.grow("x")': () => m64.grow("x"),
        "i64 memory.grow(-1n)": () => m64.grow(-1n),
        "i64 memory.grow(100n)": () => m64.grow(100n),
        "i64 memory.grow({ valueOf() { throw } })": () => m64.grow({ valueOf: thrower }),
      });
    }
    const leaks = [];
    for (const [name, f] of Object.entries(ops)) {
      const run = (n) => {
        for (let i = 0; i < n; i++) {
          try {
            f();
          } catch {
            // every one of these fails
          }
        }
      };
      run(200); // warm-up: the table and the heap reach their working size
      await rest();
      const before = { table: table.length, linear: bufferOf(glueMemory).byteLength };
      for (let k = 0; k < rounds; k += 500) {
        run(500);
        await macrotask();
      }
      await rest();
      const after = { table: table.length, linear: bufferOf(glueMemory).byteLength };
      if (after.table > before.table || after.linear > before.linear)
        leaks.push(
          `${name}: externref table ${before.table} -> ${after.table} slots, linear memory ${before.linear} -> ${after.linear} bytes after ${rounds} calls`,
        );
    }
    return {
      checks: [
        {
          name: `no leaks on error paths: ${Object.keys(ops).length} failing calls, ${rounds} times each; the polyfill's externref table and linear memory don't grow`,
          ok: leaks.length === 0,
          detail: leaks.length
            ? `${leaks.join("\n    ")}\n    repro: for (let i = 0; i < 100000; i++) try { new Memory({ address: "i64", initial: 1 }) } catch {} // the table grows by ~1 slot per call, each keeping the thrown error alive`
            : "",
        },
      ],
    };
  }

  // ---------------------------------------------------------------- final

  async function final() {
    await settle();
    const checks = [];
    const p = probe();
    checks.push({
      name: "zero traps: after the whole run the package API still works (construct, snapshot, snapshotArray)",
      ok: p === null,
      detail: p ?? "",
    });
    const problems = [];
    try {
      const m = new Memory({ initial: 1, maximum: 3 }, { label: "final" });
      if (m.grow(1) !== 1) problems.push("grow(1) did not return 1");
      const t = m.type();
      if (!sameType(t, { address: "i32", maximum: 3, minimum: 2, shared: false })) problems.push(`type() ${show(t)}`);
      ledger.label(m, "final 2");
      const rec = ledger.snapshot().memories.find((r) => r.id === ledger.idOf(m));
      if (rec?.label !== "final 2" || rec.pages !== 2) problems.push(`record ${show(rec)}`);
      const un = install();
      const w = new WebAssembly.Memory({ initial: 1 });
      if (ledger.idOf(w) < 0) problems.push("installed constructor does not ledger");
      un();
      if (WebAssembly.Memory !== NativeMemory) problems.push("uninstall did not restore WebAssembly.Memory");
      ledger.setBudget({ totalPages: 1e6 });
      ledger.setBudget(null);
    } catch (e) {
      problems.push(`${errName(e)}: ${e?.message}`);
    }
    checks.push({
      name: "after the whole run: construct, grow, type, label, install/uninstall, setBudget all work",
      ok: problems.length === 0,
      detail: problems.join("; "),
    });
    for (const off of offs) off();
    return { checks };
  }

  const sections = { descriptors, grow, modules, compilePaths, errorPaths, allocation, bypass, isolation, workers, final };
  return {
    info: { ...info, i64Limit: `${info.i64Limit}`, growLimit: `${info.growLimit}`, kinds: KINDS },
    async run(section, args = {}) {
      const t0 = Date.now();
      const out = await sections[section](args);
      return { checks: [], notes: [], stats: null, ...out, ms: Date.now() - t0 };
    },
  };
}
