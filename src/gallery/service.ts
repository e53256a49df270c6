// GalleryService: galleries of subjects (people) with enrolled faces; identify (1:N), verify
// against a subject (1:1), search by vector. Transport-free: routes/galleries.ts is a thin
// adapter. Results are shaped as the REST API returns them (snake_case), so the route only
// serialises. Rules kept here, for every transport:
// - tenants: every method takes the caller's tenant (null: no tenant scoping); another
//   tenant's gallery is indistinguishable from a missing one (404);
// - one model per gallery: the first enrolment binds the gallery to the analyzer's model
//   (name + version, which covers preprocessing); enrolling or searching with another model
//   is a 409 naming both, never a comparison across models (re-enrol into a new gallery);
// - thresholds are applied here, with FaceService's DEFAULT_MATCH_THRESHOLD as the default;
// - identification is exact (vector-index.ts) unless a request asks for search=ann (ann.ts:
//   pgvector's HNSW index, refused where the database has none), and a subject is resolved
//   from the database after the search, so a subject deleted meanwhile is never returned;
// - enrolment is idempotent on the face id and on the Idempotency-Key.

import { EdgeError, invalid, notFound } from '../core/errors.ts';
import { type SearchChoice, annLimit, annTopK, checkSearchChoice } from './ann.ts';
import { DEFAULT_EF_SEARCH } from './db/pgvector.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../tasks/faces/service.ts';
import { type AnalyzedFace, type Analysis, type Box, type FaceAnalyzer, type ModelRef, modelLabel, sameModel } from './face-analyzer.ts';
import type { GalleryIndexes } from './index-cache.ts';
import { exactScore, unit } from './quantize.ts';
import type { FaceRow, GalleryRow, GalleryStore, SubjectRow, Tenant } from './store.ts';
import { exactTopK, type Hit } from './vector-index.ts';

/** Crops a face out of an image as a small JPEG; absent where the runtime has no encoder. */
export type Thumbnailer = (image: Uint8Array, box: Box) => Promise<Uint8Array>;

export const LIMITS = {
  /** Serialised JSON bytes of a subject's metadata. */
  metadataBytes: 4096,
  displayName: 200,
  description: 500,
  /** Subjects returned per identified face. */
  maxK: 100,
} as const;

const conflict = (msg: string) => new EdgeError('CONFLICT', msg);
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

export interface PageRequest {
  cursor?: string;
  limit: number;
}

export interface GalleryServiceOptions {
  thumbnails?: Thumbnailer;
  /** Default match threshold (FaceService's unless given: one source of truth). */
  threshold?: number;
}

export class GalleryService {
  readonly defaultThreshold: number;

  constructor(
    readonly store: GalleryStore,
    private readonly analyzer: FaceAnalyzer,
    private readonly indexes: GalleryIndexes,
    private readonly o: GalleryServiceOptions = {},
  ) {
    this.defaultThreshold = o.threshold ?? DEFAULT_MATCH_THRESHOLD;
  }

  /** 404/503 that an image request would meet now (model missing or overloaded). */
  admit(): void {
    this.analyzer.admit?.();
  }

  // ---- galleries

  async createGallery(tenant: Tenant, g: { id: string; description?: string; keep_thumbnails?: boolean }) {
    if (g.keep_thumbnails && !this.o.thumbnails)
      throw invalid('keep_thumbnails: true is not available on this runtime (no image encoder to crop thumbnails with)');
    if (g.description !== undefined && g.description.length > LIMITS.description)
      throw invalid(`description: at most ${LIMITS.description} characters, got ${g.description.length}`);
    const row = await this.store.createGallery({ tenant, id: g.id, description: g.description ?? null, keepThumbnails: g.keep_thumbnails ?? false });
    return galleryJson(row, { subjects: 0, faces: 0 });
  }

