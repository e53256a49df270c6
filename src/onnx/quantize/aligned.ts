// FaceInputs for an embedder fed by the face job (models/face, tasks/faces/face-job.ts): the
// faces the job would embed, made the way it makes them — FP32 detector, the chosen face (or
// every face, for calibration), 68 landmarks on the scaled box, five points, the warp onto the
// recognizer's reference points (the job's `embedder.alignment`). The same functions the job
// calls, on sessions of the engine given, so the gate measures what the server embeds.

import type { ImagePreprocessing } from '../../core/model-config.ts';
import type { ImageDecoder } from '../../image/decoder.ts';
import { preprocess } from '../../image/preprocess.ts';
import { type Alignment, alignedFaceTensor, fivePoints } from '../../tasks/faces/align.ts';
import { chooseFace } from '../../tasks/faces/choose.ts';
import { scaledBoxCrop } from '../../tasks/faces/crops.ts';
import { decodeDetections, type DetectOptions } from '../../tasks/faces/geometry.ts';
import type { FaceJobConfig } from '../../tasks/faces/pipeline-config.ts';
import type { FaceInputs } from './samples.ts';
import type { QSession } from './session.ts';

export interface AlignedFacesDeps {
  decoder: ImageDecoder;
  detector: { session: QSession; spec: ImagePreprocessing };
  landmarks: { session: QSession; spec: ImagePreprocessing };
  embedSpec: ImagePreprocessing;
  job: FaceJobConfig;
  detect: DetectOptions;
  /** Every detected face (calibration) instead of the one the job chooses. */
  all: boolean;
}

export function alignedFaces(d: AlignedFacesDeps): FaceInputs {
  const input = (s: ImagePreprocessing) => s.input ?? 'input';
  return async (img) => {
    const raw = await d.decoder.decode(img.bytes, {});
    const W = raw.originalWidth;
    const H = raw.originalHeight;
    const dt = preprocess(raw, d.detector.spec);
    const out = await d.detector.session.run({ [input(d.detector.spec)]: { data: Float32Array.from(dt.data as ArrayLike<number>), dims: [1, ...dt.shape] } });
    const faces = decodeDetections(out[d.job.detector.scores].data, out[d.job.detector.boxes].data, W, H, d.detect);
    const chosen = chooseFace(faces, d.job.choose.score_margin);
    const picked = d.all ? faces : chosen >= 0 ? [faces[chosen]] : [];
    const result = [];
    for (const f of picked) {
      const crop = scaledBoxCrop(f.box, W, H, d.job.landmarks.scale);
      const lt = preprocess(raw, d.landmarks.spec, { crop });
      const lo = Object.values(
        await d.landmarks.session.run({ [input(d.landmarks.spec)]: { data: Float32Array.from(lt.data as ArrayLike<number>), dims: [1, ...lt.shape] } }),
      )[0].data;
      const pts = new Float32Array(136);
      const cw = crop[2] - crop[0];
      const ch = crop[3] - crop[1];
      for (let k = 0; k < 68; k++) {
        pts[2 * k] = crop[0] + lo[2 * k] * cw;
        pts[2 * k + 1] = crop[1] + lo[2 * k + 1] * ch;
      }
      const t = alignedFaceTensor(raw, { points5: fivePoints(pts), box: f.box }, d.embedSpec, d.job.embedder.alignment as Alignment);
      result.push({ data: Float32Array.from(t.data as ArrayLike<number>), shape: t.shape });
    }
    return result;
  };
}
