// Types for wasm-memory-polyfill. `Memory` is typed as the lib.dom / @types/node
// `WebAssembly.Memory` plus what this package adds.

/** `"i32"` (default) or `"i64"` (memory64; sizes are BigInts). */
export type AddressType = "i32" | "i64";

/** The WebAssembly JS API's MemoryDescriptor, with the memory64 `address` member. */
export interface MemoryDescriptor {
  address?: AddressType;
  initial: number | bigint;
  maximum?: number | bigint;
  shared?: boolean;
}

/** What `memory.type()` returns (type reflection). i64 memories report BigInts. */
export interface MemoryType {
  address: AddressType;
  maximum?: number | bigint;
  minimum: number | bigint;
  shared: boolean;
}

/** Our options: the constructor's second argument, which the engine's constructor ignores. */
export interface MemoryOptions {
  /** A name for the ledger (at most 256 characters). */
  label?: string;
}

/** A drop-in `WebAssembly.Memory`: a real engine memory, with `type()` on every engine. */
export declare class Memory extends WebAssembly.Memory {
  constructor(descriptor: MemoryDescriptor, options?: MemoryOptions);
  grow(delta: number): number;
  grow(delta: bigint): bigint;
  type(): MemoryType;
}

/** One live memory in the ledger. */
export interface LedgerRecord {
  id: number;
  label: string | null;
  /** For a memory a module defines: the module's name (from its wasm "name" section), else the
   * URL of the Response it was streamed from (`instantiateStreaming`/`compileStreaming`), else
   * null. Null for a constructed memory. At most 256 characters (longer ones end in "…"). */
  definedBy: string | null;
  address: AddressType;
  shared: boolean;
  pages: number;
  bytes: number;
  peak: number;
  grows: number;
  /** The effective maximum (after a hard budget's clamp); null if none or unknown. */
  maximum: number | null;
  /** The maximum the caller (or the module) asked for. */
  requestedMaximum: number | null;
  /** Whether grows inside wasm are held to the budget: its maximum was clamped by the hard budget
   * in force when it was made (or its module compiled). */
  bounded: boolean;
  createdAt: number;
  /** "constructed": made by our constructor here; "exported": defined by a module instantiated
   * here under install(); "received": met here as an import (or a re-exported import) the ledger
   * did not hold, such as a shared memory another realm made and posted here. */
  origin: "constructed" | "exported" | "received";
  /** How many live instances import or export it, as `install()`'s hooks saw them made (an
   * instance counts until it is garbage-collected; an import behind a getter is not counted). */
  instances: number;
  /** Bytes of address space the engine reserves for it, by the reservation model (measured per
   * engine; see docs/reserved.md): far more than its pages in V8 and
   * SpiderMonkey. Null where the model doesn't know (an engine without a profile, or a shape
   * it wasn't measured for). */
  reserved: number | null;
  /** Where it was made (only with `ledger.options({ captureStacks: true })`). */
  stack: string | null;
}

export interface Budget {
  totalPages?: number;
  perMemoryPages?: number;
  memories?: number;
  /** "hard" (default): past it is a RangeError. "soft": allowed, with a "budget" event. */
  mode?: "hard" | "soft";
  /** App-wide pages (every sharing realm's memories, each counted where it was made): passing it
   * emits a "budget" event here, once per crossing; it never refuses anything, and alone it sets
   * no budget in this realm. Checked while this realm shares (`ledger.share()`). */
  appPages?: number;
  /** Bytes of address space the live memories made here may reserve, by the reservation model
   * (see `LedgerSnapshot.reservedBytes`): a construction that would pass it is refused (hard) or
   * reported (soft), so a page stays under the engine's own limit and fails early, with a clear
   * error. Not checked where the engine has no profile or the memory's reservation is unknown;
   * memories that modules define are not checked. */
  reservedBytes?: number;
}

/** What the engine is expected to still grant (see `LedgerSnapshot.headroom`). */
export interface Headroom {
  memories: number;
  bytes: number;
}

export interface LedgerSnapshot {
  live: number;
  livePages: number;
  liveBytes: number;
  peakTotalPages: number;
  created: number;
  collected: number;
  /** Bytes reserved by the live memories made here whose `reserved` is known; null where the
   * engine has no profile. */
  reservedBytes: number | null;
  /** What the engine is expected to still grant in this realm, by the reservation model: one-page
   * i32 memories (`memories`) and bytes of address space (`bytes`; for a limit on the count, the
   * memories left times what one reserves). The polyfill's own heap counts. Null where no limit is
   * known. `ledger.headroom(type)` asks about other kinds of memories. */
  headroom: Headroom | null;
  /** The budget in force; fields that were not set are null. */
  budget: {
    totalPages: number | null;
    perMemoryPages: number | null;
    memories: number | null;
    mode: "hard" | "soft";
    appPages: number | null;
    reservedBytes: number | null;
  } | null;
  memories: LedgerRecord[];
}

