// pullModel against a fake npm registry (Bun.serve on 127.0.0.1, port 0) serving a packument and
// a tarball built in the test: success, cache reuse, offline re-pull, sha256 and integrity
// mismatches (nothing written), 404s, refused connections, tarball-host fallback, auth; plus
// https-url, local-file and generator sources.

import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelSource } from '../../core/model-config.ts';
import { PullError } from './errors.ts';
import { buildTgz } from './fixtures.ts';
import { loadNpmConfig } from './npm-config.ts';
import { pullModel, type PullOptions } from './pull.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sri = (b: Uint8Array) => `sha512-${createHash('sha512').update(b).digest('base64')}`;

const detect = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
const embed = new Uint8Array(120_000).map((_, i) => (i * 13) & 0xff);
const tgz = buildTgz([
  { name: 'package/package.json', data: '{"name":"faces"}' },
  { name: 'package/model/fr_detect.onnx', data: detect },
  { name: 'package/model/fr_feature.onnx', data: embed },
  { name: 'package/model/fr_landmark.onnx', data: 'l' },
]);

/** Knobs a test can turn on the fake registry; reset before each test. */
const state = {
  integrity: sri(tgz),
  tarballBase: '', // '' = this server
  requireToken: '',
  hits: [] as string[],
};

const server: Bun.Server<undefined> = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req): Response {
    const url = new URL(req.url);
    state.hits.push(url.pathname);
    if (state.requireToken && req.headers.get('authorization') !== `Bearer ${state.requireToken}`) return new Response('no', { status: 401 });
    const packument = (name: string): Response =>
      Response.json({
        name,
        'dist-tags': { latest: '0.0.1' },
        versions: {
          '0.0.0': { dist: { tarball: 'x', integrity: 'sha512-AAAA' } },
          '0.0.1': {
            name,
            version: '0.0.1',
            dist: { integrity: state.integrity, tarball: `${state.tarballBase || base}${name}/-/${name.split('/').pop()}-0.0.1.tgz` },
          },
        },
      });
    if (url.pathname === '/faces' || url.pathname === '/@acme%2ffaces') {
      expect(req.headers.get('accept')).toContain('application/vnd.npm.install-v1+json');
      return packument(decodeURIComponent(url.pathname.slice(1)));
    }
    if (url.pathname.endsWith('-0.0.1.tgz')) return new Response(tgz, { headers: { 'content-length': String(tgz.length) } });
    if (url.pathname === '/weights/detect.onnx') return new Response(detect);
    if (url.pathname === '/weights/stall.onnx') {
      // One chunk, then silence: a stalled download must time out, not hang.
      return new Response(new ReadableStream({ start: (c) => c.enqueue(new Uint8Array(10)) }), { headers: { 'content-length': '100' } });
    }
    return new Response('{"error":"Not found"}', { status: 404 });
  },
});
const base: string = `http://127.0.0.1:${server.port}/`;
afterAll(() => server.stop(true));

/** A port nothing listens on: bind one, then close it. */
const deadPort = (() => {
  const s = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const p = s.port;
  s.stop(true);
  return p;
})();

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pull-test-'));
  Object.assign(state, { integrity: sri(tgz), tarballBase: '', requireToken: '', hits: [] });
});

function options(registry = base, extra: Partial<PullOptions> = {}, npmrc = ''): PullOptions {
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.npmrc'), npmrc);
  const npmConfig = loadNpmConfig({
    cwd: root,
    home,
    env: { npm_config_registry: registry, TOKEN: 'tok' },
    systemFiles: [],
    execPath: '/x/bun',
    npmConfigGet: false,
  });
  return { cacheDir: join(root, 'cache'), npmConfig, ...extra };
}

const faces = (path = 'package/model/fr_detect.onnx', sha = sha256(detect)): ModelSource => ({ npm: 'faces@0.0.1', path, sha256: sha });
const modelDir = () => join(root, 'models', 'face_detect');
/** Files in the version dir other than model.onnx: temp files must never be left behind. */
const leftovers = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f !== 'model.onnx') : []);

async function pullError(p: Promise<unknown>): Promise<PullError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PullError) return e;
    throw e;
  }
  throw new Error('expected a PullError');
}

