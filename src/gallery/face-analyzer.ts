// The face-analysis port the gallery consumes: one image in, the faces found in it out, with the
// embedding of the face the gallery should use (and of every face when asked). The gallery never
// detects or embeds itself, so the face pipeline (detect, landmarks, align, embed, liveness, in
// one decode) can change behind this interface without the gallery noticing, except through
// `model`: a stored embedding is only ever compared with embeddings of the same model.

import type { Box } from '../tasks/faces/geometry.ts';

export type { Box };

/**
 * What made an embedding. `version` must identify everything that determines the vector: the
 * model's version AND the preprocessing in front of it (square crop vs aligned face, alignment
 * method). Two analyzers whose embeddings are not comparable must report different versions,
 * because a gallery refuses to mix them (409) rather than compare them.
 */
export interface ModelRef {
  name: string;
  version: string;
}

export interface AnalyzedFace {
  /** x1, y1, x2, y2 in original-image pixels (after EXIF orientation). */
  box: Box;
  /** Detector score (0-1); for a caller-given box, that of the detection it overlaps most (0 if none). */
  score: number;
  /** Facial points in image pixels, when the analyzer computes them. */
  landmarks?: Array<[number, number]>;
  /** Quality measures (named numbers, e.g. size, pose, sharpness), when the analyzer computes them. */
  quality?: Record<string, number>;
  /** Liveness score (0-1, higher = live), only when asked for and supported. */
  liveness?: number;
  /** L2-normalised embedding. Always present on the chosen face; on the others only with `all`. */
  embedding?: Float32Array;
}

export interface AnalyzeOptions {
  /** Use this face region instead of choosing one (original-image pixels). */
  box?: Box;
  /** Compute liveness (where the analyzer can). */
  liveness?: boolean;
  /** Embed every face found, not only the chosen one (identify "per face"). */
  all?: boolean;
  /** An enrolment: the analyzer applies its quality gate to the chosen face (422 naming the check). */
  enrol?: boolean;
  signal?: AbortSignal;
}

export interface Analysis {
  image: { width: number; height: number };
  /** Every face found (or only the given `box`), best first by the analyzer's rule. */
  faces: AnalyzedFace[];
  /** Index into `faces` of the face to use when one is needed; -1 when there is none. */
  chosen: number;
  /** The model (and preprocessing) that made the embeddings. */
  model: ModelRef;
}

export interface FaceAnalyzer {
  /**
   * Finds the faces in an encoded image (JPEG/PNG/WebP) and embeds the chosen one. An image with
   * no face resolves with `faces: []` and `chosen: -1` (the caller decides whether that is an
   * error); undecodable images reject with the decoder's domain error (415/422).
   */
  analyze(image: Uint8Array, o?: AnalyzeOptions): Promise<Analysis>;
  /** Throws the 404/503 an analysis would meet now, before the upload is read. */
  admit?(): void;
}

export const sameModel = (a: ModelRef, b: ModelRef) => a.name === b.name && a.version === b.version;
export const modelLabel = (m: ModelRef) => `${m.name} ${m.version}`;
