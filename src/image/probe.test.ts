// Header probe: formats, sizes, orientation, alpha, truncation and the error codes that
// protect decoders (bombs, non-images), all without decoding pixels.

import { describe, expect, test } from 'bun:test';
import { EdgeError } from '../core/errors.ts';
import { checkImage, detectFormat, orientedSize, probeImage } from './probe.ts';
import { exifOrientation } from './probe/exif.ts';
import { tiffOrientation, withJpegExif, withPngExif } from './testing/exif-writer.ts';
import { fixture } from './testing/images.ts';
import { concat, encodePng, ihdr, PNG_SIGNATURE, pngChunk, pngHeaderOnly } from './testing/png-writer.ts';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgeError);
    return (e as EdgeError).code;
  }
  return undefined;
}

describe('probeImage on the fixtures', () => {
  const cases: Array<[string, string, number, number, number, boolean]> = [
    ['astronaut.jpg', 'jpeg', 512, 512, 1, false],
    ['astronaut_exif6.jpg', 'jpeg', 512, 512, 6, false],
    ['hubble_deep_field.jpg', 'jpeg', 1000, 872, 1, false],
    ['astronaut.png', 'png', 512, 512, 1, false],
    ['camera.png', 'png', 512, 512, 1, false],
    ['chelsea.png', 'png', 451, 300, 1, false],
    ['coffee.png', 'png', 600, 400, 1, false],
    ['coffee.webp', 'webp', 600, 400, 1, false],
  ];
  for (const [file, format, w, h, o, alpha] of cases) {
    test(file, () => {
      const info = checkImage(fixture(file));
      expect(info).toEqual({ format: format as 'jpeg', width: w, height: h, orientation: o as 1, hasAlpha: alpha, truncated: false, animated: false });
    });
  }
});

