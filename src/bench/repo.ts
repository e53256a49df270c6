// Throwaway model repositories for the batching comparison: the face detector alone, once as
// shipped (max_batch_size 0: one image per run) and once batchable (dim 0 made symbolic by
// onnx/batchable.ts, proved item-for-item by onnx/verify.ts, served with dynamic_batching).
// Both hold the same single model so the two servers differ in batching only.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelConfig } from '../core/model-config.ts';
import { makeBatchDimSymbolic } from '../onnx/batchable.ts';
import { ortOpener } from '../onnx/ort-runner.ts';
import { verifyBatchable } from '../onnx/verify.ts';

export interface BatchRepos {
  off: string;
  on: string;
  /** max abs difference between batched and single outputs seen by the check. */
  maxAbsDiff: number;
  remove(): void;
}

function writeRepo(dir: string, config: Record<string, unknown>, model: Uint8Array): void {
  mkdirSync(join(dir, 'face_detect', '1'), { recursive: true });
  writeFileSync(join(dir, 'face_detect', 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, 'face_detect', '1', 'model.onnx'), model);
}

/** `raw` is the shipped config.json (parsed JSON, not the zod output: defaults stay implicit). */
export async function makeBatchRepos(
  raw: Record<string, unknown>,
  config: ModelConfig,
  model: Uint8Array,
  maxBatch: number,
  delayUs: number,
): Promise<BatchRepos> {
  const root = mkdtempSync(join(tmpdir(), 'edgeserve-bench-'));
  const edited = makeBatchDimSymbolic(model);
  // The check is about the graph, not speed: the WASM engine keeps onnxruntime-node (a native
  // addon that must load only in worker threads) off this thread.
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const verdict = await verifyBatchable(model, edited, ortOpener(ort), { batch: 4 });
  if (!verdict.ok) throw new Error(`the detector could not be made batchable: ${verdict.error}`);
  const { source: _source, ...base } = raw; // weights are local here: nothing to pull
  writeRepo(join(root, 'off'), base, model);
  writeRepo(
    join(root, 'on'),
    {
      ...base,
      max_batch_size: maxBatch,
      // Triton's rule: with max_batch_size > 0, dims leave out the batch dim.
      input: config.input.map((t) => ({ ...t, dims: t.dims.slice(1) })),
      output: config.output.map((t) => ({ ...t, dims: t.dims.slice(1) })),
      dynamic_batching: { max_queue_delay_microseconds: delayUs },
    },
    edited,
  );
  return {
    off: join(root, 'off'),
    on: join(root, 'on'),
    maxAbsDiff: Math.max(...verdict.outputs.map((o) => o.maxAbsDiff)),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
