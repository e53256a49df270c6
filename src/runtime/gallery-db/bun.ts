// The gallery's SQLite on Bun (and in the compiled binary): bun:sqlite behind Kysely's own
// SqliteDialect. The adapter is the few lines Kysely's SQLite interface (better-sqlite3's shape)
// needs from bun:sqlite's statements; cached statements (db.query) avoid re-preparing the
// gallery's fixed set of queries.

import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { GalleryDb } from '../../gallery/db/kysely-store.ts';
import type { GallerySchema } from '../../gallery/db/schema.ts';
import { SQLITE_PRAGMAS, ensureFolder } from './sqlite-common.ts';

type Params = ReadonlyArray<unknown>;
// biome-ignore lint/suspicious/noExplicitAny: bun:sqlite's binding types
const bind = (p: Params) => p as any[];

export async function openBunSqlite(path: string): Promise<GalleryDb> {
  ensureFolder(path);
  // Loaded here, not at the top: the Node bundle holds every root, and Node has no bun:sqlite.
  const { Database } = await import('bun:sqlite');
  const db = new Database(path, { create: true });
  for (const p of SQLITE_PRAGMAS) db.run(`PRAGMA ${p}`);
  const database: SqliteDatabase = {
    close: () => db.close(),
    prepare(sql: string) {
      const st = db.query(sql);
      return {
        reader: st.columnNames.length > 0,
        all: (p: Params) => st.all(...bind(p)),
        run: (p: Params) => {
          const r = st.run(...bind(p));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (p: Params) => st.iterate(...bind(p)),
      };
    },
  };
  return { db: new Kysely<GallerySchema>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite', describe: `SQLite ${path} (bun:sqlite)` };
}
