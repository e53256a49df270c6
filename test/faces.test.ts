// The face routes end to end in memory (app.request) on real photos with the real models:
// every input form, the options, rendering, verification decisions, bad images, and agreement
// with an independent reference detector.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faceApp } from './face-app.ts';
import { bigJpeg } from '../src/image/testing/images.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../src/tasks/faces/service.ts';
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

describe('landmarks and liveness on request', () => {
  const inside = (p: number[], b: number[], pad: number) => p[0] > b[0] - pad && p[0] < b[2] + pad && p[1] > b[1] - pad && p[1] < b[3] + pad;

  test('landmarks=5 and 68: points in image pixels on the face; none unless asked', async () => {
    const plain = (await (await detect(form({ image: fx('astronaut.jpg') }))).json()).faces[0];
    expect(Object.keys(plain).sort()).toEqual(['box', 'score']);
    const five = (await (await detect(form({ image: fx('astronaut.jpg') }), {}, '?landmarks=5')).json()).faces[0];
    expect(five.landmarks).toHaveLength(5);
    for (const p of five.landmarks) expect(inside(p, five.box, 0)).toBe(true);
    const [le, re, nose, lm, rm] = five.landmarks;
    expect(le[0]).toBeLessThan(re[0]); // left eye (in the image) left of the right eye
    expect(nose[1]).toBeGreaterThan(le[1]);
    expect(lm[1]).toBeGreaterThan(nose[1]);
    expect(lm[0]).toBeLessThan(rm[0]);
    const full = (await (await detect(form({ image: fx('astronaut.jpg') }, { landmarks: '68' }))).json()).faces[0];
    const viaJson = await (
      await detect(JSON.stringify({ image: Buffer.from(fx('astronaut.jpg')).toString('base64'), landmarks: 68 }), { 'content-type': 'application/json' })
    ).json();
    expect(viaJson.faces[0].landmarks).toEqual(full.landmarks);
    expect(full.landmarks).toHaveLength(68);
    for (const p of full.landmarks) expect(inside(p, full.box, 10)).toBe(true);
    // EXIF orientation: the points follow the upright image.
    const rot = (await (await detect(fx('astronaut_exif6.jpg'), { 'content-type': 'image/jpeg' }, '?landmarks=5')).json()).faces[0];
    for (const [i, p] of rot.landmarks.entries()) expect(Math.hypot(p[0] - five.landmarks[i][0], p[1] - five.landmarks[i][1])).toBeLessThan(4);
  });

  test('liveness=true: a probability per face on detect, embed and verify; bad values → 400', async () => {
    const d = (await (await detect(form({ image: fx('astronaut.jpg') }), {}, '?liveness=true&landmarks=5')).json()).faces[0];
    expect(d.liveness).toBeGreaterThanOrEqual(0);
    expect(d.liveness).toBeLessThanOrEqual(1);
    expect(d.landmarks).toHaveLength(5);
    const e = await (await app.request('/v1/faces/embed?liveness=true', { method: 'POST', body: form({ image: fx('astronaut.jpg') }) })).json();
    expect(e.liveness).toBeCloseTo(d.liveness, 3);
    const v = await (
      await app.request('/v1/faces/verify', { method: 'POST', body: form({ image1: fx('astronaut.jpg'), image2: fx('camera.png') }, { liveness: 'true' }) })
    ).json();
    expect(v.liveness).toHaveLength(2);
    expect(v.liveness[0]).toBeCloseTo(d.liveness, 3);
    const none = await (
      await app.request('/v1/faces/verify', { method: 'POST', body: form({ image1: fx('astronaut.jpg'), image2: fx('camera.png') }) })
    ).json();
    expect(none.liveness).toBeUndefined();
    const bad = async (q: string) => (await (await detect(form({ image: fx('astronaut.jpg') }), {}, q)).json()).error;
    expect(await bad('?landmarks=7')).toBe("landmarks: expected one of '5', '68', got '7'");
    expect(await bad('?landmarks=')).toBe("landmarks: expected one of '5', '68', got ''");
    expect(await bad('?liveness=yes')).toBe("liveness: expected true or false, got 'yes'");
    expect(await bad('?liveness=1')).toBe("liveness: expected true or false, got '1'");
  });

  test('verify: box1/box2 choose the faces; every candidate is returned', async () => {
    const v = await (
      await app.request('/v1/faces/verify?box1=170,50,280,185&box2=180,60,270,175', {
        method: 'POST',
        body: form({ image1: fx('astronaut.jpg'), image2: fx('astronaut_exif6.jpg') }),
      })
    ).json();
    expect(v.faces).toEqual([
      [170, 50, 280, 185],
      [180, 60, 270, 175],
    ]);
    expect(v.candidates[0]).toEqual([{ box: ASTRONAUT_BOX, score: 1 }]);
    expect(v.match).toBe(true);
    const bad = await (
      await app.request('/v1/faces/verify?box2=1,2,3', { method: 'POST', body: form({ image1: fx('astronaut.jpg'), image2: fx('astronaut.jpg') }) })
    ).json();
    expect(bad.error).toBe('box2: expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1, got \'1,2,3\'');
  });
});

