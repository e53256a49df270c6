// A ModelLoader decorator for configs with `make_batchable`: rewrites the model's fixed batch
// dim as symbolic, then checks on a real session that a batch gives each item exactly what a
// single run gives. Only a model that passes is served batched; one that fails (e.g. a graph
// that hard-codes the batch in a Reshape the edit can't fix) is served unbatched, with a warning.

import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ModelConfig } from '../core/model-config.ts';
import { makeBatchDimSymbolic } from '../onnx/batchable.ts';
import { type OpenSession, verifyBatchable } from '../onnx/verify.ts';

export class BatchableLoader implements ModelLoader {
  constructor(
    private readonly inner: ModelLoader,
    /** Opens a verification session (any engine: the check is about the graph, not speed). */
    private readonly open: () => Promise<OpenSession>,
    private readonly log: (level: 'info' | 'warn', msg: string) => void,
  ) {}

  async load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    if (!config.make_batchable || config.max_batch_size === 0) return this.inner.load(name, version, config, bytes);
    const edited = makeBatchDimSymbolic(bytes);
    const verdict = await verifyBatchable(bytes, edited, await this.open(), { batch: Math.min(4, config.max_batch_size) });
    if (verdict.ok) {
      this.log('info', `model '${name}' version ${version}: batch dim made symbolic; per-item outputs of a batch of ${verdict.batch} are ${verdict.outputs.every((o) => o.bitIdentical) ? 'bit-identical' : 'within tolerance'}`);
      return this.inner.load(name, version, config, edited);
    }
    this.log('warn', `model '${name}' version ${version}: cannot be batched (${verdict.error ?? 'outputs differ'}); serving it unbatched`);
    // Unbatched: the file's own fixed shapes apply, so inputs/outputs are read from it.
    const unbatched: ModelConfig = { ...config, max_batch_size: 0, dynamic_batching: undefined, input: [], output: [] };
    return { ...(await this.inner.load(name, version, unbatched, bytes)), config: unbatched };
  }
}
