// Face alignment for the recognizer: 68 landmarks → the 5 points the package's fr_feature.js uses
// (eye centres, nose tip, mouth corners), a transform onto its REFERENCE_FACIAL_POINTS (the
// standard ArcFace 112x112 template) and the aligned face as the embedder's input tensor.
// Three methods, measured on real faces (README, "Face identity"):
//   similarity5  least-squares similarity over all 5 points (rotation + uniform scale + shift);
//   affine3      the package's own: the exact affine through eyes + nose (ignores the mouth,
//                shears turned faces);
//   none         no alignment: the detector box made square (what edgeserve did before).
// alignedFaceTensor() is the one producer of embedder inputs, callable on its own (the INT8
// calibration of issue 14 feeds it the same faces the server embeds).

import type { ImagePreprocessing } from '../../core/model-config.ts';
import type { Box } from '../../image/geometry.ts';
import { preprocess } from '../../image/preprocess.ts';
import type { RawImage } from '../../image/raw-image.ts';
import { type Affine, type Point, affineFrom3, invertAffine, similarityFrom, warpToTensor } from '../../image/warp.ts';
import { squareCrop } from './geometry.ts';

export type Alignment = 'similarity5' | 'affine3' | 'none';
export const ALIGNMENTS: readonly Alignment[] = ['similarity5', 'affine3', 'none'];

/** lib/fr_feature.js REFERENCE_FACIAL_POINTS: left eye, right eye, nose, left and right mouth
 *  corner, in the 112x112 aligned face. */
export const REFERENCE_FACIAL_POINTS: readonly Point[] = [
  [38.29459953, 51.69630051],
  [73.53179932, 51.50139999],
  [56.02519989, 71.73660278],
  [41.54930115, 92.3655014],
  [70.72990036, 92.20410156],
];
const REFERENCE_SIZE = 112;

/** lib/fr_feature.js convert68pts5pts over [x0, y0, x1, y1, …] (136 numbers): eye centres as the
 *  mean of points 37, 38, 40, 41 (left) and 43, 44, 46, 47 (right), nose tip 30, mouth corners
 *  as the mean of 48/60 and 54/64. */
export function fivePoints(l: ArrayLike<number>): Point[] {
  if (l.length < 136) throw new RangeError(`fivePoints needs 68 landmarks (136 numbers), got ${l.length}`);
  const mean = (...ix: number[]): Point => [ix.reduce((s, i) => s + l[2 * i], 0) / ix.length, ix.reduce((s, i) => s + l[2 * i + 1], 0) / ix.length];
  return [mean(37, 38, 40, 41), mean(43, 44, 46, 47), mean(30), mean(48, 60), mean(54, 64)];
}

/** The aligned-face → image map (dst → src) for the embedder's input size. The reference points
 *  are for 112x112; another input size scales them. */
export function alignmentToImage(points5: readonly Point[], method: Exclude<Alignment, 'none'>, size: { width: number; height: number }): Affine {
  const sx = size.width / REFERENCE_SIZE;
  const sy = size.height / REFERENCE_SIZE;
  const ref = REFERENCE_FACIAL_POINTS.map(([x, y]): Point => [x * sx, y * sy]);
  const toFace = method === 'affine3' ? affineFrom3(points5.slice(0, 3), ref.slice(0, 3)) : similarityFrom(points5, ref);
  return invertAffine(toFace);
}

export interface AlignInput {
  /** The 5 points in original-image pixels (required unless method is 'none'). */
  points5?: readonly Point[];
  /** The face box (used by 'none'). */
  box?: Box;
}

/**
 * The embedder's input tensor (no batch dim) for one face of a decoded image: warped onto the
 * reference points (similarity5, affine3), or the square box crop resized (none), then laid out
 * and normalised as `spec` (the embedder's config.json `image`) says.
 */
export function alignedFaceTensor(img: RawImage, face: AlignInput, spec: ImagePreprocessing, method: Alignment = 'similarity5') {
  if (method === 'none') {
    if (!face.box) throw new RangeError("alignment 'none' needs the face box");
    const t = preprocess(img, spec, { crop: squareCrop(face.box, img.originalWidth, img.originalHeight) });
    return { data: t.data, datatype: t.datatype, shape: t.shape };
  }
  if (!face.points5 || face.points5.length !== 5) throw new RangeError(`alignment '${method}' needs the 5 facial points`);
  return warpToTensor(img, alignmentToImage(face.points5, method, spec), spec);
}
