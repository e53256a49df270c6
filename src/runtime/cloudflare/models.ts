// The models a Worker ships: configs bundled as JSON (a few hundred bytes each), weights as
// private Static Assets (staged by stage-assets.ts), so adding a model costs the upload nothing
// but its config. `face` is the face job (platform edgeserve_face, no weights of its own) that
// /v1/faces/* and the gallery call; it runs its components face_detect, face_landmark,
// face_embed, face_liveness, face_pose and face_eye in the isolate. simple is Triton's
// quickstart model for KServe clients. Adding a model here is the whole "repository" on
// Workers: it is fixed at deploy time.

import face from '../../../models/face/config.json';
import faceDetect from '../../../models/face_detect/config.json';
import faceEmbed from '../../../models/face_embed/config.json';
import faceEye from '../../../models/face_eye/config.json';
import faceLandmark from '../../../models/face_landmark/config.json';
import faceLiveness from '../../../models/face_liveness/config.json';
import facePose from '../../../models/face_pose/config.json';
import simple from '../../../models/simple/config.json';
import type { BundledModel } from './bundled-repository.ts';

export const WORKER_MODELS: Record<string, BundledModel> = {
  // No version directory: a file-less platform serves version 1 (the registry's rule).
  face: { config: face, versions: [] },
  face_detect: { config: faceDetect, versions: ['1'] },
  face_embed: { config: faceEmbed, versions: ['1'] },
  face_eye: { config: faceEye, versions: ['1'] },
  face_landmark: { config: faceLandmark, versions: ['1'] },
  face_liveness: { config: faceLiveness, versions: ['1'] },
  face_pose: { config: facePose, versions: ['1'] },
  simple: { config: simple, versions: ['1'] },
};
