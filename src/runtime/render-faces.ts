// `?render=png` for face detection: the photo (upright, per EXIF) with the boxes and scores drawn
// on it, encoded as PNG with @napi-rs/canvas. Runs on the HTTP thread, but only when asked for.

import { createCanvas } from '@napi-rs/canvas';
import type { FaceRenderer } from '../http/routes/faces.ts';
import { createCanvasDecoder } from '../image/decoders/canvas.ts';

const decoder = createCanvasDecoder();

export const renderFaces: FaceRenderer = async (image, faces) => {
  const img = await decoder.decode(image);
  const canvas = createCanvas(img.width, img.height);
  const g = canvas.getContext('2d');
  const data = g.createImageData(img.width, img.height);
  data.data.set(img.data);
  g.putImageData(data, 0, 0);
  const sx = img.width / img.originalWidth;
  const sy = img.height / img.originalHeight;
  g.lineWidth = Math.max(2, img.width / 200);
  g.strokeStyle = '#2f6fe4';
  g.fillStyle = '#2f6fe4';
  g.font = `${Math.max(12, Math.round(img.width / 40))}px sans-serif`;
  for (const f of faces) {
    const [x1, y1, x2, y2] = f.box;
    g.strokeRect(x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy);
    g.fillText(`${Math.round(f.score * 100)}%`, x1 * sx, Math.max(12, y1 * sy - 4));
  }
  return new Uint8Array(await canvas.encode('png'));
};
