#!/usr/bin/env bash
# Benchmarks (issues #6, #13): the polyfill against the engine's own WebAssembly.Memory in every
# engine of tests/engines (Node 20/22/24/26, Deno, Bun, Chromium, Firefox, WebKitGTK; browsers
# driven as the engines tests drive them), native and polyfill alternating in the same run.
# Prints and writes per engine each ratio with the spread of its per-round ratios (IQR), and
# `ledger.snapshot()` against its floor: artifacts/bench/{<engine>,results}.json,
# artifacts/bench/results.md and artifacts/bench/table.md. A full run of every engine also puts
# table.md into docs/costs.md, and its summary into the README's "Costs in one table"
# (scripts/readme-tables.mjs bench). Only ratios measured in the same
# run mean anything on these shared 2-core machines; nothing here is a pass/fail test.
#
#   bash scripts/bench.sh [--quick] [--engines=node20,deno,chromium,...] [--only=CASE,...] [--strict]
#     --quick    fewer, shorter rounds (rough figures; about 1–2 minutes for every engine)
#     --engines  just these engines (node20 node22 node24 node26 deno bun chromium firefox webkitgtk)
#     --only     just these cases (construct construct-max grow buffer instance instance-pre mdn module module-hard snapshot
#                construct-keeper instance-keeper)
#     --strict   exit 2 when a target is missed or a check fails
# A full run takes 3–5 minutes here. Needs: node, node_modules (playwright-core, puppeteer-core),
# .engines/ (scripts/engines.sh), chromium, firefox-esr, WebKitWebDriver + Xvfb, and pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
strict=()
full=1
for arg in "$@"; do
  case "$arg" in
    --quick) args+=("$arg"); full=0 ;;
    --engines=* | --only=*) args+=("$arg"); full=0 ;;
    --strict) strict+=(--strict) ;;
    *) echo "usage: bash scripts/bench.sh [--quick] [--engines=ID,...] [--only=CASE,...] [--strict]" >&2; exit 64 ;;
  esac
done

if [ ! -f pkg/node.js ] || [ ! -f pkg/index.js ] || [ ! -f pkg/wasm_memory_polyfill_bg.wasm ]; then
  echo "pkg/ is missing: building it (scripts/build.sh)"
  bash scripts/build.sh
fi
mkdir -p artifacts/bench
rm -f artifacts/bench/*.json

# Every engine measures the same bytes: a copy of pkg/ taken now (a rebuild of pkg/ during the
# run, e.g. by scripts/test.sh, would otherwise change the package mid-way).
snapshot=$(mktemp -d "${TMPDIR:-/tmp}/wmp-bench.XXXXXX")
trap 'rm -rf "$snapshot"' EXIT
cp -R pkg "$snapshot/pkg"
export BENCH_PKG="$snapshot/pkg"

status=0
node benches/run.mjs ${args[@]+"${args[@]}"} || status=1
node benches/report.mjs ${strict[@]+"${strict[@]}"} || { rc=$?; [ "$status" = 0 ] && status=$rc; }
if [ "$full" = 1 ] && [ "$status" = 0 ]; then node scripts/readme-tables.mjs bench; fi
exit "$status"
