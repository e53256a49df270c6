// Triton's identity backend as a platform (`"backend": "identity"`): every output is a copy of the
// input at the same position (OUTPUT0 ← INPUT0, …), with the datatypes and dims config.json
// declares. It loads no file and no engine, which makes it the plumbing model Triton's own tests
// use, and it shows what a platform is here: one ModelLoader plus its line in platforms.ts.

import { fromTritonType } from '../core/datatypes.ts';
import type { TensorMetadata } from '../core/inference.ts';
import type { ExecutionBatchResult, ExecutionItem, ModelInstance } from '../core/instance.ts';
import type { LoadedModel, ModelLoader } from '../core/loader.ts';
import type { ModelConfig, TensorConfig } from '../core/model-config.ts';
import { instanceCount } from './onnx-loader.ts';

export class IdentityLoader implements ModelLoader {
  constructor(private readonly defaultInstances: number) {}

  async load(_name: string, _version: string, config: ModelConfig): Promise<LoadedModel> {
    const { input, output } = config;
    if (input.length === 0 || input.length !== output.length) {
      throw new Error(`the identity backend needs as many outputs as inputs, declared in config.json (got ${input.length} inputs, ${output.length} outputs)`);
    }
    const meta = (t: TensorConfig): TensorMetadata => ({
      name: t.name,
      datatype: fromTritonType(t.data_type)!,
      shape: config.max_batch_size > 0 ? [-1, ...t.dims] : t.dims,
    });
    output.forEach((o, i) => {
      if (o.data_type !== input[i].data_type)
        throw new Error(`output ${o.name}: data_type ${o.data_type} differs from input ${input[i].name}'s ${input[i].data_type}`);
    });
    const pairs = output.map((o, i) => [input[i].name, o.name] as const);
    const n = instanceCount(config, this.defaultInstances);
    return {
      instances: Array.from({ length: n }, () => new IdentityInstance(new Map(pairs))),
      inputs: input.map(meta),
      outputs: output.map(meta),
    };
  }
}

class IdentityInstance implements ModelInstance {
  constructor(private readonly outputFor: Map<string, string>) {}

  async execute(items: ExecutionItem[]): Promise<ExecutionBatchResult> {
    const t0 = performance.now();
    const results = items.map((item) => ({
      outputs: item.inputs
        .filter((t) => item.outputs.includes(this.outputFor.get(t.name) ?? ''))
        .map((t) => ({ ...t, name: this.outputFor.get(t.name)!, parameters: undefined })),
    }));
    return { results, timing: { inputUs: 0, inferUs: (performance.now() - t0) * 1000, outputUs: 0 } };
  }

  async dispose(): Promise<void> {}
}
