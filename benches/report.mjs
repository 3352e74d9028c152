// Combines the per-engine results of benches/run.mjs (artifacts/bench/<engine>.json) into
// artifacts/bench/results.json, results.md (every engine in detail) and table.md (one table,
// operations × engines, which scripts/readme-tables.mjs splices into docs/costs.md).
//
//   node benches/report.mjs [engine ids...] [--strict]    default: every engine with a result
//     --strict: exit 2 when a target is missed, a check failed or an engine did not run
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CASES, fmtTime, meetsTarget } from "./cases.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(ROOT, "artifacts", "bench");
/** The package under test: $BENCH_PKG (scripts/bench.sh points it at a snapshot of pkg/), or pkg/. */
export const PKG = process.env.BENCH_PKG ? resolve(process.env.BENCH_PKG) : join(ROOT, "pkg");
const ORDER = ["node20", "node22", "node24", "node26", "deno", "bun", "chromium", "firefox", "webkitgtk"];

/** Whether the package's wasm is a stripped release build (scripts/build.sh strips names and producers). */
export function pkgBuild(dir = PKG) {
  const bytes = readFileSync(join(dir, "wasm_memory_polyfill_bg.wasm"));
  const m = new WebAssembly.Module(bytes);
  const unstripped = ["name", "producers"].filter((s) => WebAssembly.Module.customSections(m, s).length > 0);
  return unstripped.length === 0
    ? `release (${bytes.length} bytes)`
    : `NOT a release build (${unstripped.join(" + ")} sections): run scripts/build.sh`;
}

/** The commit under test (and whether src/ or js/ differ from it), for the record. */
export function gitState() {
  try {
    const run = (args) => execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = run(["status", "--porcelain", "--", "src", "js", "crates", "Cargo.toml", "Cargo.lock"]) !== "";
    return `${run(["rev-parse", "--short", "HEAD"])}${dirty ? " + uncommitted changes" : ""}`;
  } catch {
    return null;
  }
}

const x = (v) => `${v.toFixed(2)}×`;
/** "1.12× (1.08–1.15)": the ratio of the pooled medians, then the IQR of the per-round ratios. */
/** The rows of a run, each judged against the target its case has now (so a changed target
 * re-renders an old run's table); a `weakOf` case is derived from its source row's weak floor. */
function judged(r) {
  const out = [];
  for (const c of CASES) {
    if (c.weakOf) {
      const src = r.rows?.find((row) => row.id === c.weakOf);
      if (!src?.weakFloor) continue;
      const ratio = src.polyfill.median / src.weakFloor;
      const native = { ...src.native, median: src.weakFloor };
      out.push({
        ...src,
        id: c.id,
        operation: c.operation,
        native,
        ratio,
        iqr: null,
        meets: meetsTarget(c, ratio),
        note: null,
        weakFloor: null,
      });
      continue;
    }
    const row = r.rows?.find((k) => k.id === c.id);
    if (row) out.push({ ...row, meets: meetsTarget(c, row.ratio) });
  }
  return out;
}
const cell = (row) =>
  row ? `${x(row.ratio)}${row.iqr ? ` (${row.iqr[0].toFixed(2)}–${row.iqr[1].toFixed(2)})` : ""}${row.meets === false ? " ✗" : ""}` : "—";
const targetText = (c) =>
  c.target === null ? "(info)" : c.tolerance ? `${c.target.toFixed(2)}× (±${Math.round(c.tolerance * 100)}%)` : `≤ ${c.target.toFixed(2)}×`;
const shortName = (r) => {
  const rt = r.env?.runtime ?? "";
  const v = rt.match(/(?:Node v|Deno |Bun |Chromium |Firefox |WebKitGTK )([\d.]+)/)?.[1];
  return v
    ? `${r.engine.label} ${
        r.engine.id.startsWith("node")
          ? ""
          : v
              .split(".")
              .slice(0, r.engine.id === "webkitgtk" ? 2 : 1)
              .join(".")
      }`.trim()
    : r.engine.label;
};

function load(ids) {
  const all = [];
  for (const id of ids) {
    const f = join(OUT, `${id}.json`);
    if (existsSync(f)) all.push(JSON.parse(readFileSync(f, "utf8")));
  }
  return all;
}

