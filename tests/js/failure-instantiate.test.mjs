// Issue #21, item 2, for instances, in Node through the built package: under install(), an
// instance the engine can't make for want of memory (a module whose memory the machine can't
// give) is refused with the engine's own error on every instantiate path (its class, its object,
// its message followed by what the ledger knows) and one `failure` event with `operation:
// "instantiate"`; the nursery is let go of and `new Instance` tried once more first. Errors that
// are not the engine's refusal (a LinkError, a CompileError, a trap in a start function) are
// untouched and report nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

const pkgUrl = new URL("../../pkg/node.js", import.meta.url);

/** The child's address space, in KiB (`ulimit -v`). */
const CAP_KB = 3_000_000;

/** Runs `body` (a function of the package's URL, returning JSON-able data) in a child whose
 * address space is capped (3 GB) and whose memories reserve only what they hold (no trap
 * handler, so no guard regions): a memory of ~4 GB is refused, and nothing is ever touched. */
function capped(body) {
  const script = `const out = await (${body})(${JSON.stringify(pkgUrl.href)}); console.log(JSON.stringify(out));`;
  const text = execFileSync(
    "bash",
    ["-c", `ulimit -v ${CAP_KB}; exec "${process.execPath}" --disable-wasm-trap-handler --expose-gc --input-type=module -e "$0"`, script],
    { encoding: "utf8", timeout: 60_000 },
  );
  return JSON.parse(text.trim().split("\n").pop());
}

// The child's own helpers, as source (it shares no module with this file).
const helpers = String.raw`
  const leb = (n) => { const b = []; do { let x = n & 0x7f; n = Math.floor(n / 128); if (n) x |= 0x80; b.push(x); } while (n); return b; };
  const section = (id, body) => [id, ...leb(body.length), ...body];
  const text = (s) => [...leb(s.length), ...new TextEncoder().encode(s)];
  // (module $name? (import "js" "f" (func))? (memory (export "mem") pages)? (start)?)
  const module = ({ pages, name, importFn, startTraps }) => {
    const out = [0, 97, 115, 109, 1, 0, 0, 0];
    if (importFn || startTraps) out.push(...section(1, [1, 0x60, 0, 0])); // type 0: [] -> []
    if (importFn) out.push(...section(2, [1, ...text("js"), ...text("f"), 0, 0]));
    if (startTraps) out.push(...section(3, [1, 0]));
    if (pages !== undefined) out.push(...section(5, [1, 0, ...leb(pages)]));
    if (pages !== undefined) out.push(...section(7, [1, ...text("mem"), 2, 0]));
    if (startTraps) out.push(...section(8, [importFn ? 1 : 0]));
    // The start function traps (unreachable), or calls the import (call 0) when there is one.
    if (startTraps) out.push(...section(10, importFn ? [1, 4, 0, 0x10, 0, 11] : [1, 3, 0, 0, 11]));
    if (name) out.push(...section(0, [...text("name"), 0, ...leb(text(name).length), ...text(name)]));
    return new Uint8Array(out);
  };
  const describe = (e) => (typeof e !== "object" || e === null ? { thrown: String(e) } : {
    class: Object.getPrototypeOf(e) === RangeError.prototype ? "RangeError" : e.constructor.name,
    message: e.message, stack: String(e.stack).split("\n")[0] });
  const attempt = async (f) => { try { await f(); return "made"; } catch (e) { return describe(e); } };
  // Node's fetch (undici) instantiates its HTTP parser, lazily, a tick after Response is first
  // touched: natively here, before install(), so that it is no memory of the ledger's.
  const settleUndici = async () => { void Response; await new Promise((r) => setTimeout(r, 100)); };
`;

