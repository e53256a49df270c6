// pgvector on the gallery's PostgreSQL (and PGlite): where the `vector` extension exists, every
// face's embedding is also kept in `faces.embedding_v vector(512)` under an HNSW index
// (vector_cosine_ops), which approximate identification (search=ann) queries in the database.
// Where it does not (Debian's PostgreSQL has no pgvector build, SQLite, D1), nothing here runs
// and search=ann is refused; exact search (the in-memory index) never depends on it.
// The bytea `embedding` stays the source of truth: ANN only picks the candidate faces, whose
// similarities are then computed exactly from it, as exact search does (ann.ts).
// Set-up is idempotent: migration 0002 runs it, and a store that opens a database whose
// extension appeared after that migration ran (pgvector installed later) runs it again and fills
// the column for the faces enrolled before.

import { type Kysely, type Transaction, sql } from 'kysely';
import type { GallerySchema } from './schema.ts';

/** The column's dimension: the face embedder's. Faces of another dimension leave it NULL. */
export const VECTOR_DIM = 512;
/** hnsw.ef_search when a request gives none (pgvector's own is 40): on the benchmark's 100k random
 *  faces (src/bench/gallery-ann.ts) 40 found 74% of genuine probes, 200 98%, 400 all. */
export const DEFAULT_EF_SEARCH = 200;
export const MAX_EF_SEARCH = 1000;
/** Most face rows one ANN query returns (k subjects need more faces when subjects have several). */
export const MAX_ANN_ROWS = 1000;
const BACKFILL_BATCH = 500;

// biome-ignore lint/suspicious/noExplicitAny: DDL and catalog queries run outside the typed schema
type AnyDb = Kysely<any> | Transaction<any>;

export type VectorState = { ok: true; version: string; iterative: boolean } | { ok: false; why: string };

/** Whether this database can hold the vector column; creates extension, column and index if so. */
export async function setUpPgvector(db: AnyDb): Promise<boolean> {
  const avail = await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'vector'`.execute(db);
  if (!avail.rows[0]?.n) return false;
  // Inside a savepoint: where the role may not create the extension, the failure must not abort
  // the migration's transaction (the gallery works without it, exact only).
  await sql`savepoint edgeserve_pgvector`.execute(db);
  try {
    await sql`create extension if not exists vector`.execute(db);
    await sql`release savepoint edgeserve_pgvector`.execute(db);
  } catch {
    await sql`rollback to savepoint edgeserve_pgvector`.execute(db);
    return false;
  }
  await sql.raw(`alter table faces add column if not exists embedding_v vector(${VECTOR_DIM})`).execute(db);
  await sql`create index if not exists faces_embedding_hnsw on faces using hnsw (embedding_v vector_cosine_ops)`.execute(db);
  return true;
}

/** What this database offers: the column and index in place, and pgvector's version. */
export async function vectorState(db: AnyDb, describe: string): Promise<VectorState> {
  const r = await sql<{ v: string | null; col: number; idx: number }>`select
      (select extversion from pg_extension where extname = 'vector') as v,
      (select count(*)::int from information_schema.columns where table_schema = current_schema() and table_name = 'faces' and column_name = 'embedding_v') as col,
      (select count(*)::int from pg_indexes where schemaname = current_schema() and tablename = 'faces' and indexname = 'faces_embedding_hnsw') as idx`.execute(
    db,
  );
  const row = r.rows[0];
  if (!row?.v) return { ok: false, why: `${describe} has no pgvector extension` };
  if (!row.col || !row.idx) return { ok: false, why: `${describe} has pgvector but the gallery's vector column or HNSW index is missing` };
  const [major, minor] = row.v.split('.').map(Number);
  // hnsw.iterative_scan (0.8): keeps scanning when the gallery filter leaves fewer than LIMIT rows.
  return { ok: true, version: row.v, iterative: major > 0 || minor >= 8 };
}

