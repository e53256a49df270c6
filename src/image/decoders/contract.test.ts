// Contract suite for every ImageDecoder: the same inputs must give the same upright pixels
// (within codec rounding) and the same error codes, on the native (canvas), WASM (jsquash)
// and Bun.Image (in front of canvas + turbo-jpeg) implementations alike. The Bun.Image decoder
// must moreover give exactly the native path's bytes: its whole reason to exist is speed.

import { describe, expect, test } from 'bun:test';
import { ImagePreprocessing } from '../../core/model-config.ts';
import { EdgeError, type ErrorCode } from '../../core/errors.ts';
import type { ImageDecoder } from '../decoder.ts';
import { applyOrientation, inverseOrientation } from '../orient.ts';
import type { Orientation } from '../probe.ts';
import { preprocess } from '../preprocess.ts';
import type { RawImage } from '../raw-image.ts';
import { withJpegExif, withPngExif, withWebpExif } from '../testing/exif-writer.ts';
import { bigJpeg, encodeP3Tagged, encodeWithCanvas, fixture, gradient } from '../testing/images.ts';
import { encodePng, pngHeaderOnly, type PngSpec } from '../testing/png-writer.ts';
import { skiaDecoder } from '../../runtime/native-image.ts';
import { withBunImage } from './bun-image.ts';
import { createCanvasDecoder } from './canvas.ts';
import { createJsquashDecoder } from './jsquash.ts';
import { nodeJsquashWasm } from '../../runtime/jsquash-wasm.ts';

const native = skiaDecoder(); // canvas + turbo-jpeg, what Node and Deno serve with
const bunImage = withBunImage(native, Bun.Image);
const decoders: ImageDecoder[] = [createCanvasDecoder(), createJsquashDecoder(nodeJsquashWasm()), bunImage];
const FIXTURES = ['astronaut.jpg', 'astronaut.png', 'astronaut_exif6.jpg', 'camera.png', 'chelsea.png', 'coffee.png', 'coffee.webp', 'hubble_deep_field.jpg'];

/** Mean absolute difference per byte. */
function mad(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

async function errorCode(p: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    if (!(e instanceof EdgeError)) throw e; // anything else is a contract violation
    return e.code;
  }
}

describe('all decoders agree on every fixture', () => {
  for (const f of FIXTURES) {
    test(f, async () => {
      const [a, ...others] = await Promise.all(decoders.map((d) => d.decode(fixture(f))));
      expect([a.originalWidth, a.originalHeight]).toEqual([a.width, a.height]);
      for (const [i, b] of others.entries()) {
        expect([b.width, b.height]).toEqual([a.width, a.height]);
        expect([b.originalWidth, b.originalHeight]).toEqual([b.width, b.height]);
        const diff = mad(a.data, b.data);
        if (process.env.SHOW_DIFF) console.log(`${f}: mean |canvas - ${decoders[i + 1].name}| = ${diff.toFixed(3)} levels`);
        expect(diff).toBeLessThan(2);
      }
    });
  }
});

