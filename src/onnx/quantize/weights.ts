// Weight and bias quantization, and the activation scale/zero-point rule.
// - Weights: symmetric int8 per output channel, q = round(w / s), s = max|w_c| / 127, zero
//   point 0 (what QLinearConv/QGemm want for int8 weights; -128 is never used, so the range is
//   symmetric).
// - Bias: int32 with scale s_x * s_w[c] and zero point 0, the layout ORT's fused kernels add
//   to the int32 accumulator directly.
// - Activations: asymmetric uint8 over a range that always contains 0 (so 0, e.g. padding, is
//   exact). The scale is rounded up to a grid of 1/16 of an octave: float noise in calibration
//   (another CPU, another ORT build) then moves a scale only when it sits on a grid step, and
//   the derived model's bytes stay the same. The grid is computed with exact operations
//   (powers of two, multiples of 1/16), not Math.log2, whose last bit differs between engines.

export const WEIGHT_MAX = 127;
/**
 * With `reduce_range` (ORT's name for it) weights use 7 bits, [-63, 63]: x86 CPUs without VNNI
 * multiply uint8 x int8 with VPMADDUBSW, which adds pairs of products into int16 and saturates
 * above 32767 (2 x 255 x 127 = 64770); 2 x 255 x 63 = 32130 cannot.
 */
export const REDUCED_WEIGHT_MAX = 63;

export interface ChannelQuant {
  q: Int8Array;
  /** float32 scale per channel. */
  scale: Float32Array;
  /** Largest |w - dequantized| over the tensor, in weight units (for reports). */
  maxError: number;
}

/** `w` has `channels` equal blocks along `axis` of `dims`. */
/**
 * `minScale` (per channel) raises a channel's scale where its bias would not fit int32 at
 * s_x * s_w (a nearly dead channel with a bias): the bias keeps its value, the few tiny
 * weights lose precision nobody sees.
 */
export function quantizeWeights(w: Float32Array, dims: number[], axis: number, qmax = WEIGHT_MAX, minScale?: Float64Array): ChannelQuant {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const max = new Float64Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) max[c] = Math.max(max[c], Math.abs(w[base + i]));
    }
  }
  // An all-zero channel gets scale 1 (any scale represents zeros exactly; 0 is not allowed).
  const scale = Float32Array.from(max, (m, c) => Math.max(m > 0 ? m / qmax : 1, minScale?.[c] ?? 0));
  const q = new Int8Array(w.length);
  let maxError = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      const s = scale[c];
      for (let i = 0; i < inner; i++) {
        const v = Math.max(-qmax, Math.min(qmax, roundHalfEven(w[base + i] / s)));
        q[base + i] = v;
        maxError = Math.max(maxError, Math.abs(w[base + i] - v * s));
      }
    }
  }
  return { q, scale, maxError };
}

/** Bias magnitude ≤ this many steps: int32 with a margin for the accumulator it is added to. */
export const BIAS_MAX = 2 ** 30;

/** Per channel, the least weight scale at which bias / (s_x * s_w) fits in BIAS_MAX. */
export function minWeightScales(b: Float32Array, inputScale: number): Float64Array {
  return Float64Array.from(b, (v) => Math.abs(v) / (Math.fround(inputScale) * BIAS_MAX));
}

export interface BiasQuant {
  q: Int32Array;
  scale: Float32Array;
  /** Channels whose value did not fit int32 and was clamped (a report line, not silence). */
  clamped: number;
}

export function quantizeBias(b: Float32Array, inputScale: number, weightScale: Float32Array): BiasQuant {
  const scale = Float32Array.from(weightScale, (s) => Math.fround(Math.fround(inputScale) * s));
  const q = new Int32Array(b.length);
  let clamped = 0;
  const c = weightScale.length === 1 ? () => 0 : (i: number) => i;
  for (let i = 0; i < b.length; i++) {
    const v = roundHalfEven(b[i] / scale[c(i)]);
    const k = Math.max(-2147483648, Math.min(2147483647, v));
    if (k !== v) clamped++;
    q[i] = k;
  }
  return { q, scale, clamped };
}

export interface ActivationQuant {
  scale: number;
  zeroPoint: number;
  /** The range the uint8 codes cover: [(0 - zp) * scale, (255 - zp) * scale]. */
  lo: number;
  hi: number;
}

/** uint8 scale and zero point for a calibrated range [lo, hi]. */
export function activationParams(lo: number, hi: number): ActivationQuant {
  const l = Math.min(lo, 0);
  const h = Math.max(hi, 0);
  const span = h - l;
  const scale = span > 0 ? Math.fround(snapUp(span / 255)) : 1;
  const zeroPoint = Math.max(0, Math.min(255, roundHalfEven(-l / scale)));
  return { scale, zeroPoint, lo: -zeroPoint * scale, hi: (255 - zeroPoint) * scale };
}

/** The smallest value m * 2^e ≥ x with m on the grid {1, 1 + 1/16, …, 2} (exact arithmetic). */
export function snapUp(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`snapUp: ${x} is not a positive finite number`);
  let p = 1;
  while (p > x) p /= 2;
  while (p * 2 <= x) p *= 2;
  // x / p is in [1, 2): exact, since p is a power of two.
  const m = Math.ceil((x / p) * 16) / 16;
  return m * p;
}

/** Round half to even, as ONNX QuantizeLinear does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
