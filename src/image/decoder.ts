// The ImageDecoder port: encoded bytes in, upright RGBA out. Implementations live in
// decoders/ (canvas: native Skia; jsquash: WASM, runs on Workers); runtime/ picks one and
// passes it in. Every implementation must pass decoders/contract.test.ts.

import { orientedSize, type ImageInfo } from './probe.ts';
import type { RawImage } from './raw-image.ts';

export interface DecodeOptions {
  /** Refuse images with more pixels than this before decoding (PAYLOAD_TOO_LARGE).
   *  Default: DEFAULT_MAX_PIXELS from probe.ts. */
  maxPixels?: number;
  /**
   * Hint: the size the caller will resize the WHOLE upright image to. A decoder that can
   * downscale cheaply while decoding MAY return a smaller image, never smaller than
   * decodeScale() allows (twice the target in both axes, so the final resize still has pixels
   * to average), or jpegDctSize() for a JPEG shrunk inside the DCT. Leave it out when you will
   * crop small regions from the image (face crops for an embedding model need the full
   * resolution). The result always reports the original upright size in
   * originalWidth/originalHeight.
   */
  targetWidth?: number;
  targetHeight?: number;
  /** How many times the target each axis must stay when a JPEG is shrunk inside the DCT
   *  (default DEFAULT_REDUCING_GAP): the model config's image.reducing_gap. Downscales a
   *  decoder draws (Skia) always keep the default: they filter unlike the final resize. */
  reducingGap?: number;
}

/** Pillow's thumbnail() and libvips keep at least 2x the target for the final resize. */
export const DEFAULT_REDUCING_GAP = 2;

export interface ImageDecoder {
  /** For logs and benchmarks, e.g. "canvas" or "jsquash". */
  readonly name: string;
  /**
   * Decodes JPEG, PNG or WebP with EXIF orientation applied. Errors are EdgeErrors:
   * UNSUPPORTED_MEDIA (empty, not JPEG/PNG/WebP, animated), PAYLOAD_TOO_LARGE (over
   * maxPixels), UNPROCESSABLE (corrupt or truncated data). Never anything else for bad input.
   */
  decode(bytes: Uint8Array, opts?: DecodeOptions): Promise<RawImage>;
}

/**
 * The stored (pre-orientation) size a JPEG of `info`'s dimensions is decoded at inside the DCT
 * (libjpeg's k/8 sizes) for this hint, or undefined for a full-size decode. The smallest k/8
 * that decodeScale() allows with the hint's reducingGap, and only at 1/2 or less: at 5/8-7/8
 * the saving is small, and a full decode keeps ordinary photos identical across decoders. Every DCT-scaling decoder uses
 * this one rule, so they all return the same pixels.
 */
export function jpegDctSize(
  info: Pick<ImageInfo, 'width' | 'height' | 'orientation'>,
  opts: DecodeOptions | undefined,
): { width: number; height: number } | undefined {
  const upright = orientedSize(info);
  const k = Math.ceil(decodeScale(upright.width, upright.height, opts, opts?.reducingGap) * 8 - 1e-9);
  if (k > 4) return undefined;
  return { width: Math.ceil((info.width * k) / 8), height: Math.ceil((info.height * k) / 8) };
}

/**
 * The factor (<= 1) a decoder may shrink an upright image of `width` x `height` by when the
 * caller hinted a target: the largest reduction that keeps both axes at least `gap` times the
 * target (which also covers letterbox and center_crop, whose content is never larger than
 * that; a gap under 1 counts as 1). 1 when there is no hint or nothing to gain.
 */
export function decodeScale(width: number, height: number, opts: DecodeOptions | undefined, gap = DEFAULT_REDUCING_GAP): number {
  const tw = opts?.targetWidth;
  const th = opts?.targetHeight;
  if (!tw || !th) return 1;
  const g = Math.max(1, gap);
  return Math.min(1, Math.max((g * tw) / width, (g * th) / height));
}
