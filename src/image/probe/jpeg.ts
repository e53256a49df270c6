// JPEG header probe: walks marker segments up to the first scan (SOS) for the frame size
// (SOFn) and the EXIF orientation (APP1), then checks that an end-of-image marker follows the
// scan, which is how a truncated upload is told apart from a complete one. libjpeg-based
// decoders "succeed" on truncated data (grey-filling the rest), so this check is the only
// thing that makes both decoders reject a half-uploaded photo the same way.

import { EdgeError } from '../../core/errors.ts';
import { exifOrientation, hasExifPrefix, type Orientation } from './exif.ts';
import type { FormatInfo } from './types.ts';

const corrupt = (msg: string) => new EdgeError('UNPROCESSABLE', `corrupt JPEG: ${msg}`);

// SOF0-SOF15 minus DHT (C4), JPG (C8) and DAC (CC), which share the range.
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
// Markers without a length field: TEM, RST0-7, SOI.
const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd8);

export function probeJpeg(b: Uint8Array): FormatInfo {
  let pos = 2; // after SOI
  let width = 0;
  let height = 0;
  let orientation: Orientation | undefined;
  const u16 = (i: number) => (b[i] << 8) | b[i + 1];
  for (;;) {
    // Tolerate junk between segments (libjpeg warns and skips it too).
    while (pos < b.length && b[pos] !== 0xff) pos++;
    while (pos < b.length && b[pos] === 0xff) pos++; // fill bytes
    if (pos >= b.length) {
      throw new EdgeError('UNPROCESSABLE', `truncated JPEG: the data (${b.length} bytes) ends inside the header, before any image data`);
    }
    const m = b[pos++];
    if (isStandalone(m)) continue;
    if (m === 0xd9) throw corrupt('end-of-image marker before any image data');
    if (pos + 2 > b.length) throw new EdgeError('UNPROCESSABLE', `truncated JPEG: the data (${b.length} bytes) ends inside a header segment`);
    const len = u16(pos);
    if (len < 2) throw corrupt(`segment 0xFF${m.toString(16).toUpperCase()} at byte ${pos - 2} has length ${len}`);
    if (m === 0xda) {
      if (width === 0) throw corrupt('image data (SOS) before the frame header (SOF)');
      return { width, height, orientation: orientation ?? 1, hasAlpha: false, truncated: !hasEoiAfter(b, pos), animated: false };
    }
    const end = pos + len;
    if (end > b.length) throw new EdgeError('UNPROCESSABLE', `truncated JPEG: the data (${b.length} bytes) ends inside a header segment`);
    if (isSof(m) && width === 0) {
      if (len < 8) throw corrupt('frame header (SOF) too short');
      height = u16(pos + 3);
      width = u16(pos + 5);
      // Height 0 means "defined later by a DNL marker": legal, almost never written, and
      // neither decoder handles it; a zero width is simply invalid.
      if (width === 0 || height === 0) throw corrupt(`frame header says ${width}x${height}`);
    } else if (m === 0xe1 && orientation === undefined && hasExifPrefix(b.subarray(pos + 2, end))) {
      orientation = exifOrientation(b.subarray(pos + 2, end));
    }
    pos = end;
  }
}

/** An EOI (FF D9) somewhere after `from`. Entropy-coded data cannot contain FF D9 (an FF there
 *  is always followed by 00 or RSTn), so any EOI after the first scan ends the image; scanning
 *  from the end finds it at once for complete files, even with trailers (motion photos). */
function hasEoiAfter(b: Uint8Array, from: number): boolean {
  for (let i = b.lastIndexOf(0xd9); i > from; i = b.lastIndexOf(0xd9, i - 1)) {
    if (b[i - 1] === 0xff) return true;
  }
  return false;
}
