// Which memories are ours, and their sizes, without keeping any of them alive.
//
// `new WeakRef(m)` keeps `m` alive to the end of the current task, so a task that makes and
// drops thousands of memories would run out of address space long before it does natively. New
// memories wait in a nursery (strong, for this task only) and get their WeakRef in a microtask,
// after the task; if the engine runs out of memory meanwhile, the nursery lets go of them so
// the engine's own collection can reclaim the dropped ones (see memory.js).

import { rust } from "./rust.js";
import { pagesOf } from "./engine.js";
import { deliver } from "./events.js";

/** @type {WeakMap<object, { id: number, is64: boolean }>} */
const ids = new WeakMap();
/** @type {Map<number, WeakRef<object>>} ledger id -> memory, for size reads */
const refs = new Map();
/** ids and memories made in this task, alternating */
let nursery = [];
const registry = new FinalizationRegistry((id) => {
  refs.delete(id);
  rust.collected(id);
  deliver();
});

function ripen() {
  for (let i = 0; i < nursery.length; i += 2) refs.set(nursery[i], new WeakRef(nursery[i + 1]));
  nursery = [];
}

/** Starts tracking a ledgered memory. @param {object} memory @param {number} id @param {boolean} is64 */
export function track(memory, id, is64) {
  ids.set(memory, { id, is64 });
  registry.register(memory, id);
  if (nursery.length === 0) queueMicrotask(ripen);
  nursery.push(id, memory);
}

/** Lets go of this task's new memories (they stay ledgered, but their sizes are no longer read). */
export function releaseNursery() {
  const had = nursery.length > 0;
  nursery = [];
  return had;
}

/** The ledger entry of a memory, if ours. @param {unknown} memory */
export const entryOf = (memory) => (typeof memory === "object" && memory !== null ? ids.get(memory) : undefined);

/** The ledger id of a memory, or -1. @param {unknown} memory */
export const idOf = (memory) => entryOf(memory)?.id ?? -1;

/** `[id, pages, ...]` for every tracked memory still alive, read from the engine. */
export function readSizes() {
  const out = new Float64Array((refs.size + nursery.length / 2) * 2);
  let n = 0;
  refs.forEach((ref, id) => {
    const m = ref.deref();
    if (m === undefined) return;
    out[n++] = id;
    out[n++] = pagesOf(m);
  });
  for (let i = 0; i < nursery.length; i += 2) {
    out[n++] = nursery[i];
    out[n++] = pagesOf(nursery[i + 1]);
  }
  return out.subarray(0, n);
}
