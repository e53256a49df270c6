// Preprocessing: geometry of each resize mode and its inverse (mapBox), resampling quality
// (exactness where it must be exact, no aliasing on big reductions), channel order,
// normalisation, layouts and dtypes.

import { describe, expect, test } from 'bun:test';
import { ImagePreprocessing } from '../core/model-config.ts';
import { halfToFloat as fromHalfBits, floatToHalf as toHalfBits } from '../core/datatypes.ts';
import type { EdgeError } from '../core/errors.ts';
import { computeTransform, mapBox, mapPoint, parseBox } from './geometry.ts';
import { preprocess } from './preprocess.ts';
import { rawImage, type RawImage } from './raw-image.ts';
import { gradient } from './testing/images.ts';

const spec = (s: Record<string, unknown>) => ImagePreprocessing.parse(s);
const solid = (w: number, h: number, rgba: number[]) =>
  rawImage(
    w,
    h,
    new Uint8Array(w * h * 4).map((_, i) => rgba[i % 4]),
  );
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  expect(worst).toBeLessThanOrEqual(tol);
};

describe('geometry', () => {
  test('letterbox centres the content and mapBox undoes the padding', () => {
    const t = computeTransform('letterbox', 320, 320, 512, 256);
    expect(t.content).toEqual([0, 80, 320, 240]);
    expect(mapBox([0, 0.25, 1, 0.75], t)).toEqual([0, 0, 512, 256]);
    expect(mapBox([0.5, 0.5, 0.75, 0.625], t)).toEqual([256, 128, 384, 192]);
    // A box reaching into the padding stops at the image edge.
    expect(mapBox([0, 0, 0.5, 0.5], t)).toEqual([0, 0, 256, 128]);
  });
  test('letterbox on a tall image pads left and right', () => {
    const t = computeTransform('letterbox', 100, 100, 50, 200);
    expect(t.content).toEqual([37, 0, 62, 100]); // odd padding: the extra pixel goes right (as YOLO does)
    expect(mapPoint(0.5, 0.5, t)[1]).toBeCloseTo(100);
  });
  test('stretch maps normalised boxes by the original size', () => {
    const t = computeTransform('stretch', 320, 240, 1000, 872);
    expect(mapBox([0.1, 0.2, 0.5, 1], t)).toEqual([100, 174.4, 500, 872]);
  });
  test('center_crop covers the input and cuts the overflow equally', () => {
    const t = computeTransform('center_crop', 100, 100, 400, 200);
    expect([t.scaleX, t.offsetX, t.offsetY]).toEqual([2, 100, 0]);
    expect(mapBox([0, 0, 1, 1], t)).toEqual([100, 0, 300, 200]);
  });
  test('crop: the model input shows only the crop', () => {
    const t = computeTransform('stretch', 112, 112, 512, 512, [100, 50, 212, 274]);
    expect(mapBox([0, 0, 1, 1], t)).toEqual([100, 50, 212, 274]);
  });
  test('bad crops → INVALID_ARGUMENT', () => {
    expect(() => computeTransform('stretch', 10, 10, 100, 100, [5, 5, 5, 9])).toThrow(/x2 > x1/);
    expect(() => computeTransform('stretch', 10, 10, 100, 100, [200, 0, 300, 9])).toThrow(/outside/);
  });
  test('a crop mostly outside the image → INVALID_ARGUMENT quoting it; partly outside is fine', () => {
    const bad = (crop: [number, number, number, number]) => {
      try {
        computeTransform('stretch', 112, 112, 512, 512, crop);
      } catch (e) {
        return e as EdgeError;
      }
      throw new Error(`crop ${crop} was accepted`);
    };
    for (const crop of [
      [0, 0, 1e7, 1e7],
      [0, 0, 1e12, 1e12],
      [0, 0, 512, 1e9],
      [-1e308, 0, 1e308, 5],
    ] as const) {
      const e = bad([...crop]);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toContain(`crop [${crop}] lies almost entirely outside the 512x512 image`);
    }
    expect(bad([0, 0, 1e7, 1e7]).message).toContain('the image fills 2.6e-7% of it, at least 1% must be image');
    // The image is 4.9% of this one: a face cut by the border, boxed generously.
    expect(computeTransform('stretch', 112, 112, 512, 512, [-5000, 0, 5512, 512]).scaleX).toBeCloseTo(10512 / 112);
    expect(() => computeTransform('stretch', 112, 112, 512, 512, [-20, -20, 532, 532])).not.toThrow();
  });
  test('parseBox: four finite numbers, strictly; the error names the field and quotes the value', () => {
    expect(parseBox('0,0,10,10', 'box')).toEqual([0, 0, 10, 10]);
    expect(parseBox(' -1.5 , 2.5,3e2, 4 ', 'box')).toEqual([-1.5, 2.5, 300, 4]);
    expect(parseBox('.5,1.,2,3', 'box')).toEqual([0.5, 1, 2, 3]);
    const cases: Array<[unknown, string]> = [
      ['0,,5,5', 'value 2 is empty, got "0,,5,5"'],
      ['', 'empty, got ""'],
      [' ', 'empty, got " "'],
      ['0x10,0,5,5', 'value 1 is not a number'],
      ['Infinity,0,1,1', 'value 1 is not a number'],
      ['NaN,0,1,1', 'value 1 is not a number'],
      ['1,2,3', '3 values, got "1,2,3"'],
      ['1,2,3,4,5', '5 values'],
      ['1e400,0,1,2', 'value 1 is out of range'],
      ['5,0,1,2', 'x2 <= x1'],
      ['0,5,1,5', 'y2 <= y1'],
      [5, 'not a string, got 5'],
      [['0', '0', '1', '1'], 'not a string'],
    ];
    for (const [v, why] of cases) {
      expect(() => parseBox(v, "input 'image': parameter crop")).toThrow(
        `input 'image': parameter crop must be "x1,y1,x2,y2" (four numbers, x2 > x1, y2 > y1): ${why}`,
      );
    }
  });
});