describe('format detection', () => {
  test('zero bytes → UNSUPPORTED_MEDIA', () => expect(code(() => probeImage(new Uint8Array(0)))).toBe('UNSUPPORTED_MEDIA'));
  test('text → UNSUPPORTED_MEDIA naming the first bytes', () => {
    const text = new TextEncoder().encode('hello, this is not an image\n');
    expect(code(() => probeImage(text))).toBe('UNSUPPORTED_MEDIA');
    expect(() => probeImage(text)).toThrow(/not a JPEG, PNG or WebP image \(first bytes: 68 65 6c 6c/);
  });
  test('GIF, HEIC, SVG are named', () => {
    expect(() => probeImage(new TextEncoder().encode('GIF89a......'))).toThrow(/GIF images are not supported/);
    expect(() => probeImage(new Uint8Array([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63]))).toThrow(/HEIC\/AVIF/);
    expect(() => probeImage(new TextEncoder().encode('<?xml version="1.0"?><svg/>'))).toThrow(/SVG/);
  });
  test('magic bytes', () => {
    expect(detectFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(detectFormat(PNG_SIGNATURE)).toBe('png');
    expect(detectFormat(new TextEncoder().encode('RIFF\0\0\0\0WEBP'))).toBe('webp');
    expect(detectFormat(new TextEncoder().encode('RIFF\0\0\0\0WAVE'))).toBeUndefined();
  });
});

describe('limits', () => {
  test('a 50000x50000 PNG header is refused before decoding (PAYLOAD_TOO_LARGE)', () => {
    const bomb = pngHeaderOnly(50000, 50000);
    expect(bomb.length).toBeLessThan(100);
    expect(probeImage(bomb)).toMatchObject({ width: 50000, height: 50000 });
    expect(code(() => checkImage(bomb))).toBe('PAYLOAD_TOO_LARGE');
    expect(() => checkImage(bomb)).toThrow('image is 50000x50000 (2500.0 MP); the limit is 50.0 MP');
  });
  test('maxPixels is the stored pixel count', () => {
    expect(code(() => checkImage(fixture('astronaut.jpg'), { maxPixels: 512 * 512 - 1 }))).toBe('PAYLOAD_TOO_LARGE');
    expect(checkImage(fixture('astronaut.jpg'), { maxPixels: 512 * 512 }).width).toBe(512);
  });
});

describe('truncation and corruption', () => {
  test('first half of a JPEG → UNPROCESSABLE (no EOI after the scan)', () => {
    const jpg = fixture('astronaut.jpg');
    const half = jpg.subarray(0, jpg.length >> 1);
    expect(probeImage(half).truncated).toBe(true);
    expect(code(() => checkImage(half))).toBe('UNPROCESSABLE');
    expect(() => checkImage(half)).toThrow(/truncated JPEG/);
  });
  test('a JPEG cut inside its header → UNPROCESSABLE', () => {
    const jpg = fixture('astronaut.jpg');
    for (const n of [3, 10, 100, 300]) expect(code(() => checkImage(jpg.subarray(0, n)))).toBe('UNPROCESSABLE');
  });
  test('a JPEG with bytes after EOI is complete', () => {
    const jpg = concat(fixture('astronaut.jpg'), new TextEncoder().encode('trailer: a motion photo or junk'));
    expect(checkImage(jpg).truncated).toBe(false);
  });
  test('PNG and WebP cut anywhere → UNPROCESSABLE, never another error', () => {
    for (const f of ['coffee.png', 'camera.png', 'coffee.webp']) {
      const b = fixture(f);
      for (const n of [12, 20, 40, 100, b.length >> 1, b.length - 1]) expect(code(() => checkImage(b.subarray(0, n)))).toBe('UNPROCESSABLE');
    }
  });
  test('every prefix of a small JPEG is rejected cleanly or accepted as complete', () => {
    const jpg = fixture('astronaut.jpg').subarray(0, 2000);
    for (let n = 1; n < jpg.length; n += 7) {
      const c = code(() => checkImage(jpg.subarray(0, n)));
      expect(['UNPROCESSABLE', 'UNSUPPORTED_MEDIA']).toContain(c!);
    }
  });
  test('bad IHDR values → UNPROCESSABLE', () => {
    expect(code(() => probeImage(pngHeaderOnly(0, 10)))).toBe('UNPROCESSABLE');
    const badDepth = concat(PNG_SIGNATURE, ihdr(4, 4, 3, 2), pngChunk('IEND', new Uint8Array(0)));
    expect(() => probeImage(badDepth)).toThrow(/colour type 2 with bit depth 3/);
  });
});

describe('EXIF orientation', () => {
  test('big- and little-endian TIFF blocks, with or without the Exif prefix', () => {
    for (let o = 1; o <= 8; o++) {
      expect(exifOrientation(tiffOrientation(o as 1))).toBe(o as 1);
      expect(exifOrientation(tiffOrientation(o as 1, true))).toBe(o as 1);
      expect(exifOrientation(concat(new TextEncoder().encode('Exif\0\0'), tiffOrientation(o as 1)))).toBe(o as 1);
    }
  });
  test('malformed EXIF means "upright", never an error', () => {
    const t = tiffOrientation(6);
    for (let n = 0; n < 22; n++) expect(exifOrientation(t.subarray(0, n))).toBe(1); // entry ends at 22
    const bad = t.slice();
    bad[18] = 9; // orientation out of range
    expect(exifOrientation(bad)).toBe(1);
  });
  test('JPEG APP1 and PNG eXIf; 5-8 swap the upright size', () => {
    const jpg = withJpegExif(fixture('hubble_deep_field.jpg'), 8, true);
    const info = checkImage(jpg);
    expect(info.orientation).toBe(8);
    expect(orientedSize(info)).toEqual({ width: 872, height: 1000 });
    const png = withPngExif(encodePng({ width: 3, height: 2, colorType: 0, bitDepth: 8, samples: [1, 2, 3, 4, 5, 6] }), 3);
    expect(checkImage(png).orientation).toBe(3);
  });
});

describe('WebP headers', () => {
  const riff = (chunk: Uint8Array) => {
    const b = concat(new TextEncoder().encode('RIFF\0\0\0\0WEBP'), chunk, new Uint8Array(20));
    new DataView(b.buffer).setUint32(4, b.length - 8, true);
    return b;
  };
  test('VP8L: 14-bit sizes and the alpha bit', () => {
    const bits = (300 - 1) | ((200 - 1) << 14) | (1 << 28);
    const chunk = concat(new TextEncoder().encode('VP8L\x10\0\0\0'), new Uint8Array([0x2f, bits & 255, (bits >> 8) & 255, (bits >> 16) & 255, bits >>> 24]));
    expect(probeImage(riff(chunk))).toMatchObject({ format: 'webp', width: 300, height: 200, hasAlpha: true });
  });
  test('VP8X: canvas size, alpha and animation flags; animated → UNSUPPORTED_MEDIA', () => {
    const chunk = concat(new TextEncoder().encode('VP8X\x0a\0\0\0'), new Uint8Array([0x12, 0, 0, 0, 0x0f, 0x27, 0, 0x3f, 0x1f, 0]));
    expect(probeImage(riff(chunk))).toMatchObject({ width: 10000, height: 8000, hasAlpha: true, animated: true });
    expect(code(() => checkImage(riff(chunk), { maxPixels: 1e9 }))).toBe('UNSUPPORTED_MEDIA');
  });
  test('RIFF size larger than the data → truncated', () => {
    const b = fixture('coffee.webp');
    expect(probeImage(b.subarray(0, b.length - 10)).truncated).toBe(true);
  });
});
