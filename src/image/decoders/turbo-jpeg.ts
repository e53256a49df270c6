// Scaled JPEG decoding with libjpeg-turbo (the @cwasm/jpeg-turbo WASM build): TurboJPEG's
// tjDecompress2 scales by 1/8…8/8 inside the DCT, so a 12 MP photo headed for a 320x240 model
// is decoded at 1/4 size without ever materialising the full-resolution pixels (measured here:
// ~28 ms instead of ~120-200 ms for a full Skia decode). Used only for JPEGs with a target hint;
// everything else, and any JPEG the codec rejects, goes to the fallback decoder.

import { jpegDctSize, type DecodeOptions, type ImageDecoder } from '../decoder.ts';
import { applyOrientation } from '../orient.ts';
import { DEFAULT_MAX_PIXELS, checkImage, orientedSize } from '../probe.ts';
import type { RawImage } from '../raw-image.ts';

const TJPF_RGBA = 7;

interface TurboExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  tjInitDecompress(): number;
  tjDecompressHeader3(h: number, src: number, n: number, w: number, hgt: number, sub: number, cs: number): number;
  tjDecompress2(h: number, src: number, n: number, dst: number, w: number, pitch: number, hgt: number, pf: number, flags: number): number;
  tjDestroy(h: number): number;
}

class JpegError extends Error {}

/** One WASM instance; re-created after a codec error, since libjpeg's longjmp can't unwind here. */
class Turbo {
  private ex: TurboExports | undefined;
  constructor(private readonly module: WebAssembly.Module) {}

  private exports(): TurboExports {
    if (!this.ex) {
      const fail = () => {
        throw new JpegError('libjpeg-turbo: unsupported system call');
      };
      const inst = new WebAssembly.Instance(this.module, {
        // libjpeg reports corrupt data by longjmp; throwing aborts the call and we drop the instance.
        env: {
          setjmp: () => 0,
          longjmp: () => {
            throw new JpegError('corrupt JPEG data');
          },
        },
        wasi_snapshot_preview1: { environ_sizes_get: () => 0, environ_get: fail, proc_exit: fail, fd_close: fail, fd_seek: fail, fd_write: fail },
      });
      this.ex = inst.exports as unknown as TurboExports;
    }
    return this.ex;
  }

  /** Decodes into (w x h) RGBA, which must be one of the codec's scaled sizes of the image. */
  decode(input: Uint8Array, w: number, h: number): Uint8Array {
    const e = this.exports();
    const src = e.malloc(input.byteLength);
    const dst = e.malloc(w * h * 4);
    const dec = e.tjInitDecompress();
    try {
      if (!src || !dst || !dec) throw new JpegError('out of memory');
      new Uint8Array(e.memory.buffer, src, input.byteLength).set(input);
      if (e.tjDecompress2(dec, src, input.byteLength, dst, w, w * 4, h, TJPF_RGBA, 0) !== 0) throw new JpegError('cannot decode JPEG');
      return new Uint8Array(e.memory.buffer, dst, w * h * 4).slice();
    } catch (err) {
      this.ex = undefined; // state after an aborted call is unknown: start over next time
      throw err;
    } finally {
      if (this.ex) {
        e.free(src);
        e.free(dst);
        e.tjDestroy(dec);
      }
    }
  }
}

/**
 * `fallback` with scaled JPEG decoding in front: when the caller hinted a target and the photo
 * is large enough, the JPEG is decoded at jpegDctSize(); EXIF orientation is then applied here.
 */
export function withScaledJpeg(fallback: ImageDecoder, module: WebAssembly.Module): ImageDecoder {
  const turbo = new Turbo(module);
  return {
    name: `${fallback.name}+turbojpeg`,
    async decode(bytes: Uint8Array, opts?: DecodeOptions): Promise<RawImage> {
      const info = checkImage(bytes, { maxPixels: opts?.maxPixels ?? DEFAULT_MAX_PIXELS });
      if (info.format !== 'jpeg') return fallback.decode(bytes, opts);
      const upright = orientedSize(info);
      const size = jpegDctSize(info, opts);
      if (!size) return fallback.decode(bytes, opts);
      const { width: w, height: h } = size;
      let data: Uint8Array;
      try {
        data = turbo.decode(bytes, w, h);
      } catch (e) {
        if (!(e instanceof JpegError)) throw e;
        return fallback.decode(bytes, opts); // the fallback names what is wrong with the file
      }
      const px = applyOrientation({ width: w, height: h, data }, info.orientation);
      return { width: px.width, height: px.height, data: px.data, originalWidth: upright.width, originalHeight: upright.height, opaque: true };
    },
  };
}
