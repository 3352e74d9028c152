// A real Emscripten program with pthreads, wasm-vips (pinned in tests/programs), under install()
// in every thread (emscripten-preload.mjs), each thread sharing its ledger. Emscripten makes the
// shared memory here, in the main thread, and posts it to its pthread workers, which import it.
// A spy over the installed WebAssembly.Memory keeps the memories made here, so their true sizes
// are read from the engine independently of the ledger. Prints "@@realms-emscripten@@ <JSON>".
// WMP_PKG, WMP_VIPS: file URLs of the package's Node entry and of wasm-vips' ESM entry.
const { ledger } = await import(process.env.WMP_PKG);
const Ours = WebAssembly.Memory;
const made = [];
const Spy = function Memory(descriptor) {
  const m = Reflect.construct(Ours, [descriptor], new.target ?? Ours);
  made.push(m);
  return m;
};
Spy.prototype = Ours.prototype;
WebAssembly.Memory = Spy;

const out = {};
try {
  const Vips = (await import(process.env.WMP_VIPS)).default;
  const vips = await Vips({ dynamicLibraries: [] });
  WebAssembly.Memory = Ours;
  const image = vips.Image.black(256, 256).add(100).gaussblur(2);
  out.avg = image.avg();
  out.concurrency = vips.concurrency();
  // Each pthread worker publishes its received memory once, then waits inside wasm. The loop
  // ends as soon as every worker has been heard; 20 s only guards against a hang (a loaded
  // 2-core CI machine has taken more than 5 s to start the workers).
  const until = Date.now() + 20_000;
  let view;
  for (;;) {
    view = ledger.snapshot({ allRealms: true });
    const threads = view.realms.filter((r) => !r.self);
    if ((threads.length >= out.concurrency && threads.every((r) => r.received === 1)) || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  out.truth = made.map((m) => ({
    pages: m.buffer.byteLength / 65536,
    shared: typeof SharedArrayBuffer === "function" && m.buffer instanceof SharedArrayBuffer,
  }));
  out.view = view;
  vips.shutdown?.();
} catch (e) {
  out.error = `${e?.name}: ${e?.message}\n${e?.stack ?? ""}`;
}
console.log(`@@realms-emscripten@@ ${JSON.stringify(out)}`);
process.exit(0); // the pthread workers wait inside wasm: they would keep the process alive
