// EXIF orientation applied to RGBA pixels (pure TS), for decoders whose codec ignores it.
// Each orientation is a walk over the stored image with a start index and two strides, so
// one loop (one 32-bit load and store per pixel) covers all eight cases.

import type { Orientation } from './probe/exif.ts';

export interface Pixels {
  width: number;
  height: number;
  /** RGBA8, row-major. */
  data: Uint8Array;
}

/** Stored pixel index = base + x * stepX + y * stepY for upright pixel (x, y). */
function walk(o: Orientation, w: number, h: number): [base: number, stepX: number, stepY: number] {
  switch (o) {
    case 1:
      return [0, 1, w];
    case 2:
      return [w - 1, -1, w]; // mirrored horizontally
    case 3:
      return [(h - 1) * w + w - 1, -1, -w]; // rotated 180°
    case 4:
      return [(h - 1) * w, 1, -w]; // mirrored vertically
    case 5:
      return [0, w, 1]; // transposed
    case 6:
      return [(h - 1) * w, -w, 1]; // stored rotated 90° counter-clockwise: turn clockwise
    case 7:
      return [(h - 1) * w + w - 1, -w, -1]; // transversed
    case 8:
      return [w - 1, w, -1]; // stored rotated 90° clockwise: turn counter-clockwise
  }
}

/** The upright image. Orientation 1 returns the input itself (no copy). */
export function applyOrientation(img: Pixels, o: Orientation): Pixels {
  if (o === 1) return img;
  const { width: w, height: h } = img;
  const [outW, outH] = o >= 5 ? [h, w] : [w, h];
  const src = as32(img.data);
  const out = new Uint8Array(w * h * 4);
  const dst = new Uint32Array(out.buffer);
  const [base, stepX, stepY] = walk(o, w, h);
  let d = 0;
  for (let y = 0; y < outH; y++) {
    let s = base + y * stepY;
    for (let x = 0; x < outW; x++, s += stepX) dst[d++] = src[s];
  }
  return { width: outW, height: outH, data: out };
}

/** The orientation that undoes `o` (6 and 8 swap; the others are their own inverse). */
export function inverseOrientation(o: Orientation): Orientation {
  return o === 6 ? 8 : o === 8 ? 6 : o;
}

function as32(b: Uint8Array): Uint32Array {
  // A Uint32Array view needs 4-byte alignment; decoders' buffers are fresh, so this rarely copies.
  const a = b.byteOffset % 4 === 0 ? b : b.slice();
  return new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4);
}
