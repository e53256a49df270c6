// The model's tensor around the resampled pixels: channel order (RGB/BGR/GRAY), normalisation
// ((p - mean) / std or p * scale + offset, folded into one multiply-add per channel), layout
// (NCHW planes or NHWC interleaved), letterbox padding, and dtype (FP32, FP16 bits, UINT8,
// INT8; integer types round and saturate). The resampler writes straight into the layout
// described here, so normalising costs no pass of its own.

import { invalid } from '../core/errors.ts';
import type { ImagePreprocessing } from '../core/model-config.ts';
import { floatToHalf as toHalfBits } from '../core/datatypes.ts';
import type { Box } from './geometry.ts';
import type { Sink } from './resample.ts';

export type TensorDtype = ImagePreprocessing['dtype'];
export type PackedData = Float32Array | Uint16Array | Uint8Array | Int8Array;

/** Per-output-channel value = pixel * mul[c] + add[c]. */
export interface ChannelMath {
  mul: number[];
  add: number[];
}

/** Folds the spec's normalisation into multiply-adds. Arrays are in OUTPUT channel order
 *  (for BGR: [B, G, R]), of length 1 (all channels) or the channel count. */
export function channelMath(spec: ImagePreprocessing, channels: number): ChannelMath {
  const per = (v: number | number[] | undefined, def: number, what: string): number[] => {
    if (v === undefined) return Array(channels).fill(def);
    const a = typeof v === 'number' ? [v] : v;
    if (a.length === 1) return Array(channels).fill(a[0]);
    if (a.length !== channels) throw invalid(`image ${what} has ${a.length} values; ${spec.color} needs 1 or ${channels}`);
    return a;
  };
  if (spec.mean !== undefined || spec.std !== undefined) {
    const mean = per(spec.mean, 0, 'mean');
    const std = per(spec.std, 1, 'std');
    if (std.some((s) => s === 0)) throw invalid('image std must not be 0');
    return { mul: std.map((s) => 1 / s), add: mean.map((m, c) => -m / std[c]) };
  }
  return { mul: per(spec.scale, 1, 'scale'), add: per(spec.offset, 0, 'offset') };
}

/**
 * Allocates the model input (FP32 for now: convert() makes the dtype), fills the letterbox
 * padding, and says where resampled content pixels go: channel order (BGR reverses; GRAY is
 * one channel), normalisation, NCHW planes or NHWC interleaving, the content's offset.
 */
export function tensorLayout(spec: ImagePreprocessing, math: ChannelMath, content: Box): { sink: Sink; shape: number[] } {
  const { width: W, height: H } = spec;
  const C = spec.color === 'GRAY' ? 1 : 3;
  const out = new Float32Array(W * H * C);
  const [cx, cy, cx2, cy2] = content;
  if (cx2 - cx !== W || cy2 - cy !== H) {
    for (let c = 0; c < C; c++) {
      const v = spec.pad_value * math.mul[c] + math.add[c];
      if (spec.layout === 'NCHW') out.fill(v, c * W * H, (c + 1) * W * H);
      else for (let i = c; i < out.length; i += C) out[i] = v;
    }
  }
  const nchw = spec.layout === 'NCHW';
  const rowStride = nchw ? W : W * C;
  const pixStride = nchw ? 1 : C;
  // Source channel k (R, G, B) lands in output channel outOf[k].
  const outOf = spec.color === 'BGR' ? [2, 1, 0] : spec.color === 'RGB' ? [0, 1, 2] : [0];
  const sink: Sink = {
    out,
    rowStride,
    pixStride,
    base: outOf.map((c) => (nchw ? c * W * H : c) + cy * rowStride + cx * pixStride),
    mul: outOf.map((c) => math.mul[c]),
    add: outOf.map((c) => math.add[c]),
  };
  return { sink, shape: nchw ? [C, H, W] : [H, W, C] };
}

// Float16Array (where the runtime has it: Bun, Deno, recent V8) converts in bulk ~4x faster
// than toHalfBits per element; both round to nearest even.
const Float16: { new (src: ArrayLike<number>): { buffer: ArrayBufferLike } } | undefined = (
  globalThis as unknown as { Float16Array?: { new (src: ArrayLike<number>): { buffer: ArrayBufferLike } } }
).Float16Array;

export function convert(f: Float32Array, dtype: TensorDtype): PackedData {
  switch (dtype) {
    case 'UINT8': {
      // Element-wise stores into a clamped array (round half to even, saturate): in JSC ~2x
      // faster than Uint8ClampedArray.prototype.set(Float32Array).
      const u = new Uint8ClampedArray(f.length);
      for (let i = 0; i < f.length; i++) u[i] = f[i];
      return new Uint8Array(u.buffer);
    }
    case 'INT8': {
      const i8 = new Int8Array(f.length);
      for (let i = 0; i < f.length; i++) {
        const v = Math.round(f[i]);
        i8[i] = v < -128 ? -128 : v > 127 ? 127 : v;
      }
      return i8;
    }
    case 'FP16': {
      if (Float16) return new Uint16Array(new Float16(f).buffer);
      const h = new Uint16Array(f.length);
      for (let i = 0; i < f.length; i++) h[i] = toHalfBits(f[i]);
      return h;
    }
    default:
      return f; // FP32
  }
}
