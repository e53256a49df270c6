// WASM engine: onnxruntime-web. Runs where native addons cannot (Cloudflare Workers, a compiled
// binary without the .so). One run at a time per session; numThreads is process-wide, so it is
// set once from the first session's options.

import type { Backend } from './backend.ts';
import { adaptSession } from './ort-common.ts';

type OrtWeb = typeof import('onnxruntime-web');

/** `load` lets a runtime supply its own import (workerd needs 'onnxruntime-web/wasm'). */
export function webBackend(load: () => Promise<OrtWeb> = () => import('onnxruntime-web')): Backend {
  return webBackendFrom(load);
}

/** The same with no default import, so a bundle that brings its own build of onnxruntime-web
 *  (Cloudflare Workers) does not also carry the full package (~0.5 MB of JS). */
export function webBackendFrom(load: () => Promise<OrtWeb>): Backend {
  let configured = false;
  return {
    name: 'onnxruntime-web',
    async createSession(model, { intraOpThreads }) {
      const ort = await load();
      if (!configured) {
        ort.env.wasm.numThreads = intraOpThreads;
        ort.env.logLevel = 'error';
        configured = true;
      }
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      return adaptSession(ort, session);
    },
  };
}
