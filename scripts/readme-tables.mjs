// Copies generated tables into README.md between their markers: artifacts/engines.md (written by
// tests/engines/run.mjs) between <!-- engines:start --> and <!-- engines:end -->.
import { readFileSync, writeFileSync, existsSync } from "node:fs";

const readme = new URL("../README.md", import.meta.url);
const engines = new URL("../artifacts/engines.md", import.meta.url);
if (!existsSync(engines)) {
  console.error("artifacts/engines.md is missing: run node tests/engines/run.mjs first");
  process.exit(1);
}
// The table and the list of failures, without the file's own heading and preamble.
const body = readFileSync(engines, "utf8").split("\n").filter((l, i, all) => i >= all.findIndex((x) => x.startsWith("|"))).join("\n").trim();
const text = readFileSync(readme, "utf8");
const out = text.replace(/<!-- engines:start -->[\s\S]*<!-- engines:end -->/, `<!-- engines:start -->\n${body.replace(/^## /gm, "#### ")}\n<!-- engines:end -->`);
writeFileSync(readme, out);
console.log(out === text ? "README.md: engines table unchanged" : "README.md: engines table updated");
