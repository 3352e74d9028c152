// Where the engine leaves shared buffers unfrozen (Firefox), `buffer` needs a getter that freezes
// them. Only shared memories need it, and every wasm-bindgen or emscripten program reads `buffer`
// on its hot paths: so the prototypes get that getter only once this realm has a shared memory
// (made, adopted or grown through us). Until then every memory reads the engine's own getter.

import { bufferOf, freezeShared, sharedBuffersFrozen } from "./engine.js";
import { ArrayPrototypePush, list } from "./primordials.js";

/** What puts the getter in place, per prototype (null: cancelled); a list of ours, walked by index. */
let whenShared = list();
let sawShared = false;

/** A shared memory is ours: freeze its buffer, and put the freezing getter in place if not yet. @param {object} memory */
export function sharedSeen(memory) {
  if (sharedBuffersFrozen) return;
  freezeShared(bufferOf(memory));
  if (sawShared) return;
  sawShared = true;
  const puts = whenShared;
  whenShared = list();
  for (let i = 0; i < puts.length; i++) if (puts[i] !== null) puts[i]();
}

/**
 * Runs `put` (which installs the freezing `buffer` getter somewhere) now if this realm has a
 * shared memory, else when it first has one; returns the function that cancels a pending `put`.
 * @param {() => void} put
 */
export function onShared(put) {
  if (sharedBuffersFrozen) return () => {};
  if (sawShared) {
    put();
    return () => {};
  }
  const at = whenShared.length,
    pending = whenShared;
  ArrayPrototypePush(pending, put);
  return () => {
    pending[at] = null;
  };
}
