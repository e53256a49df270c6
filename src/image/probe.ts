// Header-only image probe, pure TypeScript: format from magic bytes, stored size, EXIF
// orientation, alpha and truncation, without decoding a pixel. Every decoder calls
// checkImage() first so that a decompression bomb (a 50000x50000 PNG is a few hundred bytes)
// is refused before any codec allocates for it, and so that both decoders refuse the same
// inputs with the same error codes.

import { EdgeError } from '../core/errors.ts';
import { swapsAxes } from './probe/exif.ts';
import { probeJpeg } from './probe/jpeg.ts';
import { probePng } from './probe/png.ts';
import type { ImageFormat, ImageInfo } from './probe/types.ts';
import { probeWebp } from './probe/webp.ts';

export type { ImageFormat, ImageInfo } from './probe/types.ts';
export type { Orientation } from './probe/exif.ts';

/** 50 MP: a 48/50 MP phone sensor passes; a 108 MP one needs an explicit limit (each decoded
 *  megapixel costs 4 MB of RGBA, more while the canvas decoder draws it). */
export const DEFAULT_MAX_PIXELS = 50_000_000;

export interface ImageLimits {
  /** Largest width x height accepted (stored size; orientation does not change the count). */
  maxPixels: number;
}

const SUPPORTED = 'send a JPEG, PNG or WebP image';

// Formats people actually send by mistake, named so the error says what was received.
const OTHER_FORMATS: Array<[string, (b: Uint8Array) => boolean]> = [
  ['GIF', (b) => ascii(b, 0, 4) === 'GIF8'],
  ['BMP', (b) => ascii(b, 0, 2) === 'BM'],
  ['TIFF', (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*'],
  ['HEIC/AVIF', (b) => ascii(b, 4, 8) === 'ftyp'],
  ['PDF', (b) => ascii(b, 0, 5) === '%PDF-'],
  ['SVG/XML/HTML', (b) => /^\s*</.test(ascii(b, 0, 16))],
];

function ascii(b: Uint8Array, from: number, to: number): string {
  return b.length < to ? '' : String.fromCharCode(...b.subarray(from, to));
}

/** The format from the magic bytes, or undefined. */
export function detectFormat(b: Uint8Array): ImageFormat | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 8) === 'PNG\r\n\x1a\n') return 'png';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/**
 * Reads the header. Throws UNSUPPORTED_MEDIA for empty or non-JPEG/PNG/WebP data and
 * UNPROCESSABLE for a recognised format with a broken header. Does not judge size or
 * truncation: checkImage() does.
 */
export function probeImage(bytes: Uint8Array): ImageInfo {
  if (bytes.length === 0) throw new EdgeError('UNSUPPORTED_MEDIA', `empty image (0 bytes): ${SUPPORTED}`);
  const format = detectFormat(bytes);
  if (format === 'jpeg') return { format, ...probeJpeg(bytes) };
  if (format === 'png') return { format, ...probePng(bytes) };
  if (format === 'webp') return { format, ...probeWebp(bytes) };
  const other = OTHER_FORMATS.find(([, test]) => test(bytes))?.[0];
  const head = Array.from(bytes.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
  throw new EdgeError(
    'UNSUPPORTED_MEDIA',
    other ? `${other} images are not supported: ${SUPPORTED}` : `not a JPEG, PNG or WebP image (first bytes: ${head}): ${SUPPORTED}`,
  );
}

/** probeImage plus the policy checks every decode needs: pixel limit, truncation, animation. */
export function checkImage(bytes: Uint8Array, limits: ImageLimits = { maxPixels: DEFAULT_MAX_PIXELS }): ImageInfo {
  const info = probeImage(bytes);
  const pixels = info.width * info.height;
  if (pixels > limits.maxPixels) {
    throw new EdgeError('PAYLOAD_TOO_LARGE', `image is ${info.width}x${info.height} (${mp(pixels)} MP); the limit is ${mp(limits.maxPixels)} MP`);
  }
  if (info.truncated) {
    throw new EdgeError('UNPROCESSABLE', `truncated ${info.format.toUpperCase()}: the data (${bytes.length} bytes) ends before the image does`);
  }
  if (info.animated) throw new EdgeError('UNSUPPORTED_MEDIA', `animated WebP is not supported: send a still image`);
  return info;
}

const mp = (n: number) => (n / 1e6).toFixed(1);

/** Width and height of the upright image (after EXIF orientation). */
export function orientedSize(info: Pick<ImageInfo, 'width' | 'height' | 'orientation'>): { width: number; height: number } {
  return swapsAxes(info.orientation) ? { width: info.height, height: info.width } : { width: info.width, height: info.height };
}