describe('resampling', () => {
  test('same size is exact (and NHWC UINT8 round-trips the pixels)', () => {
    const img = rawImage(7, 5, gradient(7, 5), true);
    const r = preprocess(img, spec({ width: 7, height: 5, layout: 'NHWC', dtype: 'UINT8' }));
    expect(r.shape).toEqual([5, 7, 3]);
    expect(Array.from(r.data)).toEqual(Array.from(img.data).filter((_, i) => i % 4 !== 3));
  });
  test('halving averages 2x2 blocks', () => {
    const img = rawImage(
      4,
      2,
      new Uint8Array([10, 0, 0, 255, 30, 0, 0, 255, 0, 0, 0, 255, 100, 0, 0, 255, 50, 0, 0, 255, 70, 0, 0, 255, 200, 0, 0, 255, 100, 0, 0, 255]),
    );
    const r = preprocess(img, spec({ width: 2, height: 1 }));
    expect(Array.from(r.data.subarray(0, 2))).toEqual([40, 100]);
  });
  test('a 1-pixel checkerboard shrunk 8x is uniform grey, not aliased', () => {
    const n = 512;
    const d = new Uint8Array(n * n * 4);
    for (let i = 0; i < n * n; i++) d.fill(((i % n) + Math.floor(i / n)) % 2 ? 255 : 0, i * 4, i * 4 + 3), (d[i * 4 + 3] = 255);
    const r = preprocess(rawImage(n, n, d, true), spec({ width: 64, height: 64 }));
    for (const v of r.data) expect(Math.abs(v - 127.5)).toBeLessThan(2.5);
  });
  test('a crop at scale 1 copies the pixels', () => {
    const img = rawImage(64, 48, gradient(64, 48), true);
    const r = preprocess(img, spec({ width: 10, height: 8, layout: 'NHWC', dtype: 'UINT8' }), { crop: [20, 30, 30, 38] });
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 10; x++) {
        for (let c = 0; c < 3; c++) expect(r.data[(y * 10 + x) * 3 + c]).toBe(img.data[((30 + y) * 64 + 20 + x) * 4 + c]);
      }
  });
  test('a decoder-downscaled image gives what the full image gives', () => {
    const full = rawImage(400, 300, gradient(400, 300), true);
    const half: RawImage = { ...rawImage(200, 150, gradient(200, 150), true), originalWidth: 400, originalHeight: 300 };
    const s = spec({ width: 80, height: 60 });
    const a = preprocess(full, s);
    const b = preprocess(half, s);
    expect(b.transform).toEqual(a.transform);
    close(a.data, b.data, 1.5);
    const c = preprocess(full, s, { crop: [100, 100, 300, 250] });
    const e = preprocess(half, s, { crop: [100, 100, 300, 250] });
    close(c.data, e.data, 1.5);
  });
  test('alpha is composited over white', () => {
    const img = rawImage(2, 1, new Uint8Array([0, 0, 0, 0, 100, 200, 50, 128]));
    const r = preprocess(img, spec({ width: 2, height: 1, layout: 'NHWC' }), {});
    close(r.data, [255, 255, 255, (100 * 128) / 255 + 127, (200 * 128) / 255 + 127, (50 * 128) / 255 + 127], 1e-3);
    const g = preprocess(img, spec({ width: 2, height: 1, color: 'GRAY' }));
    close(g.data, [255, ((0.299 * 100 + 0.587 * 200 + 0.114 * 50) * 128) / 255 + 127], 1e-3);
  });
});

