// The gallery's SQLite on Deno: node:sqlite (built into Deno 2.9), behind Kysely's SqliteDialect
// through the few lines its better-sqlite3-shaped interface needs. node:sqlite's statements do
// not say whether they return rows, so that is read off the SQL (sqlite-common.ts).

import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { GalleryDb } from '../../gallery/db/kysely-store.ts';
import type { GallerySchema } from '../../gallery/db/schema.ts';
import { SQLITE_PRAGMAS, ensureFolder, returnsRows } from './sqlite-common.ts';

type Params = ReadonlyArray<unknown>;
// biome-ignore lint/suspicious/noExplicitAny: node:sqlite's binding types
const bind = (p: Params) => p as any[];

export async function openDenoSqlite(path: string): Promise<GalleryDb> {
  ensureFolder(path);
  // Loaded here, not at the top: Node 20 (whose bundle holds every root) has no node:sqlite.
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(path);
  for (const p of SQLITE_PRAGMAS) db.exec(`PRAGMA ${p}`);
  const database: SqliteDatabase = {
    close: () => db.close(),
    prepare(sql: string) {
      const st = db.prepare(sql);
      return {
        reader: returnsRows(sql),
        all: (p: Params) => st.all(...bind(p)),
        run: (p: Params) => {
          const r = st.run(...bind(p));
          return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
        },
        iterate: (p: Params) => st.iterate(...bind(p)),
      };
    },
  };
  return { db: new Kysely<GallerySchema>({ dialect: new SqliteDialect({ database }) }), dialect: 'sqlite', describe: `SQLite ${path} (node:sqlite)` };
}
