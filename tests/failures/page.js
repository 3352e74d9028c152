// An instance refused for want of memory, provoked natively in a browser (run.mjs opens this
// page with `?pages=N`): under install(), memories of N pages are made and held until the engine
// refuses one (Chromium and Firefox run out of address space for memories, WebKit out of its
// allowance for the memory asked for in all; none is ever written, so nothing is committed),
// then an instance of a module defining a memory of N pages is asked for on every instantiate
// path. Each refusal must be the engine's own (what the
// engine's own functions, saved before install(), throw in the same state: its class and
// message, or its thrown value), its message followed by the ledger's facts, and one `failure`
// event with `operation: "instantiate"`; a LinkError is untouched and reports nothing. The
// result (checks as `{ name, ok, detail }`) goes to window.__failuresResult as JSON.
const pages = Number(new URLSearchParams(location.search).get("pages") ?? 1);
const checks = [];
const check = (name, ok, detail = "") => checks.push({ name, ok: !!ok, detail: ok ? "" : detail });

const leb = (n) => {
  const b = [];
  do {
    let x = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) x |= 0x80;
    b.push(x);
  } while (n);
  return b;
};
const section = (id, body) => [id, ...leb(body.length), ...body];
const text = (s) => [...leb(s.length), ...new TextEncoder().encode(s)];
/** (module (import "js" "f" (func))? (memory (export "mem") n)) */
function module(n, importFn) {
  const out = [0, 97, 115, 109, 1, 0, 0, 0];
  if (importFn) out.push(...section(1, [1, 0x60, 0, 0]), ...section(2, [1, ...text("js"), ...text("f"), 0, 0]));
  out.push(...section(5, [1, 0, ...leb(n)]), ...section(7, [1, ...text("mem"), 2, 0]));
  return new Uint8Array(out);
}
/** What was thrown, as data: an error's class, message and its stack's first line; else the value. */
const seen = (e) =>
  typeof e === "object" && e !== null
    ? { class: Object.getPrototypeOf(e)?.constructor?.name, message: e.message, stack: String(e.stack).split("\n")[0] }
    : { thrown: String(e) };
async function outcome(f) {
  try {
    await f();
    return { made: true };
  } catch (e) {
    return seen(e);
  }
}
const show = (x) => JSON.stringify(x);

