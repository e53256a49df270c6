// decodeBase64: the same bytes and the same refusals with Uint8Array.fromBase64 (Bun, Deno) and
// with the atob() fallback (Node 20, which lacks fromBase64).

import { afterEach, describe, expect, test } from 'bun:test';
import { isEdgeError } from '../core/errors.ts';
import { decodeBase64 } from './image-input.ts';

const u8 = Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array };
const native = u8.fromBase64;
afterEach(() => {
  u8.fromBase64 = native;
});

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 255);
const b64 = Buffer.from(bytes).toString('base64');

for (const mode of ['fromBase64', 'atob'] as const) {
  describe(`with ${mode}`, () => {
    const use = () => {
      if (mode === 'atob') u8.fromBase64 = undefined;
    };
    test('padded, unpadded, wrapped and data: URL forms decode to the same bytes', () => {
      use();
      for (const s of [b64, b64.replace(/=+$/, ''), b64.replace(/(.{76})/g, '$1\r\n'), `data:image/png;base64,${b64}`]) {
        expect(decodeBase64(s, 'field')).toEqual(bytes);
      }
      expect(decodeBase64('YQ', 'f')).toEqual(new Uint8Array([97]));
      expect(decodeBase64('YWI=', 'f')).toEqual(new Uint8Array([97, 98]));
    });
    test('every malformed input is an INVALID_ARGUMENT naming the field', () => {
      use();
      for (const s of ['a', 'YWJjZ', 'YQ=', 'Y=Q=', '====', 'YQ==YQ==', 'YW!j', '-_8=', 'data:image/png;base64,']) {
        let err: unknown;
        try {
          decodeBase64(s, "JSON field 'image'");
        } catch (e) {
          err = e;
        }
        expect({ s, code: isEdgeError(err) ? err.code : String(err) }).toEqual({ s, code: 'INVALID_ARGUMENT' });
        expect((err as Error).message).toStartWith("JSON field 'image' is not valid base64 (");
      }
    });
  });
}
