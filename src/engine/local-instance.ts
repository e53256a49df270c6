// A model instance that runs in the current thread: decodes and preprocesses image inputs,
// concatenates a batch along dim 0 when the model is batchable (in engine calls of at most
// batchChunk items, see batch-calibration.ts), runs the engine session and splits the outputs
// back per request. Worker instances run this same class inside the worker.

import type { FixedData, TensorData } from '../core/datatypes.ts';
import { EdgeError, invalid } from '../core/errors.ts';
import type { ExecutionBatchResult, ExecutionItem, ExecutionResult, ExecutionTiming, ModelInstance } from '../core/instance.ts';
import type { ImagePreprocessing } from '../core/model-config.ts';
import type { Parameters, Tensor } from '../core/tensor.ts';
import type { EngineSession } from './backend.ts';

/** Turns one encoded image into the model's input layout (without the batch dim). */
export interface ImageTensorizer {
  toTensor(bytes: Uint8Array, spec: ImagePreprocessing, crop?: [number, number, number, number]): Promise<{
    data: FixedData;
    shape: number[];
    /** Size of the image after EXIF orientation, before any resize. */
    width: number;
    height: number;
  }>;
}

export interface LocalInstanceOptions {
  batchable: boolean;
  /** Most items (summed batch) per engine call when batching; larger batches run in chunks
   *  of this size (batch-calibration.ts). Default: no limit. */
  batchChunk?: number;
  image?: { spec: ImagePreprocessing; input: string; tensorizer: ImageTensorizer };
}

interface Prepared {
  feeds: Tensor[];
  batch: number;
  parameters?: Parameters;
}

const now = () => performance.now();

export class LocalInstance implements ModelInstance {
  constructor(private readonly session: EngineSession, private readonly opts: LocalInstanceOptions) {}

  async execute(items: ExecutionItem[]): Promise<ExecutionBatchResult> {
    const results: ExecutionBatchResult['results'] = new Array(items.length);
    const timing: ExecutionTiming = { inputUs: 0, inferUs: 0, outputUs: 0 };
    // Engine calls: the whole gathered batch, or chunks of batchChunk items where larger calls
    // cost more per item (batch-calibration.ts); one item per call when not batchable.
    const all = items.map((_, i) => i);
    const groups = this.opts.batchable ? chunks(all, (i) => items[i].inputs[0]?.shape[0] ?? 1, this.opts.batchChunk ?? Infinity) : all.map((i) => [i]);
    // A group is prepared (decoded, preprocessed) while the previous one runs, so a batch run in
    // chunks streams through the worker as single requests do.
    const prepareGroup = async (g: number[]) => {
      const s = now();
      const p = await Promise.all(g.map((i) => this.prepare(items[i]).catch((e: unknown) => e)));
      timing.inputUs += (now() - s) * 1000;
      return p;
    };
    let next = groups.length ? prepareGroup(groups[0]) : undefined;
    for (let g = 0; g < groups.length; g++) {
      const prepared = await next!;
      next = g + 1 < groups.length ? prepareGroup(groups[g + 1]) : undefined;
      const ok: Array<[number, Prepared]> = []; // (index into `items`, its prepared feeds)
      groups[g].forEach((i, j) => {
        const p = prepared[j];
        if (p instanceof Error || !(p && typeof p === 'object' && 'feeds' in p)) results[i] = { error: errorOf(p) };
        else ok.push([i, p as Prepared]);
      });
      if (ok.length > 1 && sameItemShapes(ok.map(([, p]) => p))) await this.runBatched(items, ok, results, timing);
      else for (const [i, p] of ok) await this.runOne(items[i], p, i, results, timing);
    }
    return { results, timing };
  }

