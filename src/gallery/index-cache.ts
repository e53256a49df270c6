// Keeps one MemoryIndex per gallery in step with the database, for every process sharing it.
// Each identify first reads the gallery's row (it must anyway: the gallery may be gone); when
// the row's `seq` is ahead of the index, the changes logged since are applied (or, when the
// index is further behind than the log keeps, or absent, it is loaded whole). So a commit is
// visible to the next identify at once, in this process and in any other sharing the database,
// with no notification channel: the read that checks the gallery exists is the poll.
// Indexes are bounded by GALLERY_INDEX_MB: the least recently used ones are dropped (and
// reloaded when next needed); a gallery that alone would not fit is refused with 503.

import { unavailable } from '../core/errors.ts';
import { CHANGES_KEPT } from './db/kysely-store.ts';
import type { Change, GalleryRow, GalleryStore } from './store.ts';
import { MemoryIndex } from './vector-index.ts';

const LOAD_BATCH = 2000;
const CHANGE_BATCH = 1000;

interface Entry {
  index: MemoryIndex;
  /** Serialises loads and syncs of this gallery. */
  busy: Promise<unknown>;
  used: number;
}

export interface IndexCacheOptions {
  maxBytes: number;
  kernel?: 'wasm-simd' | 'js';
}

export class GalleryIndexes {
  private readonly entries = new Map<number, Entry>();
  private clock = 0;

  constructor(
    private readonly store: GalleryStore,
    private readonly o: IndexCacheOptions,
  ) {}

  /** The gallery's index, reflecting at least `g.seq`; undefined while no model is bound (no faces). */
  async current(g: GalleryRow): Promise<MemoryIndex | undefined> {
    if (!g.dim) return undefined;
    let e = this.entries.get(g.pk);
    if (e && e.index.dim !== g.dim) {
      this.entries.delete(g.pk);
      e = undefined;
    }
    if (!e) {
      await this.ensureRoom(g);
      e = { index: new MemoryIndex(g.dim, { kernel: this.o.kernel }), busy: Promise.resolve(), used: 0 };
      e.index.seq = -1; // not loaded yet
      this.entries.set(g.pk, e);
    }
    const entry = e;
    entry.used = ++this.clock;
    const run = entry.busy.then(() => this.sync(entry, g));
    entry.busy = run.catch(() => {});
    try {
      await run;
    } catch (err) {
      if (this.entries.get(g.pk) === entry) this.entries.delete(g.pk); // a half-loaded index is not kept
      throw err;
    }
    this.evict(g.pk);
    return entry.index;
  }

  /** Forgets a gallery's index (it was deleted). */
  drop(galleryPk: number): void {
    this.entries.delete(galleryPk);
  }

  stats(): { galleries: number; faces: number; bytes: number } {
    let faces = 0,
      bytes = 0;
    for (const e of this.entries.values()) {
      faces += e.index.size;
      bytes += e.index.bytes();
    }
    return { galleries: this.entries.size, faces, bytes };
  }

  private async sync(e: Entry, g: GalleryRow): Promise<void> {
    const index = e.index;
    if (index.seq >= g.seq) return;
    if (index.seq < 0 || g.seq - index.seq > CHANGES_KEPT) {
      await this.load(e, g);
      return;
    }
    await this.applyChanges(index, g);
  }

  private async load(e: Entry, g: GalleryRow): Promise<void> {
    const fresh = new MemoryIndex(g.dim!, { kernel: this.o.kernel });
    // Faces are read after the seq they reflect; changes after it are then applied on top, and
    // both add and delete are idempotent, so a write racing the scan is neither lost nor doubled.
    fresh.seq = g.seq;
    for (let after = 0; ; ) {
      const batch = await this.store.scanVectors(g.pk, after, LOAD_BATCH);
      for (const v of batch) fresh.add(v.pk, v.subjectPk, v.embedding);
      if (batch.length < LOAD_BATCH) break;
      after = batch[batch.length - 1].pk;
      if (fresh.bytes() > this.o.maxBytes) throw tooBig(g, fresh.bytes(), this.o.maxBytes);
    }
    await this.applyChanges(fresh, g);
    e.index = fresh;
  }

  private async applyChanges(index: MemoryIndex, g: GalleryRow): Promise<void> {
    for (;;) {
      const changes = await this.store.changes(g.pk, index.seq, CHANGE_BATCH);
      for (const c of changes) apply(index, c);
      if (changes.length) index.seq = changes[changes.length - 1].seq;
      if (changes.length < CHANGE_BATCH) break;
    }
    // Writes that changed nothing (deleting what was gone) bump seq without a change row.
    if (index.seq < g.seq) index.seq = g.seq;
  }

  private async ensureRoom(g: GalleryRow): Promise<void> {
    const { faces } = await this.store.counts(g.pk);
    const need = faces * (g.dim! + 64);
    if (need > this.o.maxBytes) throw tooBig(g, need, this.o.maxBytes);
  }

  /** Drops least recently used indexes (never `keep`) while the total is over the bound. */
  private evict(keep: number): void {
    let total = 0;
    for (const e of this.entries.values()) total += e.index.bytes();
    if (total <= this.o.maxBytes) return;
    const byAge = [...this.entries.entries()].filter(([pk]) => pk !== keep).sort((a, b) => a[1].used - b[1].used);
    for (const [pk, e] of byAge) {
      if (total <= this.o.maxBytes) break;
      this.entries.delete(pk);
      total -= e.index.bytes();
    }
  }
}

function apply(index: MemoryIndex, c: Change): void {
  if (c.op === 'add') {
    if (c.embedding && c.embedding.length === index.dim) index.add(c.facePk, c.subjectPk, c.embedding);
  } else if (c.op === 'del_face') index.removeFace(c.facePk);
  else index.removeSubject(c.subjectPk);
}

const tooBig = (g: GalleryRow, need: number, max: number) =>
  unavailable(
    `gallery '${g.id}' needs ~${Math.ceil(need / 2 ** 20)} MiB of index memory, more than GALLERY_INDEX_MB allows (${Math.floor(max / 2 ** 20)} MiB): raise it`,
  );
