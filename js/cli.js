#!/usr/bin/env node
// `npx wasm-memory-polyfill COMMAND [ARGS...]`: runs COMMAND with the reporter
// (`wasm-memory-polyfill/report`) loaded before its program's first line, in every Node process
// it starts: `--import=<report.js>` is appended to NODE_OPTIONS (so `npm test`, `npx vitest` and
// other Node processes down the tree are reported too, each on its own). For `bun`, `--preload
// <report.js>` is also put right after `bun`; for `deno run|test|serve|eval`, `--preload` after
// the subcommand. stdio is the child's own, signals sent here are passed on, and this process
// ends as the child did: its exit status, or the same signal.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

const USAGE =
  "usage: wasm-memory-polyfill COMMAND [ARGS...]   (e.g. wasm-memory-polyfill node app.mjs)\n" +
  "runs COMMAND with the wasm-memory-polyfill reporter preloaded; settings: WASM_MEMORY_BUDGET, WASM_MEMORY_REPORT, WASM_MEMORY_WATCH\n";
const [command, ...args] = process.argv.slice(2);
if (command === undefined || command === "--help" || command === "-h") {
  process.stderr.write(USAGE);
  process.exit(command === undefined ? 64 : 0);
}

const reportUrl = new URL("./report.js", import.meta.url);
const reportPath = fileURLToPath(reportUrl);
// A file URL has no spaces or quotes (they are %-escaped), so NODE_OPTIONS needs no quoting.
const nodeOptions = [process.env.NODE_OPTIONS, `--import=${reportUrl.href}`].filter(Boolean).join(" ");
const env = { ...process.env, NODE_OPTIONS: nodeOptions };
const name = basename(command).replace(/\.exe$/i, "");
let argv = args;
if (name === "bun") argv = ["--preload", reportPath, ...args];
else if (name === "deno" && ["run", "test", "serve", "eval"].includes(args[0])) argv = [args[0], "--preload", reportPath, ...args.slice(1)];

const child = spawn(command, argv, { stdio: "inherit", env });
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGBREAK"];
const forward = (signal) => {
  try {
    child.kill(signal);
  } catch {}
};
const listening = [];
for (const s of SIGNALS) {
  try {
    process.on(s, forward);
    listening.push(s);
  } catch {} // not a signal on this platform
}
child.on("error", (e) => {
  process.stderr.write(`wasm-memory-polyfill: can't run ${command}: ${e.code === "ENOENT" ? "command not found" : e.message}\n`);
  process.exit(e.code === "ENOENT" ? 127 : 126);
});
child.on("exit", (code, signal) => {
  for (const s of listening) process.off(s, forward);
  if (signal) {
    // End as the child did: by the same signal (with the default action now that no handler is here).
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 1000); // a signal whose default is to ignore it
    return;
  }
  process.exit(code ?? 1);
});
