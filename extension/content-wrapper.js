// The classic script the browsers inject: takes the settings the settings files left, runs the
// bundle (the package: its wasm compiled synchronously, here) and starts it, and turns every
// failure into a report (a console message and the frame's status for the toolbar badge),
// never an exception in the page. scripts/extension.mjs puts the bundle where the marker is.
(() => {
  const g = globalThis;
  const SETTINGS = Symbol.for("wasm-memory-polyfill.extension.settings");
  const CONTROL = Symbol.for("wasm-memory-polyfill.extension");
  const warn = g.console && g.console.warn;
  const apply = Reflect.apply;
  const describe = Object.getOwnPropertyDescriptor;
  let settings;
  try {
    settings = describe(g, SETTINGS)?.value;
    Reflect.deleteProperty(g, SETTINGS);
  } catch {
    settings = undefined;
  }
  const publish = (control) => {
    // Not writable or configurable: a later script of the page can't replace it.
    Reflect.defineProperty(g, CONTROL, { __proto__: null, value: control, writable: false, enumerable: false, configurable: false });
  };
  const report = (error, blocked) => {
    try {
      const message = String(error && error.message !== undefined ? error.message : error);
      if (warn)
        apply(warn, g.console, [
          `wasm-memory-polyfill extension: ${blocked ? "this page's Content-Security-Policy forbids compiling WebAssembly (no 'wasm-unsafe-eval'), so its wasm memory is not measured" : "not measuring this page"}: ${message}`,
        ]);
    } catch {
      /* nothing left to report with */
    }
  };
  if (describe(g, CONTROL) !== undefined) return; // injected twice into one frame: the first one runs
  let start;
  try {
    /* BUNDLE */
    start = wasmMemoryExtension.start;
  } catch (error) {
    // The package's own wasm didn't compile: a CSP without 'wasm-unsafe-eval' (the engine's
    // CompileError or EvalError names the policy), or something else. Nothing was installed.
    const message = String(error && error.message);
    const blocked = /Content.Security.Policy|CSP|wasm-unsafe-eval|unsafe-eval/i.test(message);
    report(error, blocked);
    try {
      const status = {
        state: blocked ? "blocked" : "failed",
        message,
        top: g.top === g,
        url: String(g.location && g.location.href),
        live: 0,
        livePages: 0,
      };
      publish(Object.freeze({ __proto__: null, status: () => ({ ...status }), toggleOverlay: () => false }));
    } catch {
      /* the page's own definition stays */
    }
    return;
  }
  try {
    start(settings, publish, report);
  } catch (error) {
    report(error);
  }
})();