/** The bench table of docs/costs.md: one row per operation, one column per engine. */
export function table(all) {
  const head = ["operation", ...all.map(shortName), "target"];
  const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
  const rows = all.map(judged);
  for (const c of CASES) {
    const cells = all.map((r, i) => (r.error ? "did not run" : cell(rows[i].find((row) => row.id === c.id))));
    if (cells.every((t) => t === "—")) continue;
    lines.push(`| ${c.operation} | ${cells.join(" | ")} | ${targetText(c)} |`);
  }
  const first = all.find((r) => r.commit);
  const when = new Date().toISOString().slice(0, 10);
  return [
    ...lines,
    "",
    `Ratio polyfill / native of the medians (${all[0]?.quick ? "quick run" : "full run"}, ${when}${first ? `, commit ${first.commit}` : ""}); in brackets the 25th–75th percentile of the per-round ratios; ✗: target missed. ` +
      "Snapshot rows: `ledger.snapshot()` against its floor (each memory's size read from the engine and one plain 17-member record each, from a strong array) and against the same through `WeakRef.deref` (the target: the least a ledger that keeps nothing alive must do), " +
      `${all.some((r) => r.engine.id === "chromium") ? "10 000 live memories in Node, Deno and Bun, 100 live (× 100 snapshots) in the browsers" : "on the same live memories"}.`,
  ].join("\n");
}

function detail(r) {
  if (r.error) return [`## ${r.engine.label}`, "", `did not run: ${r.error}`, ""].join("\n");
  const e = r.env;
  const o = e.options;
  const out = [
    `## ${r.engine.label}: ${e.runtime}`,
    "",
    `${o.rounds} rounds × ${o.samples} samples per side, samples of ≥ ${o.sampleMs} ms; timer ${fmtTime(e.timerResolutionMs)}` +
      `${e.crossOriginIsolated ? " (cross-origin isolated)" : ""}; gc ${e.gc ? "exposed" : "not exposed"}; live memories allowed ${e.liveMemoryCapacity}; ${e.seconds} s; pkg ${r.pkg}${r.commit ? `, commit ${r.commit}` : ""}`,
    "",
    "| operation | batch | native | polyfill | ratio (IQR of rounds) | target | met |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of judged(r)) {
    const c = CASES.find((k) => k.id === row.id);
    out.push(
      `| ${row.operation} | ${row.batch} | ${fmtTime(row.native.median)} | ${fmtTime(row.polyfill.median)} | ${cell({ ...row, meets: null })} | ${targetText(c)} | ${row.meets === null ? "—" : row.meets ? "yes" : "NO"} |`,
    );
  }
  out.push("");
  for (const row of r.rows)
    if (row.note) out.push(`- ${row.operation}: ${row.note}${row.weakFloor ? `; floor through WeakRefs ${fmtTime(row.weakFloor)}` : ""}`);
  const failedChecks = r.checks.filter((c) => !c.ok);
  out.push(
    `- checks: ${r.checks.length - failedChecks.length}/${r.checks.length} passed${failedChecks.map((c) => `; FAILED ${c.name} (${c.detail})`).join("")}`,
    "",
  );
  return out.join("\n");
}

export function combine(ids) {
  const all = load(ids);
  if (all.length === 0) {
    console.error("no results in artifacts/bench/");
    process.exit(1);
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "results.json"), JSON.stringify(all, null, 1) + "\n");
  const t = table(all);
  writeFileSync(join(OUT, "table.md"), `${t}\n`);
  writeFileSync(
    join(OUT, "results.md"),
    ["# wasm-memory-polyfill benchmarks", "", "Made by `bash scripts/bench.sh`.", "", t, "", ...all.map(detail)].join("\n"),
  );
  console.log(`\n${t}\n`);
  let misses = 0;
  for (const r of all) {
    const targeted = judged(r).filter((row) => row.meets !== null);
    const missed = targeted.filter((row) => !row.meets);
    const failedChecks = r.checks?.filter((c) => !c.ok) ?? [];
    misses += missed.length + failedChecks.length + (r.error ? 1 : 0);
    console.log(
      `  ${r.engine.label}: ${r.error ? "did not run" : `${targeted.length - missed.length}/${targeted.length} targets met${missed.length ? ` (missed: ${missed.map((m) => m.id).join(", ")})` : ""}; checks ${r.checks.length - failedChecks.length}/${r.checks.length}`}`,
    );
  }
  console.log(`written: ${join(OUT, "results.md")}, results.json, table.md`);
  return misses;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const named = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const misses = combine(named.length ? named : ORDER);
  if (process.argv.includes("--strict") && misses > 0) process.exit(2);
}
