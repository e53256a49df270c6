// The Backend port: an ONNX engine that turns model bytes into a session. Two implementations
// (onnxruntime-node native, onnxruntime-web WASM) pass one contract suite; the composition root
// picks one, nothing else knows which.

import type { TensorMetadata } from '../core/inference.ts';
import type { Tensor } from '../core/tensor.ts';

export type EngineName = 'onnxruntime-node' | 'onnxruntime-web';

export interface SessionOptions {
  /** intra-op threads for this session; instances × threads should not exceed the cores. */
  intraOpThreads: number;
}

export interface EngineSession {
  /** Inputs/outputs as the ONNX file declares them; symbolic or unknown dims are -1. */
  readonly inputs: TensorMetadata[];
  readonly outputs: TensorMetadata[];
  run(feeds: Tensor[], outputNames: string[]): Promise<Tensor[]>;
  release(): Promise<void>;
}

export interface Backend {
  readonly name: EngineName;
  createSession(model: Uint8Array, opts: SessionOptions): Promise<EngineSession>;
}
