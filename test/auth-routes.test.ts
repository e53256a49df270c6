// Every route the server has, walked with every kind of bad credential. The app is the real
// server's (createStack + createServerApp: the same routes, middleware and key file store as
// `edgeserve serve`), called in-process with a client address as the roots pass it.
// - each route of the OpenAPI document and each other route (docs pages, demo, assets) is
//   classified by a row of the scope table (src/auth/scopes.ts), not by the fail-closed default;
// - with no key, a wrong key, a revoked key, an expired key, a key without the scope: never a
//   2xx, never a 5xx: 401 (with RFC 6750's WWW-Authenticate) / 403 naming the scope;
// - a key with the scope gets past auth on each of them (no 401/403/429);
// - AUTH=required closes the metadata routes too; CORS preflights; OpenAPI security schemes;
// - no key secret in any response, header, log line, metric or the key file.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { generateKey, type KeyRecord } from '../src/auth/keys.ts';
import { classify, type Need, type Scope } from '../src/auth/scopes.ts';
import { loadServerConfig } from '../src/config/server-config.ts';
import { updateKeys } from '../src/runtime/auth-store.ts';
import { openBunSqlite } from '../src/runtime/gallery-db/bun.ts';
import { nativeParts } from '../src/runtime/native-parts.ts';
import { createServerApp, createStack, type Stack } from '../src/runtime/stack.ts';
import { tempRepository } from './helpers.ts';

interface Built {
  app: OpenAPIHono;
  stack: Stack;
  logs: string[];
}

const dir = mkdtempSync(join(tmpdir(), 'edgeserve-auth-'));
const keysFile = join(dir, 'keys.json');
const secrets: string[] = [];
const K: Record<string, { key: string; record: KeyRecord }> = {};

async function addKey(name: string, scopes: Scope[], o: { tenant?: string; expires?: Date; revoked?: boolean } = {}) {
  const k = await generateKey({ scopes, tenant: o.tenant, expires: o.expires });
  if (o.revoked) k.record.revoked = new Date().toISOString();
  K[name] = k;
  secrets.push(k.key);
}

async function build(env: Record<string, string>): Promise<Built> {
  const logs: string[] = [];
  const cfg = loadServerConfig({
    WORKERS: '0',
    PULL: '0',
    API_KEYS_FILE: keysFile,
    MODEL_REPOSITORY: repo,
    GRPC_PORT: 'off',
    DATA_DIR: mkdtempSync(join(dir, 'data-')),
    ...env,
  });
  const log = (level: string, msg: string) => void logs.push(`${level} ${msg}`);
  // What bun.ts gives the stack: the native parts and Bun's SQLite for the gallery.
  const parts = { ...(await nativeParts(cfg.models)), gallerySqlite: openBunSqlite };
  const stack = createStack(cfg, parts, log);
  await stack.load();
  return { app: createServerApp(cfg, stack.dataPlane, parts, log, stack.auth, stack.gallery), stack, logs };
}

let repo: string;
/** Tenant A's gallery: the walk's gallery routes address it. */
const GALLERY = 'gallery-a';
let keyed: Built;
let required: Built;
const seen: string[] = []; // every response's status line, headers and body

async function call(b: Built, method: string, path: string, headers: Record<string, string> = {}, peer = '127.0.0.1', json = '{}'): Promise<Response> {
  const body = method === 'GET' || method === 'HEAD' ? undefined : json;
  const res = await b.app.request(path, { method, headers: { 'content-type': 'application/json', ...headers }, body }, { clientAddress: peer });
  const text = await res.clone().text();
  seen.push(`${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${text}`);
  return res;
}

beforeAll(async () => {
  repo = tempRepository();
  await addKey('infer', ['infer']);
  await addKey('metrics', ['metrics']);
  await addKey('admin', ['admin']);
  await addKey('read', ['faces:read']);
  await addKey('write', ['faces:write', 'faces:read']);
  await addKey('tenantA', ['faces:read', 'faces:write'], { tenant: 'tenant-a' });
  await addKey('tenantB', ['faces:read', 'faces:write'], { tenant: 'tenant-b' });
  await addKey('revoked', ['admin'], { revoked: true });
  await addKey('expired', ['admin'], { expires: new Date(Date.now() - 60_000) });
  updateKeys(keysFile, () => Object.values(K).map((k) => k.record));
  keyed = await build({});
  required = await build({ AUTH: 'required', CORS_ORIGINS: 'https://app.example' });
}, 60_000);

