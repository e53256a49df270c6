// The gallery on PGlite (PostgreSQL compiled to WebAssembly, in-process), with the pgvector
// extension: how the tests exercise the PostgreSQL dialect's pgvector path, which Debian's
// PostgreSQL lacks. Not a serving option: PGlite is a dev dependency.

import { Kysely, PostgresDialect } from 'kysely';
import type { GalleryDb } from '../../gallery/db/kysely-store.ts';
import type { GallerySchema } from '../../gallery/db/schema.ts';
import { pglitePool } from './pg-pool.ts';

/** `pglite`: the instance itself, for what Kysely cannot send (the benchmark's COPY from a blob). */
export async function openPglite(dataDir?: string): Promise<GalleryDb & { pglite: import('@electric-sql/pglite').PGlite }> {
  const [{ PGlite }, { vector }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-pgvector')]);
  const pg = await PGlite.create(dataDir, { extensions: { vector } });
  return {
    db: new Kysely<GallerySchema>({ dialect: new PostgresDialect({ pool: pglitePool(pg) }) }),
    dialect: 'postgres',
    describe: `PGlite ${dataDir ?? '(in memory)'} with pgvector`,
    pglite: pg,
  };
}
