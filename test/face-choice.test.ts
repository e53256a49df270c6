// Which face is compared: composite photos built from the fixtures where the face that matters is
// NOT the largest detection. A false detection (the cat, 0.75) larger than the true face must
// never be the face verified or identified; a second person larger than the subject is the face
// the documented rule picks (and the answer says so), and the caller's box1/box2/box picks the
// subject instead. Astronaut vs camera (two different people) never matches, whatever is chosen.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { fixture, galleryApp } from './gallery-app.ts';
import { iou } from './reference-detector.ts';

type Box = [number, number, number, number];
interface Candidate {
  box: Box;
  score: number;
}
let g: Awaited<ReturnType<typeof galleryApp>>;
/** astronaut small at left, the cat's face larger at right (detected at ~0.75). */
let withCat: Uint8Array;
/** astronaut small at left, the photographer larger at right (both ~1.0). */
let withCamera: Uint8Array;
/** the photographer small at left, the astronaut larger at right. */
let cameraFirst: Uint8Array;

async function composite(parts: Array<[string, number, number, number, number]>, w = 1000, h = 600): Promise<Uint8Array> {
  const c = createCanvas(w, h);
  const x = c.getContext('2d');
  x.fillStyle = '#808080';
  x.fillRect(0, 0, w, h);
  for (const [f, dx, dy, dw, dh] of parts) x.drawImage(await loadImage(Buffer.from(fixture(f))), dx, dy, dw, dh);
  return new Uint8Array(await c.encode('jpeg', 92));
}

beforeAll(async () => {
  g = await galleryApp();
  withCat = await composite([
    ['astronaut.png', 0, 100, 400, 400],
    ['chelsea.png', 400, 0, 600, 400],
  ]);
  withCamera = await composite([
    ['astronaut.png', 0, 100, 400, 400],
    ['camera.png', 400, 0, 600, 600],
  ]);
  cameraFirst = await composite([
    ['camera.png', 0, 150, 400, 400],
    ['astronaut.png', 400, 0, 600, 600],
  ]);
}, 60_000);
afterAll(async () => {
  await g?.close();
});

const post = async (path: string, files: Record<string, Uint8Array>, query = '') => {
  const f = new FormData();
  for (const [k, v] of Object.entries(files)) f.append(k, new Blob([v as BlobPart]), `${k}.jpg`);
  const r = await g.app.request(`${path}${query}`, { method: 'POST', body: f });
  const j = await r.json();
  if (r.status !== 200 && r.status !== 201) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
};
const verify = (a: Uint8Array, b: Uint8Array, query = '') => post('/v1/faces/verify', { image1: a, image2: b }, query);
const area = (b: Box) => (b[2] - b[0]) * (b[3] - b[1]);
const boxParam = (b: Box) => b.map((v) => v.toFixed(1)).join(',');

describe('the chosen face is never a larger false detection', () => {
  test('the cat (0.75) is a candidate, larger than the astronaut, and not the face compared', async () => {
    const d = await post('/v1/faces/detect', { image: withCat });
    expect(d.faces).toHaveLength(2);
    const [astro, cat] = d.faces as Candidate[];
    expect(astro.score).toBeGreaterThan(0.99);
    expect(cat.score).toBeLessThan(0.9);
    expect(area(cat.box)).toBeGreaterThan(5 * area(astro.box));
    const v = await verify(fixture('astronaut.jpg'), withCat);
    expect(v.match).toBe(true);
    expect(v.similarity).toBeGreaterThan(0.7);
    expect(iou(v.faces[1], astro.box)).toBeGreaterThan(0.95);
    expect(v.candidates[1]).toEqual(d.faces);
    expect(v.candidates[0]).toHaveLength(1);
    const e = await post('/v1/faces/embed', { image: withCat });
    expect(e.box).toEqual(astro.box);
    expect(e.candidates).toEqual(d.faces);
  });

  test('identify uses the true face: the enrolled astronaut is found, the cat is not what was searched', async () => {
    const G = '/v1/faces/galleries';
    const json = (path: string, body: unknown) =>
      g.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await json(G, { id: 'choice' })).status).toBe(201);
    for (const s of ['eileen', 'photographer']) expect((await json(`${G}/choice/subjects`, { id: s })).status).toBe(201);
    await post(`${G}/choice/subjects/eileen/faces`, { image: fixture('astronaut.png') });
    await post(`${G}/choice/subjects/photographer/faces`, { image: fixture('camera.png') });
    const found = await post(`${G}/choice/identify`, { image: withCat });
    const chosen = found.faces.find((f: { chosen: boolean }) => f.chosen);
    expect(chosen.subject?.id).toBe('eileen');
    expect(chosen.box[2] - chosen.box[0]).toBeLessThan(100);
    // The second person larger than the subject: the rule picks the larger face (the answer
    // shows it), `box` picks the subject, `faces=all` answers for both.
    const big = await post(`${G}/choice/identify`, { image: withCamera });
    expect(big.faces.find((f: { chosen: boolean }) => f.chosen).subject?.id).toBe('photographer');
    const d = await post('/v1/faces/detect', { image: withCamera });
    const astro = (d.faces as Candidate[]).find((f) => f.box[0] < 400)!;
    const byBox = await post(`${G}/choice/identify`, { image: withCamera }, `?box=${boxParam(astro.box)}`);
    expect(byBox.faces.find((f: { chosen: boolean }) => f.chosen).subject?.id).toBe('eileen');
    const all = await post(`${G}/choice/identify`, { image: withCamera }, '?faces=all');
    expect(all.faces.map((f: { subject?: { id: string } }) => f.subject?.id).sort()).toEqual(['eileen', 'photographer']);
  });
});

