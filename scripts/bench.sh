#!/usr/bin/env bash
# Benchmarks (issue #6): the polyfill against the engine's own WebAssembly.Memory, in Node and in
# headless Chromium, with tinybench. Prints one table per environment (operation, native and
# polyfill medians, ratio, target, met?) and writes artifacts/bench/{node,chromium,results}.json
# and artifacts/bench/results.md. Takes a few minutes on 2 cores; only ratios measured in the
# same run are meaningful.
#
#   bash scripts/bench.sh [all|node|chromium] [--quick] [--strict] [--only=ID,ID...]
#     --quick   fewer rounds and shorter runs (rough numbers, under a minute)
#     --strict  exit 2 when a target is missed or a check fails
#     --only=   just these cases (ids: construct construct-max grow buffer mdn install-instantiate
#               install-instance snapshot snapshot-array construct-populated grow-populated)
# Needs: node, node_modules (tinybench, playwright-core), /usr/bin/chromium (or $CHROMIUM), pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."

which=all
flags=()
strict=()
for arg in "$@"; do
  case "$arg" in
    all | node | chromium) which=$arg ;;
    --quick | --only=*) flags+=("$arg") ;;
    --strict) strict+=(--strict) ;;
    *) echo "usage: bash scripts/bench.sh [all|node|chromium] [--quick] [--strict] [--only=ID,...]" >&2; exit 64 ;;
  esac
done

if [ ! -f pkg/node.js ] || [ ! -f pkg/index.js ] || [ ! -f pkg/wasm_memory_polyfill_bg.wasm ]; then
  echo "pkg/ is missing: building it (scripts/build.sh)"
  bash scripts/build.sh
fi
mkdir -p artifacts/bench

# Both environments measure the same bytes: a snapshot of pkg/ taken now (a rebuild of pkg/
# during the run, e.g. by scripts/test.sh, would otherwise change the package mid-way).
snapshot=$(mktemp -d "${TMPDIR:-/tmp}/wmp-bench.XXXXXX")
trap 'rm -rf "$snapshot"' EXIT
cp -R pkg "$snapshot/pkg"
export BENCH_PKG="$snapshot/pkg"

status=0
envs=()
if [ "$which" = all ] || [ "$which" = node ]; then
  envs+=(node)
  rm -f artifacts/bench/node.json
  node --expose-gc benches/node.mjs ${flags[@]+"${flags[@]}"} || status=1
fi
if [ "$which" = all ] || [ "$which" = chromium ]; then
  envs+=(chromium)
  rm -f artifacts/bench/chromium.json
  node benches/chromium.mjs ${flags[@]+"${flags[@]}"} || status=1
fi
node benches/report.mjs "${envs[@]}" ${strict[@]+"${strict[@]}"} || { rc=$?; [ "$status" = 0 ] && status=$rc; }
exit "$status"