describe('hostile and broken images get a clear 4xx, and the server keeps serving', () => {
  const cases: Array<[string, Uint8Array, string, number, RegExp]> = [
    ['truncated JPEG', fx('astronaut.jpg').subarray(0, 30000), 'image/jpeg', 422, /truncated|incomplete|corrupt/i],
    ['zero bytes', new Uint8Array(0), 'image/jpeg', 400, /empty/i],
    [
      'a text file as image/jpeg',
      new TextEncoder().encode('hello, I am not a picture\n'),
      'image/jpeg',
      415,
      /not .*(JPEG|image)|unsupported|unrecognised|unknown/i,
    ],
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
    const withBox = await app.request('/v1/faces/embed?box=180,62,269,173', {
      method: 'POST',
      body: fx('astronaut.jpg'),
      headers: { 'content-type': 'image/jpeg' },
    });
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
    expect(diff.threshold).toBe(DEFAULT_MATCH_THRESHOLD);
    expect(diff.faces).toHaveLength(2);
  });

  test('verify via JSON base64 with a custom threshold', async () => {
    const b64 = (f: string) => Buffer.from(fx(f)).toString('base64');
    const r = await app.request('/v1/faces/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image1: b64('astronaut.jpg'), image2: b64('astronaut_exif6.jpg'), threshold: 0.95 }),
    });
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

describe('options are strict: empty, malformed, repeated, misplaced or unknown → 400 (issue 10 items 1, 3)', () => {
  const pair = (extra: Record<string, string> = {}) => form({ image1: fx('astronaut.jpg'), image2: fx('camera.png') }, extra);
  const verify = (body: BodyInit, query = '', headers: Record<string, string> = {}) =>
    app.request(`/v1/faces/verify${query}`, { method: 'POST', body, headers });
  async function refused(r: Response | Promise<Response>, error: string) {
    const res = await r;
    expect({ status: res.status, error: (await res.json()).error }).toEqual({ status: 400, error });
  }

  test('astronaut vs camera: no match by default; an empty threshold is a 400, not a false accept at 0', async () => {
    const j = await (await verify(pair())).json();
    expect(j).toMatchObject({ match: false, threshold: DEFAULT_MATCH_THRESHOLD });
    expect(j.similarity).toBeLessThan(0.3);
    await refused(verify(pair(), '?threshold='), "threshold: expected a number between 0 and 1, got ''");
    await refused(verify(pair(), '?threshold'), "threshold: expected a number between 0 and 1, got ''");
    await refused(verify(pair({ threshold: '' })), "threshold: expected a number between 0 and 1, got '' (form field)");
    const b64 = (f: string) => Buffer.from(fx(f)).toString('base64');
    await refused(
      verify(JSON.stringify({ image1: b64('astronaut.jpg'), image2: b64('camera.png'), threshold: '' }), '', { 'content-type': 'application/json' }),
      "threshold: expected a number between 0 and 1, got '' (JSON field)",
    );
    await refused(
      verify(JSON.stringify({ image1: b64('astronaut.jpg'), image2: b64('camera.png'), threshold: null }), '', { 'content-type': 'application/json' }),
      'threshold: expected a number between 0 and 1, got null (JSON field)',
    );
  });

  test('an empty score_threshold is a 400, not ~50 junk boxes', async () => {
    await refused(detect(form({ image: fx('astronaut.jpg') }), {}, '?score_threshold='), "score_threshold: expected a number between 0 and 1, got ''");
    await refused(
      detect(form({ image: fx('astronaut.jpg') }, { score_threshold: '' })),
      "score_threshold: expected a number between 0 and 1, got '' (form field)",
    );
  });

  test('the message quotes what was received (out of range, not a number, repeated)', async () => {
    const img = () => form({ image: fx('astronaut.jpg') });
    await refused(detect(img(), {}, '?score_threshold=2'), "score_threshold: expected a number between 0 and 1, got '2'");
    await refused(detect(img(), {}, '?score_threshold=abc'), "score_threshold: expected a number between 0 and 1, got 'abc'");
    await refused(
      detect(img(), {}, '?score_threshold=0.5&score_threshold=0.6'),
      "score_threshold: given 2 times (query '0.5', query '0.6'): give each option once, in the query or in the body",
    );
    await refused(detect(img(), {}, '?max_faces=2.5'), "max_faces: expected an integer between 1 and 1000, got '2.5'");
    await refused(detect(img(), {}, '?render=jpg'), "render: expected 'png', got 'jpg'");
    await refused(
      detect(img(), {}, '?render=png&render=png'),
      "render: given 2 times (query 'png', query 'png'): give each option once, in the query or in the body",
    );
    const embed = (q: string) => app.request(`/v1/faces/embed${q}`, { method: 'POST', body: img() });
    await refused(embed('?box=1,2,3'), 'box: expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1, got \'1,2,3\'');
    await refused(embed('?box=abc'), 'box: expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1, got \'abc\'');
    await refused(embed('?box=300,60,120,280'), `box: expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1, got '300,60,120,280'`);
    await refused(
      embed('?box=1,1,5,5&box=1,1,6,6'),
      "box: given 2 times (query '1,1,5,5', query '1,1,6,6'): give each option once, in the query or in the body",
    );
  });

  test('one place per option: query and form, or twice in a JSON body, is a 400', async () => {
    await refused(
      verify(pair({ threshold: '0.3' }), '?threshold=0.3'),
      "threshold: given 2 times (query '0.3', form field '0.3'): give each option once, in the query or in the body",
    );
    await refused(
      verify(pair({ threshold: '0.1' }), '?threshold=0.9'),
      "threshold: given 2 times (query '0.9', form field '0.1'): give each option once, in the query or in the body",
    );
    const b64 = (f: string) => Buffer.from(fx(f)).toString('base64');
    const dup = `{"image1":"${b64('astronaut.jpg')}","image2":"${b64('camera.png')}","threshold":0.1,"threshold":0.9}`;
    await refused(
      verify(dup, '', { 'content-type': 'application/json' }),
      'threshold: given 2 times (JSON field 0.1, JSON field 0.9): give each option once, in the query or in the body',
    );
    // Once, in the form: honoured (the same photo, EXIF-rotated, scores ~0.997: at 0.9999 it is no match).
    const same = form({ image1: fx('astronaut.jpg'), image2: fx('astronaut_exif6.jpg') }, { threshold: '0.9999' });
    const j = await (await verify(same)).json();
    expect(j).toMatchObject({ threshold: 0.9999, match: false });
    expect(j.similarity).toBeGreaterThan(0.95);
  });

  test('an unknown option (a typo) is a 400, not the default', async () => {
    await refused(verify(pair(), '?treshold=0.9'), "unknown option 'treshold' (query, got '0.9'): this route takes threshold, box1, box2, liveness");
    await refused(verify(pair({ treshold: '0.9' })), "unknown option 'treshold' (form field, got '0.9'): this route takes threshold, box1, box2, liveness");
    await refused(
      detect(form({ image: fx('astronaut.jpg') }), {}, '?max_face=3'),
      "unknown option 'max_face' (query, got '3'): this route takes score_threshold, iou_threshold, max_faces, render, landmarks, liveness, eyes",
    );
    const r = await app.request('/v1/faces/embed', { method: 'POST', body: form({ image: fx('astronaut.jpg'), other: fx('camera.png') }) });
    await refused(r, "unexpected multipart file field 'other' (filename 'other.bin'): this route takes the image 'image'");
    const twice = new FormData();
    twice.append('image', new Blob([fx('astronaut.jpg')]), 'a.jpg');
    twice.append('image', new Blob([fx('camera.png')]), 'b.png');
    await refused(detect(twice), "multipart field 'image' given more than once: send one image per field");
  });

  test('a trailing slash is served; a wrong method is 405 with Allow (item 9)', async () => {
    const r = await detect(form({ image: fx('astronaut.jpg') }), {}, '/');
    expect(r.status).toBe(200);
    expect((await r.json()).faces).toHaveLength(1);
    const g = await app.request('/v1/faces/verify');
    expect(g.status).toBe(405);
    expect(g.headers.get('allow')).toBe('POST');
    expect(await g.json()).toEqual({ error: 'method GET is not allowed on /v1/faces/verify: use POST' });
  });
});

describe('invalid base64 is a 400 naming the field, never a 500 (item 21)', () => {
  const json = (body: unknown, route = 'detect') =>
    app.request(`/v1/faces/${route}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  test('lengths of 4k+1, bad characters, bad padding', async () => {
    const cases: Array<[string, string]> = [
      ['a', "JSON field 'image' is not valid base64 (1 character: a length of 4k+1 cannot be base64), got 'a'"],
      [
        'QUJD'.repeat(1024) + 'Q',
        "JSON field 'image' is not valid base64 (4097 characters: a length of 4k+1 cannot be base64), got 'QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQ…' (4097 characters)",
      ],
      ['QUJD!', "JSON field 'image' is not valid base64 (character '!' at position 4), got 'QUJD!'"],
      ['QU=JD', "JSON field 'image' is not valid base64 (character '=' at position 2), got 'QU=JD'"],
      ['QUI=A', "JSON field 'image' is not valid base64 (character '=' at position 3), got 'QUI=A'"],
      ['QU=', "JSON field 'image' is not valid base64 (padding does not complete a group of 4), got 'QU='"],
      ['-_-_', "JSON field 'image' is not valid base64 (character '-' at position 0), got '-_-_'"],
      ['====', "JSON field 'image' is not valid base64 (character '=' at position 0), got '===='"],
    ];
    for (const [b64, error] of cases) {
      const r = await json({ image: b64 });
      expect({ b64: b64.slice(0, 8), status: r.status, error: (await r.json()).error }).toEqual({ b64: b64.slice(0, 8), status: 400, error });
    }
    const v = await json({ image1: Buffer.from(fx('astronaut.jpg')).toString('base64'), image2: 'a' }, 'verify');
    expect(v.status).toBe(400);
    expect((await v.json()).error).toContain("JSON field 'image2' is not valid base64");
  });

  test('valid base64 without padding, with whitespace or a data: URL prefix decodes', async () => {
    const b64 = Buffer.from(fx('astronaut.jpg')).toString('base64');
    for (const image of [b64.replace(/=+$/, ''), b64.replace(/(.{76})/g, '$1\r\n'), `data:image/jpeg;base64,${b64}`]) {
      const r = await json({ image });
      expect(r.status).toBe(200);
      expect((await r.json()).faces).toHaveLength(1);
    }
  });
});

describe('OpenAPI: face routes first, with real examples (item 16) and options only as query parameters (item 2)', () => {
  test('tag order puts Faces first; options are query parameters with defaults and no example; bodies hold only the images', async () => {
    const doc = await (await app.request('/openapi.json')).json();
    expect(doc.tags[0].name).toBe('Faces');
    for (const [route, images, options] of [
      ['detect', ['image'], ['score_threshold', 'iou_threshold', 'max_faces', 'render', 'landmarks', 'liveness', 'eyes']],
      ['embed', ['image'], ['box', 'liveness']],
      ['verify', ['image1', 'image2'], ['threshold', 'box1', 'box2', 'liveness']],
    ] as const) {
      const op = doc.paths[`/v1/faces/${route}`].post;
      expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(options.map((o) => `query:${o}`));
      expect(JSON.stringify(op.parameters)).not.toContain('example');
      for (const type of ['multipart/form-data', 'application/json']) expect(Object.keys(op.requestBody.content[type].schema.properties)).toEqual([...images]);
    }
    expect(doc.paths['/v1/faces/verify'].post.parameters[0].schema).toMatchObject({ type: 'number', minimum: 0, maximum: 1, default: DEFAULT_MATCH_THRESHOLD });
  });

  test('the 200 examples are what the server answers for astronaut.jpg', async () => {
    const doc = await (await app.request('/openapi.json')).json();
    const schemas = doc.components.schemas;
    const detected = await (await detect(form({ image: fx('astronaut.jpg') }))).json();
    expect(schemas.FaceDetectResponse.example).toEqual(detected);
    const embedded = await (await app.request('/v1/faces/embed', { method: 'POST', body: form({ image: fx('astronaut.jpg') }) })).json();
    const ex = schemas.FaceEmbedResponse.example;
    // Stale examples: regenerate with `bun test/gen-face-examples.ts`.
    expect({ ...ex, embedding: [] }).toEqual({ ...embedded, embedding: [] });
    expect(ex.embedding.length).toBe(8);
    for (const [i, v] of (ex.embedding as number[]).entries()) expect(Math.abs(v - embedded.embedding[i])).toBeLessThan(1e-4);
    const verified = await (
      await app.request('/v1/faces/verify', { method: 'POST', body: form({ image1: fx('astronaut.jpg'), image2: fx('astronaut_exif6.jpg') }) })
    ).json();
    expect(schemas.FaceVerifyResponse.example).toEqual(verified);
  });

  test('the error examples are face-route answers, not KServe tensor errors', async () => {
    const doc = await (await app.request('/openapi.json')).json();
    const example = (route: string, status: number) =>
      doc.paths[`/v1/faces/${route}`].post.responses[status].content['application/json'].example.error as string;
    for (const route of ['detect', 'embed', 'verify'])
      for (const status of [400, 413, 415, 422, 503]) expect(example(route, status)).not.toMatch(/input '|tensor|INPUT0/);
    const got = async (r: Response | Promise<Response>) => (await (await r).json()).error as string;
    expect(example('verify', 400)).toBe(
      await got(app.request('/v1/faces/verify?threshold=', { method: 'POST', body: form({ image1: fx('astronaut.jpg'), image2: fx('camera.png') }) })),
    );
    expect(example('detect', 415)).toBe(await got(detect('hello', { 'content-type': 'text/plain' })));
    expect(example('verify', 422)).toBe(
      await got(app.request('/v1/faces/verify', { method: 'POST', body: form({ image1: fx('astronaut.jpg'), image2: fx('hubble_deep_field.jpg') }) })),
    );
    // The limit differs (the test app's is 8 MiB, the server's default 32 MiB): same message otherwise.
    const tooLarge = await got(detect(fx('astronaut.jpg'), { 'content-type': 'image/jpeg', 'content-length': '40000000' }));
    expect(example('detect', 413).replace(/\d{5,}/g, 'N')).toBe(tooLarge.replace(/\d{5,}/g, 'N'));
  });
});

describe('images through KServe v2 infer', () => {
  test('face_detect takes an encoded image as a BYTES input (binary extension)', async () => {
    const img = fx('astronaut.jpg');
    const header = new TextEncoder().encode(
      JSON.stringify({
        inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: img.length + 4 } }],
        outputs: [{ name: 'scores' }],
      }),
    );
    const body = new Uint8Array(header.length + 4 + img.length);
    body.set(header);
    new DataView(body.buffer).setUint32(header.length, img.length, true);
    body.set(img, header.length + 4);
    const r = await app.request('/v2/models/face_detect/infer', {
      method: 'POST',
      body,
      headers: { 'Inference-Header-Content-Length': String(header.length) },
    });
    expect(r.status).toBe(200);
    const j = await r.json();
    expect(j.parameters).toEqual({ image_width: 512, image_height: 512 });
    expect(j.outputs[0].shape).toEqual([1, 4420, 2]);
    expect(Math.max(...j.outputs[0].data.filter((_: number, i: number) => i % 2 === 1))).toBeGreaterThan(0.9);
  });

  test('a corrupt image in a BYTES input → 422', async () => {
    const r = await app.request('/v2/models/face_detect/infer', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'input', shape: [1], datatype: 'BYTES', data: ['definitely not an image'] }] }),
    });
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
  test("the face detector's 1 (a 12 MP JPEG decoded at 1/8) finds the same face as the default 2 (at 1/4)", async () => {
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
