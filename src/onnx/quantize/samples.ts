// Model inputs for calibration and for the accuracy gates, made from real images through the
// model's own preprocessing (its config.json `image` spec and the repository's tensorizer), so
// the quantizer sees what the served model sees. Two kinds:
// - whole images (a detector): the image, and optionally zoomed-in crops and mirror images;
// - faces (an embedder): each face a FaceInputs function finds, cropped the way the face
//   pipeline crops it, optionally with looser/tighter crops and mirror images.
// FaceInputs is the swappable part: today the square crop of FaceService.embed; when faces are
// aligned before embedding, pass the aligned crops instead and the gate measures those.

import type { ImagePreprocessing } from '../../core/model-config.ts';
import { type Box, decodeDetections, type DetectOptions, largest, round, squareCrop } from '../../tasks/faces/geometry.ts';
import type { Feeds, QSession } from './session.ts';

export interface SourceImage {
  name: string;
  bytes: Uint8Array;
}

/** What samples need of the image pipeline (image/tensorizer.ts has this shape). */
export interface Tensorizer {
  toTensor(bytes: Uint8Array, spec: ImagePreprocessing, crop?: Box): Promise<{ data: ArrayLike<number>; shape: number[]; width: number; height: number }>;
}

export interface Augment {
  /** Also each sample mirrored left-right. */
  flip?: boolean;
  /** Side of the region kept, as a fraction of the image (or of the face crop), centred; 1 = as is. */
  zoom?: number[];
}

export interface Sample {
  /** e.g. "camera.png zoom 0.8 flipped". */
  label: string;
  image: string;
  feeds: Feeds;
  /** Size in original pixels of what the sample shows (the image, or the crop). */
  size: { width: number; height: number };
}

async function tensorSample(tz: Tensorizer, spec: ImagePreprocessing, img: SourceImage, crop: Box | undefined, flip: boolean, label: string): Promise<Sample> {
  const t = await tz.toTensor(img.bytes, spec, crop);
  if (spec.dtype !== 'FP32') throw new Error(`image.dtype ${spec.dtype}: the quantizer calibrates FP32 image inputs only`);
  let data: Float32Array = Float32Array.from(t.data);
  if (flip) data = mirror(data, t.shape, spec.layout);
  const name = spec.input ?? 'input';
  const size = crop ? { width: crop[2] - crop[0], height: crop[3] - crop[1] } : { width: t.width, height: t.height };
  return { label, image: img.name, feeds: { [name]: { data, dims: [1, ...t.shape] } }, size };
}

/** Mirror a CHW or HWC tensor along W. */
export function mirror(data: Float32Array, shape: number[], layout: 'NCHW' | 'NHWC'): Float32Array {
  const out = new Float32Array(data.length);
  const [a, b, c] = shape;
  if (layout === 'NCHW') {
    const [ch, h, w] = [a, b, c];
    for (let k = 0; k < ch; k++)
      for (let y = 0; y < h; y++) {
        const row = (k * h + y) * w;
        for (let x = 0; x < w; x++) out[row + x] = data[row + w - 1 - x];
      }
  } else {
    const [h, w, ch] = [a, b, c];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < ch; k++) {
          out[(y * w + x) * ch + k] = data[(y * w + (w - 1 - x)) * ch + k];
        }
  }
  return out;
}

function zoomBox(b: Box, z: number): Box {
  const cx = (b[0] + b[2]) / 2;
  const cy = (b[1] + b[3]) / 2;
  const hw = ((b[2] - b[0]) * z) / 2;
  const hh = ((b[3] - b[1]) * z) / 2;
  // Two decimals, as FaceService sends crops (so a gate sample is exactly what it would embed).
  return [cx - hw, cy - hh, cx + hw, cy + hh].map((v) => Number(v.toFixed(2))) as Box;
}

const variants = (a: Augment) => {
  const zooms = a.zoom?.length ? a.zoom : [1];
  const flips = a.flip ? [false, true] : [false];
  return zooms.flatMap((z) => flips.map((f) => ({ z, f })));
};
const tag = (z: number, f: boolean) => `${z === 1 ? '' : ` zoom ${z}`}${f ? ' flipped' : ''}`;

export async function imageSamples(images: SourceImage[], spec: ImagePreprocessing, tz: Tensorizer, augment: Augment = {}): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const img of images) {
    let size: { width: number; height: number } | undefined;
    for (const { z, f } of variants(augment)) {
      if (z !== 1 && !size) size = await tz.toTensor(img.bytes, spec);
      const crop = z === 1 ? undefined : zoomBox([0, 0, size!.width, size!.height], z);
      out.push(await tensorSample(tz, spec, img, crop, f, `${img.name}${tag(z, f)}`));
    }
  }
  return out;
}

/**
 * The faces to embed in one image: crop boxes in original pixels (cropped and resized by the
 * model's `image` spec, and varied by `augment`), or finished model inputs (an aligned face
 * warped onto the recognizer's template: only `augment.flip` applies to those).
 */
export type FaceInput = Box | { data: Float32Array; shape: number[] };
export type FaceInputs = (img: SourceImage) => Promise<FaceInput[]>;

/**
 * Today's face pipeline (FaceService.embed): the FP32 detector's faces at the default
 * threshold, the largest one (or every one, for calibration), made square by squareCrop.
 */
export function squareCropFaces(detector: QSession, detSpec: ImagePreprocessing, tz: Tensorizer, o: { detect: DetectOptions; all?: boolean }): FaceInputs {
  return async (img) => {
    const t = await tz.toTensor(img.bytes, detSpec);
    const name = detSpec.input ?? 'input';
    const out = await detector.run({ [name]: { data: Float32Array.from(t.data), dims: [1, ...t.shape] } });
    const scores = out.scores?.data;
    const boxes = out.boxes?.data;
    if (!scores || !boxes) throw new Error('the face detector must have outputs named scores and boxes');
    const faces = decodeDetections(scores, boxes, t.width, t.height, o.detect);
    const picked = o.all ? faces : [largest(faces)].filter((f) => f !== undefined);
    // FaceService rounds detected boxes to 0.1 px before cropping; so does this.
    return picked.map((f) => squareCrop(f.box.map((v) => round(v, 1)) as Box, t.width, t.height));
  };
}

export async function faceSamples(
  images: SourceImage[],
  spec: ImagePreprocessing,
  tz: Tensorizer,
  faces: FaceInputs,
  augment: Augment = {},
): Promise<Sample[]> {
  const out: Sample[] = [];
  for (const img of images) {
    const found = await faces(img);
    for (const [i, face] of found.entries()) {
      if (!Array.isArray(face)) {
        const name = spec.input ?? 'input';
        for (const f of augment.flip ? [false, true] : [false]) {
          const data = f ? mirror(face.data, face.shape, spec.layout) : face.data;
          out.push({
            label: `${img.name} face ${i + 1}${tag(1, f)}`,
            image: img.name,
            feeds: { [name]: { data, dims: [1, ...face.shape] } },
            size: { width: spec.width, height: spec.height },
          });
        }
        continue;
      }
      for (const { z, f } of variants(augment)) {
        out.push(await tensorSample(tz, spec, img, zoomBox(face, z), f, `${img.name} face ${i + 1}${tag(z, f)}`));
      }
    }
  }
  return out;
}
