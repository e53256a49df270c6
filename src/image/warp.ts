// Affine warps of an RGBA image into a model's input layout, and the transforms they use: the
// exact affine through 3 point pairs (OpenCV's getAffineTransform) and the least-squares
// similarity through n pairs (Umeyama, no reflection; what skimage's SimilarityTransform and
// ArcFace's alignment compute). Face alignment maps a face's 5 points onto the recognizer's
// reference points with one of these and samples the aligned face with warpAffine().
//
// Written here rather than taken from a library: no maintained npm package does a bilinear
// warpAffine straight into a normalised NCHW/NHWC tensor on every runtime (Workers included),
// and the sampling must match OpenCV's cv.warpAffine (pixel centres at integer coordinates,
// bilinear, constant 0 outside the image), which is what the face models' own code runs.
// Pure pixel code: no runtime APIs.

import type { ImagePreprocessing } from '../core/model-config.ts';
import { type PackedData, type TensorDtype, channelMath, convert, tensorLayout } from './pack.ts';
import type { RawImage } from './raw-image.ts';
import { ALPHA_BACKGROUND, type Sink } from './resample.ts';

/** x' = a*x + b*y + c, y' = d*x + e*y + f */
export type Affine = [a: number, b: number, c: number, d: number, e: number, f: number];
export type Point = [number, number];

export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('affine transform is not invertible');
  const ia = e / det,
    ib = -b / det,
    id = -d / det,
    ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** The affine map taking src[i] to dst[i] for three point pairs (cv.getAffineTransform). */
export function affineFrom3(src: readonly Point[], dst: readonly Point[]): Affine {
  if (src.length < 3 || dst.length < 3) throw new RangeError('affineFrom3 needs 3 point pairs');
  // Solve [x y 1] [a b c]ᵀ = x' (and the same for y') by Cramer's rule.
  const [[x0, y0], [x1, y1], [x2, y2]] = src;
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  if (Math.abs(det) < 1e-9) throw new RangeError('affineFrom3: the three source points are collinear');
  const solve = (u0: number, u1: number, u2: number): [number, number, number] => [
    (u0 * (y1 - y2) - y0 * (u1 - u2) + (u1 * y2 - u2 * y1)) / det,
    (x0 * (u1 - u2) - u0 * (x1 - x2) + (x1 * u2 - x2 * u1)) / det,
    (x0 * (y1 * u2 - y2 * u1) - y0 * (x1 * u2 - x2 * u1) + u0 * (x1 * y2 - x2 * y1)) / det,
  ];
  const [a, b, c] = solve(dst[0][0], dst[1][0], dst[2][0]);
  const [d, e, f] = solve(dst[0][1], dst[1][1], dst[2][1]);
  return [a, b, c, d, e, f];
}

/**
 * The similarity (rotation, uniform scale, translation; no reflection or shear) that maps src
 * onto dst with the least squared error over all pairs (Umeyama 1991, as skimage's
 * SimilarityTransform.estimate). In 2-D it has a closed form: with centred points,
 * s·R = [[p, -q], [q, p]], p = Σ(x·x' + y·y') / Σ|x|², q = Σ(x·y' - y·x') / Σ|x|².
 */
export function similarityFrom(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new RangeError('similarityFrom needs at least 2 point pairs of equal count');
  let sx = 0,
    sy = 0,
    dx = 0,
    dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i][0];
    sy += src[i][1];
    dx += dst[i][0];
    dy += dst[i][1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let p = 0,
    q = 0,
    norm = 0;
  for (let i = 0; i < n; i++) {
    const x = src[i][0] - sx,
      y = src[i][1] - sy;
    const u = dst[i][0] - dx,
      v = dst[i][1] - dy;
    p += x * u + y * v;
    q += x * v - y * u;
    norm += x * x + y * y;
  }
  if (!(norm > 1e-12)) throw new RangeError('similarityFrom: the source points coincide');
  p /= norm;
  q /= norm;
  return [p, -q, dx - (p * sx - q * sy), q, p, dy - (q * sx + p * sy)];
}

