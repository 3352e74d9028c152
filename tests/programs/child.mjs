// One program, one mode, in a fresh process (run.mjs starts it with process.execPath):
//   node child.mjs PROGRAM MODE BUDGET SETTLE_MS TMPDIR PKG_ENTRY
// MODE: "native" (no package at all), "install" (install(), no budget, a watcher), "hard" or
// "soft" (install(), then ledger.setBudget({ totalPages: BUDGET, mode }) before the program
// compiles its module). Prints one line "RESULT {json}" and exits 0, whatever the program did;
// a child that dies without that line is a crash.

import { pathToFileURL } from "node:url";
import { programs } from "./programs.mjs";
import { spyOnExportedMemories, describeMemories, describeError } from "./common.mjs";

const [name, mode, budgetArg, settleArg, tmp, pkgEntry] = process.argv.slice(2);
const program = programs[name];
const budget = Number(budgetArg);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const result = {
  program: name,
  mode,
  budget: mode === "hard" || mode === "soft" ? budget : null,
  outcome: null, // "completed" | "threw" | "unsettled"
  output: null,
  error: null,
  memories: [],
  snapshot: null,
  events: { budget: [], grow: [], create: [], growCount: 0 },
  watch: null, // "missing" | "started"
  budgetEventsOnRepeat: null,
  notes: [],
};

let ledger = null;
let stopWatch = null;
if (mode !== "native") {
  const lib = await import(pathToFileURL(pkgEntry).href);
  ledger = lib.ledger;
  lib.install();
  ledger.on("budget", (e) => result.events.budget.push({ ...e }));
  ledger.on("create", (e) => result.events.create.length < 20 && result.events.create.push({ ...e }));
  ledger.on("grow", (e) => {
    result.events.growCount++;
    if (result.events.grow.length < 50) result.events.grow.push({ ...e });
  });
  if (mode === "hard" || mode === "soft") ledger.setBudget({ totalPages: budget, mode });
  if (mode === "install") {
    if (typeof ledger.watch === "function") {
      stopWatch = ledger.watch({ interval: 250 });
      result.watch = "started";
    } else {
      result.watch = "missing";
    }
  }
}
// After install(): the spy sits outside the package's hooks and only collects exported memories.
const memories = spyOnExportedMemories();

let done = false;
async function finish(outcome, value) {
  if (done) return;
  done = true;
  result.outcome = outcome;
  if (outcome === "completed") result.output = value;
  else if (value !== undefined) result.error = describeError(value);
  try {
    if (stopWatch) {
      await sleep(350); // at least one watcher tick after the program's last growth
      stopWatch();
    }
    let snapshot = null;
    if (ledger) {
      snapshot = ledger.snapshot(); // the ledger learns the final sizes here (and may emit)
      await sleep(20); // listeners run after the operation
      const before = result.events.budget.length;
      ledger.snapshot(); // nothing changed since: no new crossing, so no new budget event
      await sleep(20);
      result.budgetEventsOnRepeat = result.events.budget.length - before;
      result.snapshot = {
        live: snapshot.live,
        livePages: snapshot.livePages,
        peakTotalPages: snapshot.peakTotalPages,
        budget: snapshot.budget,
      };
    }
    result.memories = describeMemories(memories, ledger, snapshot);
  } catch (error) {
    result.notes.push(`after the run: ${describeError(error)}`);
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

process.on("uncaughtException", (error) => finish("threw", error));
process.on("unhandledRejection", (error) => finish("threw", error));
// A program stopped without settling (Go's runtime after a fatal error may leave go.run pending).
// The timer also keeps the event loop alive until then.
setTimeout(() => finish("unsettled"), Number(settleArg));

try {
  const output = await program.run({ tmp });
  await finish("completed", output);
} catch (error) {
  await finish("threw", error);
}
