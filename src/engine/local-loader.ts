// Loads model versions as in-process instances: one engine session per instance, all in the
// calling thread. Used inside each pool worker, on Cloudflare Workers, and when the server is
// configured for in-process execution.

import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ModelConfig } from '../core/model-config.ts';
import type { Backend } from './backend.ts';
import { calibrateBatch } from './batch-calibration.ts';
import { type ImageTensorizer, LocalInstance } from './local-instance.ts';

export interface LocalLoaderOptions {
  backend: (config: ModelConfig) => Backend;
  /** Instances for a model whose instance_group does not say. */
  defaultInstances: number;
  intraOpThreads: number;
  tensorizer?: ImageTensorizer;
  /** Time batch sizes at load and cap engine calls at the efficient one (default true). */
  calibrateBatches?: boolean;
}

export function instanceCount(config: ModelConfig, fallback: number): number {
  const groups = config.instance_group ?? [];
  const n = groups.reduce((s, g) => s + (g.count ?? 0), 0);
  return n > 0 ? n : fallback;
}

export class LocalLoader implements ModelLoader {
  constructor(private readonly opts: LocalLoaderOptions) {}

  async load(_name: string, _version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    const backend = this.opts.backend(config);
    const n = instanceCount(config, this.opts.defaultInstances);
    const sessions = [];
    for (let i = 0; i < n; i++) sessions.push(await backend.createSession(bytes, { intraOpThreads: this.opts.intraOpThreads }));
    const first = sessions[0];
    const img = config.image;
    if (img && !this.opts.tensorizer) throw new Error('image preprocessing is configured but this runtime has no image decoder');
    const image = img ? { spec: img, input: img.input ?? first.inputs[0].name, tensorizer: this.opts.tensorizer! } : undefined;
    const notes: string[] = [];
    let batchChunk: number | undefined;
    if (config.max_batch_size > 1 && this.opts.calibrateBatches !== false) {
      const cal = await calibrateBatch(first, config.max_batch_size);
      if (cal) {
        batchChunk = cal.chunk;
        const times = Object.entries(cal.perItemMs).map(([b, t]) => `${b}: ${t.toFixed(2)}`).join(', ');
        notes.push(`per-item inference ms by batch size {${times}}: batches run ${cal.chunk > 1 ? `in engine calls of up to ${cal.chunk}` : 'one item per engine call'}`);
      }
    }
    return {
      instances: sessions.map((s) => new LocalInstance(s, { batchable: config.max_batch_size > 0, batchChunk, image })),
      inputs: first.inputs,
      outputs: first.outputs,
      notes,
    };
  }
}
