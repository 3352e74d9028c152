// The realms scenario, the same in Node (worker_threads) and in the browsers (module workers):
// the main realm makes two memories, one of them shared, and shares its ledger; two workers
// each make memories of their own (one constructed, one exported by a module), are sent the
// shared memory and import it into a module under install() (one through instantiate(), one
// through new Module + new Instance), and grow it by a page from inside wasm. Then the main
// realm's app-wide view must show every memory once, with its realm, and totals equal to the
// true sizes read from the engine in each realm; a worker that stops, and one that is
// terminated, must drop out. Returns [{ name, ok, detail }].

const P = 65536;

/** (module (import "env" "memory" (memory 1 20 shared)) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))) */
export const IMPORTER = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 6, 1, 0x60, 1, 0x7f, 1, 0x7f, 2, 0x10, 1, 3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79,
  2, 3, 1, 0x14, 3, 2, 1, 0, 7, 8, 1, 4, 0x67, 0x72, 0x6f, 0x77, 0, 0, 0x0a, 8, 1, 6, 0, 0x20, 0, 0x40, 0, 0x0b,
]);
/** (module (memory (export "mem") 3)) */
export const EXPORTER = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 3, 7, 7, 1, 3, 0x6d, 0x65, 0x6d, 2, 0]);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const show = (v) => JSON.stringify(v);

/**
 * The worker's side. `port`: { send(message), on(handler) }.
 * Messages in: start { pkg, name, interval }, shared { memory (or null), sync, pages },
 * block { ms }, stop.
 */
export function workerSide(port) {
  let pkg, stop;
  const keep = []; // what this worker made stays alive
  port.on(async (msg) => {
    try {
      if (msg.type === "start") {
        pkg = await import(msg.pkg);
        pkg.install();
        stop = pkg.ledger.share({ name: msg.name, interval: msg.interval });
        port.send({ type: "ready" });
      } else if (msg.type === "shared") {
        const own = new WebAssembly.Memory({ initial: msg.pages }); // installed: constructed here
        own.grow(1);
        const exporter = msg.sync
          ? new WebAssembly.Instance(new WebAssembly.Module(EXPORTER), {})
          : (await WebAssembly.instantiate(EXPORTER)).instance;
        keep.push(own, exporter);
        let grewFrom = null,
          receivedId = null;
        if (msg.memory) {
          const imports = { env: { memory: msg.memory } };
          const importer = msg.sync
            ? new WebAssembly.Instance(new WebAssembly.Module(IMPORTER), imports)
            : (await WebAssembly.instantiate(IMPORTER, imports)).instance;
          grewFrom = importer.exports.grow(1); // inside wasm: no JS call sees it
          keep.push(importer, msg.memory);
          receivedId = pkg.ledger.idOf(msg.memory);
        }
        const made = [own, exporter.exports.mem].map((m) => m.buffer.byteLength / P);
        const mine = pkg.ledger.snapshot();
        port.send({ type: "done", made, grewFrom, origins: mine.memories.map((r) => r.origin).sort(), receivedId });
      } else if (msg.type === "block") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, msg.ms); // silent: no timer, no message runs
        port.send({ type: "unblocked" });
      } else if (msg.type === "stop") {
        stop();
        port.send({ type: "stopped" });
      }
    } catch (e) {
      port.send({ type: "error", message: `${e?.name}: ${e?.message}\n${e?.stack ?? ""}` });
    }
  });
}

/**
 * The main realm's side. `spawn(name)` starts a worker running workerSide and returns
 * { send, next(type) (the next message of that type), terminate() }.
 */