afterAll(async () => {
  await keyed?.stack.shutdown();
  await required?.stack.shutdown();
});

/** Every route: the OpenAPI document's operations, then the app's other routes. */
function routes(app: OpenAPIHono): Array<{ method: string; path: string; openapi: boolean }> {
  const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
  const out: Array<{ method: string; path: string; openapi: boolean }> = [];
  const sample = (p: string) =>
    p
      .replace(/\{model_name\}|:model_name\b/g, 'simple')
      .replace(/\{model_version\}|:model_version(\{[^}]*\})?/g, '1')
      .replace(/\{gallery\}|:gallery\b/g, GALLERY)
      .replace(/\{subject\}|:subject\b/g, 's1')
      .replace(/\{face\}|:face\b/g, 'f1')
      .replace(/\{[^}]+\}|:[A-Za-z_]+(\{[^}]*\})?\??/g, 'x')
      .replace(/\*$/, 'x');
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const m of Object.keys(item as object)) out.push({ method: m.toUpperCase(), path: sample(p), openapi: true });
  }
  const have = new Set(out.map((r) => `${r.method} ${r.path}`));
  for (const r of app.routes) {
    if (r.method === 'ALL') continue; // middleware
    const x = { method: r.method, path: sample(r.path), openapi: false };
    if (!have.has(`${x.method} ${x.path}`)) out.push(x);
    have.add(`${x.method} ${x.path}`);
  }
  return out;
}

const PROTECTED = (n: Need) => n !== 'health' && n !== 'public' && n !== 'metadata';
/** A key whose scopes do not include `need` (admin includes everything). */
const without = (need: Scope) => (need === 'infer' ? K.metrics : K.infer);
const withScope = (need: Scope) => ({ infer: K.infer, metrics: K.metrics, admin: K.admin, 'faces:read': K.read, 'faces:write': K.write })[need];

describe('tenants', () => {
  test("another tenant's gallery answers 404 on every gallery route; an admin key without a tenant sees it", async () => {
    const a = { 'x-api-key': K.tenantA.key };
    const b = { 'x-api-key': K.tenantB.key };
    expect((await call(keyed, 'POST', '/v1/faces/galleries', a, '10.3.0.1', JSON.stringify({ id: GALLERY }))).status).toBe(201);
    expect((await call(keyed, 'POST', `/v1/faces/galleries/${GALLERY}/subjects`, a, '10.3.0.1', JSON.stringify({ id: 's1' }))).status).toBe(201);
    expect((await call(keyed, 'GET', `/v1/faces/galleries/${GALLERY}`, a)).status).toBe(200);
    const gallery = routes(keyed.app).filter((r) => r.path.startsWith(`/v1/faces/galleries/${GALLERY}`));
    expect(gallery.length).toBeGreaterThanOrEqual(12);
    const rows: string[] = [];
    for (const r of gallery) {
      // A valid body where the route takes JSON, so the lookup (not validation) answers.
      const res = await call(keyed, r.method, r.path, b, '10.3.0.2', r.path.endsWith('/subjects') ? JSON.stringify({ id: 's2' }) : '{}');
      rows.push(`${r.method} ${r.path}: ${res.status}`);
    }
    // Body-less requests could be refused for their body first (400/415); never 2xx, never 403.
    for (const row of rows) expect(row).toMatch(/: (404|400|415|422)$/);
    for (const row of rows.filter((x) => !x.includes('/search:'))) expect(row).toMatch(/: 404$/);
    // B's list does not show A's gallery; B may make its own of the same name.
    const list = await (await call(keyed, 'GET', '/v1/faces/galleries', b, '10.3.0.2')).text();
    expect(list).not.toContain(GALLERY);
    expect((await call(keyed, 'GET', `/v1/faces/galleries/${GALLERY}/subjects/s1`, { 'x-api-key': K.admin.key })).status).toBe(200);
    expect((await call(keyed, 'GET', `/v1/faces/galleries/${GALLERY}/subjects/s1`, a)).status).toBe(200);
  });
});

