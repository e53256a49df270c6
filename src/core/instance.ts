// The seam between scheduling and execution. The scheduler hands a model instance a batch of
// requests; the instance turns each into engine feeds (decoding images where configured), runs
// them (as one concatenated batch when the model allows) and splits the results back. Instances
// run in-process or behind a worker; the scheduler cannot tell the difference.

import type { Parameters, Tensor } from './tensor.ts';

export interface ExecutionItem {
  inputs: Tensor[];
  /** Output names to compute for this request. */
  outputs: string[];
  parameters?: Parameters;
}

export interface ExecutionTiming {
  /** Preprocessing (image decode, tensor assembly), microseconds. */
  inputUs: number;
  /** Engine run, microseconds (shared by every item of one batch). */
  inferUs: number;
  /** Splitting and copying outputs, microseconds. */
  outputUs: number;
}

export interface ExecutionResult {
  outputs: Tensor[];
  /** Per-request output parameters (e.g. the decoded image's size). */
  parameters?: Parameters;
}

export interface ExecutionBatchResult {
  /** One entry per item, in order; an item can fail alone (e.g. an undecodable image). */
  results: Array<ExecutionResult | { error: { code: string; message: string } }>;
  timing: ExecutionTiming;
}

export interface ModelInstance {
  execute(items: ExecutionItem[]): Promise<ExecutionBatchResult>;
  dispose(): Promise<void>;
}
