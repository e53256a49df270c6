// The approximate identification search (search=ann) as identify runs it: pgvector's HNSW
// index on PGlite (PostgreSQL in WebAssembly, in-process, one thread), through the store's
// annFaces() and the exact re-score of its candidates (gallery/ann.ts). N random unit faces,
// two per subject, are bulk-loaded, then the index is built as migration 0002 defines it
// (m=16, ef_construction=64); load and build times are printed. For each ef_search: p50/p99 of
// the search and its agreement with an exhaustive float search of the same faces:
// - genuine probe (an enrolled face with noise), k=1, threshold 0.5: found = the same subject;
// - top-10, no threshold: recall@10 = the share of the exact top-10 subjects it returns.
// Random 512-d vectors are the hard case for a graph index (no structure to follow), so these
// recalls are a floor for real embeddings, which cluster by person.

import { sql } from 'kysely';
import { annLimit, annTopK } from '../gallery/ann.ts';
import { KyselyGalleryStore } from '../gallery/db/kysely-store.ts';
import { annQuery } from '../gallery/db/pgvector.ts';
import { lcg, unitInto } from './random-vectors.ts';

function normalize(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const LOAD_BATCH = 5000;

/**
 * PostgreSQL's binary COPY of faces rows (gallery_pk, subject_pk, id, model_name, model_version,
 * embedding, embedding_v, box, score, request_hash, created_at): no float is printed or parsed.
 * pgvector's binary vector is int16 dim, int16 0, then the float4s, big-endian like every field.
 */
function copyRows(vectors: Float32Array, dim: number, head: (j: number) => [number, number, string, string, string]): Uint8Array {
  const enc = new TextEncoder();
  const n = vectors.length / dim;
  const parts: Uint8Array[] = [Uint8Array.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0])];
  const box = enc.encode('[0,0,1,1]');
  for (let j = 0; j < n; j++) {
    const [gallery, subject, id, name, version] = head(j);
    const texts = [id, name, version].map((t) => enc.encode(t));
    const size = 2 + 8 + 8 + texts.reduce((a, t) => a + 4 + t.length, 0) + 4 + dim * 4 + 4 + 4 + dim * 4 + 4 + box.length + 12 + 4 + 4;
    const row = new Uint8Array(size);
    const dv = new DataView(row.buffer);
    let o = 0;
    const i32 = (v: number) => {
      dv.setInt32(o, v);
      o += 4;
    };
    const bytes = (b: Uint8Array) => {
      i32(b.length);
      row.set(b, o);
      o += b.length;
    };
    dv.setInt16(o, 11);
    o += 2;
    i32(4);
    i32(gallery);
    i32(4);
    i32(subject);
    for (const t of texts) bytes(t);
    const v = vectors.subarray(j * dim, (j + 1) * dim);
    i32(dim * 4);
    for (let d = 0; d < dim; d++) {
      dv.setFloat32(o, v[d], true);
      o += 4;
    } // embedding: float32 little-endian (kysely-store.ts)
    i32(4 + dim * 4);
    dv.setInt16(o, dim);
    dv.setInt16(o + 2, 0);
    o += 4;
    for (let d = 0; d < dim; d++) {
      dv.setFloat32(o, v[d]);
      o += 4;
    }
    bytes(box);
    i32(8);
    dv.setFloat64(o, 1);
    o += 8;
    i32(0);
    i32(0); // request_hash, created_at: ''
    parts.push(row.subarray(0, o));
  }
  parts.push(Uint8Array.from([0xff, 0xff]));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface GalleryAnnRow {
  faces: number;
  efSearch: number;
  case: string;
  agreement: number;
  p50: number;
  p99: number;
}

export interface GalleryAnnResult {
  faces: number;
  loadS: number;
  buildS: number;
  rows: GalleryAnnRow[];
}

