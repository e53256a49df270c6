// The ONNX platform of the loader chain: one engine session per instance, from the engine the
// config names (onnxruntime-node native, onnxruntime-web WASM) or the server's default. A
// batchable model's first session is timed at load (batch-calibration.ts) so gathered batches
// run in engine calls of the size that pays. `make_batchable` is applied in front of it by
// BatchableLoader (local-loader.ts composes the two).

import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ModelConfig } from '../core/model-config.ts';
import type { Backend, EngineSession } from './backend.ts';
import { calibrateBatch } from './batch-calibration.ts';
import { EngineInstance } from './engine-instance.ts';

export interface OnnxLoaderOptions {
  backend: (config: ModelConfig) => Backend;
  /** Instances for a model whose instance_group does not say. */
  defaultInstances: number;
  intraOpThreads: number;
  /** Time batch sizes at load and cap engine calls at the efficient one (default true). */
  calibrateBatches?: boolean;
}

export function instanceCount(config: ModelConfig, fallback: number): number {
  const groups = config.instance_group ?? [];
  const n = groups.reduce((s, g) => s + (g.count ?? 0), 0);
  return n > 0 ? n : fallback;
}

export class OnnxLoader implements ModelLoader {
  constructor(private readonly opts: OnnxLoaderOptions) {}

  async load(_name: string, _version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    const backend = this.opts.backend(config);
    const n = instanceCount(config, this.opts.defaultInstances);
    const sessions: EngineSession[] = [];
    try {
      for (let i = 0; i < n; i++) sessions.push(await backend.createSession(bytes, { intraOpThreads: this.opts.intraOpThreads }));
    } catch (e) {
      await Promise.all(sessions.map((s) => s.release().catch(() => {})));
      throw e;
    }
    const first = sessions[0];
    const notes: string[] = [];
    let batchChunk: number | undefined;
    if (config.max_batch_size > 1 && this.opts.calibrateBatches !== false) {
      const cal = await calibrateBatch(first, config.max_batch_size);
      if (cal) {
        batchChunk = cal.chunk;
        const times = Object.entries(cal.perItemMs)
          .map(([b, t]) => `${b}: ${t.toFixed(2)}`)
          .join(', ');
        notes.push(
          `per-item inference ms by batch size {${times}}: batches run ${cal.chunk > 1 ? `in engine calls of up to ${cal.chunk}` : 'one item per engine call'}`,
        );
      }
    }
    return {
      instances: sessions.map((s) => new EngineInstance(s, { batchable: config.max_batch_size > 0, batchChunk })),
      inputs: first.inputs,
      outputs: first.outputs,
      notes,
    };
  }
}
