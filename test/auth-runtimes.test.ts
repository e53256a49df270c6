// The Node and Deno roots pass the socket peer's address to auth, as Bun's does (the network
// namespace test in auth-server.test.ts checks the non-loopback side on Bun): with no keys, the
// loopback-only repository routes answer 127.0.0.1 (a missing address would be refused), and a
// request carrying an untrusted proxy header does not; with a key file, a route needs its scope.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey } from '../src/auth/keys.ts';
import { updateKeys } from '../src/runtime/auth-store.ts';
import { ROOT } from './helpers.ts';
import { type Child, startChild } from './runtime-process.ts';

const DENO = join(ROOT, 'node_modules', '.bin', 'deno');

/** `deno task start`'s command line from deno.json (JSONC: whole-line // comments only). */
function denoTask(): string[] {
  const text = readFileSync(join(ROOT, 'deno.json'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*\/\//.test(l))
    .join('\n');
  return (JSON.parse(text) as { tasks: Record<string, string> }).tasks.start.split(' ').slice(1);
}

const roots: Array<[string, () => { cmd: string; args: string[] }]> = [
  ['node dist/node/cli.js serve', () => ({ cmd: 'node', args: [join(ROOT, 'dist', 'node', 'cli.js'), 'serve'] })],
  ['deno task start', () => ({ cmd: DENO, args: denoTask() })],
];

for (const [name, how] of roots) {
  describe(name, () => {
    let keyless: Child;
    let keyed: Child;
    let key = '';
    beforeAll(async () => {
      if (name.startsWith('node')) {
        const b = spawnSync('bash', ['scripts/build-node.sh'], { cwd: ROOT, encoding: 'utf8' });
        if (b.status !== 0) throw new Error(`build:node failed:\n${b.stdout}${b.stderr}`);
      }
      // Inside the checkout: the Deno task may read only there.
      const dir = mkdtempSync(join(ROOT, '.cache', 'auth-runtimes-'));
      const made = await generateKey({ scopes: ['infer'] });
      key = made.key;
      updateKeys(join(dir, 'keys.json'), () => [made.record]);
      const { cmd, args } = how();
      const base = { WORKERS: '1', GRPC_PORT: 'off', GALLERY_DATABASE: 'off' };
      [keyless, keyed] = await Promise.all([
        startChild(cmd, args, { cwd: ROOT, env: { ...base, API_KEYS_FILE: join(dir, 'none.json') } }),
        startChild(cmd, args, { cwd: ROOT, env: { ...base, API_KEYS_FILE: join(dir, 'keys.json') } }),
      ]);
    }, 120_000);
    afterAll(async () => {
      await Promise.all([keyless?.stop(), keyed?.stop()]);
    });

    test('no keys: loopback may use the repository routes; a proxied request may not', async () => {
      expect(keyless.output()).toContain('auth: no API keys configured');
      expect((await fetch(`${keyless.url}/v2/repository/index`, { method: 'POST' })).status).toBe(200);
      expect((await fetch(`${keyless.url}/v2/repository/index`, { method: 'POST', headers: { 'x-forwarded-for': '198.51.100.4' } })).status).toBe(403);
    });

    test('keys: 401 without, 403 without the scope, through with it', async () => {
      expect((await fetch(`${keyed.url}/v2/repository/index`, { method: 'POST' })).status).toBe(401);
      expect((await fetch(`${keyed.url}/v2/repository/index`, { method: 'POST', headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
      expect((await fetch(`${keyed.url}/v2/models/simple`)).status).toBe(200);
      const r = await fetch(`${keyed.url}/v2/models/simple/infer`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(r.status).toBe(400); // past auth: the request itself is refused
    });
  });
}
