// EXIF orientation on raw pixels, checked by hand on a 3x2 image, independently of any codec.

import { expect, test } from 'bun:test';
import { applyOrientation, inverseOrientation } from './orient.ts';
import type { Orientation } from './probe.ts';

// Pixel values 1..6 in the red byte:  1 2 3
//                                     4 5 6
const img = { width: 3, height: 2, data: new Uint8Array([1, 2, 3, 4, 5, 6].flatMap((v) => [v, 0, 0, 255])) };
const red = (p: { data: Uint8Array }) => Array.from(p.data.filter((_, i) => i % 4 === 0));

test('each orientation, as the EXIF spec draws it', () => {
  const want: Record<Orientation, [number, number, number[]]> = {
    1: [3, 2, [1, 2, 3, 4, 5, 6]],
    2: [3, 2, [3, 2, 1, 6, 5, 4]],
    3: [3, 2, [6, 5, 4, 3, 2, 1]],
    4: [3, 2, [4, 5, 6, 1, 2, 3]],
    5: [2, 3, [1, 4, 2, 5, 3, 6]],
    6: [2, 3, [4, 1, 5, 2, 6, 3]],
    7: [2, 3, [6, 3, 5, 2, 4, 1]],
    8: [2, 3, [3, 6, 2, 5, 1, 4]],
  };
  for (let o = 1 as Orientation; o <= 8; o++) {
    const r = applyOrientation(img, o);
    expect([r.width, r.height, red(r)]).toEqual(want[o]);
  }
});

test('inverseOrientation undoes each one', () => {
  for (let o = 1 as Orientation; o <= 8; o++) {
    expect(red(applyOrientation(applyOrientation(img, o), inverseOrientation(o)))).toEqual([1, 2, 3, 4, 5, 6]);
  }
});

test('an unaligned buffer works (copied for the 32-bit view)', () => {
  const buf = new Uint8Array(img.data.length + 1);
  buf.set(img.data, 1);
  expect(red(applyOrientation({ ...img, data: buf.subarray(1) }, 3))).toEqual([6, 5, 4, 3, 2, 1]);
});