/** A record in the app-wide view, with the name of the realm whose ledger holds it. */
export interface RealmRecord extends LedgerRecord {
  realm: string;
}

/** One realm in the app-wide view (`ledger.realms()`). */
export interface RealmInfo {
  /** Unique per share(): the name plus a random part. */
  id: string;
  /** The name given to `share()`. */
  name: string;
  /** Whether it is the realm asking. */
  self: boolean;
  /** Live memories in its ledger, received ones included. */
  live: number;
  /** Their pages (what its own budget sees). */
  pages: number;
  /** The most pages its ledger has held at once. */
  peak: number;
  /** Of `live`, the memories it received (made elsewhere). */
  received: number;
  /** Their pages. */
  receivedPages: number;
  /** Its own budget, as its `snapshot().budget`. */
  budget: LedgerSnapshot["budget"];
  /** When it last published (ms since the epoch; now for itself). */
  updatedAt: number;
}

/** `ledger.snapshot({ allRealms: true })`: every sharing realm's records and the app's totals. */
export interface AppSnapshot {
  /** Memories made in the realms (each counted once, where it was made). */
  live: number;
  livePages: number;
  liveBytes: number;
  /** The most `livePages` has been, as seen from this realm while it shares. */
  peakTotalPages: number;
  /** Pages of the `received` records (per realm that holds them): in no total. */
  receivedPages: number;
  budget: { appPages: number | null };
  realms: RealmInfo[];
  /** Every record counted in the totals: constructed or exported in its realm. */
  memories: RealmRecord[];
  /** Records of memories a realm holds but did not make: counted where they were made (if that
   * realm shares), never here. */
  received: RealmRecord[];
}

export type LedgerEvent =
  | { type: "create"; id: number; pages: number }
  | { type: "grow"; id: number; from: number; to: number; source: "js" | "wasm" }
  | { type: "collect"; id: number; pages: number }
  | {
      type: "budget";
      id: number | null;
      budget: "totalPages" | "perMemoryPages" | "memories" | "appPages" | "reservedBytes";
      limit: number;
      value: number;
      refused: boolean;
      reached?: undefined;
    }
  | BudgetReachedEvent
  | FailureEvent;

/**
 * A bounded memory found at its budget clamp (its size is the maximum a hard budget lowered it
 * to, and it asked for more, or for no maximum): from now on `memory.grow` inside wasm gets -1
 * from the engine. Emitted once per memory, by whatever notices it first (a snapshot, the
 * watcher, a grow, any size read); memories never shrink and the clamp never changes, so never
 * again for that memory.
 */
export interface BudgetReachedEvent {
  type: "budget";
  id: number;
  /** "perMemoryPages" when the clamp is that field's value in the budget in force, else "totalPages". */
  budget: "totalPages" | "perMemoryPages";
  /** The clamp. */
  limit: number;
  /** Its size: the clamp. */
  value: number;
  refused: false;
  reached: true;
  label: string | null;
  definedBy: string | null;
  /** Its maximum: the clamp. */
  maximum: number;
  /** The maximum it asked for (declared by its module or given to the constructor); null: none. */
  requestedMaximum: number | null;
}

/**
 * The engine refused a construction, a grow or (under install()) an instance of a module that
 * defines a memory, for want of memory (not a budget's refusal; the error thrown is the
 * engine's own, its message followed by the same facts in words; Firefox throws the string
 * "out of memory" for an instance, which has no message: the event alone says it). Compiling is
 * not among them: no engine refuses a compile for want of memory with an error a program can
 * catch.
 */
