#!/usr/bin/env bash
# Editor tooling checks: TextMate grammar tests (grammar/), the VS Code extension's
# type-check, unit tests, stdio test of `gale lsp`, bundle, and `vsce package`.
# Usage: scripts/editors-ci.sh   (from anywhere; needs node >= 20 and npm)
# Env: GALE_BIN=path/to/gale for the LSP test (default target/debug/gale; with CI set a
#      missing binary fails the LSP test, otherwise it is skipped loudly).
# Prints `editors: N passed, M failed` last; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export GALE_BIN="${GALE_BIN:-$ROOT/target/debug/gale}"
NPM_FLAGS=(--no-audit --no-fund --prefer-offline --loglevel=error)
LOG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gale-editors-ci.XXXXXX")
passed=0
failed=0
failures=()

step() { printf '\n==> %s\n' "$*"; }
# run NAME CMD... : a step that counts as one check
run() {
  local name=$1; shift
  step "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}
# npm ci, skipped when node_modules was installed by this script from the same lock file
install() {
  local dir=$1 stamp="$1/node_modules/.gale-ci-lock.sha256" hash
  hash=$( (cat "$dir/package-lock.json"; node --version) | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    echo "$dir: node_modules matches package-lock.json"
    return 0
  fi
  (cd "$dir" && npm ci "${NPM_FLAGS[@]}") && echo "$hash" >"$stamp"
}

# Grammar tests: one check per test file, counted from the tool's per-file lines.
grammar_tests() {
  local out="$LOG_DIR/grammar.log"
  (cd grammar && npx --no-install vscode-tmgrammar-test --compact 'tests/**/*.mistral.yaml') >"$out" 2>&1
  local rc=$?
  cat "$out"
  local ok bad
  ok=$(grep -c '^✓' "$out" || true)
  bad=$(grep -c '^ERROR\|^✖\|^✗' "$out" || true)
  files=$(grep -o '^ERROR [^:]*' "$out" | sort -u | wc -l)
  passed=$((passed + ok)); failed=$((failed + files))
  if [ "$rc" -ne 0 ] && [ "$files" -eq 0 ]; then failed=$((failed + 1)); fi
  [ "$rc" -eq 0 ] || failures+=("grammar tests ($bad assertion errors)")
  echo "grammar: $ok files passed, $files failed ($(grep -c '^#\s*\(\^\|<-\)' grammar/tests/*.mistral.yaml | awk -F: '{s+=$2} END {print s}') assertions)"
}

# Extension unit + LSP tests with node's test runner; counted from its summary.
extension_tests() {
  local out="$LOG_DIR/extension-tests.log"
  (cd editors/vscode && npx --no-install tsc -p tsconfig.test.json && node --test out/test/*.test.js) >"$out" 2>&1
  local rc=$?
  grep -E '^(not ok|ok|# (tests|pass|fail|skipped))|SKIPPED|^#.*Error' "$out"
  local ok bad
  ok=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out" | tail -1)
  bad=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out" | tail -1)
  passed=$((passed + ${ok:-0})); failed=$((failed + ${bad:-0}))
  if [ "$rc" -ne 0 ]; then
    [ "${bad:-0}" -gt 0 ] || failed=$((failed + 1))
    failures+=("extension tests"); tail -40 "$out"
  fi
}

package_vsix() {
  local version
  version=$(node -p 'require("./editors/vscode/package.json").version')
  local vsix="gale-$version.vsix"
  rm -f "editors/vscode/$vsix"
  (cd editors/vscode && npx --no-install vsce package --no-dependencies --allow-missing-repository --skip-license -o "$vsix" </dev/null) || return 1
  # The VSIX must hold the bundle, both grammars, the language configuration and the manifest.
  local listing
  listing=$(unzip -Z1 "editors/vscode/$vsix") || return 1
  for f in extension/package.json extension/dist/extension.js extension/language-configuration.json \
           extension/dist/syntaxes/mistral.tmLanguage.json \
           extension/dist/syntaxes/mistral-expressions.injection.tmLanguage.json; do
    grep -qx "$f" <<<"$listing" || { echo "missing from $vsix: $f"; return 1; }
  done
  if grep -q 'node_modules\|/src/\|\.ts$' <<<"$listing"; then echo "$vsix contains sources or node_modules"; return 1; fi
  echo "built editors/vscode/$vsix"
}

step "toolchain"
node --version && npm --version || { echo "editors: 0 passed, 1 failed"; exit 1; }

run "npm ci (grammar)" install grammar
run "npm ci (editors/vscode)" install editors/vscode
step "grammar tests"
grammar_tests
run "sync grammars + type-check + bundle (tsc, esbuild)" bash -c 'cd editors/vscode && npm run --silent build'
step "extension tests (unit + gale lsp over stdio)"
extension_tests
run "vsce package" package_vsix
run "helix languages.toml parses" python3 -c 'import sys, tomllib; d = tomllib.load(open(sys.argv[1], "rb")); assert d["language"][0]["language-servers"] == ["gale"], d' editors/helix/languages.toml

rm -rf "$LOG_DIR"
if [ "$failed" -ne 0 ]; then
  printf '\nfailed: %s\n' "${failures[@]}"
fi
echo "editors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
