// Reads a request body with a hard byte limit: a declared Content-Length over the limit is
// refused before anything is read, and a chunked body is cut off as soon as it passes the limit,
// so an oversized upload is never buffered whole. gzip/deflate bodies are inflated on the way.

import type { Context } from 'hono';
import { EdgeError } from '../core/errors.ts';

export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (n: string) => new EdgeError('PAYLOAD_TOO_LARGE', `request body of ${n} bytes exceeds the limit of ${maxBytes} bytes`);
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(declared);
  // Triton's clients may compress requests; the limit then applies to the inflated bytes, so a
  // compression bomb is cut off like any other oversized body.
  const encoding = c.req.header('content-encoding')?.trim().toLowerCase() || 'identity';
  if (encoding !== 'gzip' && encoding !== 'deflate' && encoding !== 'identity') {
    throw new EdgeError('UNSUPPORTED_MEDIA', `unsupported Content-Encoding '${encoding}': use gzip, deflate or none`);
  }
  // A declared length within the limit (the framing holds the client to it) is read in one
  // native call: on Bun cheaper than pulling the chunks through a stream reader.
  if (declared !== undefined && encoding === 'identity') {
    const buf = await c.req.raw.arrayBuffer().catch((e: Error) => {
      throw new EdgeError('INVALID_ARGUMENT', `cannot read the request body: ${e.message}`);
    });
    return new Uint8Array(buf);
  }
  let stream: ReadableStream<Uint8Array> | null = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  if (encoding !== 'identity') stream = stream.pipeThrough(new DecompressionStream(encoding) as unknown as TransformStream<Uint8Array, Uint8Array>);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read().catch((e: Error) => {
      throw new EdgeError('INVALID_ARGUMENT', `cannot read the request body: ${e.message}`);
    });
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