  async listGalleries(tenant: Tenant, page: PageRequest) {
    const rows = await this.store.listGalleries(tenant, { after: decodeCursor(page.cursor), limit: page.limit + 1 });
    const more = rows.length > page.limit;
    const shown = rows.slice(0, page.limit);
    const last = shown[shown.length - 1];
    const key = last && (tenant === null ? JSON.stringify([last.tenant ?? '', last.id]) : last.id);
    return {
      galleries: await Promise.all(shown.map(async (r) => galleryJson(r, await this.store.counts(r.pk)))),
      next_cursor: more && key ? encodeCursor(key) : null,
    };
  }

  async getGallery(tenant: Tenant, id: string) {
    const g = await this.gallery(tenant, id);
    return galleryJson(g, await this.store.counts(g.pk));
  }

  async deleteGallery(tenant: Tenant, id: string): Promise<void> {
    const g = await this.gallery(tenant, id);
    if (!(await this.store.deleteGallery(g.pk))) throw notFound(`gallery '${id}' not found`);
    this.indexes.drop(g.pk);
  }

  // ---- subjects

  async createSubject(tenant: Tenant, galleryId: string, s: { id: string; display_name?: string; metadata?: Record<string, unknown> }) {
    const g = await this.gallery(tenant, galleryId);
    if (s.display_name !== undefined && s.display_name.length > LIMITS.displayName)
      throw invalid(`display_name: at most ${LIMITS.displayName} characters, got ${s.display_name.length}`);
    if (s.metadata !== undefined) {
      const bytes = new TextEncoder().encode(JSON.stringify(s.metadata)).byteLength;
      if (bytes > LIMITS.metadataBytes)
        throw new EdgeError('PAYLOAD_TOO_LARGE', `metadata: ${bytes} bytes of JSON, more than the limit of ${LIMITS.metadataBytes}`);
    }
    const row = await this.store.createSubject(g.pk, { id: s.id, displayName: s.display_name ?? null, metadata: s.metadata ?? null });
    return subjectJson(row, 0);
  }

  async listSubjects(tenant: Tenant, galleryId: string, page: PageRequest) {
    const g = await this.gallery(tenant, galleryId);
    const rows = await this.store.listSubjects(g.pk, { after: decodeCursor(page.cursor), limit: page.limit + 1 });
    const shown = rows.slice(0, page.limit);
    return {
      subjects: await Promise.all(shown.map(async (r) => subjectJson(r, await this.store.faceCount(r.pk)))),
      next_cursor: rows.length > page.limit ? encodeCursor(shown[shown.length - 1].id) : null,
    };
  }

  async getSubject(tenant: Tenant, galleryId: string, subjectId: string) {
    const g = await this.gallery(tenant, galleryId);
    const s = await this.subject(g, subjectId);
    return subjectJson(s, await this.store.faceCount(s.pk));
  }

  async deleteSubject(tenant: Tenant, galleryId: string, subjectId: string): Promise<void> {
    const g = await this.gallery(tenant, galleryId);
    const s = await this.subject(g, subjectId);
    if (!(await this.store.deleteSubject(g.pk, s.pk))) throw notFound(`subject '${subjectId}' not found in gallery '${galleryId}'`);
  }

  // ---- faces

