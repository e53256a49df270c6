// Approximate identification (search=ann): the database's HNSW index (pgvector, db/pgvector.ts)
// picks the candidate faces, and their similarities are computed exactly from the stored float32
// embeddings, as exact search does, so a returned similarity and the threshold decision on it
// are the exact ones; only which faces get considered is approximate (an enrolled face the
// index misses is a false reject, never a false accept). Exact search stays the default.

import { invalid } from '../core/errors.ts';
import { MAX_ANN_ROWS, VECTOR_DIM } from './db/pgvector.ts';
import { exactScore, unit } from './quantize.ts';
import type { GalleryRow, GalleryStore, StoredFaceVector } from './store.ts';
import type { Hit } from './vector-index.ts';

export type SearchMode = 'exact' | 'ann';

export interface SearchChoice {
  /** Default exact. */
  search?: SearchMode;
  /** hnsw.ef_search for search=ann (pgvector.ts DEFAULT_EF_SEARCH when absent). */
  efSearch?: number;
}

/** Face rows asked of the index for k subjects: subjects with several faces take several rows. */
export const annLimit = (k: number) => Math.min(MAX_ANN_ROWS, Math.max(20, 10 * k));

/** Refuses a search choice this gallery's database cannot honour (400 naming the field and value). */
export async function checkSearchChoice(store: GalleryStore, g: GalleryRow, c: SearchChoice): Promise<void> {
  if (c.search !== 'ann') {
    if (c.efSearch !== undefined) throw invalid(`ef_search: applies to search=ann only, got ef_search=${c.efSearch} with search=exact`);
    return;
  }
  const why = await store.annUnavailable();
  if (why) throw invalid(`search: 'ann' needs PostgreSQL with the pgvector extension, and ${why}: use search=exact (the default)`);
  if (g.dim !== null && g.dim !== VECTOR_DIM)
    throw invalid(`search: 'ann' indexes ${VECTOR_DIM}-dimensional embeddings; gallery '${g.id}' holds ${g.dim}-dimensional ones: use search=exact`);
}

/** The top `k` subjects (best face each) at or above `minScore` among the index's candidates, by exact score. */
export function annTopK(rows: StoredFaceVector[], query: ArrayLike<number>, k: number, minScore: number): Hit[] {
  const y = unit(query);
  const best = new Map<number, Hit>();
  for (const v of rows) {
    const similarity = exactScore(v.embedding, y);
    if (similarity < minScore) continue;
    const had = best.get(v.subjectPk);
    if (!had || similarity > had.similarity) best.set(v.subjectPk, { subjectPk: v.subjectPk, facePk: v.pk, similarity });
  }
  return [...best.values()].sort((a, b) => b.similarity - a.similarity).slice(0, k);
}
