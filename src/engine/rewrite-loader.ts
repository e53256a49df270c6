// The `rewrite_prelu` layer of the ONNX platform: the model file's PRelus are rewritten (at load,
// in memory) into the elementwise form the config names, which ONNX Runtime's CPU provider runs
// faster (onnx/rewrite/prelu.ts: 'relu-min' gives the same bits as PRelu). The file on disk stays
// the one pulled and sha256-checked; the model keeps its name and version, since its outputs do
// not change. The load notes say how many PRelus were rewritten. Applied on onnxruntime-node
// only: onnxruntime-web's WASM PRelu kernel is not the slow one there (the rewritten embedder
// measured 1.05-1.33x the original's time on one WASM thread), so the file is used as it is.

import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ModelConfig } from '../core/model-config.ts';
import { rewritePrelu } from '../onnx/rewrite/prelu.ts';
import type { EngineName } from './backend.ts';

export class RewriteLoader implements ModelLoader {
  constructor(
    private readonly inner: ModelLoader,
    private readonly engineOf: (config: ModelConfig) => EngineName,
  ) {}

  async load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel> {
    if (!config.rewrite_prelu) return this.inner.load(name, version, config, bytes);
    if (this.engineOf(config) !== 'onnxruntime-node') {
      const loaded = await this.inner.load(name, version, config, bytes);
      return {
        ...loaded,
        notes: [`rewrite_prelu ${config.rewrite_prelu}: not applied on ${this.engineOf(config)} (PRelu is not slower there)`, ...(loaded.notes ?? [])],
      };
    }
    const r = rewritePrelu(bytes, config.rewrite_prelu);
    const loaded = await this.inner.load(name, version, config, r.bytes);
    const kept = r.kept.length ? ` (${r.kept.length} kept: slope not an initializer)` : '';
    return { ...loaded, notes: [`rewrite_prelu ${config.rewrite_prelu}: ${r.rewritten} PRelu rewritten${kept}`, ...(loaded.notes ?? [])] };
  }
}