describe('letterbox padding', () => {
  test('pad_value fills outside the content, normalised like the pixels', () => {
    const img = solid(40, 20, [200, 100, 50, 255]);
    const r = preprocess(img, spec({ width: 10, height: 10, resize: 'letterbox', pad_value: 114, mean: 0, std: 255 }));
    expect(r.shape).toEqual([3, 10, 10]);
    const at = (c: number, y: number, x: number) => r.data[c * 100 + y * 10 + x];
    expect(at(0, 0, 5)).toBeCloseTo(114 / 255, 5); // padding rows 0-1 and 7-9
    expect(at(2, 9, 5)).toBeCloseTo(114 / 255, 5);
    expect(at(0, 5, 5)).toBeCloseTo(200 / 255, 5);
    expect(at(1, 3, 0)).toBeCloseTo(100 / 255, 5);
    expect(r.transform.content).toEqual([0, 2, 10, 7]);
  });
});

describe('channels, normalisation, layouts, dtypes', () => {
  const img = solid(4, 4, [100, 150, 200, 255]);
  test('(p - mean) / std per channel, in output channel order', () => {
    const r = preprocess(img, spec({ width: 2, height: 2, mean: [1, 2, 3], std: [2, 4, 8] }));
    close([r.data[0], r.data[4], r.data[8]], [(100 - 1) / 2, (150 - 2) / 4, (200 - 3) / 8], 1e-5);
    const bgr = preprocess(img, spec({ width: 2, height: 2, color: 'BGR', mean: [1, 2, 3], std: [2, 4, 8] }));
    close([bgr.data[0], bgr.data[4], bgr.data[8]], [(200 - 1) / 2, (150 - 2) / 4, (100 - 3) / 8], 1e-5);
  });
  test('the face models: (p - 127) / 128', () => {
    const r = preprocess(img, spec({ width: 2, height: 2, mean: 127, std: 128 }));
    close([r.data[0], r.data[4], r.data[8]], [-27 / 128, 23 / 128, 73 / 128], 1e-6);
  });
  test('p * scale + offset', () => {
    const r = preprocess(img, spec({ width: 1, height: 1, scale: 1 / 255, offset: -0.5 }));
    close(r.data, [100 / 255 - 0.5, 150 / 255 - 0.5, 200 / 255 - 0.5], 1e-6);
  });
  test('GRAY is BT.601 luma, one channel', () => {
    const r = preprocess(img, spec({ width: 3, height: 2, color: 'GRAY' }));
    expect(r.shape).toEqual([1, 2, 3]);
    close(r.data, Array(6).fill(0.299 * 100 + 0.587 * 150 + 0.114 * 200), 1e-3);
  });
  test('NHWC is the transpose of NCHW', () => {
    const g = rawImage(50, 40, gradient(50, 40), true);
    const a = preprocess(g, spec({ width: 23, height: 17, mean: [10, 20, 30], std: 3 }));
    const b = preprocess(g, spec({ width: 23, height: 17, mean: [10, 20, 30], std: 3, layout: 'NHWC' }));
    expect(b.shape).toEqual([17, 23, 3]);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 17; y++)
        for (let x = 0; x < 23; x++) {
          expect(b.data[(y * 23 + x) * 3 + c]).toBe(a.data[c * 17 * 23 + y * 23 + x]);
        }
  });
  test('UINT8 and INT8 round and saturate; FP16 holds the FP32 values', () => {
    const u = preprocess(img, spec({ width: 1, height: 1, dtype: 'UINT8', scale: 2 }));
    expect(u.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(u.data)).toEqual([200, 255, 255]);
    const i = preprocess(img, spec({ width: 1, height: 1, dtype: 'INT8', offset: -128 }));
    expect(Array.from(i.data)).toEqual([-28, 22, 72]);
    const h = preprocess(img, spec({ width: 2, height: 2, dtype: 'FP16', mean: 127, std: 128 }));
    expect(h.data).toBeInstanceOf(Uint16Array);
    expect(h.datatype).toBe('FP16');
    close(
      Array.from(h.data, fromHalfBits),
      [-27 / 128, 23 / 128, 73 / 128].flatMap((v) => [v, v, v, v]),
      1e-3,
    );
  });
  test('mean with the wrong number of values → INVALID_ARGUMENT', () => {
    expect(() => preprocess(img, spec({ width: 1, height: 1, mean: [1, 2] }))).toThrow(/mean has 2 values; RGB needs 1 or 3/);
  });
});

describe('fp16', () => {
  test('exact values, rounding, overflow, subnormals', () => {
    expect(toHalfBits(0)).toBe(0);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00); // rounds to Inf
    expect(toHalfBits(2 ** -24)).toBe(1); // smallest subnormal
    expect(toHalfBits(2 ** -26)).toBe(0);
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
  });
  test('agrees with Math.f16round where the runtime has it', () => {
    const f16round = (Math as unknown as { f16round?: (x: number) => number }).f16round;
    if (!f16round) return;
    for (let i = 0; i < 20000; i++) {
      const v = (Math.random() - 0.5) * 2 ** (Math.random() * 40 - 25);
      expect(fromHalfBits(toHalfBits(v))).toBe(f16round(Math.fround(v)));
    }
  });
});
