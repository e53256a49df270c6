// Smoke test of the Cloudflare Workers build: starts `wrangler dev --local` (workerd, offline, no
// login, a fresh local D1 database) on a free port, sends the first request cold
// (faces/detect on the astronaut) and checks the box and the embedding against the Bun reference
// computed in this process (native engine and decoder), runs KServe v2 infer on `simple`, the
// README's gallery flow on D1 with thumbnails, checks what must be absent or private there, then
// stops wrangler. A Worker that cannot start (weights not pulled, wrangler missing, no workerd
// for this platform, a build error, port trouble) fails every test with wrangler's output: it
// never skips, so CI cannot be green with a broken Worker.

import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bigJpeg } from '../src/image/testing/images.ts';
import { faceApp } from './face-app.ts';
import { drawnFace, fixture, form } from './gallery-app.ts';
import { FIXTURES, MODELS } from './helpers.ts';
import { iou } from './reference-detector.ts';
import { type Started, startWrangler } from './wrangler-dev.ts';

const ASTRONAUT_BOX = [179.9, 62.2, 268.6, 173];
const jpeg = new Uint8Array(readFileSync(join(FIXTURES, 'astronaut.jpg')));

const WEIGHTS = ['face_detect', 'face_embed', 'face_landmark', 'face_liveness', 'face_pose', 'face_eye', 'simple'];
const missing = WEIGHTS.filter((m) => !existsSync(join(MODELS, m, '1', 'model.onnx')));
const started: Started = missing.length ? { fail: `model weights not pulled (${missing.join(', ')}): run \`bun src/cli.ts pull\`` } : await startWrangler();
const notStarted = () => new Error(`the Worker did not start: ${'fail' in started ? started.fail : ''}`);

const wr = 'ok' in started ? started.ok : undefined;
afterAll(() => wr?.stop());

