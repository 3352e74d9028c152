#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need, skipping what is already there.
# Safe to run again and again; used by scripts/test.sh, and with `--demo` by scripts/demo.sh:
# only what building and serving the demo needs (the Rust target, wasm-bindgen-cli, wasm-pack,
# the npm dev dependencies), no browsers, drivers, other engines or test programs.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=0
[ "${1:-}" = --demo ] && demo=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

# 1. The wasm32 target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 2. wasm-bindgen-cli, exactly the wasm-bindgen version in Cargo.lock (the two must match).
[ -f Cargo.lock ] || cargo generate-lockfile
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (have: ${have:-none}; ~5-10 min)"
  # Not --locked: its lock pins a webpki-roots release that crates.io no longer serves.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# 3. wasm-pack (no prebuilt downloads reach these machines; build it).
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (~5-15 min)"
  cargo install wasm-pack --locked
fi

# 4. Headless browsers and drivers from Debian (wasm-pack would otherwise try to download them).
#    Not for the demo: it is served, and opened in whatever browser the reader has.
need_apt=()
if [ $demo = 0 ]; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  [ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
  [ -x /usr/bin/firefox-esr ] || need_apt+=(firefox-esr)
  if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]} with apt-get"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
  if [ "${WMP_SKIP_FIREFOX:-}" != 1 ] && ! command -v geckodriver >/dev/null; then
    say "installing geckodriver 0.37.1 for wasm-pack test --firefox (~5 min)"
    cargo install geckodriver --version 0.37.1 --locked
  fi
fi

# 5. npm dev dependencies (vite, webpack, playwright-core, typescript, binaryen, the demo's programs).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
# 6. The other engines the tests run on (Node 20-26, Deno, Bun, WebKitGTK): scripts/engines.sh.
if [ $demo = 1 ]; then
  say "ready for the demo: $(wasm-bindgen --version), $(wasm-pack --version), node $(node --version)"
  exit 0
fi
if [ -f scripts/engines.sh ] && [ "${WMP_SKIP_ENGINES:-}" != 1 ]; then
  bash scripts/engines.sh
fi

# 7. The real third-party programs (pinned npm packages that ship wasm), offline from here on.
if [ -f tests/programs/package-lock.json ] && { [ ! -d tests/programs/node_modules ] ||
  [ tests/programs/package-lock.json -nt tests/programs/node_modules/.package-lock.json ]; }; then
  say "installing the real programs' packages (tests/programs)"
  npm ci --prefix tests/programs --no-audit --no-fund --loglevel=error
fi
say "ready: $(wasm-bindgen --version), $(wasm-pack --version), $(/usr/bin/chromium --version 2>/dev/null | head -1), node $(node --version)"
