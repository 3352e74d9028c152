// Listeners live here, in JS: the core queues events (only while someone listens) and hands
// them over as rows of numbers; this builds each event (an object literal, so no setter on
// `Object.prototype` sees or drops a member) and calls the listeners. A listener that throws is
// reported the way the platform reports uncaught errors and breaks nothing. Events are
// delivered once the operation they are about is complete: no listener ever runs between a
// budget's check and the engine call it guards.

import { rust, layout } from "./rust.js";
import { afterChange } from "./state.js";
import {
  ArrayPrototypePush,
  Map,
  MapPrototypeGet,
  MapPrototypeSet,
  StringPrototypeSlice,
  TypedArrayLength,
  apply,
  arrayOf,
  list,
} from "./primordials.js";

/** kind -> the listeners' wrappers, a fresh list on every change (delivery reads one as it was). */
const listeners = new Map();
/** Whether anyone listens: the hot paths skip the core's queue when nobody does. */
let listening = false;
/** `ledger.setMarks(on)`: each event is also a `performance.mark("wasm-memory:<type>")`. */
let marks = false;
let subscribed = 0;
const reportError = globalThis.reportError;
const consoleError = globalThis.console?.error;
const mark = globalThis.performance?.mark;
const perf = globalThis.performance;

/** `ledger.on(kind, listener)`; returns the function that unsubscribes. */
export function on(kind, listener) {
  rust.checkListener(kind, listener);
  // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
  const entry = (e) => apply(listener, undefined, [e]);
  const was = MapPrototypeGet(listeners, kind),
    now = list();
  if (was !== undefined) for (let i = 0; i < was.length; i++) ArrayPrototypePush(now, was[i]);
  ArrayPrototypePush(now, entry);
  // The core is told first: a call cut short there (a stack overflow) changes nothing here.
  setListening(subscribed + 1);
  MapPrototypeSet(listeners, kind, now);
  subscribed++;
  let removed = false;
  return () => {
    if (removed) return false;
    const was = MapPrototypeGet(listeners, kind),
      rest = list();
    for (let i = 0; i < was.length; i++) if (was[i] !== entry) ArrayPrototypePush(rest, was[i]);
    setListening(subscribed - 1);
    MapPrototypeSet(listeners, kind, rest);
    subscribed--;
    removed = true;
    return true;
  };
}

/** `ledger.setMarks(on)`: DevTools' performance panel shows each event, with it as `detail`. */
export function setMarks(on) {
  const was = marks;
  marks = !!on;
  try {
    setListening(subscribed);
  } catch (e) {
    marks = was;
    throw e;
  }
}

/** Tells the core whether anyone listens with `count` subscriptions; this side changes only
 * once the core has (else the two could disagree, and events pile up or go unheard). */
function setListening(count) {
  const now = marks || count > 0;
  if (now === listening) return;
  rust.setListening(now);
  listening = now;
}

/** The event in row `r` of the core's numbers; `text(length)` takes the rows' next text (-1: none).
 * @param {Float64Array} e @param {number} r @param {(length: number) => string | null} text */
function event(e, r, text) {
  const kind = e[r],
    id = e[r + 1];
  if (kind === 0) return { type: "create", id, pages: e[r + 2] };
  if (kind === 1) return { type: "grow", id, from: e[r + 2], to: e[r + 3], source: e[r + 4] === 1 ? "wasm" : "js" };
  if (kind === 2) return { type: "collect", id, pages: e[r + 2] };
  if (kind === 4) return failure(e, r, text);
  const budget = layout.budgetFields[e[r + 2]];
  if (e[r + 5] !== 2) return { type: "budget", id: id < 0 ? null : id, budget, limit: e[r + 3], value: e[r + 4], refused: e[r + 5] === 1 };
  // A bounded memory at its clamp: grows inside wasm get -1 from the engine from now on.
  const requested = e[r + 6],
    label = text(e[r + 7]),
    definedBy = text(e[r + 8]);
  return {
    type: "budget",
    id,
    budget,
    limit: e[r + 3],
    value: e[r + 4],
    refused: false,
    reached: true,
    label,
    definedBy,
    maximum: e[r + 3],
    requestedMaximum: requested < 0 ? null : requested,
  };
}

/** A `failure` event: what the ledger knew when the engine refused a construction or a grow. */
function failure(e, r, text) {
  const id = e[r + 1];
  // Texts in the rows' order: each memory's label, then its definedBy.
  const largest = arrayOf(e[r + 7], (i) => {
    const at = r + 10 + 4 * i;
    return { id: e[at], label: text(e[at + 2]), definedBy: text(e[at + 3]), pages: e[at + 1] };
  });
  return {
    type: "failure",
    id: id < 0 ? null : id,
    operation: layout.operations[e[r + 2]],
    pages: e[r + 3],
    live: e[r + 4],
    withoutInstance: e[r + 5],
    livePages: e[r + 6],
    largest,
    reservedBytes: e[r + 8] < 0 ? null : e[r + 8],
    expectedLimit: e[r + 9] < 0 ? null : e[r + 9],
  };
}

/** Delivers what the core queued. Every operation that may change the ledger ends here. */
export function deliver() {
  afterChange?.();
  if (!listening) return;
  const rows = rust.drainEvents(),
    n = layout.eventLength;
  // The rows' texts, one after the other, taken from the core when a row first needs one.
  let texts,
    at = 0;
  const text = (length) => {
    if (length < 0) return null;
    texts ??= rust.eventTexts();
    return StringPrototypeSlice(texts, at, (at += length));
  };
  for (let r = 0, end = TypedArrayLength(rows); r < end; r += n) {
    const e = event(rows, r, text);
    if (marks) {
      try {
        apply(mark, perf, [`wasm-memory:${e.type}`, { detail: e }]);
      } catch {
        // no User Timing here (or no `detail`): marks are best effort, never an error
      }
    }
    const now = MapPrototypeGet(listeners, e.type);
    if (now === undefined) continue;
    for (let i = 0; i < now.length; i++) {
      try {
        now[i](e);
      } catch (error) {
        report(error);
      }
    }
  }
}

/** A listener's exception, reported as uncaught, never thrown into the operation. */
function report(error) {
  try {
    if (typeof reportError === "function") apply(reportError, globalThis, [error]);
    else apply(consoleError, globalThis.console, ["wasm-memory-polyfill: a ledger listener threw:", error]);
  } catch {
    // a reporter that throws (or none at all): the operation goes on
  }
}