  /** Enrols the chosen face of `image` under the subject. `created` is false for a replay. */
  async enrol(
    tenant: Tenant,
    galleryId: string,
    subjectId: string,
    image: Uint8Array,
    o: { faceId?: string; idempotencyKey?: string; box?: Box; signal?: AbortSignal } = {},
  ) {
    let g = await this.gallery(tenant, galleryId);
    const s = await this.subject(g, subjectId);
    const requestHash = await digest([subjectId, o.faceId ?? '', o.box?.join(',') ?? ''], image);
    const replay = await this.replayed(g, s, o, requestHash);
    if (replay) return { face: faceJson(replay, subjectId), created: false };

    const a = await this.analyzer.analyze(image, { box: o.box, enrol: true, signal: o.signal });
    const face = chosenFace(a, 'image');
    g = await this.bind(g, a.model, face.embedding!.length);
    let thumbnail: Uint8Array | null = null;
    if (g.keepThumbnails && this.o.thumbnails) thumbnail = await this.o.thumbnails(image, face.box);
    try {
      const row = await this.store.addFace(g.pk, s.pk, {
        id: o.faceId ?? crypto.randomUUID(),
        embedding: Float32Array.from(unit(face.embedding!)),
        box: face.box,
        score: face.score,
        landmarks: face.landmarks ?? null,
        quality: face.quality ?? null,
        liveness: face.liveness ?? null,
        model: a.model,
        thumbnail,
        idempotencyKey: o.idempotencyKey ?? null,
        requestHash,
      });
      return { face: { ...faceJson(row, subjectId), candidates: a.faces.length }, created: true };
    } catch (e) {
      // A concurrent twin of this request won the insert: answer as its replay.
      if ((e as EdgeError).code === 'CONFLICT') {
        const again = await this.replayed(g, s, o, requestHash);
        if (again) return { face: faceJson(again, subjectId), created: false };
      }
      throw e;
    }
  }

  async listFaces(tenant: Tenant, galleryId: string, subjectId: string, page: PageRequest) {
    const g = await this.gallery(tenant, galleryId);
    const s = await this.subject(g, subjectId);
    const rows = await this.store.listFaces(g.pk, s.pk, { after: decodeCursor(page.cursor), limit: page.limit + 1 });
    const shown = rows.slice(0, page.limit);
    return {
      faces: shown.map((f) => faceJson(f, subjectId)),
      next_cursor: rows.length > page.limit ? encodeCursor(String(shown[shown.length - 1].pk)) : null,
    };
  }

  async deleteFace(tenant: Tenant, galleryId: string, subjectId: string, faceId: string): Promise<void> {
    const g = await this.gallery(tenant, galleryId);
    const s = await this.subject(g, subjectId);
    if (!(await this.store.deleteFace(g.pk, s.pk, faceId))) throw notFound(`face '${faceId}' not found under subject '${subjectId}'`);
  }

  async thumbnail(tenant: Tenant, galleryId: string, subjectId: string, faceId: string): Promise<Uint8Array> {
    const g = await this.gallery(tenant, galleryId);
    const s = await this.subject(g, subjectId);
    const t = await this.store.thumbnail(g.pk, s.pk, faceId);
    if (t === undefined) throw notFound(`face '${faceId}' not found under subject '${subjectId}'`);
    if (t === null) throw notFound(`face '${faceId}' has no thumbnail (the gallery keeps none${g.keepThumbnails ? ' for faces enrolled before it did' : ''})`);
    return t;
  }

  // ---- recognition

  /** 1:N: the subjects each face (or only the chosen one) may be, best first, at or above the threshold. */
  async identify(
    tenant: Tenant,
    galleryId: string,
    image: Uint8Array,
    o: { k?: number; threshold?: number; all?: boolean; box?: Box; signal?: AbortSignal } & SearchChoice = {},
  ) {
    const g = await this.gallery(tenant, galleryId);
    await checkSearchChoice(this.store, g, o);
    const threshold = o.threshold ?? this.defaultThreshold;
    const k = o.k ?? 1;
    const a = await this.analyzer.analyze(image, { box: o.box, all: o.all, signal: o.signal });
    chosenFace(a, 'image');
    if (g.model && !sameModel(g.model, a.model)) throw modelConflict(g, a.model);
    const faces = a.faces.map((f, i) => ({ f, i })).filter(({ f, i }) => (o.all ? f.embedding : i === a.chosen));
    const results = await Promise.all(faces.map(({ f }) => this.searchOne(g, f.embedding!, k, threshold, o)));
    return {
      gallery: g.id,
      model: g.model ?? a.model,
      threshold,
      image: a.image,
      faces: faces.map(({ f, i }, n) => ({
        box: f.box,
        score: f.score,
        chosen: i === a.chosen,
        ...(f.liveness !== undefined ? { liveness: f.liveness } : {}),
        subject: results[n][0] ?? null,
        unknown: results[n].length === 0,
        candidates: results[n],
      })),
    };
  }

