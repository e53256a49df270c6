// A model instance over one engine session, in the current thread: runs tensor requests,
// concatenating a batch along dim 0 when the model is batchable (in engine calls of at most
// batchChunk items, see batch-calibration.ts) and splitting the outputs back per request.
// Encoded images never reach it: the image-input layer (image-input.ts) turns them into tensors
// first. Pool workers run this same class inside the worker.

import type { FixedData, TensorData } from '../core/datatypes.ts';
import { EdgeError } from '../core/errors.ts';
import type { ExecutionBatchResult, ExecutionItem, ExecutionTiming, ModelInstance } from '../core/instance.ts';
import type { Tensor } from '../core/tensor.ts';
import type { EngineSession } from './backend.ts';

export interface EngineInstanceOptions {
  batchable: boolean;
  /** Most items (summed batch) per engine call when batching; larger batches run in chunks
   *  of this size (batch-calibration.ts). Default: no limit. */
  batchChunk?: number;
}

const now = () => performance.now();

export class EngineInstance implements ModelInstance {
  constructor(
    private readonly session: EngineSession,
    private readonly opts: EngineInstanceOptions,
  ) {}

  /** What one engine call takes at most, so a layer above can prepare the next call's items
   *  while this one runs. */
  get maxItemsPerCall(): number {
    return this.opts.batchable ? (this.opts.batchChunk ?? Number.POSITIVE_INFINITY) : 1;
  }

  async execute(items: ExecutionItem[]): Promise<ExecutionBatchResult> {
    const results: ExecutionBatchResult['results'] = new Array(items.length);
    const timing: ExecutionTiming = { inputUs: 0, inferUs: 0, outputUs: 0 };
    for (const group of engineCalls(items, this.opts)) {
      // Every input in one order, so batch items line up input by input.
      const feeds = group.map((i) => [...items[i].inputs].sort(byName));
      if (group.length > 1 && sameItemShapes(feeds)) await this.runBatched(items, group, feeds, results, timing);
      else for (let j = 0; j < group.length; j++) await this.runOne(items[group[j]], feeds[j], group[j], results, timing);
    }
    return { results, timing };
  }

  /** One engine call for the group, its outputs split back per item along dim 0. */
  private async runBatched(
    items: ExecutionItem[],
    group: number[],
    feeds: Tensor[][],
    results: ExecutionBatchResult['results'],
    timing: ExecutionTiming,
  ): Promise<void> {
    const names = [...new Set(group.flatMap((i) => items[i].outputs))];
    const s = now();
    try {
      const outs = await this.session.run(
        feeds[0].map((_, k) => concat(feeds.map((f) => f[k]))),
        names,
      );
      const e = now();
      timing.inferUs += (e - s) * 1000;
      let offset = 0;
      group.forEach((i, j) => {
        const batch = feeds[j][0].shape[0];
        const mine = outs.filter((o) => items[i].outputs.includes(o.name)).map((o) => slice(o, offset, batch));
        results[i] = { outputs: mine };
        offset += batch;
      });
      timing.outputUs += (now() - e) * 1000;
    } catch (e) {
      for (const i of group) results[i] = { error: errorOf(e) };
    }
  }

  private async runOne(item: ExecutionItem, feeds: Tensor[], i: number, results: ExecutionBatchResult['results'], timing: ExecutionTiming): Promise<void> {
    const s = now();
    try {
      const outputs = await this.session.run(feeds, item.outputs);
      const e = now();
      timing.inferUs += (e - s) * 1000;
      results[i] = { outputs };
      timing.outputUs += (now() - e) * 1000;
    } catch (e) {
      timing.inferUs += (now() - s) * 1000;
      results[i] = { error: errorOf(e) };
    }
  }

  dispose(): Promise<void> {
    return this.session.release();
  }
}

/** Item indices per engine call: the whole batch, or chunks of batchChunk items where larger
 *  calls cost more per item; one item per call when the model is not batchable. */
export function engineCalls(items: ExecutionItem[], o: EngineInstanceOptions): number[][] {
  const all = items.map((_, i) => i);
  if (!o.batchable) return all.map((i) => [i]);
  return chunks(all, (i) => items[i].inputs[0]?.shape[0] ?? 1, o.batchChunk ?? Number.POSITIVE_INFINITY);
}

const byName = (a: Tensor, b: Tensor) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Items can share one run only when every input has the same non-batch dims and datatype. */
function sameItemShapes(feeds: Tensor[][]): boolean {
  const key = (f: Tensor[]) => f.map((t) => `${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`).join('|');
  const first = key(feeds[0]);
  return feeds.every((f) => key(f) === first);
}

export function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof EdgeError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function concatData(parts: FixedData[]): FixedData {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new (parts[0].constructor as new (n: number) => FixedData)(total);
  let o = 0;
  for (const p of parts) {
    (out as Uint8Array).set(p as Uint8Array, o);
    o += p.length;
  }
  return out;
}

function concat(ts: Tensor[]): Tensor {
  const t = ts[0];
  const shape = [ts.reduce((s, x) => s + x.shape[0], 0), ...t.shape.slice(1)];
  const data: TensorData = t.datatype === 'BYTES' ? ts.flatMap((x) => x.data as Uint8Array[]) : concatData(ts.map((x) => x.data as FixedData));
  return { name: t.name, datatype: t.datatype, shape, data };
}

function slice(t: Tensor, start: number, count: number): Tensor {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = (t.data as FixedData | Uint8Array[]).slice(start * per, (start + count) * per) as TensorData;
  return { name: t.name, datatype: t.datatype, shape: [count, ...t.shape.slice(1)], data };
}

/** Consecutive groups of `ids` whose summed size stays within `limit` (an item larger than the
 *  limit on its own forms a group by itself). */
export function chunks(ids: number[], size: (id: number) => number, limit: number): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let sum = 0;
  for (const id of ids) {
    const n = size(id);
    if (cur.length && sum + n > limit) {
      out.push(cur);
      cur = [];
      sum = 0;
    }
    cur.push(id);
    sum += n;
  }
  if (cur.length) out.push(cur);
  return out;
}
