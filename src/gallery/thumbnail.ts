// Face thumbnails for galleries created with keep_thumbnails: true (biometric data, so off by
// default and never made for other galleries): a square crop around the enrolled face's box,
// with a margin, at most THUMBNAIL.size pixels a side, as a small JPEG. Runtime-free: the
// composition root passes the image decoder and a JPEG encoder (@napi-rs/canvas on Bun, Node
// and Deno; the @jsquash MozJPEG encoder on Workers). The photo is decoded again for this (the
// face job's pixels stay in its thread), DCT-scaled where the decoder can, since the crop
// only needs twice the thumbnail's pixels.

import type { ImageDecoder } from '../image/decoder.ts';
import { orientedSize, probeImage } from '../image/probe.ts';
import { resample } from '../image/resample.ts';
import type { Box } from './face-analyzer.ts';
import type { Thumbnailer } from './service.ts';

/** RGBA8 pixels (row-major, opaque) → JPEG bytes. */
export type JpegEncoder = (rgba: Uint8Array, width: number, height: number, quality: number) => Promise<Uint8Array>;

export const THUMBNAIL = {
  /** Longest side, pixels (the embedder's own input is 112x112). */
  size: 112,
  /** Added on every side, as a fraction of the box's longer side. */
  margin: 0.2,
  quality: 80,
} as const;

export function createThumbnailer(decoder: ImageDecoder, encode: JpegEncoder, o: { maxPixels: number }): Thumbnailer {
  return async (image: Uint8Array, box: Box): Promise<Uint8Array> => {
    const side0 = Math.max(box[2] - box[0], box[3] - box[1]) * (1 + 2 * THUMBNAIL.margin);
    // The decode may shrink the photo as long as the crop keeps twice the thumbnail's pixels.
    const size = orientedSize(probeImage(image));
    const k = Math.min(1, THUMBNAIL.size / side0);
    const img = await decoder.decode(image, { maxPixels: o.maxPixels, targetWidth: Math.ceil(size.width * k), targetHeight: Math.ceil(size.height * k) });
    const W = img.originalWidth,
      H = img.originalHeight;
    // A square around the box's centre, inside the photo (shrunk where the photo is smaller).
    const side = Math.max(1, Math.min(side0, W, H));
    const cx = (box[0] + box[2]) / 2,
      cy = (box[1] + box[3]) / 2;
    const x0 = Math.min(Math.max(0, cx - side / 2), W - side);
    const y0 = Math.min(Math.max(0, cy - side / 2), H - side);
    const sx = img.width / W,
      sy = img.height / H;
    const n = Math.max(1, Math.min(THUMBNAIL.size, Math.round(side * Math.min(sx, sy))));
    const out = new Float32Array(n * n * 3);
    resample(img, { count: n, start: x0 * sx, ratio: (side * sx) / n }, { count: n, start: y0 * sy, ratio: (side * sy) / n }, false, {
      out,
      base: [0, 1, 2],
      mul: [1, 1, 1],
      add: [0, 0, 0],
      rowStride: n * 3,
      pixStride: 3,
    });
    const rgba = new Uint8Array(n * n * 4);
    for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
      rgba[j] = clamp(out[i]);
      rgba[j + 1] = clamp(out[i + 1]);
      rgba[j + 2] = clamp(out[i + 2]);
      rgba[j + 3] = 255;
    }
    return encode(rgba, n, n, THUMBNAIL.quality);
  };
}

const clamp = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));
