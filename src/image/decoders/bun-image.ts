// ImageDecoder on Bun.Image (Bun ≥ 1.4: statically linked libjpeg-turbo, libspng, libwebp,
// decoding on Bun's own thread pool), in front of another decoder. The Image class is passed in
// by the composition root, so this file needs no Bun types or globals.
//
// Used only where its pixels are the same as the native path's (checked by contract.test.ts):
// - a full-size decode equals Skia's (@napi-rs/canvas) byte for byte, at ~half the CPU;
// - a JPEG resized to exactly one of libjpeg's k/8 sizes is decoded DCT-scaled ("shrink on
//   load"), equal to turbo-jpeg.ts's output and ~2x faster (12 MP at 1/4: ~17 vs ~33 ms).
// Everything else (a downscale Skia would draw, a layout png-rgba.ts can't read back) goes to
// `fallback`, so a Bun server answers exactly as a Node or Deno one does.
//
// Raw pixels come back as an uncompressed PNG (Bun.Image has no raw output) read by
// png-rgba.ts. EXIF orientation is applied by orient.ts, not by Bun, as in the other decoders.
// libjpeg-turbo only warns about a JPEG cut short (it returns grey blocks): checkImage() refuses
// those before Bun sees them, as for every decoder.

import { EdgeError } from '../../core/errors.ts';
import { decodeScale, jpegDctSize, type DecodeOptions, type ImageDecoder } from '../decoder.ts';
import { applyOrientation } from '../orient.ts';
import { checkImage, DEFAULT_MAX_PIXELS, orientedSize, type ImageInfo } from '../probe.ts';
import type { RawImage } from '../raw-image.ts';
import { PngLayoutError, readRgbaPng } from './png-rgba.ts';

/** The part of Bun.Image used here (structural, so tests can pass Bun.Image itself). */
export interface BunImageClass {
  new (input: Uint8Array, options?: { maxPixels?: number; autoOrient?: boolean }): BunImagePipeline;
}
interface BunImagePipeline {
  resize(width: number, height: number, options?: { filter?: 'box'; fit?: 'fill' }): BunImagePipeline;
  png(options?: { compressionLevel?: number }): BunImagePipeline;
  bytes(): Promise<Uint8Array>;
}

export function withBunImage(fallback: ImageDecoder, Image: BunImageClass): ImageDecoder {
  return {
    name: `bun-image+${fallback.name}`,
    async decode(bytes: Uint8Array, opts?: DecodeOptions): Promise<RawImage> {
      const maxPixels = opts?.maxPixels ?? DEFAULT_MAX_PIXELS;
      const info = checkImage(bytes, { maxPixels });
      const upright = orientedSize(info);
      const size = info.format === 'jpeg' ? jpegDctSize(info, opts) : undefined; // as turbo-jpeg.ts decodes it
      if (!size && decodeScale(upright.width, upright.height, opts) < 1) return fallback.decode(bytes, opts); // Skia would draw it smaller
      let png: Uint8Array;
      try {
        let p = new Image(bytes, { maxPixels, autoOrient: false });
        if (size) p = p.resize(size.width, size.height, { filter: 'box', fit: 'fill' });
        png = await p.png({ compressionLevel: 0 }).bytes();
      } catch (e) {
        throw asEdgeError(e, info);
      }
      let px: Awaited<ReturnType<typeof readRgbaPng>>;
      try {
        px = await readRgbaPng(png);
      } catch (e) {
        if (e instanceof PngLayoutError) return fallback.decode(bytes, opts);
        throw e;
      }
      const want = size ?? { width: info.width, height: info.height };
      if (px.width !== want.width || px.height !== want.height) {
        throw new EdgeError('INTERNAL', `Bun.Image decoded ${px.width}x${px.height}, expected ${want.width}x${want.height}`);
      }
      const up = applyOrientation(px, info.orientation);
      return {
        width: up.width,
        height: up.height,
        data: up.data,
        originalWidth: upright.width,
        originalHeight: upright.height,
        ...(info.hasAlpha ? {} : { opaque: true }),
      };
    },
  };
}

function asEdgeError(e: unknown, info: ImageInfo): EdgeError {
  const code = (e as { code?: string })?.code;
  const msg = (e as Error)?.message ?? String(e);
  if (code === 'ERR_IMAGE_TOO_MANY_PIXELS') return new EdgeError('PAYLOAD_TOO_LARGE', `image too large: ${msg}`);
  if (code === 'ERR_IMAGE_UNKNOWN_FORMAT' || code === 'ERR_IMAGE_FORMAT_UNSUPPORTED') return new EdgeError('UNSUPPORTED_MEDIA', `unsupported image: ${msg}`);
  return new EdgeError('UNPROCESSABLE', `corrupt ${info.format.toUpperCase()}: ${msg}`);
}
