// Loads and compiles the @jsquash codec .wasm files from node_modules, for the jsquash decoder
// on Bun, Node and Deno (which may compile WebAssembly at run time; Workers may not, see
// image/decoders/jsquash.ts). Runtime code, so the decoder imports no node: module. Each codec is read and
// compiled on first use only.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { JsquashWasm } from '../image/decoders/jsquash.ts';

export function nodeJsquashWasm(): JsquashWasm {
  const require = createRequire(import.meta.url);
  const load = (file: string) => async () => WebAssembly.compile(await readFile(require.resolve(file)));
  return {
    jpeg: load('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'),
    png: load('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'),
    webp: load('@jsquash/webp/codec/dec/webp_dec.wasm'),
  };
}
