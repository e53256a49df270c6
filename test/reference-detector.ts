// An independent reference for the face detector, for tests: Skia (drawImage) resizes the photo,
// onnxruntime-node runs fr_detect.onnx directly, and a plain loop decodes and suppresses boxes.
// Shares no code with edgeserve's image/, engine/ or tasks/ modules. The face models' own package
// (its lib/*.js with its opencv.js) is run as a reference for every stage in face-reference.test.ts.

import { createCanvas, loadImage } from '@napi-rs/canvas';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { MODELS } from './helpers.ts';

let session: Promise<ort.InferenceSession> | undefined;

export async function referenceDetect(bytes: Uint8Array, threshold = 0.7): Promise<{ boxes: number[][]; width: number; height: number }> {
  session ??= ort.InferenceSession.create(join(MODELS, 'face_detect', '1', 'model.onnx'));
  const img = await loadImage(Buffer.from(bytes));
  const c = createCanvas(320, 240);
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0, 320, 240);
  const px = g.getImageData(0, 0, 320, 240).data;
  const x = new Float32Array(3 * 240 * 320);
  for (let i = 0; i < 240 * 320; i++) for (let ch = 0; ch < 3; ch++) x[ch * 240 * 320 + i] = (px[i * 4 + ch] - 127) / 128;
  const out = await (await session).run({ input: new ort.Tensor('float32', x, [1, 3, 240, 320]) });
  const scores = out.scores.data as Float32Array;
  const boxes = out.boxes.data as Float32Array;
  const cand: Array<{ b: number[]; s: number }> = [];
  for (let i = 0; i < scores.length / 2; i++) {
    if (scores[i * 2 + 1] >= threshold) {
      cand.push({
        b: [boxes[i * 4] * img.width, boxes[i * 4 + 1] * img.height, boxes[i * 4 + 2] * img.width, boxes[i * 4 + 3] * img.height],
        s: scores[i * 2 + 1],
      });
    }
  }
  cand.sort((a, b) => b.s - a.s);
  const kept: number[][] = [];
  for (const c of cand) if (kept.every((k) => iou(k, c.b) <= 0.3)) kept.push(c.b);
  return { boxes: kept, width: img.width, height: img.height };
}

export function iou(a: number[], b: number[]): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const i = w * h;
  return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i);
}
