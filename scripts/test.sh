#!/usr/bin/env bash
# Runs every test: host `cargo test`, the wasm-bindgen tests in Node, headless Chromium and
# headless Firefox, the built package in Node, the bundler/TypeScript consumers, and the demo in
# a real headless browser, and the differential fuzz/reliability suite in Node, Chromium and
# Firefox (fixed seed; `node tests/fuzz/run.mjs --long` for the long run), the hostile-input stack
# sweep in Chromium and Firefox (tests/hostile/run.mjs), and the reservation model against every
# engine (tests/limits/run.mjs). Installs what it needs
# first (scripts/setup.sh). Ends with one line:
# "total: N passed, N failed". Exit status 0 only if nothing failed.
# `bash scripts/test.sh STEP...` runs only the named steps (e.g. `host`, `fuzz`); `build` is the
# package the JS steps test, so run it first when the Rust changed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
logs=artifacts/logs
mkdir -p "$logs"

bash scripts/setup.sh || { echo "setup failed"; echo "total: 0 passed, 1 failed"; exit 1; }

passed=0 failed=0
summary=()

# Adds up what a runner's own summary lines say: cargo/wasm-bindgen-test ("test result: ...
# N passed; M failed"), node --test ("# pass N" / "# fail M") and our scripts ("N passed, M failed").
count() {
  local log=$1
  awk '
    /test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    /^# pass / { p += $3 } /^# fail / { f += $3 }
    /^[a-z-]*:? ?[0-9]+ passed, [0-9]+ failed/ { sub(/^[a-z-]*: /, ""); p += $1; f += $3 }
    END { printf "%d %d\n", p, f }' "$log"
}

only=("$@")
step() {
  local name=$1; shift
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then return 0; fi
  local log="$logs/$name.log"
  printf '\033[1m==> %s\033[0m: %s\n' "$name" "$*"
  local start=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  read -r p f < <(count "$log")
  if [ "$p" = 0 ] && [ "$f" = 0 ]; then
    # A check with no test count of its own (fmt, clippy, a build) counts as one test.
    if [ $rc = 0 ]; then p=1; else f=1; fi
  elif [ $rc != 0 ] && [ "$f" = 0 ]; then
    f=1 # the runner failed without saying which test
  fi
  passed=$((passed + p)); failed=$((failed + f))
  local status=ok; [ $rc = 0 ] && [ "$f" = 0 ] || status=FAILED
  summary+=("$(printf '%-16s %-6s %4d passed %3d failed  %4ds' "$name" "$status" "$p" "$f" $((SECONDS - start)))")
  if [ "$status" != ok ]; then tail -n 40 "$log"; fi
  echo "    $status: $p passed, $f failed ($log)"
  [ "$status" = ok ]
}

