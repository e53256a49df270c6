// The ModelLoader port: turns a model version's bytes and config into running instances. The
// in-process loader creates engine sessions here; the worker loader creates them inside a pool
// of workers. Either way the registry only sees instances and the engine's view of the I/O.

import type { ModelConfig } from './model-config.ts';
import type { TensorMetadata } from './inference.ts';
import type { ModelInstance } from './instance.ts';

export interface LoadedModel {
  instances: ModelInstance[];
  /** Inputs/outputs as the model file declares them (batch dim included, -1 when symbolic). */
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  /** The config as actually served, when loading had to change it (e.g. batching refused). */
  config?: ModelConfig;
  /** What loading found worth telling the operator (logged by the registry at info). */
  notes?: string[];
}

export interface ModelLoader {
  load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel>;
}
