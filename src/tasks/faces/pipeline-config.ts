// The face job's section of its config.json (`"platform": "edgeserve_face"`, key `face`): which
// models it runs, how it looks at each face, how it picks the face to use, and the enrolment
// quality gate. Validated strictly when the pipeline loads (a typo is a load error naming the
// field, never a silently ignored setting). The request parameters the job takes are parsed
// here too, so KServe clients and the face routes get the same checks.

import { z } from 'zod';
import { invalid } from '../../core/errors.ts';
import type { Parameters } from '../../core/tensor.ts';
import { type Box, parseBox } from '../../image/geometry.ts';
import { ALIGNMENTS } from './align.ts';

const model = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a model name of this repository');

export const FaceJobConfig = z
  .strictObject({
    detector: z.strictObject({
      model,
      /** Output names of the detector's [1,n,2] softmax scores (column 1 = face) and [1,n,4] boxes. */
      scores: z.string().default('scores'),
      boxes: z.string().default('boxes'),
    }),
    landmarks: z.strictObject({
      model,
      /** Crop = the detector box times this (fr_landmark.js: 1.0). */
      scale: z.number().positive().max(10).default(1),
    }),
    embedder: z.strictObject({
      model,
      alignment: z.enum(ALIGNMENTS as [string, ...string[]]).default('similarity5'),
    }),
    liveness: z
      .strictObject({
        model,
        /** Crop = the box scaled about its centre (fr_liveness.js: 2.7), moved inside the image. */
        scale: z.number().positive().max(10).default(2.7),
        /** Index of the softmax class that means a live face. */
        live_class: z.int().min(0),
      })
      .optional(),
    pose: z
      .strictObject({
        model,
        /** Crop = the box grown by this share of its size per side (fr_pose.js: 0.25). */
        pad: z.number().min(0).max(2).default(0.25),
        /** Output names holding the yaw, pitch and roll bins (66 bins of 3 degrees). */
        outputs: z.tuple([z.string(), z.string(), z.string()]).default(['output', '617', '618']),
      })
      .optional(),
    eyes: z
      .strictObject({
        model,
        /** Each eye's square = its corner-to-corner width times this (fr_eye.js: 1.6), eyes.ts. */
        padding: z.number().positive().max(10).default(1.6),
        /** Index of the softmax class that means an open eye (fr_eye.js names neither; measured on
         *  open and painted-shut eyes, test/gallery-quality.test.ts). */
        open_class: z.int().min(0),
      })
      .optional(),
    choose: z
      .strictObject({
        /** Which face is "the" face: among detections scoring within this of the best score, the
         *  largest box. A false detection therefore never wins by size alone (a 0.80 box on an ear
         *  does not beat a 0.99 face), and a big face beats a tiny one of about the same score. */
        score_margin: z.number().min(0).max(1).default(0.05),
      })
      .default({ score_margin: 0.05 }),
    /** Where the analysed faces' pixels come from. The detector always sees what it sees when
     *  called on its own (a large JPEG decoded DCT-scaled towards its input). Faces are then
     *  analysed (landmarks, alignment, embedding, liveness, pose) on those same pixels when every
     *  analysed face box has at least this many pixels on its shorter side there; otherwise the
     *  image is decoded again: a JPEG at the smallest DCT scale (libjpeg's k/8, k ≤ 4) that gives
     *  every analysed face this many pixels, anything else at full resolution. 0 = always full
     *  resolution. 224 (twice the embedder's 112) was measured in the README (Benchmarks, 12 MP). */
    analysis_face_px: z.number().min(0).max(10000).default(224),
    /** At most this many faces per image get landmarks/embedding/liveness (`analyze=all`). */
    max_analyzed_faces: z.int().min(1).max(100).default(10),
    /** The enrolment quality gate (FaceService.checkQuality): a face failing any check is refused
     *  with 422 naming the check and the value. Pose checks need `pose` above, min_eye_open
     *  `eyes` (a load error otherwise). */
    quality: z
      .strictObject({
        min_face_px: z.number().min(0).default(40),
        min_score: z.number().min(0).max(1).default(0.9),
        max_yaw: z.number().min(0).max(180).optional(),
        max_pitch: z.number().min(0).max(180).optional(),
        max_roll: z.number().min(0).max(180).optional(),
        /** Both eyes' open probability at least this (the lower of the two is checked). */
        min_eye_open: z.number().min(0).max(1).optional(),
      })
      .default({ min_face_px: 40, min_score: 0.9 }),
  })
  .superRefine((c, ctx) => {
    const poseLimit = (['max_yaw', 'max_pitch', 'max_roll'] as const).find((k) => c.quality[k] !== undefined);
    if (poseLimit && !c.pose) ctx.addIssue({ code: 'custom', path: ['quality', poseLimit], message: `${poseLimit} needs the pose model (face.pose)` });
    if (c.quality.min_eye_open !== undefined && !c.eyes)
      ctx.addIssue({ code: 'custom', path: ['quality', 'min_eye_open'], message: 'min_eye_open needs the eye model (face.eyes)' });
  });
