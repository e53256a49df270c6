// Test support: synthetic pictures and encoders for them. Encoding uses @napi-rs/canvas (a
// dependency anyway), so these helpers run on Bun/Node/Deno only, never in a Worker.

import { createCanvas, ImageData, loadImage } from '@napi-rs/canvas';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES + name));
}

/** A smooth, asymmetric RGBA picture (every flip and rotation of it looks different). */
export function gradient(width: number, height: number): Uint8Array {
  const d = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      d[i] = Math.round((255 * x) / (width - 1));
      d[i + 1] = Math.round((255 * y) / (height - 1));
      d[i + 2] = x < width / 4 && y < height / 3 ? 255 : 40; // a block in the top-left corner
      d[i + 3] = 255;
    }
  }
  return d;
}

export async function encodeWithCanvas(rgba: Uint8Array, width: number, height: number, mime: 'jpeg' | 'png' | 'webp', quality = 95): Promise<Uint8Array> {
  const c = createCanvas(width, height);
  c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  const out = mime === 'png' ? await c.encode('png') : await c.encode(mime, quality);
  return new Uint8Array(out);
}

/** A width x height JPEG (q90) made by upscaling astronaut.jpg: a stand-in for a phone photo
 *  (12 MP at 4000x3000), generated at run time so no multi-megabyte file is committed. */
export async function bigJpeg(width = 4000, height = 3000): Promise<Uint8Array> {
  const src = await loadImage(fixture('astronaut.jpg'));
  const c = createCanvas(width, height);
  c.getContext('2d').drawImage(src, 0, 0, width, height);
  return new Uint8Array(await c.encode('jpeg', 90));
}

/** `rgba` encoded with a Display P3 colour profile embedded (as iPhone photos carry), to check
 *  that no decoder colour-manages. */
export async function encodeP3Tagged(rgba: Uint8Array, width: number, height: number, mime: 'jpeg' | 'png' | 'webp'): Promise<Uint8Array> {
  const c = createCanvas(width, height);
  const p3 = { colorSpace: 'display-p3' } as const;
  c.getContext('2d', p3).putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height, p3), 0, 0);
  return new Uint8Array(mime === 'png' ? await c.encode('png') : await c.encode(mime, 95));
}
