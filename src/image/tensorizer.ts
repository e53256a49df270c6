// Encoded image → model input tensor in one call: decode (with the downscale hint when the
// whole image is resized, never when a crop is taken) then preprocess. The shape matches
// engine/image-input.ts's ImageTensorizer structurally, so a composition root only picks
// the decoder: createImageTensorizer(createCanvasDecoder(), { maxPixels }).

import type { ImagePreprocessing } from '../core/model-config.ts';
import type { ImageDecoder } from './decoder.ts';
import type { Box } from './geometry.ts';
import { preprocess, type Preprocessed } from './preprocess.ts';

export interface TensorizerOptions {
  maxPixels?: number;
  /** Let the decoder shrink large images toward the model input (default true). */
  downscaleHint?: boolean;
}

export interface ImageTensor extends Preprocessed {
  /** Upright original size (same as originalWidth/Height), as the engine reports it. */
  width: number;
  height: number;
}

export function createImageTensorizer(decoder: ImageDecoder, o: TensorizerOptions = {}) {
  return {
    /** The decoder itself, for pipelines that decode once and crop many times (the face job). */
    decoder,
    async toTensor(bytes: Uint8Array, spec: ImagePreprocessing, crop?: Box): Promise<ImageTensor> {
      // A crop (a face for the embedder) needs the pixels at full resolution.
      const hint = o.downscaleHint !== false && !crop ? { targetWidth: spec.width, targetHeight: spec.height, reducingGap: spec.reducing_gap } : {};
      const img = await decoder.decode(bytes, { maxPixels: o.maxPixels, ...hint });
      const t = preprocess(img, spec, crop ? { crop } : undefined);
      return { ...t, width: t.originalWidth, height: t.originalHeight };
    },
  };
}
