// Which face of an image is "the" face (embed, verify, enrol, identify without a box): among the
// detections scoring within `margin` of the best score, the one with the largest box. A false
// detection therefore cannot win by size alone (a 0.80 box on a second person's ear is not
// chosen over a 0.99 face, however large), while a large face still beats a tiny one of about
// the same score (a face in a poster behind the subject). Callers who know better pass a box.

import { type Face, area } from './geometry.ts';

/** Index of the chosen face, or -1 when there is none. */
export function chooseFace(faces: readonly Face[], margin: number): number {
  if (faces.length === 0) return -1;
  const top = Math.max(...faces.map((f) => f.score));
  let best = -1;
  for (let i = 0; i < faces.length; i++) {
    if (faces[i].score < top - margin) continue;
    if (best < 0 || area(faces[i].box) > area(faces[best].box)) best = i;
  }
  return best;
}
