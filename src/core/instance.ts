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

/** A run of another model made by a pipeline instance (a model that runs models, e.g. the face
 *  job), so that model's statistics count it as if it had been requested directly. */
export interface ComponentRun {
  model: string;
  version: string;
  /** Items inferred (a batch of n counts n) and engine executions. */
  items: number;
  executions: number;
  /** Failed items (they count as failed requests of the component). */
  failed: number;
  timing: ExecutionTiming;
}

export interface ExecutionBatchResult {
  /** One entry per item, in order; an item can fail alone (e.g. an undecodable image). */
  results: Array<ExecutionResult | { error: { code: string; message: string } }>;
  timing: ExecutionTiming;
  /** Runs of component models a pipeline made for these items. */
  components?: ComponentRun[];
}

export interface ModelInstance {
  execute(items: ExecutionItem[]): Promise<ExecutionBatchResult>;
  dispose(): Promise<void>;
  /** Most items one engine call takes (a layer above prepares the next call's items meanwhile);
   *  absent = any number. */
  readonly maxItemsPerCall?: number;
}
