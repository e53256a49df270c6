// png-rgba.ts: stored and compressed zlib streams, IDAT split anywhere, all five row filters,
// and refusal of layouts it does not read.

import { describe, expect, test } from 'bun:test';
import { deflateSync } from 'node:zlib';
import { concat, ihdr, PNG_SIGNATURE, pngChunk } from '../testing/png-writer.ts';
import { readRgbaPng } from './png-rgba.ts';

const W = 7,
  H = 6;
const pixels = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i * 37 + (i >> 5) * 11) & 255);

/** Row y filtered with filter y % 5, as an encoder would. */
function filtered(): Uint8Array {
  const s = W * 4;
  const out = new Uint8Array((s + 1) * H);
  for (let y = 0; y < H; y++) {
    const f = y % 5;
    out[y * (s + 1)] = f;
    for (let i = 0; i < s; i++) {
      const x = pixels[y * s + i];
      const a = i >= 4 ? pixels[y * s + i - 4] : 0;
      const b = y > 0 ? pixels[(y - 1) * s + i] : 0;
      const c = i >= 4 && y > 0 ? pixels[(y - 1) * s + i - 4] : 0;
      const e = a + b - c,
        pa = Math.abs(e - a),
        pb = Math.abs(e - b),
        pc = Math.abs(e - c);
      const p = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      out[y * (s + 1) + 1 + i] = (x - p) & 255;
    }
  }
  return out;
}

function png(z: Uint8Array, parts = 1, colorType = 6): Uint8Array {
  const cut = Array.from({ length: parts }, (_, i) => z.subarray(Math.floor((i * z.length) / parts), Math.floor(((i + 1) * z.length) / parts)));
  return concat(PNG_SIGNATURE, ihdr(W, H, 8, colorType), ...cut.map((c) => pngChunk('IDAT', c)), pngChunk('IEND', new Uint8Array(0)));
}

describe('readRgbaPng', () => {
  for (const [name, level] of [
    ['stored blocks', 0],
    ['compressed', 9],
  ] as const) {
    for (const parts of [1, 3]) {
      test(`${name}, ${parts} IDAT chunk(s), every row filter`, async () => {
        const z = deflateSync(filtered(), { level });
        if (level === 0) expect(z[2] & 0x06).toBe(0); // really stored
        const img = await readRgbaPng(png(z, parts));
        expect([img.width, img.height]).toEqual([W, H]);
        expect(Array.from(img.data)).toEqual(Array.from(pixels));
      });
    }
  }
  test('many small stored blocks', async () => {
    const raw = filtered();
    // Hand-built zlib stream: 10-byte stored blocks (the reader must cross rows mid-block).
    const blocks: number[] = [0x78, 0x01];
    for (let o = 0; o < raw.length; o += 10) {
      const n = Math.min(10, raw.length - o);
      blocks.push(o + n >= raw.length ? 1 : 0, n & 255, n >> 8, ~n & 255, (~n >> 8) & 255, ...raw.subarray(o, o + n));
    }
    blocks.push(0, 0, 0, 0); // adler32, not checked
    expect(Array.from((await readRgbaPng(png(new Uint8Array(blocks)))).data)).toEqual(Array.from(pixels));
  });
  test('refuses other layouts and short data', async () => {
    await expect(readRgbaPng(png(deflateSync(filtered()), 1, 2))).rejects.toThrow(/colour type 2/);
    await expect(readRgbaPng(png(deflateSync(filtered().subarray(0, 40), { level: 0 })))).rejects.toThrow(/short/);
    await expect(readRgbaPng(new Uint8Array(40))).rejects.toThrow(/not a PNG/);
  });
});
