// search=ann over REST (real face models): on PGlite with pgvector, identify and search by vector
// find the enrolled subject through the database's HNSW index, with the exact similarity, and a
// deleted subject is gone; on SQLite (the default database) search=ann is a 400 naming the
// option, never an exact answer in its place. Bad values of the options are 400s naming them.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { openPglite } from '../src/runtime/gallery-db/pglite.ts';
import { drawnFace, fixture, form, galleryApp } from './gallery-app.ts';

type App = Awaited<ReturnType<typeof galleryApp>>;
const B = '/v1/faces/galleries';

async function body<T = Record<string, unknown>>(r: Response, status: number): Promise<T> {
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return (text ? JSON.parse(text) : null) as T;
}
const postJson = (a: App, path: string, b: unknown) =>
  a.app.request(path, { method: 'POST', body: JSON.stringify(b), headers: { 'content-type': 'application/json' } });
const postImage = (a: App, path: string, image: Uint8Array, fields: Record<string, string> = {}) =>
  a.app.request(path, { method: 'POST', body: form(image, fields) });

interface Hit {
  id: string;
  similarity: number;
}
interface Identified {
  faces: Array<{ subject: Hit | null; unknown: boolean; candidates: Hit[] }>;
}

async function enrolTwo(a: App, gallery: string) {
  await body(await postJson(a, B, { id: gallery }), 201);
  for (const id of ['eileen', 'photographer']) await body(await postJson(a, `${B}/${gallery}/subjects`, { id }), 201);
  await body(await postImage(a, `${B}/${gallery}/subjects/eileen/faces`, fixture('astronaut.png')), 201);
  await body(await postImage(a, `${B}/${gallery}/subjects/photographer/faces`, fixture('camera.png')), 201);
}

describe('PGlite with pgvector: search=ann', () => {
  let a: App;
  beforeAll(async () => {
    a = await galleryApp({ db: await openPglite() });
  }, 120_000);
  afterAll(() => a?.close());

  test('identify finds the enrolled subject with the exact similarity; a stranger is unknown; a deleted subject is gone', async () => {
    await enrolTwo(a, 'ann');
    const probe = fixture('astronaut_exif6.jpg');
    const exact = await body<Identified>(await postImage(a, `${B}/ann/identify`, probe, { k: '2', threshold: '0' }), 200);
    const ann = await body<Identified>(await postImage(a, `${B}/ann/identify`, probe, { k: '2', threshold: '0', search: 'ann', ef_search: '64' }), 200);
    expect(ann.faces[0].subject?.id).toBe('eileen');
    // Candidates are re-scored from the stored embeddings: the same numbers as the exact search.
    expect(ann.faces[0].candidates).toEqual(exact.faces[0].candidates);
    expect((await body<Identified>(await postImage(a, `${B}/ann/identify`, await drawnFace(), { search: 'ann' }), 200)).faces[0]).toMatchObject({
      subject: null,
      unknown: true,
    });

    const info = await body<{ model: unknown }>(await a.app.request(`${B}/ann`), 200);
    const embedding = Array.from(
      (
        await a.service.store.subjectVectors(
          (await a.store.findGallery(null, 'ann'))!.pk,
          (await a.store.getSubject((await a.store.findGallery(null, 'ann'))!.pk, 'photographer'))!.pk,
        )
      )[0].embedding,
    );
    const byVector = await body<{ subject: Hit | null }>(await postJson(a, `${B}/ann/search`, { embedding, model: info.model, search: 'ann' }), 200);
    expect(byVector.subject?.id).toBe('photographer');
    expect(byVector.subject!.similarity).toBeCloseTo(1, 5);

    expect((await a.app.request(`${B}/ann/subjects/eileen`, { method: 'DELETE' })).status).toBe(204);
    const gone = await body<Identified>(await postImage(a, `${B}/ann/identify`, probe, { k: '5', threshold: '0', search: 'ann' }), 200);
    expect(gone.faces[0].candidates.map((c) => c.id)).toEqual(['photographer']);
  }, 120_000);

  test('the OpenAPI document has the options and the fields', async () => {
    const doc = await (await a.app.request('/openapi.json')).json();
    const params = doc.paths['/v1/faces/galleries/{gallery}/identify'].post.parameters as Array<{
      name: string;
      schema: { enum?: string[]; default?: unknown; type?: string };
    }>;
    expect(params.find((p) => p.name === 'search')?.schema).toMatchObject({ enum: ['exact', 'ann'], default: 'exact' });
    expect(params.find((p) => p.name === 'ef_search')?.schema.type).toBe('integer');
    expect(doc.components.schemas.SearchByVector.properties.search).toMatchObject({ enum: ['exact', 'ann'], default: 'exact' });
    expect(doc.components.schemas.SearchByVector.properties.ef_search.maximum).toBe(1000);
  });

  test('bad option values are 400s naming the field and the value', async () => {
    await body(await postJson(a, B, { id: 'ann-bad' }), 201);
    const probe = fixture('astronaut.jpg');
    expect((await body<{ error: string }>(await postImage(a, `${B}/ann-bad/identify`, probe, { search: 'fuzzy' }), 400)).error).toMatch(/search.*fuzzy/);
    expect((await body<{ error: string }>(await postImage(a, `${B}/ann-bad/identify`, probe, { search: 'ann', ef_search: '0' }), 400)).error).toMatch(
      /ef_search/,
    );
    expect((await body<{ error: string }>(await postImage(a, `${B}/ann-bad/identify`, probe, { ef_search: '50' }), 400)).error).toBe(
      'ef_search: applies to search=ann only, got ef_search=50 with search=exact',
    );
  }, 60_000);
});

describe('SQLite: search=ann is refused', () => {
  let a: App;
  beforeAll(async () => {
    a = await galleryApp();
  }, 120_000);
  afterAll(() => a?.close());

  test('identify and search by vector answer 400 naming search=ann and the database; exact still answers', async () => {
    await enrolTwo(a, 'lite');
    const probe = fixture('astronaut_exif6.jpg');
    const refused = await body<{ error: string }>(await postImage(a, `${B}/lite/identify`, probe, { search: 'ann' }), 400);
    expect(refused.error).toMatch(
      /^search: 'ann' needs PostgreSQL with the pgvector extension, and the gallery database is SQLite .*: use search=exact \(the default\)$/,
    );
    const info = await body<{ model: unknown }>(await a.app.request(`${B}/lite`), 200);
    expect(
      (await body<{ error: string }>(await postJson(a, `${B}/lite/search`, { embedding: new Array(512).fill(0.1), model: info.model, search: 'ann' }), 400))
        .error,
    ).toContain("search: 'ann' needs PostgreSQL");
    expect((await body<Identified>(await postImage(a, `${B}/lite/identify`, probe, { search: 'exact' }), 200)).faces[0].subject?.id).toBe('eileen');
  }, 120_000);
});
