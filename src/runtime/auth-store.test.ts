// The key file store: atomic 0600 writes under a lock, a running store that follows the file
// (new and revoked keys; a broken or deleted file accepts no key), and last-used times written
// back without losing a change made meanwhile by another writer.

import { afterEach, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey } from '../auth/keys.ts';
import { FileKeyStore, keysFilePath, readKeys, updateKeys } from './auth-store.ts';

const stores: FileKeyStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'edgeserve-store-'));
  const logs: string[] = [];
  const path = join(dir, 'keys.json');
  const store = new FileKeyStore(path, (level, msg) => void logs.push(`${level} ${msg}`), 50);
  stores.push(store);
  return { dir, path, logs, store };
}

const waitFor = async (cond: () => boolean) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > 2000) throw new Error('timed out');
    await Bun.sleep(20);
  }
};

test('default path: DATA_DIR/keys.json, data/ beside the model repository', () => {
  expect(keysFilePath({ models: '/srv/models' })).toBe('/srv/data/keys.json');
  expect(keysFilePath({ models: '/srv/models', dataDir: '/var/lib/es' })).toBe('/var/lib/es/keys.json');
  expect(keysFilePath({ models: 'models', apiKeysFile: '/etc/es/keys.json' })).toBe('/etc/es/keys.json');
});

test('writes are 0600, atomic (no temp or lock left), and a running store follows the file', async () => {
  const { dir, path, logs, store } = setup();
  store.start();
  expect(store.table.size).toBe(0);
  const a = await generateKey({ scopes: ['infer'] });
  updateKeys(path, (k) => [...k, a.record]);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(['keys.json']);
  await waitFor(() => store.table.size === 1);
  expect((await store.table.check(a.key)).ok).toBe(true);
  updateKeys(path, (k) => k.map((r) => ({ ...r, revoked: new Date().toISOString() })));
  await waitFor(() => store.table.records()[0]?.revoked !== null);
  expect(await store.table.check(a.key)).toEqual({ ok: false, reason: 'revoked', id: a.record.id });
  // Broken, then gone: no key is accepted (and the warning says so), then back.
  writeFileSync(path, '{"version":1,"keys":[{"id":"nope"}]}');
  await waitFor(() => store.table.size === 0);
  expect(logs.join('\n')).toContain('no API key is accepted until it is fixed');
  unlinkSync(path);
  updateKeys(path, () => [{ ...a.record, revoked: null }]);
  await waitFor(() => store.table.size === 1);
  expect((await store.table.check(a.key)).ok).toBe(true);
  expect(logs.join('\n')).not.toContain('readable by group or others');
}, 20_000);

test('a broken file fails the start, naming it; a readable-by-others file is warned about', async () => {
  const { path, store } = setup();
  writeFileSync(path, 'not json');
  expect(() => store.start()).toThrow(`${path}: not JSON`);
  const b = setup();
  const k = await generateKey({ scopes: ['admin'] });
  writeFileSync(b.path, JSON.stringify({ version: 1, keys: [{ id: k.record.id, sha256: k.record.sha256, scopes: ['admin'], created: k.record.created }] }), {
    mode: 0o644,
  });
  b.store.start();
  expect(b.store.table.size).toBe(1);
  expect(b.logs.join('\n')).toContain('chmod 600');
});

test('last-used times are merged into what another writer changed meanwhile', async () => {
  const { path, store } = setup();
  const a = await generateKey({ scopes: ['infer'] });
  updateKeys(path, () => [a.record]);
  store.start();
  expect((await store.table.check(a.key)).ok).toBe(true);
  const b = await generateKey({ scopes: ['metrics'] });
  updateKeys(path, (k) => [...k, b.record]); // the CLI, before the server's write-back
  store.flush();
  const onDisk = readKeys(path);
  expect(onDisk.map((r) => r.id)).toEqual([a.record.id, b.record.id]);
  expect(onDisk[0].lastUsed).not.toBeNull();
  expect(onDisk[1].lastUsed).toBeNull();
  expect(existsSync(`${path}.lock`)).toBe(false);
  expect(readFileSync(path, 'utf8')).not.toContain(a.key.slice(16));
});

test('a key created or revoked is taken at the next check, not the next poll', async () => {
  const { path } = setup();
  const store = new FileKeyStore(path, () => {}, 3_600_000); // the poll never runs in this test
  stores.push(store);
  store.start();
  const a = await generateKey({ scopes: ['admin'] });
  updateKeys(path, (k) => [...k, a.record]);
  expect((await store.table.check(a.key)).ok).toBe(true);
  updateKeys(path, (k) => k.map((r) => ({ ...r, revoked: new Date().toISOString() })));
  expect(await store.table.check(a.key)).toEqual({ ok: false, reason: 'revoked', id: a.record.id });
});
