// The GalleryStore port: galleries, subjects and faces as rows, and the per-gallery change log
// that keeps every process's in-memory index in step with the database. One implementation
// (db/kysely-store.ts) serves SQLite, PostgreSQL and D1 through Kysely; the contract suite
// (test/gallery-store.contract.ts) runs against each.
//
// Tenancy: a gallery belongs to a tenant ('' = none). Methods that take `tenant: string | null`
// see only that tenant's galleries; null (no tenant: auth off, or an admin) sees every gallery,
// and addresses one by id when exactly one tenant uses that id.

import type { Box, ModelRef } from './face-analyzer.ts';

export type Tenant = string | null;

export interface GalleryRow {
  pk: number;
  /** null: the gallery belongs to no tenant. */
  tenant: string | null;
  id: string;
  description: string | null;
  /** The model its embeddings come from; null until the first enrolment binds it. */
  model: ModelRef | null;
  dim: number | null;
  keepThumbnails: boolean;
  /** Change sequence: bumped by every write that changes what identify can find. */
  seq: number;
  createdAt: string;
}

export interface SubjectRow {
  pk: number;
  id: string;
  displayName: string | null;
  metadata: unknown;
  createdAt: string;
}

export interface FaceInput {
  id: string;
  embedding: Float32Array;
  box: Box;
  score: number;
  landmarks: Array<[number, number]> | null;
  quality: Record<string, number> | null;
  liveness: number | null;
  model: ModelRef;
  thumbnail: Uint8Array | null;
  idempotencyKey: string | null;
  /** Digest of what was asked, so a retried key can be told from a reused one. */
  requestHash: string;
}

export interface FaceRow {
  pk: number;
  id: string;
  subjectPk: number;
  box: Box;
  score: number;
  landmarks: Array<[number, number]> | null;
  quality: Record<string, number> | null;
  liveness: number | null;
  model: ModelRef;
  hasThumbnail: boolean;
  idempotencyKey: string | null;
  requestHash: string;
  createdAt: string;
}

export interface StoredFaceVector {
  pk: number;
  subjectPk: number;
  embedding: Float32Array;
}

export interface SubjectFaceVector extends StoredFaceVector {
  id: string;
}

export type Change =
  | { seq: number; op: 'add'; facePk: number; subjectPk: number; embedding: Float32Array | null }
  | { seq: number; op: 'del_face'; facePk: number }
  | { seq: number; op: 'del_subject'; subjectPk: number };

export interface Page {
  /** Exclusive: rows after this key (the previous page's last). */
  after?: string;
  limit: number;
}

export interface GalleryStore {
  readonly describe: string;
  /** Applies pending schema migrations. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** CONFLICT when the tenant already has a gallery with that id. */
  createGallery(g: { tenant: Tenant; id: string; description: string | null; keepThumbnails: boolean }): Promise<GalleryRow>;
  findGallery(tenant: Tenant, id: string): Promise<GalleryRow | undefined>;
  galleryByPk(pk: number): Promise<GalleryRow | undefined>;
  listGalleries(tenant: Tenant, page: Page): Promise<GalleryRow[]>;
  counts(galleryPk: number): Promise<{ subjects: number; faces: number }>;
  /** Deletes the gallery with every subject, face and change row; false if it was gone. */
  deleteGallery(galleryPk: number): Promise<boolean>;
  /** Binds a gallery without a model to `model` (no-op when bound); returns the row after. */
  bindModel(galleryPk: number, model: ModelRef, dim: number): Promise<GalleryRow | undefined>;

  /** CONFLICT when the id exists in the gallery. */
  createSubject(galleryPk: number, s: { id: string; displayName: string | null; metadata: unknown }): Promise<SubjectRow>;
  getSubject(galleryPk: number, id: string): Promise<SubjectRow | undefined>;
  listSubjects(galleryPk: number, page: Page): Promise<SubjectRow[]>;
  subjectsByPk(galleryPk: number, pks: number[]): Promise<SubjectRow[]>;
  faceCount(subjectPk: number): Promise<number>;
  /** Deletes the subject and its faces, logging one change; false if it was gone. */
  deleteSubject(galleryPk: number, subjectPk: number): Promise<boolean>;

  /** Inserts a face and logs its addition. CONFLICT when the face id or idempotency key exists,
   *  NOT_FOUND when the subject or gallery went away meanwhile. */
  addFace(galleryPk: number, subjectPk: number, f: FaceInput): Promise<FaceRow>;
  findFace(galleryPk: number, by: { id: string } | { idempotencyKey: string }): Promise<FaceRow | undefined>;
  listFaces(galleryPk: number, subjectPk: number, page: Page): Promise<FaceRow[]>;
  deleteFace(galleryPk: number, subjectPk: number, faceId: string): Promise<boolean>;
  thumbnail(galleryPk: number, subjectPk: number, faceId: string): Promise<Uint8Array | null | undefined>;

  /** The stored embeddings of these faces in this gallery (missing ones left out). */
  vectors(galleryPk: number, facePks: number[]): Promise<StoredFaceVector[]>;
  /** Every embedding of one subject, with the faces' ids. */
  subjectVectors(galleryPk: number, subjectPk: number): Promise<SubjectFaceVector[]>;
  /** Every embedding of the gallery, in batches ordered by pk (for loading an index). */
  scanVectors(galleryPk: number, afterPk: number, limit: number): Promise<StoredFaceVector[]>;
  /** Why approximate search (pgvector's HNSW index) is unavailable here; null when it is available. */
  annUnavailable(): Promise<string | null>;
  /** Approximate, by the database's vector index: among the `limit` faces nearest to `query` (unit
   *  length), the best face of each of the `k` nearest subjects, nearest first; deleted faces are
   *  never among them. INVALID_ARGUMENT where annUnavailable() is not null. */
  annFaces(galleryPk: number, query: Float32Array, o: { k: number; limit: number; efSearch: number }): Promise<StoredFaceVector[]>;
  /** Changes with seq > `after`, in order, at most `limit`. */
  changes(galleryPk: number, after: number, limit: number): Promise<Change[]>;
}
