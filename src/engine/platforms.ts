// The model platforms this server can load, as data: a config's `platform` (or Triton's
// `backend` name) → the platform, and the file a version directory must hold for it. Pure data,
// so the main thread (which never loads an engine) and the threads that do agree on both. Adding
// a platform is one loader file plus its line here and in local-loader.ts's table.

import type { ModelConfig } from '../core/model-config.ts';

export interface PlatformSpec {
  /** Triton's `platform` value. */
  name: string;
  /** Triton's `backend` names that mean this platform. */
  backends: string[];
  /** What a version directory holds (`<version>/<file>`); undefined = no file: the config alone
   *  defines the model, and a model without version directories serves version 1. */
  modelFile?: string;
}

export const PLATFORMS: PlatformSpec[] = [
  { name: 'onnxruntime_onnx', backends: ['onnxruntime'], modelFile: 'model.onnx' },
  // Triton's identity backend: each output is the input at the same position (tests, plumbing).
  { name: 'identity', backends: ['identity'] },
  // The face job (tasks/faces/pipeline-loader.ts): a pipeline over other models, config only.
  { name: 'edgeserve_face', backends: [] },
];

/** The platform a config selects (`platform`, else `backend`, else ONNX), or an error naming the
 *  known ones. */
export function platformOf(config: Pick<ModelConfig, 'platform' | 'backend'>): PlatformSpec {
  const want = config.platform ?? config.backend;
  if (want === undefined) return PLATFORMS[0];
  const p = PLATFORMS.find((x) => x.name === want || x.backends.includes(want));
  if (!p) {
    throw new Error(
      `${config.platform !== undefined ? 'platform' : 'backend'}: unknown '${want}' (known: ${PLATFORMS.map((x) => `${x.name} / ${x.backends.join(', ')}`).join('; ')})`,
    );
  }
  if (config.platform !== undefined && config.backend !== undefined && !p.backends.includes(config.backend) && config.backend !== p.name) {
    throw new Error(`platform '${config.platform}' and backend '${config.backend}' disagree`);
  }
  return p;
}
