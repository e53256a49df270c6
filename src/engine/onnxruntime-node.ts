// Native engine: onnxruntime-node. Fastest on CPU (≈6x the WASM build on the face models). Its
// run() occupies the calling thread, so the server loads it inside workers; the addon is imported
// lazily so merely importing this file never loads native code.

import type { Backend } from './backend.ts';
import { adaptSession } from './ort-common.ts';

export function nodeBackend(): Backend {
  return {
    name: 'onnxruntime-node',
    async createSession(model, { intraOpThreads }) {
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return adaptSession(ort, session);
    },
  };
}
