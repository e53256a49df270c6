#!/usr/bin/env bash
# The whole test suite (`npm test`): type-check, pull model weights (sha256-checked, cached),
# make sure Debian's Chromium is there for the browser tests, then run every bun test.
set -euo pipefail
cd "$(dirname "$0")/.."
bun=node_modules/.bin/bun

echo "== type-check"
node_modules/.bin/tsc --noEmit -p .

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

echo "== bun test"
exec "$bun" test "$@"