  /** One engine call for the group, its outputs split back per item along dim 0. */
  private async runBatched(items: ExecutionItem[], ok: Array<[number, Prepared]>, results: ExecutionBatchResult['results'], timing: ExecutionTiming): Promise<void> {
    const parts = ok.map(([, p]) => p);
    const names = [...new Set(ok.flatMap(([i]) => items[i].outputs))];
    const s = now();
    try {
      const outs = await this.session.run(parts[0].feeds.map((_, k) => concat(parts.map((p) => p.feeds[k]))), names);
      const e = now();
      timing.inferUs += (e - s) * 1000;
      let offset = 0;
      for (const [i, p] of ok) {
        const mine = outs.filter((o) => items[i].outputs.includes(o.name)).map((o) => slice(o, offset, p.batch));
        results[i] = { outputs: mine, ...(p.parameters ? { parameters: p.parameters } : {}) };
        offset += p.batch;
      }
      timing.outputUs += (now() - e) * 1000;
    } catch (e) {
      for (const [i] of ok) results[i] = { error: errorOf(e) };
    }
  }

  private async runOne(item: ExecutionItem, p: Prepared, i: number, results: ExecutionBatchResult['results'], timing: ExecutionTiming): Promise<void> {
    const s = now();
    try {
      const outputs = await this.session.run(p.feeds, item.outputs);
      results[i] = { outputs, ...(p.parameters ? { parameters: p.parameters } : {}) } satisfies ExecutionResult;
    } catch (e) {
      results[i] = { error: errorOf(e) };
    }
    timing.inferUs += (now() - s) * 1000;
  }

  dispose(): Promise<void> {
    return this.session.release();
  }

  private async prepare(item: ExecutionItem): Promise<Prepared> {
    const img = this.opts.image;
    let parameters: Parameters | undefined;
    const feeds = await Promise.all(item.inputs.map(async (t) => {
      if (!img || t.name !== img.input || t.datatype !== 'BYTES') return t;
      const crop = parseCrop(t);
      const images = await Promise.all((t.data as Uint8Array[]).map((b) => img.tensorizer.toTensor(b, img.spec, crop)));
      parameters = images.length === 1
        ? { image_width: images[0].width, image_height: images[0].height }
        : { image_sizes: JSON.stringify(images.map((m) => [m.width, m.height])) };
      return stack(t.name, images.map((m) => m.data), images[0].shape, img.spec.dtype);
    }));
    // One order for every request, so batch items line up input by input.
    feeds.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const first = feeds[0];
    return { feeds, batch: this.opts.batchable ? first.shape[0] : 1, parameters };
  }
}

/** Items can share one run only when every input has the same non-batch dims and datatype. */
function sameItemShapes(parts: Prepared[]): boolean {
  const key = (p: Prepared) => p.feeds.map((f) => `${f.name}:${f.datatype}:${f.shape.slice(1).join('x')}`).join('|');
  const first = key(parts[0]);
  return parts.every((p) => key(p) === first);
}

function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof EdgeError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** Tensor parameter `crop`: "x1,y1,x2,y2" in original-image pixels (used by face embedding). */
function parseCrop(t: Tensor): [number, number, number, number] | undefined {
  const c = t.parameters?.crop;
  if (c === undefined) return undefined;
  const v = String(c).split(',').map(Number);
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x)) || v[2] <= v[0] || v[3] <= v[1]) {
    throw invalid(`input '${t.name}': parameter crop must be "x1,y1,x2,y2" with x2 > x1 and y2 > y1, got '${c}'`);
  }
  return v as [number, number, number, number];
}

function stack(name: string, parts: FixedData[], itemShape: number[], dtype: ImagePreprocessing['dtype']): Tensor {
  const datatype = dtype;
  const data = parts.length === 1 ? parts[0] : concatData(parts);
  return { name, datatype, shape: [parts.length, ...itemShape], data };
}

function concatData(parts: FixedData[]): FixedData {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new (parts[0].constructor as new (n: number) => FixedData)(total);
  let o = 0;
  for (const p of parts) { (out as Uint8Array).set(p as Uint8Array, o); o += p.length; }
  return out;
}

function concat(ts: Tensor[]): Tensor {
  const t = ts[0];
  const shape = [ts.reduce((s, x) => s + x.shape[0], 0), ...t.shape.slice(1)];
  const data: TensorData = t.datatype === 'BYTES'
    ? ts.flatMap((x) => x.data as Uint8Array[])
    : concatData(ts.map((x) => x.data as FixedData));
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
