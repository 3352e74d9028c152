// A worker of the realms scenario (scenario.js), in Node (worker_threads) and in the browsers
// (a module worker).
import { workerSide } from "./scenario.js";

if (typeof process === "object" && process.versions?.node) {
  const { parentPort } = await import("node:worker_threads");
  workerSide({ send: (m) => parentPort.postMessage(m), on: (f) => parentPort.on("message", f) });
} else {
  workerSide({ send: (m) => self.postMessage(m), on: (f) => (self.onmessage = (e) => f(e.data)) });
}
