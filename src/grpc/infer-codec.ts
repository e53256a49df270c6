// ModelInferRequest → the DataPlane's InferRequest, and InferResponse → ModelInferResponse: the
// gRPC twin of src/protocol/kserve-decode.ts / kserve-encode.ts. Empty strings are proto3's
// "not set": no version means the server's choice, no id means none.

import { create } from '@bufbuild/protobuf';
import { invalid } from '../core/errors.ts';
import type { InferRequest, InferResponse, RequestedOutput } from '../core/inference.ts';
import type { Tensor } from '../core/tensor.ts';
import { type ModelInferRequest, type ModelInferResponse, ModelInferResponseSchema } from './gen/grpc_service_pb.ts';
import { fromInferParameters, toInferParameters } from './parameters.ts';
import { decodeInputs, encodeOutput } from './tensors.ts';

export interface DecodedInfer {
  model: string;
  version: string | undefined;
  request: InferRequest;
}

export function decodeInferRequest(m: ModelInferRequest): DecodedInfer {
  if (!m.modelName) throw invalid('model_name is empty: name the model to run');
  const request: InferRequest = { inputs: decodeInputs(m.inputs, m.rawInputContents) };
  if (m.id) request.id = m.id;
  const parameters = fromInferParameters(m.parameters, 'request');
  if (parameters) request.parameters = parameters;
  if (m.outputs.length > 0) {
    const seen = new Set<string>();
    request.outputs = m.outputs.map((o, i): RequestedOutput => {
      if (!o.name) throw invalid(`output ${i} has no name`);
      if (seen.has(o.name)) throw invalid(`output '${o.name}' appears more than once in the request`);
      seen.add(o.name);
      const p = fromInferParameters(o.parameters, `output '${o.name}'`);
      if (p?.shared_memory_region !== undefined) throw invalid(`output '${o.name}': shared memory (parameter shared_memory_region) is not supported`);
      return p ? { name: o.name, parameters: p } : { name: o.name };
    });
  }
  return { model: m.modelName, version: m.modelVersion || undefined, request };
}

/** Outputs in the order the request named them (the model's order otherwise), all raw. */
export function encodeInferResponse(r: InferResponse, requested: RequestedOutput[] | undefined): ModelInferResponse {
  const ordered: Tensor[] = requested?.length
    ? requested.map((o) => {
        const t = r.outputs.find((x) => x.name === o.name);
        if (!t) throw invalid(`output '${o.name}' was requested but the model produced only ${r.outputs.map((x) => `'${x.name}'`).join(', ')}`);
        return t;
      })
    : r.outputs;
  const encoded = ordered.map(encodeOutput);
  return create(ModelInferResponseSchema, {
    modelName: r.model_name,
    modelVersion: r.model_version,
    id: r.id ?? '',
    parameters: toInferParameters(r.parameters),
    outputs: encoded.map((e) => e.tensor),
    rawOutputContents: encoded.map((e) => e.raw),
  });
}
