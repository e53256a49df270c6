// Separable resampling of an RGBA image region to floats: bilinear where the reduction per
// axis is at most 2x, area averaging (each source pixel weighted by how much of it the output
// pixel covers) beyond that, so a 12 MP photo shrunk to 320x240 is not aliased. Each axis gets
// its taps precomputed once (index + weight per output pixel); a vertical pass then reduces
// rows (streaming whole source rows, cache-friendly) and a horizontal pass reduces columns.
// Alpha is composited over white and GRAY (BT.601 luma) is taken while reading source pixels,
// so later work runs on 1 or 3 float channels.
// Samples outside the image repeat the edge pixel (crops may reach past the border). The work
// is bounded by the output and the image, never by the crop: a crop far larger than the image
// gets its outside folded into the edge taps (clippedTaps), so a box of 1e12 pixels costs what
// one the size of the image costs.

import { wasmResampler } from './wasm/resample-kernel.ts';

/** What translucent pixels are composited over, 0-255 (white: see raw-image.ts). */
export const ALPHA_BACKGROUND = 255;
const BG = ALPHA_BACKGROUND / 255;

export interface AxisMap {
  /** Output pixels along this axis. */
  count: number;
  /** Source coordinate (continuous, pixel edges) of the left/top edge of output pixel 0. */
  start: number;
  /** Source pixels per output pixel. */
  ratio: number;
}

export interface Source {
  width: number;
  height: number;
  data: Uint8Array;
  opaque?: boolean;
}

export interface Taps {
  /** Most taps of any output pixel. */
  k: number;
  /** Whether every output pixel has exactly k taps (first[i] = i * k), as the SIMD kernel needs. */
  uniform: boolean;
  /** Output pixel i's taps are idx/w[first[i] .. first[i + 1]). */
  first: Int32Array;
  idx: Int32Array;
  w: Float32Array;
  /** Smallest and largest source index used. */
  lo: number;
  hi: number;
}

/** Above this reduction bilinear skips source pixels (aliasing); area averaging takes over. */
const BILINEAR_MAX_RATIO = 2;

export function axisTaps(a: AxisMap, size: number): Taps {
  if (!(a.count >= 1 && size >= 1 && a.ratio > 0 && Number.isFinite(a.start) && Number.isFinite(a.ratio))) {
    throw new RangeError(`resample: bad axis ${a.count} x ${a.ratio} from ${a.start} over ${size} pixels`);
  }
  const area = a.ratio > BILINEAR_MAX_RATIO;
  const k = area ? Math.ceil(a.ratio) + 1 : 2;
  // k taps for every pixel, padded with zero weights, cost count * k ~ the crop's extent: fine
  // while the crop is about the image's size, unbounded beyond (a box of 1e7 pixels on a
  // 512-pixel image). There, each pixel keeps only the source pixels it covers.
  if (area && a.count * k > 2 * (size + a.count)) return clippedTaps(a, size);
  const idx = new Int32Array(a.count * k);
  const w = new Float32Array(a.count * k);
  let lo = size - 1;
  let hi = 0;
  const put = (t: number, j: number, weight: number) => {
    const c = j < 0 ? 0 : j >= size ? size - 1 : j;
    idx[t] = c;
    w[t] = weight;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
  };
  for (let i = 0; i < a.count; i++) {
    const t = i * k;
    if (area) {
      const left = a.start + i * a.ratio;
      const right = left + a.ratio;
      let n = 0;
      for (let j = Math.floor(left); j < right && n < k; j++, n++) {
        put(t + n, j, (Math.min(right, j + 1) - Math.max(left, j)) / a.ratio);
      }
      for (; n < k; n++) put(t + n, Math.floor(left), 0);
    } else {
      const c = a.start + (i + 0.5) * a.ratio - 0.5; // output pixel centre in source pixel-centre units
      const j = Math.floor(c);
      const f = c - j;
      put(t, j, 1 - f);
      put(t + 1, j + 1, f);
    }
  }
  const first = new Int32Array(a.count + 1);
  for (let i = 0; i <= a.count; i++) first[i] = i * k;
  return { k, uniform: true, first, idx, w, lo, hi };
}

