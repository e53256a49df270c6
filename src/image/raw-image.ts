// RawImage: the decoded, upright pixels every decoder returns and preprocessing reads.
//
// Layout: RGBA, 8 bits per channel, straight (not premultiplied) alpha, row-major, no row
// padding. Why RGBA and not RGB: both decoders (Skia's getImageData, the @jsquash codecs)
// produce RGBA natively, so returning it is zero-copy; dropping alpha would cost a full pass
// over a 48 MB buffer for a 12 MP photo and preprocessing reads 3 of every 4 bytes anyway.
//
// Alpha policy (same for every decoder): decoders keep alpha; preprocessing composites
// translucent pixels over WHITE (see ALPHA_BACKGROUND in preprocess.ts). Why composite rather
// than ignore: Skia stores premultiplied pixels, so a fully transparent pixel comes back from
// the canvas decoder as (0,0,0,0) while the WASM decoder returns whatever RGB the file stored;
// compositing makes both agree. Why white: cut-out portraits and logos are meant to be seen on
// a light page, and a model sees what a person would see.

export interface RawImage {
  /** Size of `data`, in pixels. May be smaller than the original when a decoder downscaled. */
  width: number;
  height: number;
  /** RGBA8, straight alpha, row-major: byte (y * width + x) * 4 + channel. */
  data: Uint8Array;
  /**
   * Size of the upright (EXIF-oriented) image as encoded, before any decode-time downscale.
   * Equal to width/height when the decoder returned full resolution. Callers map coordinates
   * (crops, detected boxes) in this space, so they never depend on which decoder ran.
   */
  originalWidth: number;
  originalHeight: number;
  /** True when every alpha byte is known to be 255 (JPEG, PNG without alpha): lets
   *  preprocessing skip compositing. Absent or false means "check". */
  opaque?: boolean;
}

/** A full-resolution RawImage (originalWidth/Height = width/height). Validates the byte count. */
export function rawImage(width: number, height: number, data: Uint8Array, opaque?: boolean): RawImage {
  if (data.length !== width * height * 4) {
    throw new RangeError(`RGBA data for ${width}x${height} needs ${width * height * 4} bytes, got ${data.length}`);
  }
  return { width, height, data, originalWidth: width, originalHeight: height, ...(opaque === undefined ? {} : { opaque }) };
}

/** A Uint8Array over the same memory as a decoder's Uint8ClampedArray (no copy). */
export function bytesOf(a: Uint8ClampedArray | Uint8Array): Uint8Array {
  return a instanceof Uint8Array ? a : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
