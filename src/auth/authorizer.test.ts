// The auth decision without HTTP: modes, scopes, key states, JWT (HS256 and a JWKS), proxies,
// rate limits and the failed-credential slowdown, with a clock the tests move.

import { describe, expect, test } from 'bun:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AddressSet, clientOf, isLoopback } from './address.ts';
import { type AuthMode, Authorizer, type AuthRequest } from './authorizer.ts';
import { type AuthError, isAuthError } from './errors.ts';
import { createJwtVerifier, type JwtVerifier } from './jwt.ts';
import { generateKey, KeyTable, parseKeyFile, formatKeyFile } from './keys.ts';
import { classify, classifyGrpc } from './scopes.ts';

const noTrust = { proxies: new AddressSet([]), header: 'x-forwarded-for' as const };

function make(
  o: { mode?: AuthMode; keys?: KeyTable; jwt?: JwtVerifier; limits?: Authorizer['o']['limits']; now?: () => number; trust?: Authorizer['o']['trust'] } = {},
) {
  return new Authorizer({
    mode: o.mode ?? 'auto',
    keys: o.keys ?? new KeyTable(),
    jwt: o.jwt,
    trust: o.trust ?? noTrust,
    limits: o.limits ?? {},
    authFailures: { perSecond: 1, burst: 5 },
    now: o.now,
  });
}

const req = (method: string, path: string, key?: string, peer = '127.0.0.1', headers: Record<string, string> = {}): AuthRequest => ({
  credentials: { authorization: key ? `Bearer ${key}` : null },
  peer,
  header: (n) => headers[n],
  route: { method, path },
});

async function fails(p: Promise<unknown>): Promise<AuthError> {
  try {
    await p;
  } catch (e) {
    if (isAuthError(e)) return e;
    throw e;
  }
  throw new Error('expected an AuthError');
}

describe('scope table', () => {
  test('routes and gRPC methods classify; anything else needs admin', () => {
    expect(classify('GET', '/v2/health/ready').need).toBe('health');
    expect(classify('HEAD', '/v2/health/live').need).toBe('health');
    expect(classify('GET', '/v2').need).toBe('metadata');
    expect(classify('GET', '/v2/models/simple/versions/1/config').need).toBe('metadata');
    expect(classify('POST', '/v2/models/simple/infer').need).toBe('infer');
    expect(classify('POST', '/v1/faces/verify').need).toBe('infer');
    expect(classify('GET', '/v2/models/stats').need).toBe('metrics');
    expect(classify('POST', '/v2/repository/models/simple/unload').need).toBe('admin');
    expect(classify('GET', '/v1/faces/galleries/g1/subjects').need).toBe('faces:read');
    expect(classify('POST', '/v1/faces/galleries/g1/identify').need).toBe('faces:read');
    expect(classify('POST', '/v1/faces/galleries/g1/subjects/s1/faces').need).toBe('faces:write');
    expect(classify('DELETE', '/v1/faces/galleries/g1').need).toBe('faces:write');
    expect(classify('GET', '/docs/assets/swagger-ui-dist/swagger-ui.css').need).toBe('public');
    // An open path with a method it does not take stays open: the router answers 405 + Allow.
    expect(classify('POST', '/v2').need).toBe('metadata');
    expect(classify('DELETE', '/v2/health/ready').need).toBe('health');
    // A trailing slash is classified as the path the router serves.
    expect(classify('POST', '/v1/faces/detect/').need).toBe('infer');
    // Fail closed: unknown paths, other methods on guarded paths, empty segments, encoded tricks.
    expect(classify('GET', '/v1/faces/detect').need).toBe('infer');
    for (const [m, p] of [
      ['GET', '/v3/secret'],
      ['GET', '/v2/models//config'],
      ['GET', '//v2/health/live'],
      ['GET', '/v2/models/x/%2e%2e'],
    ]) {
      const c = classify(m, p);
      expect(c.need === 'admin' || c.need === 'metadata').toBe(true);
      if (p !== '/v2/models/x/%2e%2e') expect(c.rule).toBeUndefined();
    }
    expect(classifyGrpc('ModelInfer').need).toBe('infer');
    expect(classifyGrpc('RepositoryModelUnload').need).toBe('admin');
    expect(classifyGrpc('SomethingNew')).toEqual({ need: 'admin' });
  });
});

