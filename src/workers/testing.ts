// Test support for the worker pool: the `simple` model's config and bytes, request items for it
// and a checker for its outputs. Used only by *.test.ts and the overhead bench.

import { readFileSync } from 'node:fs';
import type { ExecutionItem, ExecutionBatchResult, ExecutionResult } from '../core/instance.ts';
import { ModelConfig } from '../core/model-config.ts';
import { buildSimpleModel } from '../onnx/build-simple.ts';

export function simpleModel(): { config: ModelConfig; bytes: Uint8Array } {
  const json = JSON.parse(readFileSync(new URL('../../models/simple/config.json', import.meta.url), 'utf8'));
  return { config: ModelConfig.parse(json), bytes: buildSimpleModel() };
}

/** One request of `batch` rows: INPUT0 = seed + j, INPUT1 = 2 * j (so OUTPUT0/1 are predictable). */
export function simpleItem(seed: number, batch = 1): ExecutionItem {
  const a = Int32Array.from({ length: 16 * batch }, (_, j) => seed + j);
  const b = Int32Array.from({ length: 16 * batch }, (_, j) => 2 * j);
  return {
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [batch, 16], data: a },
      { name: 'INPUT1', datatype: 'INT32', shape: [batch, 16], data: b },
    ],
    outputs: ['OUTPUT0', 'OUTPUT1'],
  };
}

/** Throws unless `r` holds item `seed`'s sum and difference. */
export function checkSimple(r: ExecutionBatchResult['results'][number], seed: number, batch = 1): void {
  if ('error' in r) throw new Error(`item ${seed} failed: ${r.error.code} ${r.error.message}`);
  const out = (n: string) => (r as ExecutionResult).outputs.find((o) => o.name === n)!.data as Int32Array;
  const sum = out('OUTPUT0');
  const diff = out('OUTPUT1');
  if (sum.length !== 16 * batch) throw new Error(`item ${seed}: ${sum.length} elements, want ${16 * batch}`);
  for (let j = 0; j < 16 * batch; j++) {
    if (sum[j] !== seed + 3 * j || diff[j] !== seed - j) throw new Error(`item ${seed}: wrong value at ${j}: ${sum[j]}, ${diff[j]}`);
  }
}
