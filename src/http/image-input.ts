// Reads encoded images from a request in the three forms the image routes accept: multipart
// form fields, a raw `image/*` (or octet-stream) body, or JSON with base64 strings. Sizes are
// bounded before anything is buffered; what is wrong is named in the error.

import type { Context } from 'hono';
import { EdgeError, invalid } from '../core/errors.ts';
import { readBody } from './body.ts';
import { parseMultipart } from './multipart.ts';

export interface ImageFields {
  images: Record<string, Uint8Array>;
  /** Other JSON fields or form fields (strings), for route options. */
  extra: Record<string, unknown>;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export async function readImages(c: Context, fields: string[], maxBytes: number): Promise<ImageFields> {
  const contentType = c.req.header('content-type') ?? '';
  const type = contentType.split(';')[0].trim().toLowerCase();
  const body = await readBody(c, maxBytes);
  if (body.byteLength === 0) throw invalid(`empty request body: send the image as multipart field${fields.length > 1 ? 's' : ''} ${fields.map((f) => `'${f}'`).join(', ')}, a raw image/* body${fields.length > 1 ? '' : ''}, or JSON {${fields.map((f) => `"${f}": "<base64>"`).join(', ')}}`);
  if (type === 'multipart/form-data') return fromMultipart(contentType, body, fields);
  if (type === 'application/json') return fromJson(body, fields);
  if (type.startsWith('image/') || type === 'application/octet-stream' || type === '') {
    if (fields.length !== 1) throw invalid(`this route takes ${fields.length} images: send multipart fields ${fields.join(', ')} or JSON with base64 strings`);
    return { images: { [fields[0]]: body }, extra: {} };
  }
  throw new EdgeError('UNSUPPORTED_MEDIA', `unsupported Content-Type '${type}': use multipart/form-data, image/jpeg|png|webp, or application/json`);
}

function fromMultipart(contentType: string, body: Uint8Array, fields: string[]): ImageFields {
  const parts = parseMultipart(body, contentType);
  const images: Record<string, Uint8Array> = {};
  const extra: Record<string, unknown> = {};
  for (const f of fields) {
    const p = parts.find((q) => q.name === f);
    if (!p) throw invalid(`missing multipart field '${f}' (an image file)`);
    if (p.data.byteLength === 0) throw invalid(`multipart field '${f}' is empty`);
    images[f] = p.data;
  }
  const text = new TextDecoder();
  for (const p of parts) if (!fields.includes(p.name) && p.filename === undefined && !Object.hasOwn(extra, p.name)) extra[p.name] = text.decode(p.data);
  return { images, extra };
}

function fromJson(body: Uint8Array, fields: string[]): ImageFields {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch (e) {
    throw invalid(`request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('JSON body must be an object');
  const obj = json as Record<string, unknown>;
  const images: Record<string, Uint8Array> = {};
  for (const f of fields) {
    const v = obj[f];
    if (typeof v !== 'string' || v.length === 0) throw invalid(`JSON field '${f}' must be a non-empty base64 string of the encoded image`);
    const b64 = v.replace(/^data:[^;,]*;base64,/, '').replace(/\s+/g, '');
    if (!BASE64.test(b64)) throw invalid(`JSON field '${f}' is not valid base64`);
    images[f] = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  }
  const extra = Object.fromEntries(Object.entries(obj).filter(([k]) => !fields.includes(k)));
  return { images, extra };
}
