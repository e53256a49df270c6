// The image tensorizer for Bun, Deno and Node: the native @napi-rs/canvas decoder (Skia) with
// libjpeg-turbo's scaled decoding in front for large JPEGs, feeding the shared preprocessing.
// On Bun (and compiled binaries) Bun.Image goes in front of both: same pixels, about half the
// CPU per decode (decoders/bun-image.ts). Workers on Cloudflare use the @jsquash decoder.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ImageTensorizer } from '../engine/image-input.ts';
import type { ImageDecoder } from '../image/decoder.ts';
import { type BunImageClass, withBunImage } from '../image/decoders/bun-image.ts';
import { createCanvasDecoder } from '../image/decoders/canvas.ts';
import { withScaledJpeg } from '../image/decoders/turbo-jpeg.ts';
import { createImageTensorizer } from '../image/tensorizer.ts';

/** Skia, with scaled JPEG decoding when its WASM file can be read: Node's and Deno's decoder. */
export function skiaDecoder(wasm?: Uint8Array): ImageDecoder {
  const canvas = createCanvasDecoder();
  try {
    const bytes = wasm ?? readFileSync(fileURLToPath(import.meta.resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm')));
    return withScaledJpeg(canvas, new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
  } catch {
    return canvas; // e.g. a compiled binary without the file: full-size decodes, still correct
  }
}

/** The fastest native decoder this runtime has: Bun.Image in front of skiaDecoder() on Bun. */
export function nativeDecoder(wasm?: Uint8Array): ImageDecoder {
  const skia = skiaDecoder(wasm);
  const BunImage = (globalThis as { Bun?: { Image?: BunImageClass } }).Bun?.Image;
  return BunImage ? withBunImage(skia, BunImage) : skia;
}

export function nativeTensorizer(o: { maxPixels: number; jpegTurboWasm?: Uint8Array }): ImageTensorizer {
  return createImageTensorizer(nativeDecoder(o.jpegTurboWasm), { maxPixels: o.maxPixels, downscaleHint: true });
}