export async function mainSide({ pkg, pkgUrl, spawn, whileAllLive }) {
  const { Memory, ledger } = pkg;
  const results = [];
  const check = (name, ok, detail = "") => results.push({ name, ok: !!ok, detail: ok ? "" : String(detail) });
  const skip = (name, reason) => results.push({ name, skip: reason });
  const stops = [];
  try {
    const own = new Memory({ initial: 2 }, { label: "main's own" });
    const shared = new Memory({ initial: 1, maximum: 20, shared: true }, { label: "shared" });
    // WebKitGTK 2.50 makes shared memories but can't post them (DataCloneError), even cross-origin
    // isolated: there the workers get none, and what needs one is reported as skipped.
    const postable = canPost(shared);
    const noPost = "this engine can't post a shared memory to a worker (DataCloneError)";
    const n = postable ? 2 : 0; // received records: one per worker
    check(
      "share() before it has started: realms() is [] and the app view null",
      ledger.realms().length === 0 && ledger.snapshot({ allRealms: true }) === null,
    );
    stops.push(ledger.share({ name: "main", interval: 100 }));

    const workers = [spawn("w1"), spawn("w2")];
    for (const [i, w] of workers.entries()) w.send({ type: "start", pkg: pkgUrl, name: `w${i + 1}`, interval: 100 });
    for (const w of workers) await w.next("ready");
    for (let i = 0; i < workers.length; i++)
      workers[i].send({ type: "shared", memory: postable ? shared : null, sync: i === 1, pages: 4 + i });
    const done = [];
    for (const w of workers) done.push(await w.next("done"));
    if (postable) {
      check(
        "each worker grew the shared memory inside wasm",
        done
          .map((d) => d.grewFrom)
          .sort()
          .join() === "1,2",
        show(done.map((d) => d.grewFrom)),
      );
      check(
        "each worker's own ledger: constructed, exported and the shared memory as received",
        done.every((d) => d.origins.join() === "constructed,exported,received" && d.receivedId >= 0),
        show(done.map((d) => d.origins)),
      );
    } else {
      skip("each worker grew the shared memory inside wasm", noPost);
      check(
        "each worker's own ledger: constructed, exported",
        done.every((d) => d.origins.join() === "constructed,exported"),
        show(done.map((d) => d.origins)),
      );
    }

    // The truth, read from the engine in each realm: main's two memories, each worker's two.
    const sharedPages = shared.buffer.byteLength / P;
    const truth = own.buffer.byteLength / P + sharedPages + done.flatMap((d) => d.made).reduce((a, b) => a + b, 0);
    if (postable) check("the shared memory is 3 pages (1 + a grow in each worker)", sharedPages === 3, sharedPages);

    // Each realm publishes at most every 100 ms: wait until main has heard every change.
    let view;
    const until = Date.now() + 10_000;
    for (;;) {
      view = ledger.snapshot({ allRealms: true });
      // (each worker reads the other's grow of the shared memory at its next tick)
      if (
        (view?.realms.length === 3 &&
          view.livePages === truth &&
          view.memories.length === 6 &&
          view.received.length === n &&
          view.receivedPages === n * sharedPages) ||
        Date.now() > until
      )
        break;
      await sleep(50);
    }
    check(
      `the app-wide view: 3 realms, 6 memories made, ${n} received`,
      view?.realms.length === 3 && view.memories.length === 6 && view.received.length === n,
      show({ realms: view?.realms.length, memories: view?.memories.length, received: view?.received.length }),
    );
    check(
      `the app-wide livePages (${view?.livePages}) is the sum of the true sizes (${truth})`,
      view?.livePages === truth && view.liveBytes === truth * P && view.live === 6,
      show({ livePages: view?.livePages, live: view?.live, truth }),
    );
    const sharedRows = view?.memories.filter((r) => r.shared) ?? [];
    check(
      "the shared memory is counted once: in main, at its true size",
      sharedRows.length === 1 &&
        sharedRows[0].realm === "main" &&
        sharedRows[0].pages === sharedPages &&
        sharedRows[0].label === "shared" &&
        sharedRows[0].origin === "constructed",
      show(sharedRows),
    );
    // (browsers) the overlay, mounted now, shows the app: a row per realm and each memory's realm
    if (whileAllLive) for (const r of await whileAllLive({ view, truth })) results.push(r);
    const received = view?.received ?? [];
    if (postable) {
      check(
        "the workers hold it as received, listed apart and in no total",
        received
          .map((r) => r.realm)
          .sort()
          .join() === "w1,w2" &&
          received.every((r) => r.origin === "received" && r.shared && r.pages === sharedPages && r.maximum === null) &&
          view.receivedPages === 2 * sharedPages,
        show({ received, receivedPages: view?.receivedPages }),
      );
    } else skip("the workers hold it as received, listed apart and in no total", noPost);
    const byRealm = (name) =>
      (view?.memories ?? [])
        .filter((r) => r.realm === name)
        .map((r) => r.pages)
        .sort((a, b) => a - b);
    check(
      "each memory appears once with its realm and its true size",
      byRealm("main").join() === [own.buffer.byteLength / P, sharedPages].sort((a, b) => a - b).join() &&
        done.every((d, i) => byRealm(`w${i + 1}`).join() === [...d.made].sort((a, b) => a - b).join()),
      show({ main: byRealm("main"), w1: byRealm("w1"), w2: byRealm("w2"), made: done.map((d) => d.made) }),
    );
    const realms = ledger.realms();
    const names = realms
      .map((r) => r.name)
      .sort()
      .join();
    check(
      "realms(): one entry per realm, itself included and marked self",
      names === "main,w1,w2" &&
        realms
          .filter((r) => r.self)
          .map((r) => r.name)
          .join() === "main" &&
        realms.every((r) => typeof r.id === "string" && Number.isFinite(r.updatedAt) && r.peak >= r.pages && "budget" in r),
      show(realms),
    );
    const w1 = realms.find((r) => r.name === "w1");
    const held = postable ? sharedPages : 0;
    check(
      "a worker's entry: its live memories and pages, received ones included and broken out",
      w1?.live === 2 + n / 2 && w1.received === n / 2 && w1.receivedPages === held && w1.pages === done[0].made[0] + done[0].made[1] + held,
      show(w1),
    );

    // The app budget: reported once per crossing, never refusing.
    const events = [];
    const off = ledger.on("budget", (e) => events.push(e));
    ledger.setBudget({ appPages: truth - 1 });
    await sleep(450); // a few publishing ticks
    const app = events.filter((e) => e.budget === "appPages");
    check(
      "appPages: one budget event when the app passes it",
      app.length === 1 && app[0].value === truth && app[0].limit === truth - 1 && app[0].refused === false && app[0].id === null,
      show(events),
    );
    const extra = new Memory({ initial: 1 }); // never refused: appPages only reports
    check(
      "appPages never refuses, and sets no budget in this realm",
      extra.buffer.byteLength === P &&
        ledger.snapshot().budget?.appPages === truth - 1 &&
        ledger.snapshot().budget?.totalPages === null &&
        ledger.snapshot({ allRealms: true })?.budget.appPages === truth - 1,
      show(ledger.snapshot().budget),
    );
    ledger.setBudget(null);
    off();

    // One worker says goodbye, the other is terminated without one.
    const t0 = Date.now();
    workers[0].send({ type: "stop" });
    await workers[0].next("stopped");
    workers[1].terminate();
    let goneStopped = -1,
      goneTerminated = -1;
    while (Date.now() - t0 < 12_000 && goneTerminated < 0) {
      const now = ledger.realms().map((r) => r.name);
      if (goneStopped < 0 && !now.includes("w1")) goneStopped = Date.now() - t0;
      if (!now.includes("w2")) goneTerminated = Date.now() - t0;
      await sleep(50);
    }
    check(`a worker that stops leaves the view at once (${goneStopped} ms)`, goneStopped >= 0 && goneStopped < 1500, goneStopped);
    check(
      `a terminated worker leaves the view within a few seconds (${goneTerminated} ms)`,
      goneTerminated >= 0 && goneTerminated < 8000,
      goneTerminated,
    );
    const after = ledger.snapshot({ allRealms: true });
    const mainPages = own.buffer.byteLength / P + sharedPages + 1;
    check(
      "then only main's memories are in the totals",
      after?.realms.length === 1 &&
        after.livePages === mainPages &&
        after.received.length === 0 &&
        after.memories.every((r) => r.realm === "main"),
      show({ realms: after?.realms.length, livePages: after?.livePages, mainPages }),
    );
    stops.pop()();
    check(
      "after stop(): realms() is [] and the app view null",
      ledger.realms().length === 0 && ledger.snapshot({ allRealms: true }) === null,
    );
    void extra;
  } catch (e) {
    check("the scenario ran", false, `${e?.name}: ${e?.message}\n${e?.stack ?? ""}`);
  } finally {
    for (const s of stops) s();
  }
  return results;
}

/** Whether this engine can post `memory` to another realm. */
function canPost(memory) {
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(memory);
    return true;
  } catch {
    return false;
  } finally {
    port1.close();
    port2.close();
  }
}

/**
 * A worker handle for mainSide from `post(message)`, `listen(handler)` and `terminate()`:
 * `next(type)` resolves with the worker's next message of that type (an `error` message, or
 * 15 s of silence, rejects).
 */
export function workerHandle(post, listen, terminate) {
  const inbox = [];
  let wake = () => {};
  listen((m) => {
    inbox.push(m);
    wake();
  });
  return {
    send: post,
    terminate,
    async next(type) {
      const until = Date.now() + 15_000;
      for (;;) {
        const i = inbox.findIndex((m) => m.type === type || m.type === "error");
        if (i >= 0) {
          const [m] = inbox.splice(i, 1);
          if (m.type === "error") throw new Error(`the worker failed: ${m.message}`);
          return m;
        }
        if (Date.now() > until) throw new Error(`no "${type}" from the worker in 15 s`);
        await new Promise((r) => {
          wake = r;
          setTimeout(r, 250);
        });
      }
    },
  };
}
