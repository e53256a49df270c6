// Test support: where the face models are (the repository first, then the unpacked npm package)
// and the ORT session options tests share. Used only by *.test.ts files.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FALLBACK_DIR = '/tmp/fp/package/model';
const FILES = {
  face_detect: 'fr_detect.onnx',
  face_embed: 'fr_feature.onnx',
} as const;
export type FaceModel = keyof typeof FILES;

const cache = new Map<FaceModel, Uint8Array | undefined>();

/** The model's bytes, or undefined (with the reason logged once) so tests can skip cleanly. */
export function loadFaceModel(name: FaceModel): Uint8Array | undefined {
  if (cache.has(name)) return cache.get(name);
  // Resolved from this file, not the cwd, so `bun test` works from any directory.
  const repo = fileURLToPath(new URL(`../../models/${name}/1/model.onnx`, import.meta.url));
  const candidates = [repo, `${FALLBACK_DIR}/${FILES[name]}`];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    console.warn(`skipping ${name} tests: model not found at ${candidates.join(' or ')} (run the model puller first)`);
  }
  const bytes = found ? new Uint8Array(readFileSync(found)) : undefined;
  cache.set(name, bytes);
  return bytes;
}

/** One thread (results must not depend on threading) and errors only: ORT warns loudly on old exports. */
export const ORT_TEST_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 } as const;
