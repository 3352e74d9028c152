// Listeners live here, in JS: the core queues events (only while someone listens) and hands
// them over as plain objects; this calls the listeners. A listener that throws is reported the
// way the platform reports uncaught errors and breaks nothing.

import { rust } from "./rust.js";

/** @type {Map<string, Set<Function>>} */
const listeners = new Map();
/** Whether anyone listens: the hot paths skip the core's queue when nobody does. */
let listening = false;
/** `ledger.setMarks(on)`: each event is also a `performance.mark("wasm-memory:<type>")`. */
let marks = false;

/** `ledger.on(kind, listener)`; returns the function that unsubscribes. */
export function on(kind, listener) {
  rust.checkListener(kind, listener);
  if (!listeners.has(kind)) listeners.set(kind, new Set());
  const set = listeners.get(kind);
  // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
  const entry = (e) => listener(e);
  set.add(entry);
  setListening();
  return () => {
    const removed = set.delete(entry);
    setListening();
    return removed;
  };
}

/** `ledger.setMarks(on)`: DevTools' performance panel shows each event, with it as `detail`. */
export function setMarks(on) {
  marks = !!on;
  setListening();
}

function setListening() {
  const now = marks || [...listeners.values()].some((s) => s.size > 0);
  if (now !== listening) rust.setListening((listening = now));
}

/** Set while this realm shares (realms.js): told after every operation that may change the ledger. */
export const after = { change: null };

/** Delivers what the core queued. Every operation that may change the ledger ends here. */
export function deliver() {
  after.change?.();
  if (!listening) return;
  for (const event of rust.drainEvents()) {
    if (marks) {
      try {
        performance.mark(`wasm-memory:${event.type}`, { detail: event });
      } catch {
        // no User Timing here (or no `detail`): marks are best effort, never an error
      }
    }
    for (const f of [...(listeners.get(event.type) ?? [])]) {
      try {
        f(event);
      } catch (error) {
        if (typeof globalThis.reportError === "function") globalThis.reportError(error);
        else console.error("wasm-memory-polyfill: a ledger listener threw:", error);
      }
    }
  }
}
