// The face task API the routes and the gallery use: detection (optionally with landmarks and
// liveness), embedding and 1:1 verification, each ONE request per image to the face job model
// (`face`, platform edgeserve_face: decode once, detect, landmarks, align, embed, liveness in
// the thread that holds the pixels). Through the DataPlane, so the routes share validation,
// queueing, statistics and admission with KServe infer.

import type { DataPlane } from '../../core/dataplane.ts';
import { EdgeError, internal } from '../../core/errors.ts';
import type { InferResponse } from '../../core/inference.ts';
import type { Parameters } from '../../core/tensor.ts';
import { fivePoints } from './align.ts';
import { type Box, type DetectOptions, type Face, cosine, round } from './geometry.ts';
import { type FaceJobConfig, FaceJobConfig as FaceJobSchema, JOB_DEFAULTS } from './pipeline-config.ts';

export interface FaceModels {
  /** The face job model (platform edgeserve_face). */
  face: string;
}

export interface ImageSize {
  width: number;
  height: number;
}

export interface DetectedFace extends Face {
  /** 5 or 68 points [x, y] in image pixels, when asked for (landmarks=5|68). */
  landmarks?: Array<[number, number]>;
  /** Probability of the live class, when asked for (liveness=true). */
  liveness?: number;
  /** Open probability of the image-left and image-right eye, when asked for (eyes=true). */
  eyes?: EyesOpen;
}

/** fr_eye's open probability (0-1) per eye: `left` is the eye on the image's left (the
 *  subject's right eye, landmarks 36-41), `right` the other (42-47). */
export interface EyesOpen {
  left: number;
  right: number;
}

export interface Detection {
  faces: DetectedFace[];
  image: ImageSize;
}

/** One image through the face job, as the service and the gallery read it. */
export interface FaceAnalysis {
  image: ImageSize;
  /** Every detection, best score first, plus the caller's box last when one was given. */
  faces: Face[];
  /** Index into faces of the face used (-1: none). */
  chosen: number;
  /** Per analysed face (in faces' index order of `analyzed`). */
  analyzed: number[];
  landmarks: Float32Array[];
  embeddings: Float32Array[];
  liveness: number[];
  pose: Array<[number, number, number]>;
  /** Open probability of the image-left and image-right eye, with `eyes`. */
  eyes: Array<[number, number]>;
  /** The embedder that made the embeddings, and how faces were aligned for it. */
  model?: { name: string; version: string; alignment: string };
  /** Microseconds per stage in the job's thread (decode, detect, landmarks, align, embed, …). */
  stages: Record<string, number>;
}

export interface Embedding {
  embedding: number[];
  /** The face used, and its detector score (for a given box: the detection it overlaps most). */
  box: Box;
  score: number;
  /** Every face detected, best first: the candidates `box` was chosen from. */
  candidates: Face[];
  liveness?: number;
  image: ImageSize;
  model: { name: string; version: string; alignment: string };
}

export interface Verification {
  similarity: number;
  match: boolean;
  threshold: number;
  /** The face used in image1 and in image2. */
  faces: [Box, Box];
  candidates: [Face[], Face[]];
  liveness?: [number, number];
  model: { name: string; version: string; alignment: string };
}

export interface AnalyzeOptions {
  box?: Box;
  analyze?: 'none' | 'chosen' | 'all';
  embed?: boolean;
  liveness?: boolean;
  pose?: boolean;
  eyes?: boolean;
  detect?: Partial<DetectOptions>;
  signal?: AbortSignal;
}

export interface QualityFailure {
  check: 'min_face_px' | 'min_score' | 'max_yaw' | 'max_pitch' | 'max_roll' | 'min_eye_open';
  value: number;
  limit: number;
}

export const DEFAULT_DETECT: DetectOptions = {
  scoreThreshold: JOB_DEFAULTS.scoreThreshold,
  iouThreshold: JOB_DEFAULTS.iouThreshold,
  maxFaces: JOB_DEFAULTS.maxFaces,
};
/** The match threshold when a request gives none, chosen from `bun src/bench/face-accuracy.ts`:
 *  genuine and impostor cosine similarities of every fixture face (three people and a cat) and
 *  its crops, flips, rotations, rescales, re-encodes and brightness changes, through the shipped
 *  face job (README, "Face identity accuracy", for the figures and the false-reject rate it
 *  costs). It lies above every measured impostor pair with a wide margin, because a false accept
 *  is the worst outcome for the payments flow this serves and three identities say little about
 *  a real population's tail; test/face-accuracy.test.ts re-measures and holds it to that. */
export const DEFAULT_MATCH_THRESHOLD = 0.6;

export class FaceService {
  constructor(
    private readonly dp: DataPlane,
    private readonly models: FaceModels = { face: 'face' },
  ) {}

