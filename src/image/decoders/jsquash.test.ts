// jsquash-specific behaviour beyond the contract: codec loading (once, lazily, retried after a
// failure, reported as INTERNAL rather than blamed on the image) and recovery after errors.

import { expect, test } from 'bun:test';
import { EdgeError } from '../../core/errors.ts';
import { fixture } from '../testing/images.ts';
import { createJsquashDecoder, type JsquashWasm } from './jsquash.ts';
import { nodeJsquashWasm } from '../../runtime/jsquash-wasm.ts';

test('each codec is loaded once, on first use, and survives many corrupt inputs', async () => {
  const real = nodeJsquashWasm();
  const calls = { jpeg: 0, png: 0, webp: 0 };
  const counted = Object.fromEntries(
    (['jpeg', 'png', 'webp'] as const).map((k) => [k, () => (calls[k]++, (real[k] as () => Promise<WebAssembly.Module>)())]),
  ) as unknown as JsquashWasm;
  const dec = createJsquashDecoder(counted);
  expect(calls).toEqual({ jpeg: 0, png: 0, webp: 0 });
  const jpg = fixture('astronaut.jpg');
  const bad = jpg.slice();
  bad.fill(0xff, 2000, 2400);
  for (let i = 0; i < 20; i++) await dec.decode(bad).catch((e: EdgeError) => expect(e.code).toBe('UNPROCESSABLE'));
  expect((await dec.decode(jpg)).width).toBe(512);
  expect(calls).toEqual({ jpeg: 1, png: 0, webp: 0 });
});

test("a codec that cannot load → INTERNAL (not the client's fault), retried next time", async () => {
  let fail = true;
  const real = nodeJsquashWasm();
  const dec = createJsquashDecoder({
    ...real,
    jpeg: async () => {
      if (fail) throw new Error('ENOENT: mozjpeg_dec.wasm');
      return (real.jpeg as () => Promise<WebAssembly.Module>)();
    },
  });
  const err = await dec.decode(fixture('astronaut.jpg')).catch((e: EdgeError) => e);
  expect(err).toBeInstanceOf(EdgeError);
  expect((err as EdgeError).code).toBe('INTERNAL');
  expect((err as EdgeError).message).toContain('ENOENT');
  fail = false;
  expect((await dec.decode(fixture('astronaut.jpg'))).width).toBe(512);
});
