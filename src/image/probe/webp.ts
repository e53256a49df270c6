// WebP header probe: the RIFF container's first chunk gives the size (VP8 lossy frame header,
// VP8L lossless header, or the VP8X extended header's canvas size); VP8X flags say alpha and
// animation, and an EXIF chunk may carry an orientation. The RIFF size tells truncation.

import { EdgeError } from '../../core/errors.ts';
import { exifOrientation, type Orientation } from './exif.ts';
import type { FormatInfo } from './types.ts';

const corrupt = (msg: string) => new EdgeError('UNPROCESSABLE', `corrupt WebP: ${msg}`);

const fourcc = (b: Uint8Array, i: number) => String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);

export function probeWebp(b: Uint8Array): FormatInfo {
  if (b.length < 30) throw new EdgeError('UNPROCESSABLE', `truncated WebP: ${b.length} bytes is shorter than a WebP header`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const riffEnd = 8 + dv.getUint32(4, true);
  const truncated = riffEnd > b.length;
  const chunk = fourcc(b, 12);
  if (chunk === 'VP8 ') {
    // Frame tag (3 bytes) then the key-frame start code 9D 01 2A, then 14-bit sizes.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) throw corrupt('VP8 frame lacks its start code');
    const width = dv.getUint16(26, true) & 0x3fff;
    const height = dv.getUint16(28, true) & 0x3fff;
    return checked({ width, height, orientation: 1, hasAlpha: false, truncated, animated: false });
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) throw corrupt('VP8L header lacks its signature byte');
    const bits = dv.getUint32(21, true);
    const width = (bits & 0x3fff) + 1;
    const height = ((bits >>> 14) & 0x3fff) + 1;
    return checked({ width, height, orientation: 1, hasAlpha: ((bits >>> 28) & 1) === 1, truncated, animated: false });
  }
  if (chunk === 'VP8X') {
    const flags = b[20];
    const width = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
    const height = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    const orientation = flags & 0x08 ? findExifOrientation(b, dv, Math.min(riffEnd, b.length)) : 1;
    return checked({ width, height, orientation, hasAlpha: (flags & 0x10) !== 0, truncated, animated: (flags & 0x02) !== 0 });
  }
  throw corrupt(`unknown first chunk '${chunk}' (expected VP8, VP8L or VP8X)`);
}

function checked(info: FormatInfo): FormatInfo {
  if (info.width === 0 || info.height === 0) throw corrupt(`header says ${info.width}x${info.height}`);
  return info;
}

/** Walks the chunks after VP8X (header-sized steps, no payload reads) for EXIF. */
function findExifOrientation(b: Uint8Array, dv: DataView, end: number): Orientation {
  for (let pos = 12; pos + 8 <= end; ) {
    const len = dv.getUint32(pos + 4, true);
    if (fourcc(b, pos) === 'EXIF') return exifOrientation(b.subarray(pos + 8, Math.min(pos + 8 + len, end)));
    pos += 8 + len + (len & 1); // chunks are padded to even sizes
  }
  return 1;
}
