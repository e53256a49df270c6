// The gallery on real servers (`bun src/cli.ts serve`, as `npm start` runs it): the README flow
// over HTTP on the default SQLite file; kill -9 in the middle of a burst of enrolments, then a
// restart on the same file finds every enrolment that was answered 2xx; and two server processes
// sharing one PostgreSQL database see each other's enrolments and deletions on the next request.

import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drawnFace, fixture } from './gallery-app.ts';
import { type PgServer, startPostgres } from './pg-server.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeserve-gallery-e2e-'));
const servers: ServerProcess[] = [];
let pg: PgServer | undefined;
afterAll(async () => {
  for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(env: Record<string, string>) {
  const s = await startServer({ WORKERS: '1', ...env }, 90_000);
  servers.push(s);
  return s;
}

const B = '/v1/faces/galleries';
function client(url: string) {
  const call = async (method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}) => {
    const r = await fetch(`${url}${path}`, { method, body, headers });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  };
  const image = (bytes: Uint8Array, fields: Record<string, string> = {}) => {
    const f = new FormData();
    f.append('image', new Blob([bytes as BlobPart]), 'photo');
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    return f;
  };
  return {
    json: (method: string, path: string, body?: unknown) =>
      call(method, path, body === undefined ? undefined : JSON.stringify(body), { 'content-type': 'application/json' }),
    image: (path: string, bytes: Uint8Array, fields?: Record<string, string>) => call('POST', path, image(bytes, fields)),
    get: (path: string) => call('GET', path),
    del: (path: string) => call('DELETE', path),
  };
}

const who = (r: { json: { faces: Array<{ subject: { id: string } | null }> } }) => r.json.faces[0].subject?.id ?? 'unknown';

describe('SQLite, one server (the default: GALLERY_DATABASE unset → DATA_DIR/gallery.sqlite)', () => {
  const dataDir = join(dir, 'data');

  test('the README flow over HTTP', async () => {
    const s = await serve({ DATA_DIR: dataDir });
    const c = client(s.url);
    expect((await c.json('POST', B, { id: 'readme' })).status).toBe(201);
    for (const id of ['eileen', 'chelsea', 'photographer']) expect((await c.json('POST', `${B}/readme/subjects`, { id })).status).toBe(201);
    expect((await c.image(`${B}/readme/subjects/eileen/faces`, fixture('astronaut.png'))).status).toBe(201);
    expect((await c.image(`${B}/readme/subjects/chelsea/faces`, fixture('chelsea.png'))).status).toBe(201);
    // The photographer is a stranger to the gallery until he is enrolled.
    expect(who(await c.image(`${B}/readme/identify`, fixture('camera.png')))).toBe('unknown');
    expect((await c.image(`${B}/readme/subjects/photographer/faces`, fixture('camera.png'))).status).toBe(201);
    expect(who(await c.image(`${B}/readme/identify`, fixture('astronaut_exif6.jpg')))).toBe('eileen');
    expect(who(await c.image(`${B}/readme/identify`, await drawnFace()))).toBe('unknown');
    const claim = await c.image(`${B}/readme/subjects/photographer/verify`, fixture('camera.png'));
    expect(claim.json.match).toBe(true);
    expect((await c.image(`${B}/readme/subjects/eileen/verify`, fixture('camera.png'))).json.match).toBe(false);
    expect((await c.del(`${B}/readme/subjects/photographer`)).status).toBe(204);
    expect(who(await c.image(`${B}/readme/identify`, fixture('camera.png')))).toBe('unknown');
    await s.stop();
  }, 120_000);

  test('kill -9 during a burst of enrolments: every enrolment answered 2xx is there after a restart', async () => {
    const s = await serve({ DATA_DIR: dataDir });
    const c = client(s.url);
    expect((await c.json('POST', `${B}/readme/subjects`, { id: 'burst' })).status).toBe(201);
    const img = fixture('astronaut.jpg');
    const acked: string[] = [];
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed && next < 200) {
        const id = `b${next++}`;
        const r = await c.image(`${B}/readme/subjects/burst/faces`, img, { face_id: id }).catch(() => undefined);
        if (r && r.status >= 200 && r.status < 300) acked.push(id);
        if (acked.length >= 12 && !killed) {
          killed = true;
          s.proc.kill('SIGKILL'); // mid-burst: other requests are in flight
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    await new Promise((r) => (s.proc.exitCode !== null || s.proc.signalCode !== null ? r(null) : s.proc.once('exit', r)));
    expect(s.proc.signalCode).toBe('SIGKILL');
    const again = await serve({ DATA_DIR: dataDir });
    const listed = await client(again.url).get(`${B}/readme/subjects/burst/faces?limit=1000`);
    expect(listed.status).toBe(200);
    const stored = new Set((listed.json.faces as Array<{ id: string }>).map((f) => f.id));
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    console.log(`[gallery-e2e] kill -9 after ${acked.length} acknowledged enrolments (${next} sent): all ${acked.length} there, ${stored.size} stored`);
    await again.stop();
  }, 180_000);
});

describe('PostgreSQL, two servers sharing one gallery', () => {
  test('an enrolment through one is identified through the other; a deletion through one is gone from both', async () => {
    pg = await startPostgres();
    const [a, b] = await Promise.all([serve({ GALLERY_DATABASE: pg.url }), serve({ GALLERY_DATABASE: pg.url })]);
    const ca = client(a.url),
      cb = client(b.url);
    expect((await ca.json('POST', B, { id: 'shared' })).status).toBe(201);
    expect((await cb.json('POST', B, { id: 'shared' })).status).toBe(409);
    for (const [id, file] of [
      ['eileen', 'astronaut.png'],
      ['photographer', 'camera.png'],
      ['chelsea', 'chelsea.png'],
    ] as const) {
      expect((await cb.json('POST', `${B}/shared/subjects`, { id })).status).toBe(201);
      expect((await ca.image(`${B}/shared/subjects/${id}/faces`, fixture(file))).status).toBe(201);
    }
    expect(who(await cb.image(`${B}/shared/identify`, fixture('astronaut_exif6.jpg')))).toBe('eileen');
    expect(who(await ca.image(`${B}/shared/identify`, await drawnFace()))).toBe('unknown');
    expect((await cb.image(`${B}/shared/subjects/photographer/verify`, fixture('camera.png'))).json.match).toBe(true);
    // Both have the gallery's index loaded now; a deletion through B is seen by A on its next request.
    expect(who(await ca.image(`${B}/shared/identify`, fixture('camera.png')))).toBe('photographer');
    expect((await cb.del(`${B}/shared/subjects/photographer`)).status).toBe(204);
    expect(who(await ca.image(`${B}/shared/identify`, fixture('camera.png')))).toBe('unknown');
    expect((await ca.get(`${B}/shared`)).json).toMatchObject({ subjects: 2, faces: 2 });
    await Promise.all([a.stop(), b.stop()]);
  }, 180_000);
});
