// Kysely's own PostgresDialect over postgres.js or PGlite, through the small pool interface the
// dialect asks for (connect → query(sql, params) → { command, rowCount, rows }, release). Written
// here because the maintained postgres.js dialect needs Kysely 0.29 and Node 22, and because one
// adapter shape then serves both clients (PGlite, one connection, is the pgvector test backend).

import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

type Sql = import('postgres').Sql;
type Row = Record<string, unknown>;

/** A pool over a postgres.js client: each Kysely connection is a reserved postgres.js connection. */
export function postgresJsPool(sql: Sql): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const conn = await sql.reserve();
      return {
        async query<R>(text: string, params: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
          const r = await conn.unsafe(text, params as never[]);
          return { command: r.command as PostgresQueryResult<R>['command'], rowCount: r.count ?? r.length, rows: [...r] as R[] };
        },
        release: () => conn.release(),
      } as PostgresPoolClient;
    },
    end: () => sql.end({ timeout: 5 }),
  };
}

export interface PgliteLike {
  query<T = Row>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  close(): Promise<void>;
}

/** A pool over PGlite's single connection: one Kysely connection at a time. */
export function pglitePool(pg: PgliteLike): PostgresPool {
  let tail: Promise<void> = Promise.resolve();
  return {
    async connect(): Promise<PostgresPoolClient> {
      let release!: () => void;
      const prev = tail;
      tail = new Promise<void>((r) => {
        release = r;
      });
      await prev;
      return {
        async query<R>(text: string, params: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
          const r = await pg.query<R>(text, [...params]);
          const command = (/^\s*(\w+)/.exec(text)?.[1] ?? '').toUpperCase() as PostgresQueryResult<R>['command'];
          return { command, rowCount: r.affectedRows ?? r.rows.length, rows: r.rows };
        },
        release,
      } as PostgresPoolClient;
    },
    end: () => pg.close(),
  };
}
