// ledger.share(): this realm's ledger published on a BroadcastChannel, the other realms' heard,
// and the app-wide view built from both. Loaded by ledger.js only when share() is called. The
// channel, the timer and the messages are here; what counts where, heartbeats and the app
// budget are the core's (JS hands it what it hears, and reads the totals back).

import { rust, layout } from "./rust.js";
import { deliver } from "./events.js";
import { setAfterChange } from "./state.js";
import {
  ArrayIsArray,
  ArrayPrototypeIndexOf,
  ArrayPrototypePush,
  DateNow,
  Map,
  MapPrototypeDelete,
  MapPrototypeForEach,
  MapPrototypeGet,
  MapPrototypeSet,
  MathMax,
  MathRandom,
  StringPrototypeSlice,
  TypedArrayLength,
  channelApi,
  clearInterval,
  defineProperty,
  list,
  listToArray,
  messageData,
  queueMicrotask,
  randomUUID,
  setInterval,
  unrefTimer,
} from "./primordials.js";

// Every built-in called here is one captured when the package loaded (primordials.js), or, for
// the channel's (a class Node loads lazily), when first needed: an app that replaces
// `Array.prototype.map`, an iterator, `BroadcastChannel.prototype.postMessage` or
// `MessageEvent.prototype.data` after that neither breaks sharing nor gets an error from it.

/** The one channel every realm of the app publishes on. */
export const CHANNEL = "wasm-memory-polyfill";
/** The message format: messages with another `wmp` are someone else's, and ignored. */
const FORMAT = 1;

/** The other realms, as last heard: number -> { key, name, at, totals, budget, memories }; the
 * core knows them by that number, given here to each key (a realm's random id) when first heard. */
const others = new Map();
const numbers = new Map();
let counter = 0;

/** `{ live, pages, ... }` from the core's numbers, named by its layout. */
const named = (names, values) => {
  const o = {};
  for (let i = 0; i < names.length; i++)
    defineProperty(o, names[i], { __proto__: null, value: values[i], writable: true, enumerable: true, configurable: true });
  return o;
};
/** Runs `f`, a platform nicety (unref), whose failure changes nothing. */
const quietly = (f) => {
  try {
    f();
  } catch {
    // a timer or channel the app patched: it may keep a process alive, nothing more
  }
};
/** This realm while it shares. */
let me;

/** Starts sharing as `name`, publishing at most every `interval` ms; returns `stop()`. */
export function start(name, interval, snapshot, refresh) {
  const api = channelApi();
  const key = randomUUID() ?? StringPrototypeSlice(`${MathRandom()}`, 2);
  const self = {
    key,
    name,
    snapshot,
    refresh,
    interval,
    heartbeat: MathMax(interval, layout.heartbeatMs),
    channel: new api.C(CHANNEL),
    sentAt: -Infinity,
    changedAt: -Infinity,
    version: rust.ledgerVersion(),
    pending: false,
    api,
  };
  const data = messageData();
  api.onmessage(self.channel, (e) => hear(self, data !== undefined ? data(e) : e.data));
  if (api.unref !== undefined) quietly(() => api.unref(self.channel)); // Node: sharing never keeps a process alive
  self.timer = setInterval(() => tick(self), interval);
  quietly(() => self.timer?.unref?.());
  if (unrefTimer !== undefined) quietly(() => unrefTimer(self.timer));
  me = self;
  setAfterChange(() => changed(self));
  publish(self, DateNow(), true, true); // and the others answer with theirs
  return () => {
    if (me !== self) return;
    me = undefined;
    setAfterChange(null);
    clearInterval(self.timer);
    api.post(self.channel, { wmp: FORMAT, type: "bye", key });
    api.close(self.channel);
    forget(rust.realmsExpire(Infinity)); // every other realm
  };
}

/**
 * Posts this realm's state; the records only when they changed or `all`: a heartbeat is small.
 * `ask`: the others answer with theirs, records included (this realm doesn't know them all).
 */
function publish(self, now, all, ask = false) {
  const s = self.snapshot(); // reads sizes first
  const version = rust.ledgerVersion();
  const changed = version !== self.version;
  if (changed) self.changedAt = now;
  const memories = all || changed ? s.memories : undefined;
  self.version = version;
  self.sentAt = now;
  self.api.post(self.channel, {
    wmp: FORMAT,
    type: "state",
    key: self.key,
    name: self.name,
    at: now,
    heartbeat: self.heartbeat,
    totals: named(layout.realmTotals, rust.realmTotals()),
    budget: s.budget,
    memories,
    ask,
  });
}

