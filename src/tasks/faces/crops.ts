// Where the component models of the face job look, as the package's lib/*.js computes it
// (faceplugin-face-recognition-js@0.0.1), in original-image pixels:
//   landmarks (fr_landmark.js alignLandmarkImage, scale 1.0): the detector box itself;
//   liveness  (fr_liveness.js alignLivenessImage, scale 2.7): the box scaled 2.7x about its
//             centre, shifted back inside the image, at most the image;
//   pose      (fr_pose.js): the box grown by a quarter of its size on each side, clipped.
// Liveness pixels are sampled as fr_liveness.js samples them (resizeMap + warp.ts): cv.resize's
// bilinear without antialiasing, rounded to 8 bits. preprocess()'s area averaging of a crop
// shrunk more than 2x changed the score of the same face by up to 0.58 (grace_hopper.jpg: 0.30
// against the package's 0.88; test/face-reference.test.ts).
// Differences from the JS, on purpose: its parseInt() of a float is Math.trunc here (parseInt
// reads 7.1e-15 as 7 and moves the liveness crop 7 px, possibly out of the image), and the pose
// rectangle is clipped to the image (the JS passes an out-of-image rectangle to cv.roi).

import type { Box } from '../../image/geometry.ts';
import type { Affine } from '../../image/warp.ts';

/** alignLandmarkImage / alignLivenessImage: the box (whole pixels) scaled by `scale` (capped so
 *  it fits the image) about its centre, moved inside the image; [x1, y1, x2, y2] pixel edges. */
export function scaledBoxCrop(box: Box, width: number, height: number, scale: number): Box {
  const x1 = Math.trunc(box[0]),
    y1 = Math.trunc(box[1]);
  const bw = Math.max(1, Math.abs(Math.trunc(box[2]) - x1));
  const bh = Math.max(1, Math.abs(Math.trunc(box[3]) - y1));
  const s = Math.min((height - 1) / bh, (width - 1) / bw, scale);
  const nw = bw * s,
    nh = bh * s;
  const cx = bw / 2 + x1,
    cy = bh / 2 + y1;
  let l = cx - nw / 2,
    t = cy - nh / 2,
    r = cx + nw / 2,
    b = cy + nh / 2;
  if (l < 0) {
    r -= l;
    l = 0;
  }
  if (t < 0) {
    b -= t;
    t = 0;
  }
  if (r > width - 1) {
    l -= r - width + 1;
    r = width - 1;
  }
  if (b > height - 1) {
    t -= b - height + 1;
    b = height - 1;
  }
  const x = Math.max(Math.trunc(l), 0);
  const y = Math.max(Math.trunc(t), 0);
  const w = Math.max(1, Math.min(Math.trunc(r - l), width - 1));
  const h = Math.max(1, Math.min(Math.trunc(b - t), height - 1));
  return [x, y, x + w, y + h];
}

/** cv.resize of the `crop` rectangle (pixel edges) to width x height as a dst → src map with
 *  pixel centres at integers (warp.ts): src = (dst + 0.5) * scale - 0.5 + crop origin. With
 *  warpToTensor's `within: crop` it samples what cv.resize(image.roi(crop), size) does. */
export function resizeMap(crop: Box, width: number, height: number): Affine {
  const sx = (crop[2] - crop[0]) / width,
    sy = (crop[3] - crop[1]) / height;
  return [sx, 0, crop[0] + 0.5 * sx - 0.5, 0, sy, crop[1] + 0.5 * sy - 0.5];
}

/** fr_pose.js: the box (whole pixels) grown by `pad` of its width/height per side, clipped. */
export function paddedBoxCrop(box: Box, width: number, height: number, pad: number): Box {
  const x1 = Math.trunc(box[0]),
    y1 = Math.trunc(box[1]),
    x2 = Math.trunc(box[2]),
    y2 = Math.trunc(box[3]);
  const w = Math.abs(x2 - x1),
    h = Math.abs(y2 - y1);
  const a = Math.max(0, Math.trunc(x1 - w * pad)),
    b = Math.max(0, Math.trunc(y1 - h * pad));
  const c = Math.min(width, Math.trunc(x2 + w * pad)),
    d = Math.min(height, Math.trunc(y2 + h * pad));
  return [a, b, Math.max(c, a + 1), Math.max(d, b + 1)];
}

/** fr_pose.js: softmax over 66 bins of 3 degrees, expectation, * 3 - 99 → degrees. */
export function binnedAngle(logits: ArrayLike<number>): number {
  const p = softmax(logits);
  let e = 0;
  for (let i = 0; i < p.length; i++) e += p[i] * i;
  return e * 3 - 99;
}

export function softmax(v: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) if (v[i] > max) max = v[i];
  const out = new Float64Array(v.length);
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    out[i] = Math.exp(v[i] - max);
    s += out[i];
  }
  for (let i = 0; i < v.length; i++) out[i] /= s;
  return out;
}
