// GalleryStore over Kysely: the same typed queries on SQLite (bun:sqlite, better-sqlite3,
// node:sqlite), PostgreSQL (postgres.js, PGlite) and Cloudflare D1. Every write that changes what
// identify can find is one atomic unit that bumps the gallery's `seq` (on PostgreSQL the row
// lock this takes orders concurrent writers, so seqs follow commit order) and logs the change
// under that seq; indexes in every process catch up by reading the log (index-cache.ts).
// Atomic units are lists of statements that need no result of an earlier one (values come from
// subqueries), so D1, which has batches but no interactive transactions, runs the same units.

import { type CompiledQuery, type Kysely, type QueryResult, type Selectable, sql } from 'kysely';
import { EdgeError, notFound } from '../../core/errors.ts';
import type { ModelRef } from '../face-analyzer.ts';
import type { Change, FaceInput, FaceRow, GalleryRow, GalleryStore, Page, StoredFaceVector, SubjectFaceVector, SubjectRow, Tenant } from '../store.ts';
import { VECTOR_DIM, type VectorState, annRows, backfill, catchUpPgvector, vectorState, vectorText } from './pgvector.ts';
import { type Dialect, type FacesTable, type GalleriesTable, type GallerySchema, migrateGallery } from './schema.ts';

/** An opened database, as a composition root hands it to the gallery. */
export interface GalleryDb {
  db: Kysely<GallerySchema>;
  dialect: Dialect;
  /** For logs: which backend and where (no credentials). */
  describe: string;
  /** Runs statements as one atomic unit (default: a transaction; D1: a batch). */
  atomic?: (queries: CompiledQuery[]) => Promise<QueryResult<unknown>[]>;
  /** Closes what the opener opened (default: db.destroy()). */
  close?: () => Promise<void>;
}

/** Change rows kept per gallery; an index further behind than this reloads instead. */
export const CHANGES_KEPT = 10_000;

const conflict = (msg: string) => new EdgeError('CONFLICT', msg);

export class KyselyGalleryStore implements GalleryStore {
  readonly describe: string;
  private readonly db: Kysely<GallerySchema>;
  /** pgvector's state (pgvector.ts), read once: set by migrate(), else on first use. */
  private vec?: Promise<VectorState>;

  constructor(private readonly handle: GalleryDb) {
    this.db = handle.db;
    this.describe = handle.describe;
  }

  async migrate(): Promise<void> {
    const applied = await migrateGallery(this.db, this.handle.dialect);
    if (this.handle.dialect !== 'postgres') return;
    // 0002 added the vector column to a table that may already hold faces.
    if (applied.includes('0002_pgvector_hnsw') && (await vectorState(this.db, this.describe)).ok) await backfill(this.db);
    this.vec = catchUpPgvector(this.db, this.describe);
    await this.vec;
  }

  private vectorState(): Promise<VectorState> {
    if (this.handle.dialect !== 'postgres') return Promise.resolve({ ok: false, why: `the gallery database is ${this.describe}` });
    this.vec ??= vectorState(this.db, this.describe).catch((e) => {
      this.vec = undefined; // asked again next time
      throw e;
    });
    return this.vec;
  }

  async close(): Promise<void> {
    await (this.handle.close ? this.handle.close() : this.db.destroy());
  }

  private async atomic(queries: Array<{ compile(): CompiledQuery }>): Promise<QueryResult<unknown>[]> {
    const compiled = queries.map((q) => q.compile());
    if (this.handle.atomic) return this.handle.atomic(compiled);
    return this.db.transaction().execute(async (trx) => {
      const out: QueryResult<unknown>[] = [];
      for (const q of compiled) out.push(await trx.executeQuery(q));
      return out;
    });
  }

  // ---- galleries

