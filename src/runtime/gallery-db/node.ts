// The gallery's SQLite on Node 20: better-sqlite3 (12.x: 13 crashes on Node 20), whose
// interface is the one Kysely's SqliteDialect is written for.

import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { GalleryDb } from '../../gallery/db/kysely-store.ts';
import type { GallerySchema } from '../../gallery/db/schema.ts';
import { SQLITE_PRAGMAS, ensureFolder } from './sqlite-common.ts';

export function openNodeSqlite(path: string): GalleryDb {
  ensureFolder(path);
  const db = new Database(path);
  for (const p of SQLITE_PRAGMAS) db.pragma(p);
  return { db: new Kysely<GallerySchema>({ dialect: new SqliteDialect({ database: db }) }), dialect: 'sqlite', describe: `SQLite ${path} (better-sqlite3)` };
}