describe('addresses', () => {
  test('loopback, CIDR sets, proxy headers only from trusted proxies', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.8.9.10')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
    expect(isLoopback('localhost')).toBe(false);
    const set = new AddressSet(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
    expect(set.has('10.9.8.7')).toBe(true);
    expect(set.has('::ffff:10.1.1.1')).toBe(true);
    expect(set.has('2001:db8::5')).toBe(true);
    expect(set.has('192.0.2.8')).toBe(false);
    expect(() => new AddressSet(['10.0.0.0/33'])).toThrow(/CIDR/);
    const h = (o: Record<string, string>) => (n: string) => o[n];
    // No trusted proxy: headers are not believed, and their presence makes loopback not local.
    expect(clientOf('127.0.0.1', h({ 'x-forwarded-for': '127.0.0.1' }), noTrust)).toEqual({ address: '127.0.0.1', local: false });
    expect(clientOf('127.0.0.1', h({}), noTrust)).toEqual({ address: '127.0.0.1', local: true });
    const trust = { proxies: new AddressSet(['127.0.0.1', '10.0.0.2']), header: 'x-forwarded-for' as const };
    // Right to left, skipping trusted hops: a client cannot prepend its way to loopback.
    expect(clientOf('127.0.0.1', h({ 'x-forwarded-for': '127.0.0.1, 203.0.113.9, 10.0.0.2' }), trust)).toEqual({ address: '203.0.113.9', local: false });
    expect(clientOf('127.0.0.1', h({}), trust)).toEqual({ address: undefined, local: false });
    expect(clientOf('127.0.0.1', h({ 'x-forwarded-for': 'garbage' }), trust)).toEqual({ address: undefined, local: false });
    expect(clientOf('198.51.100.1', h({ 'x-forwarded-for': '127.0.0.1' }), trust)).toEqual({ address: '198.51.100.1', local: false });
    const fwd = { proxies: new AddressSet(['10.0.0.2']), header: 'forwarded' as const };
    expect(clientOf('10.0.0.2', h({ forwarded: 'for=127.0.0.1, for="[2001:db8::7]:4711"', 'x-forwarded-for': '127.0.0.1' }), fwd)).toEqual({
      address: '2001:db8::7',
      local: false,
    });
  });
});