/**
 * A change (a memory made, received, grown through JS, collected) goes out at once, in a
 * microtask after the operation, unless a change went out less than `interval` ago: then the
 * next tick sends it. So a worker that blocks right after receiving a memory (emscripten's
 * pthread workers wait inside wasm) has published it first.
 */
function changed(self) {
  if (self.pending) return;
  self.pending = true;
  queueMicrotask(() => {
    self.pending = false;
    const now = DateNow();
    if (me !== self || rust.ledgerVersion() === self.version || now - self.changedAt < self.interval) return;
    self.changedAt = now;
    publish(self, now, false);
  });
}

function tick(self) {
  const now = DateNow();
  self.refresh();
  forget(rust.realmsExpire(now));
  if (rust.ledgerVersion() !== self.version || now - self.sentAt >= self.heartbeat) publish(self, now, false);
  rust.appTotals(); // reports a crossing of appPages
  deliver();
}

/** Forgets the realms numbered in `keys` (a Uint32Array from the core). */
function forget(keys) {
  for (let i = 0, n = TypedArrayLength(keys); i < n; i++) forgetOne(keys[i]);
}
function forgetOne(n) {
  MapPrototypeDelete(numbers, MapPrototypeGet(others, n)?.key);
  MapPrototypeDelete(others, n);
}

const num = (v) => (typeof v === "number" ? v : NaN);

function hear(self, d) {
  if (me !== self || d === null || typeof d !== "object" || d.wmp !== FORMAT || typeof d.key !== "string" || d.key.length > 64) return;
  if (d.type === "bye") {
    const n = MapPrototypeGet(numbers, d.key);
    if (n === undefined) return;
    rust.realmBye(n);
    forgetOne(n);
  } else if (d.type === "state") {
    const names = layout.realmTotals,
      values = list();
    for (let i = 0; i < names.length; i++) values[i] = num(d.totals?.[names[i]]);
    const n = MapPrototypeGet(numbers, d.key) ?? ++counter;
    if (!rust.realmHeard(n, values, num(d.heartbeat), DateNow())) return; // not a message of ours
    MapPrototypeSet(numbers, d.key, n);
    const known = MapPrototypeGet(others, n);
    const memories = ArrayIsArray(d.memories) ? d.memories : (known?.memories ?? []);
    MapPrototypeSet(others, n, {
      key: d.key,
      name: typeof d.name === "string" ? d.name : "",
      at: num(d.at),
      totals: named(layout.realmTotals, values),
      budget: d.budget ?? null,
      memories,
    });
    // A realm that asks (it just started) gets this realm's records at once; one new here whose
    // message had none (a heartbeat, after a silence that dropped it) is asked for them.
    const lacking = !known && !ArrayIsArray(d.memories);
    if (d.ask === true || lacking) publish(self, DateNow(), true, lacking);
  } else return;
  rust.appTotals();
  deliver();
}

/** `ledger.realms()`: one entry per realm in the view, this one first. */
export const realms = () => view()?.list ?? [];

function view() {
  const self = me;
  if (!self) return undefined;
  const own = self.snapshot(); // reads sizes first
  const now = DateNow();
  forget(rust.realmsExpire(now));
  const all = list();
  ArrayPrototypePush(all, {
    id: self.key,
    name: self.name,
    self: true,
    ...named(layout.realmTotals, rust.realmTotals()),
    budget: own.budget,
    updatedAt: now,
  });
  MapPrototypeForEach(others, (o) =>
    ArrayPrototypePush(all, { id: o.key, name: o.name, self: false, ...o.totals, budget: o.budget, updatedAt: o.at }),
  );
  return { self, own, list: listToArray(all) };
}

/** `ledger.snapshot({ allRealms: true })`: every realm's records and the app's totals. */
export function allRealms() {
  const v = view();
  if (!v) return null;
  const app = named(layout.appTotals, rust.appTotals());
  deliver();
  const memories = list(),
    received = list();
  const add = (realm, records) => {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      ArrayPrototypePush(layout.madeHere[ArrayPrototypeIndexOf(layout.origins, r?.origin)] ? memories : received, { ...r, realm });
    }
  };
  add(v.self.name, v.own.memories);
  MapPrototypeForEach(others, (o) => add(o.name, o.memories));
  const { realms: _, ...totals } = app;
  return {
    ...totals,
    budget: { appPages: v.own.budget?.appPages ?? null },
    realms: v.list,
    memories: listToArray(memories),
    received: listToArray(received),
  };
}
