// The image tensorizer for Bun, Deno and Node: the native @napi-rs/canvas decoder (Skia) feeding
// the shared preprocessing. Workers on Cloudflare use the @jsquash decoder instead.

import type { ImageTensorizer } from '../engine/local-instance.ts';
import { createCanvasDecoder } from '../image/decoders/canvas.ts';
import { createImageTensorizer } from '../image/tensorizer.ts';

export function nativeTensorizer(o: { maxPixels: number }): ImageTensorizer {
  return createImageTensorizer(createCanvasDecoder(), { maxPixels: o.maxPixels, downscaleHint: true });
}