describe('keys', () => {
  test('generated keys: 256-bit secret, hash only in the file, round trip', async () => {
    const { key, record } = await generateKey({ scopes: ['infer'], tenant: 't1' });
    expect(key).toMatch(/^es_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const file = formatKeyFile([record]);
    expect(file).not.toContain(key.slice(16));
    expect(parseKeyFile(file, 'f')).toEqual([record]);
    expect(() => parseKeyFile('{"version":1,"keys":[{"id":"x"}]}', 'f.json')).toThrow(/^f\.json: keys\.0\.id/);
    expect(() => parseKeyFile(file.replace('"infer"', '"root"'), 'f')).toThrow(/scopes\.0: must be one of/);
  });
});

describe('authorize', () => {
  test('keyless: everything open from loopback; admin and faces:write only from loopback', async () => {
    const a = make();
    expect((await a.authorize(req('POST', '/v2/repository/models/simple/unload'))).kind).toBe('anonymous');
    expect((await a.authorize(req('POST', '/v1/faces/detect', undefined, '10.1.2.3'))).kind).toBe('anonymous');
    const e = await fails(a.authorize(req('POST', '/v2/repository/models/simple/unload', undefined, '10.1.2.3')));
    expect(e.code).toBe('PERMISSION_DENIED');
    expect(e.message).toContain('edgeserve keys create');
    expect((await fails(a.authorize(req('POST', '/v1/faces/galleries', undefined, '10.1.2.3')))).code).toBe('PERMISSION_DENIED');
    // No address from the transport: not loopback.
    expect((await fails(a.authorize({ credentials: {}, route: { method: 'POST', path: '/v1/faces/galleries' } }))).code).toBe('PERMISSION_DENIED');
  });

  test('keyed: 401 / 403 / 2xx by key state and scope; admin passes all', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const infer = await generateKey({ scopes: ['infer'] });
    const admin = await generateKey({ scopes: ['admin'] });
    const expired = await generateKey({ scopes: ['infer'], expires: new Date(now + 1000) });
    const revoked = await generateKey({ scopes: ['infer'] });
    revoked.record.revoked = new Date(now).toISOString();
    const table = new KeyTable([infer.record, admin.record, expired.record, revoked.record]);
    const a = make({ keys: table, now: () => now });
    expect((await a.authorize(req('GET', '/v2'))).kind).toBe('anonymous');
    expect((await a.authorize(req('GET', '/v2/health/ready'))).kind).toBe('anonymous');
    const missing = await fails(a.authorize(req('POST', '/v2/models/simple/infer')));
    expect([missing.code, missing.challenge]).toEqual(['UNAUTHENTICATED', 'Bearer realm="edgeserve"']);
    expect((await a.authorize(req('POST', '/v2/models/simple/infer', infer.key))).id).toBe(infer.record.id);
    expect((await a.authorize(req('POST', '/v2/models/simple/infer', expired.key))).id).toBe(expired.record.id);
    now += 2000;
    for (const [k, reason] of [
      [expired.key, 'expired'],
      [revoked.key, 'revoked'],
      [`${infer.key.slice(0, -1)}${infer.key.endsWith('A') ? 'B' : 'A'}`, 'unknown'],
      ['es_nope', 'malformed'],
    ] as const) {
      const e = await fails(a.authorize(req('POST', '/v2/models/simple/infer', k)));
      expect([e.code, e.reason]).toEqual(['UNAUTHENTICATED', reason]);
      expect(e.challenge).toContain('error="invalid_token"');
      if (k.length > 20) expect(e.message).not.toContain(k.slice(16));
    }
    const scope = await fails(a.authorize(req('POST', '/v2/repository/models/simple/unload', infer.key)));
    expect([scope.code, scope.challenge]).toEqual(['PERMISSION_DENIED', 'Bearer realm="edgeserve", error="insufficient_scope", scope="admin"']);
    expect(scope.message).toContain("lacks scope 'admin'");
    // A wrong key on an open route is still an error.
    expect((await fails(a.authorize(req('GET', '/v2', `es_000000000000_${'a'.repeat(43)}`, '10.0.0.99')))).code).toBe('UNAUTHENTICATED');
    for (const p of ['/v2/repository/index', '/v1/faces/galleries', '/metrics', '/v9/new-route']) {
      expect((await a.authorize(req('POST', p, admin.key))).id).toBe(admin.record.id);
    }
    // Two different credentials: RFC 6750's invalid_request.
    const two = await fails(
      a.authorize({ credentials: { authorization: `Bearer ${infer.key}`, apiKey: admin.key }, route: { method: 'GET', path: '/metrics' } }),
    );
    expect(two.code).toBe('INVALID_ARGUMENT');
    expect((await a.authorize({ credentials: { apiKey: infer.key }, route: { method: 'POST', path: '/v1/faces/embed' } })).id).toBe(infer.record.id);
    expect(a.metrics.render()).toContain(`edgeserve_auth_requests_total{principal="${infer.record.id}"}`);
    expect(a.metrics.render()).toContain('edgeserve_auth_denied_total{status="401",reason="revoked"} 1');
  });

  test('a server that had keys stays keyed when they are gone; AUTH=required', async () => {
    const k = await generateKey({ scopes: ['infer'] });
    const table = new KeyTable([k.record]);
    const a = make({ keys: table });
    await a.authorize(req('GET', '/v2'));
    table.replace([]);
    expect((await fails(a.authorize(req('POST', '/v2/repository/index')))).code).toBe('UNAUTHENTICATED');
    const r = make({ mode: 'required' });
    expect((await fails(r.authorize(req('GET', '/v2')))).code).toBe('UNAUTHENTICATED');
    expect((await r.authorize(req('GET', '/v2/health/live'))).kind).toBe('anonymous');
    expect((await r.authorize(req('GET', '/docs'))).kind).toBe('anonymous');
  });

  test('rate limit per key and scope (429 + Retry-After), per address without keys', async () => {
    const k = await generateKey({ scopes: ['infer', 'metrics'] });
    const a = make({ keys: new KeyTable([k.record]), limits: { infer: { perSecond: 0.5, burst: 3 } } });
    for (let i = 0; i < 3; i++) await a.authorize(req('POST', '/v1/faces/detect', k.key));
    const e = await fails(a.authorize(req('POST', '/v1/faces/detect', k.key)));
    expect([e.code, e.retryAfter]).toEqual(['RESOURCE_EXHAUSTED', 2]);
    await a.authorize(req('GET', '/metrics', k.key)); // another scope: its own bucket (none set)
    const anon = make({ limits: { default: { perSecond: 1, burst: 1 } } });
    await anon.authorize(req('GET', '/v2', undefined, '10.0.0.1'));
    await anon.authorize(req('GET', '/v2', undefined, '10.0.0.2'));
    expect((await fails(anon.authorize(req('GET', '/v2', undefined, '10.0.0.1')))).code).toBe('RESOURCE_EXHAUSTED');
  });

  test('wrong credentials from one address: 429 past the burst, other addresses unaffected', async () => {
    const k = await generateKey({ scopes: ['infer'] });
    const a = make({ keys: new KeyTable([k.record]) });
    const wrong = `es_0123456789ab_${'b'.repeat(43)}`;
    for (let i = 0; i < 5; i++) expect((await fails(a.authorize(req('POST', '/v1/faces/detect', wrong, '10.0.0.66')))).code).toBe('UNAUTHENTICATED');
    const slow = await fails(a.authorize(req('POST', '/v1/faces/detect', wrong, '10.0.0.66')));
    expect([slow.code, slow.reason, slow.retryAfter]).toEqual(['RESOURCE_EXHAUSTED', 'auth_failures', 1]);
    // Even a right key from there waits: guessing is what is slowed down.
    expect((await fails(a.authorize(req('POST', '/v1/faces/detect', k.key, '10.0.0.66')))).code).toBe('RESOURCE_EXHAUSTED');
    expect((await a.authorize(req('POST', '/v1/faces/detect', k.key, '10.0.0.67'))).id).toBe(k.record.id);
  });

  test('JWT: HS256 and a JWKS; issuer, audience, expiry, scopes and tenant claims', async () => {
    const secret = 'x'.repeat(40);
    const hs = createJwtVerifier({ secret, issuer: 'https://idp.example', audience: 'edgeserve', scopesClaim: 'scope', tenantClaim: 'org' });
    const a = make({ jwt: hs });
    const sign = (claims: Record<string, unknown>, exp: string | number = '5m', iss = 'https://idp.example', aud = 'edgeserve') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('user-1')
        .setIssuer(iss)
        .setAudience(aud)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const p = await a.authorize(req('POST', '/v1/faces/detect', await sign({ scope: 'infer faces:read bogus', org: 'acme' })));
    expect([p.kind, p.id, [...p.scopes], p.tenant]).toEqual(['jwt', 'jwt:user-1', ['infer', 'faces:read'], 'acme']);
    expect((await fails(a.authorize(req('POST', '/v2/repository/index', await sign({ scope: 'infer' }))))).code).toBe('PERMISSION_DENIED');
    expect((await fails(a.authorize(req('POST', '/v1/faces/detect', await sign({ scope: 'infer' }, Math.floor(Date.now() / 1000) - 60))))).reason).toBe(
      'expired',
    );
    expect((await fails(a.authorize(req('POST', '/v1/faces/detect', await sign({ scope: 'infer' }, '5m', 'https://evil.example'))))).code).toBe(
      'UNAUTHENTICATED',
    );
    expect((await fails(a.authorize(req('POST', '/v1/faces/detect', await sign({ scope: 'infer' }, '5m', undefined, 'other'))))).code).toBe('UNAUTHENTICATED');
    expect(() => createJwtVerifier({ secret: 'short', scopesClaim: 'scope', tenantClaim: 't' })).toThrow(/32 bytes/);

    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const b = make({ jwt: createJwtVerifier({ jwks: { keys: [jwk] }, scopesClaim: 'scp', tenantClaim: 'tenant' }) });
    const t = await new SignJWT({ scp: ['admin'], tenant: 't9' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('svc')
      .setExpirationTime('5m')
      .sign(privateKey);
    expect((await b.authorize(req('POST', '/v2/repository/index', t))).tenant).toBe('t9');
    // An HS256 token signed with the public key's bytes must not pass a JWKS verifier.
    const forged = await new SignJWT({ scp: ['admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    expect((await fails(b.authorize(req('POST', '/v2/repository/index', forged)))).code).toBe('UNAUTHENTICATED');
    const noExp = await new SignJWT({ scp: ['admin'] }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
    expect((await fails(b.authorize(req('POST', '/v2/repository/index', noExp)))).code).toBe('UNAUTHENTICATED');
  });
});

describe('JWKS over HTTP and settings', () => {
  test('a JWKS URL is fetched (jose caches it); an unreachable one is 503, not a wrong credential', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' };
    let fetched = 0;
    const idp = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => {
        fetched++;
        return Response.json({ keys: [jwk] });
      },
    });
    try {
      const a = make({
        jwt: createJwtVerifier({ jwksUrl: `http://127.0.0.1:${idp.port}/jwks`, issuer: 'https://idp', scopesClaim: 'scope', tenantClaim: 'tenant' }),
      });
      const t = await new SignJWT({ scope: 'infer' })
        .setProtectedHeader({ alg: 'RS256', kid: 'r1' })
        .setIssuer('https://idp')
        .setSubject('u')
        .setExpirationTime('5m')
        .sign(privateKey);
      expect((await a.authorize(req('POST', '/v1/faces/detect', t))).id).toBe('jwt:u');
      expect((await a.authorize(req('POST', '/v1/faces/detect', t))).id).toBe('jwt:u');
      expect(fetched).toBe(1);
    } finally {
      idp.stop(true);
    }
    const down = make({ jwt: createJwtVerifier({ jwksUrl: `http://127.0.0.1:${idp.port}/jwks`, scopesClaim: 'scope', tenantClaim: 'tenant' }) });
    const t = await new SignJWT({ scope: 'infer' }).setProtectedHeader({ alg: 'RS256', kid: 'r1' }).setExpirationTime('5m').sign(privateKey);
    const e = await down.authorize(req('POST', '/v1/faces/detect', t)).then(
      () => undefined,
      (x: { code: string }) => x,
    );
    expect(e?.code).toBe('UNAVAILABLE');
  });

  test('RATE_LIMIT_* and JWT_* settings become the Authorizer', async () => {
    const { loadServerConfig } = await import('../config/server-config.ts');
    const { authorizerFromConfig, rateLimits } = await import('./settings.ts');
    const cfg = loadServerConfig({ RATE_LIMIT_RPS: '5', RATE_LIMIT_SCOPES: 'infer=20, admin=0', RATE_LIMIT_BURST: '7', RATE_LIMIT_AUTH_FAILURES: '12' });
    expect(rateLimits(cfg)).toEqual({
      default: { perSecond: 5, burst: 7 },
      infer: { perSecond: 20, burst: 7 },
      admin: { perSecond: Infinity, burst: Infinity },
    });
    const a = authorizerFromConfig(cfg, new KeyTable());
    expect(a.o.authFailures).toEqual({ perSecond: 0.2, burst: 12 });
    expect(() => authorizerFromConfig(loadServerConfig({ JWT_ISSUER: 'x' }), new KeyTable())).toThrow(/no JWT key source/);
    expect(() => authorizerFromConfig(loadServerConfig({ JWT_SECRET: 'x'.repeat(32), JWT_JWKS_URL: 'https://x/jwks' }), new KeyTable())).toThrow(/exactly one/);
    expect(authorizerFromConfig(loadServerConfig({ JWT_SECRET: 'x'.repeat(32) }), new KeyTable()).keyed()).toBe(true);
  });
});
