// The gallery on Cloudflare D1 (the Worker's `GALLERY_DB` binding, wrangler.toml): kysely-d1's
// dialect for single statements, and D1's batch() for the store's atomic units. D1 has no
// interactive transactions; a batch runs its statements in order as one transaction (all or
// none), which is exactly what the store's units are (lists of statements needing no result of
// an earlier one: kysely-store.ts). D1 is SQLite with foreign keys always enforced. No node:
// imports: this runs inside workerd.

import { type CompiledQuery, Kysely, type QueryResult } from 'kysely';
import { D1Dialect } from 'kysely-d1';
import type { GalleryDb } from '../../gallery/db/kysely-store.ts';
import type { GallerySchema } from '../../gallery/db/schema.ts';

/** The part of workerd's D1Database binding the gallery uses (kept local: no @cloudflare/workers-types). */
export interface D1Database {
  prepare(query: string): D1PreparedStatement;
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]>;
}

export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  all(): Promise<D1Result>;
}

export interface D1Result {
  results?: unknown[];
  success: boolean;
  error?: string;
  meta: { changes?: number; last_row_id?: number | null };
}

export function openD1(database: D1Database, binding = 'GALLERY_DB'): GalleryDb {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: kysely-d1 types its binding with @cloudflare/workers-types, not installed
    db: new Kysely<GallerySchema>({ dialect: new D1Dialect({ database: database as any }) }),
    dialect: 'sqlite',
    describe: `Cloudflare D1 (binding ${binding})`,
    atomic: async (queries: CompiledQuery[]): Promise<QueryResult<unknown>[]> => {
      const results = await database.batch(queries.map((q) => database.prepare(q.sql).bind(...q.parameters)));
      return results.map((r) => {
        if (r.error) throw new Error(r.error);
        const changes = r.meta.changes ?? 0;
        return { rows: r.results ?? [], numAffectedRows: changes > 0 ? BigInt(changes) : undefined };
      });
    },
    // The binding belongs to the isolate: nothing to close.
    close: async () => {},
  };
}
