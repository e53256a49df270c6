// Runs the GalleryStore contract (gallery-store.contract.ts) against every backend: bun:sqlite
// (two connections to one file), a real PostgreSQL server (two pools: two "processes"), PGlite
// with pgvector, and, in subprocesses, better-sqlite3 on Node 20 and node:sqlite on Deno.

import { afterAll, describe, expect, test } from 'bun:test';
import { sql } from 'kysely';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KyselyGalleryStore } from '../src/gallery/db/kysely-store.ts';
import type { GalleryStore } from '../src/gallery/store.ts';
import { openBunSqlite } from '../src/runtime/gallery-db/bun.ts';
import { openPglite } from '../src/runtime/gallery-db/pglite.ts';
import { openPostgres } from '../src/runtime/gallery-db/postgres.ts';
import { annQuery } from '../src/gallery/db/pgvector.ts';
import { migrateGallery } from '../src/gallery/db/schema.ts';
import { CONTRACT, type ContractOptions, unitVector } from './gallery-store.contract.ts';
import { ROOT } from './helpers.ts';
import { type PgServer, startPostgres } from './pg-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeserve-store-'));
const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function opened(make: () => Promise<GalleryStore> | GalleryStore): Promise<GalleryStore> {
  const s = await make();
  await s.migrate();
  cleanups.push(() => s.close());
  return s;
}

function suite(name: string, open: () => Promise<{ store: GalleryStore; second?: GalleryStore }>, o: ContractOptions = {}) {
  describe(name, () => {
    let stores: { store: GalleryStore; second?: GalleryStore } | undefined;
    const get = async () => (stores ??= await open());
    for (const c of CONTRACT)
      test(c.name, async () => {
        const s = await get();
        await c.run(s.store, s.second, o);
      }, 60_000);
  });
}

suite('SQLite (bun:sqlite)', async () => {
  const file = join(dir, 'bun.sqlite');
  return {
    store: await opened(async () => new KyselyGalleryStore(await openBunSqlite(file))),
    second: await opened(async () => new KyselyGalleryStore(await openBunSqlite(file))),
  };
});

let pg: PgServer | undefined;
suite('PostgreSQL 15 (postgres.js, a real server)', async () => {
  pg = await startPostgres();
  cleanups.push(() => pg!.stop());
  return {
    store: await opened(() => new KyselyGalleryStore(openPostgres(pg!.url))),
    second: await opened(() => new KyselyGalleryStore(openPostgres(pg!.url))),
  };
});

suite('PGlite with pgvector', async () => ({ store: await opened(async () => new KyselyGalleryStore(await openPglite())) }), { ann: true });

// On a gallery as small as the contract's, the planner answers the ANN query exactly (btree +
// sort), which is right but leaves the HNSW scan untested: here sorting is off for the session
// (PGlite has one connection), so the ANN case runs through the index itself.
test('PGlite with pgvector: the ANN case through the HNSW index scan (sorting disabled)', async () => {
  const handle = await openPglite();
  const store = await opened(() => new KyselyGalleryStore(handle));
  await sql`set enable_sort = off`.execute(handle.db);
  const plan = await sql<{ 'QUERY PLAN': string }>`explain ${annQuery(1, unitVector(), { k: 10, limit: 100 })}`.execute(handle.db);
  expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('Index Scan using faces_embedding_hnsw');
  const ann = CONTRACT.find((c) => c.name.startsWith('ann:'))!;
  await ann.run(store, undefined, { ann: true });
}, 60_000);

