// Images for the fuzzer: real photos (test/fixtures), small synthetic ones made at start
// (1x1, extreme aspect ratios, every PNG colour type, a large one within the pixel limit), and
// the ways an image arrives broken: cut short, bytes flipped, one format's magic in front of
// another's data, headers claiming huge (or zero) sizes, EXIF oddities (orientation 0, 9,
// 65535, IFD offsets and counts past the end, two EXIF blocks), hostile PNG chunks and JPEG
// segment lengths.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import type { Orientation } from '../../src/image/probe.ts';
import { tiffOrientation, withJpegExif, withPngExif, withWebpExif } from '../../src/image/testing/exif-writer.ts';
import { concat, crc32, encodePng, ihdr, PNG_SIGNATURE, pngChunk, pngHeaderOnly } from '../../src/image/testing/png-writer.ts';
import type { Rng } from './rng.ts';

export interface Corpus {
  /** Images that decode: [name, bytes]. */
  valid: Array<[string, Uint8Array]>;
  /** A photo with one face (the astronaut), for requests meant to succeed. */
  face: Uint8Array;
}

const FIXTURES = join(import.meta.dir, '..', '..', 'test', 'fixtures');

export async function loadCorpus(): Promise<Corpus> {
  const fx = (n: string): [string, Uint8Array] => [n, new Uint8Array(readFileSync(join(FIXTURES, n)))];
  const valid: Array<[string, Uint8Array]> = [fx('astronaut.jpg'), fx('astronaut_exif6.jpg'), fx('coffee.webp'), fx('camera.png')];
  const solid = async (w: number, h: number, mime: 'png' | 'jpeg' | 'webp'): Promise<Uint8Array> => {
    const c = createCanvas(w, h);
    const g = c.getContext('2d');
    g.fillStyle = '#7a8';
    g.fillRect(0, 0, w, h);
    g.fillStyle = '#234';
    g.fillRect(0, 0, Math.max(1, w >> 2), Math.max(1, h >> 2));
    return new Uint8Array(mime === 'png' ? await c.encode('png') : await c.encode(mime, 80));
  };
  for (const [w, h, mime] of [
    [1, 1, 'png'],
    [1, 1, 'jpeg'],
    [3, 3, 'webp'],
    [20000, 1, 'png'],
    [1, 20000, 'png'],
    [4000, 2, 'jpeg'],
    [2000, 1500, 'jpeg'],
  ] as const) {
    valid.push([`${w}x${h}.${mime}`, await solid(w, h, mime)]);
  }
  // PNG layouts: 16-bit RGB, gray, gray+alpha, palette with tRNS, 1-bit.
  const px = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  valid.push(['16bit.png', encodePng({ width: 8, height: 8, colorType: 2, bitDepth: 16, samples: px(8 * 8 * 3, (i) => (i * 997) & 0xffff) })]);
  valid.push(['gray-alpha.png', encodePng({ width: 9, height: 7, colorType: 4, bitDepth: 8, samples: px(9 * 7 * 2, (i) => (i * 37) & 255) })]);
  valid.push([
    'palette.png',
    encodePng({
      width: 5,
      height: 5,
      colorType: 3,
      bitDepth: 4,
      samples: px(25, (i) => i % 3),
      palette: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255]),
      trns: new Uint8Array([0, 128]),
    }),
  ]);
  valid.push(['1bit.png', encodePng({ width: 17, height: 3, colorType: 0, bitDepth: 1, samples: px(51, (i) => i & 1) })]);
  // A transparent picture (alpha composited over white).
  const c = createCanvas(16, 16);
  c.getContext('2d').putImageData(
    new ImageData(
      new Uint8ClampedArray(16 * 16 * 4).map((_, i) => (i % 4 === 3 ? i & 255 : 200)),
      16,
      16,
    ),
    0,
    0,
  );
  valid.push(['alpha.png', new Uint8Array(await c.encode('png'))]);
  return { valid, face: valid[0][1] };
}

type Mutator = (b: Uint8Array, rng: Rng, corpus: Corpus) => Uint8Array;

const copy = (b: Uint8Array) => new Uint8Array(b);

