// A worker_threads worker of app.mjs's "workers" program: makes a memory, grows it, appends its
// true size to $side, tells the main thread; with `stay`, then waits (still running at exit).
import { parentPort, workerData, threadId } from "node:worker_threads";
import { appendFileSync } from "node:fs";

const { k, stay, side } = workerData;
const m = new WebAssembly.Memory({ initial: 4 + k, maximum: 64 });
m.grow(k);
const pages = m.buffer.byteLength / 65536;
if (side) appendFileSync(side, `${JSON.stringify({ threadId, pages, stay })}\n`);
globalThis.keep = m;
parentPort.postMessage(pages);
if (stay) setInterval(() => {}, 1 << 30);
