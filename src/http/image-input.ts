// Reads encoded images from a request in the three forms the image routes accept: multipart
// form fields, a raw `image/*` (or octet-stream) body, or JSON with base64 strings. Sizes are
// bounded before anything is buffered; what is wrong is named in the error. The body's other
// fields (multipart text fields, JSON fields) come back as received, repeats included, for the
// route's options (http/params.ts decides what they may be).

import type { Context } from 'hono';
import { EdgeError, invalid } from '../core/errors.ts';
import { readBody } from './body.ts';
import { parseMultipart } from './multipart.ts';
import { type ReceivedOptions, collect, jsonFields, quote } from './params.ts';

export interface ImageFields {
  images: Record<string, Uint8Array>;
  /** The body's other fields, for readOptions(). */
  options: ReceivedOptions;
}

export async function readImages(c: Context, fields: string[], maxBytes: number): Promise<ImageFields> {
  const contentType = c.req.header('content-type') ?? '';
  const type = contentType.split(';')[0].trim().toLowerCase();
  const body = await readBody(c, maxBytes);
  if (body.byteLength === 0)
    throw invalid(
      `empty request body: send the image as multipart field${fields.length > 1 ? 's' : ''} ${fields.map((f) => `'${f}'`).join(', ')}, ${fields.length > 1 ? '' : 'a raw image/* body, '}or JSON {${fields.map((f) => `"${f}": "<base64>"`).join(', ')}}`,
    );
  if (type === 'multipart/form-data') return fromMultipart(contentType, body, fields);
  if (type === 'application/json') return fromJson(body, fields);
  if (type.startsWith('image/') || type === 'application/octet-stream' || type === '') {
    if (fields.length !== 1) throw invalid(`this route takes ${fields.length} images: send multipart fields ${fields.join(', ')} or JSON with base64 strings`);
    return { images: { [fields[0]]: body }, options: {} };
  }
  throw new EdgeError('UNSUPPORTED_MEDIA', `unsupported Content-Type '${type}': use multipart/form-data, image/jpeg|png|webp, or application/json`);
}

function fromMultipart(contentType: string, body: Uint8Array, fields: string[]): ImageFields {
  const parts = parseMultipart(body, contentType);
  const images: Record<string, Uint8Array> = {};
  const options: ReceivedOptions = {};
  const text = new TextDecoder();
  for (const p of parts) {
    if (fields.includes(p.name)) {
      if (Object.hasOwn(images, p.name)) throw invalid(`multipart field '${p.name}' given more than once: send one image per field`);
      if (p.data.byteLength === 0) throw invalid(`multipart field '${p.name}' is empty`);
      images[p.name] = p.data;
    } else if (p.filename !== undefined) {
      throw invalid(
        `unexpected multipart file field '${p.name}' (filename '${p.filename}'): this route takes the image${fields.length > 1 ? 's' : ''} ${fields.map((f) => `'${f}'`).join(', ')}`,
      );
    } else {
      collect(options, 'form field', [[p.name, text.decode(p.data)]]);
    }
  }
  for (const f of fields) if (!images[f]) throw invalid(`missing multipart field '${f}' (an image file)`);
  return { images, options };
}

function fromJson(body: Uint8Array, fields: string[]): ImageFields {
  const { object, fields: all } = jsonFields(new TextDecoder().decode(body));
  const images: Record<string, Uint8Array> = {};
  for (const f of fields) {
    if ((all[f]?.length ?? 0) > 1) throw invalid(`JSON field '${f}' given ${all[f].length} times`);
    const v = object[f];
    if (typeof v !== 'string' || v.length === 0) throw invalid(`JSON field '${f}' must be a non-empty base64 string of the encoded image, got ${quote(v)}`);
    images[f] = decodeBase64(v, `JSON field '${f}'`);
  }
  const options = Object.fromEntries(Object.entries(all).filter(([k]) => !fields.includes(k)));
  return { images, options };
}

const ALPHABET = /^[A-Za-z0-9+/]*$/;

/**
 * Standard base64 (RFC 4648 §4), padded or not, whitespace and a `data:…;base64,` prefix
 * allowed. Checked here rather than by atob() so every runtime refuses the same inputs with the
 * same message (atob throws a DOMException, which is not a client error to the error mapper).
 */
export function decodeBase64(value: string, what: string): Uint8Array {
  const s = value.replace(/^data:[^;,]*;base64,/, '').replace(/[\t\n\f\r ]+/g, '');
  const unpadded = s.replace(/={1,2}$/, '');
  const bad = (why: string) => invalid(`${what} is not valid base64 (${why}), got ${quote(value)}`);
  if (!ALPHABET.test(unpadded)) {
    const i = unpadded.search(/[^A-Za-z0-9+/]/);
    throw bad(`character ${quote(unpadded[i])} at position ${i}`);
  }
  if (unpadded.length === 0) throw bad('no data');
  if (unpadded.length % 4 === 1) throw bad(`${unpadded.length} character${unpadded.length === 1 ? '' : 's'}: a length of 4k+1 cannot be base64`);
  if (unpadded.length !== s.length && s.length % 4 !== 0) throw bad('padding does not complete a group of 4');
  const u8 = Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array };
  if (u8.fromBase64) return u8.fromBase64(unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4));
  const bin = atob(unpadded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
