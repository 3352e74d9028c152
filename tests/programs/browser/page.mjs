// One program, one mode, in a fresh page: /browser/index.html?program=NAME&mode=MODE&budget=N.
// MODE: "native" (the package is never loaded), "install" (install(), no budget), "hard" (install(),
// then a hard totalPages budget, before the program compiles its module). Sets window.__result.

import { generate, sha256, spyOnExportedMemories, describeMemories, describeError } from "../common.mjs";

const params = new URLSearchParams(location.search);
const name = params.get("program");
const mode = params.get("mode");
const budget = Number(params.get("budget"));

const workloads = {
  // wasm-bindgen's `web` target: fetch + WebAssembly.instantiateStreaming (served as application/wasm).
  async "brotli-wasm"() {
    const brotli = await (await import("/node_modules/brotli-wasm/index.web.js")).default;
    const input = generate(4 << 20);
    const compressed = brotli.compress(input, { quality: 9 });
    const back = brotli.decompress(compressed);
    if (back.length !== input.length || (await sha256(back)) !== (await sha256(input))) throw new Error("brotli-wasm round trip differs");
    return `${compressed.length}:${await sha256(compressed)}`;
  },
  // clang-built, inlined base64, WebAssembly.compile + instantiate(module).
  async "hash-wasm"() {
    const { argon2id, sha256: wasmSha256 } = await import("/node_modules/hash-wasm/dist/index.esm.js");
    const data = generate(4 << 20, 7);
    const digest = await wasmSha256(data);
    const native = await sha256(data);
    if (digest !== native) throw new Error(`hash-wasm sha256 ${digest} != WebCrypto ${native}`);
    const key = await argon2id({
      password: "correct horse battery staple",
      salt: new Uint8Array(16).fill(7),
      parallelism: 1,
      iterations: 1,
      memorySize: 64 * 1024,
      hashLength: 32,
      outputType: "hex",
    });
    return `${digest}:${key}`;
  },
};

const result = {
  program: name,
  mode,
  budget: mode === "hard" ? budget : null,
  outcome: null,
  output: null,
  error: null,
  memories: [],
  snapshot: null,
  budgetEvents: [],
};
try {
  let ledger = null;
  if (mode !== "native") {
    const lib = await import("/pkg/index.js");
    ledger = lib.ledger;
    lib.install();
    ledger.on("budget", (e) => result.budgetEvents.length < 20 && result.budgetEvents.push({ ...e }));
    if (mode === "hard") ledger.setBudget({ totalPages: budget, mode: "hard" });
  }
  const memories = spyOnExportedMemories();
  try {
    result.output = await workloads[name]();
    result.outcome = "completed";
  } catch (error) {
    result.outcome = "threw";
    result.error = describeError(error);
  }
  const snapshot = ledger ? ledger.snapshot() : null;
  if (snapshot)
    result.snapshot = {
      live: snapshot.live,
      livePages: snapshot.livePages,
      peakTotalPages: snapshot.peakTotalPages,
      budget: snapshot.budget,
    };
  result.memories = describeMemories(memories, ledger, snapshot);
} catch (error) {
  result.outcome = "harness-error";
  result.error = describeError(error);
}
window.__result = result;