/**
 * Area taps for a crop much larger than the image: output pixel i covers [left, right) of the
 * source axis, which extends the edge pixels to infinity (the edge repeats), so everything
 * left of pixel 0 becomes one weight on pixel 0 (right of size-1 likewise). Each pixel then has
 * at most min(ratio + 1, size) taps and all of them together at most size + 2 * count.
 */
export function clippedTaps(a: AxisMap, size: number): Taps {
  const first = new Int32Array(a.count + 1);
  const span = (i: number): [number, number, number, number] => {
    const left = a.start + i * a.ratio;
    const right = a.start + (i + 1) * a.ratio;
    const j0 = Math.min(size - 1, Math.max(0, Math.floor(left)));
    const j1 = Math.min(size - 1, Math.max(0, Math.ceil(right) - 1, j0));
    return [left, right, j0, j1];
  };
  for (let i = 0; i < a.count; i++) {
    const [, , j0, j1] = span(i);
    first[i + 1] = first[i] + j1 - j0 + 1;
  }
  const idx = new Int32Array(first[a.count]);
  const w = new Float32Array(first[a.count]);
  let k = 0;
  for (let i = 0; i < a.count; i++) {
    const [left, right, j0, j1] = span(i);
    k = Math.max(k, j1 - j0 + 1);
    for (let j = j0, t = first[i]; j <= j1; j++, t++) {
      const from = j === 0 ? left : Math.max(left, j);
      const to = j === size - 1 ? right : Math.min(right, j + 1);
      idx[t] = j;
      w[t] = (to - from) / a.ratio;
    }
  }
  return { k, uniform: false, first, idx, w, lo: idx[0], hi: idx[idx.length - 1] };
}

// A server sees the same few (image size → model size) mappings over and over: their taps are
// kept (read-only) for the last few mappings instead of being rebuilt per request.
const TAP_CACHE_SIZE = 8;
const tapCache = new Map<string, Taps>();

function cachedTaps(a: AxisMap, size: number): Taps {
  const key = `${a.count}:${a.start}:${a.ratio}:${size}`;
  let t = tapCache.get(key);
  if (t) {
    tapCache.delete(key); // re-inserted below: most recently used last
  } else {
    t = axisTaps(a, size);
    if (tapCache.size >= TAP_CACHE_SIZE) tapCache.delete(tapCache.keys().next().value!);
  }
  tapCache.set(key, t);
  return t;
}

/**
 * Where resampled values go, so normalisation and layout cost no extra pass: the value of
 * source channel k (R, G, B, or luma) at output pixel (col, row) of the resampled area is
 * stored as value * mul[k] + add[k] at out[base[k] + row * rowStride + col * pixStride].
 */
export interface Sink {
  out: Float32Array;
  base: number[];
  mul: number[];
  add: number[];
  rowStride: number;
  pixStride: number;
}

/** Whether resample() may use the WebAssembly SIMD kernels (tests turn it off to compare). */
export const resampleOptions = { wasm: true };

/** Resamples to x.count * y.count pixels of 3 channels (R,G,B) or 1 (luma), 0-255, into `sink`. */
export function resample(src: Source, x: AxisMap, y: AxisMap, gray: boolean, sink: Sink): void {
  const C = gray ? 1 : 3;
  const xt = cachedTaps(x, src.width);
  const yt = cachedTaps(y, src.height);
  // The common case (opaque colour) runs ~2.5x faster as SIMD where the runtime allows it.
  if (!gray && src.opaque && resampleOptions.wasm && wasmResampler()?.rgb(src.data, src.width, xt, yt, sink)) return;
  const span = xt.hi - xt.lo + 1;
  const tmp = new Float32Array(y.count * span * C);
  verticalPass(src, yt, xt.lo, span, C, tmp);
  // Horizontal taps as offsets into a tmp row.
  const off = new Int32Array(xt.idx.length);
  for (let t = 0; t < off.length; t++) off[t] = (xt.idx[t] - xt.lo) * C;
  if (C === 3) horizontal3(tmp, off, xt, x.count, y.count, span, sink);
  else horizontal1(tmp, off, xt, x.count, y.count, span, sink);
}