const MUTATORS: Array<[number, string, Mutator]> = [
  [6, 'truncated', (b, rng) => b.subarray(0, rng.chance(0.3) ? rng.int(64) : rng.int(b.length))],
  [
    6,
    'bytes flipped',
    (b, rng) => {
      const o = copy(b);
      const n = rng.range(1, 24);
      for (let i = 0; i < n; i++) o[rng.int(o.length)] = rng.u32() & 255;
      return o;
    },
  ],
  [
    3,
    'header bytes flipped',
    (b, rng) => {
      const o = copy(b);
      for (let i = 0; i < 4; i++) o[rng.int(Math.min(o.length, 64))] = rng.u32() & 255;
      return o;
    },
  ],
  [
    3,
    'wrong magic',
    (b, rng, corpus) => {
      const other = rng.pick(corpus.valid)[1];
      const k = rng.pick([2, 3, 4, 8, 12, 16]);
      return concat(other.subarray(0, k), b.subarray(k));
    },
  ],
  [4, 'huge dimensions', (b, rng) => hugeDimensions(b, rng)],
  [4, 'EXIF oddity', (b, rng) => exifOddity(b, rng)],
  [3, 'hostile PNG chunk', (_, rng, corpus) => hostilePng(rng, corpus)],
  [3, 'hostile JPEG segment', (_, rng, corpus) => hostileJpeg(rng, corpus)],
  [2, 'noise', (_, rng) => rng.bytes(rng.pick([0, 1, 2, 3, 7, 31, 100, 4096]))],
  [
    1,
    'text',
    (_, rng) =>
      new TextEncoder().encode(
        rng.pick(['hello', '<svg xmlns="http://www.w3.org/2000/svg"/>', 'GIF89a', 'BM', 'II*\0', '%PDF-1.4', '\0\0\0\x18ftypheic', '{"image":1}']),
      ),
  ],
  [2, 'doubled', (b) => concat(b, b)],
  [1, 'trailing junk', (b, rng) => concat(b, rng.bytes(rng.range(1, 2000)))],
];

/** A broken variant of `b` (or something unrelated), and what was done to it. */
export function mutateImage(b: Uint8Array, rng: Rng, corpus: Corpus): [string, Uint8Array] {
  const [, name, f] = rng.weighted(MUTATORS.map((m) => [m[0], m] as const));
  return [name, f(b, rng, corpus)];
}

const BIG = [0, 1, 65535, 65536, 0x3fff, 0x7fffffff, 0xffffffff, 50_000, 100_000, 1_000_000];

function hugeDimensions(b: Uint8Array, rng: Rng): Uint8Array {
  const o = copy(b);
  const dv = new DataView(o.buffer);
  if (o[0] === 0x89 && o.length > 24) {
    dv.setUint32(16, rng.pick(BIG));
    dv.setUint32(20, rng.pick(BIG));
    if (rng.chance(0.7)) dv.setUint32(29, crc32(o.subarray(12, 29)));
    return o;
  }
  if (o[0] === 0xff && o[1] === 0xd8) {
    for (let i = 2; i + 9 < o.length; i++) {
      if (o[i] === 0xff && (o[i + 1] === 0xc0 || o[i + 1] === 0xc2 || o[i + 1] === 0xc1)) {
        dv.setUint16(i + 5, rng.pick([0, 1, 65535, 50000, 8000]));
        dv.setUint16(i + 7, rng.pick([0, 1, 65535, 50000, 8000]));
        return o;
      }
    }
    return o;
  }
  if (o.length > 30 && String.fromCharCode(...o.subarray(8, 12)) === 'WEBP') {
    const w = rng.pick([0, 0x3fff, 0xffffff, 16383]);
    o[24] = w & 255;
    o[25] = (w >> 8) & 255;
    o[26] = (w >> 16) & 255;
    o[27] = w & 255;
    o[28] = (w >> 8) & 255;
    o[29] = (w >> 16) & 255;
    return o;
  }
  return pngHeaderOnly(rng.pick(BIG), rng.pick(BIG));
}

