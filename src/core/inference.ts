// Inference request/response as the DataPlane sees them: transport-neutral (REST JSON, the
// binary extension and gRPC all decode to these), with tensors in typed arrays.

import type { Datatype } from './datatypes.ts';
import type { Parameters, Tensor } from './tensor.ts';

export interface RequestedOutput {
  name: string;
  parameters?: Parameters;
}

export interface InferRequest {
  id?: string;
  inputs: Tensor[];
  /** Subset of outputs to return (all when absent). */
  outputs?: RequestedOutput[];
  parameters?: Parameters;
  /** Aborted when the client disconnects: queued work is dropped. */
  signal?: AbortSignal;
}

export interface InferResponse {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: Parameters;
  outputs: Tensor[];
}

/** A model input/output as KServe metadata describes it (shape includes the batch dim, -1 = any). */
export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}