describe('Cloudflare Workers (wrangler dev --local)', () => {
  const post = (path: string, body: BodyInit, type: string) => fetch(`${wr!.url}${path}`, { method: 'POST', body, headers: { 'Content-Type': type } });

  test('wrangler builds and starts the Worker', () => {
    if (!wr) throw notStarted();
    console.log(`[runtime-workers] wrangler dev ready in ${Math.round(wr!.startMs)} ms`);
  });

  test('cold first request: /v1/faces/detect finds the astronaut where Bun does', async () => {
    if (!wr) throw notStarted();
    const t0 = performance.now();
    const r = await post('/v1/faces/detect', jpeg as BodyInit, 'image/jpeg');
    const coldMs = performance.now() - t0;
    const body = await r.text();
    expect(r.status, body).toBe(200);
    const j = JSON.parse(body) as { faces: Array<{ box: number[]; score: number }>; image: { width: number; height: number } };
    console.log(`[runtime-workers] cold first request (load the face job's component models and simple + decode + detect): ${Math.round(coldMs)} ms`);
    expect(j.image).toEqual({ width: 512, height: 512 });
    expect(j.faces).toHaveLength(1);
    expect(iou(j.faces[0]!.box, ASTRONAUT_BOX)).toBeGreaterThanOrEqual(0.99);
    expect(coldMs).toBeLessThan(30_000);

    const t1 = performance.now();
    const warm = await post('/v1/faces/detect', jpeg as BodyInit, 'image/jpeg');
    const warmMs = performance.now() - t1;
    expect(warm.status).toBe(200);
    console.log(`[runtime-workers] warm request: ${Math.round(warmMs)} ms`);
  }, 120_000);

  test('detect and embed agree with the Bun reference (native engine and decoder, in this process)', async () => {
    if (!wr) throw notStarted();
    const ref = await faceApp();
    // The 3 MP photo is decoded DCT-scaled (3/8) by libjpeg-turbo on both sides.
    const images: Array<[string, Uint8Array]> = [
      ['astronaut.jpg', jpeg],
      ['astronaut at 2000x1500', await bigJpeg(2000, 1500)],
    ];
    try {
      for (const [name, bytes] of images) {
        const ask = async (request: (path: string) => Promise<Response>) => {
          const d = (await (await request('/v1/faces/detect')).json()) as { faces: Array<{ box: number[] }> };
          const e = (await (await request('/v1/faces/embed')).json()) as { embedding: number[] };
          return { box: d.faces[0]!.box, embedding: e.embedding };
        };
        const init = () => ({ method: 'POST', body: bytes as BodyInit, headers: { 'Content-Type': 'image/jpeg' } });
        const bun = await ask(async (p) => ref.app.request(p, init()));
        const workers = await ask((p) => fetch(`${wr.url}${p}`, init()));
        expect(iou(workers.box, bun.box), name).toBeGreaterThanOrEqual(0.99);
        let dot = 0;
        for (let i = 0; i < bun.embedding.length; i++) dot += bun.embedding[i]! * workers.embedding[i]!;
        expect(workers.embedding).toHaveLength(512);
        expect(dot, name).toBeGreaterThan(0.99); // both L2-normalised: the dot product is the cosine
      }
    } finally {
      rmSync(ref.repo, { recursive: true, force: true });
    }
  }, 120_000);

  test('KServe v2 infer on simple', async () => {
    if (!wr) throw notStarted();
    const a = Array.from({ length: 16 }, (_, i) => i);
    const b = Array.from({ length: 16 }, () => 2);
    const r = await post(
      '/v2/models/simple/infer',
      JSON.stringify({
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: a },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: b },
        ],
      }),
      'application/json',
    );
    expect(r.status).toBe(200);
    const j = (await r.json()) as { outputs: Array<{ name: string; data: number[] }> };
    const out = Object.fromEntries(j.outputs.map((o) => [o.name, o.data]));
    expect(out.OUTPUT0).toEqual(a.map((x) => x + 2));
    expect(out.OUTPUT1).toEqual(a.map((x) => x - 2));
    expect((await fetch(`${wr.url}/v2/health/ready`)).status).toBe(200);
  }, 120_000);

  test("the README's gallery flow on D1: enrol three, identify (found, stranger unknown), verify, delete, identify again; thumbnails", async () => {
    if (!wr) throw notStarted();
    const G = `${wr.url}/v1/faces/galleries`;
    const call = async <T = Record<string, unknown>>(path: string, init: RequestInit, status: number): Promise<T> => {
      const r = await fetch(`${G}${path}`, init);
      const text = await r.text();
      expect(r.status, `${init.method ?? 'GET'} ${path}: ${text}`).toBe(status);
      return (text ? JSON.parse(text) : null) as T;
    };
    const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    const image = (bytes: Uint8Array): RequestInit => ({ method: 'POST', body: form(bytes) });
    type Identified = { faces: Array<{ subject: { id: string; similarity: number } | null; unknown: boolean }> };

    expect(await call('', json({ id: 'demo', keep_thumbnails: true }), 201)).toMatchObject({ id: 'demo', keep_thumbnails: true });
    for (const s of ['eileen', 'chelsea', 'photographer']) await call('/demo/subjects', json({ id: s }), 201);
    const t0 = performance.now();
    const enrolled = await call<{ id: string; has_thumbnail: boolean; model: { name: string; version: string } }>(
      '/demo/subjects/eileen/faces',
      image(fixture('astronaut.png')),
      201,
    );
    console.log(`[runtime-workers] enrolment on D1: ${Math.round(performance.now() - t0)} ms`);
    expect(enrolled.model.name).toBe('face_embed');
    expect(enrolled.has_thumbnail).toBe(true);
    await call('/demo/subjects/chelsea/faces', image(fixture('chelsea.png')), 201);
    expect((await call<Identified>('/demo/identify', image(fixture('camera.png')), 200)).faces[0]).toMatchObject({ subject: null, unknown: true });
    await call('/demo/subjects/photographer/faces', image(fixture('camera.png')), 201);
    const found = await call<Identified>('/demo/identify', image(fixture('astronaut_exif6.jpg')), 200);
    expect(found.faces[0].subject?.id).toBe('eileen');
    expect(found.faces[0].subject!.similarity).toBeGreaterThan(0.9);
    expect((await call<Identified>('/demo/identify', image(await drawnFace()), 200)).faces[0]).toMatchObject({ subject: null, unknown: true });
    expect(await call('/demo/subjects/photographer/verify', image(fixture('camera.png')), 200)).toMatchObject({ match: true });
    expect(await call('/demo/subjects/eileen/verify', image(fixture('camera.png')), 200)).toMatchObject({ match: false });
    await call('/demo/subjects/photographer', { method: 'DELETE' }, 204);
    expect((await call<Identified>('/demo/identify', image(fixture('camera.png')), 200)).faces[0]).toMatchObject({ subject: null, unknown: true });
    expect(await call('/demo', {}, 200)).toMatchObject({ subjects: 2, faces: 2, dimensions: 512, model: enrolled.model });

    // The thumbnail: a small JPEG of the face, encoded by the MozJPEG WASM encoder in the Worker.
    const t = await fetch(`${G}/demo/subjects/eileen/faces/${enrolled.id}/thumbnail`);
    expect(t.status).toBe(200);
    expect(t.headers.get('content-type')).toBe('image/jpeg');
    const thumb = new Uint8Array(await t.arrayBuffer());
    expect([thumb[0], thumb[1]]).toEqual([0xff, 0xd8]);
    expect(thumb.byteLength).toBeLessThan(12_000);
    const d = (await (await post('/v1/faces/detect', thumb as BodyInit, 'image/jpeg')).json()) as { image: { width: number }; faces: unknown[] };
    expect(d.image.width).toBeLessThanOrEqual(112);
    expect(d.faces.length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  test('weights are private; what Workers cannot do answers a clear 400', async () => {
    if (!wr) throw notStarted();
    for (const p of ['/models/face_detect/1/model.onnx', '/face_detect/1/model.onnx']) {
      expect((await fetch(`${wr.url}${p}`)).status).toBe(404);
    }
    const png = await post('/v1/faces/detect?render=png', jpeg as BodyInit, 'image/jpeg');
    expect(png.status).toBe(400);
    expect(((await png.json()) as { error: string }).error).toContain('render=png');
    const unload = await fetch(`${wr.url}/v2/repository/models/simple/unload`, { method: 'POST' });
    expect(unload.status).toBe(400);
    expect(((await unload.json()) as { error: string }).error).toContain('Cloudflare Workers');
    // Swagger UI's files come from the private assets through the docs routes.
    const js = await fetch(`${wr.url}/docs/assets/swagger-ui-dist/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(100_000);
  });
});