export interface WarpOptions {
  /** Round each sampled channel to a whole level before normalising: the 8-bit image that
   *  OpenCV's resize/warpAffine hand the face models' own code (a model fed raw 0-255 may move
   *  with sub-level differences: fr_liveness does, README "Liveness"). */
  round?: boolean;
  /** Sample only inside this rectangle ([x1, y1, x2, y2] pixel edges, original pixels):
   *  coordinates are clamped to its first and last pixel centres, as cv.resize treats a ROI
   *  (its edge pixels repeat; nothing outside it is read). */
  within?: readonly [number, number, number, number];
}

/**
 * Samples `img` at the source position of every output pixel (dst → src map `toSrc`, in
 * ORIGINAL upright pixel coordinates with pixel centres at integers, as OpenCV's warpAffine
 * with WARP_INVERSE_MAP) and stores R, G, B (or BT.601 luma with `gray`) through `sink`'s
 * normalisation and layout. Bilinear; taps outside the image are 0 (cv.BORDER_CONSTANT);
 * translucent pixels are composited over white as everywhere else. The image may have been
 * decoded smaller than its original size (RawImage.width < originalWidth): the map is scaled.
 */
export function warpAffine(img: RawImage, toSrc: Affine, width: number, height: number, gray: boolean, sink: Sink, opts: WarpOptions = {}): void {
  const fx = img.width / img.originalWidth;
  const fy = img.height / img.originalHeight;
  // Pixel centres: original centre u+0.5 ↦ decoded centre (u+0.5)·f - 0.5.
  const m: Affine = [toSrc[0] * fx, toSrc[1] * fx, (toSrc[2] + 0.5) * fx - 0.5, toSrc[3] * fy, toSrc[4] * fy, (toSrc[5] + 0.5) * fy - 0.5];
  // `within`'s first and last pixel centres, in decoded pixels.
  const w = opts.within;
  const lim = w && [(w[0] + 0.5) * fx - 0.5, (w[1] + 0.5) * fy - 0.5, (w[2] - 0.5) * fx - 0.5, (w[3] - 0.5) * fy - 0.5];
  const round = opts.round === true;
  const W = img.width,
    H = img.height,
    d = img.data;
  const opaque = img.opaque === true;
  const bg = ALPHA_BACKGROUND;
  const { out, rowStride, pixStride, base, mul, add } = sink;
  if (opaque && !gray) {
    warpOpaqueRgb(d, W, H, m, lim, round, width, height, sink);
    return;
  }
  const px = new Float64Array(3);
  const tap = (x: number, y: number, w: number) => {
    if (w === 0 || x < 0 || y < 0 || x >= W || y >= H) return;
    const o = (y * W + x) * 4;
    if (opaque) {
      px[0] += w * d[o];
      px[1] += w * d[o + 1];
      px[2] += w * d[o + 2];
    } else {
      const a = d[o + 3] / 255;
      const b = (1 - a) * bg;
      px[0] += w * (d[o] * a + b);
      px[1] += w * (d[o + 1] * a + b);
      px[2] += w * (d[o + 2] * a + b);
    }
  };
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let sx = m[0] * i + m[1] * j + m[2];
      let sy = m[3] * i + m[4] * j + m[5];
      if (lim) {
        sx = sx < lim[0] ? lim[0] : sx > lim[2] ? lim[2] : sx;
        sy = sy < lim[1] ? lim[1] : sy > lim[3] ? lim[3] : sy;
      }
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy);
      const ax = sx - x0,
        ay = sy - y0;
      px[0] = 0;
      px[1] = 0;
      px[2] = 0;
      if (x0 >= -1 && y0 >= -1 && x0 < W && y0 < H) {
        tap(x0, y0, (1 - ax) * (1 - ay));
        tap(x0 + 1, y0, ax * (1 - ay));
        tap(x0, y0 + 1, (1 - ax) * ay);
        tap(x0 + 1, y0 + 1, ax * ay);
      }
      if (round) {
        px[0] = Math.round(px[0]);
        px[1] = Math.round(px[1]);
        px[2] = Math.round(px[2]);
      }
      const p = j * rowStride + i * pixStride;
      if (gray) {
        const v = 0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2];
        out[base[0] + p] = v * mul[0] + add[0];
      } else {
        out[base[0] + p] = px[0] * mul[0] + add[0];
        out[base[1] + p] = px[1] * mul[1] + add[1];
        out[base[2] + p] = px[2] * mul[2] + add[2];
      }
    }
  }
}