describe("the Bun.Image decoder returns exactly the native path's bytes", () => {
  const same = async (bytes: Uint8Array, opts?: { targetWidth: number; targetHeight: number; reducingGap?: number }) => {
    const [a, b] = await Promise.all([native.decode(bytes, opts), bunImage.decode(bytes, opts)]);
    expect([b.width, b.height, b.originalWidth, b.originalHeight, b.opaque]).toEqual([a.width, a.height, a.originalWidth, a.originalHeight, a.opaque]);
    expect(Buffer.compare(Buffer.from(b.data), Buffer.from(a.data))).toBe(0);
    return b;
  };
  for (const f of FIXTURES)
    test(`${f}, full size and hinted to 320x240`, async () => {
      await same(fixture(f));
      await same(fixture(f), { targetWidth: 320, targetHeight: 240 });
    });
  test('DCT-scaled JPEG decodes at 1/8, 2/8, 3/8 and 4/8, with EXIF orientation', async () => {
    const jpeg = await bigJpeg(2000, 1500);
    for (const [tw, th, w] of [
      [100, 75, 250],
      [200, 150, 500],
      [300, 225, 750],
      [500, 375, 1000],
    ] as const) {
      expect((await same(jpeg, { targetWidth: tw, targetHeight: th })).width).toBe(w);
    }
    expect((await same(jpeg, { targetWidth: 320, targetHeight: 240, reducingGap: 1 })).width).toBe(500); // 2/8, not 3/8
    const rotated = await same(withJpegExif(await bigJpeg(1600, 1200), 6), { targetWidth: 200, targetHeight: 150 });
    expect([rotated.width, rotated.height, rotated.originalWidth]).toEqual([450, 600, 1200]);
  });
  test('a hint that needs a drawn (non-DCT) downscale is left to the native path', async () => {
    await same(await bigJpeg(1000, 750), { targetWidth: 320, targetHeight: 240 });
  });
});

describe('no colour management: an ICC-tagged (Display P3) image decodes to its stored values', () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    test(format, async () => {
      const up = gradient(64, 48);
      const tagged = await encodeP3Tagged(up, 64, 48, format);
      const latin1 = new TextDecoder('latin1').decode(tagged);
      expect(/ICC_PROFILE|iCCP|ICCP/.test(latin1)).toBe(true); // the test image does carry a profile
      const [a, b] = await Promise.all(decoders.map((d) => d.decode(tagged)));
      expect(mad(a.data, b.data)).toBeLessThan(1);
      expect(mad(a.data, up)).toBeLessThan(3);
    });
  }
});

