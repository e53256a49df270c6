// render=png's renderer: a photo over the pixel budget is drawn scaled down to it (boxes with
// it), upright for all eight EXIF orientations in JPEG, PNG and WebP, the same on the Bun.Image
// path and the native-decoder path; small photos keep their size; at most `concurrent` renders
// run and `queue` wait, the rest get UNAVAILABLE with a retry delay (503 + Retry-After).

import { describe, expect, test } from 'bun:test';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { isEdgeError } from '../core/errors.ts';
import type { BunImageClass } from '../image/decoders/bun-image.ts';
import { applyOrientation } from '../image/orient.ts';
import type { Orientation } from '../image/probe.ts';
import { withJpegExif, withPngExif, withWebpExif } from '../image/testing/exif-writer.ts';
import { encodeWithCanvas, fixture, gradient } from '../image/testing/images.ts';
import { createFaceRenderer, renderFaces } from './render-faces.ts';

const BunImage = (globalThis as { Bun?: { Image?: BunImageClass } }).Bun?.Image;

async function pixels(png: Uint8Array): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  c.getContext('2d').drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: c.getContext('2d').getImageData(0, 0, img.width, img.height).data };
}

function meanAbsDiff(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if ((i & 3) !== 3) s += Math.abs(a[i] - b[i]);
  return s / ((a.length / 4) * 3);
}

test('Bun.Image is here, so the Bun path is tested (not silently the fallback)', () => {
  expect(BunImage).toBeDefined();
});

describe.each([
  ['Bun.Image', BunImage],
  ['native decoder', undefined],
] as const)('%s path', (_, bunImage) => {
  const small = createFaceRenderer({ maxPixels: 6000 }, { BunImage: bunImage });

  test('a photo over the budget is drawn scaled down to it, boxes scaled with it', async () => {
    const r = createFaceRenderer({ maxPixels: 40_000 }, { BunImage: bunImage });
    const png = await encodeWithCanvas(new Uint8Array(800 * 400 * 4).fill(255), 800, 400, 'png');
    const out = await pixels(await r(png, [{ box: [100, 100, 300, 300], score: 0.9 }]));
    expect([out.width, out.height]).toEqual([282, 141]); // sqrt(40000 / 320000) = 0.354
    // The box's left edge now runs at x = 100 * 0.354 ≈ 35; the stroke is blue on white.
    const at = (x: number, y: number) => Array.from(out.data.subarray((y * out.width + x) * 4, (y * out.width + x) * 4 + 3));
    expect(at(35, 70)[2]).toBeGreaterThan(at(35, 70)[0] + 100);
    expect(at(70, 70)).toEqual([255, 255, 255]);
  });

  test('a photo within the budget keeps its size', async () => {
    const out = await pixels(await createFaceRenderer({}, { BunImage: bunImage })(fixture('astronaut.jpg'), []));
    expect([out.width, out.height]).toEqual([512, 512]);
  });

  // Upright 120x80, stored as each orientation needs: every render must look the same.
  const W = 120,
    H = 80;
  const upright = gradient(W, H);
  const inverse = (o: Orientation): Orientation => (o === 6 ? 8 : o === 8 ? 6 : o);
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    test(`${format}: all eight EXIF orientations render upright, scaled down`, async () => {
      const reference = await pixels(await small(await encodeWithCanvas(upright, W, H, format), []));
      expect([reference.width, reference.height]).toEqual([94, 63]);
      for (const o of [2, 3, 4, 5, 6, 7, 8] as Orientation[]) {
        const stored = applyOrientation({ width: W, height: H, data: upright }, inverse(o));
        const plain = await encodeWithCanvas(stored.data, stored.width, stored.height, format);
        const file =
          format === 'jpeg' ? withJpegExif(plain, o) : format === 'png' ? withPngExif(plain, o) : withWebpExif(plain, o, stored.width, stored.height);
        const out = await pixels(await small(file, []));
        expect([out.width, out.height]).toEqual([94, 63]);
        expect(meanAbsDiff(out.data, reference.data)).toBeLessThan(4);
      }
    });
  }
});

describe('bounded concurrency', () => {
  test('concurrent renders run, queue more wait, the rest are refused with a retry delay', async () => {
    const r = createFaceRenderer({ concurrent: 1, queue: 1 });
    const img = fixture('astronaut.jpg');
    const all = await Promise.allSettled([r(img, []), r(img, []), r(img, [])]);
    expect(all.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const e = (all[2] as PromiseRejectedResult).reason;
    expect(isEdgeError(e) && e.code).toBe('UNAVAILABLE');
    expect(e.retryAfter).toBe(1);
    expect(e.message).toContain('too many render=png requests at once (1 rendering, 1 waiting)');
    expect(r.stats()).toEqual({ running: 0, waiting: 0, refused: 1 });
    // The slots come back: the next one runs.
    expect((await r(img, [])).length).toBeGreaterThan(1000);
  });

  test('a failing render frees its slot', async () => {
    const r = createFaceRenderer({ concurrent: 1, queue: 0 });
    await expect(r(new Uint8Array([1, 2, 3]), [])).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA' });
    expect(r.stats().running).toBe(0);
    expect((await r(fixture('astronaut.jpg'), [])).length).toBeGreaterThan(1000);
  });

  test('limits are checked', () => {
    expect(() => createFaceRenderer({ maxPixels: 0 })).toThrow(/maxPixels/);
    expect(() => createFaceRenderer({ queue: -1 })).toThrow(/queue/);
    expect(typeof renderFaces.stats).toBe('function');
  });
});
