// Imported first by every test app (natively and under the reporter): keeps every memory the
// program makes or instantiates, through whatever `WebAssembly` is in place (the engine's, or the
// package's installed one), and at exit writes their true sizes, read from the engine
// (`buffer.byteLength / 65536`), to the file $REPORT_SIDE, as JSON: [{ pages, shared }].
// The reporter's own figures are checked against these, never against what it prints.
import { writeFileSync } from "node:fs";

const memories = new Set();
const keep = (exports) => {
  for (const v of Object.values(exports ?? {})) if (v instanceof WebAssembly.Memory) memories.add(v);
};
const W = WebAssembly;
const { Memory, Instance, instantiate } = W;
W.Memory = function Memory_(descriptor, options) {
  const m = Reflect.construct(Memory, [descriptor, options], new.target ?? Memory);
  memories.add(m);
  return m;
};
W.Memory.prototype = Memory.prototype;
W.Instance = function Instance_(module, imports) {
  const i = Reflect.construct(Instance, [module, imports], new.target ?? Instance);
  keep(i.exports);
  return i;
};
W.Instance.prototype = Instance.prototype;
W.instantiate = async function instantiate_(source, imports) {
  const r = await instantiate.call(W, source, imports);
  keep((r.instance ?? r).exports);
  return r;
};

export const sizes = () =>
  [...memories].map((m) => ({
    pages: m.buffer.byteLength / 65536,
    shared: typeof SharedArrayBuffer === "function" && m.buffer instanceof SharedArrayBuffer,
  }));
process.on("exit", () => {
  try {
    if (process.env.REPORT_SIDE) writeFileSync(process.env.REPORT_SIDE, JSON.stringify(sizes()));
  } catch {} // the "hostile" program broke the built-ins this needs
});