for (const dec of decoders) {
  describe(`${dec.name} decoder`, () => {
    test('astronaut_exif6.jpg comes out upright, like astronaut.jpg', async () => {
      const upright = await dec.decode(fixture('astronaut.jpg'));
      const rotated = await dec.decode(fixture('astronaut_exif6.jpg'));
      expect(mad(rotated.data, upright.data)).toBeLessThan(2);
      // …and not merely because the picture looks alike in any orientation.
      const sideways = applyOrientation(rotated, 8);
      expect(mad(sideways.data, upright.data)).toBeGreaterThan(20);
    });

    for (const format of ['jpeg', 'png', 'webp'] as const) {
      test(`all eight EXIF orientations (${format})`, async () => {
        const W = 48,
          H = 32;
        const up = gradient(W, H);
        for (let o = 1 as Orientation; o <= 8; o++) {
          const stored = applyOrientation({ width: W, height: H, data: up }, inverseOrientation(o));
          const enc = await encodeWithCanvas(stored.data, stored.width, stored.height, format, 95);
          const tagged = format === 'jpeg' ? withJpegExif(enc, o) : format === 'png' ? withPngExif(enc, o) : withWebpExif(enc, o, stored.width, stored.height);
          const img = await dec.decode(tagged);
          expect([img.width, img.height, img.originalWidth, img.originalHeight]).toEqual([W, H, W, H]);
          expect(mad(img.data, up)).toBeLessThan(3);
        }
      });
    }

    describe('PNG colour types and bit depths decode to 8-bit RGBA', () => {
      const W = 5,
        H = 3,
        N = W * H;
      const v8 = Array.from({ length: N }, (_, i) => (i * 17) % 256);
      const cases: Array<[string, PngSpec, (i: number) => number[]]> = [
        ['gray 8', { width: W, height: H, colorType: 0, bitDepth: 8, samples: v8 }, (i) => [v8[i], v8[i], v8[i], 255]],
        ['gray 16', { width: W, height: H, colorType: 0, bitDepth: 16, samples: v8.map((v) => v * 257) }, (i) => [v8[i], v8[i], v8[i], 255]],
        [
          'gray 1',
          { width: W, height: H, colorType: 0, bitDepth: 1, samples: v8.map((v) => v & 1) },
          (i) =>
            Array(3)
              .fill((v8[i] & 1) * 255)
              .concat(255),
        ],
        [
          'gray 4',
          { width: W, height: H, colorType: 0, bitDepth: 4, samples: v8.map((v) => v >> 4) },
          (i) =>
            Array(3)
              .fill((v8[i] >> 4) * 17)
              .concat(255),
        ],
        [
          'rgb 16',
          { width: W, height: H, colorType: 2, bitDepth: 16, samples: v8.flatMap((v) => [v * 257, (255 - v) * 257, 128 * 257]) },
          (i) => [v8[i], 255 - v8[i], 128, 255],
        ],
        [
          'palette 4 + tRNS',
          {
            width: W,
            height: H,
            colorType: 3,
            bitDepth: 4,
            samples: v8.map((_, i) => i % 3),
            palette: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255]),
            trns: new Uint8Array([255, 0, 255]),
          },
          (i) =>
            [
              [255, 0, 0, 255],
              [255, 255, 255, 0],
              [0, 0, 255, 255],
            ][i % 3],
        ],
        [
          'gray + alpha 8',
          { width: W, height: H, colorType: 4, bitDepth: 8, samples: v8.flatMap((v) => [v, 255 - v]) },
          (i) => [v8[i], v8[i], v8[i], 255 - v8[i]],
        ],
        [
          'rgba 16',
          { width: W, height: H, colorType: 6, bitDepth: 16, samples: v8.flatMap((v) => [v * 257, 0, 65535, 65535 - v * 257]) },
          (i) => [v8[i], 0, 255, 255 - v8[i]],
        ],
      ];
      for (const [name, s, want] of cases) {
        test(name, async () => {
          const img = await dec.decode(encodePng(s));
          expect([img.width, img.height]).toEqual([W, H]);
          // Compare what a model sees: composited over white (canvas keeps premultiplied
          // pixels, so RGB under low alpha is only approximately recoverable).
          const seen = (px: ArrayLike<number>) => [0, 1, 2].map((c) => px[c] * (px[3] / 255) + 255 - px[3]).concat(px[3]);
          for (let i = 0; i < N; i++) {
            const got = seen(img.data.subarray(i * 4, i * 4 + 4));
            const exp = seen(want(i));
            for (let c = 0; c < 4; c++) expect(Math.abs(got[c] - exp[c])).toBeLessThanOrEqual(1);
          }
        });
      }
    });

    describe('bad input → the right EdgeError, never a crash', () => {
      const jpg = fixture('astronaut.jpg');
      test('truncated JPEG (first half) → UNPROCESSABLE', async () => {
        expect(await errorCode(dec.decode(jpg.subarray(0, jpg.length >> 1)))).toBe('UNPROCESSABLE');
      });
      test('zero bytes → UNSUPPORTED_MEDIA', async () => {
        expect(await errorCode(dec.decode(new Uint8Array(0)))).toBe('UNSUPPORTED_MEDIA');
      });
      test('a text file → UNSUPPORTED_MEDIA', async () => {
        expect(await errorCode(dec.decode(new TextEncoder().encode('just some text, not a picture\n')))).toBe('UNSUPPORTED_MEDIA');
      });
      test('a 50000x50000 PNG header → PAYLOAD_TOO_LARGE', async () => {
        expect(await errorCode(dec.decode(pngHeaderOnly(50000, 50000)))).toBe('PAYLOAD_TOO_LARGE');
      });
      test('maxPixels applies', async () => {
        expect(await errorCode(dec.decode(jpg, { maxPixels: 100_000 }))).toBe('PAYLOAD_TOO_LARGE');
      });
      test('truncated PNG and WebP → UNPROCESSABLE', async () => {
        for (const f of ['coffee.png', 'coffee.webp']) {
          const b = fixture(f);
          expect(await errorCode(dec.decode(b.subarray(0, b.length >> 1)))).toBe('UNPROCESSABLE');
        }
      });
      test('complete files with corrupt data → decoded or UNPROCESSABLE; the decoder keeps working', async () => {
        const png = encodePng({ width: 16, height: 16, colorType: 2, bitDepth: 8, samples: Array(768).fill(7) });
        const badPng = png.slice();
        badPng.fill(0xaa, 45, 60); // inside the IDAT's zlib stream; chunk structure intact
        const badJpg = jpg.slice();
        badJpg.fill(0xff, 2000, 2400); // fill bytes in the middle of the scan
        for (const bad of [badPng, badJpg]) expect(['resolved', 'UNPROCESSABLE']).toContain(await errorCode(dec.decode(bad)));
        expect((await dec.decode(jpg)).width).toBe(512);
        expect((await dec.decode(png)).width).toBe(16);
      });
      test('concurrent decodes of good and bad inputs each get their own result', async () => {
        const good = ['astronaut.jpg', 'coffee.webp', 'chelsea.png'].map(fixture);
        const bad = [jpg.subarray(0, 30000), new Uint8Array(0), jpg.slice().fill(0x00, 600, 3000)];
        const all = await Promise.all(
          [...good, ...bad, ...good].map((b) =>
            dec.decode(b).then(
              (r) => r.width,
              (e: EdgeError) => e.code,
            ),
          ),
        );
        expect(all.slice(0, 3)).toEqual([512, 600, 451]);
        expect(all.slice(3, 5)).toEqual(['UNPROCESSABLE', 'UNSUPPORTED_MEDIA']);
        expect([512, 'UNPROCESSABLE']).toContain(all[5]);
        expect(all.slice(6)).toEqual([512, 600, 451]);
      });
      test('random corruption of every fixture format never throws anything but an EdgeError', async () => {
        let seed = 12345;
        const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
        for (const f of ['astronaut.jpg', 'chelsea.png', 'coffee.webp']) {
          const src = fixture(f);
          for (let round = 0; round < 12; round++) {
            const b = src.slice();
            for (let k = 0; k < 1 + round * 3; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
            await errorCode(dec.decode(b)); // throws if the error is not an EdgeError
          }
        }
        expect((await dec.decode(fixture('chelsea.png'))).width).toBe(451);
      });
    });
  });
}

