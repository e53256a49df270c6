// The gallery's tables as Kysely types, and the versioned migrations that create them (Kysely's
// Migrator, its own bookkeeping tables). Column types differ per dialect only where SQL does
// (an auto-increment key, blobs, floats); the queries in kysely-store.ts are the same for all.
// Foreign keys (SQLite openers turn them on) refuse a face under a subject deleted meanwhile.
// Keys are never reused (AUTOINCREMENT / serial): an index that has not yet applied a deletion
// must not mistake a new face for the deleted one.

import { type ColumnType, type Generated, type Kysely, type Migration, Migrator, sql } from 'kysely';
import { setUpPgvector } from './pgvector.ts';

export type Dialect = 'sqlite' | 'postgres';

type Blob = ColumnType<Uint8Array, Uint8Array, Uint8Array>;

export interface GalleriesTable {
  pk: Generated<number>;
  /** '' for no tenant: NULLs would not be unique. */
  tenant: string;
  id: string;
  description: string | null;
  model_name: string | null;
  model_version: string | null;
  dim: number | null;
  keep_thumbnails: number;
  seq: number;
  created_at: string;
}

export interface SubjectsTable {
  pk: Generated<number>;
  gallery_pk: number;
  id: string;
  display_name: string | null;
  /** JSON text. */
  metadata: string | null;
  created_at: string;
}

export interface FacesTable {
  pk: Generated<number>;
  gallery_pk: number;
  subject_pk: number;
  id: string;
  /** float32 little-endian, unit length. */
  embedding: Blob;
  /** JSON [x1, y1, x2, y2]. */
  box: string;
  score: number;
  landmarks: string | null;
  quality: string | null;
  liveness: number | null;
  model_name: string;
  model_version: string;
  thumbnail: Blob | null;
  idempotency_key: string | null;
  request_hash: string;
  created_at: string;
  /** PostgreSQL with pgvector only (pgvector.ts): the embedding as vector(512), HNSW-indexed. */
  embedding_v?: ColumnType<string | null, unknown, unknown>;
}

export interface ChangesTable {
  gallery_pk: number;
  seq: number;
  op: 'add' | 'del_face' | 'del_subject';
  face_pk: number | null;
  subject_pk: number | null;
}

export interface GallerySchema {
  galleries: GalleriesTable;
  subjects: SubjectsTable;
  faces: FacesTable;
  changes: ChangesTable;
}

function migrations(dialect: Dialect): Record<string, Migration> {
  const pg = dialect === 'postgres';
  const blob = pg ? 'bytea' : ('blob' as const);
  const real = pg ? 'double precision' : ('real' as const);
  const table = (db: Kysely<unknown>, name: string) => {
    const t = db.schema.createTable(name).ifNotExists();
    return pg ? t.addColumn('pk', 'serial', (c) => c.primaryKey()) : t.addColumn('pk', 'integer', (c) => c.primaryKey().autoIncrement());
  };
  return {
    '0001_galleries_subjects_faces_changes': {
      async up(db: Kysely<unknown>) {
        await table(db, 'galleries')
          .addColumn('tenant', 'text', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('model_name', 'text')
          .addColumn('model_version', 'text')
          .addColumn('dim', 'integer')
          .addColumn('keep_thumbnails', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('galleries_tenant_id', ['tenant', 'id'])
          .execute();
        await table(db, 'subjects')
          .addColumn('gallery_pk', 'integer', (c) => c.notNull().references('galleries.pk'))
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('display_name', 'text')
          .addColumn('metadata', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('subjects_gallery_id', ['gallery_pk', 'id'])
          .execute();
        await table(db, 'faces')
          .addColumn('gallery_pk', 'integer', (c) => c.notNull().references('galleries.pk'))
          .addColumn('subject_pk', 'integer', (c) => c.notNull().references('subjects.pk'))
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('embedding', blob, (c) => c.notNull())
          .addColumn('box', 'text', (c) => c.notNull())
          .addColumn('score', real, (c) => c.notNull())
          .addColumn('landmarks', 'text')
          .addColumn('quality', 'text')
          .addColumn('liveness', real)
          .addColumn('model_name', 'text', (c) => c.notNull())
          .addColumn('model_version', 'text', (c) => c.notNull())
          .addColumn('thumbnail', blob)
          .addColumn('idempotency_key', 'text')
          .addColumn('request_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('faces_gallery_id', ['gallery_pk', 'id'])
          .addUniqueConstraint('faces_gallery_idempotency_key', ['gallery_pk', 'idempotency_key'])
          .execute();
        await db.schema.createIndex('faces_subject').ifNotExists().on('faces').columns(['subject_pk', 'pk']).execute();
        await db.schema.createIndex('faces_gallery_pk').ifNotExists().on('faces').columns(['gallery_pk', 'pk']).execute();
        await db.schema
          .createTable('changes')
          .ifNotExists()
          .addColumn('gallery_pk', 'integer', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('op', 'text', (c) => c.notNull())
          .addColumn('face_pk', 'integer')
          .addColumn('subject_pk', 'integer')
          .addPrimaryKeyConstraint('changes_pk', ['gallery_pk', 'seq'])
          .execute();
      },
    },
    // The vector column and its HNSW index where pgvector exists; a no-op elsewhere (SQLite, D1,
    // PostgreSQL without the extension), where search=ann is refused.
    '0002_pgvector_hnsw': {
      async up(db: Kysely<unknown>) {
        if (pg) await setUpPgvector(db);
      },
    },
  };
}

/** Brings the schema to the latest version (or to `to`, for tests of upgrades); the migrations applied are listed in `gallery_migration`. */
export async function migrateGallery(db: Kysely<GallerySchema>, dialect: Dialect, to?: string): Promise<string[]> {
  const all = migrations(dialect);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => all },
    migrationTableName: 'gallery_migration',
    migrationLockTableName: 'gallery_migration_lock',
  });
  const { error, results } = await (to ? migrator.migrateTo(to) : migrator.migrateToLatest());
  if (error) throw new Error(`gallery schema migration failed: ${(error as Error).message ?? String(error)}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export { sql };
