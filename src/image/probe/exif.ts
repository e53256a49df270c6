// EXIF Orientation (TIFF tag 0x0112) from an EXIF/TIFF block, as JPEG APP1, PNG eXIf and the
// WebP EXIF chunk carry it. Header-only: reads IFD0 and nothing else. Malformed EXIF is common
// in the wild (editors truncate or rewrite it), so every problem means "no orientation" (1),
// never an error: a wrong EXIF block must not make a decodable photo undecodable.

/** 1 = upright; 2-8 as in the EXIF spec (6 = rotate 90° clockwise to display). */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const EXIF_PREFIX = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

/** True when `b` starts with the "Exif\0\0" identifier JPEG APP1 uses. */
export function hasExifPrefix(b: Uint8Array): boolean {
  if (b.length < 6) return false;
  for (let i = 0; i < 6; i++) if (b[i] !== EXIF_PREFIX[i]) return false;
  return true;
}

/** Orientation from a TIFF block (optionally prefixed by "Exif\0\0"); 1 when absent or malformed. */
export function exifOrientation(block: Uint8Array): Orientation {
  const t = hasExifPrefix(block) ? block.subarray(6) : block;
  if (t.length < 8) return 1;
  const little = t[0] === 0x49 && t[1] === 0x49; // "II"
  if (!little && !(t[0] === 0x4d && t[1] === 0x4d)) return 1; // not "MM" either
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  if (dv.getUint16(2, little) !== 42) return 1;
  const ifd = dv.getUint32(4, little);
  if (ifd < 8 || ifd + 2 > t.length) return 1;
  const count = dv.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) return 1;
    if (dv.getUint16(e, little) !== 0x0112) continue;
    const type = dv.getUint16(e + 2, little);
    // SHORT is what the spec says; some writers use LONG. Both keep the value at e + 8.
    const v = type === 3 ? dv.getUint16(e + 8, little) : type === 4 ? dv.getUint32(e + 8, little) : 0;
    return v >= 1 && v <= 8 ? (v as Orientation) : 1;
  }
  return 1;
}

/** Orientations 5-8 swap width and height. */
export function swapsAxes(o: Orientation): boolean {
  return o >= 5;
}
