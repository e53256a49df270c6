// Checks a request's tensors against a model's metadata before it is queued, so a bad request
// costs no compute and the client learns which tensor was wrong, what was expected and what came.

import { invalid } from './errors.ts';
import type { InferRequest, TensorMetadata } from './inference.ts';
import type { Tensor } from './tensor.ts';
import { checkElementCount } from './tensor.ts';

export interface ValidationTarget {
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  maxBatchSize: number;
  /** Name of an input that also accepts encoded images as BYTES (image preprocessing). */
  imageInput?: string;
}

const fmt = (s: number[]) => `[${s.join(',')}]`;

/** Validates inputs and requested outputs; returns the request's batch size (1 when unbatched). */
export function validateRequest(req: InferRequest, m: ValidationTarget): number {
  const seen = new Set<string>();
  let batch: number | undefined;
  for (const t of req.inputs) {
    if (seen.has(t.name)) throw invalid(`input '${t.name}' given more than once`);
    seen.add(t.name);
    const spec = m.inputs.find((i) => i.name === t.name);
    if (!spec) throw invalid(`unexpected input '${t.name}': the model's inputs are ${m.inputs.map((i) => `'${i.name}'`).join(', ')}`);
    checkElementCount(t);
    const b = t.name === m.imageInput && t.datatype === 'BYTES' ? checkImageInput(t, m) : checkTensor(t, spec, m.maxBatchSize);
    if (m.maxBatchSize > 0) {
      if (batch !== undefined && b !== batch) throw invalid(`input '${t.name}': batch size ${b} differs from the other inputs' ${batch}`);
      batch = b;
    }
  }
  for (const i of m.inputs) {
    if (!seen.has(i.name)) throw invalid(`missing input '${i.name}' (${i.datatype} ${fmt(i.shape)})`);
  }
  for (const o of req.outputs ?? []) {
    if (!m.outputs.some((x) => x.name === o.name)) {
      throw invalid(`unknown output '${o.name}': the model's outputs are ${m.outputs.map((x) => `'${x.name}'`).join(', ')}`);
    }
  }
  return batch ?? 1;
}

function checkTensor(t: Tensor, spec: TensorMetadata, maxBatch: number): number {
  if (t.datatype !== spec.datatype) throw invalid(`input '${t.name}': expected datatype ${spec.datatype}, got ${t.datatype}`);
  const want = spec.shape;
  const ok = t.shape.length === want.length && want.every((d, i) => d === -1 || d === t.shape[i]);
  if (!ok) throw invalid(`input '${t.name}': expected shape ${fmt(want)}, got ${fmt(t.shape)}`);
  if (maxBatch > 0) {
    const b = t.shape[0];
    if (b < 1 || b > maxBatch) throw invalid(`input '${t.name}': batch size ${b} must be between 1 and max_batch_size ${maxBatch}`);
    return b;
  }
  return 1;
}

/** Encoded images: one per batch item, shape [n] or [n,1]. */
function checkImageInput(t: Tensor, m: ValidationTarget): number {
  const okShape = (t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1)) && t.shape[0] >= 1;
  if (!okShape) throw invalid(`input '${t.name}': encoded images need shape [n] or [n,1], got ${fmt(t.shape)}`);
  const n = t.shape[0];
  const max = m.maxBatchSize > 0 ? m.maxBatchSize : 1;
  if (n > max) throw invalid(`input '${t.name}': ${n} images but the model takes at most ${max} per request`);
  return n;
}
