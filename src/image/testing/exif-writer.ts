// Test support: put an EXIF Orientation tag into a JPEG (APP1), a PNG (eXIf) or a WebP (an
// EXIF chunk; a simple file is rewrapped as VP8X), so orientation handling is tested for all
// eight values and every container, not only with the one rotated fixture.

import type { Orientation } from '../probe/exif.ts';
import { concat, pngChunk } from './png-writer.ts';

/** A TIFF block whose IFD0 holds only Orientation (SHORT). */
export function tiffOrientation(o: Orientation, little = false): Uint8Array {
  const b = new Uint8Array(26);
  const dv = new DataView(b.buffer);
  b.set(little ? [0x49, 0x49] : [0x4d, 0x4d]);
  dv.setUint16(2, 42, little);
  dv.setUint32(4, 8, little); // IFD0 right after the header
  dv.setUint16(8, 1, little); // one entry
  dv.setUint16(10, 0x0112, little);
  dv.setUint16(12, 3, little); // SHORT
  dv.setUint32(14, 1, little);
  dv.setUint16(18, o, little);
  dv.setUint32(22, 0, little); // no IFD1
  return b;
}

const EXIF_ID = new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0]);

export function withJpegExif(jpeg: Uint8Array, o: Orientation, little = false): Uint8Array {
  const payload = concat(EXIF_ID, tiffOrientation(o, little));
  const seg = new Uint8Array(4 + payload.length);
  seg.set([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  seg.set(payload, 4);
  return concat(jpeg.subarray(0, 2), seg, jpeg.subarray(2)); // right after SOI
}

export function withPngExif(png: Uint8Array, o: Orientation): Uint8Array {
  const ihdrEnd = 8 + 25;
  return concat(png.subarray(0, ihdrEnd), pngChunk('eXIf', tiffOrientation(o)), png.subarray(ihdrEnd));
}

/** Adds an EXIF chunk to a WebP: a simple (VP8/VP8L) file is rewrapped as extended (VP8X);
 *  an extended one gets the EXIF flag set and the chunk appended (its place in the spec). */
export function withWebpExif(webp: Uint8Array, o: Orientation, width: number, height: number): Uint8Array {
  const tiff = tiffOrientation(o);
  const exif = new Uint8Array(8 + tiff.length + (tiff.length & 1));
  exif.set([0x45, 0x58, 0x49, 0x46]);
  new DataView(exif.buffer).setUint32(4, tiff.length, true);
  exif.set(tiff, 8);
  let chunks: Uint8Array;
  if (String.fromCharCode(...webp.subarray(12, 16)) === 'VP8X') {
    chunks = webp.slice(12);
    chunks[8] |= 0x08;
  } else {
    const vp8x = new Uint8Array(18);
    vp8x.set([0x56, 0x50, 0x38, 0x58, 10, 0, 0, 0, 0x08]);
    const w = width - 1,
      h = height - 1;
    vp8x.set([w & 0xff, (w >> 8) & 0xff, w >> 16, h & 0xff, (h >> 8) & 0xff, h >> 16], 12);
    chunks = concat(vp8x, webp.subarray(12));
  }
  const body = concat(new Uint8Array([0x57, 0x45, 0x42, 0x50]), chunks, exif);
  const head = new Uint8Array(8);
  head.set([0x52, 0x49, 0x46, 0x46]);
  new DataView(head.buffer).setUint32(4, body.length, true);
  return concat(head, body);
}