  /** Throws the 404/503 the task would meet now (model missing, not ready, queue full), so a
   *  route can refuse before it reads the upload. */
  admit(_task?: 'detect' | 'embed' | 'verify'): void {
    this.dp.admit(this.models.face);
  }

  /** The face job's config section (quality gate, max analysed faces). */
  jobConfig(): FaceJobConfig {
    return FaceJobSchema.parse((this.dp.modelConfig(this.models.face) as Record<string, unknown>).face);
  }

  /** One image through the face job. */
  async analyze(image: Uint8Array, o: AnalyzeOptions = {}): Promise<FaceAnalysis> {
    const d = { ...DEFAULT_DETECT, ...o.detect };
    const parameters: Parameters = {
      score_threshold: d.scoreThreshold,
      iou_threshold: d.iouThreshold,
      max_faces: d.maxFaces,
      analyze: o.analyze ?? 'chosen',
      embed: o.embed ?? true,
      liveness: o.liveness ?? false,
      pose: o.pose ?? false,
      eyes: o.eyes ?? false,
      ...(o.box ? { box: o.box.join(',') } : {}),
    };
    const r = await this.dp.infer(this.models.face, undefined, {
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [image] }],
      parameters,
      signal: o.signal,
    });
    return readAnalysis(r);
  }

  async detect(
    image: Uint8Array,
    o: DetectOptions & { landmarks?: 0 | 5 | 68; liveness?: boolean; eyes?: boolean } = DEFAULT_DETECT,
    signal?: AbortSignal,
  ): Promise<Detection> {
    const points = o.landmarks ?? 0;
    const extra = points > 0 || o.liveness === true || o.eyes === true;
    const a = await this.analyze(image, { detect: o, analyze: extra ? 'all' : 'none', embed: false, liveness: o.liveness, eyes: o.eyes, signal });
    const faces: DetectedFace[] = a.faces.map((f) => ({ box: roundBox(f.box), score: round(f.score, 4) }));
    a.analyzed.forEach((fi, k) => {
      if (points === 68) faces[fi].landmarks = pairs(a.landmarks[k]);
      else if (points === 5) faces[fi].landmarks = fivePoints(a.landmarks[k]).map(([x, y]) => [round(x, 1), round(y, 1)]);
      if (o.liveness) faces[fi].liveness = round(a.liveness[k], 4);
      if (o.eyes) faces[fi].eyes = eyesOpen(a.eyes[k]);
    });
    return { faces, image: a.image };
  }

  /** Embeds the face in `box` (original-image pixels), or the chosen face (choose.ts). */
  async embed(image: Uint8Array, o: { box?: Box; liveness?: boolean; signal?: AbortSignal; label?: string } = {}): Promise<Embedding> {
    const a = await this.analyze(image, { box: o.box, liveness: o.liveness, signal: o.signal });
    if (a.chosen < 0 || !a.embeddings.length || !a.model) throw new EdgeError('UNPROCESSABLE', `no face found in ${o.label ?? 'image'}`);
    const used = a.faces[a.chosen];
    const candidates = (o.box ? a.faces.slice(0, -1) : a.faces).map((f) => ({ box: roundBox(f.box), score: round(f.score, 4) }));
    return {
      embedding: Array.from(a.embeddings[0], (x) => round(x, 6)),
      box: roundBox(used.box),
      score: round(used.score, 4),
      candidates,
      ...(o.liveness ? { liveness: round(a.liveness[0], 4) } : {}),
      image: a.image,
      model: a.model,
    };
  }

  async verify(
    a: Uint8Array,
    b: Uint8Array,
    o: { threshold?: number; box1?: Box; box2?: Box; liveness?: boolean; signal?: AbortSignal } = {},
  ): Promise<Verification> {
    const threshold = o.threshold ?? DEFAULT_MATCH_THRESHOLD;
    const [ea, eb] = await Promise.all([
      this.embed(a, { box: o.box1, liveness: o.liveness, signal: o.signal, label: 'image1' }),
      this.embed(b, { box: o.box2, liveness: o.liveness, signal: o.signal, label: 'image2' }),
    ]);
    if (ea.model.name !== eb.model.name || ea.model.version !== eb.model.version || ea.model.alignment !== eb.model.alignment) {
      throw new EdgeError(
        'UNAVAILABLE',
        `the embedder changed during the request (${ea.model.name} ${ea.model.version} vs ${eb.model.name} ${eb.model.version}): retry`,
      );
    }
    const similarity = round(cosine(Float32Array.from(ea.embedding), Float32Array.from(eb.embedding)), 4);
    return {
      similarity,
      match: similarity >= threshold,
      threshold,
      faces: [ea.box, eb.box],
      candidates: [ea.candidates, eb.candidates],
      ...(o.liveness ? { liveness: [ea.liveness!, eb.liveness!] as [number, number] } : {}),
      model: ea.model,
    };
  }

  /** The enrolment quality gate (config.json face.quality): the first failed check, or
   *  undefined. Pose limits need the face analysed with `pose`, min_eye_open with `eyes`. */
  checkQuality(
    face: { box: Box; score: number; pose?: [number, number, number]; eyes?: [number, number] },
    gate = this.jobConfig().quality,
  ): QualityFailure | undefined {
    const size = Math.min(face.box[2] - face.box[0], face.box[3] - face.box[1]);
    if (size < gate.min_face_px) return { check: 'min_face_px', value: round(size, 1), limit: gate.min_face_px };
    if (face.score < gate.min_score) return { check: 'min_score', value: round(face.score, 4), limit: gate.min_score };
    const limits = [
      ['max_yaw', gate.max_yaw],
      ['max_pitch', gate.max_pitch],
      ['max_roll', gate.max_roll],
    ] as const;
    for (const [k, [check, limit]] of limits.entries()) {
      if (limit === undefined) continue;
      if (!face.pose) throw internal(`quality gate ${check} needs the face's pose (analyze with pose: true)`);
      if (Math.abs(face.pose[k]) > limit) return { check, value: round(face.pose[k], 1), limit };
    }
    if (gate.min_eye_open !== undefined) {
      if (!face.eyes) throw internal("quality gate min_eye_open needs the face's eyes (analyze with eyes: true)");
      // Both eyes must be open: the less open one is what is checked.
      const least = Math.min(face.eyes[0], face.eyes[1]);
      if (!(least >= gate.min_eye_open)) return { check: 'min_eye_open', value: round(least, 4), limit: gate.min_eye_open };
    }
    return undefined;
  }
}