const held = [];
try {
  const natives = {
    Module: WebAssembly.Module,
    Instance: WebAssembly.Instance,
    instantiate: WebAssembly.instantiate,
    instantiateStreaming: WebAssembly.instantiateStreaming,
  };
  const { Memory, install, ledger } = await import("/pkg/index.js");
  const uninstall = install();
  const heard = [];
  ledger.on("failure", (e) => heard.push(e));
  try {
    const bytes = module(pages);
    const hooked = new WebAssembly.Module(bytes); // compiled through the hooks: its bytes were read
    const native = new natives.Module(bytes);

    // Not the engine's refusal: untouched, nothing reported (a missing import; before the
    // memories are held, as the engine allocates an instance's memory before it links).
    const linking = module(pages, true);
    const engine = await outcome(() => natives.instantiate(linking, { js: {} }));
    heard.length = 0;
    const got = await outcome(() => WebAssembly.instantiate(linking, { js: {} }));
    check(
      `a LinkError is the engine's, unchanged (${engine.class})`,
      show(got) === show(engine) && engine.class === "LinkError",
      `ours ${show(got)}, engine's ${show(engine)}`,
    );
    check("a LinkError reports nothing", heard.length === 0, show(heard));

    let construction;
    for (let i = 0; i < 5000; i++) {
      try {
        held.push(new Memory({ initial: pages, maximum: pages }, { label: `held ${i}` }));
      } catch (e) {
        construction = seen(e);
        break;
      }
    }
    check(`memories of ${pages} page(s) are refused once some are held`, held.length > 0 && held.length < 5000, `held ${held.length}`);
    // The refused construction says it too, in its stack's first line where that repeats the
    // message (V8's own stack accessor, written through its own setter).
    const said = construction?.message ?? "";
    check("the refused construction's message has the ledger's facts", said.includes(" (the ledger: "), show(construction));
    check(
      "and so has its stack's first line, where that has the message",
      !construction?.stack?.includes(said.slice(0, said.indexOf(" (the ledger: "))) || construction.stack.includes(said),
      show(construction),
    );
    check("one failure event for it, a construction's", heard.length === 1 && heard[0].operation === "construct", show(heard));
    heard.length = 0;

    const { live, livePages, reservedBytes, headroom } = ledger.snapshot();
    // What the reservation model says, as the snapshot does: the live memories made here and
    // the package's own heap, against the limit it expects.
    const expectedLimit = headroom === null ? null : live + 1 + headroom.memories;
    const largest = held.slice(0, 3).map((m, i) => ({ id: ledger.idOf(m), label: `held ${i}`, definedBy: null, pages }));
    const unit = (n, one, many) => `${n} ${n === 1 ? one : many}`;
    const facts = ` (the ledger: ${unit(live, "live memory", "live memories")}, ${unit(livePages, "page", "pages")} in all, ${live} held by no live instance (if unreachable, waiting for the garbage collector); the largest: ${largest.map((m) => `"${m.label}" ${unit(m.pages, "page", "pages")}`).join(", ")})`;
    const failure = {
      type: "failure",
      id: null,
      operation: "instantiate",
      pages,
      live,
      withoutInstance: live,
      livePages,
      largest,
      reservedBytes,
      expectedLimit,
    };
    const wasm = () => new Response(bytes, { headers: { "content-type": "application/wasm" } });
    const paths = [
      ["new Instance(module)", () => new natives.Instance(native), () => new WebAssembly.Instance(hooked)],
      ["instantiate(module)", () => natives.instantiate(native), () => WebAssembly.instantiate(hooked)],
      ["instantiate(bytes)", () => natives.instantiate(bytes), () => WebAssembly.instantiate(bytes)],
      ["instantiateStreaming", () => natives.instantiateStreaming(wasm()), () => WebAssembly.instantiateStreaming(wasm())],
    ];
    for (const [name, theirs, ours] of paths) {
      const engine = await outcome(theirs);
      heard.length = 0;
      const got = await outcome(ours);
      const events = heard.splice(0);
      if (engine.made) {
        check(`${name}: the engine refuses it natively`, false, "it made the instance");
        continue;
      }
      if (engine.thrown !== undefined) {
        // SpiderMonkey throws the string "out of memory": nothing to extend, the event says it.
        check(`${name}: the engine's own thrown value (${show(engine.thrown)})`, show(got) === show(engine), `ours ${show(got)}`);
      } else {
        check(`${name}: the engine's own class (${engine.class})`, got.class === engine.class, `ours ${show(got)}`);
        // Where the reservation model has a profile of this engine, its expectation closes the
        // facts: the live memories with the polyfill's own heap, against the expected limit.
        const words = got.message.startsWith(engine.message) ? got.message.slice(engine.message.length) : "";
        const model =
          /^; the reservation model \(measured on [^)]*\): (\d+) live memories of an expected limit of (\d+), the polyfill's own heap among them(; \d+ [KMG]iB reserved)?\)$/.exec(
            words.slice(facts.length - 1),
          );
        const profiled = ledger.snapshot().headroom !== null;
        const told = profiled ? words.startsWith(facts.slice(0, -1)) && model !== null && Number(model[1]) === live + 1 : words === facts;
        check(
          `${name}: the engine's message, then the ledger's facts`,
          told,
          `ours ${show(got.message)}, engine's ${show(engine.message)}, facts ${show(facts)}${profiled ? " and the model's expectation" : ""}`,
        );
        // Where the engine's stack starts with its message (V8), ours starts with ours.
        const expected = engine.stack.includes(engine.message)
          ? engine.stack.replace(engine.message, engine.message + words)
          : engine.stack;
        check(`${name}: the stack's first line`, got.stack === expected, `ours ${show(got.stack)}, expected ${show(expected)}`);
      }
      check(
        `${name}: one failure event with operation "instantiate" and the ledger's facts`,
        show(events) === show([failure]),
        `heard ${show(events)}, expected ${show([failure])}`,
      );
    }
  } finally {
    held.length = 0;
    uninstall();
  }
} catch (e) {
  check("the page runs", false, String(e?.stack ?? e));
}
window.__failuresResult = JSON.stringify({ userAgent: navigator.userAgent, checks });
