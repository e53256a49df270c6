// PNG header probe: IHDR for size, colour type and bit depth; a walk over the chunk headers
// (length + type only, O(chunks), no inflating) to find tRNS (alpha), eXIf (orientation) and
// IEND, whose absence means the upload was truncated.

import { EdgeError } from '../../core/errors.ts';
import { exifOrientation, type Orientation } from './exif.ts';
import type { FormatInfo } from './types.ts';

const corrupt = (msg: string) => new EdgeError('UNPROCESSABLE', `corrupt PNG: ${msg}`);

// Allowed bit depths per colour type (PNG spec, table 11.1).
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

const type4 = (b: Uint8Array, i: number) => String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);

export function probePng(b: Uint8Array): FormatInfo {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 33) throw new EdgeError('UNPROCESSABLE', `truncated PNG: ${b.length} bytes is shorter than a PNG header`);
  if (dv.getUint32(8) !== 13 || type4(b, 12) !== 'IHDR') throw corrupt('the first chunk is not a 13-byte IHDR');
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  const depth = b[24];
  const colorType = b[25];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw corrupt(`IHDR says ${width}x${height}`);
  if (!DEPTHS[colorType]?.includes(depth)) throw corrupt(`invalid colour type ${colorType} with bit depth ${depth}`);
  let hasAlpha = colorType === 4 || colorType === 6;
  let orientation: Orientation = 1;
  let sawData = false;
  let pos = 33; // after signature (8) + IHDR (8 + 13 + 4)
  while (pos + 8 <= b.length) {
    const len = dv.getUint32(pos);
    const type = type4(b, pos + 4);
    if (len > 0x7fffffff) throw corrupt(`chunk '${type}' at byte ${pos} claims ${len} bytes`);
    const data = pos + 8;
    if (data + len + 4 > b.length) break; // cut inside this chunk
    if (type === 'IEND') {
      if (!sawData) throw corrupt('no image data (IDAT) before IEND');
      return { width, height, orientation, hasAlpha, truncated: false, animated: false };
    }
    if (type === 'IDAT') sawData = true;
    else if (type === 'tRNS') hasAlpha = true;
    else if (type === 'eXIf') orientation = exifOrientation(b.subarray(data, data + len));
    pos = data + len + 4; // skip the CRC: decoders check it (or, like image-png, choose not to)
  }
  return { width, height, orientation, hasAlpha, truncated: true, animated: false };
}
