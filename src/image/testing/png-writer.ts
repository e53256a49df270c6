// Test support: a minimal PNG writer, so tests can build every colour type and bit depth
// (16-bit, grayscale, palette, tRNS, alpha) and hostile headers (a 50000x50000 IHDR) from
// known pixel values instead of committing binary fixtures. Uses node:zlib: tests run on Bun.

import { deflateSync } from 'node:zlib';
import { concatBytes } from '../../core/bytes.ts';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** length + type + data + CRC(type + data). */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function ihdr(width: number, height: number, bitDepth: number, colorType: number): Uint8Array {
  const d = new Uint8Array(13);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  d[8] = bitDepth;
  d[9] = colorType;
  return pngChunk('IHDR', d);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Unpacked sample values, channel-interleaved, row-major (palette: indices). */
  samples: ArrayLike<number>;
  /** Palette as RGB triples (colour type 3). */
  palette?: Uint8Array;
  /** tRNS payload. */
  trns?: Uint8Array;
  /** Extra chunks inserted after IHDR (e.g. eXIf). */
  extra?: Uint8Array[];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

export function encodePng(s: PngSpec): Uint8Array {
  const spp = s.width * CHANNELS[s.colorType];
  const rowBytes = Math.ceil((spp * s.bitDepth) / 8);
  const raw = new Uint8Array((rowBytes + 1) * s.height);
  for (let y = 0; y < s.height; y++) {
    const row = y * (rowBytes + 1) + 1; // filter byte 0 (None)
    for (let i = 0; i < spp; i++) {
      const v = s.samples[y * spp + i];
      if (s.bitDepth === 16) {
        raw[row + 2 * i] = v >> 8;
        raw[row + 2 * i + 1] = v & 0xff;
      } else if (s.bitDepth === 8) raw[row + i] = v;
      else {
        const bit = i * s.bitDepth;
        raw[row + (bit >> 3)] |= v << (8 - s.bitDepth - (bit & 7));
      }
    }
  }
  return concat(
    PNG_SIGNATURE,
    ihdr(s.width, s.height, s.bitDepth, s.colorType),
    ...(s.extra ?? []),
    ...(s.palette ? [pngChunk('PLTE', s.palette)] : []),
    ...(s.trns ? [pngChunk('tRNS', s.trns)] : []),
    pngChunk('IDAT', new Uint8Array(deflateSync(raw))),
    pngChunk('IEND', new Uint8Array(0)),
  );
}

/** A PNG that is only a header: valid signature + IHDR (with CRC) + empty IDAT + IEND. Claims
 *  any size in under 100 bytes: the decompression bomb the probe must stop. */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  return concat(PNG_SIGNATURE, ihdr(width, height, 8, 2), pngChunk('IDAT', new Uint8Array(0)), pngChunk('IEND', new Uint8Array(0)));
}