/** A quality failure as the 422 an enrolment answers with. */
export function qualityError(f: QualityFailure, label = 'image'): EdgeError {
  const what =
    f.check === 'min_face_px'
      ? `face size ${f.value} px is below ${f.limit} px`
      : f.check === 'min_score'
        ? `detector score ${f.value} is below ${f.limit}`
        : f.check === 'min_eye_open'
          ? `eye open probability ${f.value} (the less open eye) is below ${f.limit}`
          : `|${f.check.slice(4)}| ${Math.abs(f.value)}° exceeds ${f.limit}°`;
  return new EdgeError('UNPROCESSABLE', `${label}: quality check ${f.check} failed: ${what}`);
}

const eyesOpen = (e: ArrayLike<number>): EyesOpen => ({ left: round(e[0], 4), right: round(e[1], 4) });

const roundBox = (b: Box): Box => b.map((v) => round(v, 1)) as Box;

function pairs(l: Float32Array): Array<[number, number]> {
  const o: Array<[number, number]> = [];
  for (let i = 0; i + 1 < l.length; i += 2) o.push([round(l[i], 1), round(l[i + 1], 1)]);
  return o;
}

function readAnalysis(r: InferResponse): FaceAnalysis {
  const t = (name: string) => {
    const o = r.outputs.find((x) => x.name === name);
    if (!o) throw internal(`model '${r.model_name}' returned no output '${name}'`);
    return o;
  };
  const f32 = (name: string) => t(name).data as Float32Array;
  const w = Number(r.parameters?.image_width);
  const h = Number(r.parameters?.image_height);
  if (!(w > 0 && h > 0)) throw internal(`model '${r.model_name}' did not report the decoded image size`);
  const boxes = f32('boxes');
  const scores = f32('scores');
  const faces: Face[] = Array.from(scores, (s, i) => ({ box: Array.from(boxes.subarray(i * 4, i * 4 + 4)) as Box, score: s }));
  const analyzed = Array.from(t('analyzed').data as Int32Array);
  const rows = (name: string) => {
    const o = t(name);
    const per = o.shape.slice(1).reduce((a, b) => a * b, 1);
    const d = o.data as Float32Array;
    return Array.from({ length: o.shape[0] }, (_, i) => d.subarray(i * per, (i + 1) * per));
  };
  const pose = rows('pose').map((p) => [p[0], p[1], p[2]] as [number, number, number]);
  const eyes = rows('eyes').map((e) => [e[0], e[1]] as [number, number]);
  const p = r.parameters ?? {};
  return {
    image: { width: w, height: h },
    faces,
    chosen: (t('chosen').data as Int32Array)[0],
    analyzed,
    landmarks: rows('landmarks'),
    embeddings: rows('embeddings'),
    liveness: Array.from(f32('liveness')),
    pose,
    eyes,
    model: p.embed_model !== undefined ? { name: String(p.embed_model), version: String(p.embed_version), alignment: String(p.alignment) } : undefined,
    stages: typeof p.stage_us === 'string' ? JSON.parse(p.stage_us) : {},
  };
}
