// The gallery on Cloudflare D1 (the Worker's `GALLERY_DB` binding, wrangler.toml): kysely-d1's
// dialect for single statements, and D1's batch() for the store's atomic units. D1 has no
// interactive transactions; a batch runs its statements in order as one transaction (all or
// none), which is exactly what the store's units are (lists of statements needing no result of
// an earlier one: kysely-store.ts). D1 is SQLite with foreign keys always enforced. No node:
// imports: this runs inside workerd.
// D1 holds internal tables (_cf_KV, _cf_METADATA) that a Worker may not read: Kysely's SQLite
// introspector, which the migrator asks whether its tables exist, runs pragma_table_info over
// every table and fails with SQLITE_AUTH. The dialect below lists tables without them.

import {
  type CompiledQuery,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  Kysely,
  type QueryResult,
  type SchemaMetadata,
  type TableMetadata,
  sql,
} from 'kysely';
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

/** Table names only (what the migrator asks), without D1's internal tables. */
class D1Introspector implements DatabaseIntrospector {
  // biome-ignore lint/suspicious/noExplicitAny: introspection reads sqlite_master, outside the gallery's schema
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    return [];
  }

  async getTables(): Promise<TableMetadata[]> {
    const rows = await sql<{
      name: string;
      type: string;
    }>`select name, type from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' and substr(name, 1, 4) <> '_cf_' order by name`.execute(
      this.db,
    );
    return rows.rows.map((r) => ({ name: r.name, isView: r.type === 'view', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class GalleryD1Dialect extends D1Dialect {
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect signature
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new D1Introspector(db);
  }
}

export function openD1(database: D1Database, binding = 'GALLERY_DB'): GalleryDb {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: kysely-d1 types its binding with @cloudflare/workers-types, not installed
    db: new Kysely<GallerySchema>({ dialect: new GalleryD1Dialect({ database: database as any }) }),
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
