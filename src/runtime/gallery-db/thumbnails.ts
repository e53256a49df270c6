// The thumbnailers the server roots give the gallery (gallery/thumbnail.ts: crop, shrink,
// JPEG): @napi-rs/canvas's decoder and Skia's JPEG encoder where the native canvas loads (Bun,
// Node, Deno with FFI, a compiled binary with the addon), the @jsquash WASM decoder and MozJPEG
// encoder otherwise (Deno without FFI). Workers build theirs from static .wasm imports
// (runtime/cloudflare.ts). Each loads its codecs on first use.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { jsquashJpegEncoder } from '../../gallery/jpeg-jsquash.ts';
import type { Thumbnailer } from '../../gallery/service.ts';
import { type JpegEncoder, createThumbnailer } from '../../gallery/thumbnail.ts';

/** Makes the thumbnailer once the server's MAX_IMAGE_PIXELS is known. */
export type ThumbnailerFactory = (o: { maxPixels: number }) => Thumbnailer;

/** Skia's JPEG encoder through @napi-rs/canvas (loaded on first use). */
export function canvasJpegEncoder(): JpegEncoder {
  let canvas: Promise<typeof import('@napi-rs/canvas')> | undefined;
  return async (rgba, width, height, quality) => {
    canvas ??= import('@napi-rs/canvas');
    const { createCanvas, ImageData } = await canvas;
    const c = createCanvas(width, height);
    c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height), 0, 0);
    return new Uint8Array(await c.encode('jpeg', quality));
  };
}

/** The native decoder (Skia, Bun.Image on Bun) and Skia's encoder. */
export const canvasThumbnails: ThumbnailerFactory = (o) =>
  lazy(async () => {
    const { nativeDecoder } = await import('../native-image.ts');
    return createThumbnailer(nativeDecoder(), canvasJpegEncoder(), o);
  });

/** The @jsquash WASM decoders and MozJPEG encoder from node_modules. */
export const wasmThumbnails: ThumbnailerFactory = (o) =>
  lazy(async () => {
    const [{ createJsquashDecoder }, { nodeJsquashWasm }] = await Promise.all([import('../../image/decoders/jsquash.ts'), import('../jsquash-wasm.ts')]);
    const require = createRequire(import.meta.url);
    const encoder = jsquashJpegEncoder(async () => WebAssembly.compile(await readFile(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm'))));
    return createThumbnailer(createJsquashDecoder(nodeJsquashWasm()), encoder, o);
  });

function lazy(make: () => Promise<Thumbnailer>): Thumbnailer {
  let t: Promise<Thumbnailer> | undefined;
  return async (image, box) => {
    t ??= make().catch((e) => {
      t = undefined; // the next thumbnail tries again
      throw e;
    });
    return (await t)(image, box);
  };
}
