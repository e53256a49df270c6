// warpAffine's opaque-RGB fast path against its general loop: an opaque image and the same
// pixels marked translucent with every alpha 255 (composited over white with weight 0) must give
// the same values to the last bit, with and without rounding and a sampling rectangle, for a
// rotation with taps on and off the image edge, and for an image decoded at half size.

import { describe, expect, test } from 'bun:test';
import type { Sink } from './resample.ts';
import { rawImage } from './raw-image.ts';
import { type Affine, warpAffine } from './warp.ts';

function pixels(w: number, h: number, seed: number): Uint8Array {
  const d = new Uint8Array(w * h * 4);
  let s = seed;
  for (let i = 0; i < d.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    d[i] = i % 4 === 3 ? 255 : s >>> 24;
  }
  return d;
}

function sink(n: number): Sink {
  // NCHW planes, normalised as the embedder's input is.
  return {
    out: new Float32Array(3 * n * n),
    base: [0, n * n, 2 * n * n],
    mul: [1 / 128, 1 / 128, 1 / 128],
    add: [-127.5 / 128, -127.5 / 128, -127.5 / 128],
    rowStride: n,
    pixStride: 1,
  };
}

const rot = (deg: number, scale: number, tx: number, ty: number): Affine => {
  const c = Math.cos((deg * Math.PI) / 180) * scale,
    s = Math.sin((deg * Math.PI) / 180) * scale;
  return [c, -s, tx, s, c, ty];
};

describe('warpAffine: the opaque fast path computes what the general loop does', () => {
  const cases: [string, Affine, { round?: boolean; within?: [number, number, number, number] }][] = [
    ['rotation 17°, partly off the image', rot(17, 1.3, -20, 5), {}],
    ['rotation -25°, rounded to levels', rot(-25, 0.8, 30, 40), { round: true }],
    ['clamped to a rectangle, as the liveness crop samples', rot(0, 2.1, -10, -10), { within: [10, 12, 90, 77], round: true }],
  ];
  for (const [name, m, opts] of cases) {
    test(name, () => {
      const data = pixels(97, 83, 7);
      const opaque = rawImage(97, 83, data, true);
      const general = rawImage(97, 83, data.slice(), false);
      const a = sink(112),
        b = sink(112);
      warpAffine(opaque, m, 112, 112, false, a, opts);
      warpAffine(general, m, 112, 112, false, b, opts);
      expect(Buffer.from(a.out.buffer).equals(Buffer.from(b.out.buffer))).toBe(true);
      expect(a.out.some((v) => v !== a.out[0])).toBe(true); // not a blank output
    });
  }

  test('an image decoded at half its original size', () => {
    const data = pixels(60, 50, 11);
    const mk = (opaqueFlag: boolean) => ({ ...rawImage(60, 50, data.slice(), opaqueFlag), originalWidth: 120, originalHeight: 100 });
    const a = sink(64),
      b = sink(64);
    warpAffine(mk(true), rot(9, 1.5, 3, 4), 64, 64, false, a);
    warpAffine(mk(false), rot(9, 1.5, 3, 4), 64, 64, false, b);
    expect(Buffer.from(a.out.buffer).equals(Buffer.from(b.out.buffer))).toBe(true);
  });
});
