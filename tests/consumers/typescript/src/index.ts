// Uses the whole public API with explicit types; `tsc --noEmit` must accept it, and each line
// marked with an expect-error directive at the end must really be an error (the types are not `any`).
import { Memory, install, ledger } from "wasm-memory-polyfill";
import type {
  AppSnapshot,
  Ledger,
  LedgerEvent,
  LedgerRecord,
  LedgerSnapshot,
  MemoryDescriptor,
  MemoryOptions,
  MemoryType,
  RealmInfo,
  RealmRecord,
} from "wasm-memory-polyfill";
import * as auto from "wasm-memory-polyfill/auto";
import { mountOverlay } from "wasm-memory-polyfill/overlay";
import type { OverlayCorner, OverlayOptions } from "wasm-memory-polyfill/overlay";

const descriptor: MemoryDescriptor = { initial: 10, maximum: 100 };
const options: MemoryOptions = { label: "decoder" };
const memory = new Memory(descriptor, options);

// a Memory is a WebAssembly.Memory
const engine: WebAssembly.Memory = memory;
const buffer: ArrayBuffer = engine.buffer;
const before: number = memory.grow(1);
const type: MemoryType = memory.type();
const minimum: number | bigint = type.minimum;
const big: bigint = new Memory({ address: "i64", initial: 1n, maximum: 10n }).grow(1n);

// and it can be passed as an import
declare const bytes: BufferSource;
const { instance } = await WebAssembly.instantiate(bytes, { js: { mem: memory } });
const accumulate = instance.exports.accumulate as (offset: number, length: number) => number;
const sum: number = accumulate(0, 10);
const other = await WebAssembly.instantiate(new WebAssembly.Module(bytes), { js: { mem: engine } });

// the ledger
const l: Ledger = ledger;
const snapshot: LedgerSnapshot = l.snapshot();
const live: number = snapshot.live;
const records: LedgerRecord[] = snapshot.memories;
const origin: "constructed" | "exported" | "received" | undefined = records[0]?.origin;
const budget: LedgerSnapshot["budget"] = snapshot.budget;
const _budgetTotal: number | null | undefined = budget?.totalPages;
const rows: Float64Array = ledger.snapshotArray();
ledger.setBudget({ totalPages: 4096, perMemoryPages: 1024, memories: 16, mode: "hard" });
ledger.setBudget({ totalPages: 4096, mode: "soft" });
ledger.setBudget(null);
const off: () => boolean = ledger.on("grow", (e) => {
  const grew: number = e.to - e.from;
  void grew;
});
ledger.on("budget", (e) => {
  const which: "totalPages" | "perMemoryPages" | "memories" | "appPages" | "reservedBytes" = e.budget;
  const _refused: boolean = e.refused;
  void which, _refused;
});
ledger.on("create", (e: Extract<LedgerEvent, { type: "create" }>) => void e.pages);
ledger.label(memory, "renamed");
ledger.label(engine, null);
ledger.options({ captureStacks: true });
const id: number = ledger.idOf(memory);
const used: number = ledger.touched(memory) + ledger.touched(engine);
off();
const definedBy: string | null | undefined = records[0]?.definedBy;
const instances: number | undefined = records[0]?.instances;
const table: string = ledger.format();
ledger.setMarks(true);

// the overlay entry
const corner: OverlayCorner = "top-left";
const overlayOptions: OverlayOptions = { target: document.body, corner };
const unmount: () => void = mountOverlay(overlayOptions);
unmount();
mountOverlay()();

// one ledger for the whole app: share(), realms(), snapshot({ allRealms: true }), appPages
const stopSharing: () => void = ledger.share({ name: "page", interval: 500 });
const realms: RealmInfo[] = ledger.realms();
const receivedPages: number = realms[0]?.receivedPages ?? 0;
const app: AppSnapshot | null = ledger.snapshot({ allRealms: true });
const appRows: RealmRecord[] = app?.memories ?? [];
const realmName: string | undefined = app?.received[0]?.realm;
const appPages: number | null | undefined = app?.budget.appPages;
const mine: LedgerSnapshot = ledger.snapshot({ allRealms: false });
ledger.setBudget({ appPages: 8192 });
stopSharing();

// install / uninstall, and the auto entry's re-exports
const uninstall: () => void = install();
uninstall();
const same: typeof Memory = auto.Memory;
const sameLedger: Ledger = auto.ledger;

// @ts-expect-error "medium" is not a budget mode
ledger.setBudget({ mode: "medium" });
// @ts-expect-error a "grow" event has no `budget`
ledger.on("grow", (e) => e.budget);
// @ts-expect-error share() needs a name
ledger.share({ interval: 100 });
// @ts-expect-error the app-wide view is not a realm's snapshot (it may be null)
const notMine: LedgerSnapshot = ledger.snapshot({ allRealms: true });
// @ts-expect-error the descriptor needs `initial`
new Memory({ maximum: 1 });
// @ts-expect-error type() is ours, not an engine memory's
engine.type();
// @ts-expect-error "middle" is not a corner
mountOverlay({ corner: "middle" });
// @ts-expect-error setMarks takes a boolean
ledger.setMarks("yes");
// @ts-expect-error touched() takes a memory, not its buffer
ledger.touched(memory.buffer);

export {
  buffer,
  before,
  minimum,
  big,
  sum,
  other,
  live,
  origin,
  budget,
  rows,
  id,
  used,
  same,
  sameLedger,
  definedBy,
  instances,
  table,
  receivedPages,
  appRows,
  realmName,
  appPages,
  mine,
  notMine,
};
