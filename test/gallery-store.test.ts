// Runs the GalleryStore contract (gallery-store.contract.ts) against every backend: bun:sqlite
// (two connections to one file), a real PostgreSQL server (two pools: two "processes"), PGlite
// with pgvector, and, in subprocesses, better-sqlite3 on Node 20 and node:sqlite on Deno.

import { afterAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KyselyGalleryStore } from '../src/gallery/db/kysely-store.ts';
import type { GalleryStore } from '../src/gallery/store.ts';
import { openBunSqlite } from '../src/runtime/gallery-db/bun.ts';
import { openPglite } from '../src/runtime/gallery-db/pglite.ts';
import { openPostgres } from '../src/runtime/gallery-db/postgres.ts';
import { CONTRACT } from './gallery-store.contract.ts';
import { ROOT } from './helpers.ts';
import { type PgServer, startPostgres } from './pg-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeserve-store-'));
const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

async function opened(make: () => Promise<GalleryStore> | GalleryStore): Promise<GalleryStore> {
  const s = await make();
  await s.migrate();
  cleanups.push(() => s.close());
  return s;
}

function suite(name: string, open: () => Promise<{ store: GalleryStore; second?: GalleryStore }>) {
  describe(name, () => {
    let stores: { store: GalleryStore; second?: GalleryStore } | undefined;
    const get = async () => (stores ??= await open());
    for (const c of CONTRACT) test(c.name, async () => { const s = await get(); await c.run(s.store, s.second); }, 60_000);
  });
}

suite('SQLite (bun:sqlite)', async () => {
  const file = join(dir, 'bun.sqlite');
  return { store: await opened(async () => new KyselyGalleryStore(await openBunSqlite(file))), second: await opened(async () => new KyselyGalleryStore(await openBunSqlite(file))) };
});

let pg: PgServer | undefined;
suite('PostgreSQL 15 (postgres.js, a real server)', async () => {
  pg = await startPostgres();
  cleanups.push(() => pg!.stop());
  return { store: await opened(() => new KyselyGalleryStore(openPostgres(pg!.url))), second: await opened(() => new KyselyGalleryStore(openPostgres(pg!.url))) };
});

suite('PGlite with pgvector', async () => ({ store: await opened(async () => new KyselyGalleryStore(await openPglite())) }));

describe('other runtimes run the same contract (subprocess)', () => {
  const runner = join(ROOT, 'test', 'gallery-contract-runner.ts');
  const check = (out: { status: number | null; stdout: string; stderr: string }) => {
    const lines = out.stdout.split('\n').filter((l) => l.startsWith('{'));
    const results = lines.map((l) => JSON.parse(l) as { name: string; ok: boolean; error?: string });
    expect(results.filter((r) => !r.ok), out.stderr.slice(-2000)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(CONTRACT.map((c) => c.name));
    expect(out.status).toBe(0);
  };

  test('Node 20, better-sqlite3', () => {
    // Inside the checkout (dist/ is ignored), so the bundle resolves node_modules.
    const bundle = join(ROOT, 'dist', 'gallery-contract-runner');
    const b = spawnSync(join(ROOT, 'node_modules', '.bin', 'bun'), ['build', '--target=node', '--packages=external', '--outdir', bundle, runner], { cwd: ROOT, encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    check(spawnSync('node', [join(bundle, 'gallery-contract-runner.js'), 'node', join(dir, 'node.sqlite')], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }));
  }, 90_000);

  test('Deno, node:sqlite', () => {
    const file = join(dir, 'deno.sqlite');
    check(spawnSync(join(ROOT, 'node_modules', '.bin', 'deno'), ['run', `--allow-read=${ROOT},${dir}`, `--allow-write=${dir}`, '--allow-env', runner, 'deno', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }));
  }, 90_000);
});
