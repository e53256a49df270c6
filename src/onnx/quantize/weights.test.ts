// Quantization arithmetic: the scale grid is exact and only moves at grid steps, rounding is
// ONNX's half-to-even, weights are symmetric per channel within half a step, 7-bit weights
// stay under the VPMADDUBSW saturation bound, and a bias that would overflow int32 raises its
// channel's weight scale instead of being clamped.

import { describe, expect, test } from 'bun:test';
import { activationParams, BIAS_MAX, minWeightScales, quantizeBias, quantizeWeights, REDUCED_WEIGHT_MAX, roundHalfEven, snapUp } from './weights.ts';

describe('snapUp', () => {
  test('lands on m * 2^e with m a multiple of 1/16, never below the input', () => {
    for (const x of [1e-6, 0.0039, 0.01, 0.5, 1, 1.03, 3.7, 255, 12345.6]) {
      const s = snapUp(x);
      expect(s).toBeGreaterThanOrEqual(x);
      let p = 1;
      while (p > s) p /= 2;
      while (p * 2 <= s) p *= 2;
      expect(((s / p) * 16) % 1).toBe(0);
      expect(s / x).toBeLessThanOrEqual(1 + 1 / 16);
    }
  });
  test('a change in the last bits does not move the scale (the sha256 of a derived model rests on it)', () => {
    const x = 0.0123456;
    expect(snapUp(x * (1 + 1e-7))).toBe(snapUp(x));
    expect(snapUp(x * (1 - 1e-7))).toBe(snapUp(x));
  });
  test('refuses non-positive and non-finite inputs', () => {
    expect(() => snapUp(0)).toThrow(/positive/);
    expect(() => snapUp(Number.NaN)).toThrow(/positive/);
    expect(() => snapUp(Infinity)).toThrow(/positive/);
  });
});

test('roundHalfEven', () => {
  expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3, -3]);
});

describe('quantizeWeights', () => {
  const dims = [3, 2, 2, 1];
  const w = Float32Array.from([0.5, -1, 0.25, 0.75, 0, 0, 0, 0, 10, -20, 5, 2.5]);
  test('per output channel, symmetric, zero channels exact', () => {
    const q = quantizeWeights(w, dims, 0);
    expect(Array.from(q.scale)).toEqual([Math.fround(1 / 127), 1, Math.fround(20 / 127)]);
    expect(Array.from(q.q.subarray(0, 4))).toEqual([64, -127, 32, 95]);
    expect(Array.from(q.q.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expect(Math.min(...q.q)).toBeGreaterThanOrEqual(-127);
    expect(q.maxError).toBeLessThanOrEqual(20 / 127 / 2 + 1e-6);
  });
  test('axis 1 (MatMul / Gemm B[K, N]) scales columns', () => {
    const q = quantizeWeights(Float32Array.from([1, 2, -3, 4]), [2, 2], 1);
    expect(Array.from(q.scale)).toEqual([Math.fround(3 / 127), Math.fround(4 / 127)]);
  });
  test('7-bit weights: |q| ≤ 63, so 2 x 255 x |q| fits int16', () => {
    const q = quantizeWeights(w, dims, 0, REDUCED_WEIGHT_MAX);
    expect(Math.max(...Array.from(q.q, Math.abs))).toBe(63);
    expect(2 * 255 * 63).toBeLessThan(32768);
  });
  test('a bias too large for int32 raises the channel scale instead of being clamped', () => {
    const weights = Float32Array.from([1e-9, -1e-9, 0.5, 0.25]);
    const bias = Float32Array.from([3, 0.1]);
    const xs = 0.01;
    const naive = quantizeBias(bias, xs, quantizeWeights(weights, [2, 2], 0).scale);
    expect(naive.clamped).toBe(1);
    const q = quantizeWeights(weights, [2, 2], 0, 127, minWeightScales(bias, xs));
    const b = quantizeBias(bias, xs, q.scale);
    expect(b.clamped).toBe(0);
    expect(Math.abs(b.q[0])).toBeLessThanOrEqual(BIAS_MAX);
    expect(b.q[0] * b.scale[0]).toBeCloseTo(3, 5);
  });
});

test('activationParams: the range holds zero exactly and covers the calibrated one', () => {
  for (const [lo, hi] of [
    [-1.3, 2.7],
    [0, 6],
    [0.5, 2],
    [-3, -1],
  ] as const) {
    const p = activationParams(lo, hi);
    expect(p.zeroPoint).toBeGreaterThanOrEqual(0);
    expect(p.zeroPoint).toBeLessThanOrEqual(255);
    expect(p.lo).toBeLessThanOrEqual(Math.min(lo, 0) + p.scale / 2);
    expect(p.hi).toBeGreaterThanOrEqual(Math.max(hi, 0) - p.scale / 2);
  }
  expect(activationParams(0, 6).zeroPoint).toBe(0);
});
