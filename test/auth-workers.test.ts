// Auth on the Cloudflare Workers build (`wrangler dev --local`, workerd, offline): the hashed keys
// come from the API_KEYS secret (here an --env-file, as `.dev.vars` would give it), in the key
// file's format; the same scope table answers 401/403/200.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKeyFile, generateKey } from '../src/auth/keys.ts';
import { FIXTURES, ROOT } from './helpers.ts';
import { freePort } from './server-process.ts';

const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const jpeg = readFileSync(join(FIXTURES, 'astronaut.jpg'));

let proc: ChildProcess;
let url = '';
let out = '';
const keys: Record<string, string> = {};

describe('Workers: keys from the API_KEYS secret', () => {
  beforeAll(async () => {
    const made = await Promise.all([generateKey({ scopes: ['infer'] }), generateKey({ scopes: ['metrics'] })]);
    [keys.infer, keys.metrics] = made.map((m) => m.key);
    const envFile = join(mkdtempSync(join(tmpdir(), 'edgeserve-wr-')), 'secrets.env');
    writeFileSync(envFile, `API_KEYS='${formatKeyFile(made.map((m) => m.record)).replace(/\n\s*/g, '')}'\n`, { mode: 0o600 });
    const port = await freePort();
    proc = spawn('node', [WRANGLER, 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--env-file', envFile], {
      cwd: ROOT,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        CI: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = await new Promise<boolean>((resolve) => {
      const onData = (d: Buffer) => {
        out += d;
        if (/Ready on http/.test(out)) resolve(true);
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', () => resolve(false));
      setTimeout(() => resolve(false), 90_000);
    });
    if (!ready) throw new Error(`wrangler dev did not start:\n${out}`);
    url = `http://127.0.0.1:${port}`;
  }, 120_000);
  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
  });

  test('401 without a key, 403 without the scope, 200 with it; the key nowhere in the output', async () => {
    const detect = (h: Record<string, string>) =>
      fetch(`${url}/v1/faces/detect`, { method: 'POST', body: jpeg, headers: { 'content-type': 'image/jpeg', ...h } });
    const none = await detect({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="edgeserve"');
    expect((await detect({ 'x-api-key': keys.metrics })).status).toBe(403);
    const infer = {
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(1) },
      ],
    };
    const ok = await fetch(`${url}/v2/models/simple/infer`, {
      method: 'POST',
      body: JSON.stringify(infer),
      headers: { authorization: `Bearer ${keys.infer}`, 'content-type': 'application/json' },
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { outputs: Array<{ name: string; data: number[] }> }).outputs.find((o) => o.name === 'OUTPUT0')!.data[15]).toBe(16);
    const m = await fetch(`${url}/metrics`, { headers: { 'x-api-key': keys.metrics } });
    expect(m.status).toBe(200);
    expect(await m.text()).toMatch(/edgeserve_auth_requests_total\{principal="es_[0-9a-f]{12}"\} 1/);
    expect(out).toContain('auth: 2 API keys (the API_KEYS secret)');
    for (const k of Object.values(keys)) expect(out.includes(k.slice(16))).toBe(false);
  }, 60_000);
});
