// How the settings reach a page synchronously (shared by the background and the build).
//
// chrome.storage is asynchronous, and a content script must call install() before the page's
// first script runs, so the page can't ask for its settings. Instead the background registers
// the content script (chrome.scripting.registerContentScripts, re-registered on every change)
// with the settings spelled out as the *list of files* it injects before the content script:
// `settings/begin.js` makes an empty settings object, then one tiny file per set bit of each
// number (`settings/t5.js` adds 2^5 to totalPages), one per flag (`settings/hard.js`,
// `settings/overlay.js`), and last `content.js`, which takes the object and removes it. Files
// of one registration run in order, synchronously, in the same world, before any script of the
// page: so the budget is in force before the page's first module compiles.
// The build (scripts/extension.mjs) writes every one of these files; the list below is the
// only place that knows their names.

/** The numbers of a budget, each spelled as bits: [settings key, file prefix]. */
export const NUMBERS = [
  ["totalPages", "t"],
  ["perMemoryPages", "p"],
  ["memories", "m"],
];
/** Bits per number: pages up to 2^32 - 1. */
export const BITS = 32;
/** The global the settings files fill and content.js empties (a registered symbol: a page script can't run first). */
export const SETTINGS_KEY = "wasm-memory-polyfill.extension.settings";
/** Where content.js leaves its status and controls for the background (one per frame). */
export const CONTROL_KEY = "wasm-memory-polyfill.extension";

/** The files (relative to the extension's root) that spell `settings`, in order, content.js last. */
export function settingsFiles(settings) {
  const files = ["settings/begin.js"];
  const budget = settings.budget ?? {};
  const limits = NUMBERS.filter(([key]) => Number.isSafeInteger(budget[key]) && budget[key] >= 0 && budget[key] < 2 ** BITS);
  // A mode with no limit set is no budget (a hard one would still rewrite every module for nothing).
  if ((budget.mode === "hard" || budget.mode === "soft") && limits.length > 0) {
    files.push(`settings/${budget.mode}.js`);
    for (const [key, prefix] of limits) {
      const n = budget[key];
      files.push(`settings/${prefix}.js`);
      for (let bit = 0; bit < BITS; bit++) if (Math.floor(n / 2 ** bit) % 2 === 1) files.push(`settings/${prefix}${bit}.js`);
    }
  }
  if (settings.overlay) files.push("settings/overlay.js");
  files.push("settings/end.js", "content.js");
  return files;
}

/** Every settings file and its source: written by the build. */
export function settingsSources() {
  const target = `globalThis[Symbol.for(${JSON.stringify(SETTINGS_KEY)})]`;
  const sources = {
    // Not enumerable; configurable, so content.js can delete it.
    "settings/begin.js": `Object.defineProperty(globalThis, Symbol.for(${JSON.stringify(SETTINGS_KEY)}), { value: { __proto__: null, version: 1, complete: false, mode: null, overlay: false, totalPages: null, perMemoryPages: null, memories: null }, writable: true, enumerable: false, configurable: true });\n`,
    "settings/hard.js": `${target}.mode = "hard";\n`,
    "settings/soft.js": `${target}.mode = "soft";\n`,
    "settings/overlay.js": `${target}.overlay = true;\n`,
    "settings/end.js": `${target}.complete = true;\n`,
  };
  for (const [key, prefix] of NUMBERS) {
    sources[`settings/${prefix}.js`] = `${target}.${key} = 0;\n`;
    for (let bit = 0; bit < BITS; bit++) sources[`settings/${prefix}${bit}.js`] = `${target}.${key} += ${2 ** bit};\n`;
  }
  return sources;
}