export async function galleryAnnBench(
  n: number,
  o: { dim?: number; queries?: number; efs?: number[]; log?: (s: string) => void } = {},
): Promise<GalleryAnnResult | undefined> {
  const dim = o.dim ?? 512,
    queries = o.queries ?? 50,
    efs = o.efs ?? [40, 100, 200, 400],
    log = o.log ?? ((s: string) => console.log(s));
  let handle: Awaited<ReturnType<typeof import('../runtime/gallery-db/pglite.ts')['openPglite']>>;
  try {
    handle = await (await import('../runtime/gallery-db/pglite.ts')).openPglite();
  } catch (e) {
    log(`gallery ANN bench: not measured: PGlite with pgvector (dev dependencies) did not load: ${(e as Error).message}`);
    return undefined;
  }
  const store = new KyselyGalleryStore(handle);
  const db = handle.db;
  try {
    await store.migrate();
    const why = await store.annUnavailable();
    if (why) throw new Error(`pgvector unavailable: ${why}`);
    const model = { name: 'face_embed', version: 'bench' };
    const g = (await store.bindModel((await store.createGallery({ tenant: null, id: 'bench', description: null, keepThumbnails: false })).pk, model, dim))!;

    // ---- load: subjects, then faces by binary COPY without the index, then the index.
    const t0 = performance.now();
    const nSubjects = Math.ceil(n / 2);
    await sql`insert into subjects (gallery_pk, id, created_at) select ${g.pk}, 's' || i, '' from generate_series(1, ${nSubjects}) i`.execute(db);
    const subjectPks = (await sql<{ pk: number }>`select pk from subjects where gallery_pk = ${g.pk} order by pk`.execute(db)).rows.map((r) => Number(r.pk));
    await sql`drop index faces_embedding_hnsw`.execute(db);
    const all = new Float32Array(n * dim);
    const rnd = lcg(n);
    for (let i = 0; i < n; i += LOAD_BATCH) {
      const m = Math.min(n, i + LOAD_BATCH) - i;
      for (let j = i; j < i + m; j++) unitInto(all.subarray(j * dim, (j + 1) * dim), rnd);
      const copy = copyRows(all.subarray(i * dim, (i + m) * dim), dim, (j) => [g.pk, subjectPks[(i + j) >> 1], `f${i + j}`, model.name, model.version]);
      await handle.pglite.query(
        `copy faces (gallery_pk, subject_pk, id, model_name, model_version, embedding, embedding_v, box, score, request_hash, created_at)
        from '/dev/blob' with (format binary)`,
        [],
        { blob: new Blob([copy as BlobPart]) },
      );
    }
    const facePks = Float64Array.from((await sql<{ pk: number }>`select pk from faces where gallery_pk = ${g.pk} order by pk`.execute(db)).rows, (r) =>
      Number(r.pk),
    );
    const loadS = (performance.now() - t0) / 1000;
    log(`gallery ANN bench (PGlite + pgvector, one WebAssembly thread): ${n} faces loaded in ${loadS.toFixed(1)} s`);
    // Enough memory for the in-memory graph build (pgvector falls back to a slower one otherwise).
    await sql`set maintenance_work_mem = '1GB'`.execute(db);
    const t1 = performance.now();
    await sql`create index faces_embedding_hnsw on faces using hnsw (embedding_v vector_cosine_ops)`.execute(db);
    const buildS = (performance.now() - t1) / 1000;
    await sql`analyze faces`.execute(db);
    log(`  HNSW index (m=16, ef_construction=64) built in ${buildS.toFixed(1)} s`);
    const plan = await sql<{ 'QUERY PLAN': string }>`explain ${annQuery(g.pk, all.subarray(0, dim), { k: 10, limit: annLimit(10) })}`.execute(db);
    const usesIndex = plan.rows.some((r) => r['QUERY PLAN'].includes('faces_embedding_hnsw'));
    if (!usesIndex) log('  WARNING: the planner does not use the HNSW index for this query');

    // ---- the exact answers, by an exhaustive float search of the same faces.
    const subjectOf = new Map<number, number>();
    for (let j = 0; j < n; j++) subjectOf.set(facePks[j], subjectPks[j >> 1]);
    const exactSubjects = (q: Float32Array, k: number, min: number) => {
      const best = new Map<number, number>();
      for (let j = 0; j < n; j++) {
        let d = 0;
        const off = j * dim;
        for (let i = 0; i < dim; i++) d += all[off + i] * q[i];
        const s = subjectPks[j >> 1];
        if (d >= min && d > (best.get(s) ?? -Infinity)) best.set(s, d);
      }
      return [...best.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, k)
        .map(([s]) => s);
    };
    const cases: Array<{ name: string; k: number; min: number; query: (i: number) => Float32Array }> = [
      {
        name: 'genuine probe, threshold 0.5, k=1',
        k: 1,
        min: 0.5,
        query: (i) => {
          const j = Math.floor(((i + 0.5) * n) / queries);
          const p = all.slice(j * dim, (j + 1) * dim);
          const r = lcg(i + 7);
          for (let d = 0; d < dim; d++) p[d] += r() * 0.03;
          return normalize(p);
        },
      },
      { name: 'top-10, no threshold', k: 10, min: -1, query: (i) => unitInto(new Float32Array(dim), lcg(2e6 + i)) },
    ];
    const result: GalleryAnnResult = { faces: n, loadS, buildS, rows: [] };
    for (const c of cases) {
      const qs = Array.from({ length: queries }, (_, i) => c.query(i));
      const want = qs.map((q) => exactSubjects(q, c.k, c.min));
      for (const ef of efs) {
        for (let w = 0; w < 3; w++) await store.annFaces(g.pk, qs[w], { k: c.k, limit: annLimit(c.k), efSearch: ef }); // warm-up
        const times: number[] = [];
        let agree = 0;
        for (let i = 0; i < queries; i++) {
          const t = performance.now();
          const rows = await store.annFaces(g.pk, qs[i], { k: c.k, limit: annLimit(c.k), efSearch: ef });
          const hits = annTopK(rows, qs[i], c.k, c.min);
          times.push(performance.now() - t);
          const got = new Set(hits.map((h) => h.subjectPk));
          agree += want[i].length ? want[i].filter((s) => got.has(s)).length / want[i].length : got.size === 0 ? 1 : 0;
        }
        const row = { faces: n, efSearch: ef, case: c.name, agreement: agree / queries, p50: pct(times, 0.5), p99: pct(times, 0.99) };
        result.rows.push(row);
        const label = c.k === 1 ? 'found' : 'recall@10';
        log(
          `  ${c.name.padEnd(36)} ef_search ${String(ef).padStart(3)}  ${label} ${row.agreement.toFixed(3)}  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms`,
        );
      }
    }
    return result;
  } finally {
    await store.close();
  }
}

if (import.meta.main) {
  const n = Number(process.argv[2] ?? 100_000);
  const efs = process.argv[3]?.split(',').map(Number);
  await galleryAnnBench(n, { efs });
}
