// Runs the conformance suite three times in the current engine: against the engine's own
// `WebAssembly.Memory` (measured first, before the package is even loaded), against the package's
// ponyfill `Memory`, and with the package installed (`install()`, so `WebAssembly.Memory` is ours;
// uninstalled afterwards); then the package's `ledger.touched()` (touched.js). Shared by the CLI
// runtimes (cli.mjs) and the browsers (page.js).
import { detectFeatures, runConformance } from "./conformance.js";
import { runTouched } from "./touched.js";

const describe = (e) => `${e?.name ?? "Error"}: ${e?.message ?? String(e)}`;

/**
 * @param {() => Promise<{ Memory: Function, install: () => () => void }>} loadPackage
 * @returns {Promise<{ features: object, runs: Record<string, object[]>, error?: string }>}
 */
export async function runAll(loadPackage) {
  const NativeMemory = WebAssembly.Memory;
  const features = detectFeatures(NativeMemory);
  const { NativeMemory: _, ...shown } = features;
  const out = { features: shown, runs: {} };

  out.runs.native = await runConformance(NativeMemory, { features, native: true });

  let pkg;
  try {
    pkg = await loadPackage();
  } catch (e) {
    out.error = `the package failed to load: ${describe(e)}`;
    return out;
  }
  out.runs.ponyfill = await runConformance(pkg.Memory, { features, native: false });

  const installed = [];
  let uninstall;
  try {
    uninstall = pkg.install();
    const Installed = WebAssembly.Memory;
    installed.push({
      name: "install: replaces WebAssembly.Memory",
      status: Installed !== NativeMemory ? "pass" : "fail",
      message: Installed !== NativeMemory ? "" : "WebAssembly.Memory is still the engine's",
    });
    installed.push(...(await runConformance(Installed, { features, native: false })));
  } catch (e) {
    installed.push({ name: "install: runs", status: "fail", message: describe(e) });
  } finally {
    try {
      if (typeof uninstall === "function") uninstall();
    } catch (e) {
      installed.push({ name: "install: uninstall runs", status: "fail", message: describe(e) });
    }
  }
  const restored = WebAssembly.Memory === NativeMemory;
  installed.push({
    name: "install: uninstall restores WebAssembly.Memory",
    status: restored ? "pass" : "fail",
    message: restored ? "" : "WebAssembly.Memory is not the engine's after uninstall()",
  });
  out.runs.installed = installed;
  // ledger.touched() (touched.js): cases of the package only, counted apart from the suite's.
  try {
    out.runs.touched = await runTouched(pkg);
  } catch (e) {
    out.runs.touched = [{ name: "touched: runs", status: "fail", message: describe(e) }];
  }
  return out;
}
