// Reads a request body with a hard byte limit: a declared Content-Length over the limit is
// refused before anything is read, and a chunked body is cut off as soon as it passes the limit,
// so an oversized upload is never buffered whole.

import type { Context } from 'hono';
import { EdgeError } from '../core/errors.ts';

export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (n: string) => new EdgeError('PAYLOAD_TOO_LARGE', `request body of ${n} bytes exceeds the limit of ${maxBytes} bytes`);
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(declared);
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(`more than ${maxBytes}`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const ch of chunks) { out.set(ch, o); o += ch.byteLength; }
  return out;
}
