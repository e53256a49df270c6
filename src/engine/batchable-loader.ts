// The `make_batchable` layer of the ONNX platform: a model file with a fixed batch of 1 gets dim 0
// of its inputs/outputs rewritten as symbolic, then a check on real sessions that a batch gives
// each item exactly what a single run gives. Only a model that passes is served batched; one
// that fails (e.g. a graph that hard-codes the batch in a Reshape the edit can't fix) is served
// unbatched, and the load says so in its notes.

import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ModelConfig } from '../core/model-config.ts';
import { makeBatchDimSymbolic } from '../onnx/batchable.ts';
import { type OpenSession, verifyBatchable } from '../onnx/verify.ts';

export class BatchableLoader implements ModelLoader {
  constructor(
    private readonly inner: ModelLoader,
    /** Opens a verification session for the model's engine. */
    private readonly open: (config: ModelConfig) => OpenSession,
  ) {}

  async load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    if (!config.make_batchable) return this.inner.load(name, version, config, bytes);
    if (config.max_batch_size === 0) throw new Error('make_batchable: true needs max_batch_size > 0 (the largest batch to serve)');
    const edited = makeBatchDimSymbolic(bytes);
    const verdict = await verifyBatchable(bytes, edited, this.open(config), { batch: Math.min(4, config.max_batch_size) });
    if (verdict.ok) {
      const loaded = await this.inner.load(name, version, config, edited);
      const how = verdict.outputs.every((o) => o.bitIdentical) ? 'bit-identical' : 'within tolerance';
      return { ...loaded, notes: [`batch dim made symbolic; per-item outputs of a batch of ${verdict.batch} are ${how}`, ...(loaded.notes ?? [])] };
    }
    // Unbatched: the file's own fixed shapes apply, so inputs/outputs are read from it.
    const unbatched: ModelConfig = { ...config, max_batch_size: 0, dynamic_batching: undefined, input: [], output: [] };
    const loaded = await this.inner.load(name, version, unbatched, bytes);
    return {
      ...loaded,
      config: unbatched,
      warnings: [`cannot be batched (${verdict.error ?? 'outputs differ'}); serving it unbatched`, ...(loaded.warnings ?? [])],
    };
  }
}
