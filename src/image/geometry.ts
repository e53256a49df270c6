// Where the model input's pixels come from: the affine map between model-input coordinates
// and original-image pixels for each resize mode (stretch, letterbox, center_crop), with an
// optional crop. Resampling uses it forwards; mapBox/mapPoint use it to bring detections back.
// Coordinates are continuous (pixel edges): model-input x = 0 is the left edge of column 0,
// x = width its right edge; original pixels likewise (the pixel (i, j) spans [i, i+1)).
// Also the one parser and check for client-given crops (parseBox, MIN_CROP_OVERLAP).

import { invalid } from '../core/errors.ts';

export type ResizeMode = 'stretch' | 'letterbox' | 'center_crop';
/** x1, y1, x2, y2 */
export type Box = [number, number, number, number];

export interface ImageTransform {
  /** Model-input size in pixels. */
  inputWidth: number;
  inputHeight: number;
  /** Upright original image size (what boxes are mapped back into). */
  originalWidth: number;
  originalHeight: number;
  /** original x = offsetX + u * scaleX for model-input pixel coordinate u (same for y). */
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
  /** The part of the model input that shows image content, in model-input pixels: the whole
   *  input except for letterbox, whose padding lies outside it. */
  content: Box;
}

/**
 * Least share of a crop's area that must be image. A crop mostly outside the image is a
 * client's mistake (a box in other coordinates, a typo), not a face: answered with a 400
 * rather than a tensor of repeated edge pixels. The resampler's work no longer depends on the
 * crop (resample.ts), so this is about meaning, not cost.
 */
export const MIN_CROP_OVERLAP = 0.01;

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i;

/**
 * A box or crop "x1,y1,x2,y2" as sent by a client (a query parameter, a tensor parameter):
 * four decimal numbers, finite, x2 > x1 and y2 > y1. Strict where Number() is lenient: an
 * empty part, "0x10", "Infinity" or a fifth value is an error, never 0 or NaN. `what` names
 * the field in the error, which quotes the value received.
 */
export function parseBox(value: unknown, what: string): Box {
  const bad = (why: string) => invalid(`${what} must be "x1,y1,x2,y2" (four numbers, x2 > x1, y2 > y1): ${why}, got ${JSON.stringify(value) ?? String(value)}`);
  if (typeof value !== 'string') throw bad('not a string');
  if (value.trim() === '') throw bad('empty');
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 4) throw bad(`${parts.length} value${parts.length === 1 ? '' : 's'}`);
  const v = parts.map((p, i) => {
    if (!NUMBER.test(p)) throw bad(p === '' ? `value ${i + 1} is empty` : `value ${i + 1} is not a number`);
    const n = Number(p);
    if (!Number.isFinite(n)) throw bad(`value ${i + 1} is out of range`);
    return n;
  }) as Box;
  if (v[2] <= v[0] || v[3] <= v[1]) throw bad(v[2] <= v[0] ? 'x2 <= x1' : 'y2 <= y1');
  return v;
}

function percent(f: number): string {
  const p = f * 100;
  return `${p >= 1 || p === 0 ? p.toFixed(0) : p >= 0.01 ? p.toFixed(2) : p.toExponential(1)}%`;
}

/**
 * Throws a 400 naming the crop unless it is finite, non-empty and at least MIN_CROP_OVERLAP
 * image: the work of anything cut from it stays bounded by the image, and a box that is almost
 * all outside (a typo, or a hostile 1e12) is refused rather than resampled.
 */
export function checkCrop(crop: Box, originalWidth: number, originalHeight: number, what = 'crop'): void {
  const [x1, y1, x2, y2] = crop;
  if (![x1, y1, x2, y2].every(Number.isFinite) || x2 <= x1 || y2 <= y1) {
    throw invalid(`${what} [${crop}] must be finite x1,y1,x2,y2 with x2 > x1 and y2 > y1`);
  }
  if (x2 <= 0 || y2 <= 0 || x1 >= originalWidth || y1 >= originalHeight) {
    throw invalid(`${what} [${crop}] lies outside the ${originalWidth}x${originalHeight} image`);
  }
  const shown = ((Math.min(x2, originalWidth) - Math.max(x1, 0)) * (Math.min(y2, originalHeight) - Math.max(y1, 0))) / ((x2 - x1) * (y2 - y1));
  if (!(shown >= MIN_CROP_OVERLAP)) {
    throw invalid(
      `${what} [${crop}] lies almost entirely outside the ${originalWidth}x${originalHeight} image: the image fills ${percent(shown)} of it, at least ${percent(MIN_CROP_OVERLAP)} must be image (coordinates are original-image pixels)`,
    );
  }
}