export type FaceJobConfig = z.infer<typeof FaceJobConfig>;

export type Analyze = 'none' | 'chosen' | 'all';

/** One request's options (KServe request parameters of the face model). */
export interface FaceJobOptions {
  scoreThreshold: number;
  iouThreshold: number;
  maxFaces: number;
  /** The caller's face (original pixels) instead of the chosen detection. */
  box?: Box;
  analyze: Analyze;
  embed: boolean;
  liveness: boolean;
  pose: boolean;
  /** Per-eye open probabilities (needs `eyes` in the config). */
  eyes: boolean;
}

export const JOB_DEFAULTS: Omit<FaceJobOptions, 'box'> = {
  scoreThreshold: 0.7,
  iouThreshold: 0.3,
  maxFaces: 50,
  analyze: 'chosen',
  embed: true,
  liveness: false,
  pose: false,
  eyes: false,
};

const KNOWN = ['score_threshold', 'iou_threshold', 'max_faces', 'box', 'analyze', 'embed', 'liveness', 'pose', 'eyes', 'timeout'];

/** Request parameters → options, strictly: an unknown, empty or malformed parameter is a 400
 *  naming it and quoting the value (`timeout` is the scheduler's). */
export function parseJobParameters(p: Parameters | undefined): FaceJobOptions {
  const o: FaceJobOptions = { ...JOB_DEFAULTS };
  if (!p) return o;
  const q = (v: unknown) => JSON.stringify(v);
  for (const [k, v] of Object.entries(p)) {
    if (!KNOWN.includes(k)) throw invalid(`unknown parameter '${k}' (got ${q(v)}): the face model takes ${KNOWN.join(', ')}`);
  }
  const num = (k: string, lo: number, hi: number, int = false): number | undefined => {
    const v = p[k];
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isFinite(n) || n < lo || n > hi || (int && !Number.isInteger(n))) {
      throw invalid(`parameter '${k}': expected ${int ? 'an integer' : 'a number'} between ${lo} and ${hi}, got ${q(v)}`);
    }
    return n;
  };
  const bool = (k: string): boolean | undefined => {
    const v = p[k];
    if (v === undefined) return undefined;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw invalid(`parameter '${k}': expected true or false, got ${q(v)}`);
  };
  o.scoreThreshold = num('score_threshold', 0, 1) ?? o.scoreThreshold;
  o.iouThreshold = num('iou_threshold', 0, 1) ?? o.iouThreshold;
  o.maxFaces = num('max_faces', 1, 1000, true) ?? o.maxFaces;
  if (p.box !== undefined) o.box = parseBox(p.box, "parameter 'box'");
  if (p.analyze !== undefined) {
    if (p.analyze !== 'none' && p.analyze !== 'chosen' && p.analyze !== 'all')
      throw invalid(`parameter 'analyze': expected one of 'none', 'chosen', 'all', got ${q(p.analyze)}`);
    o.analyze = p.analyze;
  }
  o.embed = bool('embed') ?? o.embed;
  o.liveness = bool('liveness') ?? o.liveness;
  o.pose = bool('pose') ?? o.pose;
  o.eyes = bool('eyes') ?? o.eyes;
  return o;
}