/** Runs the set-up when the extension exists but the column does not (installed after 0002 ran). */
export async function catchUpPgvector(db: Kysely<GallerySchema>, describe: string): Promise<VectorState> {
  const before = await vectorState(db, describe);
  if (before.ok) return before;
  const made = await db.transaction().execute(async (trx) => {
    // Processes starting together set up one at a time (the migrator's own lock is released).
    await sql`select pg_advisory_xact_lock(hashtext('edgeserve_gallery_pgvector'))`.execute(trx);
    return setUpPgvector(trx);
  });
  if (!made) return before;
  await backfill(db);
  return vectorState(db, describe);
}

/** Fills the vector column of faces that have none (enrolled before the column existed). */
export async function backfill(db: Kysely<GallerySchema>): Promise<number> {
  let done = 0;
  for (let after = 0; ; ) {
    const rows = await sql<{ pk: number; embedding: Uint8Array }>`select pk, embedding from faces
      where pk > ${after} and embedding_v is null and octet_length(embedding) = ${VECTOR_DIM * 4} order by pk limit ${BACKFILL_BATCH}`.execute(db);
    if (!rows.rows.length) return done;
    await db.transaction().execute(async (trx) => {
      for (const r of rows.rows) await sql`update faces set embedding_v = cast(${vectorText(r.embedding)} as vector) where pk = ${r.pk}`.execute(trx);
    });
    done += rows.rows.length;
    after = Number(rows.rows[rows.rows.length - 1].pk);
  }
}

/** pgvector's text form '[x1,x2,...]' of float32 values (JS prints each so it parses back exactly). */
export function vectorText(v: Float32Array | Uint8Array): string {
  return `[${(v instanceof Float32Array ? v : floats(v)).join(',')}]`;
}

function floats(b: Uint8Array): Float32Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength >> 2);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

export interface AnnRow {
  pk: number;
  subject_pk: number;
  embedding: unknown;
}

/**
 * The best face of each of the `k` subjects nearest to `query` among the gallery's `limit` faces
 * nearest to it by the HNSW index (approximate), with their stored embeddings (only those k are
 * read: an embedding is a TOASTed 2 KB value). ef_search is set for this transaction only (SET
 * LOCAL). A deleted face is never returned: its row is gone, and an index entry is only returned
 * with a visible row. The gallery filter applies inside the scan (iterative scan), so other
 * galleries' faces do not use up the candidates.
 */
export async function annRows(
  db: Kysely<GallerySchema>,
  st: Extract<VectorState, { ok: true }>,
  galleryPk: number,
  query: Float32Array,
  o: { k: number; limit: number; efSearch: number },
): Promise<AnnRow[]> {
  return db.transaction().execute(async (trx) => {
    // Without iterative scan the index yields at most ef_search rows before the filter.
    const ef = String(st.iterative ? o.efSearch : Math.max(o.efSearch, o.limit));
    await (st.iterative
      ? sql`select set_config('hnsw.ef_search', ${ef}, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`
      : sql`select set_config('hnsw.ef_search', ${ef}, true)`
    ).execute(trx);
    const r = await annQuery(galleryPk, query, o).execute(trx);
    return r.rows;
  });
}

/** The ANN statement (EXPLAIN-able: the benchmark and the tests check that it uses the HNSW index). */
export function annQuery(galleryPk: number, query: Float32Array, o: { k: number; limit: number }) {
  return sql<AnnRow>`with near as materialized (
      select pk, subject_pk, embedding_v <=> cast(${vectorText(query)} as vector) as d from faces
      where gallery_pk = ${galleryPk} and embedding_v is not null
      order by d limit ${o.limit}
    ), best as (
      select distinct on (subject_pk) pk, d from near order by subject_pk, d
    )
    select f.pk, f.subject_pk, f.embedding from (select pk, d from best order by d limit ${o.k}) b
    join faces f on f.pk = b.pk order by b.d`;
}
