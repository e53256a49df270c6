// Int8 codes for the in-memory scan, with a proven error bound, so that a scan over codes
// followed by an exact re-rank of the few faces it cannot rule out gives exactly the answer of an
// exhaustive float search (vector-index.ts).
//
// A face x (unit length) is stored as codes c = round(x / s), s = max|x_i| / 127, plus its
// residual r = ||x - s c||. A query y (unit length) becomes p = round(y / t) in int16 with
// residual d = ||y - t p||. Then, exactly (Cauchy-Schwarz twice):
//   x·y - s t (c·p) = (x - s c)·y + s c·(y - t p),   so   |x·y - s t (c·p)| <= r + (1 + r) d,
// and c·p is an exact integer sum (wasm/scan.wat). SLACK covers the float arithmetic around it.

/** Largest code magnitude. */
export const CODE_MAX = 127;
/** Added to every bound for float rounding in scales, residuals and the products (orders above it). */
export const SLACK = 1e-5;

/** Unit-length copy of `v` in float64 (the exact scores are computed in float64), into `out`. */
export function unit(v: ArrayLike<number>, out: Float64Array = new Float64Array(v.length)): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (!(n > 0) || !Number.isFinite(n)) return out.fill(0);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

/** Writes x's codes into `codes` (x.length bytes); returns its scale and residual bound. */
export function quantizeFace(x: ArrayLike<number>, codes: Int8Array): { scale: number; resid: number } {
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]));
  // The scale is stored as float32: quantize with exactly the value that will be used.
  const scale = Math.fround(max / CODE_MAX) || Math.fround(1 / CODE_MAX);
  let r2 = 0;
  for (let i = 0; i < x.length; i++) {
    const c = Math.max(-CODE_MAX, Math.min(CODE_MAX, Math.round(x[i] / scale)));
    codes[i] = c;
    const e = x[i] - c * scale;
    r2 += e * e;
  }
  return { scale, resid: roundUp(Math.sqrt(r2)) };
}

/** The largest int16 query code for `dim` dimensions that keeps every i32 sum exact. */
export function queryCodeMax(dim: number): number {
  return Math.min(32767, Math.floor(0x7fffffff / (dim * CODE_MAX)));
}

export interface QueryCodes {
  codes: Int16Array;
  scale: number;
  resid: number;
}

export function quantizeQuery(y: Float64Array): QueryCodes {
  const qmax = queryCodeMax(y.length);
  let max = 0;
  for (let i = 0; i < y.length; i++) max = Math.max(max, Math.abs(y[i]));
  const scale = max / qmax || 1 / qmax;
  const codes = new Int16Array(y.length);
  let r2 = 0;
  for (let i = 0; i < y.length; i++) {
    const c = Math.max(-qmax, Math.min(qmax, Math.round(y[i] / scale)));
    codes[i] = c;
    const e = y[i] - c * scale;
    r2 += e * e;
  }
  return { codes, scale, resid: Math.sqrt(r2) };
}

/** The bound on |exact - approximate| for a face of residual `resid` against this query. */
export const errorBound = (faceResid: number, q: QueryCodes) => faceResid + (1 + faceResid) * q.resid + SLACK;

/** The exact score: x (stored float32, unit length) · y (float64, unit length), in float64. */
export function exactScore(x: ArrayLike<number>, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += x[i] * y[i];
  return s;
}

/** float32 at or above v (a bound stored as float32 must not shrink). */
function roundUp(v: number): number {
  const f = Math.fround(v);
  return f >= v ? f : Math.fround(v * (1 + 2 ** -23) + 2 ** -149);
}