function verticalPass(src: Source, yt: Taps, lo: number, span: number, C: number, tmp: Float32Array): void {
  const d = as32(src.data);
  const rows = yt.first.length - 1;
  const offs = new Int32Array(yt.k);
  const ws = new Float64Array(yt.k);
  const kernel = C === 3 ? (src.opaque ? rowsRgb : rowsRgbAlpha) : src.opaque ? rowsGray : rowsGrayAlpha;
  for (let j = 0; j < rows; j++) {
    let n = 0; // the row's non-zero taps, as pixel offsets of the first used column
    for (let t = yt.first[j]; t < yt.first[j + 1]; t++) {
      const w = yt.w[t];
      if (w === 0) continue;
      offs[n] = yt.idx[t] * src.width + lo;
      ws[n++] = w;
    }
    if (n === 2 && kernel === rowsRgb) rowsRgb2(d, offs[0], offs[1], ws[0], ws[1], tmp, j * span * C, span);
    else kernel(d, offs, ws, n, tmp, j * span * C, span);
  }
}

// The common case (bilinear, opaque) unrolled: two source rows, fixed weights. Same operations
// in the same order as rowsRgb, so the results are bit-identical; ~3x faster in JSC and V8.
function rowsRgb2(d: Uint32Array, o0: number, o1: number, w0: number, w1: number, t: Float32Array, o: number, span: number): void {
  for (let x = 0; x < span; x++, o += 3) {
    const p = d[o0 + x];
    const q = d[o1 + x];
    t[o] = w0 * (p & 255) + w1 * (q & 255);
    t[o + 1] = w0 * ((p >>> 8) & 255) + w1 * ((q >>> 8) & 255);
    t[o + 2] = w0 * ((p >>> 16) & 255) + w1 * ((q >>> 16) & 255);
  }
}

// One kernel per (channels, alpha) case so each loop stays monomorphic and branch-free. A
// pixel is one 32-bit load (little-endian: R in the low byte), which beats four byte loads.
// Summing all taps per output value in locals beats accumulating into the output per tap.
type RowKernel = (d: Uint32Array, offs: Int32Array, ws: Float64Array, n: number, t: Float32Array, o: number, span: number) => void;

const rowsRgb: RowKernel = (d, offs, ws, n, t, o, span) => {
  for (let x = 0; x < span; x++, o += 3) {
    let r = 0,
      g = 0,
      b = 0;
    for (let k = 0; k < n; k++) {
      const p = d[offs[k] + x];
      const w = ws[k];
      r += w * (p & 255);
      g += w * ((p >>> 8) & 255);
      b += w * ((p >>> 16) & 255);
    }
    t[o] = r;
    t[o + 1] = g;
    t[o + 2] = b;
  }
};

const rowsRgbAlpha: RowKernel = (d, offs, ws, n, t, o, span) => {
  for (let x = 0; x < span; x++, o += 3) {
    let r = 0,
      g = 0,
      b = 0;
    for (let k = 0; k < n; k++) {
      const p = d[offs[k] + x];
      const w = ws[k];
      const a = p >>> 24;
      const m = w * (a / 255);
      const bg = w * (255 - a) * BG; // background * (1 - alpha)
      r += m * (p & 255) + bg;
      g += m * ((p >>> 8) & 255) + bg;
      b += m * ((p >>> 16) & 255) + bg;
    }
    t[o] = r;
    t[o + 1] = g;
    t[o + 2] = b;
  }
};