describe('every route', () => {
  test('is classified by a row of the scope table', () => {
    const all = routes(keyed.app);
    expect(all.filter((r) => r.openapi).length).toBeGreaterThan(15);
    expect(all.some((r) => r.path === '/docs')).toBe(true);
    const unclassified = all.filter((r) => !classify(r.method, r.path).rule).map((r) => `${r.method} ${r.path}`);
    expect(unclassified).toEqual([]);
  });

  test('no key, wrong, revoked, expired, lacking the scope: never 2xx or 5xx; the statuses RFC 6750 says', async () => {
    const wrong = `es_0123456789ab_${'Q'.repeat(43)}`;
    const rows: string[] = [];
    for (const r of routes(keyed.app)) {
      const need = classify(r.method, r.path).need;
      const tries: Array<[string, Record<string, string>, number]> = [
        ['wrong', { authorization: `Bearer ${wrong}` }, 401],
        ['revoked', { 'x-api-key': K.revoked.key }, 401],
        ['expired', { authorization: `Bearer ${K.expired.key}` }, 401],
      ];
      if (PROTECTED(need)) {
        tries.push(['none', {}, 401], ['no scope', { 'x-api-key': without(need as Scope).key }, 403]);
      }
      for (const [what, headers, want] of tries) {
        // Each from its own address: the failed-credential slowdown is tested on its own below.
        const res = await call(keyed, r.method, r.path, headers, `10.9.${rows.length >> 8}.${rows.length & 255}`);
        rows.push(`${r.method} ${r.path} ${what}: ${res.status}`);
        expect(`${r.method} ${r.path} ${what}: ${res.status}`).toBe(`${r.method} ${r.path} ${what}: ${want}`);
        const challenge = res.headers.get('www-authenticate') ?? '';
        const body = (await res.json()) as { error: string };
        expect(typeof body.error).toBe('string');
        if (what === 'none') expect(challenge).toBe('Bearer realm="edgeserve"');
        else if (want === 401) expect(challenge).toContain('error="invalid_token"');
        if (want === 403) {
          expect(challenge).toBe(`Bearer realm="edgeserve", error="insufficient_scope", scope="${need}"`);
          expect(body.error).toContain(`'${need}'`);
        }
      }
      // The right key gets past auth (what the route then answers is its own business).
      if (PROTECTED(need)) {
        const ok = await call(keyed, r.method, r.path, { 'x-api-key': withScope(need as Scope).key });
        expect(`${r.method} ${r.path}: ${[401, 403, 429].includes(ok.status) ? ok.status : 'passed'}`).toBe(`${r.method} ${r.path}: passed`);
        const admin = await call(keyed, r.method, r.path, { authorization: `Bearer ${K.admin.key}` });
        expect([401, 403, 429]).not.toContain(admin.status);
      } else {
        expect([401, 403]).not.toContain((await call(keyed, r.method, r.path)).status);
      }
    }
    expect(rows.length).toBeGreaterThan(80);
  }, 60_000);

  test('AUTH=required: metadata needs a key, health and docs stay open', async () => {
    for (const p of ['/v2', '/v2/models/simple', '/v2/models/simple/ready', '/v2/models/simple/versions/1/config']) {
      expect((await call(required, 'GET', p)).status).toBe(401);
      expect((await call(required, 'GET', p, { 'x-api-key': K.metrics.key })).status).toBe(200);
    }
    expect((await call(required, 'GET', '/v2/health/ready')).status).toBe(200);
    expect((await call(required, 'GET', '/docs')).status).toBe(200);
    expect((await call(required, 'GET', '/openapi.json')).status).toBe(200);
  });
});

