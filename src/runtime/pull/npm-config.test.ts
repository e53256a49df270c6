// npmrc parsing and registry discovery: precedence (env > project > user > global), scoped
// registries, ${ENV} substitution, nerf-darted credentials, and the `npm config get` fallback.
// Every test runs on temp dirs with a fake env and home, so the machine's own config is unused.

import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NPM_DEFAULT_REGISTRY, loadNpmConfig, nerfDart, type NpmConfigOptions } from './npm-config.ts';
import { configFromEnv, envReplace, parseNpmrc } from './npmrc.ts';

describe('parseNpmrc', () => {
  test('ini rules npm relies on', () => {
    const text = [
      '; comment',
      '# comment',
      'registry = https://r.example/npm/ ; trailing comment',
      'quoted="a;b#c"',
      "single='x y'",
      'escaped=a\\;b',
      'bare',
      'list[]=one',
      'list[]=two',
      '',
      '[section]',
      'registry=https://ignored.example/',
    ].join('\n');
    expect(parseNpmrc(text, {})).toEqual({
      registry: 'https://r.example/npm/',
      quoted: 'a;b#c',
      single: 'x y',
      escaped: 'a;b',
      bare: 'true',
      list: 'one\ntwo',
    });
  });

  test('${VAR} substitution in keys and values, like npm', () => {
    const env = { TOKEN: 's3cret', HOST: 'r.example' };
    expect(parseNpmrc('//${HOST}/:_authToken=${TOKEN}\r\nx=${UNSET}\r\ny=${UNSET?}', env)).toEqual({
      '//r.example/:_authToken': 's3cret',
      x: '${UNSET}',
      y: '',
    });
    expect(envReplace('\\${TOKEN}', env)).toBe('${TOKEN}');
    expect(envReplace('\\\\${TOKEN}', env)).toBe('\\s3cret');
  });

  test('npm_config_* environment keys', () => {
    expect(
      configFromEnv({
        NPM_CONFIG_REGISTRY: 'https://a/',
        'npm_config_@acme:registry': 'https://b/',
        'npm_config_//h/:_authToken': 't',
        npm_config_strict_ssl: 'false',
        npm_config_empty: '',
        PATH: '/bin',
      }),
    ).toEqual({ registry: 'https://a/', '@acme:registry': 'https://b/', '//h/:_authToken': 't', 'strict-ssl': 'false' });
  });
});

