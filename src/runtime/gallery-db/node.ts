// The gallery's SQLite on Node 20: better-sqlite3 (12.x: 13 crashes on Node 20), whose
// interface is the one Kysely's SqliteDialect is written for.

import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { GalleryDb } from '../../gallery/db/kysely-store.ts';
import type { GallerySchema } from '../../gallery/db/schema.ts';
import { SQLITE_PRAGMAS, ensureFolder } from './sqlite-common.ts';

export async function openNodeSqlite(path: string): Promise<GalleryDb> {
  ensureFolder(path);
  // Loaded here: only Node uses this native addon (the compiled binary must not embed it).
  // No bundled types: the shape used is Kysely's SqliteDatabase (better-sqlite3's own API).
  // @ts-expect-error better-sqlite3 ships no .d.ts
  const { default: Database } = (await import('better-sqlite3')) as { default: new (path: string) => SqliteDatabase & { pragma(p: string): unknown } };
  const db = new Database(path);
  for (const p of SQLITE_PRAGMAS) db.pragma(p);
  return { db: new Kysely<GallerySchema>({ dialect: new SqliteDialect({ database: db }) }), dialect: 'sqlite', describe: `SQLite ${path} (better-sqlite3)` };
}