/**
 * warpAffine() for an opaque image into R, G, B: the face job's common case (every aligned face
 * of a JPEG), with the four taps inlined and the sums in locals rather than a closure and an
 * array per tap. Same taps, weights and order of additions as the general loop, so the same
 * values to the last bit (warp.test.ts compares them).
 */
function warpOpaqueRgb(
  d: Uint8Array | Uint8ClampedArray,
  W: number,
  H: number,
  m: Affine,
  lim: number[] | undefined,
  round: boolean,
  width: number,
  height: number,
  sink: Sink,
): void {
  const { out, rowStride, pixStride, base, mul, add } = sink;
  const [b0, b1, b2] = base,
    [m0, m1, m2] = mul,
    [a0, a1, a2] = add;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let sx = m[0] * i + m[1] * j + m[2];
      let sy = m[3] * i + m[4] * j + m[5];
      if (lim) {
        sx = sx < lim[0] ? lim[0] : sx > lim[2] ? lim[2] : sx;
        sy = sy < lim[1] ? lim[1] : sy > lim[3] ? lim[3] : sy;
      }
      const x0 = Math.floor(sx),
        y0 = Math.floor(sy);
      const ax = sx - x0,
        ay = sy - y0;
      let r = 0,
        g = 0,
        b = 0;
      if (x0 >= -1 && y0 >= -1 && x0 < W && y0 < H) {
        const x1 = x0 + 1,
          y1 = y0 + 1;
        const inX0 = x0 >= 0,
          inX1 = x1 < W,
          inY0 = y0 >= 0,
          inY1 = y1 < H;
        let w = (1 - ax) * (1 - ay);
        if (w !== 0 && inX0 && inY0) {
          const o = (y0 * W + x0) * 4;
          r += w * d[o];
          g += w * d[o + 1];
          b += w * d[o + 2];
        }
        w = ax * (1 - ay);
        if (w !== 0 && inX1 && inY0) {
          const o = (y0 * W + x1) * 4;
          r += w * d[o];
          g += w * d[o + 1];
          b += w * d[o + 2];
        }
        w = (1 - ax) * ay;
        if (w !== 0 && inX0 && inY1) {
          const o = (y1 * W + x0) * 4;
          r += w * d[o];
          g += w * d[o + 1];
          b += w * d[o + 2];
        }
        w = ax * ay;
        if (w !== 0 && inX1 && inY1) {
          const o = (y1 * W + x1) * 4;
          r += w * d[o];
          g += w * d[o + 1];
          b += w * d[o + 2];
        }
      }
      if (round) {
        r = Math.round(r);
        g = Math.round(g);
        b = Math.round(b);
      }
      const p = j * rowStride + i * pixStride;
      out[b0 + p] = r * m0 + a0;
      out[b1 + p] = g * m1 + a1;
      out[b2 + p] = b * m2 + a2;
    }
  }
}

/** warpAffine() into a model input laid out as `spec` says (size, colour, normalisation,
 *  layout, dtype): the aligned-face counterpart of preprocess(). */
export function warpToTensor(
  img: RawImage,
  toSrc: Affine,
  spec: ImagePreprocessing,
  opts?: WarpOptions,
): { data: PackedData; datatype: TensorDtype; shape: number[] } {
  const gray = spec.color === 'GRAY';
  const math = channelMath(spec, gray ? 1 : 3);
  const { sink, shape } = tensorLayout(spec, math, [0, 0, spec.width, spec.height]);
  warpAffine(img, toSrc, spec.width, spec.height, gray, sink, opts);
  return { data: convert(sink.out, spec.dtype), datatype: spec.dtype, shape };
}
