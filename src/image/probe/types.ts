// What a header probe learns about an encoded image, without decoding pixels.

import type { Orientation } from './exif.ts';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface ImageInfo {
  format: ImageFormat;
  /** Size as stored in the file (before EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation, 1 when absent. */
  orientation: Orientation;
  /** The format can carry non-opaque pixels (PNG alpha or tRNS, WebP alpha). JPEG: false. */
  hasAlpha: boolean;
  /** The data ends before the image does (no JPEG EOI after the scan, no PNG IEND, short RIFF). */
  truncated: boolean;
  /** Animated WebP (we decode still images only). */
  animated: boolean;
}

export type FormatInfo = Omit<ImageInfo, 'format'>;
