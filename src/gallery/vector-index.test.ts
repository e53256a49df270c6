// The in-memory index: scan.wat's embedded bytes are what it assembles to; the WASM and JS
// kernels give the same integer sums; and a search (scan + exact re-rank) returns exactly what a
// brute-force float64 search returns, also on crowded data (many near-duplicate faces, where the
// candidate band is widest), after removals, and with thresholds.

import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { assemble } from '../../scripts/gen-wasm.ts';
import { createCodeArena } from './code-arena.ts';
import { exactScore, unit } from './quantize.ts';
import { exactTopK, MemoryIndex } from './vector-index.ts';
import { WASM_BASE64 } from './wasm/scan-wasm.ts';

test('scan-wasm.ts embeds exactly what scan.wat assembles to (npm run gen:wasm)', async () => {
  const bytes = await assemble(join(import.meta.dir, 'wasm', 'scan.wat'));
  expect(Buffer.from(WASM_BASE64, 'base64').equals(Buffer.from(bytes))).toBe(true);
});

let seed = 3;
const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
const vec = (dim: number) => Float32Array.from(unit(Array.from({ length: dim }, rnd)));

test('the WASM SIMD and JS kernels compute the same exact integer dot products', () => {
  const dim = 512;
  const w = createCodeArena(dim, 64, 'wasm-simd');
  const j = createCodeArena(dim, 64, 'js');
  expect(w.kind).toBe('wasm-simd');
  for (let i = 0; i < 64; i++) {
    const codes = Int8Array.from({ length: dim }, () => Math.round(rnd() * 254));
    w.row(i).set(codes);
    j.row(i).set(codes);
  }
  const q = Int16Array.from({ length: dim }, () => Math.round(rnd() * 65000));
  w.setQuery(q);
  j.setQuery(q);
  expect(Array.from(w.dots(0, 64).subarray(0, 64))).toEqual(Array.from(j.dots(0, 64).subarray(0, 64)));
});

test('search equals brute force: crowded data, thresholds, removals, both kernels', async () => {
  for (const kernel of ['wasm-simd', 'js'] as const) {
    const dim = 512,
      index = new MemoryIndex(dim, { kernel });
    const store = new Map<number, { subjectPk: number; e: Float32Array }>();
    const centres = Array.from({ length: 20 }, () => vec(dim));
    for (let pk = 1; pk <= 3000; pk++) {
      // Near-duplicates of 20 faces under 300 subjects: many scores within the error band.
      const c = centres[pk % 20];
      const e = Float32Array.from(unit(Array.from(c, (x) => x + rnd() * 0.01)));
      const subjectPk = (pk % 300) + 1;
      store.set(pk, { subjectPk, e });
      index.add(pk, subjectPk, e);
    }
    for (let pk = 1; pk <= 3000; pk += 7) {
      index.removeFace(pk);
      store.delete(pk);
    }
    index.removeSubject(5);
    for (const [pk, v] of store) if (v.subjectPk === 5) store.delete(pk);
    expect(index.size).toBe(store.size);
    const fetch = async (pks: number[]) =>
      pks.flatMap((pk) => {
        const v = store.get(pk);
        return v ? [{ pk, subjectPk: v.subjectPk, embedding: v.e }] : [];
      });
    for (let t = 0; t < 6; t++) {
      const q = t < 3 ? centres[t].map((x) => x + rnd() * 0.02) : vec(dim);
      const y = unit(q);
      for (const [k, min] of [
        [1, -1],
        [10, -1],
        [5, 0.5],
        [3, 0.999],
      ] as const) {
        const best = new Map<number, number>();
        for (const v of store.values()) {
          const s = exactScore(v.e, y);
          if (s >= min && s > (best.get(v.subjectPk) ?? -Infinity)) best.set(v.subjectPk, s);
        }
        const want = [...best].sort((a, b) => b[1] - a[1]).slice(0, k);
        const got = await exactTopK(index.candidates(q, k, min), fetch, q, k, min);
        expect(got.map((h) => [h.subjectPk, h.similarity])).toEqual(want);
      }
    }
  }
});
