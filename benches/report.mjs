// Formats benchmark results (from benches/cases.mjs) as a text table and as markdown, and
// combines the per-environment JSON files into artifacts/bench/results.{json,md}.
//
//   node benches/report.mjs [node] [chromium] [--strict]
//     combine artifacts/bench/{node,chromium}.json (those named, default both) into
//     artifacts/bench/results.{json,md}, print a summary; --strict: exit 2 on a miss
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fmtTime } from "./cases.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(ROOT, "artifacts", "bench");
/** The package under test: $BENCH_PKG (scripts/bench.sh points it at a snapshot of pkg/), or pkg/. */
export const PKG = process.env.BENCH_PKG ? resolve(process.env.BENCH_PKG) : join(ROOT, "pkg");
const ENVS = ["node", "chromium"];
const HEAD = ["operation", "native (median)", "polyfill (median)", "ratio (polyfill/native)", "target", "meets"];

function cells(row) {
  const [lo, hi] = row.roundRatioIQR ?? row.roundRatioRange ?? [];
  const ratio = row.ratio == null ? "—" : `${row.ratio.toFixed(2)}x (rounds ${lo.toFixed(2)}–${hi.toFixed(2)})`;
  // "borderline": the target lies inside the middle half of the per-round ratios.
  const borderline = row.ratio != null && row.target.op === "<=" && lo <= row.target.value && row.target.value <= hi;
  const meets = (row.meets === null ? "n/a" : row.meets ? "yes" : "NO") + (row.meets !== null && borderline ? " (borderline)" : "");
  return [row.operation, row.native ? fmtTime(row.native.median) : "—", fmtTime(row.polyfill.median), ratio, row.target.text, meets];
}

function header(name, result) {
  const e = result.env;
  const o = e.options;
  return (
    `${name}: ${e.runtime} — ${o.rounds} rounds × ${o.time} ms per side (warm-up ${o.warmupTime} ms), ` +
    `timer ${fmtTime(e.timerResolutionMs)}${e.crossOriginIsolated === true ? " (cross-origin isolated)" : ""}, ` +
    `gc ${e.gc ? "exposed" : "NOT exposed"}, ledger population ${e.population} (live memories allowed: ${e.liveMemoryCapacity}), ` +
    `${e.seconds} s; pkg: ${e.pkg ?? "?"}${e.commit ? `, commit ${e.commit}` : ""}`
  );
}

function notes(result) {
  const out = [];
  for (const r of result.rows) if (r.note) out.push(`${r.operation}: ${r.note}`);
  for (const c of result.checks) if (!c.ok) out.push(`CHECK FAILED: ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
  const ok = result.checks.filter((c) => c.ok).length;
  out.push(`checks: ${ok}/${result.checks.length} passed`);
  return out;
}

/** A plain-text table for the terminal. */
export function formatText(name, result) {
  const body = result.rows.map(cells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((r) => [...r[i]].length)));
  const line = (r) => r.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [header(name, result), "", line(HEAD), rule, ...body.map(line), "", ...notes(result).map((n) => `  * ${n}`)].join("\n");
}

/** A markdown section. */
export function formatMarkdown(name, result) {
  const esc = (s) => s.replace(/\|/g, "\\|");
  const row = (r) => `| ${r.map(esc).join(" | ")} |`;
  return [
    `## ${name}`,
    "",
    header(name, result),
    "",
    row(HEAD),
    row(HEAD.map(() => "---")),
    ...result.rows.map((r) => row(cells(r))),
    "",
    ...notes(result).map((n) => `- ${n}`),
    "",
  ].join("\n");
}

/** Whether pkg/'s wasm is a stripped release build (scripts/build.sh strips names and producers). */
export function pkgBuild() {
  const bytes = readFileSync(join(PKG, "wasm_memory_polyfill_bg.wasm"));
  const m = new WebAssembly.Module(bytes);
  const unstripped = ["name", "producers"].filter((s) => WebAssembly.Module.customSections(m, s).length > 0);
  return unstripped.length === 0
    ? `release (${bytes.length} bytes)`
    : `NOT a release build: has ${unstripped.join(" + ")} sections (${bytes.length} bytes); run scripts/build.sh`;
}

/** The commit under test (and whether the tree differs from it), for the record. */
export function gitState() {
  try {
    const run = (args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = run(["status", "--porcelain", "--", "src", "js", "Cargo.toml", "Cargo.lock"]) !== "";
    return `${run(["rev-parse", "--short", "HEAD"])}${dirty ? " + uncommitted changes in src/ or js/" : ""}`;
  } catch {
    return null;
  }
}

/** Writes artifacts/bench/<name>.json and prints the table. */
export function saveEnv(name, result) {
  result.env.pkg = pkgBuild();
  result.env.commit = gitState();
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, `${name}.json`), JSON.stringify(result, null, 2) + "\n");
  console.log(`\n${formatText(name, result)}\n`);
}

function combine(names) {
  const all = {};
  for (const name of names) {
    const f = join(OUT, `${name}.json`);
    if (existsSync(f)) all[name] = JSON.parse(readFileSync(f, "utf8"));
  }
  if (Object.keys(all).length === 0) {
    console.error("no results in artifacts/bench/");
    process.exit(1);
  }
  writeFileSync(join(OUT, "results.json"), JSON.stringify(all, null, 2) + "\n");
  const md = [
    "# wasm-memory-polyfill benchmarks",
    "",
    "Medians of per-operation times (each sample is the mean of a batch); ratio = polyfill median / native median " +
      "measured in the same run, native and polyfill alternating over rounds (in brackets: the middle half, 25th–75th " +
      "percentile, of the per-round ratios; \"borderline\" when the target lies inside it). " +
      "Made by `bash scripts/bench.sh`.",
    "",
    ...Object.entries(all).map(([name, r]) => formatMarkdown(name, r)),
  ].join("\n");
  writeFileSync(join(OUT, "results.md"), md);
  let misses = 0;
  console.log("summary:");
  for (const [name, r] of Object.entries(all)) {
    const missed = r.rows.filter((row) => row.meets === false);
    const failed = r.checks.filter((c) => !c.ok);
    misses += missed.length + failed.length;
    console.log(
      `  ${name}: ${r.rows.filter((row) => row.meets === true).length} met, ${missed.length} missed` +
        (missed.length ? ` (${missed.map((m) => m.id).join(", ")})` : "") +
        `, ${r.rows.filter((row) => row.meets === null).length} n/a; checks ${r.checks.length - failed.length}/${r.checks.length}`,
    );
  }
  console.log(`written: ${join(OUT, "results.json")}, ${join(OUT, "results.md")}`);
  return misses;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const named = ENVS.filter((e) => process.argv.includes(e));
  const misses = combine(named.length ? named : ENVS);
  if (process.argv.includes("--strict") && misses > 0) process.exit(2);
}
