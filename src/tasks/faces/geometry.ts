// Face post-processing math: score filtering, IoU, non-maximum suppression, box clamping, and
// embedding normalisation/similarity. Pure functions over typed arrays.

export type Box = [number, number, number, number];

export interface Face {
  /** x1, y1, x2, y2 in original-image pixels (after EXIF orientation). */
  box: Box;
  score: number;
}

export function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (area(a) + area(b) - inter);
}

export interface DetectOptions {
  scoreThreshold: number;
  iouThreshold: number;
  maxFaces: number;
}

/**
 * Detector outputs → faces in pixels. `scores` is [n,2] (softmax; column 1 = face), `boxes` is
 * [n,4] corner-form normalised to the model input; the stretch resize maps straight back by
 * scaling with the original width and height.
 */
export function decodeDetections(scores: Float32Array, boxes: Float32Array, width: number, height: number, o: DetectOptions): Face[] {
  const n = scores.length / 2;
  const candidates: Face[] = [];
  for (let i = 0; i < n; i++) {
    const s = scores[i * 2 + 1];
    if (s < o.scoreThreshold) continue;
    const b: Box = [
      clamp(boxes[i * 4] * width, 0, width),
      clamp(boxes[i * 4 + 1] * height, 0, height),
      clamp(boxes[i * 4 + 2] * width, 0, width),
      clamp(boxes[i * 4 + 3] * height, 0, height),
    ];
    if (b[2] - b[0] < 1 || b[3] - b[1] < 1) continue;
    candidates.push({ box: b, score: s });
  }
  return nms(candidates, o.iouThreshold, o.maxFaces);
}

/** Greedy NMS in descending score order; the result is sorted by score. */
export function nms(faces: Face[], iouThreshold: number, max: number): Face[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: Face[] = [];
  for (const f of sorted) {
    if (kept.length >= max) break;
    if (kept.every((k) => iou(k.box, f.box) <= iouThreshold)) kept.push(f);
  }
  return kept;
}

export function largest(faces: Face[]): Face | undefined {
  return faces.reduce<Face | undefined>((best, f) => (!best || area(f.box) > area(best.box) ? f : best), undefined);
}

/**
 * The crop given to the embedding model: the box made square around its centre (the model was
 * trained on square, face-centred crops), kept inside the image where possible.
 */
export function squareCrop(b: Box, width: number, height: number): Box {
  const cx = (b[0] + b[2]) / 2;
  const cy = (b[1] + b[3]) / 2;
  const side = Math.min(Math.max(b[2] - b[0], b[3] - b[1]), width, height);
  const x1 = clamp(cx - side / 2, 0, width - side);
  const y1 = clamp(cy - side / 2, 0, height - side);
  return [x1, y1, x1 + side, y1 + side];
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

/** Cosine similarity of two L2-normalised vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
