#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack (target web), wasm-opt -Oz from the npm binaryen
# package, the hand-written entries from js/, and package.json from pkg.json.template.
# Prints the sizes at the end. Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

profile=${1:---release}
rm -rf pkg # start empty, as on a fresh clone: package.json's "files" lists what is here
wasm-pack build "$profile" --target web --out-dir pkg --out-name wasm_memory_polyfill --no-pack -- --no-default-features >/dev/null 2>&1 \
  || wasm-pack build "$profile" --target web --out-dir pkg --out-name wasm_memory_polyfill --no-pack -- --no-default-features
wasm=pkg/wasm_memory_polyfill_bg.wasm
if [ "$profile" = --release ]; then
  node_modules/.bin/wasm-opt -Oz --converge --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
fi
cp js/index.js js/node.js js/auto.js js/overlay.js js/index.d.ts js/overlay.d.ts src/js/*.js pkg/
rm -f pkg/.gitignore
# The license texts and README first: package.json's "files" lists what pkg/ holds at this point.
cp README.md LICENSE-MIT LICENSE-APACHE pkg/
node scripts/package-json.mjs pkg.json.template Cargo.toml pkg/package.json

# Minify the shipped JS (terser, from webpack's dependencies): names of functions and classes are
# kept, because `WebAssembly.Memory.name` and method names are observable API.
if [ "$profile" = --release ]; then
  for f in pkg/*.js; do
    node_modules/.bin/terser "$f" --module --compress --mangle --keep-fnames --keep-classnames -o "$f.min" && mv "$f.min" "$f"
  done
fi

gz() { gzip -9c "$1" | wc -c; }
js_total=0
for f in pkg/*.js; do
  case $f in pkg/node.js | pkg/auto.js | pkg/overlay.js | pkg/realms.js) continue ;; esac # the browser path: glue + entry + src/js
  js_total=$((js_total + $(gz "$f")))
done
printf 'package built in pkg/: wasm %d bytes (%d gzip), JS %d bytes gzip (glue + entry + src/js); overlay entry %d bytes gzip (not on that path); realms.js %d bytes gzip (loaded by share() only)\n' \
  "$(wc -c < "$wasm")" "$(gz "$wasm")" "$js_total" "$(gz pkg/overlay.js)" "$(gz pkg/realms.js)"
