// The GalleryStore contract: the same cases for every backend (bun:sqlite, PostgreSQL, PGlite
// in the bun test process; better-sqlite3 under Node and node:sqlite under Deno through
// gallery-contract-runner.ts). Plain functions over node:assert, so every runtime can run them.
// Each case uses its own gallery ids, so one database serves them all. `second` is another
// connection to the same database (another process's view), where the backend has one.
// `o.ann` says whether the backend has pgvector (PGlite here): the ANN case then checks the
// HNSW path, and otherwise that search=ann is refused, never answered some other way.

import assert from 'node:assert/strict';
import { GalleryIndexes } from '../src/gallery/index-cache.ts';
import type { FaceInput, GalleryStore } from '../src/gallery/store.ts';
import { exactTopK } from '../src/gallery/vector-index.ts';

export interface ContractCase {
  name: string;
  run(store: GalleryStore, second?: GalleryStore, o?: ContractOptions): Promise<void>;
}

export interface ContractOptions {
  /** The backend has pgvector's HNSW index (default false: SQLite, D1, Debian's PostgreSQL). */
  ann?: boolean;
}

const MODEL = { name: 'face_embed', version: '1+test' };
let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5;
export function unitVector(dim = 512): Float32Array {
  return unitLength(new Float32Array(dim).map(rand));
}
function unitLength(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const face = (id: string, embedding = unitVector(), extra: Partial<FaceInput> = {}): FaceInput => ({
  id,
  embedding,
  box: [1, 2, 30, 40],
  score: 0.99,
  landmarks: [
    [5, 6],
    [7, 8],
  ],
  quality: { size: 38 },
  liveness: null,
  model: MODEL,
  thumbnail: null,
  idempotencyKey: null,
  requestHash: `h-${id}`,
  ...extra,
});
const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? String(e),
  );
const uid = (p: string) => `${p}-${Math.random().toString(36).slice(2, 8)}`;

