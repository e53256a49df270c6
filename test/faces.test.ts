// The face routes end to end in memory (app.request) on real photos with the real models:
// every input form, the options, rendering, verification decisions, bad images, and agreement
// with an independent reference detector.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faceApp } from './face-app.ts';
import { bigJpeg } from '../src/image/testing/images.ts';
import { FIXTURES } from './helpers.ts';
import { iou, referenceDetect } from './reference-detector.ts';
import { variants } from './variants.ts';

type App = Awaited<ReturnType<typeof faceApp>>['app'];
let app: App;
let repo: string;
const fx = (f: string) => new Uint8Array(readFileSync(join(FIXTURES, f)));
const ASTRONAUT_BOX = [179.9, 62.2, 268.6, 173];

beforeAll(async () => {
  ({ app, repo } = await faceApp());
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

function form(fields: Record<string, Uint8Array>, extra: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, new Blob([v as Uint8Array<ArrayBuffer>]), `${k}.bin`);
  for (const [k, v] of Object.entries(extra)) f.append(k, v);
  return f;
}
const detect = (body: BodyInit | Uint8Array, headers: Record<string, string> = {}, query = '') =>
  app.request(`/v1/faces/detect${query}`, { method: 'POST', body: body as BodyInit, headers });

describe('POST /v1/faces/detect', () => {
  test('multipart: one face on the astronaut, box on the face', async () => {
    const r = await detect(form({ image: fx('astronaut.jpg') }));
    expect(r.status).toBe(200);
    const j = await r.json();
    expect(j.image).toEqual({ width: 512, height: 512 });
    expect(j.faces).toHaveLength(1);
    expect(j.faces[0].score).toBeGreaterThan(0.9);
    expect(iou(j.faces[0].box, ASTRONAUT_BOX)).toBeGreaterThan(0.9);
  });

  test('raw image/png body and JSON base64 give the same face', async () => {
    const raw = await (await detect(fx('astronaut.png'), { 'content-type': 'image/png' })).json();
    const b64 = Buffer.from(fx('astronaut.jpg')).toString('base64');
    const js = await (await detect(JSON.stringify({ image: b64 }), { 'content-type': 'application/json' })).json();
    expect(iou(raw.faces[0].box, ASTRONAUT_BOX)).toBeGreaterThan(0.9);
    expect(iou(js.faces[0].box, raw.faces[0].box)).toBeGreaterThan(0.95);
  });

  test('EXIF orientation 6: boxes in the upright image', async () => {
    const j = await (await detect(fx('astronaut_exif6.jpg'), { 'content-type': 'image/jpeg' })).json();
    expect(j.image).toEqual({ width: 512, height: 512 });
    expect(j.faces).toHaveLength(1);
    expect(iou(j.faces[0].box, ASTRONAUT_BOX)).toBeGreaterThan(0.9);
  });

  test('one face on camera.png (grayscale); none on coffee (PNG, WebP) or the Hubble deep field', async () => {
    const count = async (f: string) => (await (await detect(form({ image: fx(f) }))).json()).faces.length;
    expect(await count('camera.png')).toBe(1);
    expect(await count('coffee.png')).toBe(0);
    expect(await count('coffee.webp')).toBe(0);
    expect(await count('hubble_deep_field.jpg')).toBe(0);
  });

  test('boxes agree with an independent reference implementation (IoU ≥ 0.9)', async () => {
    const photos: Record<string, Uint8Array> = { astronaut: fx('astronaut.jpg'), camera: fx('camera.png'), ...(await variants(fx('astronaut.png'))) };
    for (const [name, bytes] of Object.entries(photos)) {
      const ours = (await (await detect(form({ image: bytes }))).json()).faces;
      const ref = await referenceDetect(bytes);
      expect({ name, n: ours.length }).toEqual({ name, n: ref.boxes.length });
      for (let i = 0; i < ref.boxes.length; i++) expect(iou(ours[i].box, ref.boxes[i])).toBeGreaterThanOrEqual(0.9);
    }
  });

  test('options: thresholds from the query or form fields; bad values → 400 naming the option', async () => {
    // No suppression and a low threshold: the raw overlapping candidates, capped by max_faces.
    const many = await (await detect(form({ image: fx('astronaut.jpg') }), {}, '?score_threshold=0.2&iou_threshold=1&max_faces=5')).json();
    expect(many.faces.length).toBe(5);
    for (const f of many.faces) expect(f.score).toBeGreaterThanOrEqual(0.2);
    expect(many.faces.map((f: { score: number }) => f.score)).toEqual([...many.faces.map((f: { score: number }) => f.score)].sort((a, b) => b - a));
    const viaForm = await (await detect(form({ image: fx('astronaut.jpg') }, { score_threshold: '0.2', iou_threshold: '1', max_faces: '2' }))).json();
    expect(viaForm.faces.length).toBe(2);
    const bad = await detect(form({ image: fx('astronaut.jpg') }), {}, '?score_threshold=2');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toContain('score_threshold');
    const bad2 = await detect(form({ image: fx('astronaut.jpg') }), {}, '?max_faces=0');
    expect(bad2.status).toBe(400);
  });

  test('render=png returns the photo with boxes drawn', async () => {
    const r = await detect(form({ image: fx('astronaut.jpg') }), {}, '?render=png');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    const png = new Uint8Array(await r.arrayBuffer());
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    const view = new DataView(png.buffer);
    expect([view.getUint32(16), view.getUint32(20)]).toEqual([512, 512]);
  });
});

describe('hostile and broken images get a clear 4xx, and the server keeps serving', () => {
  const cases: Array<[string, Uint8Array, string, number, RegExp]> = [
    ['truncated JPEG', fx('astronaut.jpg').subarray(0, 30000), 'image/jpeg', 422, /truncated|incomplete|corrupt/i],
    ['zero bytes', new Uint8Array(0), 'image/jpeg', 400, /empty/i],
    ['a text file as image/jpeg', new TextEncoder().encode('hello, I am not a picture\n'), 'image/jpeg', 415, /not .*(JPEG|image)|unsupported|unrecognised|unknown/i],
    ['a text file as text/plain', new TextEncoder().encode('hello'), 'text/plain', 415, /Content-Type/],
  ];
  for (const [name, body, type, status, msg] of cases) {
    test(name, async () => {
      const r = await detect(body, { 'content-type': type });
      expect(r.status).toBe(status);
      expect((await r.json()).error).toMatch(msg);
    });
  }

  test('a 50000x50000 PNG header → 413 before any decode', async () => {
    const png = pngHeader(50000, 50000);
    const r = await detect(png, { 'content-type': 'image/png' });
    expect(r.status).toBe(413);
    expect((await r.json()).error).toMatch(/50000x50000.*limit/);
  });

  test('still serving after all of the above', async () => {
    const j = await (await detect(form({ image: fx('astronaut.jpg') }))).json();
    expect(j.faces).toHaveLength(1);
  });
});

describe('POST /v1/faces/embed and /v1/faces/verify', () => {
  test('embed: 512-d, L2-normalised, with the box used', async () => {
    const j = await (await app.request('/v1/faces/embed', { method: 'POST', body: form({ image: fx('astronaut.jpg') }) })).json();
    expect(j.embedding).toHaveLength(512);
    const norm = Math.sqrt(j.embedding.reduce((s: number, x: number) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 3);
    expect(iou(j.box, ASTRONAUT_BOX)).toBeGreaterThan(0.9);
    const withBox = await app.request('/v1/faces/embed?box=180,62,269,173', { method: 'POST', body: fx('astronaut.jpg'), headers: { 'content-type': 'image/jpeg' } });
    expect(withBox.status).toBe(200);
    expect((await withBox.json()).box).toEqual([180, 62, 269, 173]);
  });

  test('embed with no face → 422', async () => {
    const r = await app.request('/v1/faces/embed', { method: 'POST', body: form({ image: fx('coffee.png') }) });
    expect(r.status).toBe(422);
    expect((await r.json()).error).toMatch(/no face/);
  });

  test('same person (flip, crop, rescale, re-encode) matches; a different person does not', async () => {
    const base = fx('astronaut.png');
    for (const [name, v] of Object.entries(await variants(base))) {
      const j = await (await app.request('/v1/faces/verify', { method: 'POST', body: form({ image1: base, image2: v }) })).json();
      expect({ name, match: j.match }).toEqual({ name, match: true });
      expect(j.similarity).toBeGreaterThan(0.6);
    }
    const diff = await (await app.request('/v1/faces/verify', { method: 'POST', body: form({ image1: base, image2: fx('camera.png') }) })).json();
    expect(diff.match).toBe(false);
    expect(diff.similarity).toBeLessThan(0.4);
    expect(diff.threshold).toBe(0.5);
    expect(diff.faces).toHaveLength(2);
  });

  test('verify via JSON base64 with a custom threshold', async () => {
    const b64 = (f: string) => Buffer.from(fx(f)).toString('base64');
    const r = await app.request('/v1/faces/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image1: b64('astronaut.jpg'), image2: b64('astronaut_exif6.jpg'), threshold: 0.95 }) });
    const j = await r.json();
    expect(j.threshold).toBe(0.95);
    expect(j.similarity).toBeGreaterThan(0.95);
  });

  test('verify: an image with no face → 422 naming it; a missing field → 400', async () => {
    const r = await app.request('/v1/faces/verify', { method: 'POST', body: form({ image1: fx('astronaut.jpg'), image2: fx('hubble_deep_field.jpg') }) });
    expect(r.status).toBe(422);
    expect((await r.json()).error).toContain('image2');
    const m = await app.request('/v1/faces/verify', { method: 'POST', body: form({ image1: fx('astronaut.jpg') }) });
    expect(m.status).toBe(400);
    expect((await m.json()).error).toContain("'image2'");
  });
});

describe('images through KServe v2 infer', () => {
  test('face_detect takes an encoded image as a BYTES input (binary extension)', async () => {
    const img = fx('astronaut.jpg');
    const header = new TextEncoder().encode(JSON.stringify({
      inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: img.length + 4 } }],
      outputs: [{ name: 'scores' }],
    }));
    const body = new Uint8Array(header.length + 4 + img.length);
    body.set(header);
    new DataView(body.buffer).setUint32(header.length, img.length, true);
    body.set(img, header.length + 4);
    const r = await app.request('/v2/models/face_detect/infer', { method: 'POST', body, headers: { 'Inference-Header-Content-Length': String(header.length) } });
    expect(r.status).toBe(200);
    const j = await r.json();
    expect(j.parameters).toEqual({ image_width: 512, image_height: 512 });
    expect(j.outputs[0].shape).toEqual([1, 4420, 2]);
    expect(Math.max(...j.outputs[0].data.filter((_: number, i: number) => i % 2 === 1))).toBeGreaterThan(0.9);
  });

  test('a corrupt image in a BYTES input → 422', async () => {
    const r = await app.request('/v2/models/face_detect/infer', { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', data: ['definitely not an image'] }] }) });
    expect(r.status).toBe(415);
  });
});

/** A PNG signature + IHDR chunk claiming the given size (no pixel data). */
function pngHeader(w: number, h: number): Uint8Array {
  const b = new Uint8Array(8 + 25);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const v = new DataView(b.buffer);
  v.setUint32(8, 13);
  b.set([0x49, 0x48, 0x44, 0x52], 12);
  v.setUint32(16, w);
  v.setUint32(20, h);
  b.set([8, 2, 0, 0, 0], 24);
  let c = 0xffffffff;
  for (const byte of b.subarray(12, 29)) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  v.setUint32(29, (c ^ 0xffffffff) >>> 0);
  return b;
}

describe('image.reducing_gap', () => {
  test('the face detector\'s 1 (a 12 MP JPEG decoded at 1/8) finds the same face as the default 2 (at 1/4)', async () => {
    const gap2 = await faceApp((dir) => {
      const f = join(dir, 'face_detect', 'config.json');
      const c = JSON.parse(readFileSync(f, 'utf8'));
      expect(c.image.reducing_gap).toBe(1); // as shipped in models/
      writeFileSync(f, JSON.stringify({ ...c, image: { ...c.image, reducing_gap: 2 } }));
    });
    try {
      const photo = await bigJpeg(4000, 3000);
      const run = async (a: App) => (await (await a.request('/v1/faces/detect', { method: 'POST', body: form({ image: photo }) })).json()).faces;
      const [shipped, def] = [await run(app), await run(gap2.app)];
      expect(shipped.length).toBe(1);
      expect(def.length).toBe(1);
      const stretched = ASTRONAUT_BOX.map((v, i) => (v * (i % 2 ? 3000 : 4000)) / 512); // 512x512 drawn at 4000x3000
      expect(iou(def[0].box, stretched)).toBeGreaterThan(0.8);
      expect(iou(shipped[0].box, def[0].box)).toBeGreaterThan(0.98); // measured 0.994
      expect(Math.abs(shipped[0].score - def[0].score)).toBeLessThan(0.02);
      // Images within 2x of the input are decoded the same either way.
      const small = async (a: App) => (await (await a.request('/v1/faces/detect', { method: 'POST', body: form({ image: fx('chelsea.png') }) })).json()).faces;
      expect(await small(app)).toEqual(await small(gap2.app));
    } finally {
      rmSync(gap2.repo, { recursive: true, force: true });
    }
  });
});
