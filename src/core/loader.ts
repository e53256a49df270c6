// The ModelLoader port: turns a model version's bytes and config into running instances. Loaders
// form a chain chosen in the composition root (placement → image input → platform → engine; see
// engine/local-loader.ts and workers/worker-loader.ts); the registry only sees instances and the
// engine's view of the I/O.

import type { TensorMetadata } from './inference.ts';
import type { ModelInstance } from './instance.ts';
import type { ModelConfig } from './model-config.ts';

export interface LoadedModel {
  instances: ModelInstance[];
  /** Inputs/outputs as the model file declares them (batch dim included, -1 when symbolic). */
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  /** The config as actually served, when loading had to change it (e.g. batching refused). */
  config?: ModelConfig;
  /** What loading found worth telling the operator (logged by the registry at info)… */
  notes?: string[];
  /** …and at warn. */
  warnings?: string[];
}

export interface ModelLoader {
  load(name: string, version: string, config: ModelConfig, bytes: Uint8Array): Promise<LoadedModel>;
  /** The file a version directory holds for this config's platform (`model.onnx`), or
   *  undefined when the platform needs none (the config alone defines the model). */
  modelFile?(config: ModelConfig): string | undefined;
}
