// The image tensorizer for Bun, Deno and Node: the native @napi-rs/canvas decoder (Skia) with
// libjpeg-turbo's scaled decoding in front for large JPEGs, feeding the shared preprocessing.
// Workers on Cloudflare use the @jsquash decoder instead.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ImageTensorizer } from '../engine/local-instance.ts';
import type { ImageDecoder } from '../image/decoder.ts';
import { createCanvasDecoder } from '../image/decoders/canvas.ts';
import { withScaledJpeg } from '../image/decoders/turbo-jpeg.ts';
import { createImageTensorizer } from '../image/tensorizer.ts';

/** The native decoder, with scaled JPEG decoding when its WASM file can be read. */
export function nativeDecoder(wasm?: Uint8Array): ImageDecoder {
  const canvas = createCanvasDecoder();
  try {
    const bytes = wasm ?? readFileSync(fileURLToPath(import.meta.resolve('@cwasm/jpeg-turbo/jpeg-turbo.wasm')));
    return withScaledJpeg(canvas, new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
  } catch {
    return canvas; // e.g. a compiled binary without the file: full-size decodes, still correct
  }
}

export function nativeTensorizer(o: { maxPixels: number; jpegTurboWasm?: Uint8Array }): ImageTensorizer {
  return createImageTensorizer(nativeDecoder(o.jpegTurboWasm), { maxPixels: o.maxPixels, downscaleHint: true });
}
