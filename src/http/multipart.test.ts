// parseMultipart: the parts a browser / fetch FormData sends come back byte for byte as views
// into the body (no copies), the framing variants clients produce are accepted, and every
// malformed body is refused with an error naming what is wrong.

import { describe, expect, test } from 'bun:test';
import { EdgeError } from '../core/errors.ts';
import { MAX_PARTS, multipartBoundary, parseMultipart } from './multipart.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const cat = (...xs: Array<string | Uint8Array>) => {
  const parts = xs.map((x) => (typeof x === 'string' ? enc(x) : x));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
};
/** Bytes that contain CR, LF and dashes everywhere, as JPEG data does. */
const noisy = (n: number) => Uint8Array.from({ length: n }, (_, i) => [13, 10, 45, 45, (i * 31) & 255][i % 5]);

async function encoded(form: FormData): Promise<{ body: Uint8Array; type: string }> {
  const r = new Request('http://x/', { method: 'POST', body: form });
  const type = r.headers.get('content-type')!; // read first: Bun no longer reports it once the body is read
  return { body: new Uint8Array(await r.arrayBuffer()), type };
}

function refused(body: Uint8Array, type: string, message: RegExp): void {
  let err: unknown;
  try {
    parseMultipart(body, type);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(EdgeError);
  expect((err as EdgeError).code).toBe('INVALID_ARGUMENT');
  expect((err as Error).message).toMatch(message);
}

describe('what fetch and browsers send', () => {
  test('files and text fields come back byte for byte, as views into the body', async () => {
    const img = noisy(70_000);
    const form = new FormData();
    form.append('image', new Blob([img], { type: 'image/jpeg' }), 'a photo "1".jpg');
    form.append('score_threshold', '0.25');
    form.append('empty', new Blob([]), '');
    const { body, type } = await encoded(form);
    const parts = parseMultipart(body, type);
    expect(parts.map((p) => p.name)).toEqual(['image', 'score_threshold', 'empty']);
    expect(Buffer.from(parts[0].data).equals(Buffer.from(img))).toBe(true);
    expect(parts[0].data.buffer).toBe(body.buffer); // a view, not a copy
    expect(parts[0].contentType).toBe('image/jpeg');
    expect(parts[0].filename).toContain('photo');
    expect(new TextDecoder().decode(parts[1].data)).toBe('0.25');
    expect(parts[1].filename).toBeUndefined();
    expect(parts[2].data.length).toBe(0);
    expect(parts[2].filename).toBe('');
  });

  test("agrees with the runtime's own Request.formData() on the same body", async () => {
    const form = new FormData();
    for (let i = 0; i < 5; i++) form.append(`f${i}`, new Blob([noisy(1000 * i + 1)]), `f${i}.bin`);
    form.append('ünïcode name', 'välue ✓');
    const { body, type } = await encoded(form);
    const theirs = await new Request('http://x/', { method: 'POST', body: body as Uint8Array<ArrayBuffer>, headers: { 'content-type': type } }).formData();
    const ours = parseMultipart(body, type);
    expect(ours.length).toBe([...theirs.keys()].length);
    for (const p of ours) {
      const v = theirs.get(p.name)!;
      const bytes = typeof v === 'string' ? enc(v) : new Uint8Array(await v.arrayBuffer());
      expect(Buffer.from(p.data).equals(Buffer.from(bytes))).toBe(true);
    }
  });
});

describe('framing variants', () => {
  const type = 'multipart/form-data; boundary="b-1 2"';
  test('quoted boundary, preamble, epilogue, transport padding, LF-only headers, no headers at all', () => {
    const body = cat(
      'preamble\r\n',
      '--b-1 2  \r\n',
      'Content-Disposition: form-data; name="a"\n\n',
      'AAA',
      '\r\n--b-1 2\r\n',
      'content-disposition: FORM-DATA; name=b; filename=x.bin\r\n\r\n',
      '\r\n',
      '\r\n--b-1 2--\r\nepilogue',
    );
    const parts = parseMultipart(body, type);
    expect(parts.map((p) => [p.name, new TextDecoder().decode(p.data), p.filename])).toEqual([
      ['a', 'AAA', undefined],
      ['b', '\r\n', 'x.bin'],
    ]);
  });
  test('a body that starts with CRLF before the first delimiter, and an empty part', () => {
    const body = cat('\r\n--b-1 2\r\n', 'Content-Disposition: form-data; name="e"\r\n\r\n', '\r\n--b-1 2--');
    const [p] = parseMultipart(body, type);
    expect(p.name).toBe('e');
    expect(p.data.length).toBe(0);
  });
  test('boundary parameter: token or quoted, any case; refused when missing or too long', () => {
    expect(multipartBoundary('multipart/form-data; BOUNDARY=abc')).toBe('abc');
    expect(multipartBoundary('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b');
    for (const t of ['multipart/form-data', 'multipart/form-data; boundary=', `multipart/form-data; boundary="${'x'.repeat(71)}"`]) {
      expect(() => multipartBoundary(t)).toThrow(/no boundary parameter/);
    }
  });
});

describe('malformed bodies are refused, naming the problem', () => {
  const type = 'multipart/form-data; boundary=XX';
  const part = (name: string) => `--XX\r\nContent-Disposition: form-data; name="${name}"\r\n\r\nv\r\n`;
  test('no delimiter at all', () => refused(enc('just some bytes'), type, /no '--XX' delimiter/));
  test('no closing delimiter (a truncated upload)', () => {
    refused(enc(`${part('a')}`), type, /ends without the closing '--XX--'|not closed by '--XX'/);
    refused(enc(`${part('a')}--XX`), type, /ends without the closing '--XX--'/);
    refused(enc('--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nhalf a fi'), type, /part 1 is not closed by '--XX'/);
  });
  test('a part without the blank line after its headers', () => {
    refused(enc('--XX\r\nContent-Disposition: form-data; name="a"'), type, /part 1 has no end of headers/);
    // …even when a later part has one: part 1's headers are not read across into part 2.
    refused(enc(`--XX\r\nContent-Disposition: form-data; name="a"\r\n${part('b')}--XX--`), type, /part 1 has no end of headers/);
  });
  test('a part without Content-Disposition, or without a name', () => {
    refused(enc('--XX\r\nContent-Type: text/plain\r\n\r\nv\r\n--XX--'), type, /part 1 has no 'Content-Disposition: form-data'/);
    refused(enc(`${part('a')}--XX\r\nContent-Disposition: form-data; filename="f"\r\n\r\nv\r\n--XX--`), type, /part 2 has no name/);
  });
  test('garbage after a delimiter', () => refused(enc('--XXjunk\r\n'), type, /not followed by a line break/));
  test(`more than ${MAX_PARTS} parts`, () => refused(enc(`${part('p').repeat(MAX_PARTS + 1)}--XX--`), type, new RegExp(`more than ${MAX_PARTS} parts`)));
});

test('mutated and truncated bodies give parts or an INVALID_ARGUMENT error, nothing else', async () => {
  const form = new FormData();
  form.append('image', new Blob([noisy(3000)]), 'a.jpg');
  form.append('max_faces', '3');
  const { body, type } = await encoded(form);
  let seed = 12345;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  for (let i = 0; i < 3000; i++) {
    const b = body.slice(0, i % 3 === 0 ? rnd(body.length + 1) : body.length);
    for (let k = rnd(6); k > 0; k--) if (b.length) b[rnd(b.length)] = [13, 10, 45, 34, 59, rnd(256)][rnd(6)];
    try {
      for (const p of parseMultipart(b, type)) expect(p.data.buffer).toBe(b.buffer);
    } catch (e) {
      expect(e).toBeInstanceOf(EdgeError);
      expect((e as EdgeError).code).toBe('INVALID_ARGUMENT');
    }
  }
});
