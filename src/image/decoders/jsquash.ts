// ImageDecoder on the @jsquash WASM codecs (MozJPEG, image-rs PNG, libwebp): runs wherever
// WebAssembly does, including Cloudflare Workers. This file touches no runtime API: each
// codec's compiled WebAssembly.Module (or a function producing one) is passed in.
//   Bun/Node/Deno: createJsquashDecoder(nodeJsquashWasm())   (runtime/jsquash-wasm.ts)
//   Workers (wrangler turns a static .wasm import into a compiled WebAssembly.Module, and
//   workerd forbids compiling bytes at run time):
//     import jpeg from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
//     import png from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
//     import webp from '@jsquash/webp/codec/dec/webp_dec.wasm';
//     createJsquashDecoder({ jpeg, png, webp });
// Codecs are instantiated lazily on first use (no async work at a Worker's global scope).
//
// Facts this file relies on (checked by decoders/contract.test.ts):
// - The codecs ignore EXIF orientation here (MozJPEG's preserveOrientation stays off): we
//   apply the probe's orientation ourselves, for all three formats.
// - No decode-time downscale: the builds expose no DCT scaling, so the target hint is ignored.
// - MozJPEG reports errors by printing and calling exit(1); we capture the printed message for
//   the error and start a fresh instance afterwards, because an aborted decode leaks its
//   buffers inside the instance's memory. The PNG codec (wasm-bindgen) cannot be
//   re-instantiated: a failed PNG decode may leak up to its input size (see report).
// - The library keeps one instance per codec per JS realm: two decoders share it.

import decodeJpeg, { init as initJpeg } from '@jsquash/jpeg/decode.js';
import decodePng, { init as initPng } from '@jsquash/png/decode.js';
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js';
import { EdgeError } from '../../core/errors.ts';
import type { DecodeOptions, ImageDecoder } from '../decoder.ts';
import { applyOrientation } from '../orient.ts';
import { checkImage, DEFAULT_MAX_PIXELS, orientedSize, type ImageFormat, type ImageInfo } from '../probe.ts';
import { bytesOf, type RawImage } from '../raw-image.ts';

export type WasmSource = WebAssembly.Module | (() => Promise<WebAssembly.Module>);
export interface JsquashWasm {
  jpeg: WasmSource;
  png: WasmSource;
  webp: WasmSource;
}

// The published .d.ts declares init(overrides) only; the JS also takes (module, overrides).
type Output = { print(s: string): void; printErr(s: string): void };
type EmscriptenInit = (module: WebAssembly.Module, overrides: Output) => Promise<void>;
type DecodedImageData = { width: number; height: number; data: Uint8ClampedArray };

interface Codec {
  /** Loads, compiles and instantiates on first use. A failure is not kept: the next call retries. */
  ready(): Promise<void>;
  decode(buf: ArrayBuffer): Promise<DecodedImageData>;
  /** Called after a failed decode: start over with a fresh instance where the codec allows. */
  reset(): void;
}

