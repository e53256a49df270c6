// The gallery REST API in-process (real face models, bun:sqlite): the README flow, status codes
// for bad input, idempotent enrolment, real deletion, tenant isolation, model binding, search
// by vector, pagination.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { drawnFace, fixture, form, galleryApp, variant } from './gallery-app.ts';

let g: Awaited<ReturnType<typeof galleryApp>>;
beforeAll(async () => {
  g = await galleryApp();
});
afterAll(() => g?.close());

const B = '/v1/faces/galleries';
const req = (path: string, init: RequestInit = {}) => g.app.request(path, init);
const postJson = (path: string, body: unknown) => req(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
const postImage = (path: string, image: Uint8Array, fields: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  req(path, { method: 'POST', body: form(image, fields), headers });
async function body<T = Record<string, unknown>>(r: Response, status: number): Promise<T> {
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : null) as T;
}
const errorOf = async (r: Response, status: number) => (await body<{ error: string }>(r, status)).error;

interface Face {
  box: number[];
  subject: { id: string; similarity: number } | null;
  unknown: boolean;
  candidates: Array<{ id: string; similarity: number }>;
}
const identify = async (gallery: string, image: Uint8Array, fields: Record<string, string> = {}) =>
  await body<{ faces: Face[]; threshold: number }>(await postImage(`${B}/${gallery}/identify`, image, fields), 200);

describe('the README flow', () => {
  test('create, enrol three, identify (found, stranger unknown), verify, delete, identify again (gone)', async () => {
    const created = await body(await postJson(B, { id: 'flow' }), 201);
    expect(created).toMatchObject({ id: 'flow', model: null, subjects: 0, faces: 0, keep_thumbnails: false });
    for (const [id, name] of [
      ['eileen', 'Eileen Collins'],
      ['photographer', 'The photographer'],
      ['chelsea', 'Chelsea (a cat)'],
    ]) {
      await body(await postJson(`${B}/flow/subjects`, { id, display_name: name }), 201);
    }
    const e = await body<{ id: string; model: { name: string; version: string } }>(
      await postImage(`${B}/flow/subjects/eileen/faces`, fixture('astronaut.png')),
      201,
    );
    expect(e.model.name).toBe('face_embed');
    await body(await postImage(`${B}/flow/subjects/photographer/faces`, fixture('camera.png')), 201);
    await body(await postImage(`${B}/flow/subjects/chelsea/faces`, fixture('chelsea.png')), 201);
    const info = await body(await req(`${B}/flow`), 200);
    expect(info).toMatchObject({ subjects: 3, faces: 3, dimensions: 512, model: e.model });

    // A fourth photo of Eileen: rotated (EXIF) and re-encoded.
    const found = await identify('flow', fixture('astronaut_exif6.jpg'));
    expect(found.faces).toHaveLength(1);
    expect(found.faces[0].subject?.id).toBe('eileen');
    expect(found.faces[0].subject!.similarity).toBeGreaterThan(0.9);
    expect(found.faces[0].unknown).toBe(false);
    expect(found.faces[0].candidates.map((c) => c.id)).toEqual(['eileen']);
    // Re-encoded at JPEG quality 60, the photographer is still him.
    expect((await identify('flow', await variant('camera.png', (c, _w, _h, img) => c.drawImage(img, 0, 0), undefined, 60))).faces[0].subject?.id).toBe(
      'photographer',
    );
    // A stranger: no subject reaches the threshold.
    const stranger = await identify('flow', await drawnFace(), { k: '3' });
    expect(stranger.faces[0]).toMatchObject({ subject: null, unknown: true, candidates: [] });

    const claim = await body(await postImage(`${B}/flow/subjects/eileen/verify`, fixture('astronaut.jpg')), 200);
    expect(claim).toMatchObject({ subject: 'eileen', match: true, threshold: found.threshold });
    const wrong = await body<{ match: boolean; similarity: number }>(await postImage(`${B}/flow/subjects/eileen/verify`, fixture('camera.png')), 200);
    expect(wrong.match).toBe(false);
    expect(wrong.similarity).toBeLessThan(0.4);

    expect((await req(`${B}/flow/subjects/eileen`, { method: 'DELETE' })).status).toBe(204);
    const gone = await identify('flow', fixture('astronaut_exif6.jpg'), { k: '5', threshold: '0' });
    expect(gone.faces[0].candidates.map((c) => c.id)).not.toContain('eileen');
    expect(gone.faces[0].subject?.id).not.toBe('eileen');
    await errorOf(await req(`${B}/flow/subjects/eileen`), 404);
    expect(await g.store.counts((await g.store.findGallery(null, 'flow'))!.pk)).toEqual({ subjects: 2, faces: 2 });
  });
});

describe('status codes', () => {
  test('unknown gallery, subject, face: 404; duplicates: 409', async () => {
    expect(await errorOf(await req(`${B}/nope`), 404)).toBe("gallery 'nope' not found");
    await body(await postJson(B, { id: 'codes' }), 201);
    expect(await errorOf(await postJson(B, { id: 'codes' }), 409)).toContain('already exists');
    await body(await postJson(`${B}/codes/subjects`, { id: 'a' }), 201);
    expect(await errorOf(await postJson(`${B}/codes/subjects`, { id: 'a' }), 409)).toContain("subject 'a' already exists");
    expect(await errorOf(await req(`${B}/codes/subjects/zz`), 404)).toContain("subject 'zz' not found");
    expect(await errorOf(await postImage(`${B}/codes/subjects/zz/faces`, fixture('astronaut.jpg')), 404)).toContain("subject 'zz'");
    expect(await errorOf(await req(`${B}/codes/subjects/a/faces/f9`, { method: 'DELETE' }), 404)).toContain("face 'f9'");
    expect(await errorOf(await postImage(`${B}/nope/identify`, fixture('astronaut.jpg')), 404)).toContain("gallery 'nope'");
  });

  test('no usable face: 422; oversized metadata: 413; malformed input: 400 naming the field', async () => {
    await body(await postJson(B, { id: 'bad' }), 201);
    await body(await postJson(`${B}/bad/subjects`, { id: 's' }), 201);
    expect(await errorOf(await postImage(`${B}/bad/subjects/s/faces`, fixture('coffee.png')), 422)).toBe('no face found in image');
    expect(await errorOf(await postImage(`${B}/bad/identify`, fixture('coffee.png')), 422)).toBe('no face found in image');
    expect(await errorOf(await postJson(`${B}/bad/subjects`, { id: 'm', metadata: { blob: 'x'.repeat(5000) } }), 413)).toContain('metadata: 5011 bytes');
    expect(await errorOf(await postJson(B, { id: '' }), 400)).toContain('id');
    expect(await errorOf(await postJson(B, { id: 'a b' }), 400)).toContain("'a b'");
    expect(await errorOf(await postJson(B, { id: 'x', colour: 'red' }), 400)).toContain('colour');
    expect(await errorOf(await req(B, { method: 'POST', body: '{"id":"x","id":"y"}', headers: { 'content-type': 'application/json' } }), 400)).toContain(
      'given 2 times',
    );
    expect(await errorOf(await req(B, { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }), 400)).toContain('not valid JSON');
    expect(await errorOf(await req(B, { method: 'POST', body: 'id=x', headers: { 'content-type': 'text/plain' } }), 415)).toContain('text/plain');
    expect(await errorOf(await req(`${B}/bad/subjects?limit=0`), 400)).toContain('limit');
    expect(await errorOf(await req(`${B}/bad/subjects?limit=`), 400)).toContain("got ''");
    expect(await errorOf(await req(`${B}/bad/subjects?cursor=%%%`), 400)).toContain('cursor');
    expect(await errorOf(await req(`${B}/bad?verbose=1`), 400)).toContain("unknown option 'verbose'");
    expect(await errorOf(await postImage(`${B}/bad/identify`, fixture('astronaut.jpg'), { threshold: '2' }), 400)).toContain('threshold');
    expect(await errorOf(await postImage(`${B}/bad/identify?k=1`, fixture('astronaut.jpg'), { k: '2' }), 400)).toContain('given 2 times');
    expect(await errorOf(await postImage(`${B}/bad/subjects/s/faces`, fixture('astronaut.jpg'), {}, { 'idempotency-key': 'has space' }), 400)).toContain(
      'idempotency-key',
    );
  });
});

describe('enrolment', () => {
  test('idempotent on Idempotency-Key and face_id; a reused key or id with another image is refused', async () => {
    await body(await postJson(B, { id: 'idem' }), 201);
    await body(await postJson(`${B}/idem/subjects`, { id: 'eileen' }), 201);
    const img = fixture('astronaut.jpg');
    const path = `${B}/idem/subjects/eileen/faces`;
    const first = await body<{ id: string }>(await postImage(path, img, {}, { 'idempotency-key': 'k-1' }), 201);
    const again = await body<{ id: string }>(await postImage(path, img, {}, { 'idempotency-key': 'k-1' }), 200);
    expect(again.id).toBe(first.id);
    expect(await errorOf(await postImage(path, fixture('astronaut.png'), {}, { 'idempotency-key': 'k-1' }), 422)).toContain("Idempotency-Key 'k-1'");
    // Concurrent retries of one request enrol once.
    const burst = await Promise.all([1, 2, 3, 4].map(() => postImage(path, fixture('astronaut.png'), {}, { 'idempotency-key': 'k-2' })));
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 201]);
    const ids = new Set(await Promise.all(burst.map(async (r) => ((await r.json()) as { id: string }).id)));
    expect(ids.size).toBe(1);
    await body(await postImage(path, img, { face_id: 'passport' }), 201);
    await body(await postImage(`${path}?face_id=passport`, img), 200);
    expect(await errorOf(await postImage(path, fixture('astronaut.png'), { face_id: 'passport' }), 409)).toContain("face 'passport' already exists");
    const list = await body<{ faces: Array<{ id: string }> }>(await req(path), 200);
    expect(list.faces.map((f) => f.id).sort()).toEqual([first.id, [...ids][0], 'passport'].sort());
  });

  test('deleting a face removes it from identify at once', async () => {
    await body(await postJson(B, { id: 'del' }), 201);
    await body(await postJson(`${B}/del/subjects`, { id: 'p' }), 201);
    const f = await body<{ id: string }>(await postImage(`${B}/del/subjects/p/faces`, fixture('camera.png'), { face_id: 'only' }), 201);
    expect((await identify('del', fixture('camera.png'))).faces[0].subject?.id).toBe('p');
    expect((await req(`${B}/del/subjects/p/faces/${f.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await identify('del', fixture('camera.png'))).faces[0].unknown).toBe(true);
    expect(await body(await req(`${B}/del/subjects/p`), 200)).toMatchObject({ faces: 0 });
    await errorOf(await postImage(`${B}/del/subjects/p/verify`, fixture('camera.png')), 422);
  });

  test('a gallery is bound to its model: a vector search naming another model is a 409', async () => {
    await body(await postJson(B, { id: 'bound' }), 201);
    await body(await postJson(`${B}/bound/subjects`, { id: 'p' }), 201);
    const face = await body<{ model: { name: string; version: string } }>(await postImage(`${B}/bound/subjects/p/faces`, fixture('camera.png')), 201);
    const emb = await body<{ embedding: number[] }>(
      await req('/v1/faces/embed', { method: 'POST', body: fixture('camera.png') as BodyInit, headers: { 'content-type': 'image/png' } }),
      200,
    );
    const hit = await body<{ subject: { id: string; similarity: number } }>(
      await postJson(`${B}/bound/search`, { embedding: emb.embedding, model: face.model, k: 2 }),
      200,
    );
    expect(hit.subject.id).toBe('p');
    expect(hit.subject.similarity).toBeGreaterThan(0.999);
    expect(
      await errorOf(await postJson(`${B}/bound/search`, { embedding: emb.embedding, model: { name: 'face_embed', version: '2+aligned' } }), 409),
    ).toContain('never compared');
    expect(await errorOf(await postJson(`${B}/bound/search`, { embedding: emb.embedding.slice(1), model: face.model }), 400)).toContain('expected 512');
  });
});

describe('tenants and pagination', () => {
  test("another tenant's gallery looks exactly like a missing one", async () => {
    const s = g.service;
    await s.createGallery('acme', { id: 'staff' });
    await s.createGallery('globex', { id: 'staff' }); // per-tenant namespaces
    await s.createSubject('acme', 'staff', { id: 'alice' });
    const mine = await s.getSubject('acme', 'staff', 'alice');
    expect(mine.id).toBe('alice');
    const missing = await s.getSubject('globex', 'staff', 'alice').catch((e: Error) => e.message);
    expect(missing).toBe("subject 'alice' not found in gallery 'staff'");
    const other = await s.getGallery('initech', 'staff').catch((e: Error) => e.message);
    const none = await s.getGallery('initech', 'no-such').catch((e: Error) => e.message);
    expect(other).toBe("gallery 'staff' not found");
    expect(none).toBe("gallery 'no-such' not found");
    expect((await s.listGalleries('acme', { limit: 100 })).galleries.map((x) => x.id)).toEqual(['staff']);
    await s.deleteGallery('globex', 'staff');
    expect((await s.getGallery('acme', 'staff')).subjects).toBe(1);
  });

  test('subjects page by cursor', async () => {
    await body(await postJson(B, { id: 'pages' }), 201);
    for (let i = 0; i < 7; i++) await body(await postJson(`${B}/pages/subjects`, { id: `s${i}`, metadata: { n: i } }), 201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { subjects: Array<{ id: string; metadata: { n: number } }>; next_cursor: string | null } = await body(
        await req(`${B}/pages/subjects?limit=3${cursor ? `&cursor=${cursor}` : ''}`),
        200,
      );
      seen.push(...page.subjects.map((x) => x.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
  });
});

test('a false detection larger than the true face is not what identify compares when a box is given', async () => {
  // The face of a cropped-in photo: the caller's box picks the face.
  await body(await postJson(B, { id: 'boxes' }), 201);
  await body(await postJson(`${B}/boxes/subjects`, { id: 'eileen' }), 201);
  await body(await postImage(`${B}/boxes/subjects/eileen/faces`, fixture('astronaut.jpg')), 201);
  const crop = await variant('astronaut.jpg', (c, _w, _h, img) => c.drawImage(img, 100, 20, 300, 300, 0, 0, 300, 300), [300, 300]);
  const r = await identify('boxes', crop, { box: '70,35,180,160' });
  expect(r.faces[0].box).toEqual([70, 35, 180, 160]);
});

describe('thumbnails (biometric data: only where the gallery keeps them)', () => {
  const thumbOf = (gallery: string, subject: string, face: string) => req(`${B}/${gallery}/subjects/${subject}/faces/${face}/thumbnail`);

  test('a gallery with keep_thumbnails stores a small JPEG of the face; one without stores none', async () => {
    expect(await body(await postJson(B, { id: 'thumbs', keep_thumbnails: true }), 201)).toMatchObject({ keep_thumbnails: true });
    await body(await postJson(`${B}/thumbs/subjects`, { id: 'eileen' }), 201);
    // The EXIF-rotated photo: the crop must come from the upright image the box is in.
    for (const [file, id] of [
      ['astronaut.jpg', 'plain'],
      ['astronaut_exif6.jpg', 'rotated'],
    ]) {
      const f = await body<{ has_thumbnail: boolean; box: number[] }>(
        await postImage(`${B}/thumbs/subjects/eileen/faces`, fixture(file), { face_id: id }),
        201,
      );
      expect(f.has_thumbnail).toBe(true);
      const r = await thumbOf('thumbs', 'eileen', id);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('image/jpeg');
      const jpeg = new Uint8Array(await r.arrayBuffer());
      expect([jpeg[0], jpeg[1], jpeg.at(-2), jpeg.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
      expect(jpeg.byteLength).toBeLessThan(12_000);
      // What is stored is the face: at most 112 px a side, and the detector finds one face filling it.
      const d = await body<{ image: { width: number; height: number }; faces: Array<{ box: number[]; score: number }> }>(
        await req('/v1/faces/detect', { method: 'POST', body: jpeg as BodyInit, headers: { 'content-type': 'image/jpeg' } }),
        200,
      );
      expect(Math.max(d.image.width, d.image.height)).toBeLessThanOrEqual(112);
      expect(d.image.width).toBe(d.image.height);
      expect(d.faces.length).toBeGreaterThanOrEqual(1);
      const [x1, y1, x2, y2] = d.faces[0].box;
      expect(d.faces[0].score).toBeGreaterThan(0.9);
      expect((x2 - x1) / d.image.width).toBeGreaterThan(0.45);
      expect(Math.abs((x1 + x2) / 2 - d.image.width / 2)).toBeLessThan(d.image.width * 0.15);
      expect(Math.abs((y1 + y2) / 2 - d.image.height / 2)).toBeLessThan(d.image.height * 0.2);
    }

    await body(await postJson(B, { id: 'nothumbs' }), 201);
    await body(await postJson(`${B}/nothumbs/subjects`, { id: 'eileen' }), 201);
    const f = await body<{ has_thumbnail: boolean }>(await postImage(`${B}/nothumbs/subjects/eileen/faces`, fixture('astronaut.jpg'), { face_id: 'f' }), 201);
    expect(f.has_thumbnail).toBe(false);
    expect(await errorOf(await thumbOf('nothumbs', 'eileen', 'f'), 404)).toContain('has no thumbnail');
    // Nothing stored, not only nothing served.
    const gallery = (await g.store.findGallery(null, 'nothumbs'))!;
    const subject = (await g.store.getSubject(gallery.pk, 'eileen'))!;
    expect(await g.store.thumbnail(gallery.pk, subject.pk, 'f')).toBeNull();
  });

  test('where no encoder is wired, keep_thumbnails: true is a clear 400', async () => {
    const { GalleryService } = await import('../src/gallery/service.ts');
    const bare = new GalleryService(g.store, { analyze: () => Promise.reject(new Error('unused')) }, g.service['indexes' as never]);
    const e = await bare.createGallery(null, { id: 'nope-thumbs', keep_thumbnails: true }).catch((x: { code: string; message: string }) => x);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((e as unknown as Error).message).toContain('keep_thumbnails: true is not available on this runtime');
    expect(await g.store.findGallery(null, 'nope-thumbs')).toBeUndefined();
  });
});
