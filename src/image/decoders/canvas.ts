// ImageDecoder on @napi-rs/canvas (Skia, native): Bun, Node, Deno (--allow-ffi) and compiled
// Bun binaries; not Workers. The decode itself runs on libuv's thread pool (loadImage is
// async), so the event loop only pays for drawing the bitmap into a canvas and reading it back.
//
// Facts this file relies on (checked by decoders/contract.test.ts):
// - Skia applies EXIF orientation for JPEG and WebP itself, but ignores PNG eXIf: we rotate
//   PNGs ourselves so every decoder returns the same upright image. Where the decoded size
//   tells (a 90° orientation of a non-square image) we trust the size over that rule.
// - @napi-rs/canvas 1.1 has no sampled (DCT-scaled) decode: Image always decodes at full size
//   (its width/height setters only re-render SVG). What a target hint still buys: drawing the
//   bitmap straight into a small canvas skips the full-size draw and the full-size
//   getImageData copy (12 MP JPEG: ~90 ms instead of ~120-160 ms; src/bench/decode.ts).
// - Surfaces are premultiplied, so fully transparent pixels read back as (0,0,0,0); see the
//   alpha policy in raw-image.ts.
// - Skia colour-manages (ICC profiles, PNG gAMA/cHRM); the WASM codecs do not. We strip the
//   profile first (strip-color.ts) so both return the file's stored values.

import { createCanvas, loadImage, type Image } from '@napi-rs/canvas';
import { EdgeError } from '../../core/errors.ts';
import { decodeScale, type DecodeOptions, type ImageDecoder } from '../decoder.ts';
import { applyOrientation } from '../orient.ts';
import { checkImage, DEFAULT_MAX_PIXELS, orientedSize, type ImageInfo } from '../probe.ts';
import { swapsAxes } from '../probe/exif.ts';
import { bytesOf, type RawImage } from '../raw-image.ts';
import { stripColorProfile } from './strip-color.ts';

export function createCanvasDecoder(): ImageDecoder {
  return { name: 'canvas', decode };
}

async function decode(bytes: Uint8Array, opts?: DecodeOptions): Promise<RawImage> {
  const info = checkImage(bytes, { maxPixels: opts?.maxPixels ?? DEFAULT_MAX_PIXELS });
  let img: Image;
  try {
    img = await loadImage(stripColorProfile(bytes, info.format));
  } catch (e) {
    throw new EdgeError('UNPROCESSABLE', `corrupt ${info.format.toUpperCase()}: ${(e as Error)?.message ?? e}`);
  }
  const upright = orientedSize(info);
  const skiaRotated = rotatedBySkia(info, img);
  const drawn = skiaRotated ? upright : { width: info.width, height: info.height };
  if (img.width !== drawn.width || img.height !== drawn.height) {
    throw new EdgeError('INTERNAL', `canvas decoded ${img.width}x${img.height}, expected ${drawn.width}x${drawn.height}`);
  }
  // Only downscale when no rotation of ours follows (PNG orientation is rare; keep it simple).
  const scale = skiaRotated ? decodeScale(upright.width, upright.height, opts) : 1;
  const w = Math.max(1, Math.round(drawn.width * scale));
  const h = Math.max(1, Math.round(drawn.height * scale));
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  if (scale < 1) {
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high'; // measured: every quality costs the same, none aliases
    ctx.drawImage(img, 0, 0, w, h);
  } else {
    ctx.drawImage(img, 0, 0);
  }
  const data = bytesOf(ctx.getImageData(0, 0, w, h).data);
  const pixels = skiaRotated ? { width: w, height: h, data } : applyOrientation({ width: w, height: h, data }, info.orientation);
  return {
    ...pixels,
    originalWidth: upright.width,
    originalHeight: upright.height,
    ...(info.hasAlpha ? {} : { opaque: true }),
  };
}

/** Whether Skia's bitmap is already upright (trivially so for orientation 1). */
function rotatedBySkia(info: ImageInfo, img: Image): boolean {
  if (info.orientation === 1) return true;
  if (swapsAxes(info.orientation) && info.width !== info.height) return img.width === info.height && img.height === info.width;
  return info.format !== 'png';
}