/** A temp machine: home, a project with a nested cwd, a node prefix; no system npmrc files. */
function machine() {
  const root = mkdtempSync(join(tmpdir(), 'npmrc-test-'));
  const home = join(root, 'home');
  const project = join(root, 'project');
  const cwd = join(project, 'models', 'face_detect');
  const prefix = join(root, 'node');
  for (const d of [home, cwd, join(prefix, 'bin'), join(prefix, 'etc')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(project, 'package.json'), '{}');
  const opts = (env: Record<string, string> = {}, extra: Partial<NpmConfigOptions> = {}): NpmConfigOptions => ({
    cwd,
    home,
    env,
    execPath: '/opt/bun/bin/bun',
    systemFiles: [],
    npmConfigGet: false,
    ...extra,
  });
  return { root, home, project, cwd, prefix, opts };
}

describe('loadNpmConfig', () => {
  test('nothing configured and npm unavailable: npm default', () => {
    const m = machine();
    expect(loadNpmConfig(m.opts()).registryFor('x')).toEqual({ url: NPM_DEFAULT_REGISTRY, source: "npm's default (nothing configured)" });
  });

  test('precedence: env > project > user > global', () => {
    const m = machine();
    writeFileSync(join(m.prefix, 'etc', 'npmrc'), 'registry=https://global.example/\ncafile=~/ca.pem');
    writeFileSync(join(m.home, '.npmrc'), 'registry=https://user.example/');
    writeFileSync(join(m.project, '.npmrc'), 'registry=https://project.example/');
    const env = { npm_config_prefix: m.prefix };
    expect(loadNpmConfig(m.opts({ ...env, NPM_CONFIG_REGISTRY: 'https://env.example/' })).registryFor('x').url).toBe('https://env.example/');
    const cfg = loadNpmConfig(m.opts(env));
    expect(cfg.registryFor('x')).toEqual({ url: 'https://project.example/', source: join(m.project, '.npmrc') });
    expect(cfg.tls()).toEqual({ cafile: join(m.home, 'ca.pem') });
    writeFileSync(join(m.project, '.npmrc'), '');
    expect(loadNpmConfig(m.opts(env)).registryFor('x').url).toBe('https://user.example/');
    writeFileSync(join(m.home, '.npmrc'), '');
    expect(loadNpmConfig(m.opts(env)).registryFor('x')).toEqual({ url: 'https://global.example/', source: join(m.prefix, 'etc', 'npmrc') });
  });

  test('global npmrc found from the node binary: execPath, or node on PATH under Bun', () => {
    const m = machine();
    writeFileSync(join(m.prefix, 'etc', 'npmrc'), 'registry=https://global.example/');
    expect(loadNpmConfig(m.opts({}, { execPath: join(m.prefix, 'bin', 'node') })).registryFor('x').url).toBe('https://global.example/');
    writeFileSync(join(m.prefix, 'bin', 'node'), '#!/bin/sh\n');
    chmodSync(join(m.prefix, 'bin', 'node'), 0o755);
    expect(loadNpmConfig(m.opts({ PATH: `/nonexistent:${join(m.prefix, 'bin')}` })).registryFor('x').url).toBe('https://global.example/');
  });

  test('system files, npm_config_globalconfig and NPM_CONFIG_USERCONFIG', () => {
    const m = machine();
    const sys = join(m.root, 'etc-npmrc');
    writeFileSync(sys, 'registry=https://system.example/');
    expect(loadNpmConfig(m.opts({}, { systemFiles: ['/nonexistent/npmrc', sys] })).registryFor('x').url).toBe('https://system.example/');
    const other = join(m.root, 'other-npmrc');
    writeFileSync(other, 'registry=https://other.example/');
    expect(loadNpmConfig(m.opts({ npm_config_globalconfig: other }, { systemFiles: [sys] })).registryFor('x').url).toBe('https://other.example/');
    expect(loadNpmConfig(m.opts({ NPM_CONFIG_USERCONFIG: other }, { systemFiles: [sys] })).registryFor('x').source).toBe(other);
  });

  test('project root is the nearest package.json, even from a nested cwd', () => {
    const m = machine();
    writeFileSync(join(m.cwd, '.npmrc'), 'registry=https://not-a-project-root.example/');
    writeFileSync(join(m.project, '.npmrc'), 'registry=https://project.example/');
    expect(loadNpmConfig(m.opts()).registryFor('x').url).toBe('https://project.example/');
  });

  test('scoped registries, trailing slash added, ${ENV} in values', () => {
    const m = machine();
    writeFileSync(join(m.home, '.npmrc'), 'registry=https://main.example/npm\n@acme:registry=https://${ACME_HOST}/api/npm/acme');
    const cfg = loadNpmConfig(m.opts({ ACME_HOST: 'acme.example' }));
    expect(cfg.registryFor('@acme/models')).toEqual({ url: 'https://acme.example/api/npm/acme/', source: join(m.home, '.npmrc'), scope: '@acme' });
    expect(cfg.registryFor('@other/x').url).toBe('https://main.example/npm/');
    expect(cfg.registryFor('plain').url).toBe('https://main.example/npm/');
  });

  test('an invalid registry URL names the file it came from', () => {
    const m = machine();
    writeFileSync(join(m.home, '.npmrc'), 'registry=not a url');
    expect(() => loadNpmConfig(m.opts()).registryFor('x')).toThrow(`npm config "registry=not a url" (from ${join(m.home, '.npmrc')}) is not a valid URL`);
  });

  test('fallback asks npm once per key, scoped key first', () => {
    const m = machine();
    const asked: string[] = [];
    const cfg = loadNpmConfig(m.opts({}, { npmConfigGet: (k) => (asked.push(k), k === 'registry' ? 'https://from-npm.example' : undefined) }));
    expect(cfg.registryFor('x')).toEqual({ url: 'https://from-npm.example/', source: 'npm config get registry' });
    expect(cfg.registryFor('@s/y').url).toBe('https://from-npm.example/');
    cfg.registryFor('z');
    expect(asked).toEqual(['registry', '@s:registry']);
  });

  test.skipIf(spawnSync('npm', ['--version']).status !== 0)('fallback really spawns npm', () => {
    const m = machine();
    const cfg = loadNpmConfig({ ...m.opts({ PATH: process.env.PATH ?? '', HOME: m.home }), npmConfigGet: undefined });
    const reg = cfg.registryFor('x');
    expect(reg.source).toBe('npm config get registry');
    expect(new URL(reg.url).protocol).toMatch(/^https?:$/);
  });
});

describe('credentials', () => {
  test('nerf darts', () => {
    expect(nerfDart('https://r.example/api/npm/x/pkg')).toBe('//r.example/api/npm/x/');
    expect(nerfDart('http://127.0.0.1:4873/')).toBe('//127.0.0.1:4873/');
  });

  test('token, basic and user/password, matched by host and path, never leaked elsewhere', () => {
    const m = machine();
    writeFileSync(
      join(m.home, '.npmrc'),
      [
        'registry=https://r.example/api/npm/main/',
        '//r.example/api/npm/main/:_authToken=${NPM_TOKEN}',
        '//basic.example/:_auth=dXNlcjpwYXNz',
        '//userpass.example/:username=bob',
        `//userpass.example/:_password=${Buffer.from('hunter2').toString('base64')}`,
      ].join('\n'),
    );
    const cfg = loadNpmConfig(m.opts({ NPM_TOKEN: 'tok' }));
    expect(cfg.authFor('https://r.example/api/npm/main/pkg/-/pkg-1.0.0.tgz')).toBe('Bearer tok');
    expect(cfg.authFor('https://r.example/api/npm/main/@s%2fpkg')).toBe('Bearer tok');
    expect(cfg.authFor('https://basic.example/pkg')).toBe('Basic dXNlcjpwYXNz');
    expect(cfg.authFor('https://userpass.example/a/b')).toBe(`Basic ${Buffer.from('bob:hunter2').toString('base64')}`);
    expect(cfg.authFor('https://r.example/other/pkg')).toBeUndefined();
    expect(cfg.authFor('https://evil.example/api/npm/main/pkg')).toBeUndefined();
  });

  test('legacy top-level _authToken applies to the configured registry only', () => {
    const m = machine();
    writeFileSync(join(m.home, '.npmrc'), 'registry=https://r.example/\n_authToken=legacy');
    const cfg = loadNpmConfig(m.opts());
    expect(cfg.authFor('https://r.example/pkg')).toBe('Bearer legacy');
    expect(cfg.authFor('https://elsewhere.example/pkg')).toBeUndefined();
  });

  test('tls and replace-registry-host pass through', () => {
    const m = machine();
    writeFileSync(join(m.home, '.npmrc'), 'cafile=/etc/ca.pem\nstrict-ssl=false\nhttps-proxy=http://proxy:3128\nreplace-registry-host=always');
    const cfg = loadNpmConfig(m.opts());
    expect(cfg.tls()).toEqual({ cafile: '/etc/ca.pem', strictSsl: false, proxy: 'http://proxy:3128' });
    expect(cfg.replaceRegistryHost()).toBe('always');
    expect(loadNpmConfig(machine().opts()).replaceRegistryHost()).toBe('npmjs');
  });
});