export const CONTRACT: ContractCase[] = [
  {
    name: 'galleries: create, duplicate 409, per-tenant namespaces, find, list pages, delete',
    async run(s) {
      const id = uid('g');
      const a = await s.createGallery({ tenant: 'acme', id, description: 'd', keepThumbnails: true });
      assert.equal(a.tenant, 'acme');
      assert.equal(a.keepThumbnails, true);
      assert.equal(a.model, null);
      assert.equal(await code(s.createGallery({ tenant: 'acme', id, description: null, keepThumbnails: false })), 'CONFLICT');
      const b = await s.createGallery({ tenant: 'globex', id, description: null, keepThumbnails: false });
      const n = await s.createGallery({ tenant: null, id: `${id}-none`, description: null, keepThumbnails: false });
      assert.equal(n.tenant, null);
      assert.equal((await s.findGallery('acme', id))?.pk, a.pk);
      assert.equal((await s.findGallery('globex', id))?.pk, b.pk);
      assert.equal(await s.findGallery('initech', id), undefined);
      assert.equal(await code(s.findGallery(null, id)), 'CONFLICT'); // two tenants use the id
      assert.equal((await s.findGallery(null, `${id}-none`))?.pk, n.pk);
      const page1 = await s.listGalleries('acme', { limit: 100 });
      assert.ok(page1.some((g) => g.pk === a.pk) && page1.every((g) => g.tenant === 'acme'));
      const all: number[] = [];
      let after: string | undefined;
      for (;;) {
        const p = await s.listGalleries(null, { after, limit: 2 });
        all.push(...p.map((g) => g.pk));
        if (p.length < 2) break;
        const last = p[p.length - 1];
        after = JSON.stringify([last.tenant ?? '', last.id]);
      }
      assert.equal(new Set(all).size, all.length);
      for (const g of [a, b, n]) assert.ok(all.includes(g.pk));
      assert.equal(await s.deleteGallery(b.pk), true);
      assert.equal(await s.deleteGallery(b.pk), false);
      assert.equal(await s.galleryByPk(b.pk), undefined);
    },
  },
  {
    name: 'subjects: create, duplicate 409, metadata round trip, pages by id, delete removes its faces',
    async run(s) {
      const g = await s.createGallery({ tenant: null, id: uid('subj'), description: null, keepThumbnails: false });
      for (const id of ['c', 'a', 'b', 'user@example.com']) await s.createSubject(g.pk, { id, displayName: id.toUpperCase(), metadata: { id, n: [1, 2] } });
      assert.equal(await code(s.createSubject(g.pk, { id: 'a', displayName: null, metadata: null })), 'CONFLICT');
      const a = (await s.getSubject(g.pk, 'a'))!;
      assert.deepEqual(a.metadata, { id: 'a', n: [1, 2] });
      assert.equal(a.displayName, 'A');
      const p1 = await s.listSubjects(g.pk, { limit: 2 });
      const p2 = await s.listSubjects(g.pk, { after: p1[1].id, limit: 2 });
      assert.deepEqual(
        [...p1, ...p2].map((x) => x.id),
        ['a', 'b', 'c', 'user@example.com'],
      );
      await s.addFace(g.pk, a.pk, face('fa1'));
      await s.addFace(g.pk, a.pk, face('fa2'));
      const b = (await s.getSubject(g.pk, 'b'))!;
      await s.addFace(g.pk, b.pk, face('fb1'));
      assert.equal(await s.faceCount(a.pk), 2);
      assert.deepEqual(await s.counts(g.pk), { subjects: 4, faces: 3 });
      assert.equal(await s.deleteSubject(g.pk, a.pk), true);
      assert.equal(await s.deleteSubject(g.pk, a.pk), false);
      assert.deepEqual(await s.counts(g.pk), { subjects: 3, faces: 1 });
      assert.equal(await s.findFace(g.pk, { id: 'fa1' }), undefined);
      assert.deepEqual(
        (await s.subjectsByPk(g.pk, [a.pk, b.pk])).map((x) => x.id),
        ['b'],
      );
    },
  },
  {
    name: 'faces: round trip (embedding bit-exact), duplicate id or key 409, missing subject 404, pages, delete',
    async run(s) {
      const g = await s.createGallery({ tenant: null, id: uid('faces'), description: null, keepThumbnails: true });
      const subj = await s.createSubject(g.pk, { id: 'p', displayName: null, metadata: null });
      const e = unitVector();
      const thumb = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
      const f = await s.addFace(g.pk, subj.pk, face('f1', e, { idempotencyKey: 'key-1', liveness: 0.93, thumbnail: thumb }));
      assert.deepEqual(
        [f.id, f.subjectPk, f.box, f.score, f.liveness, f.idempotencyKey, f.hasThumbnail],
        ['f1', subj.pk, [1, 2, 30, 40], 0.99, 0.93, 'key-1', true],
      );
      assert.deepEqual(f.landmarks, [
        [5, 6],
        [7, 8],
      ]);
      assert.deepEqual(f.model, MODEL);
      const [v] = await s.vectors(g.pk, [f.pk]);
      assert.deepEqual(Array.from(v.embedding), Array.from(e));
      assert.deepEqual(await s.thumbnail(g.pk, subj.pk, 'f1'), thumb);
      assert.equal(await code(s.addFace(g.pk, subj.pk, face('f1'))), 'CONFLICT');
      assert.equal(await code(s.addFace(g.pk, subj.pk, face('f2', unitVector(), { idempotencyKey: 'key-1' }))), 'CONFLICT');
      assert.equal(await code(s.addFace(g.pk, 99_999_999, face('f3'))), 'NOT_FOUND');
      assert.equal((await s.findFace(g.pk, { idempotencyKey: 'key-1' }))?.id, 'f1');
      for (let i = 2; i <= 5; i++) await s.addFace(g.pk, subj.pk, face(`f${i}`));
      const p1 = await s.listFaces(g.pk, subj.pk, { limit: 3 });
      const p2 = await s.listFaces(g.pk, subj.pk, { after: String(p1[2].pk), limit: 3 });
      assert.deepEqual(
        [...p1, ...p2].map((x) => x.id),
        ['f1', 'f2', 'f3', 'f4', 'f5'],
      );
      assert.equal((await s.subjectVectors(g.pk, subj.pk)).length, 5);
      assert.equal(await s.deleteFace(g.pk, subj.pk, 'f3'), true);
      assert.equal(await s.deleteFace(g.pk, subj.pk, 'f3'), false);
      assert.deepEqual((await s.scanVectors(g.pk, 0, 10)).map((x) => x.pk).length, 4);
    },
  },
  {
    name: 'change log: every index-visible write bumps seq once and logs what changed; a model binds once',
    async run(s) {
      let g = await s.createGallery({ tenant: null, id: uid('log'), description: null, keepThumbnails: false });
      assert.equal(g.seq, 0);
      g = (await s.bindModel(g.pk, MODEL, 512))!;
      assert.deepEqual([g.model, g.dim], [MODEL, 512]);
      g = (await s.bindModel(g.pk, { name: 'other', version: '9' }, 128))!;
      assert.deepEqual([g.model, g.dim], [MODEL, 512]);
      const a = await s.createSubject(g.pk, { id: 'a', displayName: null, metadata: null });
      const f1 = await s.addFace(g.pk, a.pk, face('1'));
      const f2 = await s.addFace(g.pk, a.pk, face('2'));
      await s.deleteFace(g.pk, a.pk, '1');
      await s.deleteSubject(g.pk, a.pk);
      const ch = await s.changes(g.pk, 0, 100);
      assert.deepEqual(
        ch.map((c) => [c.seq, c.op]),
        [
          [1, 'add'],
          [2, 'add'],
          [3, 'del_face'],
          [4, 'del_subject'],
        ],
      );
      assert.equal(ch[0].op === 'add' && ch[0].facePk, f1.pk);
      // Both faces are gone now: their additions carry no embedding.
      assert.equal(ch[1].op === 'add' && ch[1].embedding, null);
      assert.equal(ch[1].op === 'add' && ch[1].facePk, f2.pk);
      assert.equal((await s.galleryByPk(g.pk))!.seq, 4);
      assert.deepEqual(
        (await s.changes(g.pk, 2, 100)).map((c) => c.seq),
        [3, 4],
      );
    },
  },
  {
    name: 'index: exact top-k equals brute force; another connection sees each commit on its next read',
    async run(s, second) {
      const other = second ?? s;
      let g = await s.createGallery({ tenant: null, id: uid('idx'), description: null, keepThumbnails: false });
      g = (await s.bindModel(g.pk, MODEL, 512))!;
      const vecs: Array<{ subject: number; e: Float32Array }> = [];
      const subjects = [];
      for (let i = 0; i < 12; i++) subjects.push(await s.createSubject(g.pk, { id: `s${i}`, displayName: null, metadata: null }));
      for (let i = 0; i < 60; i++) {
        const subj = subjects[i % subjects.length];
        const e = unitVector();
        vecs.push({ subject: subj.pk, e });
        await s.addFace(g.pk, subj.pk, face(`f${i}`, e));
      }
      const mine = new GalleryIndexes(s, { maxBytes: 64 << 20 });
      const theirs = new GalleryIndexes(other, { maxBytes: 64 << 20 });
      const search = async (ix: GalleryIndexes, store: GalleryStore, q: Float32Array, k: number, min: number) => {
        const row = (await store.galleryByPk(g.pk))!;
        const index = (await ix.current(row))!;
        return exactTopK(index.candidates(q, k, min), (pks) => store.vectors(g.pk, pks), q, k, min);
      };
      const brute = (query: Float32Array, k: number, min: number) => {
        const n = Math.hypot(...query);
        const q = Array.from(query, (x) => x / n);
        const best = new Map<number, number>();
        for (const v of vecs) {
          let d = 0;
          for (let i = 0; i < q.length; i++) d += v.e[i] * q[i];
          if (d >= min && d > (best.get(v.subject) ?? -Infinity)) best.set(v.subject, d);
        }
        return [...best.entries()].sort((a, b) => b[1] - a[1]).slice(0, k);
      };
      for (let t = 0; t < 5; t++) {
        // Queries near an enrolled face and random ones.
        const q = t % 2 ? unitVector() : vecs[t * 7].e.map((x) => x + rand() * 0.02);
        for (const [k, min] of [
          [1, -1],
          [5, -1],
          [3, 0.05],
        ] as const) {
          const got = await search(mine, s, q, k, min);
          const want = brute(q, k, min);
          assert.deepEqual(
            got.map((h) => h.subjectPk),
            want.map(([p]) => p),
            `k=${k} min=${min}`,
          );
          for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i].similarity - want[i][1]) < 1e-6);
        }
      }
      // Writes through one connection are seen through the other on its next read.
      const probe = unitVector();
      await search(theirs, other, probe, 1, -1); // loads the other side's index
      const newcomer = await s.createSubject(g.pk, { id: 'newcomer', displayName: null, metadata: null });
      await s.addFace(g.pk, newcomer.pk, face('probe', probe));
      assert.equal((await search(theirs, other, probe, 1, 0.99))[0]?.subjectPk, newcomer.pk);
      await s.deleteSubject(g.pk, newcomer.pk);
      assert.deepEqual(await search(theirs, other, probe, 1, 0.99), []);
      assert.deepEqual(await search(mine, s, probe, 1, 0.99), []);
    },
  },
  {
    name: "ann: the HNSW index finds the enrolled face, never a deleted one or another gallery's; refused without pgvector",
    async run(s, _second, o = {}) {
      const why = await s.annUnavailable();
      let g = await s.createGallery({ tenant: 'acme', id: uid('ann'), description: null, keepThumbnails: false });
      g = (await s.bindModel(g.pk, MODEL, 512))!;
      const probe = unitVector();
      if (!o.ann) {
        // Refused, naming the option: search=ann is never answered by some other search.
        assert.equal(typeof why, 'string');
        await assert.rejects(
          s.annFaces(g.pk, probe, { k: 1, limit: 10, efSearch: 40 }),
          (e: { code?: string; message?: string }) => e.code === 'INVALID_ARGUMENT' && /search: 'ann'/.test(e.message ?? ''),
        );
        return;
      }
      assert.equal(why, null);
      // Another tenant's gallery holds the probe itself: it must never come back from this one.
      let other = await s.createGallery({ tenant: 'globex', id: g.id, description: null, keepThumbnails: false });
      other = (await s.bindModel(other.pk, MODEL, 512))!;
      const intruder = await s.createSubject(other.pk, { id: 'intruder', displayName: null, metadata: null });
      const intruderFace = await s.addFace(other.pk, intruder.pk, face('i1', probe));
      const vecs: Array<{ pk: number; subject: number; e: Float32Array }> = [];
      for (let i = 0; i < 40; i++) {
        const subj = await s.createSubject(g.pk, { id: `s${i}`, displayName: null, metadata: null });
        for (let j = 0; j < 2; j++) {
          const e = unitVector();
          vecs.push({ pk: (await s.addFace(g.pk, subj.pk, face(`f${i}-${j}`, e))).pk, subject: subj.pk, e });
        }
      }
      const near = unitLength(probe.map((x) => x + rand() * 0.02)); // stored embeddings are unit length
      const target = await s.createSubject(g.pk, { id: 'target', displayName: null, metadata: null });
      const targetFace = await s.addFace(g.pk, target.pk, face('t1', near));
      vecs.push({ pk: targetFace.pk, subject: target.pk, e: near });
      const dot = (a: Float32Array, b: Float32Array) => a.reduce((acc, x, i) => acc + x * b[i], 0);
      // Brute force: the best face of each of the k nearest subjects.
      const exact = (q: Float32Array, k: number) => {
        const best = new Map<number, { pk: number; d: number }>();
        for (const v of vecs) {
          const d = dot(v.e, q);
          if (d > (best.get(v.subject)?.d ?? -Infinity)) best.set(v.subject, { pk: v.pk, d });
        }
        return [...best.values()]
          .sort((a, b) => b.d - a.d)
          .slice(0, k)
          .map((b) => b.pk);
      };
      const ann = (gallery: number, q: Float32Array, k = 10, efSearch = 40) => s.annFaces(gallery, q, { k, limit: 10 * k, efSearch });

      let rows = await ann(g.pk, probe);
      assert.equal(rows[0]?.pk, targetFace.pk);
      assert.equal(rows[0].subjectPk, target.pk);
      assert.deepEqual(Array.from(rows[0].embedding), Array.from(near)); // the stored float32, bit-exact
      assert.equal(rows.length, 10);
      assert.equal(new Set(rows.map((r) => r.subjectPk)).size, 10, 'one face per subject');
      assert.ok(
        rows.every((r) => r.pk !== intruderFace.pk && vecs.some((v) => v.pk === r.pk)),
        "only this gallery's faces",
      );
      // On a gallery this small the index finds the exact top 10, nearest first (near-ties within
      // float32 rounding may swap: the service re-scores exactly).
      for (let t = 0; t < 3; t++) {
        const q = t === 0 ? probe : unitVector();
        const got = await ann(g.pk, q, 10, 100);
        assert.deepEqual(got.map((r) => r.pk).sort(), exact(q, 10).sort());
        for (let i = 1; i < got.length; i++) assert.ok(dot(got[i].embedding, q) <= dot(got[i - 1].embedding, q) + 1e-6, `order at ${i}`);
      }
      assert.deepEqual(
        (await ann(other.pk, probe)).map((r) => r.pk),
        [intruderFace.pk],
      );

      // Deleting the face, then the subject: neither comes back from the index.
      const second = await s.addFace(g.pk, target.pk, face('t2', probe));
      rows = await ann(g.pk, probe);
      assert.equal(rows[0]?.pk, second.pk);
      assert.equal(rows.filter((r) => r.subjectPk === target.pk).length, 1);
      await s.deleteFace(g.pk, target.pk, 't2');
      rows = await ann(g.pk, probe);
      assert.equal(rows[0]?.pk, targetFace.pk);
      assert.ok(rows.every((r) => r.pk !== second.pk));
      await s.deleteSubject(g.pk, target.pk);
      rows = await ann(g.pk, probe, 50, 200);
      assert.equal(rows.length, 40);
      assert.ok(rows.every((r) => r.subjectPk !== target.pk && r.pk !== intruderFace.pk));
      // A face enrolled after is found at once (the column is written with the row).
      const late = await s.createSubject(g.pk, { id: 'late', displayName: null, metadata: null });
      const lateFace = await s.addFace(g.pk, late.pk, face('l1', near));
      assert.equal((await ann(g.pk, probe, 1))[0]?.pk, lateFace.pk);
    },
  },
  {
    name: 'concurrent enrolments: every one committed, seqs contiguous, the index sees all',
    async run(s) {
      let g = await s.createGallery({ tenant: null, id: uid('conc'), description: null, keepThumbnails: false });
      g = (await s.bindModel(g.pk, MODEL, 512))!;
      const subj = await s.createSubject(g.pk, { id: 'p', displayName: null, metadata: null });
      await Promise.all(Array.from({ length: 24 }, (_, i) => s.addFace(g.pk, subj.pk, face(`c${i}`))));
      const ch = await s.changes(g.pk, 0, 100);
      assert.deepEqual(
        ch.map((c) => c.seq),
        Array.from({ length: 24 }, (_, i) => i + 1),
      );
      const index = (await new GalleryIndexes(s, { maxBytes: 64 << 20 }).current((await s.galleryByPk(g.pk))!))!;
      assert.equal(index.size, 24);
    },
  },
];
