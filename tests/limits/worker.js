// A browser worker that runs one probe (probe.js) and posts its result; the page then ends it.
import { probe } from "./probe.js";

self.onmessage = async ({ data: { shape, cap, withLedger } }) => {
  let result;
  try {
    // The engine's own constructor, taken before the package loads (it installs nothing).
    const Native = WebAssembly.Memory;
    let ledger;
    if (withLedger) ({ ledger } = await import("/pkg/index.js"));
    result = probe(shape, { cap, ledger, Native });
  } catch (e) {
    result = { shape, error: String(e?.stack ?? e) };
  }
  self.postMessage(result);
};