/**
 * The transform for resizing `crop` (original pixels; default the whole image) of an
 * originalWidth x originalHeight image to inputWidth x inputHeight with `mode`.
 */
export function computeTransform(
  mode: ResizeMode,
  inputWidth: number,
  inputHeight: number,
  originalWidth: number,
  originalHeight: number,
  crop?: Box,
): ImageTransform {
  const [x1, y1, x2, y2] = crop ?? [0, 0, originalWidth, originalHeight];
  if (crop) checkCrop(crop, originalWidth, originalHeight);
  const rw = x2 - x1;
  const rh = y2 - y1;
  const base = { inputWidth, inputHeight, originalWidth, originalHeight };
  if (mode === 'letterbox') {
    const s = Math.min(inputWidth / rw, inputHeight / rh);
    const cw = clamp(Math.round(rw * s), 1, inputWidth);
    const ch = clamp(Math.round(rh * s), 1, inputHeight);
    const px = Math.floor((inputWidth - cw) / 2);
    const py = Math.floor((inputHeight - ch) / 2);
    // Scale per axis from the rounded content size, so the content's edges map exactly onto
    // the crop's edges (rounding moves the aspect ratio by under half a pixel).
    const scaleX = rw / cw;
    const scaleY = rh / ch;
    return { ...base, scaleX, scaleY, offsetX: x1 - px * scaleX, offsetY: y1 - py * scaleY, content: [px, py, px + cw, py + ch] };
  }
  if (mode === 'center_crop') {
    // Cover: scale so the input is filled, then cut the overflow equally from both sides.
    const s = Math.max(inputWidth / rw, inputHeight / rh);
    return {
      ...base,
      scaleX: 1 / s,
      scaleY: 1 / s,
      offsetX: x1 + (rw - inputWidth / s) / 2,
      offsetY: y1 + (rh - inputHeight / s) / 2,
      content: [0, 0, inputWidth, inputHeight],
    };
  }
  return { ...base, scaleX: rw / inputWidth, scaleY: rh / inputHeight, offsetX: x1, offsetY: y1, content: [0, 0, inputWidth, inputHeight] };
}

/** A point normalised to the model input (0-1) → original-image pixels (not clamped). */
export function mapPoint(x: number, y: number, t: ImageTransform): [number, number] {
  return [t.offsetX + x * t.inputWidth * t.scaleX, t.offsetY + y * t.inputHeight * t.scaleY];
}

/**
 * A box normalised to the model input (x1, y1, x2, y2 in 0-1) → original-image pixels,
 * clamped to the image (and, for letterbox, first to the content area, so a box reaching
 * into the padding stops at the image edge). Works for every resize mode and crop.
 */
export function mapBox(box: Box, t: ImageTransform, clampToImage = true): Box {
  let [u1, v1, u2, v2] = [box[0] * t.inputWidth, box[1] * t.inputHeight, box[2] * t.inputWidth, box[3] * t.inputHeight];
  if (clampToImage) {
    const [cx1, cy1, cx2, cy2] = t.content;
    [u1, u2] = [clamp(u1, cx1, cx2), clamp(u2, cx1, cx2)];
    [v1, v2] = [clamp(v1, cy1, cy2), clamp(v2, cy1, cy2)];
  }
  const out: Box = [t.offsetX + u1 * t.scaleX, t.offsetY + v1 * t.scaleY, t.offsetX + u2 * t.scaleX, t.offsetY + v2 * t.scaleY];
  if (!clampToImage) return out;
  return [clamp(out[0], 0, t.originalWidth), clamp(out[1], 0, t.originalHeight), clamp(out[2], 0, t.originalWidth), clamp(out[3], 0, t.originalHeight)];
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
