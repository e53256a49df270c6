// Activation ranges from calibration data: the FP32 model is run with every tensor to be
// quantized added as a graph output, and each tensor's values are summarised as
// - minmax: the smallest and largest value seen;
// - percentile: the p-th and (100-p)-th percentiles over all values of all samples, from a
//   2048-bin histogram per tensor (a second pass, over the min/max of the first), so a few
//   outliers do not stretch the scale for everything else;
// - entropy: the clipping threshold whose 128-level quantized histogram is closest in KL
//   divergence to the FP32 one (TensorRT's calibration), per side of zero;
// - mse: the range whose uint8 quantization has the least mean squared error over the
//   histogram (rounding noise inside the range plus clipping error outside it).
// Histograms, not stored values: a tensor of the face detector holds 300k values per image.

import { messages, text } from '../fields.ts';
import { editMessages, Writer } from '../protobuf.ts';
import { GRAPH, MODEL, ONNX_TYPE, TENSOR_TYPE, TYPE, VALUE_INFO } from '../schema.ts';
import type { Range } from './qdq.ts';
import type { Feeds, OpenSession } from './session.ts';

export type CalibrationMethod = { method: 'minmax' } | { method: 'percentile'; percentile: number } | { method: 'entropy' } | { method: 'mse' };

const BINS = 2048;

export interface TensorStats {
  min: number;
  max: number;
  /** Histogram over [min, max] (pass 2). */
  hist?: Float64Array;
}

/** The model with `tensors` added as extra FP32 outputs (type only, no shape: ORT infers it). */
export function withOutputs(model: Uint8Array, tensors: string[]): Uint8Array {
  return editMessages(model, MODEL.GRAPH, (graph) => {
    const have = new Set(messages(graph, GRAPH.OUTPUT).map((vi) => text(vi, VALUE_INFO.NAME)));
    const w = new Writer().raw(graph);
    for (const t of tensors) {
      if (have.has(t)) continue;
      w.message(GRAPH.OUTPUT, (vi) =>
        vi.string(VALUE_INFO.NAME, t).message(VALUE_INFO.TYPE, (ty) => ty.message(TYPE.TENSOR_TYPE, (tt) => tt.varint(TENSOR_TYPE.ELEM_TYPE, ONNX_TYPE.FLOAT))),
      );
    }
    return w.finish();
  });
}

/**
 * Runs `samples` through `model` (FP32) and returns per-tensor statistics; with `histograms`
 * a second pass fills them (percentile and entropy need it).
 */
