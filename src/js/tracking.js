// Which memories are ours, and their sizes, without keeping any of them alive.
//
// `new WeakRef(m)` keeps `m` alive to the end of the current task, so a task that makes and
// drops thousands of memories would run out of address space long before it does natively. New
// memories wait in a nursery (strong, for this task only) and get their WeakRef in a microtask,
// after the task; if the engine runs out of memory meanwhile, the nursery lets go of them so
// the engine's own collection can reclaim the dropped ones (see memory.js).
//
// The weak references live in two dense arrays (ledger id, WeakRef), so that reading every size
// (each snapshot, each request under a budget) is one pass over arrays: `deref()` is the one
// cost per memory that no ledger which keeps nothing alive can avoid.

import { rust } from "./rust.js";
import { PAGE, bufferOf } from "./engine.js";
import { deliver } from "./events.js";
import { sharedSeen } from "./shared.js";
import {
  ArrayBufferPrototypeGetByteLength,
  FinalizationRegistry,
  FinalizationRegistryPrototypeRegister,
  Float64Array,
  Map,
  MapPrototypeDelete,
  MapPrototypeGet,
  MapPrototypeSet,
  TypedArrayBuffer,
  TypedArrayLength,
  WeakMap,
  WeakMapPrototypeGet,
  WeakMapPrototypeSet,
  OwnWeakRef,
  list,
} from "./primordials.js";

/**
 * Each ledgered memory's entry, one number: `id * 4 + (is64 ? 2 : 0) + (shared ? 1 : 0)` (a small
 * integer: unlike an object per memory it allocates nothing, on a path every construction and
 * every instance's memory takes).
 * @type {WeakMap<object, number>}
 */
const ids = new WeakMap();
/** Tracked memories past their first task: ledger id and WeakRef at the same index. */
const liveIds = list();
/** @type {WeakRef<object>[]} */
const liveRefs = list();
/**
 * The pages last sent to the core by `readChanges()` (-1: none yet). Memories never shrink and
 * the core only ever records sizes the engine had, so sent <= the core's <= the engine's: where
 * the engine still says what was sent, the core has it already, and the pair is not sent again.
 */
const liveSent = list();
/** @type {Map<number, number>} ledger id -> index in liveIds/liveRefs */
const slotOf = new Map();
/** ids and memories made in this task, alternating */
let nursery = list();
/** Scratch for `[id, pages, ...]` (copied by the core on every call, so reused). */
let scratch = new Float64Array(64);

const registry = new FinalizationRegistry((id) => {
  const at = MapPrototypeGet(slotOf, id);
  if (at !== undefined) {
    // Swap-remove: the last entry takes the collected one's place.
    const last = liveIds.length - 1;
    if (at !== last) {
      liveIds[at] = liveIds[last];
      liveRefs[at] = liveRefs[last];
      liveSent[at] = liveSent[last];
      MapPrototypeSet(slotOf, liveIds[at], at);
    }
    liveIds.length = last; // (our lists have no prototype: no setter, and no builtin call)
    liveRefs.length = last;
    liveSent.length = last;
    MapPrototypeDelete(slotOf, id);
  }
  rust.collected(id);
  deliver();
});

function ripen() {
  for (let i = 0; i < nursery.length; i += 2) {
    const at = liveIds.length;
    MapPrototypeSet(slotOf, nursery[i], at);
    liveIds[at] = nursery[i];
    liveRefs[at] = new OwnWeakRef(nursery[i + 1]);
    liveSent[at] = -1;
  }
  nursery = list();
}

/**
 * Ripens the nursery in a microtask, once the code that made its memories has returned. Not
 * `queueMicrotask()`: in Chromium its first call in a task is costly (Blink wraps the
 * callback), a large part of each construction in a batch, and in Node it makes an
 * AsyncResource. An `await` queues the same kind of job inside the engine, and looks up nothing
 * a user could have changed (no `then`, no species).
 */
async function ripenSoon() {
  await undefined;
  ripen();
}

/** The next ledger id. The ids are handed out here, not by the core, so that a memory is
 * tracked under its id *before* the core records it: a call cut short after the core recorded a
 * memory (a stack overflow in `track`) would leave a record whose memory no one tracks, and
 * that never leaves the ledger. Tracked first, a memory the core then never records (a refusal,
 * or a call cut short) is only a size read for nothing until it is collected, and its id is
 * never given again. */
let nextId = 0;
/** An id for a memory about to be recorded. */
export const claimId = () => nextId++;

/**
 * Starts tracking a ledgered memory (call it before the core records it, under `claimId()`) (a shared one also goes through `sharedSeen`, which freezes
 * its buffer where the engine doesn't).
 * @param {object} memory @param {number} id @param {boolean} is64 @param {boolean} shared
 */