function exifOddity(b: Uint8Array, rng: Rng): Uint8Array {
  const weird = rng.pick([0, 9, 255, 65535, 5, 7]) as Orientation;
  const badTiff = (): Uint8Array => {
    const t = copy(tiffOrientation(1, rng.chance(0.5)));
    const dv = new DataView(t.buffer);
    const little = t[0] === 0x49;
    switch (rng.int(5)) {
      case 0:
        dv.setUint32(4, 0xfffffff0, little);
        break; // IFD0 past the end
      case 1:
        dv.setUint16(8, 65535, little);
        break; // 65535 entries in 26 bytes
      case 2:
        dv.setUint16(12, 7, little);
        dv.setUint32(14, 0x7fffffff, little);
        break; // count huge
      case 3:
        dv.setUint32(4, 4, little);
        break; // IFD overlapping the header
      default:
        return t.subarray(0, rng.int(t.length));
    }
    return t;
  };
  if (b[0] === 0xff && b[1] === 0xd8) {
    switch (rng.int(4)) {
      case 0:
        return withJpegExif(b, weird, rng.chance(0.5));
      case 1:
        return withJpegExif(withJpegExif(b, 6), 3); // two EXIF blocks
      case 2: {
        const payload = concat(new TextEncoder().encode('Exif\0\0'), badTiff());
        const seg = new Uint8Array(4 + payload.length);
        seg.set([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255]);
        seg.set(payload, 4);
        return concat(b.subarray(0, 2), seg, b.subarray(2));
      }
      default:
        return concat(b.subarray(0, 2), new Uint8Array([0xff, 0xe1, 0x00, 0x08, 0x45, 0x78, 0x69, 0x66, 0, 0]), b.subarray(2));
    }
  }
  if (b[0] === 0x89) {
    if (rng.chance(0.5)) return withPngExif(b, weird);
    return concat(b.subarray(0, 33), pngChunk('eXIf', badTiff()), b.subarray(33));
  }
  if (String.fromCharCode(...b.subarray(8, 12)) === 'WEBP') return withWebpExif(b, weird, 100, 100);
  return b;
}

function hostilePng(rng: Rng, corpus: Corpus): Uint8Array {
  const small = corpus.valid.find(([n]) => n === 'palette.png')![1];
  const chunkAt = 33; // after the signature and IHDR
  switch (rng.int(7)) {
    case 0: {
      // a chunk claiming 2 GiB
      const c = new Uint8Array(12);
      new DataView(c.buffer).setUint32(0, 0x7fffffff);
      c.set([0x74, 0x45, 0x58, 0x74], 4);
      return concat(small.subarray(0, chunkAt), c, small.subarray(chunkAt));
    }
    case 1:
      return concat(small.subarray(0, chunkAt), ihdr(rng.pick(BIG), 5, 8, 2), small.subarray(chunkAt)); // second IHDR
    case 2:
      return concat(PNG_SIGNATURE, ihdr(64, 64, 8, 6), pngChunk('IDAT', rng.bytes(rng.range(1, 500))), pngChunk('IEND', new Uint8Array(0))); // zlib garbage
    case 3:
      return concat(PNG_SIGNATURE, ihdr(64, 64, rng.pick([3, 5, 7, 16, 0]), rng.pick([1, 5, 7, 2, 6])), pngChunk('IEND', new Uint8Array(0))); // bad depth/type
    case 4:
      return small.subarray(0, small.length - 12); // no IEND
    case 5: {
      // a compressed ICC profile (iCCP) that inflates to a lot
      const bomb = iccBomb();
      return concat(small.subarray(0, chunkAt), pngChunk('iCCP', concat(new TextEncoder().encode('icc\0\0'), bomb)), small.subarray(chunkAt));
    }
    default:
      return concat(PNG_SIGNATURE, ihdr(1, 1, 8, 2), pngChunk('IEND', new Uint8Array(0))); // no IDAT
  }
}

let iccBombBytes: Uint8Array | undefined;
/** 16 MiB of zeros deflated (~16 KiB): an ICC profile that inflates far past its chunk. */
function iccBomb(): Uint8Array {
  iccBombBytes ??= new Uint8Array(deflateSync(new Uint8Array(16 << 20), { level: 9 }));
  return iccBombBytes;
}

function hostileJpeg(rng: Rng, corpus: Corpus): Uint8Array {
  const j = corpus.valid.find(([n]) => n === '1x1.jpeg')![1];
  switch (rng.int(5)) {
    case 0:
      return concat(j.subarray(0, 2), new Uint8Array([0xff, 0xe0, 0x00, rng.pick([0, 1, 2])]), j.subarray(2)); // segment length < 2
    case 1:
      return concat(j.subarray(0, 2), new Uint8Array([0xff, 0xe0, 0xff, 0xff]), j.subarray(2)); // 65535 past the end
    case 2:
      return new Uint8Array([0xff, 0xd8, 0xff, 0xd9]); // SOI EOI, nothing between
    case 3:
      return concat(j.subarray(0, 2), new Uint8Array(Array(5000).fill(0xff)), j.subarray(2)); // fill bytes
    default:
      return new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]); // 65535x65535 SOF, no data
  }
}