test("an instance refused for want of memory: the engine's error on every path, with the ledger's facts, and one failure event each", () => {
  const out = capped(
    new Function(
      "pkg",
      `return (async () => {
    ${helpers}
    const NativeModule = WebAssembly.Module, NativeInstance = WebAssembly.Instance;
    const huge = module({ pages: 60000 });
    // Natively first: what the engine says.
    const native = await attempt(() => new NativeInstance(new NativeModule(huge)));
    await settleUndici();
    const { Memory, install, ledger } = await import(pkg);
    const before = new NativeModule(huge); // compiled before install(): its bytes were never read
    install();
    const failures = [];
    ledger.on("failure", (e) => failures.push(e));
    const small = new Memory({ initial: 1 }, { label: "small one" });
    const other = new Memory({ initial: 3 }, { label: "the largest" });
    const keeper = new WebAssembly.Instance(new WebAssembly.Module(module({ pages: 2, name: "keeper" })));
    const hooked = new WebAssembly.Module(huge);
    const json = { headers: { "content-type": "application/wasm" } };
    const paths = {
      instance: await attempt(() => new WebAssembly.Instance(hooked)),
      module: await attempt(() => WebAssembly.instantiate(hooked)),
      bytes: await attempt(() => WebAssembly.instantiate(huge)),
      streaming: await attempt(() => WebAssembly.instantiateStreaming(new Response(huge, json))),
      unread: await attempt(() => new WebAssembly.Instance(before)),
    };
    const counted = failures.length;
    ledger.setBudget({ totalPages: 65536, mode: "hard" }); // the compile hooks rewrite the module: the other path
    paths.bytesHard = await attempt(() => WebAssembly.instantiate(huge));
    paths.streamingHard = await attempt(() => WebAssembly.instantiateStreaming(new Response(huge, json)));
    ledger.setBudget(null);
    return { native, paths, failures, counted, ids: { small: ledger.idOf(small), other: ledger.idOf(other), keeper: ledger.idOf(keeper.exports.mem) } };
  })()`,
    ),
  );
  const engine = "Out of memory: Cannot allocate Wasm memory for new instance";
  assert.deepEqual(out.native, {
    class: "RangeError",
    message: `WebAssembly.Instance(): ${engine}`,
    stack: `RangeError: WebAssembly.Instance(): ${engine}`,
  });
  const facts = `(the ledger: 3 live memories, 6 pages in all, 2 of them held by no live instance (if unreachable, waiting for the garbage collector); the largest: "the largest" 3 pages, #${out.ids.keeper} (keeper) 2 pages, "small one" 1 page)`;
  const refused = (fn) => ({
    class: "RangeError",
    message: `WebAssembly.${fn}(): ${engine} ${facts}`,
    stack: `RangeError: WebAssembly.${fn}(): ${engine} ${facts}`,
  });
  assert.deepEqual(out.paths, {
    instance: refused("Instance"),
    module: refused("instantiate"),
    bytes: refused("instantiate"),
    streaming: refused("instantiate"),
    unread: refused("Instance"),
    bytesHard: refused("instantiate"),
    streamingHard: refused("instantiate"),
  });
  const largest = [
    { id: out.ids.other, label: "the largest", definedBy: null, pages: 3 },
    { id: out.ids.keeper, label: null, definedBy: "keeper", pages: 2 },
    { id: out.ids.small, label: "small one", definedBy: null, pages: 1 },
  ];
  const failure = (pages) => ({
    type: "failure",
    id: null,
    operation: "instantiate",
    pages,
    live: 3,
    withoutInstance: 2,
    livePages: 6,
    largest,
    // No profile without the trap handler's guard regions: the model knows no limit here.
    reservedBytes: null,
    expectedLimit: null,
  });
  assert.equal(out.counted, 5, "one event per refusal");
  assert.deepEqual(out.failures, [
    failure(60000),
    failure(60000),
    failure(60000),
    failure(60000),
    failure(0),
    failure(60000),
    failure(60000),
  ]);
});

