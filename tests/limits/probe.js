// One probe: constructs memories of one shape with the engine's own `WebAssembly.Memory` (never
// the polyfill's), holding each live, until the engine refuses one, or `cap` memories, or `ms`
// milliseconds. Run in a task of its own (a fresh process or worker), which is then ended: the
// memories only reserve address space, and ending the task gives it back.
// With `ledger` (the package's exports), first takes `ledger.snapshot().headroom`: what the
// model predicts this realm may still make, to compare with what the engine then grants.

/** The shapes the test probes, by name: `i32`, `shared` or `i64`, then `-maxN` for a declared
 * maximum of N pages (a shared memory must have one). */
export const SHAPES = ["i32", "i32-max1", "i32-max65536", "shared-max1", "shared-max65536", "i64", "i64-max1"];

/** The descriptor a shape's name stands for, for the engine's own constructor. @param {string} shape */
export function descriptor(shape) {
  const m = /^(i32|shared|i64)(?:-max(\d+))?$/.exec(shape);
  if (!m) return undefined;
  const is64 = m[1] === "i64",
    max = m[2] === undefined ? undefined : Number(m[2]);
  const d = is64 ? { address: "i64", initial: 1n } : { initial: 1 };
  if (max !== undefined) d.maximum = is64 ? BigInt(max) : max;
  if (m[1] === "shared") d.shared = true;
  return d;
}

/** Whether the engine's own constructor makes i64 memories (Node 20/22 ignore `address`). */
function hasMemory64(Native) {
  try {
    return typeof new Native({ address: "i64", initial: 0n }).grow(0n) === "bigint";
  } catch {
    return false;
  }
}

/** The largest predicted limit a probe goes to (and 10% past). */
export const LARGEST_CHECKED = 20000;

/**
 * `ledger.headroom()`'s argument for a shape: its address type, sharing and maximum.
 * @param {string} shape
 */
export function typeOf(shape) {
  const d = descriptor(shape);
  return { address: d.address ?? "i32", shared: d.shared === true, maximum: d.maximum };
}

/**
 * @param {string} shape a name as SHAPES has them
 * @param {{ cap?: number, ledger?: any, Native?: Function }} options `cap`: the most memories
 * made; with `ledger`, where the model predicts a limit up to LARGEST_CHECKED, 10% (and 10) past
 * it instead. A probe stops by count or refusal only, never by time: how many memories an engine
 * grants doesn't depend on how busy the machine is (the runners' timeouts only guard a hang).
 */
export function probe(shape, { cap = 20000, ledger, Native = WebAssembly.Memory } = {}) {
  if (!descriptor(shape)) return { shape, error: `unknown shape ${shape}` };
  if (shape.startsWith("i64") && !hasMemory64(Native)) return { shape, skipped: "no memory64" };
  let predicted = null,
    headroom,
    live,
    reservedBytes;
  if (ledger) {
    const s = ledger.snapshot();
    headroom = s.headroom;
    live = s.live;
    reservedBytes = s.reservedBytes;
    predicted = ledger.headroom(typeOf(shape))?.memories ?? null;
    // Past a prediction this large, a probe would take too long (and WebKit's 64 KiB shared
    // memories commit their pages): it stops at `cap` as where none is predicted.
    if (predicted !== null && predicted <= LARGEST_CHECKED) cap = Math.ceil(predicted * 1.1) + 10;
  }
  const held = [];
  let refusal = null;
  let capped = false;
  for (;;) {
    if (held.length >= cap) {
      capped = true;
      break;
    }
    try {
      held.push(new Native(descriptor(shape)));
    } catch (e) {
      refusal = `${e?.constructor?.name ?? typeof e}: ${e?.message ?? e}`;
      break;
    }
  }
  const granted = held.length;
  held.length = 0;
  return { shape, predicted, granted, capped, refusal, headroom, live, reservedBytes };
}