  async createGallery(g: { tenant: Tenant; id: string; description: string | null; keepThumbnails: boolean }): Promise<GalleryRow> {
    try {
      const row = await this.db
        .insertInto('galleries')
        .values({
          tenant: g.tenant ?? '',
          id: g.id,
          description: g.description,
          model_name: null,
          model_version: null,
          dim: null,
          keep_thumbnails: g.keepThumbnails ? 1 : 0,
          seq: 0,
          created_at: now(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return galleryRow(row);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`gallery '${g.id}' already exists`);
      throw e;
    }
  }

  async findGallery(tenant: Tenant, id: string): Promise<GalleryRow | undefined> {
    let q = this.db.selectFrom('galleries').selectAll().where('id', '=', id);
    if (tenant !== null) q = q.where('tenant', '=', tenant);
    const rows = await q.limit(2).execute();
    if (rows.length > 1) throw conflict(`gallery id '${id}' is used by several tenants: address it as one of them`);
    return rows[0] && galleryRow(rows[0]);
  }

  async galleryByPk(pk: number): Promise<GalleryRow | undefined> {
    const row = await this.db.selectFrom('galleries').selectAll().where('pk', '=', pk).executeTakeFirst();
    return row && galleryRow(row);
  }

  async listGalleries(tenant: Tenant, page: Page): Promise<GalleryRow[]> {
    let q = this.db.selectFrom('galleries').selectAll();
    if (tenant !== null) {
      q = q.where('tenant', '=', tenant);
      if (page.after !== undefined) q = q.where('id', '>', page.after);
    } else if (page.after !== undefined) {
      const [t, id] = JSON.parse(page.after) as [string, string];
      q = q.where((eb) => eb.or([eb('tenant', '>', t), eb.and([eb('tenant', '=', t), eb('id', '>', id)])]));
    }
    const rows = await q.orderBy('tenant').orderBy('id').limit(page.limit).execute();
    return rows.map(galleryRow);
  }

  async counts(galleryPk: number): Promise<{ subjects: number; faces: number }> {
    const [s, f] = await Promise.all([
      this.db
        .selectFrom('subjects')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('gallery_pk', '=', galleryPk)
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('faces')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('gallery_pk', '=', galleryPk)
        .executeTakeFirstOrThrow(),
    ]);
    return { subjects: Number(s.n), faces: Number(f.n) };
  }

  async deleteGallery(galleryPk: number): Promise<boolean> {
    const db = this.db;
    const r = await this.atomic([
      db.deleteFrom('changes').where('gallery_pk', '=', galleryPk),
      db.deleteFrom('faces').where('gallery_pk', '=', galleryPk),
      db.deleteFrom('subjects').where('gallery_pk', '=', galleryPk),
      db.deleteFrom('galleries').where('pk', '=', galleryPk).returning('pk'),
    ]);
    return r[3].rows.length > 0;
  }

  async bindModel(galleryPk: number, model: ModelRef, dim: number): Promise<GalleryRow | undefined> {
    await this.db
      .updateTable('galleries')
      .set({ model_name: model.name, model_version: model.version, dim })
      .where('pk', '=', galleryPk)
      .where('model_name', 'is', null)
      .execute();
    return this.galleryByPk(galleryPk);
  }

  // ---- subjects

  async createSubject(galleryPk: number, s: { id: string; displayName: string | null; metadata: unknown }): Promise<SubjectRow> {
    try {
      const row = await this.db
        .insertInto('subjects')
        .values({
          gallery_pk: galleryPk,
          id: s.id,
          display_name: s.displayName,
          metadata: s.metadata === undefined || s.metadata === null ? null : JSON.stringify(s.metadata),
          created_at: now(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return subjectRow(row);
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict(`subject '${s.id}' already exists in this gallery`);
      throw e;
    }
  }

  async getSubject(galleryPk: number, id: string): Promise<SubjectRow | undefined> {
    const row = await this.db.selectFrom('subjects').selectAll().where('gallery_pk', '=', galleryPk).where('id', '=', id).executeTakeFirst();
    return row && subjectRow(row);
  }

  async listSubjects(galleryPk: number, page: Page): Promise<SubjectRow[]> {
    let q = this.db.selectFrom('subjects').selectAll().where('gallery_pk', '=', galleryPk);
    if (page.after !== undefined) q = q.where('id', '>', page.after);
    return (await q.orderBy('id').limit(page.limit).execute()).map(subjectRow);
  }

  async subjectsByPk(galleryPk: number, pks: number[]): Promise<SubjectRow[]> {
    if (!pks.length) return [];
    const rows = await this.db.selectFrom('subjects').selectAll().where('gallery_pk', '=', galleryPk).where('pk', 'in', pks).execute();
    return rows.map(subjectRow);
  }

  async faceCount(subjectPk: number): Promise<number> {
    const r = await this.db
      .selectFrom('faces')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('subject_pk', '=', subjectPk)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async deleteSubject(galleryPk: number, subjectPk: number): Promise<boolean> {
    const db = this.db;
    const r = await this.atomic([
      this.bump(galleryPk),
      db
        .insertInto('changes')
        .columns(['gallery_pk', 'seq', 'op', 'face_pk', 'subject_pk'])
        .expression(
          db
            .selectFrom('subjects')
            .innerJoin('galleries', 'galleries.pk', 'subjects.gallery_pk')
            .select([
              sql.lit(galleryPk).as('gallery_pk'),
              'galleries.seq',
              sql.lit('del_subject').as('op'),
              sql<number | null>`cast(null as integer)`.as('face_pk'),
              'subjects.pk',
            ])
            .where('subjects.pk', '=', subjectPk)
            .where('subjects.gallery_pk', '=', galleryPk),
        ),
      db.deleteFrom('faces').where('gallery_pk', '=', galleryPk).where('subject_pk', '=', subjectPk),
      db.deleteFrom('subjects').where('gallery_pk', '=', galleryPk).where('pk', '=', subjectPk).returning('pk'),
      this.prune(galleryPk),
    ]);
    return r[3].rows.length > 0;
  }

  // ---- faces

  async addFace(galleryPk: number, subjectPk: number, f: FaceInput): Promise<FaceRow> {
    const db = this.db;
    const values = {
      gallery_pk: galleryPk,
      subject_pk: subjectPk,
      id: f.id,
      embedding: floatBytes(f.embedding),
      box: JSON.stringify(f.box),
      score: f.score,
      landmarks: f.landmarks ? JSON.stringify(f.landmarks) : null,
      quality: f.quality ? JSON.stringify(f.quality) : null,
      liveness: f.liveness,
      model_name: f.model.name,
      model_version: f.model.version,
      thumbnail: f.thumbnail,
      idempotency_key: f.idempotencyKey,
      request_hash: f.requestHash,
      created_at: now(),
      ...((await this.vectorState()).ok && f.embedding.length === VECTOR_DIM ? { embedding_v: sql`cast(${vectorText(f.embedding)} as vector)` } : {}),
    };
    let r: QueryResult<unknown>[];
    try {
      r = await this.atomic([
        this.bump(galleryPk),
        // The foreign key refuses a face under a subject deleted meanwhile.
        db.insertInto('faces').values(values).returning(FACE_COLUMNS),
        db
          .insertInto('changes')
          .columns(['gallery_pk', 'seq', 'op', 'face_pk', 'subject_pk'])
          .expression(
            db
              .selectFrom('faces')
              .innerJoin('galleries', 'galleries.pk', 'faces.gallery_pk')
              .select([sql.lit(galleryPk).as('gallery_pk'), 'galleries.seq', sql.lit('add').as('op'), 'faces.pk', 'faces.subject_pk'])
              .where('faces.gallery_pk', '=', galleryPk)
              .where('faces.id', '=', f.id),
          ),
        this.prune(galleryPk),
      ]);
    } catch (e) {
      if (isUniqueViolation(e))
        throw conflict(`face '${f.id}'${f.idempotencyKey ? ` or Idempotency-Key '${f.idempotencyKey}'` : ''} already exists in this gallery`);
      if (isForeignKeyViolation(e)) throw notFound('the subject or gallery was deleted while the face was being enrolled');
      throw e;
    }
    return faceRow(r[1].rows[0] as FaceSelect);
  }

  async findFace(galleryPk: number, by: { id: string } | { idempotencyKey: string }): Promise<FaceRow | undefined> {
    let q = this.db.selectFrom('faces').select(FACE_COLUMNS).where('gallery_pk', '=', galleryPk);
    q = 'id' in by ? q.where('id', '=', by.id) : q.where('idempotency_key', '=', by.idempotencyKey);
    const row = await q.executeTakeFirst();
    return row && faceRow(row as FaceSelect);
  }

  async listFaces(galleryPk: number, subjectPk: number, page: Page): Promise<FaceRow[]> {
    let q = this.db.selectFrom('faces').select(FACE_COLUMNS).where('gallery_pk', '=', galleryPk).where('subject_pk', '=', subjectPk);
    if (page.after !== undefined) q = q.where('pk', '>', Number(page.after));
    return (await q.orderBy('pk').limit(page.limit).execute()).map((r) => faceRow(r as FaceSelect));
  }

  async deleteFace(galleryPk: number, subjectPk: number, faceId: string): Promise<boolean> {
    const db = this.db;
    const r = await this.atomic([
      this.bump(galleryPk),
      db
        .insertInto('changes')
        .columns(['gallery_pk', 'seq', 'op', 'face_pk', 'subject_pk'])
        .expression(
          db
            .selectFrom('faces')
            .innerJoin('galleries', 'galleries.pk', 'faces.gallery_pk')
            .select([sql.lit(galleryPk).as('gallery_pk'), 'galleries.seq', sql.lit('del_face').as('op'), 'faces.pk', 'faces.subject_pk'])
            .where('faces.gallery_pk', '=', galleryPk)
            .where('faces.subject_pk', '=', subjectPk)
            .where('faces.id', '=', faceId),
        ),
      db.deleteFrom('faces').where('gallery_pk', '=', galleryPk).where('subject_pk', '=', subjectPk).where('id', '=', faceId).returning('pk'),
      this.prune(galleryPk),
    ]);
    return r[2].rows.length > 0;
  }

  async thumbnail(galleryPk: number, subjectPk: number, faceId: string): Promise<Uint8Array | null | undefined> {
    const row = await this.db
      .selectFrom('faces')
      .select('thumbnail')
      .where('gallery_pk', '=', galleryPk)
      .where('subject_pk', '=', subjectPk)
      .where('id', '=', faceId)
      .executeTakeFirst();
    if (!row) return undefined;
    return row.thumbnail === null ? null : bytesOf(row.thumbnail);
  }

  // ---- vectors and changes

  async vectors(galleryPk: number, facePks: number[]): Promise<StoredFaceVector[]> {
    if (!facePks.length) return [];
    const rows = await this.db
      .selectFrom('faces')
      .select(['pk', 'subject_pk', 'embedding'])
      .where('gallery_pk', '=', galleryPk)
      .where('pk', 'in', facePks)
      .execute();
    return rows.map(vectorRow);
  }

  async subjectVectors(galleryPk: number, subjectPk: number): Promise<SubjectFaceVector[]> {
    const rows = await this.db
      .selectFrom('faces')
      .select(['pk', 'id', 'subject_pk', 'embedding'])
      .where('gallery_pk', '=', galleryPk)
      .where('subject_pk', '=', subjectPk)
      .orderBy('pk')
      .execute();
    return rows.map((r) => ({ ...vectorRow(r), id: r.id }));
  }

  async scanVectors(galleryPk: number, afterPk: number, limit: number): Promise<StoredFaceVector[]> {
    const rows = await this.db
      .selectFrom('faces')
      .select(['pk', 'subject_pk', 'embedding'])
      .where('gallery_pk', '=', galleryPk)
      .where('pk', '>', afterPk)
      .orderBy('pk')
      .limit(limit)
      .execute();
    return rows.map(vectorRow);
  }

  async annUnavailable(): Promise<string | null> {
    const st = await this.vectorState();
    return st.ok ? null : st.why;
  }

  async annFaces(galleryPk: number, query: Float32Array, o: { k: number; limit: number; efSearch: number }): Promise<StoredFaceVector[]> {
    const st = await this.vectorState();
    if (!st.ok) throw new EdgeError('INVALID_ARGUMENT', `search: 'ann' needs PostgreSQL with the pgvector extension, and ${st.why}`);
    return (await annRows(this.db, st, galleryPk, query, o)).map(vectorRow);
  }

  async changes(galleryPk: number, after: number, limit: number): Promise<Change[]> {
    const rows = await this.db
      .selectFrom('changes')
      .leftJoin('faces', (j) => j.onRef('faces.pk', '=', 'changes.face_pk').on('changes.op', '=', 'add'))
      .select(['changes.seq', 'changes.op', 'changes.face_pk', 'changes.subject_pk', 'faces.embedding'])
      .where('changes.gallery_pk', '=', galleryPk)
      .where('changes.seq', '>', after)
      .orderBy('changes.seq')
      .limit(limit)
      .execute();
    return rows.map((r): Change => {
      const seq = Number(r.seq);
      if (r.op === 'add')
        return { seq, op: 'add', facePk: Number(r.face_pk), subjectPk: Number(r.subject_pk), embedding: r.embedding ? floatsOf(r.embedding) : null };
      if (r.op === 'del_face') return { seq, op: 'del_face', facePk: Number(r.face_pk) };
      return { seq, op: 'del_subject', subjectPk: Number(r.subject_pk) };
    });
  }

  private bump(galleryPk: number) {
    return this.db
      .updateTable('galleries')
      .set((eb) => ({ seq: eb('seq', '+', 1) }))
      .where('pk', '=', galleryPk);
  }

  private prune(galleryPk: number) {
    return this.db
      .deleteFrom('changes')
      .where('gallery_pk', '=', galleryPk)
      .where('seq', '<=', (eb) => eb.selectFrom('galleries').select(sql<number>`seq - ${CHANGES_KEPT}`.as('s')).where('pk', '=', galleryPk));
  }
}

const FACE_COLUMNS = [
  'pk',
  'id',
  'subject_pk',
  'box',
  'score',
  'landmarks',
  'quality',
  'liveness',
  'model_name',
  'model_version',
  'idempotency_key',
  'request_hash',
  'created_at',
  sql<number>`case when thumbnail is null then 0 else 1 end`.as('has_thumbnail'),
] as const;

type FaceSelect = Omit<Selectable<FacesTable>, 'embedding' | 'thumbnail' | 'gallery_pk'> & { has_thumbnail: number };

const now = () => new Date().toISOString();

function galleryRow(r: Selectable<GalleriesTable>): GalleryRow {
  return {
    pk: Number(r.pk),
    tenant: r.tenant === '' ? null : r.tenant,
    id: r.id,
    description: r.description,
    model: r.model_name !== null && r.model_version !== null ? { name: r.model_name, version: r.model_version } : null,
    dim: r.dim === null ? null : Number(r.dim),
    keepThumbnails: Number(r.keep_thumbnails) === 1,
    seq: Number(r.seq),
    createdAt: r.created_at,
  };
}

function subjectRow(r: Selectable<GallerySchema['subjects']>): SubjectRow {
  return { pk: Number(r.pk), id: r.id, displayName: r.display_name, metadata: r.metadata === null ? null : JSON.parse(r.metadata), createdAt: r.created_at };
}

function faceRow(r: FaceSelect): FaceRow {
  return {
    pk: Number(r.pk),
    id: r.id,
    subjectPk: Number(r.subject_pk),
    box: JSON.parse(r.box),
    score: Number(r.score),
    landmarks: r.landmarks === null ? null : JSON.parse(r.landmarks),
    quality: r.quality === null ? null : JSON.parse(r.quality),
    liveness: r.liveness === null ? null : Number(r.liveness),
    model: { name: r.model_name, version: r.model_version },
    hasThumbnail: Number(r.has_thumbnail) === 1,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    createdAt: r.created_at,
  };
}

function vectorRow(r: { pk: number; subject_pk: number; embedding: unknown }): StoredFaceVector {
  return { pk: Number(r.pk), subjectPk: Number(r.subject_pk), embedding: floatsOf(r.embedding) };
}

/** float32 little-endian bytes of v. */
export function floatBytes(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) dv.setFloat32(i * 4, v[i], true);
  return out;
}

/** A blob as the drivers return it (Uint8Array/Buffer, ArrayBuffer, or D1's array of numbers). */
export function bytesOf(v: unknown): Uint8Array {
  // A Buffer (better-sqlite3, postgres.js) becomes a plain view of the same bytes.
  if (v instanceof Uint8Array) return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  throw new TypeError(`expected a blob, got ${typeof v}`);
}

export function floatsOf(v: unknown): Float32Array {
  const b = bytesOf(v);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength >> 2);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

/** A unique-constraint violation, as SQLite (every binding, D1) and PostgreSQL report it. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!err) return false;
  if (err.code === '23505' || err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
  if (typeof err.message === 'string' && /UNIQUE constraint failed|duplicate key value violates unique constraint/.test(err.message)) return true;
  return err.cause !== undefined && err.cause !== e && isUniqueViolation(err.cause);
}

export function isForeignKeyViolation(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!err) return false;
  if (err.code === '23503' || err.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return true;
  if (typeof err.message === 'string' && /FOREIGN KEY constraint failed|violates foreign key constraint/.test(err.message)) return true;
  return err.cause !== undefined && err.cause !== e && isForeignKeyViolation(err.cause);
}