describe('a second person larger than the subject', () => {
  test('the rule picks the larger face and says so; box1/box2 pick the subject', async () => {
    const d = await post('/v1/faces/detect', { image: withCamera });
    expect(d.faces).toHaveLength(2);
    const astro = (d.faces as Candidate[]).find((f) => f.box[0] < 400)!;
    const cam = (d.faces as Candidate[]).find((f) => f.box[0] >= 400)!;
    expect(area(cam.box)).toBeGreaterThan(area(astro.box));
    const byRule = await verify(fixture('astronaut.jpg'), withCamera);
    expect(iou(byRule.faces[1], cam.box)).toBeGreaterThan(0.95);
    expect(byRule.match).toBe(false);
    const byBox = await verify(fixture('astronaut.jpg'), withCamera, `?box2=${boxParam(astro.box)}`);
    expect(byBox.faces[1]).toEqual(astro.box.map((v) => Number(v.toFixed(1))));
    expect(byBox.match).toBe(true);
    expect(byBox.similarity).toBeGreaterThan(0.7);
    // The same man in two photos, each also showing the other person: boxes on both sides.
    const d2 = await post('/v1/faces/detect', { image: cameraFirst });
    const astro2 = (d2.faces as Candidate[]).find((f) => f.box[0] >= 400)!;
    const cam2 = (d2.faces as Candidate[]).find((f) => f.box[0] < 400)!;
    const same = await verify(withCamera, cameraFirst, `?box1=${boxParam(astro.box)}&box2=${boxParam(astro2.box)}`);
    expect(same.match).toBe(true);
    const photographer = await verify(withCamera, cameraFirst, `?box1=${boxParam(cam.box)}&box2=${boxParam(cam2.box)}`);
    expect(photographer.match).toBe(true);
    expect(photographer.candidates.map((c: Candidate[]) => c.length)).toEqual([2, 2]);
  });

  test('astronaut vs camera never matches, whichever faces are chosen or given', async () => {
    const d = await post('/v1/faces/detect', { image: withCamera });
    const astro = (d.faces as Candidate[]).find((f) => f.box[0] < 400)!;
    const cam = (d.faces as Candidate[]).find((f) => f.box[0] >= 400)!;
    const pairs: Array<[Uint8Array, Uint8Array, string]> = [
      [fixture('astronaut.jpg'), fixture('camera.png'), ''],
      [fixture('camera.png'), fixture('astronaut_exif6.jpg'), ''],
      [fixture('astronaut.png'), withCamera, `?box2=${boxParam(cam.box)}`],
      [fixture('camera.png'), withCamera, `?box2=${boxParam(astro.box)}`],
      [withCamera, withCamera, `?box1=${boxParam(astro.box)}&box2=${boxParam(cam.box)}`],
      [withCat, fixture('camera.png'), ''],
      [withCat, withCamera, ''],
    ];
    for (const [a, b, q] of pairs) {
      const v = await verify(a, b, q);
      expect({ q, match: v.match }).toEqual({ q, match: false });
      expect(v.similarity).toBeLessThan(0.3);
    }
  });
});
