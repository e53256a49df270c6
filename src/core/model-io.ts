// A served model's inputs and outputs: config.json's declarations, filled in from the model file
// where left out, checked against it where given, and shown as KServe metadata (batch dim -1).

import { fromTritonType, toTritonType } from './datatypes.ts';
import { invalid } from './errors.ts';
import type { TensorMetadata } from './inference.ts';
import type { ModelConfig, TensorConfig } from './model-config.ts';

/** Config dims exclude the batch dim when max_batch_size > 0 (Triton's rule). */
export function resolveIO(
  config: ModelConfig,
  declared: TensorConfig[],
  fromModel: TensorMetadata[],
  kind: 'input' | 'output',
  file: string,
): TensorMetadata[] {
  const batched = config.max_batch_size > 0;
  if (declared.length === 0) {
    return fromModel.map((m) => ({ ...m, shape: batched ? [-1, ...m.shape.slice(1)] : m.shape }));
  }
  return declared.map((d, i) => {
    const m = fromModel.find((x) => x.name === d.name);
    if (!m) {
      throw invalid(`${file}: ${kind}[${i}].name: '${d.name}' is not an ${kind} of the model (it has ${fromModel.map((x) => x.name).join(', ')})`);
    }
    const datatype = fromTritonType(d.data_type)!;
    if (datatype !== m.datatype) {
      throw invalid(`${file}: ${kind}[${i}].data_type: ${d.data_type} but the model says ${toTritonType(m.datatype)}`);
    }
    const shape = batched ? [-1, ...d.dims] : d.dims;
    if (shape.length !== m.shape.length) {
      throw invalid(`${file}: ${kind}[${i}].dims: [${d.dims}] has rank ${shape.length}${batched ? ' with the batch dim' : ''}, the model's is [${m.shape}]`);
    }
    if (batched && m.shape[0] !== -1) {
      throw invalid(
        `${file}: max_batch_size: ${config.max_batch_size} but the model's first dim of '${d.name}' is fixed at ${m.shape[0]}; set max_batch_size 0 or make dim 0 symbolic`,
      );
    }
    return { name: d.name, datatype, shape };
  });
}
