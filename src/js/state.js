// The state one module changes and others read, in one home. Each value is exported as a live
// binding, to read, and changed only through the setter named for it, so the import graph shows
// who changes what: ledger.js sets the budget's mode and the stack capture, install.js whether
// install() is in force, realms.js what is told after a change while this realm shares.

/** Whether a budget is in force: requests are then checked with fresh sizes (memory.js). */
export let budgeted = false;
/** Whether that budget is hard: modules are compiled with their memories clamped (instantiate.js). */
export let hardBudget = false;
/** `ledger.options({ captureStacks })`: each new memory records its caller's line (memory.js). */
export let captureStacks = false;

/** `ledger.setBudget()`: the mode the core returned. @param {boolean} inForce @param {boolean} hard */
export function setBudgetMode(inForce, hard) {
  budgeted = inForce;
  hardBudget = hard;
}

/** `ledger.options()`. @param {boolean} on */
export function setCaptureStacks(on) {
  captureStacks = on;
}

/** Whether install() is in force: the installed constructor and hooks pass straight through to
 * the engine when not. */
export let installed = false;
/** While installed, the function that puts everything back (install() called again returns it). */
export let uninstallInForce = null;
/** The last constructor install() put on `WebAssembly.Memory` (kept after uninstall: one of our
 * own, whose `prototype` the engine reads without running user code). */
export let installedMemory = null;

/** install() has made its changes. @param {Function} memory @param {() => void} uninstall */
export function setInstalled(memory, uninstall) {
  installedMemory = memory;
  installed = true;
  uninstallInForce = uninstall;
}

/** install()'s changes are being undone. */
export function setUninstalled() {
  installed = false;
  uninstallInForce = null;
}

/** While this realm shares (realms.js): told after every operation that may change the ledger
 * (events.js's `deliver()`). @type {(() => void) | null} */
export let afterChange = null;

/** @param {(() => void) | null} f */
export function setAfterChange(f) {
  afterChange = f;
}