  /** 1:1 against an enrolled subject: the best similarity over its faces. */
  async verify(tenant: Tenant, galleryId: string, subjectId: string, image: Uint8Array, o: { threshold?: number; box?: Box; signal?: AbortSignal } = {}) {
    const g = await this.gallery(tenant, galleryId);
    const s = await this.subject(g, subjectId);
    const threshold = o.threshold ?? this.defaultThreshold;
    const a = await this.analyzer.analyze(image, { box: o.box, signal: o.signal });
    const face = chosenFace(a, 'image');
    if (g.model && !sameModel(g.model, a.model)) throw modelConflict(g, a.model);
    const stored = await this.store.subjectVectors(g.pk, s.pk);
    if (!stored.length) throw new EdgeError('UNPROCESSABLE', `subject '${subjectId}' has no enrolled faces to verify against`);
    const y = unit(face.embedding!);
    let best = -Infinity,
      faceId = '';
    for (const v of stored) {
      const sim = exactScore(v.embedding, y);
      if (sim > best) {
        best = sim;
        faceId = v.id;
      }
    }
    return {
      gallery: g.id,
      subject: subjectId,
      similarity: round(best, 6),
      match: best >= threshold,
      threshold,
      best_face: faceId,
      face: { box: face.box, score: face.score, ...(face.liveness !== undefined ? { liveness: face.liveness } : {}) },
      model: g.model ?? a.model,
    };
  }

  /** Search by a vector made elsewhere: the caller names the model that made it. */
  async search(
    tenant: Tenant,
    galleryId: string,
    q: { embedding: number[]; model: ModelRef; k?: number; threshold?: number; search?: SearchChoice['search']; ef_search?: number },
  ) {
    const g = await this.gallery(tenant, galleryId);
    const choice: SearchChoice = { search: q.search, efSearch: q.ef_search };
    await checkSearchChoice(this.store, g, choice);
    const threshold = q.threshold ?? this.defaultThreshold;
    if (g.model && !sameModel(g.model, q.model)) throw modelConflict(g, q.model);
    if (g.dim && q.embedding.length !== g.dim) throw invalid(`embedding: expected ${g.dim} numbers (the gallery's model), got ${q.embedding.length}`);
    let norm = 0;
    for (const x of q.embedding) norm += x * x;
    if (!(norm > 0)) throw invalid('embedding: must not be all zeros');
    const hits = g.model ? await this.searchOne(g, Float32Array.from(q.embedding), q.k ?? 1, threshold, choice) : [];
    return { gallery: g.id, model: g.model ?? q.model, threshold, subject: hits[0] ?? null, unknown: hits.length === 0, candidates: hits };
  }

  // ---- internals

  private async searchOne(g: GalleryRow, embedding: Float32Array, k: number, threshold: number, choice: SearchChoice = {}) {
    if (choice.search === 'ann') {
      if (!g.dim) return [];
      const rows = await this.store.annFaces(g.pk, Float32Array.from(unit(embedding)), {
        k,
        limit: annLimit(k),
        efSearch: choice.efSearch ?? DEFAULT_EF_SEARCH,
      });
      return this.named(g, annTopK(rows, embedding, k, threshold));
    }
    const index = await this.indexes.current(g);
    if (!index) return [];
    const candidates = index.candidates(embedding, k, threshold);
    const hits = await exactTopK(candidates, (pks) => this.store.vectors(g.pk, pks), embedding, k, threshold);
    return this.named(g, hits);
  }

  /** Hits with their subjects' ids; a subject gone from the database is left out. */
  private async named(g: GalleryRow, hits: Hit[]) {
    const subjects = new Map((await this.store.subjectsByPk(g.pk, [...new Set(hits.map((h) => h.subjectPk))])).map((s) => [s.pk, s]));
    return hits.flatMap((h) => {
      const s = subjects.get(h.subjectPk);
      return s ? [{ id: s.id, display_name: s.displayName, similarity: round(h.similarity, 6) }] : [];
    });
  }

