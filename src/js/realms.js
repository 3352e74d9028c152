// ledger.share(): this realm's ledger published on a BroadcastChannel, the other realms' heard,
// and the app-wide view built from both. Loaded by ledger.js only when share() is called. The
// channel, the timer and the messages are here; what counts where, heartbeats and the app
// budget are the core's (JS hands it what it hears, and reads the totals back).

import { rust, layout } from "./rust.js";
import { after, deliver } from "./events.js";

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
const named = (names, values) => Object.fromEntries(names.map((k, i) => [k, values[i]]));
/** This realm while it shares. */
let me;

/** Starts sharing as `name`, publishing at most every `interval` ms; returns `stop()`. */
export function start(name, interval, snapshot, refresh) {
  const key = globalThis.crypto?.randomUUID?.() ?? `${Math.random()}`.slice(2);
  const self = { key, name, snapshot, refresh, interval, heartbeat: Math.max(interval, layout.heartbeatMs), channel: new BroadcastChannel(CHANNEL), sentAt: -Infinity, changedAt: -Infinity, version: rust.ledgerVersion(), pending: false };
  self.channel.onmessage = (e) => hear(self, e.data);
  self.channel.unref?.(); // Node: sharing never keeps a process alive
  self.timer = setInterval(() => tick(self), interval);
  self.timer?.unref?.();
  globalThis.Deno?.unrefTimer?.(self.timer);
  me = self;
  after.change = () => changed(self);
  publish(self, Date.now(), true, true); // and the others answer with theirs
  return () => {
    if (me !== self) return;
    me = undefined;
    after.change = null;
    clearInterval(self.timer);
    self.channel.postMessage({ wmp: FORMAT, type: "bye", key });
    self.channel.close();
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
  self.channel.postMessage({ wmp: FORMAT, type: "state", key: self.key, name: self.name, at: now, heartbeat: self.heartbeat, totals: named(layout.realmTotals, rust.realmTotals()), budget: s.budget, memories, ask });
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
    const now = Date.now();
    if (me !== self || rust.ledgerVersion() === self.version || now - self.changedAt < self.interval) return;
    self.changedAt = now;
    publish(self, now, false);
  });
}

function tick(self) {
  const now = Date.now();
  self.refresh();
  forget(rust.realmsExpire(now));
  if (rust.ledgerVersion() !== self.version || now - self.sentAt >= self.heartbeat) publish(self, now, false);
  rust.appTotals(); // reports a crossing of appPages
  deliver();
}

function forget(list) {
  for (const n of list) {
    numbers.delete(others.get(n)?.key);
    others.delete(n);
  }
}

const num = (v) => (typeof v === "number" ? v : NaN);

function hear(self, d) {
  if (me !== self || d === null || typeof d !== "object" || d.wmp !== FORMAT || typeof d.key !== "string" || d.key.length > 64) return;
  if (d.type === "bye") {
    const n = numbers.get(d.key);
    if (n === undefined) return;
    rust.realmBye(n);
    forget([n]);
  } else if (d.type === "state") {
    const values = layout.realmTotals.map((k) => num(d.totals?.[k]));
    const n = numbers.get(d.key) ?? ++counter;
    if (!rust.realmHeard(n, values, num(d.heartbeat), Date.now())) return; // not a message of ours
    numbers.set(d.key, n);
    const known = others.get(n);
    const memories = Array.isArray(d.memories) ? d.memories : known?.memories ?? [];
    others.set(n, { key: d.key, name: typeof d.name === "string" ? d.name : "", at: num(d.at), totals: named(layout.realmTotals, values), budget: d.budget ?? null, memories });
    // A realm that asks (it just started) gets this realm's records at once; one new here whose
    // message had none (a heartbeat, after a silence that dropped it) is asked for them.
    const lacking = !known && !Array.isArray(d.memories);
    if (d.ask === true || lacking) publish(self, Date.now(), true, lacking);
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
  const now = Date.now();
  forget(rust.realmsExpire(now));
  const list = [{ id: self.key, name: self.name, self: true, ...named(layout.realmTotals, rust.realmTotals()), budget: own.budget, updatedAt: now }];
  for (const o of others.values()) list.push({ id: o.key, name: o.name, self: false, ...o.totals, budget: o.budget, updatedAt: o.at });
  return { self, own, list };
}

/** `ledger.snapshot({ allRealms: true })`: every realm's records and the app's totals. */
export function allRealms() {
  const v = view();
  if (!v) return null;
  const app = named(layout.appTotals, rust.appTotals());
  deliver();
  const memories = [], received = [];
  const add = (realm, records) => {
    for (const r of records) (layout.madeHere[layout.origins.indexOf(r?.origin)] ? memories : received).push({ ...r, realm });
  };
  add(v.self.name, v.own.memories);
  for (const o of others.values()) add(o.name, o.memories);
  const { realms: _, ...totals } = app;
  return { ...totals, budget: { appPages: v.own.budget?.appPages ?? null }, realms: v.list, memories, received };
}
