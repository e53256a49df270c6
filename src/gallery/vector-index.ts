// One gallery's faces in memory for identification: int8 codes scanned with SIMD (code-arena.ts)
// plus, per face, its database key, its subject's key, the code scale and the residual bound
// (quantize.ts): 4 typed arrays and a key → slot map, no object per face. A search is exact:
// the scan keeps every face whose score bound could still reach the top k (or the threshold),
// and exactTopK() re-scores those few from the stored float32 embeddings, so the answer is the
// one an exhaustive float64 search of the stored embeddings gives.

import { type CodeArena, BLOCK, createCodeArena } from './code-arena.ts';
import { errorBound, exactScore, quantizeFace, quantizeQuery, unit } from './quantize.ts';

export interface Candidate {
  facePk: number;
  subjectPk: number;
  /** Bounds on the exact score. */
  lower: number;
  upper: number;
}

export interface Hit {
  subjectPk: number;
  facePk: number;
  similarity: number;
}

export class MemoryIndex {
  /** The gallery change sequence this index reflects (index-cache.ts keeps it current). */
  seq = 0;
  private n = 0;
  private readonly arena: CodeArena;
  private facePks: Float64Array;
  private subjectPks: Float64Array;
  private scales: Float32Array;
  private resids: Float32Array;
  private readonly slotOf = new Map<number, number>();
  private maxResid = 0;
  /** Reused by add(): enrolling a million faces allocates nothing per face. */
  private readonly scratch: Float64Array;

  constructor(
    readonly dim: number,
    o: { initial?: number; kernel?: 'wasm-simd' | 'js' } = {},
  ) {
    const initial = o.initial ?? 0;
    this.arena = createCodeArena(dim, initial, o.kernel);
    this.scratch = new Float64Array(dim);
    this.facePks = new Float64Array(initial);
    this.subjectPks = new Float64Array(initial);
    this.scales = new Float32Array(initial);
    this.resids = new Float32Array(initial);
  }

  get size(): number {
    return this.n;
  }
  get kernel(): CodeArena['kind'] {
    return this.arena.kind;
  }

  has(facePk: number): boolean {
    return this.slotOf.has(facePk);
  }

  /** Adds a face (unit-length embedding); a face already present is left as it is. */
  add(facePk: number, subjectPk: number, embedding: ArrayLike<number>): void {
    if (embedding.length !== this.dim) throw new RangeError(`embedding has ${embedding.length} dimensions, the index ${this.dim}`);
    if (this.slotOf.has(facePk)) return;
    const i = this.n;
    this.arena.ensure(i + 1);
    if (i >= this.facePks.length) this.growMeta(Math.max(256, i + 1, this.facePks.length * 2));
    const { scale, resid } = quantizeFace(unit(embedding, this.scratch), this.arena.row(i));
    this.facePks[i] = facePk;
    this.subjectPks[i] = subjectPk;
    this.scales[i] = scale;
    this.resids[i] = resid;
    if (resid > this.maxResid) this.maxResid = resid;
    this.slotOf.set(facePk, i);
    this.n++;
  }

  removeFace(facePk: number): boolean {
    const i = this.slotOf.get(facePk);
    if (i === undefined) return false;
    this.slotOf.delete(facePk);
    this.fill(i);
    return true;
  }

  removeSubject(subjectPk: number): number {
    let removed = 0;
    for (let i = this.n - 1; i >= 0; i--) {
      if (this.subjectPks[i] !== subjectPk) continue;
      this.slotOf.delete(this.facePks[i]);
      this.fill(i);
      removed++;
    }
    return removed;
  }

  /** Bytes held (codes, per-face arrays, the key map at ~40 bytes an entry). */
  bytes(): number {
    return this.arena.bytes() + this.facePks.length * (8 + 8 + 4 + 4) + this.slotOf.size * 40;
  }

