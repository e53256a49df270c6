// Where fr_eye looks, as the package's lib/fr_eye.js getEyeBBox computes it
// (faceplugin-face-recognition-js@0.0.1), in original-image pixels: per eye a square centred on
// the mean of its upper and lower lid points (68-landmark points 37, 38, 40, 41 for the eye on
// the image's left, i.e. the subject's right eye; 43, 44, 46, 47 for the other), its side the
// eye's corner-to-corner width (points 36→39, 42→45) times 1.6, its top-left corner clamped to
// the image and its side shrunk so it ends inside. Like the JS: landmarks, centre, side and
// corner are whole pixels (its parseInt truncates; its landmarks come truncated from
// fr_landmark.js). Unlike the JS: a side is at least 1 px (an eye squeezed to nothing at the
// image edge would be an empty cv.roi there).
//
// The crop is then resized to 24x24 gray, /255 (models/face_eye/config.json image), and the
// model's 2 logits go through a softmax; which class means "open" is config (face.eyes.open_class).
// Gray is BT.601 luma, as for face_landmark. The JS applies COLOR_BGR2GRAY to an RGBA canvas,
// which swaps the R and B weights; on the fixtures luma scored open eyes as open or more so
// (astronaut.jpg's image-right eye 0.46 against 0.22, grace_hopper.jpg's left 0.999 against 0.97).

import type { Box } from '../../image/geometry.ts';

/** The two eye squares [x1, y1, x2, y2] (image-left eye first) for 68 landmarks [x0, y0, …]. */
export function eyeCrops(landmarks: ArrayLike<number>, width: number, height: number, padding = 1.6): [Box, Box] {
  if (landmarks.length < 136) throw new RangeError(`eyeCrops needs 68 landmarks (136 numbers), got ${landmarks.length}`);
  const x = (i: number) => Math.trunc(landmarks[2 * i]);
  const y = (i: number) => Math.trunc(landmarks[2 * i + 1]);
  const one = (lids: number[], corner1: number, corner2: number): Box => {
    const cx = Math.trunc(lids.reduce((s, i) => s + x(i), 0) / lids.length);
    const cy = Math.trunc(lids.reduce((s, i) => s + y(i), 0) / lids.length);
    let size = Math.trunc((x(corner2) - x(corner1)) * padding);
    const left = Math.max(0, Math.trunc(cx - size / 2));
    const top = Math.max(0, Math.trunc(cy - size / 2));
    if (left + size >= width) size = width - left - 1;
    if (top + size >= height) size = height - top - 1;
    size = Math.max(1, size);
    // Past the last column/row only when the eye is squeezed against the image's far edge.
    const l = Math.min(left, width - 1),
      t = Math.min(top, height - 1);
    return [l, t, l + size, t + size];
  };
  return [one([37, 38, 40, 41], 36, 39), one([43, 44, 46, 47], 42, 45)];
}
