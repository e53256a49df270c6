// Builds the in-memory app with the real face models (pulled into models/), the native engine,
// the native decoder and the face routes: what the face and image tests run against.

import { nodeBackend } from '../src/engine/onnxruntime-node.ts';
import { mountFaces } from '../src/http/routes/faces.ts';
import { nativeTensorizer } from '../src/runtime/native-image.ts';
import { renderFaces } from '../src/runtime/render-faces.ts';
import { facePlatforms } from '../src/tasks/faces/pipeline-loader.ts';
import { FaceService } from '../src/tasks/faces/service.ts';
import { buildApp, tempRepository } from './helpers.ts';

/** `edit` may change the copied repository (e.g. a config.json) before the models load. */
export async function faceApp(edit?: (repo: string) => void) {
  const repo = tempRepository(['face_detect', 'face_embed', 'face_landmark', 'face_liveness', 'face_pose', 'face_eye', 'face']);
  edit?.(repo);
  const tensorizer = nativeTensorizer({ maxPixels: 50_000_000 });
  const built = await buildApp(
    repo,
    nodeBackend(),
    tensorizer,
    [(app, dp) => mountFaces(app, new FaceService(dp), { maxBodyBytes: 8 * 1024 * 1024, render: renderFaces })],
    facePlatforms({ tensorizer: async () => tensorizer, defaultInstances: 1 }),
  );
  return { ...built, repo };
}