export async function collectStats(
  model: Uint8Array,
  tensors: string[],
  samples: Feeds[],
  open: OpenSession,
  histograms: boolean,
): Promise<Map<string, TensorStats>> {
  if (samples.length === 0) throw new Error('calibration needs at least one sample');
  const session = await open(withOutputs(model, tensors), { optimization: 'disabled' });
  const stats = new Map<string, TensorStats>(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  try {
    for (const s of samples) {
      const out = await session.run(s, tensors);
      for (const t of tensors) {
        const d = out[t]?.data;
        if (!d) throw new Error(`calibration run did not return tensor '${t}'`);
        const st = stats.get(t)!;
        let lo = st.min;
        let hi = st.max;
        for (let i = 0; i < d.length; i++) {
          const v = d[i];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`tensor '${t}' has non-finite values on a calibration sample`);
        st.min = lo;
        st.max = hi;
      }
    }
    if (histograms) {
      for (const st of stats.values()) st.hist = new Float64Array(BINS);
      for (const s of samples) {
        const out = await session.run(s, tensors);
        for (const t of tensors) addToHistogram(stats.get(t)!, out[t].data);
      }
    }
  } finally {
    await session.release();
  }
  return stats;
}

function addToHistogram(st: TensorStats, d: Float32Array): void {
  const h = st.hist!;
  const span = st.max - st.min;
  if (!(span > 0)) {
    h[0] += d.length;
    return;
  }
  const k = BINS / span;
  for (let i = 0; i < d.length; i++) {
    const b = Math.floor((d[i] - st.min) * k);
    h[b >= BINS ? BINS - 1 : b < 0 ? 0 : b]++;
  }
}

/** The range each tensor gets under a calibration method. */
export function rangesFor(stats: Map<string, TensorStats>, m: CalibrationMethod): Map<string, Range> {
  const out = new Map<string, Range>();
  for (const [t, st] of stats) {
    if (m.method === 'minmax' || !st.hist || !(st.max > st.min)) out.set(t, { lo: st.min, hi: st.max });
    else if (m.method === 'percentile') out.set(t, percentileRange(st, m.percentile));
    else if (m.method === 'mse') out.set(t, mseRange(st));
    else out.set(t, entropyRange(st));
  }
  return out;
}

function binEdge(st: TensorStats, i: number): number {
  return st.min + ((st.max - st.min) * i) / BINS;
}

/**
 * Least-MSE range: candidates every 16 bins on each side of zero; the error of a range [a, b]
 * is the clipping error of the values outside it plus (b - a)^2 / 255^2 / 12 per value inside,
 * from prefix sums of counts, values and squares (bin centres), so each candidate is O(1).
 */
function mseRange(st: TensorStats): Range {
  const h = st.hist!;
  const w = (st.max - st.min) / BINS;
  const n = new Float64Array(BINS + 1);
  const sx = new Float64Array(BINS + 1);
  const sxx = new Float64Array(BINS + 1);
  for (let i = 0; i < BINS; i++) {
    const x = st.min + (i + 0.5) * w;
    n[i + 1] = n[i] + h[i];
    sx[i + 1] = sx[i] + h[i] * x;
    sxx[i + 1] = sxx[i] + h[i] * x * x;
  }
  // Candidate edges: bin indices; a on [0, zero], b on [zero, BINS].
  const zero = st.min >= 0 ? 0 : st.max <= 0 ? BINS : Math.round((-st.min / (st.max - st.min)) * BINS);
  const step = 16;
  const los: number[] = [];
  for (let i = 0; i < zero; i += step) los.push(i);
  los.push(zero);
  const his: number[] = [zero];
  for (let i = BINS; i > zero; i -= step) his.push(i);
  let best = { err: Infinity, lo: st.min, hi: st.max };
  for (const i of los) {
    const a = st.min + i * w;
    // Values below a (bins [0, i)) clip to a: sum (a - x)^2.
    const below = n[i] * a * a - 2 * a * sx[i] + sxx[i];
    for (const j of his) {
      const b = st.min + j * w;
      if (!(b > a)) continue;
      const above = (n[BINS] - n[j]) * b * b - 2 * b * (sx[BINS] - sx[j]) + (sxx[BINS] - sxx[j]);
      const d = (b - a) / 255;
      const err = below + above + ((n[j] - n[i]) * d * d) / 12;
      if (err < best.err) best = { err, lo: a, hi: b };
    }
  }
  return { lo: best.lo, hi: best.hi };
}

function percentileRange(st: TensorStats, p: number): Range {
  if (!(p > 50 && p <= 100)) throw new RangeError(`percentile ${p} must be in (50, 100]`);
  const h = st.hist!;
  const total = h.reduce((a, b) => a + b, 0);
  const tail = (total * (100 - p)) / 100;
  let acc = 0;
  let lo = 0;
  while (lo < BINS - 1 && acc + h[lo] <= tail) acc += h[lo++];
  acc = 0;
  let hi = BINS - 1;
  while (hi > 0 && acc + h[hi] <= tail) acc += h[hi--];
  // Never clip past the data, and keep zero inside (activationParams widens to it anyway).
  return { lo: Math.max(st.min, binEdge(st, lo)), hi: Math.min(st.max, binEdge(st, hi + 1)) };
}

/**
 * TensorRT's entropy calibration, one side of zero at a time: for each candidate threshold
 * (a bin edge), fold the tail into the last bin, quantize the kept bins to `levels` buckets,
 * expand back, and keep the threshold with the smallest KL(P || Q).
 */
function entropyRange(st: TensorStats): Range {
  const h = st.hist!;
  // Bin index where zero falls (0 when all values are ≥ 0).
  const zero = st.min >= 0 ? 0 : st.max <= 0 ? BINS : Math.min(BINS, Math.round((-st.min / (st.max - st.min)) * BINS));
  const pos = Array.from(h.subarray(zero));
  const neg = Array.from(h.subarray(0, zero)).reverse();
  const hiBins = pos.length ? klThreshold(pos, 128) : 0;
  const loBins = neg.length ? klThreshold(neg, 128) : 0;
  return { lo: neg.length ? binEdge(st, zero - loBins) : st.min, hi: pos.length ? binEdge(st, zero + hiBins) : st.max };
}

/** Number of bins (from the zero end) to keep. */
export function klThreshold(bins: number[], levels: number): number {
  const n = bins.length;
  if (n <= levels) return n;
  let best = n;
  let bestKl = Infinity;
  for (let i = levels; i <= n; i++) {
    const p = bins.slice(0, i);
    let outliers = 0;
    for (let j = i; j < n; j++) outliers += bins[j];
    p[i - 1] += outliers;
    // Quantize the first i bins of the original histogram into `levels` buckets.
    const q = new Array<number>(i).fill(0);
    const per = i / levels;
    for (let l = 0; l < levels; l++) {
      const start = Math.floor(l * per);
      const end = l === levels - 1 ? i : Math.floor((l + 1) * per);
      let sum = 0;
      let nonzero = 0;
      for (let j = start; j < end; j++) {
        sum += bins[j];
        if (bins[j] !== 0) nonzero++;
      }
      if (nonzero) for (let j = start; j < end; j++) if (bins[j] !== 0) q[j] = sum / nonzero;
    }
    const kl = divergence(p, q);
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return best;
}

function divergence(p: number[], q: number[]): number {
  let ps = 0;
  let qs = 0;
  for (let i = 0; i < p.length; i++) {
    ps += p[i];
    qs += q[i];
  }
  if (ps === 0 || qs === 0) return Infinity;
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    // A bin P has and Q lost is smoothed rather than infinite (as TensorRT's implementation).
    const qi = q[i] > 0 ? q[i] / qs : 1e-12;
    kl += (p[i] / ps) * Math.log(p[i] / ps / qi);
  }
  return kl;
}

/** Largest |value| per channel (axis 1) of each tensor over the samples: equalize.ts's input. */
export async function channelMaxima(model: Uint8Array, tensors: string[], samples: Feeds[], open: OpenSession): Promise<Map<string, Float64Array>> {
  const session = await open(withOutputs(model, tensors), { optimization: 'disabled' });
  const out = new Map<string, Float64Array>();
  try {
    for (const s of samples) {
      const res = await session.run(s, tensors);
      for (const t of tensors) {
        const { data, dims } = res[t];
        const c = dims[1] ?? 1;
        const inner = dims.slice(2).reduce((a, b) => a * b, 1);
        const outer = dims[0] ?? 1;
        let m = out.get(t);
        if (!m) {
          m = new Float64Array(c);
          out.set(t, m);
        }
        for (let o = 0; o < outer; o++) {
          for (let k = 0; k < c; k++) {
            const base = (o * c + k) * inner;
            let v = m[k];
            for (let i = 0; i < inner; i++) {
              const a = Math.abs(data[base + i]);
              if (a > v) v = a;
            }
            m[k] = v;
          }
        }
      }
    }
  } finally {
    await session.release();
  }
  return out;
}
