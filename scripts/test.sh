#!/usr/bin/env bash
# The whole test suite (`npm test`): type-check, pull model weights (sha256-checked, cached),
# make sure Debian's Chromium (browser tests) and PostgreSQL (gallery tests) are there, then run
# every bun test.
set -euo pipefail
cd "$(dirname "$0")/.."
bun=node_modules/.bin/bun

echo "== type-check"
node_modules/.bin/tsc --noEmit -p .

echo "== lint (Biome: the layout's import rules as errors, see biome.json)"
node_modules/.bin/biome lint --diagnostic-level=error src test scripts

echo "== format (Biome: npx biome format --write src test scripts fixes it)"
node_modules/.bin/biome format src test scripts

echo "== pull model weights"
"$bun" src/cli.ts pull

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "could not install chromium: the browser tests will fail"
  else
    echo "chromium not found and not root: the browser tests will fail (apt-get install chromium)"
  fi
fi

# The gallery tests start a throwaway PostgreSQL server (test/pg-server.ts) from Debian's binaries.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian postgresql for the gallery tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1 \
      || echo "could not install postgresql: the gallery's PostgreSQL tests will fail"
  else
    echo "postgresql not found and not root: the gallery's PostgreSQL tests will fail (apt-get install postgresql)"
  fi
fi

echo "== bun test"
# A skipped test hides what it should check (a runtime that did not start, a missing tool): any
# skip fails the run, whatever the tests themselves decided.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# Model loading and end-to-end server tests need more than Bun's 5 s default on a busy machine.
"$bun" test --timeout 60000 "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# (|| true: with no skip line grep fails, and under pipefail and -e that alone ended the run with 1)
skipped=$( (grep -E '^ *[0-9]+ skip$' "$log" || true) | tail -1 | tr -dc '0-9')
if [ "${skipped:-0}" -gt 0 ]; then
  echo "== $skipped test(s) skipped: a skipped test counts as a failure"
  grep -E '^\(skip\)' "$log" || true
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
