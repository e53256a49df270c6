// The gallery on PostgreSQL (several edgeserve processes sharing one gallery): postgres.js
// through Kysely's PostgresDialect (pg-pool.ts). Runs on Bun, Node and Deno alike.

import { Kysely, PostgresDialect } from 'kysely';
import postgres from 'postgres';
import type { GalleryDb } from '../../gallery/db/kysely-store.ts';
import type { GallerySchema } from '../../gallery/db/schema.ts';
import { postgresJsPool } from './pg-pool.ts';

export function openPostgres(url: string, o: { max?: number } = {}): GalleryDb {
  const sql = postgres(url, { max: o.max ?? 8, onnotice: () => {}, connection: { application_name: 'edgeserve' } });
  const u = new URL(url);
  return {
    db: new Kysely<GallerySchema>({ dialect: new PostgresDialect({ pool: postgresJsPool(sql) }) }),
    dialect: 'postgres',
    // Host, port and database only: never the password.
    describe: `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}`,
  };
}
