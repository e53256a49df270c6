// The shrink-on-load rule every decoder shares: how small a hinted decode may be (decodeScale)
// and which libjpeg k/8 size a JPEG is decoded at (jpegDctSize), for the default reducing gap
// of 2 and the faster 1.

import { expect, test } from 'bun:test';
import { ImagePreprocessing } from '../core/model-config.ts';
import { decodeScale, jpegDctSize } from './decoder.ts';
import type { Orientation } from './probe.ts';

const jpeg = (width: number, height: number, orientation: Orientation = 1) => ({ width, height, orientation });
const target = { targetWidth: 320, targetHeight: 240 };

test('no hint, or an image already small: full size', () => {
  expect(decodeScale(4000, 3000, undefined)).toBe(1);
  expect(decodeScale(512, 512, target)).toBe(1);
  expect(jpegDctSize(jpeg(512, 512), target)).toBeUndefined();
});

test('default gap 2: a 12 MP photo keeps 2x the 320x240 input, decoded at 1/4', () => {
  expect(decodeScale(4000, 3000, target)).toBeCloseTo(0.16);
  expect(jpegDctSize(jpeg(4000, 3000), target)).toEqual({ width: 1000, height: 750 });
  expect(jpegDctSize(jpeg(4000, 3000), { ...target, reducingGap: 2 })).toEqual({ width: 1000, height: 750 });
});

test('gap 1: the smallest k/8 size that still covers the input (1/8 for 12 MP, never below the input)', () => {
  expect(jpegDctSize(jpeg(4000, 3000), { ...target, reducingGap: 1 })).toEqual({ width: 500, height: 375 });
  expect(jpegDctSize(jpeg(1280, 960), { ...target, reducingGap: 1 })).toEqual({ width: 320, height: 240 });
  expect(jpegDctSize(jpeg(1280, 960), target)).toEqual({ width: 640, height: 480 });
  // Rotated by EXIF: the stored size is scaled, the upright one checked against the target.
  expect(jpegDctSize(jpeg(3000, 4000, 6), { ...target, reducingGap: 1 })).toEqual({ width: 375, height: 500 });
  // Gaps below 1 would shrink under the model input: treated as 1.
  expect(jpegDctSize(jpeg(4000, 3000), { ...target, reducingGap: 0.5 })).toEqual({ width: 500, height: 375 });
});

test('config: image.reducing_gap defaults to 2, accepts 1-8', () => {
  expect(ImagePreprocessing.parse({ width: 8, height: 8 }).reducing_gap).toBe(2);
  expect(ImagePreprocessing.parse({ width: 8, height: 8, reducing_gap: 1.5 }).reducing_gap).toBe(1.5);
  expect(ImagePreprocessing.safeParse({ width: 8, height: 8, reducing_gap: 0.5 }).success).toBe(false);
});
