// The decode → preprocess glue: the downscale hint is given only for whole-image resizes.

import { expect, test } from 'bun:test';
import { ImagePreprocessing } from '../core/model-config.ts';
import type { DecodeOptions, ImageDecoder } from './decoder.ts';
import { rawImage } from './raw-image.ts';
import { createImageTensorizer } from './tensorizer.ts';
import { gradient } from './testing/images.ts';

test('hint without a crop, none with a crop; reports the original size', async () => {
  const seen: DecodeOptions[] = [];
  const fake: ImageDecoder = { name: 'fake', decode: async (_b, o) => (seen.push(o ?? {}), rawImage(64, 48, gradient(64, 48), true)) };
  const t = createImageTensorizer(fake, { maxPixels: 1000 });
  const spec = ImagePreprocessing.parse({ width: 16, height: 12 });
  const a = await t.toTensor(new Uint8Array(1), spec);
  const b = await t.toTensor(new Uint8Array(1), spec, [0, 0, 32, 24]);
  expect(seen).toEqual([{ maxPixels: 1000, targetWidth: 16, targetHeight: 12, reducingGap: 2 }, { maxPixels: 1000 }]);
  expect([a.width, a.height, b.width, b.height]).toEqual([64, 48, 64, 48]);
  expect(a.shape).toEqual([3, 12, 16]);
  await t.toTensor(new Uint8Array(1), ImagePreprocessing.parse({ width: 16, height: 12, reducing_gap: 1 }));
  expect(seen[2].reducingGap).toBe(1);
});
