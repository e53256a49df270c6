#!/usr/bin/env bash
# `npm run build:node`: Node 20 runs no TypeScript, so bundle the CLI and the worker entry (every
# worker file must be an entrypoint) into plain ES modules under dist/node/. Dependencies stay
# external: they load from node_modules as usual. Then: node dist/node/cli.js serve
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist/node
node_modules/.bin/bun build --target=node --packages=external --outdir dist/node \
  src/cli.ts src/workers/worker-entry.ts