  private async gallery(tenant: Tenant, id: string): Promise<GalleryRow> {
    const g = await this.store.findGallery(tenant, id);
    if (!g) throw notFound(`gallery '${id}' not found`);
    return g;
  }

  private async subject(g: GalleryRow, id: string): Promise<SubjectRow> {
    const s = await this.store.getSubject(g.pk, id);
    if (!s) throw notFound(`subject '${id}' not found in gallery '${g.id}'`);
    return s;
  }

  private async bind(g: GalleryRow, model: ModelRef, dim: number): Promise<GalleryRow> {
    if (!g.model) {
      const bound = await this.store.bindModel(g.pk, model, dim);
      if (!bound) throw notFound(`gallery '${g.id}' not found`);
      g = bound;
    }
    if (!sameModel(g.model!, model)) throw modelConflict(g, model);
    return g;
  }

  /** The face an earlier request with the same face id or Idempotency-Key enrolled, if any. */
  private async replayed(g: GalleryRow, s: SubjectRow, o: { faceId?: string; idempotencyKey?: string }, hash: string): Promise<FaceRow | undefined> {
    if (o.idempotencyKey) {
      const f = await this.store.findFace(g.pk, { idempotencyKey: o.idempotencyKey });
      if (f) {
        if (f.requestHash !== hash || f.subjectPk !== s.pk)
          throw new EdgeError('UNPROCESSABLE', `Idempotency-Key '${o.idempotencyKey}' was already used for a different enrolment in this gallery`);
        return f;
      }
    }
    if (o.faceId) {
      const f = await this.store.findFace(g.pk, { id: o.faceId });
      if (f) {
        if (f.requestHash !== hash || f.subjectPk !== s.pk || (o.idempotencyKey && f.idempotencyKey !== o.idempotencyKey))
          throw conflict(`face '${o.faceId}' already exists in gallery '${g.id}'`);
        return f;
      }
    }
    return undefined;
  }
}

function chosenFace(a: Analysis, label: string): AnalyzedFace {
  const f = a.faces[a.chosen];
  if (!f || !f.embedding) throw new EdgeError('UNPROCESSABLE', `no face found in ${label}`);
  return f;
}

const modelConflict = (g: GalleryRow, m: ModelRef) =>
  conflict(
    `gallery '${g.id}' holds embeddings of ${modelLabel(g.model!)}; this request's are from ${modelLabel(m)}: embeddings of different models are never compared (enrol again into a new gallery)`,
  );

async function digest(fields: string[], image: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`${fields.join('\u0000')}\u0000`);
  const all = new Uint8Array(head.length + image.length);
  all.set(head);
  all.set(image, head.length);
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(h, (b) => b.toString(16).padStart(2, '0')).join('');
}

function encodeCursor(key: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(key)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function decodeCursor(c: string | undefined): string | undefined {
  if (c === undefined) return undefined;
  try {
    const bin = atob(c.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
  } catch {
    throw invalid(`cursor: not a cursor this server returned, got '${c.slice(0, 60)}'`);
  }
}

function galleryJson(g: GalleryRow, counts: { subjects: number; faces: number }) {
  return {
    id: g.id,
    tenant: g.tenant,
    description: g.description,
    model: g.model,
    dimensions: g.dim,
    keep_thumbnails: g.keepThumbnails,
    subjects: counts.subjects,
    faces: counts.faces,
    created_at: g.createdAt,
  };
}

function subjectJson(s: SubjectRow, faces: number) {
  return { id: s.id, display_name: s.displayName, metadata: s.metadata ?? null, faces, created_at: s.createdAt };
}

function faceJson(f: FaceRow, subjectId: string) {
  return {
    id: f.id,
    subject: subjectId,
    box: f.box,
    score: f.score,
    landmarks: f.landmarks,
    quality: f.quality,
    liveness: f.liveness,
    model: f.model,
    has_thumbnail: f.hasThumbnail,
    created_at: f.createdAt,
  };
}
