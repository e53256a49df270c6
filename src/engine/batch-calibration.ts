// How large a batch is worth running as one engine call on this CPU. A batch is not free there:
// the face detector costs ~2.6 ms per image one at a time and ~3.1 ms per image as one call of
// 8 inside the served pipeline (8 images' activations and input tensors no longer fit the
// caches), while timed alone, back to back, batch 8 saves at most ~5%. So running what the
// dynamic batcher gathered as one call would make batching slower than no batching. At load the
// loader times the first session at batch 1, 2, 4, … max_batch_size on synthetic inputs, and a
// size larger than 1 is used only where it saves at least MIN_GAIN per item even in that
// flattering measurement (small models, where the per-call overhead dominates: `simple` saves
// ~80% at batch 8); LocalInstance then runs a gathered batch in chunks of that size. Batching
// still saves the per-request overheads (one worker message and one scheduler slot per batch).
// Models with a dim other than the batch unknown, or with non-numeric inputs, are not timed and
// run whole batches as configured.

import { TYPED_ARRAY, type Datatype } from '../core/datatypes.ts';
import type { Tensor } from '../core/tensor.ts';
import type { EngineSession } from './backend.ts';

/** Per-item saving, measured in isolation, a batch size needs before it is used. */
export const MIN_GAIN = 0.15;
/** Timing rounds per size (the minimum is kept: noise only ever adds time). */
const ROUNDS = 5;
/** Stop growing the batch before one run takes this long: calibration stays short. */
const MAX_RUN_MS = 250;
/** …or before its synthetic inputs take this much memory. */
const MAX_INPUT_BYTES = 64 << 20;

export interface BatchCalibration {
  /** Largest batch run as one engine call. */
  chunk: number;
  /** Measured per-item milliseconds by batch size. */
  perItemMs: Record<number, number>;
}

/** Batch sizes tried: powers of two up to max, and max itself. */
export function candidateSizes(maxBatch: number): number[] {
  const s: number[] = [];
  for (let b = 1; b < maxBatch; b *= 2) s.push(b);
  s.push(maxBatch);
  return s;
}

/** The size with the lowest per-item time among those saving ≥ `minGain` against size 1 (the
 *  larger on a tie); 1 when none does. */
export function chooseChunk(perItemMs: Record<number, number>, minGain = MIN_GAIN): number {
  const one = perItemMs[1];
  if (!(one > 0)) return 1;
  let best = 1;
  let bestMs = one * (1 - minGain);
  for (const [b, t] of Object.entries(perItemMs)) {
    if (t < bestMs || (t === bestMs && Number(b) > best)) [best, bestMs] = [Number(b), t];
  }
  return best;
}

function syntheticFeeds(session: EngineSession, batch: number): Tensor[] | undefined {
  const feeds: Tensor[] = [];
  for (const m of session.inputs) {
    if (m.datatype === 'BYTES' || m.shape.length === 0) return undefined;
    const shape = [batch, ...m.shape.slice(1)];
    if (shape.slice(1).some((d) => !(d > 0))) return undefined; // another dim unknown: can't build an input
    const n = shape.reduce((a, b) => a * b, 1);
    const Ctor = TYPED_ARRAY[m.datatype as Exclude<Datatype, 'BYTES'>];
    if (!Ctor) return undefined;
    const data = new Ctor(n);
    // Floats get varied values in [-1, 1): all-zero activations time faster than real ones
    // (measured: the face detector's batch-8 penalty vanishes on zeros). Integer inputs stay
    // 0, a value every index-like input accepts.
    if (data instanceof Float32Array || data instanceof Float64Array) {
      let x = 12345;
      for (let i = 0; i < n; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 31 - 1;
    }
    feeds.push({ name: m.name, datatype: m.datatype, shape, data } as Tensor);
  }
  return feeds;
}

/** Times `session` per batch size; undefined when the model's inputs can't be synthesised. */
export async function calibrateBatch(session: EngineSession, maxBatch: number): Promise<BatchCalibration | undefined> {
  if (maxBatch < 2) return undefined;
  const outputs = session.outputs.map((o) => o.name);
  const sizes: number[] = [];
  const feeds = new Map<number, Tensor[]>();
  const best = new Map<number, number>();
  try {
    for (const b of candidateSizes(maxBatch)) {
      const f = syntheticFeeds(session, b);
      if (!f) return undefined;
      if (b > 1 && f.reduce((n, t) => n + (t.data as ArrayBufferView).byteLength, 0) > MAX_INPUT_BYTES) break;
      const t = performance.now();
      await session.run(f, outputs); // warm-up, and a first estimate
      const ms = performance.now() - t;
      sizes.push(b);
      feeds.set(b, f);
      if (ms > MAX_RUN_MS / 2) break; // the next size, about twice as large, would exceed it
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const b of sizes) {
        // interleaved, so drift and other tenants hit every size alike
        const t = performance.now();
        await session.run(feeds.get(b)!, outputs);
        const ms = performance.now() - t;
        best.set(b, Math.min(best.get(b) ?? Infinity, ms));
      }
    }
  } catch {
    return undefined; // a model the synthetic inputs don't suit: run batches as configured
  }
  const perItemMs = Object.fromEntries(sizes.map((b) => [b, best.get(b)! / b]));
  return { chunk: chooseChunk(perItemMs), perItemMs };
}