  /**
   * Every face that may belong to the exact top `k` subjects scoring at least `minScore`,
   * best upper bound first. `query` must have the index's dimension.
   */
  candidates(query: ArrayLike<number>, k: number, minScore: number): Candidate[] {
    const y = unit(query);
    const q = quantizeQuery(y);
    this.arena.setQuery(q.codes);
    const epsMax = errorBound(this.maxResid, q);
    const top = new TopLower(k);
    let floor = minScore;
    const out: Candidate[] = [];
    const { scales, resids, subjectPks, facePks } = this;
    for (let start = 0; start < this.n; start += BLOCK) {
      const m = Math.min(BLOCK, this.n - start);
      const dots = this.arena.dots(start, m);
      for (let j = 0; j < m; j++) {
        const s = start + j;
        const approx = dots[j] * scales[s] * q.scale;
        if (approx + epsMax < floor) continue;
        const e = errorBound(resids[s], q);
        if (approx + e < floor) continue;
        out.push({ facePk: facePks[s], subjectPk: subjectPks[s], lower: approx - e, upper: approx + e });
        if (top.offer(subjectPks[s], approx - e)) floor = Math.max(minScore, top.bound());
      }
    }
    return out.filter((c) => c.upper >= floor).sort((a, b) => b.upper - a.upper);
  }

  private fill(i: number): void {
    const last = this.n - 1;
    if (i !== last) {
      this.arena.move(last, i);
      this.facePks[i] = this.facePks[last];
      this.subjectPks[i] = this.subjectPks[last];
      this.scales[i] = this.scales[last];
      this.resids[i] = this.resids[last];
      this.slotOf.set(this.facePks[i], i);
    }
    this.n--;
  }

  private growMeta(cap: number): void {
    const grow = <T extends Float64Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.facePks = grow(this.facePks, (c) => new Float64Array(c));
    this.subjectPks = grow(this.subjectPks, (c) => new Float64Array(c));
    this.scales = grow(this.scales, (c) => new Float32Array(c));
    this.resids = grow(this.resids, (c) => new Float32Array(c));
  }
}

/** The k best distinct subjects by a lower bound; bound() is the k-th (−∞ until k are known). */
class TopLower {
  private readonly subjects: number[] = [];
  private readonly lowers: number[] = [];
  constructor(private readonly k: number) {}

  /** True when the bound may have risen. */
  offer(subject: number, lower: number): boolean {
    const at = this.subjects.indexOf(subject);
    if (at >= 0) {
      if (lower <= this.lowers[at]) return false;
      this.lowers[at] = lower;
      return true;
    }
    if (this.subjects.length < this.k) {
      this.subjects.push(subject);
      this.lowers.push(lower);
      return this.subjects.length === this.k;
    }
    let min = 0;
    for (let i = 1; i < this.lowers.length; i++) if (this.lowers[i] < this.lowers[min]) min = i;
    if (lower <= this.lowers[min]) return false;
    this.subjects[min] = subject;
    this.lowers[min] = lower;
    return true;
  }

  bound(): number {
    return this.subjects.length < this.k ? -Infinity : Math.min(...this.lowers);
  }
}

export interface StoredVector {
  pk: number;
  subjectPk: number;
  embedding: Float32Array;
}

/** How many candidates are fetched from the store per round of the re-rank. */
export const RERANK_BATCH = 64;

/**
 * The exact top `k` subjects (best face each) scoring at least `minScore`: candidates are
 * re-scored from their stored embeddings, best upper bound first, until no remaining candidate
 * could enter the top k. A candidate the store no longer has (deleted meanwhile) drops out.
 */
export async function exactTopK(
  candidates: Candidate[],
  fetch: (facePks: number[]) => Promise<StoredVector[]>,
  query: ArrayLike<number>,
  k: number,
  minScore: number,
): Promise<Hit[]> {
  const y = unit(query);
  const best = new Map<number, Hit>();
  const kth = () => {
    if (best.size < k) return -Infinity;
    return [...best.values()].map((h) => h.similarity).sort((a, b) => b - a)[k - 1];
  };
  let i = 0;
  while (i < candidates.length) {
    const cutoff = Math.max(minScore, kth());
    if (candidates[i].upper < cutoff) break;
    const batch = candidates.slice(i, i + RERANK_BATCH).filter((c) => c.upper >= cutoff);
    i += RERANK_BATCH;
    for (const v of await fetch(batch.map((c) => c.facePk))) {
      const similarity = exactScore(v.embedding, y);
      if (similarity < minScore) continue;
      const had = best.get(v.subjectPk);
      if (!had || similarity > had.similarity) best.set(v.subjectPk, { subjectPk: v.subjectPk, facePk: v.pk, similarity });
    }
  }
  return [...best.values()].sort((a, b) => b.similarity - a.similarity).slice(0, k);
}
