// Starts `wrangler dev --local` (workerd, offline, no login) on a free port for the Workers
// tests, with Node (wrangler under Bun answers 503) and its telemetry off, and a fresh local
// state directory (D1 databases, caches) so a run never sees an earlier run's rows. Waits for
// wrangler's "Ready on" line, not for a request: the first request must find a cold isolate.
// Never skips: a Worker that cannot start resolves to { fail } with wrangler's output, and the
// tests throw it.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';
import { freePort } from './server-process.ts';

export const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const START_TIMEOUT_MS = 60_000;

export interface Wrangler {
  url: string;
  startMs: number;
  output: () => string;
  stop: () => Promise<void>;
}

export type Started = { ok: Wrangler } | { fail: string };

export async function startWrangler(o: { config?: string } = {}): Promise<Started> {
  if (!existsSync(WRANGLER)) return { fail: 'wrangler is not installed (npm install)' };
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'edgeserve-wrangler-'));
  const t0 = performance.now();
  let proc: ChildProcess;
  try {
    proc = spawn(
      'node',
      [WRANGLER, 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state, ...(o.config ? ['-c', o.config] : [])],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          WRANGLER_HIDE_BANNER: 'true', // also skips the npm update check (network)
          CI: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  } catch (e) {
    rmSync(state, { recursive: true, force: true });
    return { fail: `cannot run node: ${(e as Error).message}` };
  }
  let out = '';
  // A spawn that fails (no node) emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.once('error', () => resolve());
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      // wrangler ends its workerd and esbuild children on SIGTERM.
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    }
    rmSync(state, { recursive: true, force: true });
  };
  const ready = new Promise<boolean>((resolve) => {
    const onData = (d: Buffer) => {
      out += d;
      if (/Ready on http/.test(out)) resolve(true);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('error', (e) => {
      out += String(e);
      resolve(false);
    });
    proc.once('exit', () => resolve(false));
    setTimeout(() => resolve(false), START_TIMEOUT_MS);
  });
  if (await ready) return { ok: { url: `http://127.0.0.1:${port}`, startMs: performance.now() - t0, output: () => out, stop } };
  await stop();
  if (/Build failed|✘ \[ERROR\]/.test(out)) return { fail: `wrangler could not build the Worker:\n${out}` };
  return { fail: `wrangler dev did not start in ${START_TIMEOUT_MS / 1000} s:\n${out.slice(-2000)}` };
}
