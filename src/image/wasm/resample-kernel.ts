// Runs resample.wat's SIMD kernels for resample.ts: one instance per thread, created on first
// use, with memory grown to the largest job seen (bounded by MAX_BYTES; bigger jobs stay in
// JS). Per call it copies in the source rows the taps use and the taps (and the output tensor
// when it has letterbox padding), runs both passes row by row and copies the tensor back.
//
// Where WebAssembly can't be compiled from bytes at run time (Cloudflare Workers forbid it) or
// has no SIMD, wasmResampler() is undefined and resample.ts keeps to its JS kernels. Both
// compute the same sums (f32 here, f64 in JS): results agree to ~1e-5 (resample-wasm.test.ts).

import type { Sink, Taps } from '../resample.ts'; // types only: no import cycle at run time
import { WASM_BASE64 } from './resample-wasm.ts';

/** Largest memory a thread's instance may grow to; jobs needing more run in JS. */
const MAX_BYTES = 64 << 20;

interface Exports {
  vertical(src: number, taps: number, k: number, rows: number, span: number, tmp: number): void;
  horizontal(tmp: number, taps: number, k: number, cw: number, ch: number, span: number, out: number, rowStride: number, pixStride: number,
    b0: number, b1: number, b2: number, m0: number, m1: number, m2: number, a0: number, a1: number, a2: number): void;
}

export interface WasmResampler {
  /** Resamples opaque RGBA `data` (width px per row) into sink's 3 channels; false if too big. */
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
      const ch = yt.idx.length / yt.k, cw = xt.idx.length / xt.k;
      const span = xt.hi - xt.lo + 1;
      const srcBytes = (yt.hi - yt.lo + 1) * width * 4;
      // Layout: [source rows][vertical taps][horizontal taps][one f32x4 row][output]
      const vt = align(srcBytes), ht = align(vt + yt.idx.length * 8), tmp = align(ht + xt.idx.length * 8);
      const out = align(tmp + span * 16), end = out + sink.out.length * 4;
      if (end > MAX_BYTES) return false;
      if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
      const buf = memory.buffer;
      new Uint8Array(buf, 0, srcBytes).set(data.subarray(yt.lo * width * 4, (yt.hi + 1) * width * 4));
      const vi = new Int32Array(buf, vt, yt.idx.length * 2), vf = new Float32Array(buf, vt, yt.idx.length * 2);
      for (let t = 0; t < yt.idx.length; t++) {
        vi[2 * t] = ((yt.idx[t] - yt.lo) * width + xt.lo) * 4;
        vf[2 * t + 1] = yt.w[t];
      }
      const hi = new Int32Array(buf, ht, xt.idx.length * 2), hf = new Float32Array(buf, ht, xt.idx.length * 2);
      for (let t = 0; t < xt.idx.length; t++) {
        hi[2 * t] = (xt.idx[t] - xt.lo) * 16;
        hf[2 * t + 1] = xt.w[t];
      }
      const o = new Float32Array(buf, out, sink.out.length);
      // Letterbox padding lives in sink.out: bring it along unless the content covers it all.
      if (cw * ch * 3 !== sink.out.length) o.set(sink.out);
      // Row by row: the vertical pass fills one f32x4 row (L1-sized) that the horizontal pass
      // consumes at once; a whole-image intermediate (2 MB for 512 columns x 240 rows) would
      // go through memory and back.
      for (let j = 0; j < ch; j++) {
        ex.vertical(0, vt + j * yt.k * 8, yt.k, 1, span, tmp);
        ex.horizontal(tmp, ht, xt.k, cw, 1, span, out + j * sink.rowStride * 4, sink.rowStride, sink.pixStride,
          sink.base[0], sink.base[1], sink.base[2], sink.mul[0], sink.mul[1], sink.mul[2], sink.add[0], sink.add[1], sink.add[2]);
      }
      sink.out.set(o);
      return true;
    },
  };
}

const align = (n: number) => (n + 15) & ~15;

let cached: WasmResampler | undefined | null = null;

/** This thread's SIMD resampler, or undefined where WebAssembly SIMD can't run. */
export function wasmResampler(): WasmResampler | undefined {
  if (cached === null) cached = compile();
  return cached;
}
