// eyeCrops against lib/fr_eye.js getEyeBBox worked by hand on landmarks measured on
// astronaut.jpg, and at the image edges where the JS clamps the corner and shrinks the side.

import { describe, expect, test } from 'bun:test';
import { eyeCrops } from './eyes.ts';

/** 68 points with the eyes (36-47) set, everything else at (0, 0). */
function landmarks(eyes: Array<[number, number]>): Float32Array {
  const l = new Float32Array(136);
  eyes.forEach(([x, y], k) => {
    l[2 * (36 + k)] = x;
    l[2 * (36 + k) + 1] = y;
  });
  return l;
}

// The 68-point model's eye points on astronaut.jpg (face job, 512x512).
const ASTRONAUT = landmarks([
  [197, 100.2],
  [202.3, 97.4],
  [208.5, 98],
  [213.4, 103.7],
  [207.6, 103.7],
  [201.6, 103],
  [236.7, 104.5],
  [242.1, 99.3],
  [248.3, 99.3],
  [253.3, 102.3],
  [248.6, 104.8],
  [242.6, 105],
]);

describe('eyeCrops (fr_eye.js getEyeBBox)', () => {
  test('square of 1.6x the eye width about the lid points, in whole pixels', () => {
    // Image-left eye: landmarks truncated (202, 97), (208, 98), (207, 103), (201, 103) → centre
    // (204.5, 100.25) → (204, 100); side trunc((213 - 197) * 1.6) = 25; corner trunc(204 - 12.5)
    // = 191, trunc(100 - 12.5) = 87. Other eye: centre (trunc(245.25), trunc(101.75)) = (245, 101),
    // side trunc((253 - 236) * 1.6) = 27, corner (231, 87).
    expect(eyeCrops(ASTRONAUT, 512, 512)).toEqual([
      [191, 87, 216, 112],
      [231, 87, 258, 114],
    ]);
  });

  test("the padding is the config's", () => {
    const [l] = eyeCrops(ASTRONAUT, 512, 512, 1);
    expect(l).toEqual([196, 92, 212, 108]); // side 16 = 213 - 197
  });

  test('at the image edges: corner clamped to 0, side shrunk to end inside (as the JS)', () => {
    // Eyes near the top-left: corner would be negative.
    const nearOrigin = landmarks([
      [0, 4],
      [3, 2],
      [6, 2],
      [9, 4],
      [6, 6],
      [3, 6],
      [20, 4],
      [23, 2],
      [26, 2],
      [29, 4],
      [26, 6],
      [23, 6],
    ]);
    const [l, r] = eyeCrops(nearOrigin, 30, 30);
    expect(l).toEqual([0, 0, 14, 14]); // centre (4, 4), side trunc(9 * 1.6) = 14, corner trunc(-3) → 0
    // Centre (24, 4), side 14, corner x 17 → 17 + 14 ≥ 30, so the side becomes 30 - 17 - 1 = 12.
    expect(r).toEqual([17, 0, 29, 12]);
  });

  test('a degenerate eye still gives a 1-pixel crop inside the image', () => {
    const flat = landmarks(Array.from({ length: 12 }, () => [5, 5] as [number, number]));
    for (const b of eyeCrops(flat, 10, 10)) {
      expect(b[2] - b[0]).toBe(1);
      expect(b[3] - b[1]).toBe(1);
      expect(b[0]).toBeGreaterThanOrEqual(0);
      expect(b[2]).toBeLessThanOrEqual(10);
    }
  });

  test('needs 68 points', () => {
    expect(() => eyeCrops(new Float32Array(10), 10, 10)).toThrow(/68 landmarks/);
  });
});