describe('the rest of the surface', () => {
  test('keys work as Bearer and X-API-Key; the answer is what the route gives', async () => {
    // The walk above unloaded `simple` with the admin key: load it back, with that key too.
    expect((await call(keyed, 'POST', '/v2/repository/models/simple/load', { 'x-api-key': K.admin.key }, '10.1.1.1')).status).toBe(200);
    const infer = {
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(1) },
      ],
    };
    for (const h of [{ authorization: `Bearer ${K.infer.key}` }, { 'x-api-key': K.infer.key }] as Array<Record<string, string>>) {
      const res = await keyed.app.request(
        '/v2/models/simple/infer',
        { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify(infer) },
        { clientAddress: '10.1.1.1' },
      );
      expect(res.status).toBe(200);
      const out = (await res.json()) as { outputs: Array<{ name: string; data: number[] }> };
      expect(out.outputs.find((o) => o.name === 'OUTPUT0')!.data[15]).toBe(16);
    }
    const two = await call(keyed, 'GET', '/metrics', { authorization: `Bearer ${K.metrics.key}`, 'x-api-key': K.infer.key });
    expect(two.status).toBe(400);
    expect(two.headers.get('www-authenticate')).toContain('error="invalid_request"');
  });

  test('CORS: preflight answered for an allowed origin, refusals carry the headers', async () => {
    const pre = await required.app.request('/v1/faces/detect', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(pre.headers.get('access-control-allow-headers')).toContain('X-API-Key');
    const other = await required.app.request('/v1/faces/detect', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const denied = await required.app.request(
      '/v1/faces/detect',
      { method: 'POST', headers: { origin: 'https://app.example' } },
      { clientAddress: '10.2.2.2' },
    );
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(denied.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    // Off by default: no CORS headers at all.
    const off = await keyed.app.request('/v2', { headers: { origin: 'https://app.example' } });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('OpenAPI: security schemes, and each operation requires what the table says', async () => {
    const doc = (await (await keyed.app.request('/openapi.json')).json()) as {
      components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> };
      paths: Record<string, Record<string, { security: Array<Record<string, string[]>> }>>;
    };
    expect(doc.components.securitySchemes.ApiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/v2/repository/models/{model_name}/unload'].post.security).toEqual([{ ApiKeyHeader: ['admin'] }, { Bearer: ['admin'] }]);
    expect(doc.paths['/v1/faces/detect'].post.security).toEqual([{ ApiKeyHeader: ['infer'] }, { Bearer: ['infer'] }]);
    expect(doc.paths['/v2/health/ready'].get.security).toEqual([]);
    expect(doc.paths['/v2'].get.security).toEqual([{}, { ApiKeyHeader: [] }, { Bearer: [] }]);
    for (const [p, item] of Object.entries(doc.paths))
      for (const [m, op] of Object.entries(item)) expect(`${m} ${p} ${Array.isArray(op.security)}`).toBe(`${m} ${p} true`);
    const req = (await (await required.app.request('/openapi.json')).json()) as typeof doc;
    expect(req.paths['/v2'].get.security).toEqual([{ ApiKeyHeader: [] }, { Bearer: [] }]);
  });

  test('metrics count requests by key id and refusals by status; no secret anywhere', async () => {
    const text = await (await call(keyed, 'GET', '/metrics', { 'x-api-key': K.metrics.key })).text();
    expect(text).toContain('# TYPE edgeserve_auth_requests_total counter');
    expect(text).toMatch(new RegExp(`edgeserve_auth_requests_total\\{principal="${K.infer.record.id}"\\} [1-9]`));
    expect(text).toMatch(/edgeserve_auth_denied_total\{status="401",reason="revoked"\} [1-9]/);
    expect(text).toMatch(/edgeserve_auth_denied_total\{status="403",reason="scope"\} [1-9]/);
    const file = readFileSync(keysFile, 'utf8');
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    const outputs = [...seen, ...keyed.logs, ...required.logs, file].join('\n');
    for (const s of secrets) {
      expect(outputs.includes(s)).toBe(false);
      expect(outputs.includes(s.slice(16))).toBe(false); // the secret half alone
    }
    for (const k of Object.values(K)) expect(file).toContain(k.record.sha256);
  });
});
