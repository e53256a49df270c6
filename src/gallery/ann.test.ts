// search=ann's service-side rules: the index's candidates are re-scored exactly (best face per
// subject, threshold, order), and a search choice the database cannot honour is refused.

import { expect, test } from 'bun:test';
import { annLimit, annTopK, checkSearchChoice } from './ann.ts';
import { exactScore, unit } from './quantize.ts';
import type { GalleryRow, GalleryStore } from './store.ts';

const v = (...xs: number[]) => Float32Array.from(unit(xs));

test('annTopK: exact scores, the best face per subject, at or above the threshold, best first, k at most', () => {
  const q = [1, 0, 0];
  const rows = [
    { pk: 1, subjectPk: 10, embedding: v(0.6, 0.8, 0) },
    { pk: 2, subjectPk: 20, embedding: v(0.9, 0.1, 0) },
    { pk: 3, subjectPk: 10, embedding: v(0.99, 0, 0.1) },
    { pk: 4, subjectPk: 30, embedding: v(0, 1, 0) },
  ];
  const hits = annTopK(rows, q, 5, 0.5);
  expect(hits.map((h) => [h.subjectPk, h.facePk])).toEqual([
    [10, 3],
    [20, 2],
  ]);
  expect(hits[0].similarity).toBe(exactScore(rows[2].embedding, unit(q)));
  expect(annTopK(rows, q, 1, -1).map((h) => h.subjectPk)).toEqual([10]);
  expect(annTopK(rows, q, 5, 0.999)).toEqual([]);
  expect([annLimit(1), annLimit(10), annLimit(100)]).toEqual([20, 100, 1000]);
});

test('checkSearchChoice: ann refused where the store has no vector index, or for another dimension; ef_search only with ann', async () => {
  const store = (why: string | null) => ({ annUnavailable: async () => why }) as unknown as GalleryStore;
  const g = { id: 'g', dim: 512 } as GalleryRow;
  await expect(checkSearchChoice(store('the gallery database is SQLite x'), g, {})).resolves.toBeUndefined();
  await expect(checkSearchChoice(store('the gallery database is SQLite x'), g, { search: 'ann' })).rejects.toThrow(
    "search: 'ann' needs PostgreSQL with the pgvector extension, and the gallery database is SQLite x: use search=exact (the default)",
  );
  await expect(checkSearchChoice(store(null), g, { search: 'ann', efSearch: 80 })).resolves.toBeUndefined();
  await expect(checkSearchChoice(store(null), { ...g, dim: 128 }, { search: 'ann' })).rejects.toThrow("gallery 'g' holds 128-dimensional ones");
  await expect(checkSearchChoice(store(null), g, { search: 'exact', efSearch: 80 })).rejects.toThrow(
    'ef_search: applies to search=ann only, got ef_search=80 with search=exact',
  );
});