test("the nursery is let go of and `new Instance` tried once more, as a construction is: where the engine's collection would make room natively, it does here too", () => {
  // Each round drops a memory and an instance made in the same task, each of more than half the
  // room left (the largest memory the child can make once the package is loaded, found first):
  // natively the engine collects them when it runs short, here the nursery holds them until let
  // go of. The module's imports are read again on the second try (the engine reads them before
  // it allocates): the count shows the retry happened.
  const out = capped(
    new Function(
      "pkg",
      `return (async () => {
    ${helpers}
    await settleUndici();
    const { Memory, install, ledger } = await import(pkg);
    // The room left under the cap, from the address space the process holds now.
    const { readFileSync } = await import("node:fs");
    const held = Number(/VmSize:\\s+(\\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]);
    const lo = Math.floor(((${CAP_KB} - held) * 1024) / 65536);
    const pages = Math.floor(lo * 0.6);
    install();
    const failures = [];
    ledger.on("failure", (e) => failures.push(e));
    const m = new WebAssembly.Module(module({ pages, importFn: true }));
    let reads = 0;
    const imports = { get js() { reads++; return { f() {} }; } };
    const rounds = [];
    // All in one task, with no await: the nursery holds every memory made here.
    for (let i = 0; i < 3; i++) {
      reads = 0;
      new Memory({ initial: pages });
      try {
        new WebAssembly.Instance(m, imports);
        rounds.push(["made", reads]);
      } catch (e) {
        rounds.push([describe(e), reads]);
      }
    }
    return { rounds, failures: failures.length, room: lo };
  })()`,
    ),
  );
  assert.ok(out.room > 1000, `room for a memory of ${out.room} pages`);
  assert.deepEqual(
    { ...out, room: undefined },
    {
      rounds: [
        ["made", 2],
        ["made", 2],
        ["made", 2],
      ],
      failures: 0,
      room: undefined,
    },
  );
});

test("errors that are not the engine's refusal for want of memory are untouched and report nothing", () => {
  const out = capped(
    new Function(
      "pkg",
      `return (async () => {
    ${helpers}
    await settleUndici();
    const cases = {
      link: () => new WebAssembly.Instance(new WebAssembly.Module(module({ pages: 1, importFn: true })), { js: {} }),
      linkAsync: () => WebAssembly.instantiate(module({ pages: 1, importFn: true }), { js: {} }),
      compile: () => WebAssembly.instantiate(new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0])),
      type: () => new WebAssembly.Instance({}),
      trap: () => new WebAssembly.Instance(new WebAssembly.Module(module({ pages: 1, startTraps: true }))),
      trapAsync: () => WebAssembly.instantiate(module({ pages: 1, startTraps: true })),
      // An import that throws a RangeError while the start function runs (the engine's own class).
      thrown: () => new WebAssembly.Instance(new WebAssembly.Module(module({ pages: 1, importFn: true, startTraps: true })), { js: { f() { throw new RangeError("not ours"); } } }),
      overflow: () => { const deep = () => new WebAssembly.Instance(new WebAssembly.Module(module({ pages: 1 })), { get js() { return deep(); } }); return deep(); },
    };
    const run = async () => { const r = {}; for (const k in cases) r[k] = await attempt(cases[k]); return r; };
    const native = await run();
    const { install, ledger } = await import(pkg);
    install();
    const heard = [];
    ledger.on("failure", (e) => heard.push(e));
    const ours = await run();
    return { native, ours, heard };
  })()`,
    ),
  );
  assert.deepEqual(out.ours, out.native);
  assert.deepEqual(out.heard, []);
  assert.equal(out.native.link.class, "LinkError");
  assert.equal(out.native.compile.class, "CompileError");
  assert.equal(out.native.type.class, "TypeError");
  assert.equal(out.native.trap.class, "RuntimeError");
  assert.deepEqual(out.native.thrown, { class: "RangeError", message: "not ours", stack: "RangeError: not ours" });
});
