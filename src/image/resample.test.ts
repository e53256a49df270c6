// The resampler's work is bounded by the output and the image, never by the crop: taps for a
// crop 1e12 pixels wide number about what a crop the size of the image needs, carry the same
// weights as the edge-repeating expansion they replace, and resample() on such a crop returns
// the edge pixels in the JS and the SIMD kernels alike.

import { describe, expect, test } from 'bun:test';
import { ImagePreprocessing } from '../core/model-config.ts';
import { computeTransform } from './geometry.ts';
import { axisMaps, preprocess } from './preprocess.ts';
import { rawImage } from './raw-image.ts';
import { type AxisMap, axisTaps, resample, resampleOptions, type Sink } from './resample.ts';
import { gradient } from './testing/images.ts';

/** Every source pixel a box filter over [left, right) touches, the edge repeated beyond the
 *  image: one weight per (clamped) index. The expansion the old taps did, one tap per pixel. */
function denseWeights(a: AxisMap, size: number, i: number): Float64Array {
  const w = new Float64Array(size);
  const left = a.start + i * a.ratio;
  const right = left + a.ratio;
  for (let j = Math.floor(left); j < right; j++) w[Math.min(size - 1, Math.max(0, j))] += (Math.min(right, j + 1) - Math.max(left, j)) / a.ratio;
  return w;
}

function tapWeights(a: AxisMap, size: number, i: number): Float64Array {
  const t = axisTaps(a, size);
  const w = new Float64Array(size);
  for (let q = t.first[i]; q < t.first[i + 1]; q++) w[t.idx[q]] += t.w[q];
  return w;
}

/** What the resampler allocates and loops over for a crop: taps on both axes. */
function tapCount(width: number, height: number, crop: [number, number, number, number]): number {
  const img = rawImage(width, height, new Uint8Array(width * height * 4), true);
  const [x, y] = axisMaps(img, computeTransform('stretch', 112, 112, width, height, crop));
  return axisTaps(x, width).idx.length + axisTaps(y, height).idx.length;
}

