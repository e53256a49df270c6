// 405 with Allow for a wrong method, and FastAPI-style trailing slashes (GET/HEAD redirected
// with 308, other methods served), over the real app with the `simple` model (app.request).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { rmSync } from 'node:fs';
import { Hono } from 'hono';
import { buildApp, tempRepository } from '../../test/helpers.ts';
import { nodeBackend } from '../engine/onnxruntime-node.ts';
import { allowedMethods } from './methods.ts';

let repo: string;
let app: Awaited<ReturnType<typeof buildApp>>['app'];

beforeAll(async () => {
  repo = tempRepository();
  ({ app } = await buildApp(repo, nodeBackend()));
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const infer = JSON.stringify({
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: Array.from({ length: 16 }, (_, i) => i) },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: Array(16).fill(1) },
  ],
});

describe('wrong method → 405 with Allow', () => {
  test('on routes with and without path parameters', async () => {
    for (const [method, path, allow] of [
      ['GET', '/v2/models/simple/infer', 'POST'],
      ['PUT', '/v2/models/simple/versions/1/infer', 'POST'],
      ['DELETE', '/v2/health/live', 'GET, HEAD'],
      ['POST', '/docs', 'GET, HEAD'],
      ['GET', '/v2/repository/index', 'POST'],
      ['OPTIONS', '/v2/models/simple', 'GET, HEAD'],
      ['PATCH', '/v2/models/simple/infer/', 'POST'],
    ] as const) {
      const r = await app.request(path, { method });
      expect({ method, path, status: r.status, allow: r.headers.get('allow') }).toEqual({ method, path, status: 405, allow });
      expect((await r.json()).error).toBe(`method ${method} is not allowed on ${path}: use ${allow.replace(', ', ' or ')}`);
    }
  });

  test('a path that does not exist is still 404', async () => {
    const r = await app.request('/v2/nothing-here', { method: 'POST' });
    expect(r.status).toBe(404);
    expect(r.headers.get('allow')).toBeNull();
    expect(await r.json()).toEqual({ error: 'no route for POST /v2/nothing-here' });
  });
});

describe('trailing slash', () => {
  test('GET and HEAD → 308 to the path without it, query kept', async () => {
    for (const [path, to] of [
      ['/docs/', '/docs'],
      ['/v2/models/simple/?x=1', '/v2/models/simple?x=1'],
      ['/v2/health/ready/', '/v2/health/ready'],
    ]) {
      for (const method of ['GET', 'HEAD']) {
        const r = await app.request(path, { method, redirect: 'manual' });
        expect({ path, method, status: r.status, location: r.headers.get('location') }).toEqual({ path, method, status: 308, location: to });
      }
    }
    expect((await app.request('/docs')).status).toBe(200);
  });

  test('POST is served at once (an upload is not sent twice)', async () => {
    const r = await app.request('/v2/models/simple/infer/', { method: 'POST', body: infer, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
    expect((await r.json()).outputs[0].data).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect((await app.request('/v2/repository/index/', { method: 'POST' })).status).toBe(200);
  });

  test('no redirect to a path that does not exist', async () => {
    expect((await app.request('/nothing/', { redirect: 'manual' })).status).toBe(404);
  });
});

test('allowedMethods understands Hono patterns (params, regex params, wildcards) and skips middleware', () => {
  const h = new Hono();
  h.use('*', async (_c, next) => next());
  h.get('/a/:id{[0-9]+}', (c) => c.text('a'));
  h.post('/a/:id/b', (c) => c.text('b'));
  h.delete('/files/*', (c) => c.text('f'));
  expect(allowedMethods(h, '/a/12')).toEqual(['GET', 'HEAD']);
  expect(allowedMethods(h, '/a/x')).toEqual([]);
  expect(allowedMethods(h, '/a/x/b/')).toEqual(['POST']);
  expect(allowedMethods(h, '/files/x/y')).toEqual(['DELETE']);
  expect(allowedMethods(h, '/elsewhere')).toEqual([]);
  h.put('/elsewhere', (c) => c.text('late')); // a route added after the first lookup is seen
  expect(allowedMethods(h, '/elsewhere')).toEqual(['PUT']);
});