export function track(memory, id, is64, shared) {
  if (shared) sharedSeen(memory);
  WeakMapPrototypeSet(ids, memory, id * 4 + (is64 ? IS64 : 0) + (shared ? SHARED : 0));
  FinalizationRegistryPrototypeRegister(registry, memory, id);
  if (nursery.length === 0) ripenSoon();
  const n = nursery.length;
  nursery[n] = id;
  nursery[n + 1] = memory;
}

/** Lets go of this task's new memories (they stay ledgered, but their sizes are no longer read). */
export function releaseNursery() {
  const had = nursery.length > 0;
  nursery = list();
  return had;
}

/** The ledger entry of a memory, if ours: its id by `entryId`, its flags as `entry & IS64`, `entry & SHARED`. @param {unknown} memory */
export const entryOf = (memory) => (typeof memory === "object" && memory !== null ? WeakMapPrototypeGet(ids, memory) : undefined);
/** @param {number} entry */
export const entryId = (entry) => (entry - (entry & 3)) / 4;
// Flags, not one-use helpers: a minifier makes a one-use function an IIFE, a closure per call.
export const IS64 = 2,
  SHARED = 1;

/** The memory with ledger id `id`, if it is still alive (`format({ touched: true })` reads it). @param {number} id */
export function memoryOf(id) {
  const at = MapPrototypeGet(slotOf, id);
  if (at !== undefined) return liveRefs[at].deref();
  for (let i = 0; i < nursery.length; i += 2) if (nursery[i] === id) return nursery[i + 1];
  return undefined;
}

/** The ledger id of a memory, or -1. @param {unknown} memory */
export const idOf = (memory) => {
  const entry = entryOf(memory);
  return entry === undefined ? -1 : entryId(entry);
};

/** `[id, pages, ...]` for every tracked memory still alive, read from the engine. The view is
 * valid until the next call. */
export const readSizes = () => read(false);

/**
 * `[id, pages, ...]` for the memories whose size the core may not have yet (see `liveSent`):
 * what `ledger` passes to the core's `observe`, which records every pair it is given and never
 * fails. The view is valid until the next call.
 */
export const readChanges = () => read(true);

/** Gives the core the sizes that changed since the last read (grows inside wasm among them). */
export function observeChanges() {
  try {
    const changes = readChanges();
    if (TypedArrayLength(changes) > 0) rust.observe(changes);
  } catch (e) {
    resendAll(); // sizes read but maybe not taken (a call cut short): the next read sends them all
    throw e;
  }
}

/** How many pairs a read may give at most (one per tracked memory): the room `readChangesInto` needs. */
export const trackedCount = () => liveRefs.length + nursery.length / 2;

/**
 * `readChanges()`, written into `out` from index `at` (room for `trackedCount()` pairs): how
 * `ledger.snapshot()` hands the sizes to the core in place. Returns the pairs written.
 * @param {Float64Array} out @param {number} at
 */
export const readChangesInto = (out, at) => readInto(true, out, at) / 2;

/** After a core call that was to take sizes was cut short: send every size again next time. */
export function resendAll() {
  for (let i = 0; i < liveSent.length; i++) liveSent[i] = -1;
}

/** Both of the above, into `scratch`; the view is valid until the next call. */
function read(changes) {
  const count = trackedCount();
  if (TypedArrayLength(scratch) < count * 2) scratch = new Float64Array(count * 4);
  const n = readInto(changes, scratch, 0);
  // A view of its own (not `subarray`, which looks up `constructor` and `Symbol.species`).
  return new Float64Array(TypedArrayBuffer(scratch), 0, n);
}

/**
 * `[id, pages, ...]` into `out` from `at`; `changes`: only sizes not sent before (and remember
 * these as sent). Returns the numbers written.
 * @param {boolean} changes @param {Float64Array} out @param {number} at
 */
function readInto(changes, out, at) {
  let n = at;
  for (let i = 0; i < liveRefs.length; i++) {
    const m = liveRefs[i].deref();
    if (m === undefined) continue;
    const pages = ArrayBufferPrototypeGetByteLength(bufferOf(m)) / PAGE;
    if (changes) {
      if (pages === liveSent[i]) continue;
      liveSent[i] = pages;
    }
    out[n] = liveIds[i];
    out[n + 1] = pages;
    n += 2;
  }
  for (let i = 0; i < nursery.length; i += 2) {
    out[n] = nursery[i];
    out[n + 1] = ArrayBufferPrototypeGetByteLength(bufferOf(nursery[i + 1])) / PAGE;
    n += 2;
  }
  return n - at;
}