test('PGlite with pgvector: faces enrolled before the vector column are found after migrating (0002, and the catch-up set-up)', async () => {
  const handle = await openPglite();
  // Schema 0001 only, with faces in it: a gallery made before migration 0002 existed.
  await migrateGallery(handle.db, 'postgres', '0001_galleries_subjects_faces_changes');
  const old = new KyselyGalleryStore(handle);
  cleanups.push(() => old.close());
  expect(await old.annUnavailable()).toContain('has no pgvector extension');
  const MODEL = { name: 'face_embed', version: '1+test' };
  const g = (await old.bindModel((await old.createGallery({ tenant: null, id: 'before', description: null, keepThumbnails: false })).pk, MODEL, 512))!;
  const subj = await old.createSubject(g.pk, { id: 'p', displayName: null, metadata: null });
  const enrol = (id: string, e: Float32Array) =>
    old.addFace(g.pk, subj.pk, {
      id,
      embedding: e,
      box: [0, 0, 9, 9],
      score: 0.9,
      landmarks: null,
      quality: null,
      liveness: null,
      model: MODEL,
      thumbnail: null,
      idempotencyKey: null,
      requestHash: id,
    });
  const e1 = unitVector();
  const f1 = await enrol('f1', e1);
  await old.migrate(); // 0002: extension, column, index, then the column filled for f1
  expect(await old.annUnavailable()).toBeNull();
  expect((await old.annFaces(g.pk, e1, { k: 1, limit: 10, efSearch: 40 })).map((r) => r.pk)).toEqual([f1.pk]);
  // pgvector installed after 0002 ran (simulated: the column gone): the next open sets it up again.
  await sql`drop index faces_embedding_hnsw`.execute(handle.db);
  await sql`alter table faces drop column embedding_v`.execute(handle.db);
  const e2 = unitVector();
  const reopened = new KyselyGalleryStore(handle);
  expect(await reopened.annUnavailable()).toContain('vector column or HNSW index is missing');
  const f2 = await new KyselyGalleryStore(handle).addFace(g.pk, subj.pk, {
    id: 'f2',
    embedding: e2,
    box: [0, 0, 9, 9],
    score: 0.9,
    landmarks: null,
    quality: null,
    liveness: null,
    model: MODEL,
    thumbnail: null,
    idempotencyKey: null,
    requestHash: 'f2',
  });
  const fresh = new KyselyGalleryStore(handle);
  await fresh.migrate();
  expect(await fresh.annUnavailable()).toBeNull();
  for (const [e, f] of [
    [e1, f1],
    [e2, f2],
  ] as const)
    expect((await fresh.annFaces(g.pk, e, { k: 1, limit: 10, efSearch: 40 })).map((r) => r.pk)).toEqual([f.pk]);
}, 60_000);

describe('other runtimes run the same contract (subprocess)', () => {
  const runner = join(ROOT, 'test', 'gallery-contract-runner.ts');
  const check = (out: { status: number | null; stdout: string; stderr: string }) => {
    const lines = out.stdout.split('\n').filter((l) => l.startsWith('{'));
    const results = lines.map((l) => JSON.parse(l) as { name: string; ok: boolean; error?: string });
    expect(
      results.filter((r) => !r.ok),
      out.stderr.slice(-2000),
    ).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(CONTRACT.map((c) => c.name));
    expect(out.status).toBe(0);
  };

  test('Node 20, better-sqlite3', () => {
    // Inside the checkout (dist/ is ignored), so the bundle resolves node_modules.
    const bundle = join(ROOT, 'dist', 'gallery-contract-runner');
    const b = spawnSync(join(ROOT, 'node_modules', '.bin', 'bun'), ['build', '--target=node', '--packages=external', '--outdir', bundle, runner], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(b.status, b.stderr).toBe(0);
    check(spawnSync('node', [join(bundle, 'gallery-contract-runner.js'), 'node', join(dir, 'node.sqlite')], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }));
  }, 90_000);

  test('Deno, node:sqlite', () => {
    const file = join(dir, 'deno.sqlite');
    check(
      spawnSync(
        join(ROOT, 'node_modules', '.bin', 'deno'),
        ['run', `--allow-read=${ROOT},${dir}`, `--allow-write=${dir}`, '--allow-env', runner, 'deno', file],
        { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
      ),
    );
  }, 90_000);
});
