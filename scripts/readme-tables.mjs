// Copies generated tables into the documents, between their markers:
//   node scripts/readme-tables.mjs [engines] [bench] [costs]     (no argument: engines)
// - engines: artifacts/engines.md (written by tests/engines/run.mjs) between
//   <!-- engines:start --> and <!-- engines:end --> (in docs/engines.md);
// - bench: artifacts/bench/table.md (written by benches/report.mjs; scripts/bench.sh runs this
//   after a full run of every engine) between <!-- bench:start --> and <!-- bench:end --> (in
//   docs/costs.md), then the summary below from it;
// - costs: the README's "Costs in one table", between <!-- costs:start --> and <!-- costs:end -->,
//   made from the bench table as docs/costs.md now holds it (no bench run needed).
// Each marker pair is looked for in README.md and docs/*.md, and must be in exactly one of them.
// --check: writes nothing; exit status 1 if a table is not what it would write (the `docs` step
// of scripts/test.sh checks the README's summary against docs/costs.md that way).
import { readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { CASES } from "../benches/cases.mjs";

const root = new URL("../", import.meta.url);
const documents = [
  "README.md",
  ...readdirSync(new URL("docs/", root))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const args = process.argv.slice(2);
const checkOnly = args.includes("--check");
const names = args.filter((a) => a !== "--check");
const wanted = names.length ? names : ["engines"];
if (wanted.includes("bench") && !wanted.includes("costs")) wanted.push("costs");

const markers = (name) => new RegExp(`<!-- ${name}:start -->\\n?([\\s\\S]*?)\\n?<!-- ${name}:end -->`);
/** The documents, read once; written at the end if changed. */
const texts = new Map(documents.map((f) => [f, readFileSync(new URL(f, root), "utf8")]));
const holderOf = (name) => {
  const holders = documents.filter((f) => markers(name).test(texts.get(f)));
  if (holders.length !== 1) {
    console.error(
      holders.length
        ? `<!-- ${name}:start --> is in more than one document: ${holders.join(", ")}`
        : `no document (README.md, docs/*.md) has <!-- ${name}:start --> ... <!-- ${name}:end --> markers`,
    );
    return null;
  }
  return holders[0];
};

/** The README's summary of the bench table: a few rows, Node's four versions as one range. */
function costsSummary() {
  const holder = holderOf("bench");
  if (!holder) return { missing: "the bench table's markers are missing" };
  const block = texts.get(holder).match(markers("bench"))[1];
  const lines = block.split("\n").filter((l) => l.startsWith("|"));
  const cells = (l) =>
    l
      .slice(1, -1)
      .split(" | ")
      .map((c) => c.trim());
  const head = cells(lines[0]);
  const engines = head.slice(1, -1);
  const nodes = engines.map((e, i) => (e.startsWith("Node ") ? i : -1)).filter((i) => i >= 0);
  const others = engines.map((_, i) => i).filter((i) => !nodes.includes(i));
  const ratio = (cell) => cell?.match(/^([\d.]+)×/)?.[1];
  const range = (values) => {
    const v = values
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b);
    if (!v.length) return "—";
    return v[0] === v.at(-1) ? `${v[0].toFixed(2)}×` : `${v[0].toFixed(2)}–${v.at(-1).toFixed(2)}×`;
  };
  const nodeName = nodes.length > 1 ? `Node ${engines[nodes[0]].slice(5)}–${engines[nodes.at(-1)].slice(5)}` : engines[nodes[0]];
  const columns = [...(nodes.length ? [nodeName] : []), ...others.map((i) => engines[i])];
  const out = [`| operation | ${columns.join(" | ")} | target |`, `| --- | ${columns.map(() => "---").join(" | ")} | --- |`];
  // The rows a newcomer asks about first; the rest are in docs/costs.md.
  for (const id of ["construct", "construct-keeper", "grow", "buffer", "instance", "instance-keeper", "mdn", "snapshot-weak"]) {
    const c = CASES.find((k) => k.id === id);
    const line = c && lines.find((l) => cells(l)[0] === c.operation);
    if (!line) continue;
    const row = cells(line);
    const values = row.slice(1, -1);
    out.push(
      `| ${c.operation} | ${[...(nodes.length ? [range(nodes.map((i) => ratio(values[i])))] : []), ...others.map((i) => range([ratio(values[i])]))].join(" | ")} | ${row.at(-1)} |`,
    );
  }
  const run = block.match(/\((?:full|quick) run[^)]*\)/)?.[0] ?? "";
  out.push(
    "",
    `Polyfill / native, the ratio of the medians ${run}: 1.00× is the engine's own speed. ` +
      "Rows ending in *the weak bookkeeping* or *through `WeakRef.deref`* are against the floor instead: the engine's operation plus the least any ledger that keeps nothing alive must add (a `WeakMap` entry, a `FinalizationRegistry` registration and a `WeakRef` per memory; reading each size through its `WeakRef`). " +
      "The full table, with each cell's spread and more rows, where the time goes and what the guards cost: [docs/costs.md](docs/costs.md).",
  );
  return { body: out.join("\n") };
}

const TABLES = {
  engines: () => {
    const file = new URL("artifacts/engines.md", root);
    if (!existsSync(file)) return { missing: "artifacts/engines.md is missing: run node tests/engines/run.mjs first" };
    // The table and the list of failures, without the file's own heading and preamble; its
    // "## Cases the package fails" goes under docs/engines.md's "## Engine by engine".
    const text = readFileSync(file, "utf8");
    return {
      body: text
        .split("\n")
        .filter((_l, i, all) => i >= all.findIndex((x) => x.startsWith("|")))
        .join("\n")
        .trim()
        .replace(/^## /gm, "### "),
    };
  },
  bench: () => {
    const file = new URL("artifacts/bench/table.md", root);
    if (!existsSync(file)) return { missing: "artifacts/bench/table.md is missing: run bash scripts/bench.sh first" };
    return { body: readFileSync(file, "utf8").trim() };
  },
  costs: costsSummary,
};

let status = 0;
const changed = new Set();
for (const name of wanted) {
  if (!TABLES[name]) {
    console.error(`unknown table ${name}; known: ${Object.keys(TABLES).join(", ")}`);
    process.exit(64);
  }
  const made = TABLES[name]();
  if (made.missing) {
    console.error(made.missing);
    status = 1;
    continue;
  }
  const holder = holderOf(name);
  if (!holder) {
    status = 1;
    continue;
  }
  const text = texts.get(holder);
  const next = text.replace(markers(name), () => `<!-- ${name}:start -->\n${made.body}\n<!-- ${name}:end -->`);
  if (checkOnly) {
    if (next === text) console.log(`${holder}: ${name} table up to date`);
    else {
      console.error(`${holder}: the ${name} table is not what \`node scripts/readme-tables.mjs ${name}\` writes: run it`);
      status = 1;
    }
    continue;
  }
  console.log(next === text ? `${holder}: ${name} table unchanged` : `${holder}: ${name} table updated`);
  if (next !== text) {
    texts.set(holder, next);
    changed.add(holder);
  }
}
for (const f of changed) writeFileSync(new URL(f, root), texts.get(f));
process.exit(status);
