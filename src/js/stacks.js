// Where a memory was made (`ledger.options({ captureStacks: true })`): the first stack frame
// outside this package. The app owns `Error.prepareStackTrace` and `Error.stackTraceLimit`: the
// first may return anything, throw, or be a getter that throws; the second may be read-only or
// an accessor. None of that may break a construction, so this never throws, leaves
// `Error.stackTraceLimit` as it found it, and gives "" where no stack can be had.

/** The realm's own Error, as it was at load (V8 reads `stackTraceLimit` from it, not the global). */
const NativeError = Error;
const { defineProperty, getOwnPropertyDescriptor } = Reflect;

/** Frames from this directory are the package's own. */
const packageDir = new URL(".", import.meta.url).href;
const glueFrame = /wasm-function|wasm:\/\/|^at new Memory|^Memory@/;
// Compiled now, at load: V8 compiles a RegExp on its first run, and compiling one near the
// stack's limit can abort the process.
glueFrame.test("at new Memory");

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
  try {
    const ours = (l) => l.includes(packageDir) || glueFrame.test(l);
    return stack.split("\n").slice(1).map((l) => l.trim()).find((l) => l && !ours(l)) ?? "";
  } catch {
    return ""; // String.prototype's methods replaced by something that throws
  }
}