describe('npm source', () => {
  test('downloads, verifies, extracts, writes; then present; then a sibling model reuses the tarball', async () => {
    const seen: [number, number][] = [];
    const opts = options(base, { progress: (d, t) => seen.push([d, t]) });
    const r = await pullModel(modelDir(), '1', faces(), opts);
    expect(r).toEqual({
      path: join(modelDir(), '1', 'model.onnx'),
      sha256: sha256(detect),
      bytes: detect.length,
      fromCache: false,
      status: 'downloaded',
      from: 'faces@0.0.1',
    });
    expect(new Uint8Array(readFileSync(r.path))).toEqual(detect);
    expect(seen.at(-1)).toEqual([tgz.length, tgz.length]);
    expect(state.hits).toEqual(['/faces', '/faces/-/faces-0.0.1.tgz']);
    expect(leftovers(join(modelDir(), '1'))).toEqual([]);

    const again = await pullModel(modelDir(), '1', faces(), opts);
    expect(again.status).toBe('present');
    expect(again.fromCache).toBe(true);

    const embedDir = join(root, 'models', 'face_embed');
    const e = await pullModel(embedDir, '1', faces('package/model/fr_feature.onnx', sha256(embed)), opts);
    expect(e).toMatchObject({ status: 'cached', fromCache: true, bytes: embed.length });
    expect(state.hits).toHaveLength(2); // no second packument or tarball request
  });

  test('a re-pull from the cache works offline', async () => {
    await pullModel(modelDir(), '1', faces(), options());
    rmSync(join(modelDir(), '1'), { recursive: true });
    const offline = (() => Promise.reject(new TypeError('offline'))) as unknown as typeof fetch;
    const r = await pullModel(modelDir(), '1', faces(), options(base, { fetch: offline }));
    expect(r.status).toBe('cached');
  });

  test('a path without the "package/" root still matches (npm strips the first component)', async () => {
    const r = await pullModel(modelDir(), '1', faces('node/model/fr_detect.onnx'), options());
    expect(r.bytes).toBe(detect.length);
  });

  test('scoped package names are encoded as @scope%2fname', async () => {
    const r = await pullModel(modelDir(), '1', { npm: '@acme/faces@0.0.1', path: 'package/model/fr_detect.onnx', sha256: sha256(detect) }, options());
    expect(r.status).toBe('downloaded');
    expect(state.hits[0]).toBe('/@acme%2ffaces');
  });

  test('sha256 mismatch: nothing written, an older file is left as it was', async () => {
    const dir = join(modelDir(), '1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.onnx'), 'old');
    const e = await pullError(pullModel(modelDir(), '1', faces(undefined, 'a'.repeat(64)), options()));
    expect(e.kind).toBe('SHA256');
    expect(e.message).toContain(`expected ${'a'.repeat(64)}, got ${sha256(detect)}`);
    expect(e.message).toContain('was not written');
    expect(readFileSync(join(dir, 'model.onnx'), 'utf8')).toBe('old');
    expect(leftovers(dir)).toEqual([]);
  });

  test('integrity mismatch: nothing cached, nothing written', async () => {
    state.integrity = sri(new Uint8Array([1, 2, 3]));
    const e = await pullError(pullModel(modelDir(), '1', faces(), options()));
    expect(e.kind).toBe('INTEGRITY');
    expect(e.message).toContain(`the registry says ${state.integrity}, the download is ${sri(tgz)}`);
    expect(existsSync(join(modelDir(), '1', 'model.onnx'))).toBe(false);
    expect(readdirSync(join(root, 'cache', 'npm'))).toEqual([]);
  });

  test('404 package, 404 version', async () => {
    const p = await pullError(pullModel(modelDir(), '1', { npm: 'nope@1.0.0', path: 'x', sha256: sha256(detect) }, options()));
    expect(p.kind).toBe('NOT_FOUND');
    expect(p.message).toStartWith(`package nope not found on the npm registry at ${base} (registry from environment (npm_config_*))`);
    const v = await pullError(pullModel(modelDir(), '1', { npm: 'faces@9.9.9', path: 'x', sha256: sha256(detect) }, options()));
    expect(v.kind).toBe('NOT_FOUND');
    expect(v.message).toBe(`faces has no version "9.9.9" on ${base}; available: 0.0.0, 0.0.1 (latest: 0.0.1)`);
  });

  test('file not in the tarball lists the closest names', async () => {
    const e = await pullError(pullModel(modelDir(), '1', faces('package/model/fr_detekt.onnx'), options()));
    expect(e.kind).toBe('NOT_IN_TARBALL');
    expect(e.message).toStartWith(
      'package/model/fr_detekt.onnx is not in faces@0.0.1; closest files: package/model/fr_detect.onnx, package/model/fr_feature.onnx',
    );
  });

  test('connection refused: the offline message names the registry and where it was configured', async () => {
    const reg = `http://127.0.0.1:${deadPort}/`;
    const e = await pullError(pullModel(modelDir(), '1', faces(), options(reg)));
    expect(e.kind).toBe('NETWORK');
    expect(e.message).toMatch(
      new RegExp(
        `^cannot reach the npm registry at ${reg}: connection refused by 127\\.0\\.0\\.1:${deadPort} \\(\\w+\\); check your network or npm registry config \\(registry ${reg} from environment`,
      ),
    );
  });

  test('DNS failure reads as offline', async () => {
    const e = await pullError(pullModel(modelDir(), '1', faces(), options('http://registry.invalid/')));
    expect(e.message).toStartWith('cannot reach the npm registry at http://registry.invalid/: DNS lookup of registry.invalid failed');
  });

  test('a tarball on another host that fails is retried on the configured registry', async () => {
    state.tarballBase = `http://127.0.0.1:${deadPort}/mirror/`;
    const r = await pullModel(modelDir(), '1', faces(), options());
    expect(r.status).toBe('downloaded');
    expect(state.hits).toEqual(['/faces', '/faces/-/faces-0.0.1.tgz']);
  });

  test('registry.npmjs.org tarball URLs go to the configured mirror first (replace-registry-host=npmjs)', async () => {
    state.tarballBase = 'https://registry.npmjs.org/';
    const urls: string[] = [];
    const spy = ((u: string, init?: RequestInit) => (urls.push(String(u)), fetch(u, init))) as typeof fetch;
    await pullModel(modelDir(), '1', faces(), options(base, { fetch: spy }));
    expect(urls).toEqual([`${base}faces`, `${base}faces/-/faces-0.0.1.tgz`]);
  });

  test('credentials from .npmrc are sent to the registry', async () => {
    state.requireToken = 'tok';
    const npmrc = `//127.0.0.1:${server.port}/:_authToken=\${TOKEN}`;
    expect((await pullModel(modelDir(), '1', faces(), options(base, {}, npmrc))).status).toBe('downloaded');
    const e = await pullError(pullModel(join(root, 'm2'), '1', faces(), options(base, { cacheDir: join(root, 'cache2') })));
    expect(e.kind).toBe('AUTH');
  });
});

