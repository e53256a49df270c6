// The WASM fallback inside the compiled binary: onnxruntime-web and the @jsquash decoder, with
// every .wasm (and ORT's threaded glue, an extra entrypoint so its worker threads can load it)
// built in. Used where the native parts cannot load (another libc, a cross-built binary
// without @napi-rs/canvas for its target, EDGESERVE_NATIVE=0) or when ENGINE=onnxruntime-web.

import type { Backend } from '../../engine/backend.ts';
import { webBackend } from '../../engine/onnxruntime-web.ts';
import type { JsquashWasm } from '../../image/decoders/jsquash.ts';
import { embeddedFile, embeddedUrl } from './embedded.ts';

const ORT_DIST = 'node_modules/onnxruntime-web/dist';
const ORT_GLUE = `${ORT_DIST}/ort-wasm-simd-threaded.mjs`;
/** Staged apart by the build: beside the glue it would collide with the glue's output name. */
const ORT_WASM = 'dist/.build/ort-wasm-simd-threaded.wasm';
const JSQUASH_WASM = {
  jpeg: 'node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
  png: 'node_modules/@jsquash/png/codec/pkg/squoosh_png_bg.wasm',
  webp: 'node_modules/@jsquash/webp/codec/dec/webp_dec.wasm',
} as const;

/** onnxruntime-web pointed at the built-in glue and binary instead of its own package folder. */
export function builtInWebBackend(): Backend {
  return webBackend(async () => {
    const ort = await import('onnxruntime-web');
    // The glue is compiled as a JS entrypoint, so it sits at its source path with a .js name.
    ort.env.wasm.wasmPaths = { mjs: embeddedUrl(ORT_GLUE.replace(/\.mjs$/, '.js')).href, wasm: embeddedUrl(ORT_WASM).href };
    return ort;
  });
}

/** The @jsquash codecs compiled from the built-in .wasm files, each on first use. */
export function builtInJsquashWasm(): JsquashWasm {
  const load = (path: string) => async () => {
    const f = embeddedFile(path);
    if (!f) throw new Error(`${path} is not built into this binary`);
    return WebAssembly.compile(await f.arrayBuffer());
  };
  return { jpeg: load(JSQUASH_WASM.jpeg), png: load(JSQUASH_WASM.png), webp: load(JSQUASH_WASM.webp) };
}
