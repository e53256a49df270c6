// The models a Worker ships: configs bundled as JSON (a few hundred bytes each), weights as
// private Static Assets (staged by stage-assets.ts). The face routes need face_detect and
// face_embed; simple is Triton's quickstart model for KServe clients. Adding a model here and to
// the asset staging is the whole "repository" on Workers: it is fixed at deploy time.

import faceDetect from '../../../models/face_detect/config.json';
import faceEmbed from '../../../models/face_embed/config.json';
import simple from '../../../models/simple/config.json';
import type { BundledModel } from './bundled-repository.ts';

export const WORKER_MODELS: Record<string, BundledModel> = {
  face_detect: { config: faceDetect, versions: ['1'] },
  face_embed: { config: faceEmbed, versions: ['1'] },
  simple: { config: simple, versions: ['1'] },
};