export function createJsquashDecoder(wasm: JsquashWasm): ImageDecoder {
  const messages: string[] = [];
  const output: Output = { print: () => {}, printErr: (s) => void messages.push(s) };
  const codecs: Record<ImageFormat, Codec> = {
    jpeg: emscriptenCodec(wasm.jpeg, initJpeg as unknown as EmscriptenInit, output, (b) => decodeJpeg(b)),
    webp: emscriptenCodec(wasm.webp, initWebp as unknown as EmscriptenInit, output, (b) => decodeWebp(b)),
    png: bindgenCodec(wasm.png),
  };
  // One decode at a time: the codecs run synchronously on this thread anyway, and it keeps a
  // failed decode's printed messages from mixing with another's.
  let tail: Promise<unknown> = Promise.resolve();

  async function decodeExclusive(buf: ArrayBuffer, info: ImageInfo): Promise<DecodedImageData> {
    const codec = codecs[info.format];
    const name = info.format.toUpperCase();
    try {
      await codec.ready();
    } catch (e) {
      throw new EdgeError('INTERNAL', `cannot start the ${name} decoder (jsquash): ${(e as Error)?.message ?? e}`);
    }
    messages.length = 0;
    try {
      return await codec.decode(buf);
    } catch (e) {
      // A module that does not link (JSC says TypeError) is our bug, not the client's data.
      if (e instanceof WebAssembly.LinkError || e instanceof WebAssembly.CompileError || e instanceof TypeError) {
        throw new EdgeError('INTERNAL', `the ${name} decoder (jsquash) failed to start: ${e.message}`);
      }
      const why = describe(e, messages);
      codec.reset();
      throw new EdgeError('UNPROCESSABLE', `corrupt ${name}: ${why}`);
    }
  }

  async function decode(bytes: Uint8Array, opts?: DecodeOptions): Promise<RawImage> {
    const info = checkImage(bytes, { maxPixels: opts?.maxPixels ?? DEFAULT_MAX_PIXELS });
    const buf = arrayBufferOf(bytes);
    const run = tail.then(() => decodeExclusive(buf, info));
    tail = run.catch(() => {});
    return toRawImage(await run, info);
  }

  return { name: 'jsquash', decode };
}

function toRawImage(out: DecodedImageData, info: ImageInfo): RawImage {
  if (out.width !== info.width || out.height !== info.height || out.data.length !== out.width * out.height * 4) {
    throw new EdgeError(
      'UNPROCESSABLE',
      `corrupt ${info.format.toUpperCase()}: header says ${info.width}x${info.height}, decoder produced ${out.width}x${out.height}`,
    );
  }
  const upright = applyOrientation({ width: out.width, height: out.height, data: bytesOf(out.data) }, info.orientation);
  const size = orientedSize(info);
  return { ...upright, originalWidth: size.width, originalHeight: size.height, ...(info.hasAlpha ? {} : { opaque: true }) };
}

function emscriptenCodec(source: WasmSource, init: EmscriptenInit, output: Output, run: (b: ArrayBuffer) => Promise<DecodedImageData>): Codec {
  const module = once(source);
  let instance: Promise<void> | undefined;
  // init() instantiates synchronously from a compiled module (jsquash's instantiateWasm hook).
  const start = () => (instance = module().then((m) => init(m, output)));
  return {
    ready: () =>
      (instance ?? start()).catch((e) => {
        instance = undefined;
        throw e;
      }),
    decode: run,
    reset: () => void start().catch(() => (instance = undefined)),
  };
}

function bindgenCodec(source: WasmSource): Codec {
  const module = once(source);
  let instance: Promise<unknown> | undefined;
  return {
    ready: async () => {
      try {
        await (instance ??= module().then((m) => initPng(m)));
      } catch (e) {
        instance = undefined;
        throw e;
      }
    },
    decode: (buf) => decodePng(buf),
    reset: () => {}, // wasm-bindgen keeps one instance per realm; it cannot be replaced
  };
}

/** The compiled module, loaded once; a failed load is retried on the next call. */
function once(source: WasmSource): () => Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return () => Promise.resolve(source);
  let p: Promise<WebAssembly.Module> | undefined;
  return () =>
    (p ??= source().catch((e) => {
      p = undefined;
      throw e;
    }));
}

/** The ArrayBuffer the codecs want, without copying when `bytes` already spans one. */
function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  const b = bytes.buffer;
  if (b instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === b.byteLength) return b;
  return bytes.slice().buffer as ArrayBuffer;
}

/** The codec's own words (MozJPEG prints them before exit(1)) beat "Program terminated". */
function describe(e: unknown, messages: string[]): string {
  if (messages.length) return messages.join('; ');
  const m = (e as Error)?.message ?? String(e);
  return m === '`unwrap_throw` failed' ? 'the PNG decoder rejected the data' : m;
}
