// Copies generated tables into README.md between their markers:
//   node scripts/readme-tables.mjs [engines] [bench]     (no argument: engines)
// - engines: artifacts/engines.md (written by tests/engines/run.mjs) between
//   <!-- engines:start --> and <!-- engines:end -->;
// - bench: artifacts/bench/table.md (written by benches/report.mjs; scripts/bench.sh runs this
//   after a full run of every engine) between <!-- bench:start --> and <!-- bench:end -->.
import { readFileSync, writeFileSync, existsSync } from "node:fs";

const readme = new URL("../README.md", import.meta.url);
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ["engines"];
const TABLES = {
  engines: {
    file: new URL("../artifacts/engines.md", import.meta.url),
    missing: "artifacts/engines.md is missing: run node tests/engines/run.mjs first",
    // The table and the list of failures, without the file's own heading and preamble.
    body: (text) => text.split("\n").filter((l, i, all) => i >= all.findIndex((x) => x.startsWith("|"))).join("\n").trim().replace(/^## /gm, "#### "),
  },
  bench: {
    file: new URL("../artifacts/bench/table.md", import.meta.url),
    missing: "artifacts/bench/table.md is missing: run bash scripts/bench.sh first",
    body: (text) => text.trim(),
  },
};

let text = readFileSync(readme, "utf8");
const before = text;
let status = 0;
for (const name of wanted) {
  const t = TABLES[name];
  if (!t) {
    console.error(`unknown table ${name}; known: ${Object.keys(TABLES).join(", ")}`);
    process.exit(64);
  }
  if (!existsSync(t.file)) {
    console.error(t.missing);
    status = 1;
    continue;
  }
  const marker = new RegExp(`<!-- ${name}:start -->[\\s\\S]*<!-- ${name}:end -->`);
  if (!marker.test(text)) {
    console.error(`README.md has no <!-- ${name}:start --> ... <!-- ${name}:end --> markers`);
    status = 1;
    continue;
  }
  const next = text.replace(marker, () => `<!-- ${name}:start -->\n${t.body(readFileSync(t.file, "utf8"))}\n<!-- ${name}:end -->`);
  console.log(next === text ? `README.md: ${name} table unchanged` : `README.md: ${name} table updated`);
  text = next;
}
if (text !== before) writeFileSync(readme, text);
process.exit(status);