describe('downscale-during-decode hint', () => {
  test('a decoder returns at least 2x the target and the original size; preprocessing matches the full decode', async () => {
    const jpg = await bigJpeg(2000, 1500);
    const s = ImagePreprocessing.parse({ width: 320, height: 240, mean: 127, std: 128 });
    const reference = preprocess(await decoders[1].decode(jpg), s);
    for (const dec of decoders) {
      const img: RawImage = await dec.decode(jpg, { targetWidth: 320, targetHeight: 240 });
      expect([img.originalWidth, img.originalHeight]).toEqual([2000, 1500]);
      expect(img.width).toBeGreaterThanOrEqual(640);
      expect(img.height).toBeGreaterThanOrEqual(480);
      const t = preprocess(img, s);
      expect(t.transform).toEqual(reference.transform);
      let d = 0;
      for (let i = 0; i < t.data.length; i++) d += Math.abs((t.data[i] as number) - (reference.data[i] as number));
      expect((d / t.data.length) * 128).toBeLessThan(1.5); // mean error in 0-255 levels
    }
  });
  test('the downscaled decode is not aliased (a 1-pixel checkerboard shrunk 16x stays grey)', async () => {
    const n = 2048;
    const samples = new Uint8Array(n * n);
    for (let i = 0; i < n * n; i++) samples[i] = ((i % n) + Math.floor(i / n)) % 2 ? 255 : 0;
    const png = encodePng({ width: n, height: n, colorType: 0, bitDepth: 8, samples });
    const s = ImagePreprocessing.parse({ width: 128, height: 128 });
    for (const dec of decoders) {
      const t = preprocess(await dec.decode(png, { targetWidth: 128, targetHeight: 128 }), s);
      for (const v of t.data) expect(Math.abs((v as number) - 127.5)).toBeLessThan(3);
    }
  });
});