# The wasm-bindgen tests in a headless browser. The runner's own test server (tiny_http 0.12) can
# leave one of the page's module requests unanswered when the browser opens several connections
# at once (a lost wake-up in its task pool; about one run in three here): Firefox keeps one
# connection per server (webdriver.json) and Chromium goes through tests/wasm-browser/serial-proxy.mjs.
# pageLoadStrategy "none" turns any stall left into a timeout, and only that case is retried; a
# failed assertion never is. Exactly one driver variable may be set per run. WebKitGTK runs through
# the runner's Safari support: WebKitWebDriver answers to the name `safaridriver`, under Xvfb; it
# takes no proxy, so only the retry covers it. Each attempt may take 60 s (WebKit: 90 s): on a
# machine whose cores are busy with other work, WebKitGTK's start and the suite took more than the
# 20 s it once had, every time, so all four attempts timed out; a stalled page still ends the
# attempt, only later.
wasm_pack_browser() {
  local browser=$1 try out rc proxy="" config drivers=""
  if [ "$browser" = safari ]; then
    drivers=$(mktemp -d) && ln -s "$(command -v WebKitWebDriver)" "$drivers/safaridriver"
  fi
  if [ "$browser" = chrome ]; then
    config=$(mktemp -d)/webdriver.json
    node tests/wasm-browser/serial-proxy.mjs "$config" & proxy=$!
    for _ in $(seq 50); do [ -s "$config" ] && break; sleep 0.1; done
  fi
  for try in 1 2 3 4; do
    if [ "$browser" = safari ]; then
      out=$(env -u CHROMEDRIVER -u GECKODRIVER PATH="$drivers:$PATH" WASM_BINDGEN_TEST_TIMEOUT=90 \
        xvfb-run -a wasm-pack test --headless --safari 2>&1)
    elif [ "$browser" = chrome ]; then
      out=$(env -u GECKODRIVER CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON="$config" \
        WASM_BINDGEN_TEST_TIMEOUT=60 wasm-pack test --headless --chrome 2>&1)
    else
      out=$(env -u CHROMEDRIVER GECKODRIVER="$(command -v geckodriver)" WASM_BINDGEN_TEST_TIMEOUT=60 wasm-pack test --headless --firefox 2>&1)
    fi
    rc=$?
    printf '%s\n' "$out"
    if [ $rc = 0 ] || [ $try = 4 ] || grep -q "test result: " <<<"$out" \
      || ! grep -q -e "Failed to detect test as having been run" -e "Timed out receiving message from renderer" <<<"$out"; then
      break
    fi
    echo "(attempt $try: the page never finished loading its scripts; retrying)"
  done
  if [ -n "$proxy" ]; then kill "$proxy"; wait "$proxy" 2>/dev/null; rm -rf "$(dirname "$config")"; fi
  [ -z "$drivers" ] || rm -rf "$drivers"
  return $rc
}

# The documents: every relative link resolves (file and anchor) and lands on a file the package
# ships; the README's costs summary is the one docs/costs.md's bench table gives. Offline, fast.
step docs bash -c 'node scripts/check-links.mjs && node scripts/readme-tables.mjs --check costs'
step fmt cargo fmt --all -- --check
# The JS: formatted and linted by Biome (pinned in package.json; biome.jsonc says what is off and why).
step js-lint node_modules/.bin/biome ci --error-on-warnings --colors=off .
step clippy-host cargo clippy --workspace --all-targets -- -D warnings
step clippy-wasm cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
# The shipped wasm is built without std (scripts/build.sh): lint that configuration too.
step clippy-wasm-no-std cargo clippy --lib --target wasm32-unknown-unknown --no-default-features -- -D warnings
step host cargo test --workspace
step wasm-node wasm-pack test --node
step wasm-chrome wasm_pack_browser chrome
[ "${WMP_SKIP_FIREFOX:-}" = 1 ] || step wasm-firefox wasm_pack_browser firefox
command -v WebKitWebDriver >/dev/null && step wasm-webkit wasm_pack_browser safari
step build bash scripts/build.sh
step node node --expose-gc --test tests/js/
step consumers node tests/consumers/run.mjs
step demo node tests/demo/run.mjs
step extension node tests/extension/run.mjs
step fuzz node tests/fuzz/run.mjs
step hostile node tests/hostile/run.mjs
# Failures explained, for instances: an out-of-memory refusal provoked natively in each browser.
step failures node tests/failures/run.mjs
[ -f tests/programs/run.mjs ] && step programs node tests/programs/run.mjs
# The reporter (`node --import wasm-memory-polyfill/report`, `bun --preload`) and the bin, on real programs.
[ -f tests/report/run.mjs ] && step report node tests/report/run.mjs
# The engine table (docs/engines.md) comes only from a full engines run made by this invocation.
if [ -f tests/engines/run.mjs ] && { [ ${#only[@]} = 0 ] || [[ " ${only[*]} " == *" engines "* ]]; }; then
  step engines node tests/engines/run.mjs && node scripts/readme-tables.mjs >/dev/null
fi
step realms node tests/realms/run.mjs
# The reservation model (crates/core/src/reserve.rs) against every engine: headroom predicted,
# then memories made natively until the engine refuses (tests/limits/run.mjs).
step limits node tests/limits/run.mjs

echo
printf '%s\n' "${summary[@]}"
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
