// Triton's model_warmup: requests built from config.json samples (zero data, random data, or a
// file in the model's warmup/ directory) run on every instance of a new version before it is
// swapped in and reports ready, so the first real request does not pay for lazy initialisation
// (allocator growth, kernel selection). A failing sample fails the load with the sample's name.

import { ELEMENT_SIZE, TYPED_ARRAY, type Datatype, type FixedData, fromTritonType } from './datatypes.ts';
import type { ExecutionItem, ModelInstance } from './instance.ts';
import type { ModelConfig, WarmupSample } from './model-config.ts';
import type { ModelRepository } from './repository.ts';
import type { Tensor } from './tensor.ts';
import { elementCount } from './tensor.ts';

/** Builds the warmup requests of a config (file data read from the repository). */
export async function warmupItems(
  name: string,
  config: ModelConfig,
  repo: ModelRepository,
  outputs: string[],
): Promise<Array<{ sample: WarmupSample; item: ExecutionItem }>> {
  const out: Array<{ sample: WarmupSample; item: ExecutionItem }> = [];
  for (const sample of config.model_warmup ?? []) {
    if (config.max_batch_size === 0 && sample.batch_size !== 1) {
      throw new Error(`model_warmup '${sample.name}': batch_size ${sample.batch_size} but max_batch_size is 0 (dims must include everything)`);
    }
    if (config.max_batch_size > 0 && sample.batch_size > config.max_batch_size) {
      throw new Error(`model_warmup '${sample.name}': batch_size ${sample.batch_size} exceeds max_batch_size ${config.max_batch_size}`);
    }
    const inputs: Tensor[] = [];
    for (const [input, spec] of Object.entries(sample.inputs)) {
      const datatype = fromTritonType(spec.data_type)!;
      const shape = config.max_batch_size > 0 ? [sample.batch_size, ...spec.dims] : spec.dims;
      const n = elementCount(shape);
      let data: Tensor['data'];
      if (spec.input_data_file !== undefined) {
        if (!repo.readAsset) throw new Error(`model_warmup '${sample.name}': input_data_file needs a repository on disk`);
        const { bytes, source } = await repo.readAsset(name, `warmup/${spec.input_data_file}`);
        data = fromFile(datatype, bytes, n, source);
      } else data = synthetic(datatype, n, spec.random_data === true);
      inputs.push({ name: input, datatype, shape, data });
    }
    out.push({ sample, item: { inputs, outputs } });
  }
  return out;
}

/** Runs every sample `count` times on every instance; throws naming the first failure. */
export async function runWarmup(instances: ModelInstance[], items: Array<{ sample: WarmupSample; item: ExecutionItem }>): Promise<void> {
  for (const inst of instances) {
    for (const { sample, item } of items) {
      for (let i = 0; i < sample.count; i++) {
        const r = (await inst.execute([item])).results[0];
        if ('error' in r) throw new Error(`model_warmup '${sample.name}' failed: ${r.error.message}`);
      }
    }
  }
}

function synthetic(datatype: Datatype, n: number, random: boolean): Tensor['data'] {
  if (datatype === 'BYTES') {
    return Array.from({ length: n }, () => (random ? Uint8Array.from({ length: 8 }, () => Math.floor(Math.random() * 256)) : new Uint8Array(0)));
  }
  const data = new TYPED_ARRAY[datatype](n);
  if (!random) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) data[i] = BigInt(Math.floor(Math.random() * 100));
  } else if (datatype === 'FP32' || datatype === 'FP64') {
    for (let i = 0; i < n; i++) (data as Float32Array)[i] = Math.random() * 2 - 1;
  } else if (datatype === 'BOOL') {
    for (let i = 0; i < n; i++) (data as Uint8Array)[i] = Math.random() < 0.5 ? 0 : 1;
  } else {
    // Small integers (and, for FP16/BF16, their bit patterns of small positive numbers) suit
    // every integer-typed input, including indices.
    for (let i = 0; i < n; i++) (data as Int32Array)[i] = Math.floor(Math.random() * 100);
  }
  return data as FixedData;
}

/** Raw little-endian elements; for BYTES, each element a 4-byte little-endian length then its
 *  bytes (Triton's format for TYPE_STRING warmup files). */
function fromFile(datatype: Datatype, bytes: Uint8Array, n: number, source: string): Tensor['data'] {
  if (datatype === 'BYTES') {
    const out: Uint8Array[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 0;
    while (out.length < n) {
      if (o + 4 > bytes.length) throw new Error(`${source}: holds ${out.length} length-prefixed elements, the sample needs ${n}`);
      const len = view.getUint32(o, true);
      if (o + 4 + len > bytes.length) throw new Error(`${source}: element ${out.length} claims ${len} bytes past the end of the file`);
      out.push(bytes.slice(o + 4, o + 4 + len));
      o += 4 + len;
    }
    return out;
  }
  const need = n * ELEMENT_SIZE[datatype];
  if (bytes.byteLength < need) throw new Error(`${source}: ${bytes.byteLength} bytes, the sample needs ${need}`);
  return new TYPED_ARRAY[datatype](bytes.slice(0, need).buffer, 0, n);
}
