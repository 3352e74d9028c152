// The page benches/gc.mjs drives: makes memories in tasks of `per`, each task its own macrotask
// (as an app makes them, and unlike the bench's back-to-back samples), on one side or the other:
// the engine's constructor with the floor's plain-JS bookkeeping (benches/keeper.mjs),
// or the polyfill. Logs "@@start side" and "@@end side" so that the driver can tell which side
// the engine's GC trace lines belong to.
import { Memory } from "/pkg/index.js";
import { keeper } from "./keeper.mjs";

const NativeMemory = WebAssembly.Memory;

/** A macrotask with no timer clamping. */
const channel = new MessageChannel();
let wake;
channel.port1.onmessage = () => wake();
const nextTask = () =>
  new Promise((resolve) => {
    wake = resolve;
    channel.port2.postMessage(0);
  });

/** Makes `tasks * per` memories on `side` ("native" or "polyfill"); resolves to the milliseconds taken. */
globalThis.makeMemories = async (side, tasks, per) => {
  const { keep } = keeper();
  console.log(`@@start ${side}`);
  const t0 = performance.now();
  for (let t = 0; t < tasks; t++) {
    if (side === "native") for (let i = 0; i < per; i++) keep(new NativeMemory({ initial: 1 }));
    else for (let i = 0; i < per; i++) new Memory({ initial: 1 });
    await nextTask();
  }
  const ms = performance.now() - t0;
  console.log(`@@end ${side}`);
  return ms;
};
globalThis.ready = true;