export interface FailureEvent {
  type: "failure";
  /** The memory a refused grow was about; null for a construction or an instance. */
  id: number | null;
  operation: "construct" | "grow" | "instantiate";
  /** The pages asked for: the initial size, the grow's delta, or the initial sizes the module
   * declares for the memories it defines (0 when its bytes were never read: a module compiled
   * before install()). */
  pages: number;
  /** Live memories in the ledger. */
  live: number;
  /** How many of them no live instance holds (that install()'s hooks saw): dropped memories
   * waiting for the garbage collector are among them. */
  withoutInstance: number;
  /** Pages of all live memories. */
  livePages: number;
  /** The largest live memories, largest first (at most 3). */
  largest: { id: number; label: string | null; definedBy: string | null; pages: number }[];
  /** Bytes of address space the live memories made here reserve, by the reservation model
   * (as the snapshot's `reservedBytes`); null where the model doesn't know. */
  reservedBytes: number | null;
  /** How many memories like a one-page i32 one the model expected the engine to grant in all
   * (the live ones made here and the package's own heap included); null where it knows no limit. */
  expectedLimit: number | null;
}

export interface Ledger {
  /** Every live memory and the totals, as plain JSON-serialisable data (sizes read from the engine). */
  snapshot(options?: { allRealms?: false }): LedgerSnapshot;
  /** The app-wide view: every sharing realm's records and the app's totals; null while this
   * realm does not share (or before its share() has started). */
  snapshot(options: { allRealms: true }): AppSnapshot | null;
  /** The live memories as a plain-text table (id, label, definedBy, pages, peak, grows,
   * maximum, reserved, origin), then the totals, what is reserved and the headroom, and the
   * budget: for Node users and test logs. With `{ touched: true }`, a `touched` column after
   * `pages` (each memory's `ledger.touched()`: every page is read, so it costs a scan of all). */
  format(options?: { touched?: boolean }): string;
  /** With `true`, every ledger event is also `performance.mark("wasm-memory:<type>", { detail: event })`,
   * so DevTools' performance panel shows it. Off by default. */
  setMarks(on: boolean): void;
  /** Rows of [id, pages, peak, grows, shared 0|1, address 32|64], in a fresh Float64Array. */
  snapshotArray(): Float64Array;
  /** Sets (or with null removes) the budget. */
  setBudget(budget: Budget | null): void;
  /** Subscribes; returns the function that unsubscribes. */
  on<K extends LedgerEvent["type"]>(kind: K, listener: (event: Extract<LedgerEvent, { type: K }>) => void): () => boolean;
  /** What the engine is expected to still grant memories like `type` in this realm (by the
   * reservation model; without `type`: one-page i32 memories, as the snapshot's `headroom`), or
   * null where no limit is known. */
  headroom(type?: { address?: "i32" | "i64"; shared?: boolean; maximum?: number | bigint }): Headroom | null;
  /** Labels a ledgered memory (null clears). */
  label(memory: WebAssembly.Memory, label: string | null): void;
  /** `captureStacks: true` records where each memory was made (costs an Error().stack per construction). */
  options(options: { captureStacks?: boolean }): void;
  /** The ledger id of a memory, or -1. */
  idOf(memory: WebAssembly.Memory): number;
  /**
   * How many of the memory's 64 KiB pages hold at least one non-zero byte now: the pages the
   * program has used, where `pages` counts those it reserved. Any `WebAssembly.Memory` (ledgered
   * or not, shared, i64: a number for all); anything else is a `TypeError`.
   *
   * A page written and later freed still counts (allocators don't zero what they free), and a
   * page written only with zeros counts as untouched. Nothing is copied and the ledger is left
   * alone (no record, no event, no instance counted), but every page is read: call it when you
   * want the figure (a report, a test, after a load), not on every frame.
   */
  touched(memory: WebAssembly.Memory): number;
  /** Reads sizes every `interval` ms (default 250; unref'd in Node) so growth inside wasm is
   * reported without asking; returns `stop()`. */
  watch(options?: { interval?: number }): () => void;
  /** Publishes this realm's ledger to the app's other realms (pages, workers) on a
   * BroadcastChannel named "wasm-memory-polyfill", at most every `interval` ms (default 250,
   * 10 .. 2^31 - 1) and at least every second, and hears theirs. A realm that stops (goodbye) or
   * misses 4 heartbeats leaves the others' view. Timers and channel are unref'd in Node. A
   * second call replaces the first. Returns `stop()`. */
  share(options: { name: string; interval?: number }): () => void;
  /** One entry per realm in the view, this one first; [] while this realm does not share. */
  realms(): RealmInfo[];
  /** How the core has fared: `abandonedCalls` counts calls a JS exception (a stack overflow)
   * cut short while they held the core's state; the design keeps it at 0. */
  diagnostics(): { abandonedCalls: number };
}

export declare const ledger: Ledger;

/** Replaces globalThis.WebAssembly.Memory (and hooks instantiate); returns the function that undoes it. */
export declare function install(): () => void;
