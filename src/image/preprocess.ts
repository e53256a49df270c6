// Decoded image → model input tensor, as a model's config.json `image` section says
// (ImagePreprocessing in core/model-config.ts). Pure TypeScript, no runtime APIs: runs on
// Bun, Deno, Node and Workers alike. The pieces: geometry.ts (where each input pixel comes
// from), resample.ts (bilinear / area averaging), pack.ts (channels, normalisation, layout,
// dtype). Alpha is composited over white (policy in raw-image.ts).

import type { ImagePreprocessing } from '../core/model-config.ts';
import { computeTransform, type Box, type ImageTransform } from './geometry.ts';
import { channelMath, convert, tensorLayout, type PackedData, type TensorDtype } from './pack.ts';
import type { RawImage } from './raw-image.ts';
import { type AxisMap, resample } from './resample.ts';

export type { Box, ImageTransform } from './geometry.ts';
export { mapBox, mapPoint, parseBox } from './geometry.ts';

export { ALPHA_BACKGROUND } from './resample.ts';

export interface PreprocessOptions {
  /** x1, y1, x2, y2 in ORIGINAL upright image pixels (RawImage.originalWidth/Height space),
   *  e.g. a detected face. May reach past the image (edge pixels repeat there), but at least
   *  MIN_CROP_OVERLAP of it must be image (geometry.ts). */
  crop?: Box;
}

export interface Preprocessed {
  /** FP32 → Float32Array, FP16 → Uint16Array of half bits, UINT8 → Uint8Array, INT8 → Int8Array. */
  data: PackedData;
  datatype: TensorDtype;
  /** [C, H, W] for NCHW, [H, W, C] for NHWC: no batch dimension (the caller adds it). */
  shape: number[];
  originalWidth: number;
  originalHeight: number;
  /** Maps model-input coordinates back to original pixels: see mapBox / mapPoint. */
  transform: ImageTransform;
}

/** The content area's source axes in decoded pixels (they differ from the original ones when
 *  the decoder downscaled). */
export function axisMaps(img: RawImage, t: ImageTransform): [AxisMap, AxisMap] {
  const fx = img.width / img.originalWidth;
  const fy = img.height / img.originalHeight;
  const [cx1, cy1, cx2, cy2] = t.content;
  return [
    { count: cx2 - cx1, start: (t.offsetX + cx1 * t.scaleX) * fx, ratio: t.scaleX * fx },
    { count: cy2 - cy1, start: (t.offsetY + cy1 * t.scaleY) * fy, ratio: t.scaleY * fy },
  ];
}

export function preprocess(img: RawImage, spec: ImagePreprocessing, opts?: PreprocessOptions): Preprocessed {
  const math = channelMath(spec, spec.color === 'GRAY' ? 1 : 3); // validate before any work
  const t = computeTransform(spec.resize, spec.width, spec.height, img.originalWidth, img.originalHeight, opts?.crop);
  const { sink, shape } = tensorLayout(spec, math, t.content);
  const [x, y] = axisMaps(img, t);
  resample(img, x, y, spec.color === 'GRAY', sink);
  const data = convert(sink.out, spec.dtype);
  return { data, datatype: spec.dtype, shape, originalWidth: img.originalWidth, originalHeight: img.originalHeight, transform: t };
}