describe('taps are bounded by the output and the image, whatever the crop', () => {
  test('a crop of 1e7 or 1e12 pixels has no more taps than the image itself needs', () => {
    const normal = axisTaps({ count: 112, start: 0, ratio: 512 / 112 }, 512);
    for (const extent of [1e5, 1e7, 1e12, 1e300]) {
      const t = axisTaps({ count: 112, start: 0, ratio: extent / 112 }, 512);
      expect(t.idx.length).toBeLessThanOrEqual(512 + 2 * 112);
      expect(t.idx.length).toBeLessThanOrEqual(normal.idx.length * 2);
      expect(t.k).toBeLessThanOrEqual(512);
      expect(t.lo).toBe(0);
      expect(t.hi).toBe(511);
    }
    // Far off to one side: every output pixel is the edge pixel, one tap each.
    const off = axisTaps({ count: 112, start: -1e13, ratio: 1e10 }, 512);
    expect(off.idx.length).toBe(112);
    expect(Array.from(off.w)).toEqual(Array(112).fill(1));
  });

  test('through preprocessing: a crop 9x the image per axis costs about what a normal one does', () => {
    const normal = tapCount(512, 512, [100, 100, 212, 212]);
    const whole = tapCount(512, 512, [0, 0, 512, 512]);
    const huge = tapCount(512, 512, [-2048, -2048, 2560, 2560]); // the image is 1.2% of it
    expect(normal).toBeLessThanOrEqual(whole);
    expect(huge).toBeLessThanOrEqual(whole * 2);
    expect(huge).toBeLessThanOrEqual(2 * (512 + 3 * 112));
    // A 50 MP image 50,000 pixels wide: the taps never exceed the image plus the output.
    expect(tapCount(50_000, 1000, [-100_000, 0, 150_000, 1000])).toBeLessThanOrEqual(50_000 + 1000 + 4 * 112);
  });

  test('the clipped taps carry the edge-repeating weights (to float rounding), summing to 1', () => {
    const maps: Array<[AxisMap, number]> = [
      [{ count: 112, start: -300, ratio: 1000 / 112 }, 400],
      [{ count: 50, start: -5, ratio: 3.1 }, 100],
      [{ count: 112, start: -2048, ratio: 4608 / 112 }, 512],
      [{ count: 7, start: 3, ratio: 40 }, 9],
      [{ count: 3, start: -10, ratio: 20 }, 1],
    ];
    for (const [a, size] of maps) {
      const t = axisTaps(a, size);
      for (let i = 0; i < a.count; i++) {
        const want = denseWeights(a, size, i);
        const got = tapWeights(a, size, i);
        let sum = 0;
        for (let j = 0; j < size; j++) {
          expect(Math.abs(got[j] - want[j])).toBeLessThan(1e-6);
          sum += got[j];
        }
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
        for (let q = t.first[i]; q < t.first[i + 1]; q++) expect(t.idx[q] >= 0 && t.idx[q] < size).toBe(true);
      }
    }
  });

  test('resample() over a 1e12-pixel crop returns the edge pixels, JS and SIMD alike', () => {
    const img = rawImage(64, 48, gradient(64, 48), true);
    const run = (wasm: boolean) => {
      resampleOptions.wasm = wasm;
      const sink: Sink = { out: new Float32Array(3 * 32 * 32), base: [0, 1024, 2048], mul: [1, 1, 1], add: [0, 0, 0], rowStride: 32, pixStride: 1 };
      resample(img, { count: 32, start: 0, ratio: 1e12 / 32 }, { count: 32, start: 0, ratio: 1e12 / 32 }, false, sink);
      resampleOptions.wasm = true;
      return sink.out;
    };
    const corner = (c: number) => img.data[(47 * 64 + 63) * 4 + c]; // the bottom-right pixel repeats
    for (const out of [run(true), run(false)]) {
      for (let c = 0; c < 3; c++) {
        for (let p = 1; p < 1024; p++) expect(Math.abs(out[c * 1024 + p] - corner(c))).toBeLessThan(1e-3);
        expect(Math.abs(out[c * 1024] - corner(c))).toBeLessThan(0.01); // pixel 0 holds the image, 1e-17 of it
      }
    }
  });

  test('a crop mostly outside the image matches the uniform (edge-expanding) kernels', () => {
    // 1000x900 on 400x300: over the uniform taps' budget, so clipped taps; compared with the
    // dense reference through a full preprocess, colour and gray, opaque and not.
    for (const opaque of [true, false]) {
      const g = gradient(400, 300);
      if (!opaque) for (let i = 3; i < g.length; i += 4) g[i] = (i * 13) & 255;
      const img = rawImage(400, 300, g, opaque);
      for (const color of ['RGB', 'GRAY'] as const) {
        const s = ImagePreprocessing.parse({ width: 112, height: 112, color });
        const r = preprocess(img, s, { crop: [-300, -300, 700, 600] }).data as Float32Array;
        const [x, y] = axisMaps(img, computeTransform('stretch', 112, 112, 400, 300, [-300, -300, 700, 600]));
        const C = color === 'GRAY' ? 1 : 3;
        let worst = 0;
        for (let oy = 0; oy < 112; oy += 7) {
          const wy = denseWeights(y, 300, oy);
          for (let ox = 0; ox < 112; ox += 5) {
            const wx = denseWeights(x, 400, ox);
            const acc = [0, 0, 0];
            for (let sy = 0; sy < 300; sy++) {
              if (!wy[sy]) continue;
              for (let sx = 0; sx < 400; sx++) {
                if (!wx[sx]) continue;
                const i = (sy * 400 + sx) * 4;
                const a = g[i + 3] / 255;
                const px = [0, 1, 2].map((c) => g[i + c] * a + 255 * (1 - a));
                const v = C === 1 ? [0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]] : px;
                for (let c = 0; c < C; c++) acc[c] += wx[sx] * wy[sy] * v[c];
              }
            }
            for (let c = 0; c < C; c++) worst = Math.max(worst, Math.abs(r[c * 112 * 112 + oy * 112 + ox] - acc[c]));
          }
        }
        expect(worst).toBeLessThan(1e-3);
      }
    }
  });
});