const rowsGray: RowKernel = (d, offs, ws, n, t, o, span) => {
  for (let x = 0; x < span; x++, o++) {
    let v = 0;
    for (let k = 0; k < n; k++) {
      const p = d[offs[k] + x];
      v += ws[k] * (0.299 * (p & 255) + 0.587 * ((p >>> 8) & 255) + 0.114 * ((p >>> 16) & 255));
    }
    t[o] = v;
  }
};

const rowsGrayAlpha: RowKernel = (d, offs, ws, n, t, o, span) => {
  for (let x = 0; x < span; x++, o++) {
    let v = 0;
    for (let k = 0; k < n; k++) {
      const p = d[offs[k] + x];
      const a = p >>> 24;
      const luma = 0.299 * (p & 255) + 0.587 * ((p >>> 8) & 255) + 0.114 * ((p >>> 16) & 255);
      v += ws[k] * ((luma * a) / 255 + (255 - a) * BG);
    }
    t[o] = v;
  }
};

function as32(b: Uint8Array): Uint32Array {
  const a = b.byteOffset % 4 === 0 ? b : b.slice(); // a Uint32Array view needs 4-byte alignment
  return new Uint32Array(a.buffer, a.byteOffset, a.byteLength >> 2);
}

function horizontal3(tmp: Float32Array, off: Int32Array, xt: Taps, cw: number, ch: number, span: number, sink: Sink): void {
  // Plain locals with explicit int/double coercions: destructuring here measured 2x slower.
  const wt = xt.w,
    first = xt.first,
    two = xt.uniform && xt.k === 2;
  const out = sink.out,
    rowStride = sink.rowStride | 0,
    pixStride = sink.pixStride | 0;
  const b0 = sink.base[0] | 0,
    b1 = sink.base[1] | 0,
    b2 = sink.base[2] | 0;
  const m0 = +sink.mul[0],
    m1 = +sink.mul[1],
    m2 = +sink.mul[2];
  const a0 = +sink.add[0],
    a1 = +sink.add[1],
    a2 = +sink.add[2];
  for (let j = 0; j < ch; j++) {
    const row = j * span * 3;
    let p = j * rowStride;
    if (two) {
      // Bilinear, unrolled: the same operations in the same order (bit-identical), ~2x faster.
      for (let i = 0, k = 0; i < cw; i++, k += 2, p += pixStride) {
        const s = row + off[k],
          u = row + off[k + 1];
        const w = +wt[k],
          v = +wt[k + 1];
        out[b0 + p] = (w * tmp[s] + v * tmp[u]) * m0 + a0;
        out[b1 + p] = (w * tmp[s + 1] + v * tmp[u + 1]) * m1 + a1;
        out[b2 + p] = (w * tmp[s + 2] + v * tmp[u + 2]) * m2 + a2;
      }
      continue;
    }
    for (let i = 0; i < cw; i++, p += pixStride) {
      let r = 0,
        g = 0,
        b = 0;
      for (let k = first[i], e = first[i + 1]; k < e; k++) {
        const s = row + off[k];
        const w = wt[k];
        r += w * tmp[s];
        g += w * tmp[s + 1];
        b += w * tmp[s + 2];
      }
      out[b0 + p] = r * m0 + a0;
      out[b1 + p] = g * m1 + a1;
      out[b2 + p] = b * m2 + a2;
    }
  }
}

function horizontal1(tmp: Float32Array, off: Int32Array, xt: Taps, cw: number, ch: number, span: number, sink: Sink): void {
  const wt = xt.w,
    first = xt.first;
  const out = sink.out,
    rowStride = sink.rowStride | 0,
    pixStride = sink.pixStride | 0;
  const b0 = sink.base[0] | 0,
    m0 = +sink.mul[0],
    a0 = +sink.add[0];
  for (let j = 0; j < ch; j++) {
    const row = j * span;
    let p = b0 + j * rowStride;
    for (let i = 0; i < cw; i++, p += pixStride) {
      let v = 0;
      for (let k = first[i], e = first[i + 1]; k < e; k++) v += wt[k] * tmp[row + off[k]];
      out[p] = v * m0 + a0;
    }
  }
}
