#!/usr/bin/env bash
# The main job: installs what it needs, builds the package, runs the MDN example in Node, then
# builds and serves the demo in www/ and prints its URL. `--no-serve` stops after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh --demo # no browsers: the demo is served
bash scripts/build.sh
node www/mdn-node.mjs
if [ "${1:-}" = --no-serve ]; then exit 0; fi
if [ -f www/vite.config.js ]; then
  npx vite build www --logLevel warn
  echo "demo: http://127.0.0.1:${PORT:-5173}/ (Ctrl-C to stop)"
  exec npx vite preview www --host 127.0.0.1 --port "${PORT:-5173}" --strictPort
fi
