// A JpegEncoder (thumbnail.ts) on @jsquash's MozJPEG WASM encoder: for runtimes without a
// native canvas, above all Cloudflare Workers, where the compiled module comes from a static
// .wasm import (workerd compiles no bytes at run time). Instantiated on first use, never at a
// Worker's global scope; baseline (not progressive) JPEG, the cheapest to encode and decode.

import encodeJpeg, { init as initJpegEncoder } from '@jsquash/jpeg/encode.js';
import type { JpegEncoder } from './thumbnail.ts';

// The published .d.ts declares init(overrides) only; the JS also takes (module, overrides).
type EmscriptenInit = (module: WebAssembly.Module, overrides: { print(s: string): void; printErr(s: string): void }) => Promise<void>;

export function jsquashJpegEncoder(wasm: WebAssembly.Module | (() => Promise<WebAssembly.Module>)): JpegEncoder {
  let ready: Promise<void> | undefined;
  const start = async () => {
    const m = typeof wasm === 'function' ? await wasm() : wasm;
    await (initJpegEncoder as unknown as EmscriptenInit)(m, { print: () => {}, printErr: () => {} });
  };
  return async (rgba, width, height, quality) => {
    ready ??= start().catch((e) => {
      ready = undefined; // the next encode tries again
      throw e;
    });
    await ready;
    const data = new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    const out = await encodeJpeg({ data, width, height, colorSpace: 'srgb' } as ImageData, { quality, progressive: false, baseline: true });
    return new Uint8Array(out);
  };
}
