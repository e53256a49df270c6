// Runs resample.wat's SIMD kernels for resample.ts: one instance per thread, created on first
// use, with memory grown to the largest job seen (bounded by MAX_BYTES; bigger jobs stay in
// JS). Per call it copies in the source rows the taps use and the taps (and the output tensor
// when it has letterbox padding), runs both passes row by row and copies the tensor back.
//
// Where WebAssembly can't be compiled from bytes at run time (Cloudflare Workers forbid it) or
// has no SIMD, wasmResampler() is undefined and resample.ts keeps to its JS kernels. Here the
// sums are fixed point (Q15 weights, Q7 intermediate: see resample.wat), in JS f64: results
// agree to within 0.02 of a level (resample-wasm.test.ts).

import type { Sink, Taps } from '../resample.ts'; // types only: no import cycle at run time
import { WASM_BASE64 } from './resample-wasm.ts';

/** Largest memory a thread's instance may grow to; jobs needing more run in JS. */
const MAX_BYTES = 64 << 20;

/** Pixels per vertical-pass chunk (32 source bytes); rows are padded to whole chunks. */
const CHUNK = 8;

interface Exports {
  vertical(taps: number, n: number, chunks: number, dst: number): void;
  horizontal(row: number, taps: number, pairs: number, cw: number, stride: number, o0: number, o1: number, o2: number,
    m0: number, m1: number, m2: number, a0: number, a1: number, a2: number): void;
}

export interface WasmResampler {
  /** Resamples opaque RGBA `data` (width px per row) into sink's 3 channels; false if too big,
   *  or if the horizontal taps vary in count per pixel (a crop far larger than the image). */
  rgb(data: Uint8Array, width: number, xt: Taps, yt: Taps, sink: Sink): boolean;
}

function compile(): WasmResampler | undefined {
  let module: WebAssembly.Module;
  try {
    const bin = atob(WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    module = new WebAssembly.Module(bytes);
  } catch {
    return undefined; // no run-time compilation (Workers) or no SIMD
  }
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_BYTES >> 16 });
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;
  return {
    rgb(data, width, xt, yt, sink) {
      if (!xt.uniform) return false;
      const ch = yt.first.length - 1, cw = xt.first.length - 1;
      const span = xt.hi - xt.lo + 1;
      const chunks = Math.ceil(span / CHUNK);
      const srcBytes = (yt.hi - yt.lo + 1) * width * 4;
      // Layout: [source rows + one chunk of slack][vertical taps][horizontal taps][one i16x4 row][output]
      const pairs = (xt.k + 1) >> 1;
      const vt = align(srcBytes + CHUNK * 4), ht = align(vt + yt.idx.length * 8), tmp = align(ht + cw * pairs * 16);
      const out = align(tmp + chunks * CHUNK * 8), end = out + sink.out.length * 4;
      if (end > MAX_BYTES) return false;
      if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
      const buf = memory.buffer;
      new Uint8Array(buf, 0, srcBytes).set(data.subarray(yt.lo * width * 4, (yt.hi + 1) * width * 4));
      // Vertical taps, zero weights left out (area taps are padded with them, and a bilinear
      // tap landing exactly on a row has one): (source address, Q15 weight); n per row.
      const vi = new Int32Array(buf, vt, yt.idx.length * 2);
      const n = new Int32Array(ch);
      for (let j = 0, t = 0; j < ch; j++) {
        let m = 0;
        for (let q = yt.first[j]; q < yt.first[j + 1]; q++) {
          const w = yt.w[q];
          if (w === 0 && m > 0) continue;
          vi[t++] = ((yt.idx[q] - yt.lo) * width + xt.lo) * 4;
          vi[t++] = q15(w);
          m++;
        }
        n[j] = m;
      }
      // Horizontal taps in pairs (an odd count gets a zero-weight partner): per pair the two
      // pixels' byte offsets in the i16x4 row and both Q15 weights in one i32.
      const hp = new Int32Array(buf, ht, cw * pairs * 4);
      for (let i = 0; i < cw; i++) {
        for (let q = 0; q < pairs; q++) {
          const a = i * xt.k + 2 * q, b = a + 1 < (i + 1) * xt.k ? a + 1 : -1;
          const r = (i * pairs + q) * 4;
          hp[r] = (xt.idx[a] - xt.lo) * 8;
          hp[r + 1] = b < 0 ? hp[r] : (xt.idx[b] - xt.lo) * 8;
          hp[r + 2] = q15(xt.w[a]) | ((b < 0 ? 0 : q15(xt.w[b])) << 16);
          hp[r + 3] = 0;
        }
      }
      const o = new Float32Array(buf, out, sink.out.length);
      // Letterbox padding lives in sink.out: bring it along unless the content covers it all.
      if (cw * ch * 3 !== sink.out.length) o.set(sink.out);
      const stride = sink.pixStride * 4;
      const [m0, m1, m2] = sink.mul.map((m) => m / 2 ** 22); // Q7 pixels times Q15 weights
      const [a0, a1, a2] = sink.add;
      // Row by row: the vertical pass fills one i16x4 row (L1-sized) that the horizontal pass
      // consumes at once; a whole-image intermediate would go through memory and back.
      for (let j = 0, t = vt; j < ch; j++) {
        ex.vertical(t, n[j], chunks, tmp);
        t += n[j] * 8;
        const r = out + j * sink.rowStride * 4;
        ex.horizontal(tmp, ht, pairs, cw, stride, r + sink.base[0] * 4, r + sink.base[1] * 4, r + sink.base[2] * 4, m0, m1, m2, a0, a1, a2);
      }
      sink.out.set(o);
      return true;
    },
  };
}

const align = (n: number) => (n + 15) & ~15;

/** A weight in Q15 (0..32767: 1.0 itself does not fit an i16, and is off by 2^-15). */
const q15 = (w: number) => Math.min(32767, Math.round(w * 32768));

let cached: WasmResampler | undefined | null = null;

/** This thread's SIMD resampler, or undefined where WebAssembly SIMD can't run. */
export function wasmResampler(): WasmResampler | undefined {
  if (cached === null) cached = compile();
  return cached;
}
