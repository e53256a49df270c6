// SIGTERM/SIGINT → graceful stop, then exit; for every server root (Bun, Deno, the binary).
// Installed once per process: under `bun --hot` the root runs again on every reload, and a
// listener per reload would pile up. The handler stops whichever server registered last.

import type { RunningServer } from './stack.ts';

const LATEST = Symbol.for('edgeserve.signals.server');
const g = globalThis as typeof globalThis & { [LATEST]?: RunningServer };

export function exitOnSignals(s: RunningServer): void {
  const installed = g[LATEST] !== undefined;
  g[LATEST] = s;
  if (installed) return;
  const onSignal = () => {
    void g[LATEST]!.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
