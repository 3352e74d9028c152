#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack (target web), wasm-opt -Oz from the npm binaryen
# package, then the JS bundled per entry (scripts/bundle.mjs: rolldown, then terser), the types,
# licenses, the README and docs/*.md (its links point there), and package.json from
# pkg.json.template. Prints the sizes at the end.
# Only generated files go to generated/ (gitignored): wasm-bindgen's glue and the wasm, which the
# entries of js/ import by that path. After a build the source tree runs as it ships, unbundled
# (`import("./js/node.js")` in Node): the bundler's input, and what `benches/run.mjs --steps`
# loads module by module. Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

profile=${1:---release}
generated=generated
rm -rf pkg "$generated" # start empty, as on a fresh clone: package.json's "files" lists what pkg/ holds
# --no-default-features: the shipped wasm is built without std (see Cargo.toml's `std` feature).
wasm-pack build "$profile" --target web --out-dir "$generated" --out-name wasm_memory_polyfill --no-pack -- --no-default-features >/dev/null 2>&1 \
  || wasm-pack build "$profile" --target web --out-dir "$generated" --out-name wasm_memory_polyfill --no-pack -- --no-default-features
wasm=$generated/wasm_memory_polyfill_bg.wasm
node scripts/export-stack-pointer.mjs "$wasm"
if [ "$profile" = --release ]; then
  # --low-memory-unused: rustc's wasm32 layout puts the 1 MiB stack first, growing down to
  # address 0, so the low 1 KiB is touched only at a stack depth this module never nears (no
  # recursion); binaryen may then fold address arithmetic into load/store offsets (a smaller module).
  node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
fi
mkdir pkg
minify=()
[ "$profile" = --release ] && minify=(--minify)
js_sizes=$(node scripts/bundle.mjs pkg ${minify[@]+"${minify[@]}"})
cp "$wasm" js/index.d.ts js/overlay.d.ts js/report.d.ts pkg/
chmod +x pkg/cli.js # the package's "bin"
# The license texts, the README and the documents it links to (docs/*.md; not the images) first:
# package.json's "files" lists what pkg/ holds at this point.
cp README.md LICENSE-MIT LICENSE-APACHE pkg/
mkdir pkg/docs && cp docs/*.md pkg/docs/
node scripts/package-json.mjs pkg.json.template Cargo.toml pkg/package.json

wasm=pkg/wasm_memory_polyfill_bg.wasm
wasm_gzip=$(gzip -9nc "$wasm" | wc -c)
printf 'package built in pkg/: wasm %d bytes (%d gzip); %s\n' "$(wc -c < "$wasm")" "$wasm_gzip" "$js_sizes"
# The wasm's ceiling (scripts/bundle.mjs checks the JS's): scripts/size-ceilings.json.
ceiling=$(node -p 'require("./scripts/size-ceilings.json").wasmGzip')
if [ "$profile" = --release ] && [ "$wasm_gzip" -gt "$ceiling" ]; then
  echo "build.sh: the wasm is $wasm_gzip bytes gzip, over its ceiling of $ceiling (scripts/size-ceilings.json)" >&2
  exit 1
fi
