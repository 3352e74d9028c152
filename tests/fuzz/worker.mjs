// The worker side of the workers section: a Node worker_threads worker or a module Web Worker.
// It imports the package itself (so it has its own ledger), makes memories of its own, and
// grows a shared memory it is sent.
const isNode = typeof process !== "undefined" && !!process.versions?.node && typeof self === "undefined";
const port = isNode ? (await import("node:worker_threads")).parentPort : self;
const { Memory, ledger } = await import(new URL(isNode ? "../../pkg/node.js" : "../../pkg/index.js", import.meta.url).href);

const send = (m) => port.postMessage(m);
const own = [];
let made = null;
const summary = () => {
  const s = ledger.snapshot();
  return { live: s.live, created: s.created, livePages: s.livePages };
};

const onMessage = (msg) => {
  try {
    if (msg.type === "grow") {
      // Memories this worker makes: its ledger counts these and nothing else.
      own.push(new Memory({ initial: 1 }), new Memory({ initial: 2, maximum: 3 }));
      const m = msg.memory;
      const read = Atomics.load(new Int32Array(m.buffer), 0);
      Atomics.store(new Int32Array(m.buffer), 1, 7);
      const old = m.grow(1);
      send({
        type: "grown",
        old,
        read,
        byteLength: m.buffer.byteLength,
        idOfReceived: ledger.idOf(m),
        snapshot: summary(),
        made: 2,
        madePages: 3,
      });
    } else if (msg.type === "make") {
      made = new Memory({ initial: 1, maximum: 3, shared: true }, { label: "made in a worker" });
      send({ type: "made", memory: made, idOfMade: ledger.idOf(made) });
    } else if (msg.type === "check") {
      send({ type: "checked", pages: made.buffer.byteLength / 65536, snapshot: summary() });
    }
  } catch (e) {
    send({ type: "error", error: `${e?.constructor?.name}: ${e?.message}` });
  }
};
if (isNode) port.on("message", onMessage);
else port.onmessage = (e) => onMessage(e.data);
send({ type: "ready" });
