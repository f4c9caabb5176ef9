#!/usr/bin/env bash
# Runs every check CI runs, on a fresh machine too: ./ci.sh
# Installs what the tests need (a Python venv with jsonschema, the official SARIF
# schema from npm, openssh-server for the std.ssh test, the editor packages), then: format, lint, SARIF validation,
# editor tests and packaging, all Rust tests.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
cargo --version

step "test dependencies"
VENV=target/ci-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check jsonschema==4.26.0 PyYAML==6.0.4
fi
"$VENV/bin/python" -c "import yaml" 2>/dev/null \
  || "$VENV/bin/pip" install --quiet --disable-pip-version-check PyYAML==6.0.4
# std.ssh is tested against a real sshd on 127.0.0.1 (the test skips loudly without it).
if [ ! -x /usr/sbin/sshd ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client) \
    >/dev/null 2>&1 || echo "warning: could not install openssh-server; the std.ssh test will skip"
fi
mkdir -p /run/sshd 2>/dev/null || true
SCHEMA=target/sarif-schema/sarif-2.1.0.json
if [ ! -f "$SCHEMA" ]; then
  mkdir -p target/sarif-schema
  (cd target/sarif-schema && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null \
     && tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json \
     && mv package/lib/schemas/sarif-2.1.0-rtm.5.json sarif-2.1.0.json && rm -rf package ./*.tgz)
fi

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "build"
cargo build --quiet --bin gale

step "SARIF output validates against the official SARIF 2.1.0 schema"
"$VENV/bin/python" scripts/validate_sarif.py target/debug/gale "$SCHEMA"

step "JSON Schema of the DSL accepts every corpus file Mistral accepts"
if [ -d ../shared/corpus ]; then
  "$VENV/bin/python" grammar/validate_schema_corpus.py ../shared/corpus
elif [ -n "${CI:-}" ]; then
  echo "../shared/corpus is missing (CI must have ../shared beside the checkout)"; exit 1
else
  echo "SKIPPED: ../shared/corpus not found"
fi

step "editors: grammar tests, extension build and tests against the real server, .vsix"
GALE_BIN="$PWD/target/debug/gale" scripts/editors-ci.sh

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
  cargo test --workspace --doc --quiet
else
  cargo test --workspace --no-fail-fast
fi
