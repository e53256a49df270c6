// Scaled JPEG decoding: same tensor (within a few levels) as a full-resolution decode, EXIF
// orientation applied, original size reported, corrupt data still answered with an EdgeError,
// and the codec still working after a failure.

import { describe, expect, test } from 'bun:test';
import { ImagePreprocessing } from '../../core/model-config.ts';
import { skiaDecoder } from '../../runtime/native-image.ts';
import { preprocess } from '../preprocess.ts';
import { withJpegExif } from '../testing/exif-writer.ts';
import { bigJpeg, fixture } from '../testing/images.ts';
import { createCanvasDecoder } from './canvas.ts';

const scaled = skiaDecoder();
const full = createCanvasDecoder();
const spec = ImagePreprocessing.parse({ width: 320, height: 240 });
const target = { targetWidth: 320, targetHeight: 240 };

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

describe('turbojpeg scaled decode', () => {
  test('a 12 MP JPEG is decoded at 1/4 scale and gives the same model tensor', async () => {
    const jpeg = await bigJpeg(4000, 3000);
    expect(scaled.name).toBe('canvas+turbojpeg');
    const small = await scaled.decode(jpeg, target);
    expect([small.width, small.height, small.originalWidth, small.originalHeight]).toEqual([1000, 750, 4000, 3000]);
    const ref = await full.decode(jpeg);
    expect(meanAbsDiff(preprocess(small, spec).data as Float32Array, preprocess(ref, spec).data as Float32Array)).toBeLessThan(2);
  });

  test('EXIF orientation is applied to the scaled pixels', async () => {
    const jpeg = withJpegExif(await bigJpeg(1600, 1200), 6);
    const img = await scaled.decode(jpeg, target);
    expect([img.originalWidth, img.originalHeight]).toEqual([1200, 1600]);
    expect(img.height).toBeGreaterThan(img.width);
    const ref = await full.decode(jpeg);
    expect(meanAbsDiff(preprocess(img, spec).data as Float32Array, preprocess(ref, spec).data as Float32Array)).toBeLessThan(2);
  });

  test('no hint, or a small photo: the full decoder answers', async () => {
    const a = await scaled.decode(fixture('astronaut.jpg'), target);
    expect([a.width, a.height]).toEqual([512, 512]);
  });

  test('corrupt data → an EdgeError, and the codec works afterwards', async () => {
    const jpeg = await bigJpeg(2000, 1500);
    const broken = jpeg.slice();
    for (let i = 2000; i < broken.length - 2; i += 97) broken[i] = 0xff;
    const r = await scaled.decode(broken, target).then(
      () => 'decoded',
      (e) => e.name,
    );
    expect(['decoded', 'EdgeError']).toContain(r);
    const ok = await scaled.decode(jpeg, target);
    expect(ok.originalWidth).toBe(2000);
  });
});
