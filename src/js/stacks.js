// Where a memory was made (`ledger.options({ captureStacks: true })`): the first stack frame
// outside this package. The app owns `Error.prepareStackTrace` and `Error.stackTraceLimit`: the
// first may return anything, throw, or be a getter that throws; the second may be read-only or
// an accessor. None of that may break a construction, so this never throws, leaves
// `Error.stackTraceLimit` as it found it, and gives "" where no stack can be had.

/** The realm's own Error, as it was at load (V8 reads `stackTraceLimit` from it, not the global). */
const NativeError = Error;
import {
  StringPrototypeIncludes,
  StringPrototypeIndexOf,
  StringPrototypeSlice,
  StringPrototypeStartsWith,
  StringPrototypeTrim,
  defineProperty,
  getOwnPropertyDescriptor,
} from "./primordials.js";

/** Frames from this directory are the package's own. */
const packageDir = new URL(".", import.meta.url).href;
/** A frame of the glue or the package's wasm (string tests, not a RegExp: `RegExp.prototype.test`
 * looks up `exec`, which a page may replace, and compiling one near the stack's limit can abort V8). */
const glueFrame = (l) =>
  StringPrototypeIncludes(l, "wasm-function") ||
  StringPrototypeIncludes(l, "wasm://") ||
  StringPrototypeStartsWith(l, "at new Memory") ||
  StringPrototypeStartsWith(l, "Memory@");

/** Sets `Error.stackTraceLimit`'s value without running a setter (it is a data property when this is called). */
const setLimit = (value) => defineProperty(NativeError, "stackTraceLimit", { __proto__: null, value });

/** The first stack frame outside this package, or "". */
export function callerLine() {
  let stack;
  let saved;
  try {
    saved = getOwnPropertyDescriptor(NativeError, "stackTraceLimit");
    // Only a plain writable data property is raised (enough frames to get past the glue between
    // the user and here); an accessor or a read-only limit is the app's, and stays as it is.
    if (saved !== undefined && "value" in saved && saved.writable) setLimit(64);
    else saved = undefined;
    stack = new NativeError().stack; // runs Error.prepareStackTrace, if the app set one
  } catch {
    stack = undefined;
  } finally {
    if (saved !== undefined) {
      try {
        // Exactly as it was, even if prepareStackTrace changed it meanwhile.
        if (!defineProperty(NativeError, "stackTraceLimit", { __proto__: null, ...saved })) setLimit(saved.value);
      } catch {
        // a Proxy'd or otherwise hostile Error: nothing more can be done
      }
    }
  }
  if (typeof stack !== "string") return "";
  // Line by line after the first (the message), by the string methods captured at load.
  try {
    for (let at = StringPrototypeIndexOf(stack, "\n"); at >= 0; ) {
      const next = StringPrototypeIndexOf(stack, "\n", at + 1);
      const l = StringPrototypeTrim(StringPrototypeSlice(stack, at + 1, next < 0 ? stack.length : next));
      if (l !== "" && !StringPrototypeIncludes(l, packageDir) && !glueFrame(l)) return l;
      at = next;
    }
  } catch {
    // a stack overflow near the limit: no line, never an error
  }
  return "";
}