describe('url, file and generate sources', () => {
  test('url: downloads and verifies; mismatch and 404 write nothing', async () => {
    const url = `${base}weights/detect.onnx`;
    const r = await pullModel(modelDir(), '1', { url, sha256: sha256(detect) }, options());
    expect(r).toMatchObject({ status: 'downloaded', bytes: detect.length });
    const other = join(root, 'other');
    const bad = await pullError(pullModel(other, '1', { url, sha256: 'b'.repeat(64) }, options()));
    expect(bad.kind).toBe('SHA256');
    expect(leftovers(join(other, '1'))).toEqual([]);
    expect(existsSync(join(other, '1', 'model.onnx'))).toBe(false);
    const missing = await pullError(pullModel(other, '1', { url: `${base}weights/none.onnx`, sha256: sha256(detect) }, options()));
    expect(missing.kind).toBe('NOT_FOUND');
  });

  test('url: a stalled download times out and leaves nothing behind', async () => {
    const url = `${base}weights/stall.onnx`;
    const e = await pullError(pullModel(modelDir(), '1', { url, sha256: sha256(detect) }, options(base, { idleTimeoutMs: 200 })));
    expect(e.kind).toBe('NETWORK');
    expect(e.message).toBe(`cannot reach ${url}: no data for 0.2 s (timed out); check your network and source.url in config.json`);
    expect(leftovers(join(modelDir(), '1'))).toEqual([]);
  });

  test('file: relative to the model dir, verified', async () => {
    mkdirSync(modelDir(), { recursive: true });
    writeFileSync(join(modelDir(), 'w.onnx'), detect);
    const r = await pullModel(modelDir(), '2', { file: 'w.onnx', sha256: sha256(detect) }, options());
    expect(r).toMatchObject({ status: 'copied', path: join(modelDir(), '2', 'model.onnx') });
    expect((await pullError(pullModel(modelDir(), '3', { file: 'w.onnx', sha256: 'c'.repeat(64) }, options()))).kind).toBe('SHA256');
    expect((await pullError(pullModel(modelDir(), '3', { file: 'gone.onnx', sha256: 'c'.repeat(64) }, options()))).message).toContain(
      'gone.onnx cannot be read (ENOENT)',
    );
  });

  test('generate: written once, then present; a missing generator is a config error', async () => {
    const generators = { simple: () => new Uint8Array([8, 1, 2]) };
    const dir = join(root, 'simple');
    expect((await pullModel(dir, '1', { generate: 'simple' }, options(base, { generators }))).status).toBe('generated');
    expect((await pullModel(dir, '1', { generate: 'simple' }, options(base, { generators }))).status).toBe('present');
    expect((await pullError(pullModel(dir, '1', { generate: 'simple' }, options()))).kind).toBe('CONFIG');
  });
});
