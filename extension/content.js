// The content script, in the page's own world ("world": "MAIN") at document_start, in every
// frame: install() before any script of the page runs, with the budget the settings files
// spelled (see settings-format.js). scripts/extension.mjs bundles it into one classic script
// with the package's wasm inlined (compiled synchronously: no await before install()), inside
// content-wrapper.js, which catches any failure (a Content-Security-Policy without
// 'wasm-unsafe-eval' makes compiling the package's own wasm fail) so nothing ever throws into
// the page. "wasm-memory-polyfill" is the package's node.js entry with its wasm embedded (see
// scripts/extension.mjs), and its overlay shares that one copy.
import { install, ledger } from "wasm-memory-polyfill";
import { mountOverlay } from "wasm-memory-polyfill/overlay";

// Captured now, before any script of the page has run: what the controls use later.
const { freeze } = Object;
const addListener = EventTarget.prototype.addEventListener;
const call = Function.prototype.call.bind(Function.prototype.call);
const topWindow = globalThis.top === globalThis;
const bodyGetter = Object.getOwnPropertyDescriptor(Document.prototype, "body")?.get;
const docElementGetter = Object.getOwnPropertyDescriptor(Document.prototype, "documentElement")?.get;
const readyStateGetter = Object.getOwnPropertyDescriptor(Document.prototype, "readyState")?.get;
const doc = globalThis.document;
const href = String(globalThis.location?.href ?? "");

/**
 * Starts the ledger in this frame. `settings`: what the settings files left (or undefined when
 * the script was injected without them); `publish(control)`: defines the frame's controls;
 * `report(error)`: reports a failure without throwing.
 */
export function start(settings, publish, report) {
  const budget = settings && settings.mode ? { mode: settings.mode } : null;
  if (budget) {
    for (const key of ["totalPages", "perMemoryPages", "memories"]) if (typeof settings[key] === "number") budget[key] = settings[key];
    try {
      ledger.setBudget(budget);
    } catch (error) {
      report(error); // measured all the same, without the budget
    }
  }
  let installed = false,
    installError = null;
  try {
    install();
    installed = true;
  } catch (error) {
    installError = error; // the page (another tool) froze WebAssembly first: measured only what it can
    report(error);
  }
  let unmount = null;
  const mount = () => {
    if (unmount) return true;
    const target = (bodyGetter && call(bodyGetter, doc)) ?? (docElementGetter && call(docElementGetter, doc));
    if (!target) return false;
    unmount = mountOverlay({ target, corner: "bottom-right" });
    return true;
  };
  const control = freeze({
    __proto__: null,
    /** This frame's state, as plain data. */
    status() {
      const s = ledger.snapshot();
      return {
        state: "running",
        installed,
        message: installError ? String(installError.message) : null,
        top: topWindow,
        url: href,
        live: s.live,
        livePages: s.livePages,
        peakTotalPages: s.peakTotalPages,
        budget: s.budget,
        budgetHits,
        overlay: unmount !== null,
        settingsDelivered: settings !== undefined && settings.complete === true,
      };
    },
    /** Shows the overlay if hidden, hides it if shown; returns whether it is shown. */
    toggleOverlay() {
      if (unmount) {
        const u = unmount;
        unmount = null;
        u();
        return false;
      }
      return mount();
    },
  });
  let budgetHits = 0;
  ledger.on("budget", () => void budgetHits++);
  publish(control);
  // The whole app in the top frame's overlay: every frame of the same origin shares its ledger.
  try {
    ledger.share({ name: topWindow ? "page" : `frame ${href}` });
  } catch (error) {
    report(error);
  }
  if (settings?.overlay && topWindow) {
    const whenReady = () => {
      try {
        mount();
      } catch (error) {
        report(error);
      }
    };
    if (readyStateGetter && call(readyStateGetter, doc) !== "loading") whenReady();
    else call(addListener, doc, "DOMContentLoaded", whenReady, { once: true });
  }
}
