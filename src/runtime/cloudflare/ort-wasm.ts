// The onnxruntime-web engine as it must be set up on Cloudflare Workers (workerd), where
// WebAssembly cannot be compiled from bytes at run time. Wrangler turns the static import of
// ORT's .wasm into a compiled WebAssembly.Module; ORT's emscripten glue, given `wasmBinary`,
// calls WebAssembly.instantiate(bytes, imports), so we hand it a tiny placeholder and answer
// that one call with the precompiled module. Only the plain SIMD build is imported (not the
// JSEP/JSPI/asyncify variants): it is the largest part of the upload.

import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import type { Backend } from '../../engine/backend.ts';
import { webBackendFrom } from '../../engine/onnxruntime-web.ts';

/** What ORT receives as `wasmBinary`: identified by its buffer, never compiled. */
const PLACEHOLDER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]).buffer;

let patched = false;

/**
 * Routes the emscripten glue's instantiate-from-bytes call for the placeholder to the compiled
 * module; every other call goes through untouched. Installed on first use (inside a request),
 * never at global scope.
 */
function usePrecompiledModule(module: WebAssembly.Module): void {
  if (patched) return;
  patched = true;
  const original = WebAssembly.instantiate.bind(WebAssembly) as (src: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;
  const isPlaceholder = (src: unknown) => src === PLACEHOLDER || (ArrayBuffer.isView(src) && src.buffer === PLACEHOLDER);
  (WebAssembly as { instantiate: unknown }).instantiate = async (src: unknown, imports?: WebAssembly.Imports) => {
    if (!isPlaceholder(src)) return original(src, imports);
    const instance = (await original(module, imports)) as WebAssembly.Instance;
    return { instance, module };
  };
}

/** onnxruntime-web (WASM, one thread, in-process) for workerd. */
export function workersOrtBackend(): Backend {
  return webBackendFrom(async () => {
    const ort = await import('onnxruntime-web/wasm');
    usePrecompiledModule(ortWasm);
    // Workers have no threads (no SharedArrayBuffer workers) and no proxy worker; the
    // placeholder stops ORT from fetching its .wasm by URL.
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmBinary = PLACEHOLDER;
    return ort;
  });
}
